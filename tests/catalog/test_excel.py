"""Excel export and import of the whole catalog: the round trip, the bad workbooks of the issue,
all-or-nothing, progress."""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bangban.catalog import excel, services
from bangban.catalog.fields import ITEM_KEY_HEADER, SHEET_BUNDLES, SHEET_ITEMS, SHEET_MATERIALS
from bangban.catalog.models import (
    Bundle,
    BundleMember,
    Item,
    ItemVersion,
    Material,
    ProcessStep,
)
from bangban.core.errors import ValidationFailed
from bangban.core.events import events_verify
from bangban.core.models import Event
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

LIMIT = "承诺办理时限（工作日）"


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Item, Material, ProcessStep, ItemVersion, Bundle, BundleMember, Event)
    }


def snapshots() -> dict[str, dict]:
    items = Item.objects.select_related("department").prefetch_related("materials", "steps")
    return {item.code or item.name: services.item_snapshot(item) for item in items}


def bundles() -> dict[str, tuple]:
    return {
        b.name: (
            b.lead_department.name if b.lead_department else None,
            b.description,
            b.aliases,
            [(m.name, m.item.name if m.item else None) for m in b.members.all()],
        )
        for b in Bundle.objects.select_related("lead_department").prefetch_related("members__item")
    }


def export(tmp_path: Path, name: str = "catalog.xlsx") -> Path:
    path = tmp_path / name
    excel.catalog_export(path)
    return path


def run(path: Path, actor, progress=None) -> excel.ImportResult:
    return excel.catalog_import(actor=actor, path_or_file=path, name=path.name, progress=progress)


def header_index(sheet, header: str) -> int:
    return [c.value for c in sheet[1]].index(header) + 1


def find_row(sheet, header: str, value) -> int:
    column = header_index(sheet, header)
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, column).value == value:
            return row
    raise LookupError(value)


def edit(path: Path, change) -> Path:
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


def assert_nothing_imported(before: dict, result: excel.ImportResult) -> None:
    assert not result.ok
    assert counts() == before
    assert result.summary == {"created": 0, "updated": 0, "unchanged": 0, "bundles": 0}


