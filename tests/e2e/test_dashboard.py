"""A centre administrator opens the supervision dashboard: the charts are drawn (a canvas in
each chart's container, no console error, so nothing broke the CSP), and the town's on-time
rate drills down to that town's overdue cases and no other's."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bangban.cases.models import Case
from bangban.org.models import Role
from tests.cases.factories import case_in_state, item_of
from tests.e2e.test_cases import _log_in, _problems
from tests.factories import AgentFactory, UserFactory, county_tree

# serialized_rollback keeps the seeded working-day calendar for the tests that run after.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _world() -> dict:
    """Town 1 has two overdue cases and one on time; town 2 one overdue case."""
    tree = county_tree()
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN, username="centre-admin")
    item = item_of(tree["dept"], actor=admin, name="食品经营许可", limit_days=5)
    today = timezone.localdate()
    made: dict[str, list[Case]] = {"C1-1": [], "C2-1": []}
    for village in (tree["villages"][0], tree["villages"][2]):
        agent = UserFactory(unit=village, role=Role.AGENT)
        AgentFactory(unit=village, user=agent)
        overdue = 2 if village.code == "C1-1" else 1
        for n in range(overdue):
            case = case_in_state("in_progress", actor=agent, items=[item])
            Case.objects.filter(pk=case.pk).update(due_date=today - timedelta(days=3 + n))
            made[village.code].append(case)
        if village.code == "C1-1":
            # Finished on time this year: it gives the town an on-time rate to click.
            case = case_in_state("delivered", actor=agent, items=[item])
            Case.objects.filter(pk=case.pk).update(due_date=today + timedelta(days=10))
    return {**tree, "admin": admin, "overdue": made}


def test_dashboard_charts_and_drill_down(live_server, page):
    world = _world()
    base = live_server.url
    errors = _problems(page)
    _log_in(page, base, "centre-admin")
    page.get_by_test_id("nav-dashboard").click()
    page.wait_for_url(f"{base}/supervision/dashboard/")
    # Every chart container has a canvas drawn by ECharts.
    for chart in ("chart-on-time", "chart-good", "chart-months"):
        expect(page.locator(f"#{chart} canvas").first).to_be_visible()
    width = page.locator("#chart-on-time canvas").first.evaluate("c => c.width")
    assert width > 0
    # The numbers are in the table beside the charts.
    town = page.locator("[data-testid=dashboard-table] tbody tr", has_text="第1镇便民服务中心")
    expect(town.get_by_test_id("drill-overdue")).to_have_text("2")
    expect(town.get_by_test_id("drill-behind")).to_have_text("100%")
    # The keyboard users' link: the town's on-time rate leads to its overdue cases.
    town.get_by_test_id("drill-behind").click()
    page.wait_for_url(f"{base}/supervision/dashboard/cases/**")
    rows = page.locator("[data-testid=drill-list] tbody tr[data-case]")
    expected = sorted(str(c.pk) for c in world["overdue"]["C1-1"])
    expect(rows).to_have_count(len(expected))
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.case)")) == expected
    for case in world["overdue"]["C1-1"]:
        expect(page.get_by_role("link", name=case.number)).to_be_visible()
    other = world["overdue"]["C2-1"][0]
    expect(page.get_by_role("link", name=other.number)).to_have_count(0)
    assert errors == []
