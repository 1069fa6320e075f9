"""The case ledger (帮办代办服务台账) as an Excel workbook, written as a stream.

Counties keep the ledger in Excel: one row per case with its number, registration date, the
applicant (masked), the items, the kind, the agent, the unit, the acceptance, due and finishing
dates, the state and the rating. The rows come from the workbench's selector (so the same
filters and the same area apply), read in chunks of plain values and written by a write-only
workbook, so memory stays flat however many cases there are.

The sheet's own words (title, headers, the line under the title) are the county's ledger
format, written in Chinese whatever the reader's language, as the catalog workbook's headers
are; the values (states, kinds, ratings) are the translated choice labels."""

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from bangban.cases.deadlines import Warning
from bangban.cases.models import Case, CaseItem, Category, Channel, Kind, RatingLevel
from bangban.cases.selectors import CaseFilters, case_queue
from bangban.cases.workflow import State
from bangban.catalog.models import Item
from bangban.core.masking import mask_name
from bangban.org.models import Unit
from bangban.org.scoping import scope_path

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows read per query; also the bound of the `IN (…)` list that fetches a chunk's items.
CHUNK_SIZE = 1000
# The title, the line saying when and how it was exported, then the column headers.
HEADER_ROW = 3

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


@dataclass(frozen=True)
class Column:
    header: str
    width: int


# The ledger's columns in order, with their widths in characters.
COLUMNS = (
    Column("序号", 7),
    Column("办件编号", 22),
    Column("登记日期", 12),
    Column("申请人", 16),
    Column("办理事项", 40),
    Column("类型", 8),
    Column("代办员", 10),
    Column("所属单位", 24),
    Column("受理日期", 12),
    Column("办理时限", 12),
    Column("办结日期", 12),
    Column("状态", 10),
    Column("评价", 10),
)
SHEET_TITLE = "台账"
TITLE_SUFFIX = "帮办代办服务台账"
DECLINED = "拒绝评价"


