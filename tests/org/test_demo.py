"""`bangban demo` and `bangban demo-logins`: the demo county is complete, valid, deterministic,
and every demo role can log in.

The county is generated once for the module (about two seconds) inside a transaction that is
rolled back after the module; each test runs in a savepoint within it. The tests that need an
empty database come first, before anything requests the `demo` fixture."""

import io
import random
from datetime import date

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext

from bangban.cases.demo import PLAN
from bangban.cases.models import Case, CaseLog
from bangban.core.events import events_verify
from bangban.core.identifiers import validate_id_number, validate_mobile, validate_phone
from bangban.core.models import Event
from bangban.org import demo
from bangban.org.demo import DEMO_PASSWORD, plan_county
from bangban.org.models import Activity, Agent, Level, PersonnelChange, Post, Role, Unit, User

SEED = 1
# After every personnel change of the demo (the last one takes effect on 2026-10-08).
AFTER_CHANGES = date(2026, 12, 1)
LOGINS = {
    "admin": Role.SYSADMIN,
    "centre": Role.CENTRE_ADMIN,
    "town01-manager": Role.MANAGER,
    "county-agent": Role.AGENT,
    "town01-agent": Role.AGENT,
    "village01-agent": Role.AGENT,
    "liaison-fg": Role.LIAISON,
    "supervisor": Role.SUPERVISOR,
    "citizen": Role.APPLICANT,
}


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _active(day: date) -> Q:
    return Q(active_from__lte=day) & (Q(active_until__isnull=True) | Q(active_until__gte=day))


# --- On an empty database (before the module's demo county exists) ------------------------------


@pytest.mark.django_db
def test_a_failure_half_way_leaves_nothing_behind(monkeypatch):
    assert not Unit.objects.exists(), "this test must run before the demo fixture"

    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "personnel_change_record", fail)
    with pytest.raises(RuntimeError):
        demo.demo_create(seed=SEED, scale=0.1)
    assert not Unit.objects.exists()
    assert not Agent.objects.exists()
    assert not User.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_demo_logins_says_when_there_are_none():
    assert not User.objects.filter(is_demo=True).exists()
    assert _run("demo-logins").strip() == gettext("There are no demo accounts.")


# --- The plan: pure data ------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_county_and_another_seed_another():
    first, again = plan_county(random.Random(SEED)), plan_county(random.Random(SEED))
    assert first == again
    assert [(u.code, u.name) for u in first.units] == [(u.code, u.name) for u in again.units]
    assert [a.name for a in first.agents] == [a.name for a in again.agents]
    other = plan_county(random.Random(SEED + 1))
    assert [a.name for a in other.agents] != [a.name for a in first.agents]
    assert [u.name for u in other.units] != [u.name for u in first.units]


def test_plan_is_well_formed_at_several_scales():
    for scale in (0.2, 1, 3):
        plan = plan_county(random.Random(SEED), scale=scale)
        codes = [u.code for u in plan.units]
        assert len(set(codes)) == len(codes)
        assert all("/" not in code for code in codes)
        villages = plan.units_of(Level.VILLAGE)
        assert abs(len(villages) - 200 * scale) <= 13
        names = [u.name for u in villages]
        assert len(set(names)) == len(names)
        assert len({a.id_number for a in plan.agents}) == len(plan.agents)
        assert len({a.phone for a in plan.agents}) == len(plan.agents)
        for unit in plan.units:
            validate_phone(unit.details["phone"])


def test_scale_multiplies_villages_and_village_agents():
    def village_agents(plan) -> int:
        villages = {u.code for u in plan.units_of(Level.VILLAGE)}
        return sum(1 for a in plan.agents if a.unit in villages)

    small = plan_county(random.Random(SEED), scale=1)
    large = plan_county(random.Random(SEED), scale=5)
    assert len(large.units_of(Level.VILLAGE)) == 5 * len(small.units_of(Level.VILLAGE))
    assert village_agents(large) >= 20 * village_agents(small)
    assert len(large.units_of(Level.TOWN)) == len(small.units_of(Level.TOWN))


# --- The county in the database ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """`bangban demo --seed 1`, once for the module, rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = _run("demo", "--seed", str(SEED))
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def county(demo_output, db):
    return demo_output


def test_counts(county):
    by_level = {level: Unit.objects.filter(level=level) for level in Level.values}
    assert by_level[Level.COUNTY].count() == 1
    assert by_level[Level.COUNTY].get().parent is None
    assert by_level[Level.DEPARTMENT].count() == 16
    assert by_level[Level.TOWN].count() == 13
    assert 180 <= by_level[Level.VILLAGE].count() <= 220
    assert by_level[Level.OUTLET].count() == 2
    assert not by_level[Level.REGION].exists()
    assert 320 <= Agent.objects.count() <= 380
    assert Activity.objects.count() >= 3
    assert 3 <= PersonnelChange.objects.count() <= 5


