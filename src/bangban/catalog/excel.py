"""Excel import and export of the whole catalog as one workbook.

The workbook has four sheets: 事项 (one row per item, the columns of `fields.ITEM_COLUMNS`),
申请材料 and 办理流程 (one row per material or step, tied to its item by the item's code, or its
name when it has none) and 一件事 (one row per bundle). Export writes every value the way the
import reads it, so an exported workbook imports back to exactly the same catalog, and
re-importing it unchanged changes nothing: no version, no event.

An import checks every row of every sheet first and writes nothing while anything is wrong; then
it applies the whole workbook in one transaction, through the catalog services, or nothing at
all. Every problem is reported with its sheet, row (as Excel numbers it) and column.

How rows find their items: a row with an item code updates the item with that code, or creates
it. A row without a code updates the item without a code of that name, else the one item of that
name whose code no other row names (its code is kept), else creates an item. Items the workbook
does not name are left alone. An item's materials and steps are replaced by the rows of its
sheet (none if the sheet has none for it); a sheet left out of the workbook changes nothing.
Bundles are matched by name.
"""

import logging
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from bangban.catalog import services
from bangban.catalog.fields import (
    BUNDLE_COLUMNS,
    ITEM_COLUMNS,
    ITEM_KEY_HEADER,
    MATERIAL_COLUMNS,
    SHEET_BUNDLES,
    SHEET_ITEMS,
    SHEET_MATERIALS,
    SHEET_STEPS,
    STEP_COLUMNS,
    Column,
    format_value,
)
from bangban.catalog.models import Bundle, BundleMember, Item, Material, ProcessStep
from bangban.catalog.validation import (
    Departments,
    _clean,
    _text,
    clean_item,
    clean_material,
    clean_step,
)
from bangban.core import faults
from bangban.core.errors import ApplicationError
from bangban.core.faults import crash_point
from bangban.org.models import Level, Unit

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_SHEET = "导入问题"
REPORT_HEADERS = ["工作表", "行", "列", "问题"]
# Columns a sheet may carry that the import ignores (a running number people like to add).
IGNORED_HEADERS = {"序号"}
# A guard against a runaway sheet (formatting copied down a million rows is not data).
MAX_ROWS_PER_SHEET = 50_000

ProgressCallback = Callable[[int, str], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workbook: where (sheet, row as Excel numbers it, column header;
    each may be empty) and what, in the user's language."""

    sheet: str = ""
    row: int | None = None
    column: str = ""
    message: str = ""

    def describe(self) -> str:
        values = {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }
        if self.sheet and self.row and self.column:
            return _("Sheet %(sheet)s row %(row)s column %(column)s: %(message)s") % values
        if self.sheet and self.column:
            return _("Sheet %(sheet)s column %(column)s: %(message)s") % values
        if self.sheet and self.row:
            return _("Sheet %(sheet)s row %(row)s: %(message)s") % values
        if self.sheet:
            return _("Sheet %(sheet)s: %(message)s") % values
        return self.message


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bundles: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "bundles": self.bundles,
        }


# Export ---------------------------------------------------------------------------------------


def _cell(sheet, value: Any) -> WriteOnlyCell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        # Text stays text: a value starting with "=" must not become a formula.
        cell.data_type = "s"
    return cell


def _append(sheet, values: Iterable[Any]) -> None:
    sheet.append([_cell(sheet, value) for value in values])


