"""The monthly statistical report per town (001 §五(二)): its figures on a set of records
worked out by hand, the PDF and the workbook read back, versions, who may do what, and the
scheduled command."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from bangban.cases.area import town_id_of
from bangban.cases.models import Case, CaseItem, Consultation, Rating
from bangban.catalog.models import ItemVersion
from bangban.core.crypto import blind_index
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.models import Event
from bangban.feedback.models import Complaint, Rectification
from bangban.org.models import Level, Role, StaffingMinimum
from bangban.supervision import monthly
from bangban.supervision.models import MonthlyReport
from bangban.supervision.services_monthly import monthly_report_generate
from tests.cases.factories import item_of
from tests.documents.conftest import pdf_text, rasterise
from tests.factories import AgentFactory, UserFactory, county_tree

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
OCTOBER = date(2026, 10, 1)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    """Town 1 (C1) with villages C1-1 and C1-2, and town 2 whose records must never count.
    The figures of C1 for October 2026 are worked out by hand in the tests."""
    tree = county_tree()
    StaffingMinimum.objects.update_or_create(level=Level.TOWN, defaults={"minimum": 2})
    StaffingMinimum.objects.update_or_create(level=Level.VILLAGE, defaults={"minimum": 1})
    county, (t1, t2) = tree["county"], tree["towns"]
    v1, v2, other = tree["villages"][0], tree["villages"][1], tree["villages"][2]
    admin = UserFactory(unit=county, role=Role.CENTRE_ADMIN, username="centre")
    manager = UserFactory(unit=t1, role=Role.MANAGER, username="t1manager")
    item_a = item_of(tree["dept"], actor=admin, name="个体工商户设立登记", limit_days=3)
    item_b = item_of(tree["dept"], actor=admin, name="食品经营许可", limit_days=5)
    # Staffing: one agent everywhere from county_tree; one who left V1 in October, one who
    # starts at V2 in November and a volunteer at the town do not count.
    AgentFactory(unit=v1, active_until=date(2026, 10, 15))
    AgentFactory(unit=v2, active_from=date(2026, 11, 3))
    AgentFactory(unit=t1, post="volunteer")

    counter = iter(range(1, 1000))

    def case(unit, *, reg, state, kind="assist", items=(item_a,), **dates):
        c = Case.objects.create(
            number=f"T{next(counter):05d}",
            unit=unit,
            town_id=town_id_of(unit),
            state=state,
            kind=kind,
            proxy_scope="full" if kind == "proxy" else "",
            channel="window",
            category="personal",
            applicant_type="person",
            applicant_name="张秀英",
            phone="13912345678",
            phone_index=blind_index("13912345678", purpose="phone"),
            registered_at=reg,
            created_by=admin,
            **dates,
        )
        for item in items:
            CaseItem.objects.create(
                case=c, item=item, item_version=ItemVersion.objects.filter(item=item).last()
            )
        return c

    c1 = case(
        t1,
        reg=at(10, 3),
        state="delivered",
        accepted_on=date(2026, 10, 3),
        due_date=date(2026, 10, 10),
        completed_on=date(2026, 10, 9),
        closed_at=at(10, 11),
    )
    c2 = case(
        t1,
        reg=at(10, 8),
        state="completed",
        kind="proxy",
        accepted_on=date(2026, 10, 9),
        due_date=date(2026, 10, 15),
        completed_on=date(2026, 10, 20),
    )
    case(
        t1,
        reg=at(9, 20),
        state="in_progress",
        items=(item_b,),
        accepted_on=date(2026, 9, 21),
        due_date=date(2026, 10, 5),
    )
    case(t1, reg=at(10, 30), state="registered")
    c5 = case(
        v1,
        reg=at(10, 12),
        state="in_progress",
        kind="proxy",
        accepted_on=date(2026, 10, 12),
        due_date=date(2026, 11, 20),
    )
    c6 = case(v1, reg=at(10, 14), state="refused", items=(item_b,), closed_at=at(10, 14, 11))
    c7 = case(
        v1,
        reg=at(9, 1),
        state="archived",
        accepted_on=date(2026, 9, 2),
        due_date=date(2026, 9, 10),
        completed_on=date(2026, 9, 9),
        closed_at=at(9, 10),
    )
    case(
        v2,
        reg=at(10, 20),
        state="completed",
        items=(item_b,),
        accepted_on=date(2026, 10, 21),
        due_date=date(2026, 10, 31),
        completed_on=date(2026, 11, 2),
    )
    case(v2, reg=at(10, 31, 23, 30), state="registered", items=(item_a, item_b))
    case(v2, reg=at(11, 1, 0, 10), state="registered")
    c11 = case(
        v2,
        reg=at(10, 2),
        state="archived",
        kind="proxy",
        accepted_on=date(2026, 10, 2),
        completed_on=date(2026, 10, 25),
        closed_at=at(10, 26),
    )
    c13 = case(
        v2, reg=at(9, 2), state="delivered", completed_on=date(2026, 9, 24), closed_at=at(9, 24)
    )
    far = case(
        other,
        reg=at(10, 5),
        state="completed",
        items=(item_b,),
        accepted_on=date(2026, 10, 5),
        due_date=date(2026, 10, 6),
        completed_on=date(2026, 10, 9),
    )

    def rating(c, level, when, declined=False):
        return Rating.objects.create(
            case=c, level=level, declined=declined, source="window", rated_at=when
        )

    rating(c1, 5, at(10, 10))
    r2 = rating(c2, 2, at(10, 21))
    rating(c11, 3, at(10, 27))
    rating(c6, None, at(10, 14), declined=True)
    r7 = rating(c7, 1, at(9, 12))
    r13 = rating(c13, 1, at(9, 25))
    rating(far, 1, at(10, 10))
    Rectification.objects.create(
        case=c2, rating=r2, unit=t1, opened_at=at(10, 21), due_on=date(2026, 10, 28)
    )
    Rectification.objects.create(
        case=c7,
        rating=r7,
        unit=v1,
        state="closed",
        opened_at=at(9, 12),
        due_on=date(2026, 9, 19),
        done_at=at(9, 18),
        closed_at=at(10, 8),
    )
    Rectification.objects.create(
        case=c13,
        rating=r13,
        unit=v2,
        opened_at=at(9, 25),
        due_on=date(2026, 10, 9),
        new_due_on=date(2026, 11, 5),
        late_reason="需协调部门",
    )

    def complaint(unit, created, *, substantiated=None, concluded=None):
        return Complaint.objects.create(
            code=f"T{Complaint.objects.count():09d}",
            category="attitude",
            description="服务态度差",
            contact_name="张三",
            contact_phone="13800000000",
            contact_phone_index=blind_index("13800000000", purpose="phone"),
            unit=unit,
            created_at=created,
            substantiated=substantiated,
            concluded_at=concluded,
        )

    complaint(t1, at(10, 5), substantiated=True, concluded=at(10, 20))
    complaint(v1, at(10, 10), substantiated=False, concluded=at(10, 25))
    complaint(v2, at(9, 28), substantiated=True, concluded=at(10, 3))
    complaint(t1, at(10, 29))
    complaint(t2, at(10, 5), substantiated=True, concluded=at(10, 6))

    def consultation(unit, when, c=None):
        Consultation.objects.create(
            unit=unit,
            channel="window",
            asker="李四",
            topic="咨询",
            answer="已解答",
            occurred_at=when,
            recorded_by=admin,
            case=c,
        )

    consultation(t1, at(10, 2))
    consultation(v1, at(10, 12), c5)
    consultation(v2, at(9, 30, 23))
    consultation(t2, at(10, 3))
    return {
        "tree": tree,
        "admin": admin,
        "manager": manager,
        "t1": t1,
        "t2": t2,
        "v1": v1,
        "v2": v2,
        "county": county,
    }


def test_figures_as_worked_out_by_hand(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        f = monthly.monthly_figures(world["t1"], OCTOBER)
    assert (f["first"], f["last"], f["month"]) == ("2026-10-01", "2026-10-31", "2026-10")
    counts = {k: f["cases"][k] for k in monthly.CASE_COUNTS}
    assert counts == {
        "registered": 8,  # the 23:30 case of 31 October counts, the 00:10 one of 1 Nov not
        "accepted": 5,
        "finished": 3,
        "on_time": 2,  # one without a time limit
        "late": 1,
        "closed_unfinished": 1,  # refused
        "open_at_end": 5,  # including one completed on 2 November
        "overdue_at_end": 2,  # due 5 October, and due 31 October but done on 2 November
    }
    assert f["cases"]["on_time_rate"] == "66.7"
    tiers = {t["name"]: t for t in f["by_tier"]}
    assert list(tiers) == ["第1镇便民服务中心", "第1镇1村便民服务站", "第1镇2村便民服务站"]

    def row(name):
        return [tiers[name][k] for k in monthly.CASE_COUNTS]

    assert row("第1镇便民服务中心") == [3, 2, 2, 1, 1, 0, 2, 1]
    assert row("第1镇1村便民服务站") == [2, 1, 0, 0, 0, 1, 1, 0]
    assert row("第1镇2村便民服务站") == [3, 2, 1, 1, 0, 0, 2, 1]
    assert tiers["第1镇便民服务中心"]["own"] and not tiers["第1镇1村便民服务站"]["own"]
    kinds = {k["kind"]: [k[c] for c in monthly.CASE_COUNTS] for k in f["by_kind"]}
    assert kinds == {"assist": [5, 2, 1, 1, 0, 1, 4, 2], "proxy": [3, 3, 2, 1, 1, 0, 1, 0]}
    assert [(i["name"], i["count"]) for i in f["top_items"]] == [
        ("个体工商户设立登记", 6),
        ("食品经营许可", 3),
    ]
    assert f["ratings"] == {
        "rated": 3,
        "good": 2,
        "bad": 1,
        "very_bad": 0,
        "declined": 1,
        "good_rate": "66.7",
    }
    assert f["rectifications"] == {"opened": 1, "closed": 1, "open_at_end": 2, "overdue_at_end": 1}
    assert f["complaints"] == {"received": 3, "concluded": 3, "substantiated": 2}
    assert f["consultations"] == {"total": 2, "became_cases": 1}
    assert [(t["agents"], t["minimum"], t["short"]) for t in f["by_tier"]] == [
        (1, 2, 1),
        (1, 1, 0),
        (1, 1, 0),
    ]
    assert f["staffing"] == {"agents": 3, "short": 1, "units_short": 1}
    # The other town sees only its own: one case, finished late.
    other = monthly.monthly_figures(world["t2"], OCTOBER)
    assert other["cases"]["registered"] == 1 and other["cases"]["late"] == 1
    assert other["complaints"]["substantiated"] == 1


def test_pdf_and_workbook(world):
    report = monthly_report_generate(
        actor=world["admin"], unit=world["t1"], month=date(2026, 10, 17)
    )
    assert report.month == OCTOBER and report.version == 1
    assert report.generated_by == world["admin"]
    pdf = report.pdf.read()
    assert pdf.startswith(b"%PDF")
    rasterise(pdf, "monthly-report")
    text = "".join(pdf_text(pdf).split())  # a long name may wrap in its cell
    for expected in (
        "第1镇便民服务中心",
        "第1镇1村便民服务站",
        "第1镇2村便民服务站",
        "2026-10-01",
        "2026-10-31",
        "个体工商户设立登记",
        "66.7",
    ):
        assert expected in text
    assert "第2镇" not in text
    assert report.content_sha256 in text
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == report.pdf_sha256
    data = report.xlsx.read()
    assert hashlib.sha256(data).hexdigest() == report.xlsx_sha256
    book = load_workbook(io.BytesIO(data))
    assert len(book.worksheets) == 4
    summary, tiers, kinds, items = book.worksheets
    assert "第1镇便民服务中心" in summary["A1"].value
    assert summary["A2"].font.bold
    assert summary["B3"].value == "第1镇便民服务中心"
    assert [summary.cell(row=r, column=2).value for r in range(5, 14)] == [
        8,
        5,
        3,
        2,
        1,
        66.7,
        1,
        5,
        2,
    ]
    assert tiers["A1"].font.bold
    assert [c.value for c in tiers[2]][:11] == [
        "第1镇便民服务中心",
        tiers["B2"].value,
        3,
        2,
        2,
        1,
        1,
        50,
        0,
        2,
        1,
    ]
    assert [c.value for c in tiers[4]][-3:] == [1, 1, 0]
    assert tiers.cell(row=2, column=12).value == 1 and tiers.cell(row=2, column=14).value == 1
    assert kinds.max_row == 3
    assert [(r[1], r[2]) for r in items.iter_rows(min_row=2, values_only=True)] == [
        ("个体工商户设立登记", 6),
        ("食品经营许可", 3),
    ]
    event = Event.objects.get(action="monthly_report.generate")
    assert event.actor == world["admin"] and event.after["version"] == 1
    assert event.unit_path == world["t1"].path


def test_regenerating_keeps_the_earlier_versions(world):
    first = monthly_report_generate(actor=world["manager"], unit=world["t1"], month=OCTOBER)
    Rating.objects.filter(level=2).update(level=4)  # the record changed since
    second = monthly_report_generate(actor=world["manager"], unit=world["t1"], month=OCTOBER)
    assert (first.version, second.version) == (1, 2)
    assert MonthlyReport.objects.filter(unit=world["t1"], month=OCTOBER).count() == 2
    first.refresh_from_db()
    assert first.figures["ratings"]["bad"] == 1 and second.figures["ratings"]["bad"] == 0
    assert first.content_sha256 != second.content_sha256
    assert first.pdf.name != second.pdf.name and first.pdf.read().startswith(b"%PDF")


def test_refusals(world):
    with pytest.raises(ValidationFailed, match="不是乡（镇）便民服务中心"):
        monthly_report_generate(actor=world["admin"], unit=world["v1"], month=OCTOBER)
    with pytest.raises(ValidationFailed):
        monthly_report_generate(actor=world["admin"], unit=world["tree"]["dept"], month=OCTOBER)
    with pytest.raises(ValidationFailed):
        monthly_report_generate(actor=world["admin"], unit=world["t1"], month=date(2999, 1, 1))
    with pytest.raises(PermissionDenied):
        monthly_report_generate(actor=world["manager"], unit=world["t2"], month=OCTOBER)
    supervisor = UserFactory(unit=world["county"], role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        monthly_report_generate(actor=supervisor, unit=world["t1"], month=OCTOBER)
    assert not MonthlyReport.objects.exists()
    # the current month is allowed
    current = monthly_report_generate(
        actor=world["admin"], unit=world["t1"], month=timezone.localdate()
    )
    assert current.month == timezone.localdate().replace(day=1)


def test_page_by_role(world, client):
    url = "/supervision/monthly/"
    t1, t2 = world["t1"], world["t2"]
    # The centre: every town, one and all.
    client.force_login(world["admin"])
    page = client.get(url, {"month": "2026-10"})
    assert page.status_code == 200
    assert (
        "第1镇便民服务中心" in page.content.decode()
        and "第2镇便民服务中心" in page.content.decode()
    )
    assert 'data-testid="monthly-generate-all"' in page.content.decode()
    response = client.post(url, {"month": "2026-10", "unit": "all"})
    assert response.status_code == 302 and response["Location"].endswith("?month=2026-10")
    assert MonthlyReport.objects.filter(month=OCTOBER).count() == 2
    t2_report = MonthlyReport.objects.get(unit=t2)
    assert client.get(f"/supervision/monthly/{t2_report.pk}/report.pdf").status_code == 200
    # The town's manager: their town only.
    client.force_login(world["manager"])
    page = client.get(url, {"month": "2026-10"}).content.decode()
    assert "第1镇便民服务中心" in page and "第2镇便民服务中心" not in page
    assert 'data-testid="monthly-generate-all"' not in page
    assert client.post(url, {"month": "2026-10", "unit": t1.pk}).status_code == 302
    assert MonthlyReport.objects.filter(unit=t1).count() == 2
    assert client.post(url, {"month": "2026-10", "unit": t2.pk}).status_code == 404
    assert client.post(url, {"month": "2026-10", "unit": "all"}).status_code == 302
    assert MonthlyReport.objects.filter(unit=t2).count() == 1  # "all" is their one town
    assert client.get(f"/supervision/monthly/{t2_report.pk}/report.pdf").status_code == 404
    mine = MonthlyReport.objects.filter(unit=t1).order_by("version").last()
    response = client.get(f"/supervision/monthly/{mine.pk}/report.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    # Supervisors read but do not make.
    client.force_login(UserFactory(unit=world["county"], role=Role.SUPERVISOR))
    page = client.get(url, {"month": "2026-10"}).content.decode()
    assert 'data-testid="monthly-generate"' not in page and "Excel" in page
    assert client.post(url, {"month": "2026-10", "unit": t1.pk}).status_code == 403
    assert client.get(f"/supervision/monthly/{t2_report.pk}/report.pdf").status_code == 200
    # An agent, a village's manager: nothing.
    for user in (
        UserFactory(unit=world["v1"], role=Role.AGENT),
        UserFactory(unit=world["v1"], role=Role.MANAGER),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get(f"/supervision/monthly/{mine.pk}/report.pdf").status_code == 404
    # A future month is refused with a message, nothing made.
    client.force_login(world["admin"])
    before = MonthlyReport.objects.count()
    response = client.post(url, {"month": "2999-01", "unit": t1.pk}, follow=True)
    assert MonthlyReport.objects.count() == before
    assert "alert-error" in response.content.decode() or "alert-danger" in response.content.decode()


def test_the_command_makes_each_town_once(world):
    out = io.StringIO()
    call_command("monthly_reports", month="2026-10", stdout=out)
    reports = MonthlyReport.objects.filter(month=OCTOBER)
    assert reports.count() == 2 and set(reports.values_list("version", flat=True)) == {1}
    assert all(r.generated_by is None for r in reports)
    events = Event.objects.filter(action="monthly_report.generate")
    assert events.count() == 2
    assert {(e.actor_id, e.actor_label, e.after["scheduled"]) for e in events} == {
        (None, "system", True)
    }
    assert "第1镇便民服务中心\t2026-10\tv1" in out.getvalue()
    call_command("monthly_reports", month="2026-10", stdout=io.StringIO())
    assert MonthlyReport.objects.count() == 2
    call_command(
        "monthly_reports", month="2026-10", force=True, actor="centre", stdout=io.StringIO()
    )
    assert MonthlyReport.objects.count() == 4
    assert set(MonthlyReport.objects.filter(version=2).values_list("generated_by", flat=True)) == {
        world["admin"].pk
    }


def test_the_command_defaults_to_the_previous_month(world):
    call_command("monthly_reports", stdout=io.StringIO())
    expected = monthly.month_previous(timezone.localdate().replace(day=1))
    assert set(MonthlyReport.objects.values_list("month", flat=True)) == {expected}
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("monthly_reports", month="2026-13", stdout=io.StringIO())
