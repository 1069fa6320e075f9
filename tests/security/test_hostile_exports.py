"""Formula injection and hostile text in every workbook the application writes, downloaded
through the real views and read back with openpyxl: the case ledger (XlsxWriter), the monthly
report (openpyxl), the catalog (openpyxl, write-only) and the assessment workbooks (openpyxl,
through the same helper as the monthly report).

A name beginning with = + - or @ (`=HYPERLINK("http://…","点我")`, `+1`, `-1`, `@SUM(A1)`) is
written as a string cell (data type "s") holding exactly the name: never a formula cell, and
nothing added to or taken from the value. Rare characters and emoji come back whole. There are
no CSV exports. Control characters, which the forms refuse but older data or the admin may
hold, are dropped from the cell instead of failing the export."""

import io
import random
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from bangban.cases.workflow import State
from bangban.catalog.models import Item
from bangban.core.identifiers import generate_credit_code
from bangban.core.spreadsheets import no_formulas, xlsx_row
from bangban.org.models import Role
from bangban.supervision.services_monthly import monthly_report_generate
from tests.cases.factories import case_in_state, item_of
from tests.factories import AgentFactory, UserFactory, county_tree

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://x.example","点我")', "+1", "-1", "@SUM(A1)", "=1+1"]
TEXTS = ["欧阳·娜娜𠮷㐀有限公司", "😀笑脸餐饮店", "<script>alert(1)</script>"]


@pytest.fixture(autouse=True)
def _inline(settings, tmp_path):
    """Exports run at once, in the test, with their files under a temporary media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BANGBAN_PUBLIC_URL = "https://bangban.example.gov.cn"
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }


@pytest.fixture
def world():
    tree = county_tree()
    village = tree["villages"][0]
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN, is_staff=True)
    agent = UserFactory(unit=village, role=Role.AGENT)
    AgentFactory(unit=village, user=agent)
    item = item_of(tree["dept"], actor=admin, name=FORMULAS[0], limit_days=3)
    return {
        "tree": tree,
        "admin": admin,
        "agent": agent,
        "item": item,
        "manager": UserFactory(unit=tree["towns"][0], role=Role.MANAGER),
    }


def enterprise(world, name: str, seed: int):
    """An enterprise's case (the ledger shows enterprise names unmasked)."""
    return case_in_state(
        State.REGISTERED,
        actor=world["agent"],
        items=[world["item"]],
        applicant_type="enterprise",
        category="enterprise",
        applicant={
            "applicant_name": name,
            "legal_representative": "王强",
            "phone": "0914-6321001",
        },
        credit_code=generate_credit_code(random.Random(seed)),
    )


def cells(book) -> list:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_text_cells(book, values: list[str]) -> None:
    """Each value is in a string cell, exactly; no cell of the workbook is a formula."""
    everything = cells(book)
    assert not [c.coordinate for c in everything if c.data_type == "f"]
    for value in values:
        found = [c for c in everything if c.value == value]
        assert found, value
        assert all(c.data_type == "s" for c in found), value


def test_the_ledger_writes_names_as_text(client, world, django_capture_on_commit_callbacks):
    for seed, name in enumerate(FORMULAS + TEXTS):
        enterprise(world, name, seed)
    # A person's name is masked in the ledger: a masked "=…" is still a string cell.
    case_in_state(
        State.REGISTERED,
        actor=world["agent"],
        items=[world["item"]],
        applicant={
            "applicant_name": "=HYPERLINK(1)",
            "id_number": "11010519491231002X",
            "phone": "13912345678",
        },
    )
    client.force_login(world["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("supervision:ledger"), {})
    assert response.status_code == 302, response.content.decode()[:2000]
    export_pk = int(response["Location"].rstrip("/").split("/")[-1])
    download = client.get(reverse("supervision:ledger-download", args=[export_pk]))
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert_text_cells(book, [*FORMULAS, *TEXTS, "=" + "*" * 12])
    # The item named like a formula, in the items column, is text too.
    assert_text_cells(book, [FORMULAS[0]])


def test_the_monthly_report_writes_unit_and_item_names_as_text(client, world):
    tree = world["tree"]
    village = tree["villages"][0]
    # A unit named like a formula (units are named in the admin).
    village.name = '=HYPERLINK("http://x.example","村")'
    village.save()
    case_in_state(State.REGISTERED, actor=world["agent"], items=[world["item"]])
    report = monthly_report_generate(
        actor=world["admin"], unit=tree["towns"][0], month=timezone.localdate()
    )
    client.force_login(world["admin"])
    response = client.get(reverse("supervision:monthly-xlsx", args=[report.pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert_text_cells(book, [village.name, FORMULAS[0]])


def test_a_unit_name_with_a_control_character_is_refused_in_the_admin(client, world):
    """Unit names print on every form of the unit's cases: a control character in one would
    stop them all printing (and the monthly report with them)."""
    town = world["tree"]["towns"][0]
    client.force_login(world["admin"])
    url = reverse("admin:org_unit_change", args=[town.pk])
    response = client.post(url, {"name": "第1镇\x07便民服务中心", "is_active": "on"})
    assert response.status_code == 200 and "U+0007" in response.content.decode()
    town.refresh_from_db()
    assert "\x07" not in town.name


def test_the_catalog_export_writes_item_names_as_text(client, world):
    for name in ["+1", "-1", "@SUM(A1)", TEXTS[0]]:
        item_of(world["tree"]["dept"], actor=world["admin"], name=name, limit_days=3)
    client.force_login(world["admin"])
    response = client.get(reverse("catalog-export"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert_text_cells(book, [FORMULAS[0], "+1", "-1", "@SUM(A1)", TEXTS[0]])
    assert Item.objects.filter(name=FORMULAS[0]).exists()


def test_the_openpyxl_helper_turns_formulas_and_control_characters_into_text():
    """What the monthly report and the assessment workbooks (sheet, ranking) write through."""
    book = Workbook()
    sheet = book.active
    sheet.append(xlsx_row([*FORMULAS, "单位\x07名\x1b称", 3, date(2026, 11, 1), None]))
    sheet["A2"] = FORMULAS[0]
    out = io.BytesIO()
    no_formulas(book).save(out)
    read = load_workbook(io.BytesIO(out.getvalue()))
    assert_text_cells(read, [*FORMULAS, "单位名称"])
    row = [c.value for c in read.active[1]]
    assert row[6] == 3 and row[7].date() == date(2026, 11, 1)