def catalog_export(out: IO[bytes] | str | Path) -> dict[str, int]:
    """Write the whole catalog as a workbook to `out` (a path or a binary file). Five queries,
    whatever the size of the catalog. Returns how many rows each sheet got."""
    units = list(Unit.objects.filter(level=Level.DEPARTMENT).values_list("name", flat=True))
    # A department is written by its name, unless another department has the same name.
    shared_names = {name for name, count in Counter(units).items() if count > 1}

    def department(unit: Unit | None) -> str | None:
        if unit is None:
            return None
        return unit.code if unit.name in shared_names else unit.name

    items = list(Item.objects.select_related("department").order_by("name", "pk"))
    order = {item.pk: index for index, item in enumerate(items)}
    keys = {item.pk: item.code or item.name for item in items}
    book = Workbook(write_only=True)

    sheet = book.create_sheet(SHEET_ITEMS)
    _append(sheet, [c.header for c in ITEM_COLUMNS])
    for item in items:
        _append(
            sheet,
            [
                format_value(
                    c,
                    department(item.department)
                    if c.kind == "department"
                    else getattr(item, c.field),
                )
                for c in ITEM_COLUMNS
            ],
        )

    counts = {"items": len(items)}
    for name, model, columns in (
        (SHEET_MATERIALS, Material, MATERIAL_COLUMNS),
        (SHEET_STEPS, ProcessStep, STEP_COLUMNS),
    ):
        rows = sorted(
            model.objects.only("item_id", "position", *[c.field for c in columns]),
            key=lambda row: (order[row.item_id], row.position, row.pk),
        )
        sheet = book.create_sheet(name)
        _append(sheet, [ITEM_KEY_HEADER, *[c.header for c in columns]])
        for row in rows:
            _append(
                sheet,
                [keys[row.item_id], *[format_value(c, getattr(row, c.field)) for c in columns]],
            )
        counts[model._meta.model_name] = len(rows)

    bundles = Bundle.objects.select_related("lead_department").prefetch_related(
        Prefetch("members", queryset=BundleMember.objects.select_related("item"))
    )
    sheet = book.create_sheet(SHEET_BUNDLES)
    _append(sheet, [c.header for c in BUNDLE_COLUMNS])
    count = 0
    for bundle in bundles.order_by("name", "pk"):
        values = {
            "name": bundle.name,
            "lead_department": department(bundle.lead_department),
            "members": [_member_name(m) for m in bundle.members.all()],
            "description": bundle.description,
            "aliases": _split_list(bundle.aliases),
        }
        _append(sheet, [format_value(c, values[c.field]) for c in BUNDLE_COLUMNS])
        count += 1
    counts["bundles"] = count
    book.save(out)
    return counts


def _member_name(member: BundleMember) -> str:
    """A bundle member by its item's current name (the member's own name is the item's name when
    the bundle was saved)."""
    return member.item.name if member.item_id else member.name


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;；\n]", value or "") if part.strip()]


# Problem report -------------------------------------------------------------------------------


