"""Abuse limits of the public endpoints: SMS codes per phone and per address, and form posts
per address. Over a limit the page says so with 429, never a 500, and nothing is sent."""

import pytest
from django.urls import reverse

from bangban.notify.models import OutboxMessage
from tests.portal.public_helpers import PHONE, make_world

pytestmark = pytest.mark.django_db


def _start(client, world):
    client.post(reverse("portal-apply"), {"item": world["item"].pk, "unit": world["village"].pk})


def _send(client, phone=PHONE, ip="10.1.1.1"):
    return client.post(reverse("portal-verify"), {"step": "send", "phone": phone}, REMOTE_ADDR=ip)


def test_one_code_a_minute_per_phone(client):
    _start(client, make_world())
    assert _send(client).status_code == 200
    response = _send(client)
    assert response.status_code == 429
    assert 'data-testid="form-error"' in response.content.decode()
    assert OutboxMessage.objects.filter(kind="sms_code").count() == 1


def test_five_codes_an_hour_per_phone(client, settings):
    settings.BANGBAN_SMS_CODE_PER_PHONE_MINUTE = 100
    _start(client, make_world())
    for _ in range(5):
        assert _send(client).status_code == 200
    assert _send(client).status_code == 429
    assert OutboxMessage.objects.filter(kind="sms_code").count() == 5


def test_codes_per_address(client, settings):
    settings.BANGBAN_SMS_CODE_PER_IP_HOUR = 3
    _start(client, make_world())
    for n in range(3):
        assert _send(client, phone=f"1390000000{n}").status_code == 200
    assert _send(client, phone="13900000009").status_code == 429
    # Another address is not affected.
    assert _send(client, phone="13900000009", ip="10.2.2.2").status_code == 200


def test_form_posts_per_address(client, settings):
    settings.BANGBAN_PORTAL_POSTS_PER_IP_HOUR = 2
    make_world()
    for _ in range(2):
        response = client.post(reverse("portal-track"), {"number": "X", "phone": PHONE})
        assert response.status_code == 404
    response = client.post(reverse("portal-track"), {"number": "X", "phone": PHONE})
    assert response.status_code == 429
    assert 'data-testid="form-error"' in response.content.decode()
