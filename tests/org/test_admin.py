"""The admin site: centre administrators only, their own tree, saves through the services."""

import pytest
from django.urls import reverse

from bangban.core.models import Event
from bangban.org.models import Role, Unit, User
from tests.factories import UserFactory, county_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return county_tree()


@pytest.fixture
def centre_admin(tree):
    return UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN, is_staff=True)


def test_agents_and_managers_cannot_open_the_admin(client, tree):
    manager = UserFactory(unit=tree["towns"][0], role=Role.MANAGER)
    client.force_login(manager)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response.url


def test_unit_edit_goes_through_the_service(client, tree, centre_admin):
    client.force_login(centre_admin)
    town = tree["towns"][0]
    url = reverse("admin:org_unit_change", args=[town.pk])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "name": town.name,
        "is_active": "on",
        "address": "城关镇人民路1号",
        "phone": "0914-6321005",
        "opening_hours": "8:30-17:30",
        "lunch_hours": "",
        "weekend_hours": "",
        "has_window": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    town.refresh_from_db()
    assert town.address == "城关镇人民路1号" and town.has_window
    event = Event.objects.get(action="unit.update", object_id=str(town.pk))
    assert event.actor == centre_admin
    assert event.after["address"] == "城关镇人民路1号"


def test_bad_phone_in_the_admin_is_a_form_error_and_changes_nothing(client, tree, centre_admin):
    client.force_login(centre_admin)
    town = tree["towns"][0]
    url = reverse("admin:org_unit_change", args=[town.pk])
    response = client.post(url, {"name": "改名", "phone": "12345", "is_active": "on"})
    assert response.status_code == 200
    assert "区号" in response.content.decode()
    town.refresh_from_db()
    assert town.name != "改名"
    assert not Event.objects.filter(action="unit.update").exists()


def test_user_creation_checks_the_password_and_the_tree(client, tree, centre_admin):
    client.force_login(centre_admin)
    url = reverse("admin:org_user_add")
    base = {
        "username": "new-agent",
        "full_name": "赵敏",
        "role": "agent",
        "unit": tree["towns"][0].pk,
    }
    weak = client.post(url, base | {"password": "abcdefgh"})
    assert weak.status_code == 200
    assert not User.objects.filter(username="new-agent").exists()
    granted = client.post(url, base | {"role": "sysadmin", "password": "Qinchuan#2026"})
    assert granted.status_code == 200
    assert not User.objects.filter(username="new-agent").exists()
    ok = client.post(url, base | {"password": "Qinchuan#2026"})
    assert ok.status_code == 302
    user = User.objects.get(username="new-agent")
    assert user.check_password("Qinchuan#2026") and user.password.startswith("argon2")
    assert Event.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_nothing_can_be_deleted(client, tree, centre_admin):
    client.force_login(centre_admin)
    town = tree["towns"][0]
    response = client.post(reverse("admin:org_unit_delete", args=[town.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Unit.objects.filter(pk=town.pk).exists()


def test_user_change_goes_through_the_service(client, tree, centre_admin):
    client.force_login(centre_admin)
    user = UserFactory(unit=tree["villages"][0], role=Role.AGENT, full_name="钱多")
    url = reverse("admin:org_user_change", args=[user.pk])
    response = client.post(
        url, {"full_name": "钱多多", "role": "manager", "unit": tree["villages"][0].pk}
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    user.refresh_from_db()
    assert (user.full_name, user.role, user.is_active) == ("钱多多", "manager", False)
    event = Event.objects.get(action="user.update", object_id=str(user.pk))
    assert event.after == {"full_name": "钱多多", "role": "manager", "is_active": False}