def problems_report(problems: Iterable[Problem]) -> bytes:
    """The problems as a workbook of their own: 工作表, 行, 列, 问题."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(REPORT_SHEET)
    _append(sheet, REPORT_HEADERS)
    for problem in problems:
        _append(
            sheet, [problem.sheet or None, problem.row, problem.column or None, problem.message]
        )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def problems_read(source: IO[bytes] | str | Path, *, limit: int | None = None) -> list[Problem]:
    """The problems of a report written by `problems_report`, in order."""
    book = load_workbook(source, read_only=True, data_only=True)
    try:
        problems = []
        rows = book[REPORT_SHEET].iter_rows(min_row=2, values_only=True)
        for sheet, row, column, message in ((tuple(r) + (None,) * 4)[:4] for r in rows):
            if limit is not None and len(problems) >= limit:
                break
            problems.append(
                Problem(
                    sheet=sheet or "",
                    row=int(row) if row not in (None, "") else None,
                    column=column or "",
                    message=message or "",
                )
            )
        return problems
    finally:
        book.close()


# Import: reading ------------------------------------------------------------------------------


@dataclass
class _Sheet:
    name: str
    columns: dict[str, int]  # field → index of its cell in a row
    rows: list[tuple[int, tuple]]  # (Excel row number, values), empty rows left out

    def data(self, values: tuple, columns: list[Column]) -> dict[str, Any]:
        return {
            c.field: (
                values[self.columns[c.field]] if self.columns[c.field] < len(values) else None
            )
            for c in columns
            if c.field in self.columns
        }


def _header(value: Any) -> str:
    return "".join(str(value).split()) if value is not None else ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _values(worksheet, problems: list[Problem]) -> Iterator[tuple]:
    """The values of each row. A formula is not taken: its cached result is whatever the program
    that saved the file wrote there (nothing at all when a script wrote it, anything a forger
    likes) and may not be what Excel shows once it recalculates, so each formula cell is a
    problem, named by its cell, and reads as empty."""
    headers: list[str] = []
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        values = []
        for cell in cells:
            if cell.data_type == "f":
                index = cell.column - 1
                header = headers[index] if index < len(headers) else ""
                problems.append(
                    Problem(
                        worksheet.title,
                        number,
                        header or get_column_letter(cell.column),
                        _(
                            "Cell %(cell)s holds a formula (%(formula)s); the import takes "
                            "values only: copy the cells and paste them as values."
                        )
                        % {
                            "cell": f"{get_column_letter(cell.column)}{number}",
                            "formula": _formula(cell.value),
                        },
                    )
                )
                values.append(None)
            else:
                values.append(cell.value)
        if number == 1:
            headers = [_header(v) for v in values]
        yield tuple(values)


def _formula(value: Any) -> str:
    text = getattr(value, "text", value)  # an array formula keeps its text apart
    text = str(text or "")
    return text if len(text) <= 60 else text[:60] + "…"


def _read_sheet(
    worksheet, columns: list[Column], problems: list[Problem], *, key: bool = False
) -> _Sheet | None:
    """The sheet's rows by field; None (with its problems) when a required column is missing."""
    name = worksheet.title
    worksheet.reset_dimensions()  # the declared size may be wrong: read what is there
    rows = _values(worksheet, problems)
    headers = [_header(v) for v in next(rows, ())]
    known = {c.header: c.field for c in columns}
    if key:
        known[ITEM_KEY_HEADER] = "key"
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header or header in IGNORED_HEADERS:
            continue
        if header not in known:
            problems.append(Problem(name, 1, header, _("Unknown column.")))
        elif known[header] in found:
            problems.append(Problem(name, 1, header, _("This column appears more than once.")))
        else:
            found[known[header]] = index
    required = [c.header for c in columns if c.required] + ([ITEM_KEY_HEADER] if key else [])
    missing = [header for header in required if known[header] not in found]
    for header in missing:
        problems.append(Problem(name, 1, header, _("Column missing: add it to the first row.")))
    data = []
    for number, values in enumerate(rows, start=2):
        if all(_blank(v) for v in values):
            continue
        if len(data) >= MAX_ROWS_PER_SHEET:
            problems.append(
                Problem(
                    name,
                    number,
                    "",
                    _("A sheet may have at most %(max)s rows.") % {"max": MAX_ROWS_PER_SHEET},
                )
            )
            break
        data.append((number, tuple(values)))
    if missing:
        return None
    return _Sheet(name=name, columns=found, rows=data)


def _has_macros(source) -> bool:
    """Whether the file is a macro-enabled workbook (an .xlsm, whatever its name says): it has
    a VBA project, or its parts are declared macro-enabled."""
    try:
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return True
            if "[Content_Types].xml" in names:
                types = archive.read("[Content_Types].xml")
                return b"macroEnabled" in types or b"vbaProject" in types
            return False
    except (zipfile.BadZipFile, OSError, KeyError):
        return False  # not a zip: openpyxl says it is no workbook
    finally:
        if hasattr(source, "seek"):
            source.seek(0)


