"""The supervision dashboard's numbers on a set of cases worked out by hand, its scoping by
role, its drill-down lists, and a query count that does not grow with the cases.

The county (C) has towns C1 and C2, each with two villages; the cases are owned by the villages
C1-1 and C2-1 and roll up to their towns. Today is 2026-11-24 and the period is 2026:

    case  unit  registered  accepted    due         completed   rating
    a     C1-1  2026-03-02  2026-03-02  2026-03-05  2026-03-04  5        on time, 2 working days
    b     C1-1  2026-03-06  2026-03-06  2026-03-10  2026-03-13  1        late, 5 (a weekend)
    c     C1-1  2026-04-30  2026-04-30  2026-05-08  2026-05-07  3        on time, 2 (May Day)
    d     C1-1  2026-10-26  2026-10-26  2026-11-02  open                 overdue
    e     C1-1  2026-11-20  2026-11-20  2026-12-31  open                 not overdue
    f     C2-1  2026-06-01  2026-06-01  2026-06-04  2026-06-03  2        on time, 2
    g     C2-1  2026-10-26  2026-10-26  2026-11-10  open                 overdue
    h     C2-1  2026-11-02  2026-11-02  2026-11-20  open                 overdue
    i     C2-1  2025-12-01  2025-12-01  2025-12-04  2025-12-03           another year
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from bangban.cases.models import Case, Rating
from bangban.cases.tally import tally_rebuild
from bangban.catalog.models import CoverageTarget
from bangban.feedback.models import Complaint, Rectification, RectificationState
from bangban.org.models import EIGHT_HAVES, Level, Role, StaffingMinimum, Unit
from bangban.supervision import dashboard as dash
from tests.cases.factories import case_in_state, item_of
from tests.factories import AgentFactory, UserFactory, county_tree

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 24)
YEAR = dash.Period(2026)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ)


def _d(text: str) -> date:
    return date.fromisoformat(text)


class World:
    def __init__(self):
        tree = county_tree()
        self.county, self.dept = tree["county"], tree["dept"]
        self.towns, self.villages = tree["towns"], tree["villages"]
        self.admin = UserFactory(unit=self.county, role=Role.CENTRE_ADMIN, username="centre")
        self.item = item_of(self.dept, actor=self.admin, name="食品经营许可", limit_days=3)
        self.agents = {}
        for village in (self.villages[0], self.villages[2]):
            user = UserFactory(unit=village, role=Role.AGENT, username=f"agent-{village.code}")
            AgentFactory(unit=village, user=user, name=f"代办员{village.code}")
            self.agents[village.code] = user
        self.cases: dict[str, Case] = {}

    def case(self, name, village, state, registered, due, completed=None, rating=None):
        actor = self.agents[village]
        case = case_in_state(state, actor=actor, items=[self.item])
        values = {
            "registered_at": _at(_d(registered)),
            "accepted_on": _d(registered),
            "due_date": _d(due),
        }
        if completed:
            values["completed_on"] = _d(completed)
        Case.objects.filter(pk=case.pk).update(**values)
        case.refresh_from_db()
        if rating is not None:
            Rating.objects.create(
                case=case, level=rating, source="window", rated_at=_at(_d(completed))
            )
        self.cases[name] = case
        return case


@pytest.fixture
def world(db):
    w = World()
    w.case("a", "C1-1", "delivered", "2026-03-02", "2026-03-05", "2026-03-04", rating=5)
    w.case("b", "C1-1", "delivered", "2026-03-06", "2026-03-10", "2026-03-13", rating=1)
    w.case("c", "C1-1", "delivered", "2026-04-30", "2026-05-08", "2026-05-07", rating=3)
    w.case("d", "C1-1", "in_progress", "2026-10-26", "2026-11-02")
    w.case("e", "C1-1", "in_progress", "2026-11-20", "2026-12-31")
    w.case("f", "C2-1", "delivered", "2026-06-01", "2026-06-04", "2026-06-03", rating=2)
    w.case("g", "C2-1", "in_progress", "2026-10-26", "2026-11-10")
    w.case("h", "C2-1", "in_progress", "2026-11-02", "2026-11-20")
    w.case("i", "C2-1", "delivered", "2025-12-01", "2025-12-04", "2025-12-03")
    village1, village3 = w.villages[0], w.villages[2]
    # Rectifications of the two bad ratings: C1-1's still open past its due date, C2-1's closed.
    for name, unit, state in (
        ("b", village1, RectificationState.OPEN),
        ("f", village3, RectificationState.CLOSED),
    ):
        case = w.cases[name]
        Rectification.objects.create(
            case=case,
            rating=case.rating,
            unit=unit,
            state=state,
            opened_at=_at(case.completed_on),
            due_on=date(2026, 7, 1),
        )
    # Complaints: two about C1-1 this year (one substantiated), one about C2 last year.
    for n, (unit, day, found) in enumerate(
        [
            (village1, "2026-05-01", True),
            (village1, "2026-08-01", None),
            (w.towns[1], "2025-06-01", True),
        ]
    ):
        Complaint.objects.create(
            code=f"TEST{n}",
            category="attitude",
            unit=unit,
            description="态度不好",
            contact_name="王五",
            contact_phone="13900000000",
            contact_phone_index=f"x{n}",
            created_at=_at(_d(day)),
            substantiated=found,
        )
    # Minimums: county 2 agents, town 1, village 2 (county_tree gives one agent a point, the two
    # villages with a user agent have two). Targets: county 1 item, town 1, village 2 (the one
    # item is offered everywhere).
    for level, minimum in ((Level.COUNTY, 2), (Level.TOWN, 1), (Level.VILLAGE, 2)):
        StaffingMinimum.objects.update_or_create(level=level, defaults={"minimum": minimum})
    for level, minimum in ((Level.COUNTY, 1), (Level.TOWN, 1), (Level.VILLAGE, 2)):
        CoverageTarget.objects.update_or_create(level=level, defaults={"minimum": minimum})
    # 八有: town 1 has all eight, its first village all but the ledger, the others none.
    Unit.objects.filter(pk=w.towns[0].pk).update(**{name: True for name, _l in EIGHT_HAVES})
    Unit.objects.filter(pk=village1.pk).update(
        **{name: True for name, _l in EIGHT_HAVES if name != "has_ledger"}
    )
    # The dates above were written past the services, which keep the monthly tally the
    # dashboard reads: recount it, as after a bulk load.
    tally_rebuild()
    return w


def _rows(board) -> dict:
    return {("own" if r.own else r.label): r for r in board.rows}


def test_numbers_by_unit_worked_out_by_hand(world):
    board = dash.dashboard(actor=world.admin, unit=world.county, period=YEAR, today=TODAY)
    rows = _rows(board)
    assert list(rows) == ["own", "第1镇便民服务中心", "第2镇便民服务中心"]
    t1, t2, own = rows["第1镇便民服务中心"], rows["第2镇便民服务中心"], rows["own"]
    assert (t1.opened, t1.finished, t1.on_time, t1.late, t1.overdue) == (5, 3, 2, 1, 1)
    assert t1.on_time_rate == pytest.approx(2 / 3)
    # (2 + 5 + 2) / 3: a weekend inside b, the May Day holidays inside c.
    assert t1.average_days == pytest.approx(3.0)
    assert (t2.opened, t2.finished, t2.on_time, t2.late, t2.overdue) == (3, 1, 1, 0, 2)
    assert t2.on_time_rate == 1 and t2.average_days == 2
    assert (t1.rated, t1.good, t2.rated, t2.good) == (3, 2, 1, 0)
    assert t1.good_rate == pytest.approx(2 / 3) and t2.good_rate == 0
    assert (t1.rectifications, t1.rectifications_closed, t1.rectifications_overdue) == (1, 0, 1)
    assert (t2.rectifications, t2.rectifications_closed, t2.rectifications_overdue) == (1, 1, 0)
    assert (t1.complaints, t1.complaints_substantiated, t2.complaints) == (2, 1, 0)
    # Points: the county's own (itself), each town's (the town and its two villages).
    assert (own.points, own.points_covered, own.points_staffed, own.points_eight) == (1, 1, 0, 0)
    assert (t1.points, t1.points_covered, t1.points_staffed, t1.points_eight) == (3, 1, 2, 1)
    assert (t2.points, t2.points_covered, t2.points_staffed, t2.points_eight) == (3, 1, 2, 0)
    assert own.opened == 0
    total = board.total
    assert (total.opened, total.finished, total.on_time, total.late, total.overdue) == (
        8,
        4,
        3,
        1,
        3,
    )
    assert total.average_days == pytest.approx(11 / 4)
    assert (total.points, total.points_covered, total.points_staffed, total.points_eight) == (
        7,
        3,
        4,
        1,
    )
    # Opened and finished per month of the year (case i is 2025's).
    months = {m["month"]: (m["opened"], m["finished"]) for m in board.months}
    assert months[3] == (2, 2) and months[4] == (1, 0) and months[5] == (0, 1)
    assert months[6] == (1, 1) and months[10] == (2, 0) and months[11] == (2, 0)
    assert months[12] == (0, 0)
    # Every point's 八有 and staffing.
    points = {p.unit.code: p for p in board.points}
    assert set(points) == {"C", "C1", "C2", "C1-1", "C1-2", "C2-1", "C2-2"}
    assert points["C1"].eight == 8 and points["C1-1"].missing == ["有工作台账"]
    assert (points["C1-1"].agents, points["C1-1"].minimum, points["C1-1"].staffed) == (2, 2, True)
    assert (points["C"].agents, points["C"].staffed) == (1, False)
    assert (points["C1-1"].offered, points["C1-1"].target, points["C1-1"].covered) == (1, 2, False)


def test_a_month_and_a_town(world):
    march = dash.Period(2026, 3)
    board = dash.dashboard(actor=world.admin, unit=world.towns[0], period=march, today=TODAY)
    rows = _rows(board)
    assert list(rows) == ["own", "第1镇1村便民服务站", "第1镇2村便民服务站"]
    village = rows["第1镇1村便民服务站"]
    assert (village.opened, village.finished, village.on_time, village.late) == (2, 2, 1, 1)
    # Overdue is today's, whatever the period.
    assert village.overdue == 1
    assert village.average_days == pytest.approx(3.5)


def test_by_agent_and_by_item(world):
    by_agent = dash.dashboard(
        actor=world.admin, unit=world.county, period=YEAR, group="agent", today=TODAY
    )
    rows = {r.label: (r.opened, r.finished, r.on_time, r.late, r.overdue) for r in by_agent.rows}
    # The cases are their registering agents' (case i, of 2025, counts nowhere).
    assert rows == {"代办员C1-1": (5, 3, 2, 1, 1), "代办员C2-1": (3, 1, 1, 0, 2)}
    assert by_agent.total.opened == 8
    by_item = dash.dashboard(
        actor=world.admin, unit=world.county, period=YEAR, group="item", today=TODAY
    )
    [row] = by_item.rows
    assert row.label == "食品经营许可"
    assert (row.opened, row.finished, row.on_time, row.late, row.overdue) == (8, 4, 3, 1, 3)
    assert by_item.total.opened == 8


def test_drill_down_lists(world):
    town1 = world.towns[0]
    cases = dash.drill_cases(
        actor=world.admin, unit=town1, period=YEAR, show="overdue", today=TODAY
    )
    assert [c.pk for c in cases] == [world.cases["d"].pk]
    behind = dash.drill_cases(
        actor=world.admin, unit=town1, period=YEAR, show="behind", today=TODAY
    )
    assert {c.pk for c in behind} == {world.cases["b"].pk, world.cases["d"].pk}
    late = dash.drill_cases(actor=world.admin, unit=town1, period=YEAR, show="late", today=TODAY)
    assert [c.pk for c in late] == [world.cases["b"].pk]
    opened = dash.drill_cases(
        actor=world.admin, unit=world.county, period=YEAR, show="opened", today=TODAY
    )
    assert opened.count() == 8


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


@freeze_time("2026-11-24 10:00:00+08:00")
def test_page_scoped_by_role(world, client):
    url = reverse("supervision:dashboard")
    response = _get(client, world.admin, f"{url}?year=2026")
    assert response.status_code == 200
    html = response.content.decode()
    # The charts' numbers are JSON data (json_script), their code a static file: the CSP
    # forbids inline script and style.
    assert '<script id="dashboard-data" type="application/json">' in html
    assert "js/dashboard.js" in html and "vendor/echarts/echarts.min.js" in html
    assert "<script>" not in html and 'style="' not in html
    assert "第2镇便民服务中心" in response.content.decode()
    manager = UserFactory(unit=world.towns[1], role=Role.MANAGER)
    response = _get(client, manager, f"{url}?year=2026")
    assert response.status_code == 200
    assert response.context["unit"] == world.towns[1]
    # Another town is outside the manager's area; so is its drill-down.
    assert _get(client, manager, f"{url}?unit={world.towns[0].pk}").status_code == 404
    drill = reverse("supervision:dashboard-cases")
    assert _get(client, manager, f"{drill}?unit={world.towns[0].pk}").status_code == 404
    supervisor = UserFactory(unit=world.county, role=Role.SUPERVISOR)
    assert _get(client, supervisor, url).status_code == 200
    for role in (Role.AGENT, Role.LIAISON):
        user = UserFactory(unit=world.villages[0], role=role)
        assert _get(client, user, url).status_code == 403
        assert _get(client, user, drill).status_code == 403
    applicant = UserFactory(unit=None, role=Role.APPLICANT)
    assert _get(client, applicant, url).status_code == 403


@freeze_time("2026-11-24 10:00:00+08:00")
def test_drill_down_page(world, client):
    drill = reverse("supervision:dashboard-cases")
    response = _get(client, world.admin, f"{drill}?year=2026&unit={world.towns[1].pk}&show=overdue")
    assert response.status_code == 200
    numbers = {c.number for c in response.context["page"].object_list}
    assert numbers == {world.cases["g"].number, world.cases["h"].number}
    assert _get(client, world.admin, f"{drill}?show=nonsense").status_code == 404


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@freeze_time("2026-11-24 10:00:00+08:00")
@pytest.mark.parametrize("group", ["unit", "agent", "item"])
def test_query_count_bounded(world, client, group, django_assert_max_num_queries):
    client.force_login(world.admin)
    url = f"{reverse('supervision:dashboard')}?year=2026&group={group}"
    before = _count_queries(client, url)
    for village in ("C1-1", "C2-1"):
        for n in range(3):
            world.case(
                f"more{village}{n}",
                village,
                "delivered",
                "2026-02-02",
                "2026-02-05",
                "2026-02-04",
                rating=4,
            )
            world.case(f"open{village}{n}", village, "in_progress", "2026-09-01", "2026-09-04")
    with django_assert_max_num_queries(before):
        assert client.get(url).status_code == 200
    assert before <= 40