def test_staffing(county):
    roster = Agent.objects.filter(_active(AFTER_CHANGES))
    assert roster.filter(unit__level=Level.COUNTY).count() >= 4
    for department in Unit.objects.filter(level=Level.DEPARTMENT):
        liaisons = roster.filter(unit=department)
        assert [a.post for a in liaisons] == [Post.LIAISON], department.name
    for town in Unit.objects.filter(level=Level.TOWN):
        assert 2 <= roster.filter(unit=town).count() <= 4, town.name
    counts = [roster.filter(unit=v).count() for v in Unit.objects.filter(level=Level.VILLAGE)]
    assert counts.count(0) == 3
    assert max(counts) <= 3  # 1–2 each, one village got a second agent by a personnel change


def test_units_carry_hours_phone_and_a_partial_checklist(county):
    for unit in Unit.objects.all():
        assert unit.address and unit.opening_hours, unit.code
        assert validate_phone(unit.phone) == unit.phone
    county_centre = Unit.objects.get(level=Level.COUNTY)
    assert county_centre.eight_haves_count() == 8
    assert county_centre.lunch_hours and "5+X" in county_centre.weekend_hours
    villages = Unit.objects.filter(level=Level.VILLAGE)
    assert any(v.eight_haves_count() < 8 for v in villages)
    assert any(v.eight_haves_count() == 8 for v in villages)
    assert all(v.has_agents == v.agents.exists() for v in villages)


def test_every_agent_has_valid_identifiers(county):
    id_numbers = set()
    for agent in Agent.objects.all():
        assert validate_id_number(agent.id_number) == agent.id_number
        assert validate_mobile(agent.phone) == agent.phone
        assert 2 <= len(agent.name) <= 3
        id_numbers.add(agent.id_number)
    assert len(id_numbers) == Agent.objects.count()


def test_the_database_holds_the_plan_of_the_seed(county):
    plan = plan_county(random.Random(SEED))
    assert list(Unit.objects.order_by("pk").values_list("code", "name")) == [
        (u.code, u.name) for u in plan.units
    ]
    planned = [a.name for a in plan.agents] + [c.name for c in plan.changes]
    assert list(Agent.objects.order_by("pk").values_list("name", flat=True)) == planned


def test_the_event_chain_verifies(county):
    report = events_verify()
    assert report.ok, report
    assert report.checked >= Unit.objects.count() + Agent.objects.count()


def test_every_role_has_one_demo_login(county):
    users = {u.username: u for u in User.objects.filter(is_demo=True)}
    assert {name: u.role for name, u in users.items()} == LOGINS
    for user in users.values():
        assert user.full_name
        if user.role in (Role.AGENT, Role.LIAISON, Role.MANAGER, Role.CENTRE_ADMIN):
            assert user.agent.unit == user.unit
            assert user.agent.name == user.full_name
    assert users["liaison-fg"].unit.name == "县发展和改革局"
    assert users["village01-agent"].unit.level == Level.VILLAGE
    assert users["admin"].is_superuser


@pytest.mark.parametrize("username", LOGINS)
def test_every_demo_login_logs_in(county, client, username):
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)


def test_a_wrong_password_does_not_log_in(county, client):
    response = client.post(reverse("login"), {"username": "centre", "password": "Wrong@2026!"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_command_prints_counts_and_the_logins(county):
    assert gettext("Generating the demo county…") in county
    for username in LOGINS:
        assert username in county
    assert DEMO_PASSWORD in county


def test_demo_logins_lists_the_accounts(county):
    output = _run("demo-logins")
    lines = output.splitlines()
    assert lines[0] == gettext(
        "Demo accounts: their password is published, so disable or delete them in production."
    )
    assert len(lines) == 3 + len(LOGINS)  # notice, header, rule, one line per login
    assert lines[3].split()[0] == "admin"
    assert all(DEMO_PASSWORD in line for line in lines[3:])


def test_if_empty_does_nothing_on_a_populated_database(county):
    before = [m.objects.count() for m in (Unit, Agent, User, Event)]
    output = _run("demo", "--seed", "2", "--if-empty")
    lines = output.splitlines()
    assert lines[0] == gettext("The database already holds data; skipping the demo data.")
    # `make run` relies on this: every start shows the demo logins.
    assert any(line.split()[:1] == ["admin"] for line in lines)
    assert [m.objects.count() for m in (Unit, Agent, User, Event)] == before


def test_without_if_empty_a_populated_database_is_refused(county):
    before = [m.objects.count() for m in (Unit, Agent, User, Event)]
    with pytest.raises(CommandError, match="--if-empty"):
        _run("demo", "--seed", "2")
    assert [m.objects.count() for m in (Unit, Agent, User, Event)] == before


@pytest.mark.parametrize("name", ["demo", "demo-logins"])
def test_help_renders(name):
    command = load_command_class("bangban.demo", name)
    assert command.create_parser("bangban", name).format_help()


def test_demo_cases_reach_every_state_through_the_services(county):
    states = dict(Case.objects.values_list("state").annotate(n=Count("pk")))
    assert states == {str(state): count for state, count in PLAN}
    total = sum(count for _state, count in PLAN)
    assert gettext("Recorded %(cases)d demo cases in every state.") % {"cases": total} in county
    # Made as back-entries by the services: every case step has its event and timeline line.
    assert CaseLog.objects.filter(back_entry_reason="").count() == states["archived"]
    assert Event.objects.filter(action__startswith="case.").count() == CaseLog.objects.count()