def _read_workbook(source) -> tuple[dict[str, _Sheet | None], list[Problem]]:
    """The sheets of the workbook (absent optional sheets are missing from the result)."""
    problems: list[Problem] = []
    if _has_macros(source):
        return {}, [
            Problem(
                message=_(
                    "The workbook contains macros (.xlsm), which are never run or imported: "
                    "save it as an Excel workbook (.xlsx) without macros."
                )
            )
        ]
    try:
        # Formulas are read as formulas (to refuse them), links to other files are not followed.
        book = load_workbook(source, read_only=True, data_only=False, keep_links=False)
    except Exception:
        # A text file, an old .xls, a damaged or encrypted file: openpyxl raises one of many
        # errors, and for the user they all mean the same thing.
        return {}, [Problem(message=_("The file is not a valid Excel workbook (.xlsx)."))]
    try:
        by_title = {ws.title.strip(): ws for ws in book.worksheets}
        if SHEET_ITEMS not in by_title:
            return {}, [
                Problem(
                    SHEET_ITEMS,
                    message=_("The workbook has no sheet named %(sheet)s.")
                    % {"sheet": SHEET_ITEMS},
                )
            ]
        sheets: dict[str, _Sheet | None] = {}
        for name, columns, key in (
            (SHEET_ITEMS, ITEM_COLUMNS, False),
            (SHEET_MATERIALS, MATERIAL_COLUMNS, True),
            (SHEET_STEPS, STEP_COLUMNS, True),
            (SHEET_BUNDLES, BUNDLE_COLUMNS, False),
        ):
            if name in by_title:
                sheets[name] = _read_sheet(by_title[name], columns, problems, key=key)
    except Exception:
        logger.warning("Unreadable sheet in an uploaded workbook", exc_info=True)
        return {}, [Problem(message=_("The file is not a valid Excel workbook (.xlsx)."))]
    finally:
        book.close()
    return sheets, problems


# Import: checking -----------------------------------------------------------------------------


@dataclass
class _ItemPlan:
    """What the import will do to one item."""

    row: int | None  # its row on the 事项 sheet; None when only its materials or steps change
    data: dict[str, Any] | None
    item: Item | None  # the item to update; None to create one
    materials: list[dict[str, Any]] | None = None
    material_rows: list[int] = field(default_factory=list)
    steps: list[dict[str, Any]] | None = None
    step_rows: list[int] = field(default_factory=list)


@dataclass
class _BundlePlan:
    row: int
    data: dict[str, Any]
    bundle: Bundle | None


class _Progress:
    """Passes progress on, never backwards and never the same twice."""

    def __init__(self, callback: ProgressCallback | None):
        self.callback = callback
        self.last: tuple[int, str] | None = None

    def __call__(self, percent: float, stage: str) -> None:
        if self.callback is None:
            return
        percent = int(max(percent, self.last[0] if self.last else 0))
        percent = min(percent, 100)
        if self.last != (percent, stage):
            self.last = (percent, stage)
            self.callback(percent, stage)


def _headers(columns: list[Column]) -> dict[str, str]:
    return {c.field: c.header for c in columns}


ITEM_HEADERS = _headers(ITEM_COLUMNS)
MATERIAL_HEADERS = _headers(MATERIAL_COLUMNS)
STEP_HEADERS = _headers(STEP_COLUMNS)
BUNDLE_HEADERS = _headers(BUNDLE_COLUMNS)


