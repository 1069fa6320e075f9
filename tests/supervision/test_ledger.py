"""The ledger workbook: its title, headers and rows, masking, the workbench's filters and each
role's area, and a query count that does not grow with the rows."""

import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from bangban.cases.models import Case
from bangban.cases.selectors import CaseFilters
from bangban.cases.workflow import State
from bangban.supervision import ledger
from tests.cases.factories import PERSON, case_in_state

pytestmark = pytest.mark.django_db

HEADERS = [
    "序号",
    "办件编号",
    "登记日期",
    "申请人",
    "办理事项",
    "类型",
    "代办员",
    "所属单位",
    "受理日期",
    "办理时限",
    "办结日期",
    "状态",
    "评价",
]


@pytest.fixture
def cases(area):
    village1, village2 = area["agents"]
    item1, item2 = area["items"]
    return {
        "open": case_in_state(State.REGISTERED, actor=village1, items=[item1, item2]),
        "archived": case_in_state(State.ARCHIVED, actor=village1, items=[item1], kind="proxy"),
        "other_village": case_in_state(State.IN_PROGRESS, actor=village2, items=[item2]),
    }


def export(tmp_path, actor, filters=None, **kwargs):
    path = tmp_path / "ledger.xlsx"
    count = ledger.ledger_write(path, actor=actor, filters=filters or CaseFilters(), **kwargs)
    sheet = load_workbook(path).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return count, sheet, rows


def numbers(rows):
    return [row[1] for row in rows[ledger.HEADER_ROW :]]


def test_title_headers_and_layout(tmp_path, area, cases):
    _, sheet, rows = export(tmp_path, area["supervisor"])
    assert rows[0][0] == "测试县政务服务中心帮办代办服务台账"
    assert timezone.localdate().isoformat() in rows[1][0]
    assert "共 3 件" in rows[1][0]
    assert rows[2] == HEADERS
    assert sheet.freeze_panes == "A4"
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:M1", "A2:M2"}
    assert sheet.column_dimensions["E"].width == 40
    assert sheet["A3"].font.bold


def test_rows_hold_the_case_fields(tmp_path, area, cases):
    _, _, rows = export(tmp_path, area["supervisor"])
    by_number = {row[1]: row for row in rows[3:]}
    assert list(by_number) == [c.number for c in cases.values()]  # in registration order
    open_case = by_number[cases["open"].number]
    assert open_case[0] == 1
    assert open_case[2].date() == timezone.localdate()
    assert open_case[4] == "个体工商户登记、食品经营许可"
    assert open_case[5:8] == ["帮办", "村代办员1", "第1镇1村便民服务站"]
    assert open_case[8:11] == [None, None, None]
    assert open_case[11:] == ["已登记", None]
    archived = cases["archived"]
    row = by_number[archived.number]
    assert row[5] == "代办"
    assert row[8].date() == archived.accepted_on
    assert row[9].date() == archived.due_date
    assert row[10].date() == archived.completed_on
    assert row[11:] == ["已归档", "非常满意"]
    assert by_number[cases["other_village"].number][11] == "办理中"


def test_the_applicant_is_masked(tmp_path, area, cases):
    _, _, rows = export(tmp_path, area["supervisor"])
    assert {row[3] for row in rows[3:]} == {"张**"}
    text = repr(rows)
    assert PERSON["applicant_name"] not in text
    assert PERSON["id_number"] not in text and PERSON["phone"] not in text


def test_a_village_agent_exports_only_their_cases(tmp_path, area, cases):
    count, _, rows = export(tmp_path, area["agents"][0])
    assert count == 2
    assert numbers(rows) == [cases["open"].number, cases["archived"].number]
    assert rows[0][0] == "第1镇1村便民服务站帮办代办服务台账"


def test_each_role_sees_its_area(tmp_path, area, cases):
    assert export(tmp_path, area["agents"][1])[0] == 1
    assert export(tmp_path, area["manager"])[0] == 3
    assert export(tmp_path, area["supervisor"])[0] == 3
    assert export(tmp_path, area["applicant"])[0] == 0


def test_the_workbench_filters_apply(tmp_path, area, cases):
    item2 = area["items"][1]
    supervisor = area["supervisor"]
    today = timezone.localdate()
    by_state = export(tmp_path, supervisor, CaseFilters(state=State.ARCHIVED))[2]
    assert numbers(by_state) == [cases["archived"].number]
    assert "状态：已归档" in by_state[1][0]
    by_item = export(tmp_path, supervisor, CaseFilters(item=item2.pk))[2]
    assert numbers(by_item) == [cases["open"].number, cases["other_village"].number]
    assert "事项：食品经营许可" in by_item[1][0]
    by_text = export(tmp_path, supervisor, CaseFilters(q=cases["archived"].number))[2]
    assert numbers(by_text) == [cases["archived"].number]
    assert export(tmp_path, supervisor, CaseFilters(channel="online"))[0] == 0
    assert export(tmp_path, supervisor, CaseFilters(category="personal"))[0] == 3
    in_range = CaseFilters(registered_from=today, registered_to=today)
    assert export(tmp_path, supervisor, in_range)[0] == 3
    before = CaseFilters(registered_to=today - timedelta(days=1))
    assert export(tmp_path, supervisor, before)[0] == 0
    assert export(tmp_path, supervisor, CaseFilters(warning="overdue"))[0] == 0


