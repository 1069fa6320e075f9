"""The centre's overdue board: every open case past its due date in the actor's area, the
longest overdue first, with the counts per unit, in a bounded number of queries."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from bangban.cases.models import Case
from bangban.org.models import Role
from bangban.supervision import dashboard as dash
from tests.cases.factories import case_in_state, item_of
from tests.factories import AgentFactory, UserFactory, county_tree

TODAY = date(2026, 11, 24)  # a Tuesday


@pytest.fixture
def world(db):
    tree = county_tree()
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    item = item_of(tree["dept"], actor=admin, name="食品经营许可", limit_days=3)
    agents = {}
    for village in (tree["villages"][0], tree["villages"][2]):
        user = UserFactory(unit=village, role=Role.AGENT)
        AgentFactory(unit=village, user=user, name=f"代办员{village.code}")
        agents[village.code] = user

    def case(village, state, due, supervised=False):
        c = case_in_state(state, actor=agents[village], items=[item])
        values = {"due_date": due}
        if supervised:
            values["supervised_at"] = timezone.now()
        Case.objects.filter(pk=c.pk).update(**values)
        return c

    cases = {
        # Overdue: 2026-11-20 (Fri) is 2 working days ago, 2026-11-10 is 10, 2026-11-23 is 1.
        "week": case("C1-1", "in_progress", date(2026, 11, 20), supervised=True),
        "fortnight": case("C2-1", "paused", date(2026, 11, 10)),
        "yesterday": case("C2-1", "accepted", date(2026, 11, 23)),
        # Not overdue: due today, due later, or finished.
        "today": case("C1-1", "in_progress", TODAY),
        "later": case("C1-1", "in_progress", date(2026, 12, 1)),
        "done": case("C1-1", "delivered", date(2026, 11, 2)),
    }
    return {**tree, "admin": admin, "cases": cases, "case": case, "agents": agents}


def test_board_lists_overdue_longest_first(world):
    cases = list(dash.overdue_cases(actor=world["admin"], today=TODAY))
    expected = [world["cases"][k].pk for k in ("fortnight", "week", "yesterday")]
    assert [c.pk for c in cases] == expected
    days = dash.days_overdue([c.due_date for c in cases], TODAY)
    assert [days[c.due_date] for c in cases] == [10, 2, 1]
    per_unit = dash.overdue_by_unit(dash.overdue_cases(actor=world["admin"], today=TODAY))
    assert [(u["unit__name"], u["n"]) for u in per_unit] == [
        ("第2镇1村便民服务站", 2),
        ("第1镇1村便民服务站", 1),
    ]


@freeze_time("2026-11-24 10:00:00+08:00")
def test_board_page(world, client):
    client.force_login(world["admin"])
    response = client.get(reverse("supervision:overdue"))
    assert response.status_code == 200
    page = response.context["page"]
    rows = [(c.number, c.days_overdue, bool(c.supervised_at)) for c in page.object_list]
    numbers = {k: world["cases"][k].number for k in world["cases"]}
    assert rows == [
        (numbers["fortnight"], 10, False),
        (numbers["week"], 2, True),
        (numbers["yesterday"], 1, False),
    ]
    html = response.content.decode()
    assert "第2镇1村便民服务站：2" in html
    assert f'href="/cases/{world["cases"]["week"].pk}/"' in html


@freeze_time("2026-11-24 10:00:00+08:00")
def test_board_scoped_by_role(world, client):
    url = reverse("supervision:overdue")
    manager = UserFactory(unit=world["towns"][0], role=Role.MANAGER)
    client.force_login(manager)
    response = client.get(url)
    assert [c.pk for c in response.context["page"].object_list] == [world["cases"]["week"].pk]
    client.force_login(UserFactory(unit=world["county"], role=Role.SUPERVISOR))
    assert len(client.get(url).context["page"].object_list) == 3
    for role in (Role.AGENT, Role.LIAISON):
        client.force_login(UserFactory(unit=world["villages"][0], role=role))
        assert client.get(url).status_code == 403


@freeze_time("2026-11-24 10:00:00+08:00")
def test_board_query_count_does_not_grow(world, client, django_assert_max_num_queries):
    client.force_login(world["admin"])
    url = reverse("supervision:overdue")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    before = len(queries)
    for n in range(5):
        world["case"]("C1-1", "in_progress", date(2026, 11, 2 + n))
    with django_assert_max_num_queries(before):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 8
    assert before <= 15
