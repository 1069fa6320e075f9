"""Tracking: the number and the phone open the case's progress, with personal data masked; a
wrong number or phone gets the same neutral answer."""

import pytest
from django.urls import reverse

from bangban.cases.services import case_apply_online
from tests.portal import public_helpers
from tests.portal.public_helpers import (
    ID_NUMBER,
    PHONE,
    make_world,
)

pytestmark = pytest.mark.django_db
sms = public_helpers.sms  # the fixture


def _case(world):
    return case_apply_online(
        phone=PHONE,
        unit=world["village"],
        items=[world["item"]],
        applicant={"applicant_name": "张秀英", "id_number": ID_NUMBER, "address": "人民路1号"},
    )


def test_number_and_phone_open_the_masked_progress(client, sms):
    world = make_world()
    case = _case(world)
    response = client.post(reverse("portal-track"), {"number": case.number, "phone": PHONE})
    assert response["Location"] == reverse("portal-track-case", args=[case.number])
    page = client.get(response["Location"]).content.decode()
    assert case.number in page and world["item"].name in page
    assert "张**" in page and "139****5678" in page and "1101**********002X" in page
    assert "张秀英" not in page and PHONE not in page and ID_NUMBER not in page
    assert 'data-testid="timeline"' in page and 'data-testid="holder"' in page


def test_wrong_phone_or_number_get_the_same_answer(client, sms):
    world = make_world()
    case = _case(world)
    wrong_phone = client.post(
        reverse("portal-track"), {"number": case.number, "phone": "13800000000"}
    )
    wrong_number = client.post(reverse("portal-track"), {"number": "NOPE", "phone": PHONE})
    assert wrong_phone.status_code == wrong_number.status_code == 404
    assert wrong_phone.context["error"] == wrong_number.context["error"]


def test_the_case_page_asks_for_the_phone_first(client, sms):
    case = _case(make_world())
    page = client.get(reverse("portal-track-case", args=[case.number])).content.decode()
    assert 'data-testid="track-form"' in page and 'data-testid="timeline"' not in page
