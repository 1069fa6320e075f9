"""The case ledger (帮办代办服务台账) as an Excel workbook, written as a stream.

Counties keep the ledger in Excel: one row per case with its number, registration date, the
applicant (masked), the items, the kind, the agent, the unit, the acceptance, due and finishing
dates, the state and the rating. The rows come from the workbench's selector (so the same
filters and the same area apply), read in chunks of plain values and written by XlsxWriter in
its constant-memory mode (each row goes to a temporary file as soon as the next one starts), so
memory stays flat however many cases there are.

XlsxWriter rather than openpyxl's write-only workbook: openpyxl builds a cell object and an XML
element per cell, which made up three quarters of a 100,000-row export (issue 8); XlsxWriter
writes each cell as a string straight into the sheet's XML, several times faster. The styles
are a handful of shared formats made once per workbook, never one per cell.

The sheet's own words (title, headers, the line under the title) are the county's ledger
format, written in Chinese whatever the reader's language, as the catalog workbook's headers
are; the values (states, kinds, ratings) are the translated choice labels."""

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from xlsxwriter import Workbook

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

# Control characters Excel refuses (the set openpyxl refuses too); XlsxWriter would write them
# as _xHHHH_ escapes, which a reader sees as text, so they are dropped instead.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# Excel's column width unit is the width of a digit of the default font (Calibri 11: 7 pixels);
# widths are given in pixels so that the stored width is exactly the column's width in
# characters, as openpyxl wrote it (XlsxWriter's character widths add the cell padding).
_DIGIT_PIXELS = 7
_DATE_FORMAT = "yyyy-mm-dd"


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
# Excel's 1900 date system counts days from 1899-12-30 (its phantom 1900-02-29 included).
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()


def _text(value: str | None) -> str | None:
    """Control characters Excel refuses are dropped (a pasted name may carry one)."""
    if not value:
        return None
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _excel_day(day: date | datetime) -> int:
    """The (local) date as Excel's serial day number: what a date cell holds, shown through a
    date format. Computed here rather than by XlsxWriter's datetime conversion, which costs
    several times more and would run for up to four cells of every row."""
    return day.toordinal() - _EXCEL_EPOCH


class _Labels:
    """The choice labels, translated once per export rather than once per row."""

    def __init__(self):
        self.kind = {k.value: str(k.label) for k in Kind}
        self.state = {s.value: str(s.label) for s in State}
        self.rating = {r.value: str(r.label) for r in RatingLevel}


def _rows(queryset: QuerySet[Case], chunk_size: int) -> Iterator[tuple[tuple, list[str]]]:
    """Each case's values (a tuple in the order of `_FIELDS`) with its item names; the items
    of a chunk come in one query."""
    chunk: list[tuple] = []

    def flush() -> Iterator[tuple[tuple, list[str]]]:
        names: dict[int, list[str]] = {}
        lines = (
            CaseItem.objects.filter(case_id__in=[row[0] for row in chunk])
            .order_by("case_id", "pk")
            .values_list("case_id", "item__name")
        )
        for case_id, name in lines:
            names.setdefault(case_id, []).append(name)
        for row in chunk:
            yield row, names.get(row[0], [])
        chunk.clear()

    for row in queryset.values_list(*_FIELDS).iterator(chunk_size=chunk_size):
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield from flush()
    if chunk:
        yield from flush()


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
    # constant_memory: each row is written out when the next one starts (rows go in order);
    # strings are written in the cell (inline) rather than into a shared table held in memory.
    book = Workbook(str(out) if isinstance(out, Path) else out, {"constant_memory": True})
    done = _write_sheet(book, queryset, actor, filters, total, labels, progress, chunk_size)
    book.close()
    if progress is not None:
        progress(done, max(total, done))
    return done


def _write_sheet(
    book: Workbook,
    queryset: QuerySet[Case],
    actor,
    filters: CaseFilters,
    total: int,
    labels: _Labels,
    progress: Callable[[int, int], None] | None,
    chunk_size: int,
) -> int:
    """The sheet: layout first (XlsxWriter's constant-memory mode takes rows in order), then
    the title, the line under it, the headers and a row per case. Returns the row count."""
    centred = {"align": "center", "valign": "vcenter", "text_wrap": True}
    title_format = book.add_format({**centred, "bold": True, "font_size": 16})
    header_format = book.add_format(
        {**centred, "bold": True, "bg_color": "#DDEBF7", "pattern": 1}
        | {"border": 1, "border_color": "#808080"}
    )
    # Dates are Excel dates (sortable, filterable), shown as ISO dates.
    day_format = book.add_format({"num_format": _DATE_FORMAT})

    sheet = book.add_worksheet(SHEET_TITLE)
    for position, column in enumerate(COLUMNS):
        sheet.set_column_pixels(position, position, column.width * _DIGIT_PIXELS)
    last = len(COLUMNS) - 1
    sheet.freeze_panes(HEADER_ROW, 0)
    sheet.repeat_rows(HEADER_ROW - 1)
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, last, _text(ledger_title(actor)), title_format)
    sheet.merge_range(
        1,
        0,
        1,
        last,
        _text(
            f"导出日期：{timezone.localdate().isoformat()}　"
            f"筛选条件：{describe_filters(filters)}　共 {total} 件"
        ),
    )
    for position, column in enumerate(COLUMNS):
        sheet.write_string(HEADER_ROW - 1, position, column.header, header_format)

    # The innermost loop, run for every case: the writers bound once, each cell written with
    # the call for its type. Text always goes through write_string, which never makes a
    # formula, so a value starting with = + - @ stays the text it is (no formula injection).
    text, number = sheet.write_string, sheet.write_number
    zone = timezone.get_current_timezone()
    kinds, states, ratings = labels.kind, labels.state, labels.rating
    row_number = HEADER_ROW - 1
    done = 0
    for done, (values, items) in enumerate(_rows(queryset, chunk_size), 1):
        (
            _pk,
            case_number,
            registered_at,
            applicant_type,
            applicant,
            kind,
            agent,
            unit,
            accepted_on,
            due_date,
            completed_on,
            closed_at,
            state,
            level,
            declined,
        ) = values
        row_number += 1
        number(row_number, 0, done)
        text(row_number, 1, case_number)
        number(row_number, 2, _excel_day(registered_at.astimezone(zone)), day_format)
        # Enterprise and project names are public (the credit register); people's names are not.
        if applicant_type != "enterprise":
            applicant = mask_name(applicant)
        if applicant := _text(applicant):
            text(row_number, 3, applicant)
        if items and (names := _text("、".join(items))):
            text(row_number, 4, names)
        text(row_number, 5, kinds.get(kind, kind))
        if agent := _text(agent):
            text(row_number, 6, agent)
        if unit := _text(unit):
            text(row_number, 7, unit)
        if accepted_on:
            number(row_number, 8, _excel_day(accepted_on), day_format)
        if due_date:
            number(row_number, 9, _excel_day(due_date), day_format)
        if completed_on or closed_at:
            finished = completed_on or closed_at.astimezone(zone)
            number(row_number, 10, _excel_day(finished), day_format)
        text(row_number, 11, states.get(state, state))
        if declined:
            text(row_number, 12, DECLINED)
        elif level and (rating := ratings.get(level)):
            text(row_number, 12, rating)
        if progress is not None and done % chunk_size == 0:
            progress(done, max(total, done))
    return done
