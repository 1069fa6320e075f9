"""`bangban catalog export|import FILE.xlsx`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from bangban.catalog.models import Item, ItemVersion
from bangban.core.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("catalog", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def exported(demo_catalog, tmp_path):
    path = tmp_path / "事项清单.xlsx"
    out, _err = run("export", str(path))
    assert "156" in out and str(path) in out
    return path


def test_export_then_import_changes_nothing(exported, catalog_admin):
    assert load_workbook(exported)["事项"].max_row == 157
    before = (ItemVersion.objects.count(), Event.objects.count())
    out, err = run("import", str(exported), "--actor", catalog_admin.username)
    assert err == ""
    lines = out.splitlines()
    # A few progress lines, then the summary.
    assert 3 <= len(lines) <= 30
    assert lines[-2].endswith("100%…")
    assert "156" in lines[-1] and "事项清单.xlsx" in lines[-1]
    assert (ItemVersion.objects.count(), Event.objects.count()) == before


def test_an_edited_workbook_is_imported(exported, catalog_admin):
    book = load_workbook(exported)
    book["事项"]["H2"] = 1
    book.save(exported)
    name = book["事项"]["B2"].value
    run("import", str(exported), "--actor", catalog_admin.username)
    assert Item.objects.get(name=name).promised_limit_days == 1


def test_problems_are_printed_and_nothing_is_imported(exported, catalog_admin):
    book = load_workbook(exported)
    book["事项"]["H5"] = "五天"
    book["事项"]["J6"] = None  # 服务对象
    book.save(exported)
    before = (Item.objects.count(), ItemVersion.objects.count(), Event.objects.count())
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command(
            "catalog",
            "import",
            str(exported),
            "--actor",
            catalog_admin.username,
            stdout=out,
            stderr=err,
        )
    assert exc.value.returncode == 1
    problems = err.getvalue().splitlines()
    assert len(problems) == 2
    assert "事项" in problems[0] and "5" in problems[0] and "承诺办理时限（工作日）" in problems[0]
    assert "6" in problems[1] and "服务对象" in problems[1]
    assert (Item.objects.count(), ItemVersion.objects.count(), Event.objects.count()) == before


def test_a_file_that_is_not_a_workbook(demo_catalog, catalog_admin, tmp_path):
    path = tmp_path / "清单.xlsx"
    path.write_text("名称,服务对象\n", encoding="utf-8")
    with pytest.raises(CommandError):
        run("import", str(path), "--actor", catalog_admin.username)


def test_the_actor_must_be_a_catalog_editor(exported, county_with_departments):
    with pytest.raises(CommandError):
        run("import", str(exported))
    with pytest.raises(CommandError):
        run("import", str(exported), "--actor", "nobody")
    agent = UserFactory(role="agent", unit=county_with_departments["county"])
    with pytest.raises(CommandError):
        run("import", str(exported), "--actor", agent.username)


def test_a_missing_file(catalog_admin, tmp_path):
    with pytest.raises(CommandError):
        run("import", str(tmp_path / "none.xlsx"), "--actor", catalog_admin.username)
