"""The town area of a case (cases.area, `Case.town`): set by registration, moved by a transfer
or an escalation, and — what it is for — a town point's staff see through it exactly the cases
the subtree rule gives them: those of the town and its villages, and those escalated from them
above the towns."""

import pytest
from django.db.models import Q

from bangban.cases import selectors, services
from bangban.cases.area import town_id_of
from bangban.cases.models import Case
from bangban.org.models import Level, Role
from tests.cases.api_helpers import fresh, make_world, register, user
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county_with_departments, catalog_admin):
    return make_world(county_with_departments, catalog_admin)


def test_the_town_of_a_unit_at_each_level(world):
    county, dept = world["county"], world["dept"]
    town1, town2 = world["towns"]
    village = world["villages"][0]
    assert town_id_of(town1) == town1.pk
    assert town_id_of(village) == town1.pk
    assert town_id_of(UnitFactory(level=Level.OUTLET, parent=town2)) == town2.pk
    assert town_id_of(UnitFactory(level=Level.OUTLET, parent=county)) is None
    assert town_id_of(county) is None and town_id_of(dept) is None
    # Escalated above the towns: the town it came from keeps sight of it.
    assert town_id_of(county, joint_unit=village) == town1.pk
    assert town_id_of(county, joint_unit=town2) == town2.pk
    # Below the county, the unit's own town.
    assert town_id_of(town1, joint_unit=village) == town1.pk


def _by_subtree(actor) -> set[int]:
    """The rule the column stands for: the unit or the escalating unit in the actor's subtree."""
    path = actor.unit.path
    rule = Q(unit__path__startswith=path) | Q(joint_unit__path__startswith=path)
    return set(Case.objects.filter(rule).values_list("pk", flat=True))


def _step(service, case: Case, actor, **arguments) -> Case:
    return service(actor=actor, case=case, revision=fresh(case).revision, **arguments)


def test_the_services_keep_the_town_and_a_town_sees_what_its_subtree_holds(world):
    town1, town2 = world["towns"]
    village21 = world["villages"][2]
    manager1 = world["manager"]
    manager2 = user(unit=town2, role=Role.MANAGER)
    county_admin = user(unit=world["county"], role=Role.CENTRE_ADMIN)

    stays = register(world)
    assert stays.town_id == town1.pk
    moved = _step(
        services.case_transfer, register(world), manager1, unit=village21, reason="属地调整"
    )
    assert fresh(moved).town_id == town2.pk
    to_town = _step(services.case_escalate, register(world), world["agent_user"], reason="需协调")
    assert (fresh(to_town).unit_id, fresh(to_town).town_id) == (town1.pk, town1.pk)
    to_county = _step(services.case_escalate, to_town, manager1, reason="需县级协调")
    assert (fresh(to_county).unit_id, fresh(to_county).joint_unit_id) == (
        world["county"].pk,
        town1.pk,
    )
    assert fresh(to_county).town_id == town1.pk
    # Transferred back down from the county: the joint unit is cleared, the town follows.
    back = _step(services.case_transfer, to_county, county_admin, unit=village21, reason="退回")
    assert (fresh(back).joint_unit_id, fresh(back).town_id) == (None, town2.pk)

    for manager in (manager1, manager2):
        seen = set(selectors.cases_visible(actor=manager).values_list("pk", flat=True))
        assert seen == _by_subtree(manager)
    assert set(selectors.cases_visible(actor=manager1).values_list("pk", flat=True)) == {stays.pk}
    assert set(selectors.cases_visible(actor=manager2).values_list("pk", flat=True)) == {
        moved.pk,
        back.pk,
    }


def test_a_town_manager_reads_the_cases_by_the_town_and_a_village_by_its_units(world):
    """Only a town's own staff read by the column; a village point, a department liaison and
    the county read as before (the village by its unit, the liaison by its tasks)."""
    register(world)

    def where(actor) -> str:
        return str(selectors.cases_visible(actor=actor).query).split(" WHERE ", 1)[1]

    assert '"town_id"' in where(world["manager"])
    assert '"town_id"' not in where(world["agent_user"])
    assert '"town_id"' not in where(world["liaison"])
