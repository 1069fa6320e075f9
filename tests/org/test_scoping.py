"""Who sees what, through the selectors, the staff pages and the API."""

import pytest
from django.urls import reverse

from bangban.org import selectors
from bangban.org.models import Role
from tests.factories import UserFactory, county_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return county_tree()


def user_at(unit, role=Role.AGENT, **kwargs):
    return UserFactory(unit=unit, role=role, **kwargs)


def test_village_agent_sees_only_its_village(tree):
    village = tree["villages"][0]
    actor = user_at(village)
    assert list(selectors.units_visible(actor=actor)) == [village]
    names = {a.unit.code for a in selectors.agents_visible(actor=actor)}
    assert names == {village.code}


def test_town_manager_sees_its_town_and_villages(tree):
    town = tree["towns"][0]
    actor = user_at(town, Role.MANAGER)
    codes = {u.code for u in selectors.units_visible(actor=actor)}
    assert codes == {"C1", "C1-1", "C1-2"}


def test_supervisor_and_centre_admin_see_the_county(tree):
    supervisor = UserFactory(unit=None, role=Role.SUPERVISOR)
    admin = user_at(tree["county"], Role.CENTRE_ADMIN)
    assert selectors.units_visible(actor=supervisor).count() == 8
    assert selectors.units_visible(actor=admin).count() == 8


def test_applicant_sees_no_staff_data(tree):
    applicant = UserFactory(unit=None, role=Role.APPLICANT)
    assert not selectors.units_visible(actor=applicant).exists()
    assert not selectors.agents_visible(actor=applicant).exists()


def test_ui_answers_404_for_another_villages_agent(client, tree):
    own, other = tree["villages"][0], tree["villages"][1]
    client.force_login(user_at(own))
    mine = tree["agents"][own.code]
    theirs = tree["agents"][other.code]
    assert client.get(reverse("agent-detail", args=[mine.pk])).status_code == 200
    response = client.get(reverse("agent-detail", args=[theirs.pk]))
    assert response.status_code == 404
    assert theirs.name not in response.content.decode()
    assert client.get(reverse("unit-detail", args=[other.pk])).status_code == 404
    assert client.post(reverse("agent-reveal", args=[theirs.pk, "phone"])).status_code == 404


def test_api_answers_404_for_another_villages_agent(client, tree):
    own, other = tree["villages"][0], tree["villages"][1]
    client.force_login(user_at(own))
    theirs = tree["agents"][other.code]
    response = client.get(f"/api/v1/agents/{theirs.pk}/")
    assert response.status_code == 404
    assert theirs.name not in response.content.decode()
    listed = client.get("/api/v1/agents/").json()
    assert [a["unit"] for a in listed["results"]] == [own.code]
    assert client.get(f"/api/v1/units/{other.pk}/").status_code == 404


def test_admin_answers_404_outside_the_administrators_tree(client, tree):
    county = tree["county"]
    other_county_admin = user_at(
        county.__class__.objects.create(name="邻县", code="N", level="county", path="/N/"),
        Role.CENTRE_ADMIN,
        is_staff=True,
    )
    client.force_login(other_county_admin)
    agent = tree["agents"][county.code]
    response = client.get(reverse("admin:org_agent_change", args=[agent.pk]))
    assert response.status_code == 404
    assert agent.name not in response.content.decode()
    listing = client.get(reverse("admin:org_agent_changelist")).content.decode()
    assert agent.name not in listing


def test_agent_list_query_count_does_not_grow_with_rows(
    client, tree, django_assert_max_num_queries
):
    admin = user_at(tree["county"], Role.CENTRE_ADMIN)
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("agent-list"))
    assert response.status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/agents/").status_code == 200