def test_text_is_never_a_formula(tmp_path, area):
    case = case_in_state(
        State.REGISTERED,
        actor=area["agents"][0],
        items=area["items"][:1],
        applicant={**PERSON, "applicant_name": "=HYPERLINK(1)"},
    )
    path = tmp_path / "ledger.xlsx"
    ledger.ledger_write(path, actor=area["supervisor"], filters=CaseFilters())
    cell = load_workbook(path).active["D4"]
    assert (cell.value, cell.data_type) == ("=************", "s")
    assert case.number == load_workbook(path).active["B4"].value


@pytest.mark.parametrize("name", ["=1+1", "+86 cmd", "-2+3", "@SUM(A1)"])
def test_unmasked_text_starting_like_a_formula_stays_text(tmp_path, area, name):
    # An enterprise's name is shown in full, so it reaches the sheet as typed; every text cell
    # is written as a string, never as a formula or a number.
    case = case_in_state(State.REGISTERED, actor=area["agents"][0], items=area["items"][:1])
    Case.objects.filter(pk=case.pk).update(applicant_type="enterprise", applicant_name=name)
    _, sheet, _ = export(tmp_path, area["supervisor"])
    assert (sheet["D4"].value, sheet["D4"].data_type) == (name, "s")


def test_control_characters_are_dropped(tmp_path, area):
    case = case_in_state(State.REGISTERED, actor=area["agents"][0], items=area["items"][:1])
    Case.objects.filter(pk=case.pk).update(applicant_type="enterprise", applicant_name="某\x07公司")
    _, sheet, _ = export(tmp_path, area["supervisor"])
    assert sheet["D4"].value == "某公司"


def test_the_county_format(tmp_path, area, cases):
    # What a county's printed ledger relies on: every column's width, the header repeated on
    # each printed page, the styles of the title and the headers, dates as Excel dates.
    _, sheet, _ = export(tmp_path, area["supervisor"])
    widths = {}
    for dimension in sheet.column_dimensions.values():
        for position in range(dimension.min, dimension.max + 1):
            widths[position] = dimension.width
    assert widths == {n: c.width for n, c in enumerate(ledger.COLUMNS, 1)}
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.row_dimensions[1].height == 30
    title = sheet["A1"]
    assert (title.font.bold, title.font.sz, title.alignment.horizontal) == (True, 16, "center")
    for header in sheet[ledger.HEADER_ROW]:
        assert header.font.bold and header.alignment.horizontal == "center"
        assert (header.fill.fill_type, header.fill.fgColor.rgb[2:]) == ("solid", "DDEBF7")
        assert header.border.bottom.style == "thin"
    archived = next(r for r in sheet.iter_rows(min_row=4) if r[1].value == cases["archived"].number)
    for cell in (archived[2], archived[8], archived[9], archived[10]):
        assert (cell.is_date, cell.number_format) == (True, "yyyy-mm-dd")
    assert archived[0].data_type == "n"


def test_the_workbook_streams_its_strings(tmp_path, area, cases):
    # Written in constant-memory mode: each string sits in its cell (inline), so there is no
    # shared-string table that would grow with the rows until the end.
    path = tmp_path / "ledger.xlsx"
    ledger.ledger_write(path, actor=area["supervisor"], filters=CaseFilters())
    with zipfile.ZipFile(path) as archive:
        assert "xl/sharedStrings.xml" not in archive.namelist()
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet.count('t="inlineStr"') > len(ledger.COLUMNS)


def test_queries_do_not_grow_with_the_rows(tmp_path, area, cases, django_assert_num_queries):
    # The count, the title's unit, the rows (one cursor, read in chunks) and one query per
    # chunk for the chunk's items: two chunks of two for three rows.
    progress = []
    path = tmp_path / "ledger.xlsx"
    with django_assert_num_queries(5):
        count = ledger.ledger_write(
            path,
            actor=area["supervisor"],
            filters=CaseFilters(),
            chunk_size=2,
            progress=lambda done, total: progress.append((done, total)),
        )
    assert count == 3
    assert progress == [(0, 3), (2, 3), (3, 3)]


def test_filters_round_trip_through_json():
    filters = CaseFilters(state="accepted", item=3, registered_from=timezone.localdate(), q="张")
    data = ledger.filters_to_json(filters)
    assert data == {
        "state": "accepted",
        "item": 3,
        "registered_from": timezone.localdate().isoformat(),
        "q": "张",
    }
    assert ledger.filters_from_json(data) == filters