def report_rows(result: excel.ImportResult) -> list[tuple]:
    """The problem report as a user reads it back."""
    book = load_workbook(BytesIO(excel.problems_report(result.problems)))
    sheet = book[excel.REPORT_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行", "列", "问题")
    return rows[1:]


# Export ---------------------------------------------------------------------------------------


def test_export_writes_every_sheet_in_chinese(demo_catalog, tmp_path):
    path = export(tmp_path)
    book = load_workbook(path)
    assert book.sheetnames == ["事项", "申请材料", "办理流程", "一件事"]
    items = book["事项"]
    assert items.max_row == 1 + 156
    company = find_row(items, "业务办理项目名称", "公司设立登记")
    row = {items.cell(1, c).value: items.cell(company, c).value for c in range(1, 26)}
    assert row["事项编码"] == "511A0064100070"
    assert row["事项类型"] == "行政许可"
    assert row["实施部门"] == "县行政审批服务局"
    assert row["帮办层级"] == "县" and row["代办层级"] == "县"
    assert row["是否在清单内"] == "是" and row["是否最多跑一次办理"] == "否"
    # Everyday phrasings, one cell: read back as one per line.
    company_item = Item.objects.get(code="511A0064100070")
    if company_item.aliases:
        assert row["常用说法"] == "；".join(company_item.aliases.splitlines())
    # Rows in a fixed order: items by name.
    names = [c.value for c in items["B"][1:]]
    assert names == sorted(names)
    materials = book["申请材料"]
    assert materials.max_row == 1 + 136
    assert materials.cell(1, 1).value == ITEM_KEY_HEADER
    bundle_sheet = book["一件事"]
    assert [c.value for c in bundle_sheet[1]] == [
        "一件事名称",
        "牵头部门",
        "联办事项",
        "说明",
        "常用说法",
    ]
    retirement = find_row(bundle_sheet, "一件事名称", "退休一件事")
    assert "企业职工基本养老保险正常退休申请" in bundle_sheet.cell(retirement, 3).value.split("；")


def test_text_that_looks_like_a_formula_stays_text(demo_catalog, catalog_admin, tmp_path):
    item = Item.objects.get(code="511A0064100070")
    services.item_update(actor=catalog_admin, item=item, reason="测试", data={"fees": "=1+1"})
    path = export(tmp_path)
    book = load_workbook(path)
    sheet = book["事项"]
    row = find_row(sheet, "事项编码", "511A0064100070")
    assert sheet.cell(row, header_index(sheet, "收费信息")).data_type == "s"
    before = counts()
    assert run(path, catalog_admin).summary["updated"] == 0
    assert counts() == before


# Round trip ----------------------------------------------------------------------------------


def test_reimporting_an_export_changes_nothing(demo_catalog, catalog_admin, tmp_path):
    path = export(tmp_path)
    before, items_before, bundles_before = counts(), snapshots(), bundles()
    stamps = dict(Item.objects.values_list("pk", "updated_at"))
    result = run(path, catalog_admin)
    assert result.ok, result.problems
    assert result.summary == {"created": 0, "updated": 0, "unchanged": 156, "bundles": 0}
    assert result.total_rows == 156 + 136 + 8
    assert counts() == before
    assert snapshots() == items_before
    assert bundles() == bundles_before
    # Not even touched.
    assert dict(Item.objects.values_list("pk", "updated_at")) == stamps


def test_one_edited_cell_makes_one_version(demo_catalog, catalog_admin, tmp_path):
    path = export(tmp_path)
    food = Item.objects.get(name="食品(含保健食品)经营许可核发")
    assert food.promised_limit_days == 20

    def change(book):
        sheet = book["事项"]
        sheet.cell(
            find_row(sheet, "业务办理项目名称", food.name), header_index(sheet, LIMIT)
        ).value = 15

    edit(path, change)
    before = counts()
    result = run(path, catalog_admin)
    assert result.ok, result.problems
    assert result.summary == {"created": 0, "updated": 1, "unchanged": 155, "bundles": 0}
    after = counts()
    assert after["ItemVersion"] == before["ItemVersion"] + 1
    assert after["Event"] == before["Event"] + 1
    version = ItemVersion.objects.get(item=food, number=2)
    assert version.diff == [{"field": LIMIT, "before": 20, "after": 15}]
    assert version.reason == excel._("Excel import: %(name)s") % {"name": "catalog.xlsx"}
    assert version.changed_by == catalog_admin
    assert events_verify().ok


def test_round_trip_into_an_empty_catalog(demo_catalog, catalog_admin, tmp_path):
    path = export(tmp_path)
    items_before, bundles_before = snapshots(), bundles()
    before = counts()
    # Only the departments stay.
    BundleMember.objects.all().delete()
    Bundle.objects.all().delete()
    Item.objects.update(current_version=None)
    ItemVersion.objects.all().delete()
    Item.objects.all().delete()
    assert Item.objects.count() == 0
    result = run(path, catalog_admin)
    assert result.ok, result.problems
    assert result.summary == {"created": 156, "updated": 0, "unchanged": 0, "bundles": 8}
    after = counts()
    for model in ("Item", "Material", "ProcessStep", "Bundle", "BundleMember"):
        assert after[model] == before[model], model
    assert snapshots() == items_before
    assert bundles() == bundles_before
    # And the new catalog exports to the same workbook.
    again = export(tmp_path, "again.xlsx")
    first, second = load_workbook(path), load_workbook(again)
    for name in first.sheetnames:
        assert list(first[name].values) == list(second[name].values), name


def test_materials_and_steps_are_replaced_and_bundles_saved(demo_catalog, catalog_admin, tmp_path):
    path = export(tmp_path)
    food = Item.objects.get(name="食品(含保健食品)经营许可核发")
    old_materials = list(food.materials.values_list("name", flat=True))

    def change(book):
        materials = book["申请材料"]
        # Drop the item's first material; add two steps.
        key = food.code or food.name
        for row in range(2, materials.max_row + 1):
            if materials.cell(row, 1).value == key:
                materials.delete_rows(row)
                break
        steps = book["办理流程"]
        steps.append([key, "受理", 1, "材料齐全", "受理通知书"])
        steps.append([key, "审查", 10])
        bundles_sheet = book["一件事"]
        bundles_sheet.append(
            ["开饭店一件事", "县卫生健康局", f"{food.name}；公司设立登记", "", "开饭店"]
        )

    edit(path, change)
    result = run(path, catalog_admin)
    assert result.ok, result.problems
    assert result.summary == {"created": 0, "updated": 1, "unchanged": 155, "bundles": 1}
    food.refresh_from_db()
    assert list(food.materials.values_list("name", flat=True)) == old_materials[1:]
    assert list(food.steps.values_list("name", "time_limit_days", "result")) == [
        ("受理", 1, "受理通知书"),
        ("审查", 10, ""),
    ]
    bundle = Bundle.objects.get(name="开饭店一件事")
    assert bundle.lead_department.name == "县卫生健康局"
    assert [m.item for m in bundle.members.all()] == [food, Item.objects.get(name="公司设立登记")]
    assert bundle.aliases == "开饭店"
    # And again: nothing left to change.
    before = counts()
    assert run(path, catalog_admin).summary == {
        "created": 0,
        "updated": 0,
        "unchanged": 156,
        "bundles": 0,
    }
    assert counts() == before


def test_a_partial_workbook_changes_only_what_it_names(demo_catalog, catalog_admin, tmp_path):
    """A workbook of a few columns and rows: the named items change, the rest stays."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_ITEMS
    sheet.append(["序号", "事项编码", "业务办理项目名称", "服务对象", LIMIT])
    sheet.append([1, "511A0064100070", "公司设立登记", "法人", 3])
    sheet.append([2, "", "全新的事项", "自然人", 5])
    materials = book.create_sheet(SHEET_MATERIALS)
    materials.append([ITEM_KEY_HEADER, "材料名称", "份数"])
    materials.append(["全新的事项", "身份证", 1])
    # An item the 事项 sheet leaves out: only its materials change.
    materials.append(["食品(含保健食品)经营许可核发", "食品经营许可申请书", 1])
    path = tmp_path / "partial.xlsx"
    book.save(path)
    before = snapshots()
    result = run(path, catalog_admin)
    assert result.ok, result.problems
    assert result.summary == {"created": 1, "updated": 2, "unchanged": 0, "bundles": 0}
    company = Item.objects.get(code="511A0064100070")
    assert company.promised_limit_days == 3
    assert services.item_snapshot(company)["materials"] == before["511A0064100070"]["materials"]
    new = Item.objects.get(name="全新的事项")
    assert new.target == "person" and new.is_active
    assert [(m.name, m.copies, m.required) for m in new.materials.all()] == [("身份证", 1, True)]
    food = Item.objects.get(name="食品(含保健食品)经营许可核发")
    assert list(food.materials.values_list("name", flat=True)) == ["食品经营许可申请书"]
    changed = {"511A0064100070", food.code or food.name}
    after = snapshots()
    assert {k: v for k, v in after.items() if k not in changed | {"全新的事项"}} == {
        k: v for k, v in before.items() if k not in changed
    }


# Bad workbooks: a report, nothing imported ----------------------------------------------------


@pytest.fixture
def exported(demo_catalog, tmp_path):
    return export(tmp_path)


def test_missing_column(exported, catalog_admin):
    def change(book):
        sheet = book["事项"]
        sheet.delete_cols(header_index(sheet, "服务对象"))

    before = counts()
    result = run(edit(exported, change), catalog_admin)
    assert_nothing_imported(before, result)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [("事项", 1, "服务对象")]
    assert report_rows(result) == [
        ("事项", 1, "服务对象", excel._("Column missing: add it to the first row."))
    ]


def test_non_numeric_limit(exported, catalog_admin):
    def change(book):
        sheet = book["事项"]
        sheet.cell(5, header_index(sheet, LIMIT)).value = "二十天"

    before = counts()
    result = run(edit(exported, change), catalog_admin)
    assert_nothing_imported(before, result)
    message = excel._("Enter a whole number of working days.")
    assert result.problems == [excel.Problem("事项", 5, LIMIT, message)]
    assert report_rows(result) == [("事项", 5, LIMIT, message)]
    assert result.problems[0].describe() == excel._(
        "Sheet %(sheet)s row %(row)s column %(column)s: %(message)s"
    ) % {"sheet": "事项", "row": 5, "column": LIMIT, "message": message}


def test_unknown_department(exported, catalog_admin):
    def change(book):
        sheet = book["事项"]
        sheet.cell(7, header_index(sheet, "实施部门")).value = "县不存在局"
        book["一件事"].cell(2, 2).value = "县也不存在局"

    before = counts()
    result = run(edit(exported, change), catalog_admin)
    assert_nothing_imported(before, result)
    assert report_rows(result) == [
        ("事项", 7, "实施部门", excel._("Unknown department %(name)s.") % {"name": "县不存在局"}),
        (
            "一件事",
            2,
            "牵头部门",
            excel._("Unknown department %(name)s.") % {"name": "县也不存在局"},
        ),
    ]


def test_a_department_name_two_departments_share(
    demo_catalog, catalog_admin, county_with_departments, tmp_path
):
    """When two departments share a name, the export writes their codes, and a name that does
    not say which is a problem."""
    UnitFactory(
        name="县市场监督管理局",
        code="C-sj2",
        level="department",
        parent=county_with_departments["county"],
    )
    again = export(tmp_path)
    departments = {c.value for c in load_workbook(again)["事项"]["D"][1:]}
    assert "C-D1" in departments and "县市场监督管理局" not in departments

    def change(book):
        sheet = book["事项"]
        sheet.cell(3, header_index(sheet, "实施部门")).value = "县市场监督管理局"

    before = counts()
    result = run(edit(again, change), catalog_admin)
    assert_nothing_imported(before, result)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [("事项", 3, "实施部门")]


def test_duplicate_code(exported, catalog_admin):
    def change(book):
        sheet = book["事项"]
        code = sheet.cell(3, 1).value
        assert code
        sheet.cell(9, 1).value = code

    before = counts()
    result = run(edit(exported, change), catalog_admin)
    assert_nothing_imported(before, result)
    rows = report_rows(result)
    assert [row[:3] for row in rows] == [("事项", 9, "事项编码")]
    assert "3" in rows[0][3]


def test_duplicate_name_without_code(demo_catalog, catalog_admin, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_ITEMS
    sheet.append(["业务办理项目名称", "服务对象"])
    sheet.append(["新事项", "法人"])
    sheet.append(["新事项", "法人"])
    path = tmp_path / "dup.xlsx"
    book.save(path)
    before = counts()
    result = run(path, catalog_admin)
    assert_nothing_imported(before, result)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [
        ("事项", 3, "业务办理项目名称")
    ]


def test_empty_required_field(exported, catalog_admin):
    def change(book):
        sheet = book["事项"]
        sheet.cell(4, header_index(sheet, "服务对象")).value = None
        book["申请材料"].cell(6, 2).value = "  "

    before = counts()
    result = run(edit(exported, change), catalog_admin)
    assert_nothing_imported(before, result)
    required = excel._("This field is required.")
    assert report_rows(result) == [
        ("事项", 4, "服务对象", required),
        ("申请材料", 6, "材料名称", required),
    ]


def test_materials_of_an_unknown_item(exported, catalog_admin):
    def change(book):
        book["申请材料"].append(["没有这个事项", "身份证"])

    before = counts()
    result = run(edit(exported, change), catalog_admin)
    assert_nothing_imported(before, result)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [
        ("申请材料", 138, ITEM_KEY_HEADER)
    ]


def test_every_problem_at_once(exported, catalog_admin):
    """The check goes on after the first problem: the user fixes everything in one go."""

    def change(book):
        sheet = book["事项"]
        sheet.cell(2, header_index(sheet, LIMIT)).value = "abc"
        sheet.cell(3, header_index(sheet, "事项类型")).value = "许可"
        sheet.cell(4, header_index(sheet, "帮办层级")).value = "省"
        sheet.cell(1, 30).value = "自编列"
        book["一件事"].cell(3, 3).value = "只有一个事项"

    result = run(edit(exported, change), catalog_admin)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [
        ("事项", 1, "自编列"),
        ("事项", 2, LIMIT),
        ("事项", 3, "事项类型"),
        ("事项", 4, "帮办层级"),
        ("一件事", 3, "联办事项"),
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"this is just text, saved with the wrong extension\n",
        "名称,服务对象\n公司设立登记,法人\n".encode("utf-8-sig"),
        # The start of an old binary .xls (OLE2 compound document).
        bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504,
        b"",
    ],
    ids=["text", "csv", "xls", "empty"],
)
def test_not_an_xlsx_file(demo_catalog, catalog_admin, tmp_path, content):
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(content)
    before = counts()
    progress = []
    result = run(path, catalog_admin, progress=lambda p, s: progress.append(p))
    assert_nothing_imported(before, result)
    message = excel._("The file is not a valid Excel workbook (.xlsx).")
    assert result.problems == [excel.Problem("", None, "", message)]
    assert report_rows(result) == [(None, None, None, message)]
    assert progress[-1] == 100


def test_a_workbook_without_the_items_sheet(demo_catalog, catalog_admin, tmp_path):
    book = Workbook()
    book.active.title = "Sheet1"
    path = tmp_path / "other.xlsx"
    book.save(path)
    result = run(path, catalog_admin)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [("事项", None, "")]


# All or nothing ------------------------------------------------------------------------------


def test_a_failure_while_applying_rolls_everything_back(
    demo_catalog, catalog_admin, tmp_path, monkeypatch
):
    path = export(tmp_path)

    def change(book):
        # Every item changes, so every row goes through item_update.
        sheet = book["事项"]
        column = header_index(sheet, "办理时间")
        for row in range(2, sheet.max_row + 1):
            sheet.cell(row, column).value = "周一至周五"

    edit(path, change)
    real, calls = services.item_update, []

    def failing(**kwargs):
        calls.append(kwargs["item"].pk)
        if len(calls) == 3:
            raise ValidationFailed("第三个事项出错", field="fees")
        return real(**kwargs)

    monkeypatch.setattr(services, "item_update", failing)
    before, items_before = counts(), snapshots()
    result = run(path, catalog_admin)
    assert_nothing_imported(before, result)
    assert snapshots() == items_before
    (problem,) = result.problems
    assert (problem.sheet, problem.row, problem.column, problem.message) == (
        "事项",
        4,
        "收费信息",
        "第三个事项出错",
    )
    assert events_verify().ok


def test_a_failing_bundle_rolls_back_the_items(demo_catalog, catalog_admin, tmp_path, monkeypatch):
    path = export(tmp_path)

    def change(book):
        sheet = book["事项"]
        sheet.cell(2, header_index(sheet, "办理时间")).value = "周一至周五"
        book[SHEET_BUNDLES].append(["新一件事", "", "公司设立登记；公司变更登记"])

    edit(path, change)

    def failing(**kwargs):
        raise ValidationFailed("出错", field="members")

    monkeypatch.setattr(services, "bundle_save", failing)
    before = counts()
    result = run(path, catalog_admin)
    assert_nothing_imported(before, result)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [("一件事", 10, "联办事项")]


def test_only_catalog_editors_import(demo_catalog, tmp_path):
    from bangban.core.errors import PermissionDenied
    from tests.factories import UserFactory

    path = export(tmp_path)
    with pytest.raises(PermissionDenied):
        run(path, UserFactory(role="manager"))


# Progress ------------------------------------------------------------------------------------


def test_progress_goes_forward_to_100(exported, catalog_admin):
    def change(book):
        sheet = book["事项"]
        sheet.cell(2, header_index(sheet, "办理时间")).value = "周一至周五"

    seen: list[tuple[int, str]] = []
    result = run(edit(exported, change), catalog_admin, progress=lambda p, s: seen.append((p, s)))
    assert result.ok
    percents = [p for p, _s in seen]
    assert percents == sorted(percents)
    assert percents[0] == 0 and percents[-1] == 100
    stages = list(dict.fromkeys(s for _p, s in seen))
    assert stages == [
        excel._("Reading the workbook"),
        excel._("Checking"),
        excel._("Importing"),
        excel._("Imported"),
    ]
    # Checking ends at 50 %, importing fills the rest.
    assert max(p for p, s in seen if s == excel._("Checking")) == 50
    assert min(p for p, s in seen if s == excel._("Importing")) == 50
    assert len(seen) <= 2 * 101


def test_rows_of_an_item_with_a_problem_are_not_reported_again(
    demo_catalog, catalog_admin, tmp_path
):
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_ITEMS
    sheet.append(["业务办理项目名称", "服务对象", LIMIT])
    sheet.append(["新事项", "法人", "很快"])
    materials = book.create_sheet(SHEET_MATERIALS)
    materials.append([ITEM_KEY_HEADER, "材料名称"])
    materials.append(["新事项", "申请书"])
    path = tmp_path / "new.xlsx"
    book.save(path)
    result = run(path, catalog_admin)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [("事项", 2, LIMIT)]