class _Checker:
    """Phase one: every row checked, every item and bundle planned, nothing written."""

    def __init__(self, sheets: dict[str, _Sheet | None], progress: Callable[[], None]):
        self.sheets = sheets
        self.tick = progress
        self.problems: list[Problem] = []
        self.departments = Departments()
        # A name two departments share does not say which: such a department goes by its code.
        self.shared_department_names = {
            name
            for name, count in Counter(
                Unit.objects.filter(level=Level.DEPARTMENT).values_list("name", flat=True)
            ).items()
            if count > 1
        }
        self.items = list(
            Item.objects.select_related("department").prefetch_related("materials", "steps")
        )
        self.by_code = {item.code: item for item in self.items if item.code}
        self.by_name: dict[str, list[Item]] = defaultdict(list)
        for item in self.items:
            self.by_name[item.name].append(item)
        self.plans: list[_ItemPlan] = []
        # Codes and names of item rows with problems: their materials and steps are not
        # reported again as naming an unknown item.
        self.failed_keys: set[str] = set()
        self.plan_of_item: dict[int, _ItemPlan] = {}
        self.bundles: list[_BundlePlan] = []

    def problem(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.problems.append(Problem(sheet, row, column, message))

    def check_department(self, data: dict[str, Any], field_name: str, errors: dict) -> None:
        name = _text(data.get(field_name))
        if name in self.shared_department_names and field_name not in errors:
            errors[field_name] = _(
                "Several departments are named %(name)s: use the department's code."
            ) % {"name": name}

    def run(self) -> None:
        self.check_items()
        self.index_plans()
        for name, columns, cleaner, attr in (
            (SHEET_MATERIALS, MATERIAL_COLUMNS, clean_material, "materials"),
            (SHEET_STEPS, STEP_COLUMNS, clean_step, "steps"),
        ):
            sheet = self.sheets.get(name)
            if sheet is not None:
                self.check_rows(sheet, columns, cleaner, attr)
        if self.sheets.get(SHEET_BUNDLES) is not None:
            self.check_bundles(self.sheets[SHEET_BUNDLES])

    # 事项
    def check_items(self) -> None:
        sheet = self.sheets.get(SHEET_ITEMS)
        if sheet is None:
            return
        parsed: list[tuple[int, dict[str, Any]]] = []
        code_rows: dict[str, int] = {}
        name_rows: dict[str, int] = {}
        for number, values in sheet.rows:
            data = sheet.data(values, ITEM_COLUMNS)
            clean, errors = clean_item(data, departments=self.departments)
            self.check_department(data, "department", errors)
            self.tick()
            for field_name, message in errors.items():
                self.problem(SHEET_ITEMS, number, ITEM_HEADERS[field_name], message)
            code, name = clean.get("code", ""), clean.get("name", "")
            if errors:
                self.failed_keys |= {_text(data.get("code")), _text(data.get("name"))} - {""}
            if "code" in errors or "name" in errors:
                continue
            if code:
                if code in code_rows:
                    self.problem(
                        SHEET_ITEMS,
                        number,
                        ITEM_HEADERS["code"],
                        _("Item code %(code)s is also on row %(row)s.")
                        % {"code": code, "row": code_rows[code]},
                    )
                    continue
                code_rows[code] = number
            else:
                if name in name_rows:
                    self.problem(
                        SHEET_ITEMS,
                        number,
                        ITEM_HEADERS["name"],
                        _(
                            "Row %(row)s has the same name and neither has an item code: give "
                            "each its code."
                        )
                        % {"row": name_rows[name]},
                    )
                    continue
                name_rows[name] = number
            if not errors:
                parsed.append((number, clean))
        named_by_code = {code for code in code_rows if code in self.by_code}
        replaced = self.sheets.get(SHEET_MATERIALS) is not None
        stepped = self.sheets.get(SHEET_STEPS) is not None
        for number, clean in parsed:
            item = self.match(number, clean, named_by_code)
            if item is False:
                continue
            if item is not None and not clean.get("code") and item.code:
                # Matched by name: the row says nothing about the code, which stays.
                clean.pop("code", None)
            plan = _ItemPlan(
                row=number,
                data=clean,
                item=item,
                materials=[] if replaced else None,
                steps=[] if stepped else None,
            )
            self.plans.append(plan)
            if item is not None:
                self.plan_of_item[item.pk] = plan

    def match(
        self, number: int, clean: dict[str, Any], named_by_code: set[str]
    ) -> Item | bool | None:
        """The item a row updates, None to create one, False when that cannot be told."""
        code, name = clean.get("code", ""), clean["name"]
        if code:
            return self.by_code.get(code)
        same_name = self.by_name.get(name, [])
        codeless = [item for item in same_name if not item.code]
        if not codeless:
            codeless = [item for item in same_name if item.code not in named_by_code]
        if len(codeless) > 1:
            self.problem(
                SHEET_ITEMS,
                number,
                ITEM_HEADERS["code"],
                _("Several items in the catalog are named %(name)s: give the item code.")
                % {"name": name},
            )
            return False
        return codeless[0] if codeless else None

    # 申请材料, 办理流程
    def index_plans(self) -> None:
        self.plan_by_code: dict[str, _ItemPlan] = {}
        self.plans_by_name: dict[str, list[_ItemPlan]] = defaultdict(list)
        for plan in self.plans:
            assert plan.data is not None
            for code in (plan.data.get("code"), plan.item.code if plan.item else ""):
                if code:
                    self.plan_by_code[code] = plan
            self.plans_by_name[plan.data["name"]].append(plan)

    def find_plan(self, key: str) -> _ItemPlan | str:
        """The plan of the item a material or step row names, or the problem's message."""
        ambiguous = _("Several items are named %(name)s: use the item code.") % {"name": key}
        if key in self.plan_by_code:
            return self.plan_by_code[key]
        in_sheet = self.plans_by_name.get(key, [])
        if len(in_sheet) > 1:
            in_sheet = [plan for plan in in_sheet if not (plan.data or {}).get("code")]
            if len(in_sheet) != 1:
                return ambiguous
        if in_sheet:
            return in_sheet[0]
        item = self.by_code.get(key)
        if item is None:
            same_name = self.by_name.get(key, [])
            if len(same_name) > 1:
                return ambiguous
            item = same_name[0] if same_name else None
        if item is None:
            return _("No item has this code or name, on sheet %(sheet)s or in the catalog.") % {
                "sheet": SHEET_ITEMS
            }
        if item.pk not in self.plan_of_item:
            # An item the 事项 sheet leaves out: only its materials or steps change.
            plan = _ItemPlan(row=None, data=None, item=item)
            self.plans.append(plan)
            self.plan_of_item[item.pk] = plan
            self.plan_by_code[key] = plan
        return self.plan_of_item[item.pk]

    def check_rows(self, sheet: _Sheet, columns: list[Column], cleaner, attr: str) -> None:
        headers = _headers(columns)
        for number, values in sheet.rows:
            self.tick()
            clean, errors = cleaner(sheet.data(values, columns))
            for field_name, message in errors.items():
                self.problem(sheet.name, number, headers[field_name], message)
            key = _text(
                values[sheet.columns["key"]] if sheet.columns["key"] < len(values) else None
            )
            if not key:
                self.problem(sheet.name, number, ITEM_KEY_HEADER, _("This field is required."))
                continue
            plan = self.find_plan(key)
            if isinstance(plan, str) and key in self.failed_keys:
                continue
            if isinstance(plan, str):
                self.problem(sheet.name, number, ITEM_KEY_HEADER, plan)
                continue
            if errors:
                continue
            if getattr(plan, attr) is None:
                setattr(plan, attr, [])
            getattr(plan, attr).append(clean)
            getattr(plan, attr.removesuffix("s") + "_rows").append(number)

    # 一件事
    def check_bundles(self, sheet: _Sheet) -> None:
        names: dict[str, int] = {}
        parsed = []
        for number, values in sheet.rows:
            self.tick()
            data = sheet.data(values, BUNDLE_COLUMNS)
            clean, errors = _clean(BUNDLE_COLUMNS, data, self.departments, partial=False)
            self.check_department(data, "lead_department", errors)
            members = clean.get("members", "").splitlines()
            if "members" not in errors and len(members) < 2:
                errors["members"] = _("A bundle joins at least two items.")
            too_long = [
                m for m in members if len(m) > BundleMember._meta.get_field("name").max_length
            ]
            if too_long and "members" not in errors:
                errors["members"] = _("At most %(max)d characters, not %(count)d.") % {
                    "max": BundleMember._meta.get_field("name").max_length,
                    "count": len(too_long[0]),
                }
            name = clean.get("name", "")
            if name and name in names:
                errors["name"] = _("Bundle %(name)s is also on row %(row)s.") % {
                    "name": name,
                    "row": names[name],
                }
            elif name:
                names[name] = number
            for field_name, message in errors.items():
                self.problem(sheet.name, number, BUNDLE_HEADERS[field_name], message)
            if not errors:
                parsed.append((number, clean))
        existing = {b.name: b for b in Bundle.objects.filter(name__in=names)}
        for number, clean in parsed:
            self.bundles.append(
                _BundlePlan(row=number, data=clean, bundle=existing.get(clean["name"]))
            )


# Import: applying -----------------------------------------------------------------------------

MATERIAL_FIELDS = [c.field for c in MATERIAL_COLUMNS]
STEP_FIELDS = [c.field for c in STEP_COLUMNS]


def _defaults(model, fields: list[str]) -> dict[str, Any]:
    return {f: model._meta.get_field(f).get_default() for f in fields}


def _rows_equal(current: Iterable, new: list[dict[str, Any]], model, fields: list[str]) -> bool:
    defaults = _defaults(model, fields)
    old = [{f: getattr(row, f) for f in fields} for row in current]
    return old == [{f: row.get(f, defaults[f]) for f in fields} for row in new]


def _item_unchanged(plan: _ItemPlan) -> bool:
    """Whether applying the plan would leave the item exactly as it is (so it is not touched)."""
    item = plan.item
    assert item is not None
    for name, value in (plan.data or {}).items():
        current = getattr(item, name)
        if name == "department":
            if (current.pk if current else None) != (value.pk if value else None):
                return False
        elif current != value:
            return False
    if plan.materials is not None and not _rows_equal(
        item.materials.all(), plan.materials, Material, MATERIAL_FIELDS
    ):
        return False
    return plan.steps is None or _rows_equal(item.steps.all(), plan.steps, ProcessStep, STEP_FIELDS)


def _bundle_unchanged(bundle: Bundle, data: Mapping[str, Any]) -> bool:
    lead = data.get("lead_department")
    if "lead_department" in data and bundle.lead_department_id != (lead.pk if lead else None):
        return False
    if "description" in data and _text(bundle.description) != data["description"]:
        return False
    if "aliases" in data and _split_list(bundle.aliases) != _split_list(data["aliases"]):
        return False
    members = list(bundle.members.select_related("item").order_by("position", "pk"))
    names = data["members"].splitlines()
    if [_member_name(m) for m in members] != names:
        return False
    # A member the catalog did not hold when the bundle was saved would now be linked to an item
    # of its name: that is a change.
    unlinked = [m.name for m in members if not m.item_id]
    return not Item.objects.filter(name__in=unlinked).exists()


class _Abort(Exception):
    pass


def _service_problem(plan: _ItemPlan, exc: ApplicationError) -> Problem:
    """Where a service's refusal points: the field of the item, or of one of its rows."""
    field_name = exc.field or ""
    match = re.fullmatch(r"(materials|steps)-(\d+)-(\w+)", field_name)
    if match:
        kind, index, column = match.group(1), int(match.group(2)), match.group(3)
        rows = plan.material_rows if kind == "materials" else plan.step_rows
        headers = MATERIAL_HEADERS if kind == "materials" else STEP_HEADERS
        return Problem(
            SHEET_MATERIALS if kind == "materials" else SHEET_STEPS,
            rows[index] if index < len(rows) else None,
            headers.get(column, ""),
            exc.message,
        )
    if plan.row is None:
        rows = plan.material_rows or plan.step_rows
        sheet = SHEET_MATERIALS if plan.material_rows else SHEET_STEPS
        return Problem(sheet, rows[0] if rows else None, ITEM_KEY_HEADER, exc.message)
    return Problem(SHEET_ITEMS, plan.row, ITEM_HEADERS.get(field_name, ""), exc.message)


def catalog_import(
    *,
    actor,
    path_or_file: IO[bytes] | str | Path,
    name: str,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import a catalog workbook: check it all (0–50 %), then apply it all in one transaction
    (50–100 %), or nothing when anything is wrong. `name` is the file's name, for the reason
    each new version gives."""
    services.require_catalog_editor(actor)
    report = _Progress(progress)
    report(0, _("Reading the workbook"))
    sheets, problems = _read_workbook(path_or_file)
    result = ImportResult(total_rows=sum(len(s.rows) for s in sheets.values() if s is not None))
    checked = 0
    checking = _("Checking")

    def tick() -> None:
        nonlocal checked
        checked += 1
        report(5 + 45 * checked / max(result.total_rows, 1), checking)

    report(5, checking)
    if sheets:
        checker = _Checker(sheets, tick)
        checker.run()
        problems += checker.problems
    if problems:
        result.problems = problems
        report(100, _("Not imported"))
        return result

    reason = _("Excel import: %(name)s") % {"name": Path(name).name}
    applying = _("Importing")
    report(50, applying)
    total = max(len(checker.plans) + len(checker.bundles), 1)
    done = 0
    try:
        with transaction.atomic():
            for plan in checker.plans:
                try:
                    _apply_item(plan, actor=actor, reason=reason, result=result, checker=checker)
                except ApplicationError as exc:
                    result.problems.append(_service_problem(plan, exc))
                    raise _Abort from exc
                done += 1
                report(50 + 50 * done / total, applying)
                if done == max(total // 2, 1):
                    # Half the items written, nothing committed: a crash here must leave none.
                    crash_point(faults.CATALOG_IMPORT)
            for bundle_plan in checker.bundles:
                try:
                    _apply_bundle(bundle_plan, actor=actor, result=result)
                except ApplicationError as exc:
                    column = BUNDLE_HEADERS.get(exc.field or "", "")
                    result.problems.append(
                        Problem(SHEET_BUNDLES, bundle_plan.row, column, exc.message)
                    )
                    raise _Abort from exc
                done += 1
                report(50 + 50 * done / total, applying)
    except _Abort:
        pass
    except IntegrityError:
        logger.warning("Catalog import clashed with a concurrent change", exc_info=True)
        result.problems.append(
            Problem(
                message=_("The catalog changed while importing. Nothing was imported; try again.")
            )
        )
    if result.problems:
        result.created = result.updated = result.unchanged = result.bundles = 0
        report(100, _("Not imported"))
        return result
    report(100, _("Imported"))
    return result


def _apply_item(plan: _ItemPlan, *, actor, reason: str, result: ImportResult, checker) -> None:
    if plan.item is None:
        services.item_create(
            actor=actor,
            reason=reason,
            data=plan.data or {},
            materials=plan.materials or [],
            steps=plan.steps or [],
            departments=checker.departments,
        )
        result.created += 1
        return
    if _item_unchanged(plan):
        result.unchanged += 1
        return
    item = services.item_update(
        actor=actor,
        item=plan.item,
        reason=reason,
        data=plan.data,
        materials=plan.materials,
        steps=plan.steps,
        departments=checker.departments,
    )
    if item.version != plan.item.version:
        result.updated += 1
    else:
        result.unchanged += 1


def _apply_bundle(plan: _BundlePlan, *, actor, result: ImportResult) -> None:
    data = plan.data
    if plan.bundle is not None and _bundle_unchanged(plan.bundle, data):
        return
    current = plan.bundle
    services.bundle_save(
        actor=actor,
        bundle=current,
        name=data["name"],
        members=data["members"].splitlines(),
        lead_department=data.get("lead_department", current.lead_department if current else None),
        description=data.get("description", current.description if current else ""),
        # Stored as the bundles always have been: separated by ";".
        aliases=";".join(_split_list(data["aliases"]))
        if "aliases" in data
        else (current.aliases if current else ""),
    )
    result.bundles += 1