def filters_to_json(filters: CaseFilters) -> dict[str, Any]:
    data = asdict(filters)
    for key in ("registered_from", "registered_to"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    return {key: value for key, value in data.items() if value not in ("", None)}


def filters_from_json(data: dict[str, Any]) -> CaseFilters:
    values = dict(data)
    for key in ("registered_from", "registered_to"):
        if values.get(key):
            values[key] = date.fromisoformat(values[key])
    return CaseFilters(**values)


def ledger_queryset(*, actor, filters: CaseFilters) -> QuerySet[Case]:
    """The cases of the ledger: the workbench's "all" queue with its filters, in the order they
    were registered."""
    return (
        case_queue(actor=actor, queue="all", filters=filters)
        .select_related(None)
        .prefetch_related(None)
        .order_by("registered_at", "pk")
    )


_FIELDS = (
    "pk",
    "number",
    "registered_at",
    "applicant_type",
    "applicant_name",
    "kind",
    "agent__name",
    "unit__name",
    "accepted_on",
    "due_date",
    "completed_on",
    "closed_at",
    "state",
    "rating__level",
    "rating__declined",
)


def _text(value: str | None) -> Any:
    """Control characters Excel refuses are dropped (a pasted name may carry one)."""
    if not value:
        return None
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _local_date(moment) -> date | None:
    return timezone.localtime(moment).date() if moment else None


class _Labels:
    """The choice labels, translated once per export rather than once per row."""

    def __init__(self):
        self.kind = {k.value: str(k.label) for k in Kind}
        self.state = {s.value: str(s.label) for s in State}
        self.rating = {r.value: str(r.label) for r in RatingLevel}


def _rows(queryset: QuerySet[Case], chunk_size: int) -> Iterator[tuple[dict, list[str]]]:
    """Each case's values with its item names; the items of a chunk come in one query."""
    chunk: list[dict] = []

    def flush() -> Iterator[tuple[dict, list[str]]]:
        names: dict[int, list[str]] = {}
        lines = (
            CaseItem.objects.filter(case_id__in=[row["pk"] for row in chunk])
            .order_by("case_id", "pk")
            .values_list("case_id", "item__name")
        )
        for case_id, name in lines:
            names.setdefault(case_id, []).append(name)
        for row in chunk:
            yield row, names.get(row["pk"], [])
        chunk.clear()

    for row in queryset.values(*_FIELDS).iterator(chunk_size=chunk_size):
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield from flush()
    if chunk:
        yield from flush()


def _row(index: int, row: dict, items: list[str], labels: _Labels) -> list[Any]:
    applicant = row["applicant_name"]
    # Enterprise and project names are public (the credit register); people's names are not.
    if row["applicant_type"] != "enterprise":
        applicant = mask_name(applicant)
    if row["rating__declined"]:
        rating = DECLINED
    else:
        rating = labels.rating.get(row["rating__level"]) if row["rating__level"] else None
    values = [
        index,
        row["number"],
        _local_date(row["registered_at"]),
        applicant,
        "、".join(items),
        labels.kind.get(row["kind"], row["kind"]),
        row["agent__name"],
        row["unit__name"],
        row["accepted_on"],
        row["due_date"],
        row["completed_on"] or _local_date(row["closed_at"]),
        labels.state.get(row["state"], row["state"]),
        rating,
    ]
    return [_text(value) if isinstance(value, str) else value for value in values]


def _safe_cells(sheet, values: list[Any]) -> list[Any]:
    """openpyxl turns a string starting with "=" into a formula: such (rare) values get a cell
    of their own typed as text."""
    out = values
    for position, value in enumerate(values):
        if isinstance(value, str) and value.startswith("="):
            if out is values:
                out = list(values)
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"
            out[position] = cell
    return out


def ledger_title(actor) -> str:
    """帮办代办服务台账 headed by the unit whose area it covers: the actor's unit, or for those who
    see everything the top unit of the tree (when there is one)."""
    unit = None
    if scope_path(actor) == "":
        roots = list(Unit.objects.filter(parent__isnull=True).order_by("pk")[:2])
        unit = roots[0] if len(roots) == 1 else getattr(actor, "unit", None)
    elif actor.unit_id:
        unit = actor.unit
    return (unit.name if unit is not None else "") + TITLE_SUFFIX


def describe_filters(filters: CaseFilters) -> str:
    """The filters in words, for the line under the title: a printed ledger says what it holds."""
    parts = []
    if filters.state:
        parts.append(f"状态：{State(filters.state).label}")
    if filters.item:
        name = Item.objects.filter(pk=filters.item).values_list("name", flat=True).first()
        parts.append(f"事项：{name or filters.item}")
    if filters.category:
        parts.append(f"类别：{Category(filters.category).label}")
    if filters.channel:
        parts.append(f"渠道：{Channel(filters.channel).label}")
    if filters.warning:
        parts.append(f"预警：{Warning(filters.warning).label}")
    if filters.registered_from or filters.registered_to:
        first = filters.registered_from.isoformat() if filters.registered_from else "…"
        last = filters.registered_to.isoformat() if filters.registered_to else "…"
        parts.append(f"登记日期：{first} 至 {last}")
    if filters.q:
        parts.append(f"查询：{filters.q}")
    return "；".join(parts) if parts else "全部办件"


def _styled(sheet, value: Any, *, font: Font, fill: PatternFill | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    cell.font = font
    cell.alignment = _CENTRE
    if fill is not None:
        cell.fill = fill
        cell.border = _BORDER
    return cell


def ledger_write(
    out: IO[bytes] | str | Path,
    *,
    actor,
    filters: CaseFilters,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Write the ledger of the cases `actor` sees that match `filters` to `out` (a path or a
    binary file). `progress(done, total)` is called after each chunk. Returns the row count.
    Queries: one count, one per chunk for the rows (a server-side cursor where the database
    has one) and one per chunk for their items — never one per row."""
    queryset = ledger_queryset(actor=actor, filters=filters)
    total = queryset.count()
    if progress is not None:
        progress(0, total)
    labels = _Labels()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    # A write-only sheet takes its layout before the first row.
    for position, column in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(position)].width = column.width
    last = get_column_letter(len(COLUMNS))
    sheet.merged_cells.add(f"A1:{last}1")
    sheet.merged_cells.add(f"A2:{last}2")
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.row_dimensions[1].height = 30

    sheet.append([_styled(sheet, ledger_title(actor), font=Font(bold=True, size=16))])
    sheet.append(
        [
            WriteOnlyCell(
                sheet,
                _text(
                    f"导出日期：{timezone.localdate().isoformat()}　"
                    f"筛选条件：{describe_filters(filters)}　共 {total} 件"
                ),
            )
        ]
    )
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    sheet.append(
        [_styled(sheet, c.header, font=Font(bold=True), fill=header_fill) for c in COLUMNS]
    )
    done = 0
    for done, (row, items) in enumerate(_rows(queryset, chunk_size), 1):
        sheet.append(_safe_cells(sheet, _row(done, row, items, labels)))
        if progress is not None and done % chunk_size == 0:
            progress(done, max(total, done))
    book.save(out)
    if progress is not None:
        progress(done, max(total, done))
    return done
