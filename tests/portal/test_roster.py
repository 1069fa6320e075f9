import pytest
from django.urls import reverse

from bangban.core.masking import mask_phone
from tests.factories import AgentFactory, county_tree

pytestmark = pytest.mark.django_db


def test_public_roster_shows_only_what_is_published(client):
    tree = county_tree()
    village = tree["villages"][0]
    agent = tree["agents"][village.code]
    AgentFactory(unit=village, name="已离岗", active_until="2026-01-31")
    response = client.get(reverse("roster", args=[village.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert agent.name in page
    assert village.name in page
    assert f'href="tel:{agent.public_phone}"' in page
    assert agent.service_hours in page
    assert "已离岗" not in page
    # Never the ID number or the private mobile, not even masked.
    assert agent.id_number not in page and agent.id_number[-4:] + "<" not in page
    assert agent.phone not in page and mask_phone(agent.phone) not in page


def test_roster_index_lists_points_and_searches(client):
    tree = county_tree()
    response = client.get(reverse("roster-index"), {"q": "第2镇"})
    page = response.content.decode()
    assert tree["towns"][1].name in page
    assert tree["towns"][0].name not in page


def test_unknown_point_is_404(client):
    assert client.get(reverse("roster", args=["NOPE"])).status_code == 404
