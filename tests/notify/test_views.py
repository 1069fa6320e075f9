"""The staff outbox page: what each role sees, the filters, and re-sending."""

import pytest
from django.urls import reverse

from bangban.core.models import Event
from bangban.notify import services
from bangban.notify.models import Kind, OutboxMessage
from bangban.org.models import Level, Role
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/notify/outbox/"


@pytest.fixture
def world():
    county = UnitFactory(level=Level.COUNTY)
    town = UnitFactory(level=Level.TOWN, parent=county)
    village = UnitFactory(level=Level.VILLAGE, parent=town)
    other = UnitFactory(level=Level.TOWN, parent=county)
    users = {
        role: UserFactory(unit=unit, role=role)
        for role, unit in [
            (Role.CENTRE_ADMIN, county),
            (Role.SUPERVISOR, county),
            (Role.MANAGER, town),
            (Role.AGENT, town),
        ]
    }
    users["other_manager"] = UserFactory(unit=other, role=Role.MANAGER)
    users["applicant"] = UserFactory(unit=None, role=Role.APPLICANT)

    def message(key, unit_path, kind=Kind.COMPLETED, state="pending", params=None):
        m = services.outbox_enqueue(
            kind=kind,
            phone="13912345678",
            params=params or {"number": key},
            dedupe_key=key,
            unit_path=unit_path,
        )
        OutboxMessage.objects.filter(pk=m.pk).update(state=state, attempts=6, last_error="down")
        return m

    return {
        "users": users,
        "village_dead": message("V-DEAD", village.path, state="dead"),
        "village_sent": message("V-SENT", village.path, kind=Kind.ACCEPTED, state="sent"),
        "other_dead": message("O-DEAD", other.path, state="dead"),
        "code": message("code", "", kind=Kind.SMS_CODE, params={"code": "428913", "minutes": 5}),
    }


def page(client, user, query=""):
    client.force_login(user)
    return client.get(URL + query)


def test_the_url():
    assert reverse("notify:outbox") == URL


def test_a_manager_sees_the_area_and_a_centre_admin_everything(client, world):
    users = world["users"]
    body = page(client, users[Role.MANAGER]).content.decode()
    assert "V-DEAD" in body and "V-SENT" in body
    assert "O-DEAD" not in body and "428913" not in body
    assert "139****5678" in body and "13912345678" not in body
    body = page(client, users[Role.CENTRE_ADMIN]).content.decode()
    assert all(key in body for key in ("V-DEAD", "V-SENT", "O-DEAD"))
    # The login code is listed, its code hidden.
    assert "428913" not in body
    assert body.count('data-testid="outbox-row"') == 4


def test_who_may_not_see_it(client, world):
    users = world["users"]
    assert page(client, users[Role.AGENT]).status_code == 403
    assert page(client, users["applicant"]).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_filters(client, world):
    users = world["users"]
    body = page(client, users[Role.CENTRE_ADMIN], "?state=dead").content.decode()
    assert "V-DEAD" in body and "O-DEAD" in body and "V-SENT" not in body
    body = page(client, users[Role.CENTRE_ADMIN], "?kind=accepted").content.decode()
    assert body.count('data-testid="outbox-row"') == 1 and "V-SENT" in body


def test_resend_buttons_follow_the_permission(client, world):
    users = world["users"]
    # A manager: the dead letter of the area. A supervisor sees all and re-sends nothing.
    assert page(client, users[Role.MANAGER]).content.decode().count("outbox-resend") == 1
    assert page(client, users[Role.SUPERVISOR]).content.decode().count("outbox-resend") == 0
    assert page(client, users[Role.CENTRE_ADMIN]).content.decode().count("outbox-resend") == 2


def test_resend_through_the_page(client, world, settings, django_capture_on_commit_callbacks):
    settings.BANGBAN_SMS_BACKEND = "console"
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    users = world["users"]
    client.force_login(users[Role.MANAGER])
    dead = world["village_dead"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{URL}{dead.pk}/resend/", {"back": "state=dead&next=https://evil.example"}
        )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?state=dead"
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == ("sent", 1)
    assert Event.objects.filter(action="outbox.resend", actor=users[Role.MANAGER]).count() == 1
    # Again: not dead any more, said so.
    response = client.post(f"{URL}{dead.pk}/resend/", follow=True)
    assert response.status_code == 200
    # Another area's message is not even found.
    other = world["other_dead"]
    assert client.post(f"{URL}{other.pk}/resend/").status_code == 404
    # The supervisor sees it but may not re-send it.
    client.force_login(users[Role.SUPERVISOR])
    assert client.post(f"{URL}{other.pk}/resend/").status_code == 403
    other.refresh_from_db()
    assert other.state == "dead"
