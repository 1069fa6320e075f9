"""Each role through the HTTP client: what the staff pages show and refuse."""

import pytest
from django.urls import reverse

from bangban.org.models import Role
from tests.factories import UserFactory, county_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return county_tree()


def actor(tree, role):
    unit = {
        Role.AGENT: tree["villages"][0],
        Role.LIAISON: tree["dept"],
        Role.MANAGER: tree["towns"][0],
        Role.CENTRE_ADMIN: tree["county"],
    }.get(role)
    return UserFactory(unit=unit, role=role)


# role → (units listed on the home page, agents listed) for the two-town test county.
VISIBLE = {
    Role.AGENT: ({"C1-1"}, {"C1-1"}),
    Role.LIAISON: ({"C-D1"}, {"C-D1"}),
    Role.MANAGER: ({"C1", "C1-1", "C1-2"}, {"C1", "C1-1", "C1-2"}),
    Role.CENTRE_ADMIN: (None, {"C", "C-D1", "C1", "C2", "C1-1", "C1-2", "C2-1", "C2-2"}),
    Role.SUPERVISOR: (None, {"C", "C-D1", "C1", "C2", "C1-1", "C1-2", "C2-1", "C2-2"}),
    Role.SYSADMIN: (None, {"C", "C-D1", "C1", "C2", "C1-1", "C1-2", "C2-1", "C2-2"}),
}


@pytest.mark.parametrize("role", list(VISIBLE))
def test_each_role_sees_its_subtree_on_the_pages_and_the_api(client, tree, role):
    units, agent_units = VISIBLE[role]
    client.force_login(actor(tree, role))
    home = client.get(reverse("home"))
    assert home.status_code == 200
    page = home.content.decode()
    for unit in [tree["county"], tree["dept"], *tree["towns"], *tree["villages"]]:
        if units is not None:
            assert (f"/units/{unit.pk}/" in page) == (unit.code in units), unit.code
    listing = client.get(reverse("agent-list")).content.decode()
    for code, agent in tree["agents"].items():
        assert (f"/agents/{agent.pk}/" in listing) == (code in agent_units), code
    api = client.get("/api/v1/agents/", {"page_size": 100}).json()
    assert {a["unit"] for a in api["results"]} == agent_units
    assert api["count"] == len(agent_units)


def test_applicant_is_sent_to_the_portal_and_refused_staff_pages(client, tree):
    client.force_login(UserFactory(unit=None, role=Role.APPLICANT))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("roster-index")
    assert client.get(reverse("agent-list")).status_code == 403
    assert client.get("/api/v1/agents/").json()["count"] == 0


@pytest.mark.parametrize("role", [Role.AGENT, Role.LIAISON, Role.SUPERVISOR])
def test_readers_cannot_open_the_forms(client, tree, role):
    client.force_login(actor(tree, role))
    assert client.get(reverse("personnel-change-create")).status_code == 403
    assert client.get(reverse("activity-create")).status_code == 403
    response = client.post(reverse("activity-create"), {"kind": "training", "title": "x"})
    assert response.status_code == 403
    assert "只有站点负责人和管理员" in response.content.decode()


def test_manager_records_a_training_through_the_form(client, tree):
    from bangban.org.models import Activity

    client.force_login(actor(tree, Role.MANAGER))
    agents = tree["agents"]
    response = client.post(
        reverse("activity-create"),
        {
            "kind": "training",
            "title": "帮办代办业务培训",
            "unit": tree["towns"][0].pk,
            "starts_at": "2026-11-20T09:00",
            "location": "镇便民服务中心二楼",
            "present": [agents["C1"].pk, agents["C1-1"].pk],
            "absent": [agents["C1-2"].pk],
        },
    )
    activity = Activity.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "activity-detail", args=[activity.pk]
    )
    assert activity.starts_at.isoformat() == "2026-11-20T01:00:00+00:00"  # 09:00 in Shanghai
    detail = client.get(response.url).content.decode()
    assert "缺席" in detail and agents["C1-2"].name in detail


def test_personnel_change_form_shows_the_three_day_rule(client, tree):
    client.force_login(actor(tree, Role.MANAGER))
    leaving = tree["agents"]["C1-1"]
    response = client.post(
        reverse("personnel-change-create"),
        {
            "unit": leaving.unit.pk,
            "previous_agent": leaving.pk,
            "post": "村级代办员",
            "name": "李娜",
            "id_number": "11010519491231002X",
            "phone": "13912345678",
            "email": "lina@example.cn",
            "effective_date": "2020-01-01",
        },
    )
    assert response.status_code == 200
    assert "至少提前3天" in response.content.decode()


def test_big_ids_and_bad_pages_answer_404_not_500(client, tree):
    client.force_login(actor(tree, Role.SUPERVISOR))
    assert client.get("/units/99999999999999999999999/").status_code == 404
    assert client.get("/api/v1/units/99999999999999999999999/").status_code == 404
    assert client.get(reverse("agent-list"), {"page": "999"}).status_code == 200
