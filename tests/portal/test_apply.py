"""Applying online: choose the item and the point, prove the phone by SMS code, fill in the
registration fields with photos; the case lands at the point and its staff are told."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from bangban.cases.models import Case, CasePhoto, Channel, Notification
from bangban.cases.services import case_apply_online, phone_code_send, phone_code_verify
from bangban.cases.services.public import PUBLIC_USERNAME
from bangban.core.errors import ValidationFailed
from bangban.core.models import Event
from tests.portal import public_helpers
from tests.portal.public_helpers import (
    ID_NUMBER,
    PHONE,
    last_code,
    make_world,
    messages,
)

pytestmark = pytest.mark.django_db
sms = public_helpers.sms  # the fixture


def _png(name: str = "户口簿.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _verified(client, world, sms_file, django_capture_on_commit_callbacks, mode="apply"):
    client.post(reverse(f"portal-{mode}"), {"item": world["item"].pk, "unit": world["village"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal-verify"), {"step": "send", "phone": PHONE})
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()
    code = last_code(sms_file)
    response = client.post(
        reverse("portal-verify"), {"step": "verify", "phone": PHONE, "code": code}
    )
    assert response.status_code == 302
    return response


def test_apply_with_sms_code_registers_an_online_case(
    client, sms, django_capture_on_commit_callbacks
):
    world = make_world()
    response = client.get(reverse("portal-apply"), {"q": "个体工商户"})
    assert world["item"].name in response.content.decode()
    response = client.get(reverse("portal-apply"), {"item": world["item"].pk})
    assert world["village"].name in response.content.decode()
    response = _verified(client, world, sms, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("portal-apply-details")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal-apply-details"),
            {
                "applicant_name": "张秀英",
                "id_number": ID_NUMBER,
                "address": "城关街道人民路1号",
                "kind": "assist",
                "photos": [_png(), _png("身份证.png")],
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert response["Location"] == reverse("portal-apply-done", args=[case.number])
    assert case.channel == Channel.ONLINE and case.unit == world["village"]
    assert case.phone == PHONE and case.agent is None
    assert case.created_by.username == PUBLIC_USERNAME
    assert CasePhoto.objects.filter(case=case).count() == 2
    event = Event.objects.get(action="case.register", object_id=str(case.pk))
    assert event.actor_label == "公众:139****5678"
    assert Notification.objects.filter(recipient=world["agent"], case=case).exists()
    new = messages(sms, "new_request")
    assert new and {m["params"]["number"] for m in new} == {case.number}
    page = client.get(response["Location"]).content.decode()
    assert case.number in page and reverse("portal-track-case", args=[case.number]) in page


def test_wrong_id_number_is_shown_on_the_form(client, sms, django_capture_on_commit_callbacks):
    world = make_world()
    _verified(client, world, sms, django_capture_on_commit_callbacks)
    response = client.post(
        reverse("portal-apply-details"),
        {"applicant_name": "张秀英", "id_number": "110105194912310021", "kind": "assist"},
    )
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    assert not Case.objects.exists()


def test_a_photo_that_is_not_an_image_is_refused(client, sms, django_capture_on_commit_callbacks):
    world = make_world()
    _verified(client, world, sms, django_capture_on_commit_callbacks)
    fake = SimpleUploadedFile("x.png", b"#!/bin/sh\necho hi\n", content_type="image/png")
    response = client.post(
        reverse("portal-apply-details"),
        {"applicant_name": "张秀英", "id_number": ID_NUMBER, "kind": "assist", "photos": [fake]},
    )
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_details_need_a_verified_phone(client, db):
    world = make_world()
    client.post(reverse("portal-apply"), {"item": world["item"].pk, "unit": world["village"].pk})
    response = client.get(reverse("portal-apply-details"))
    assert response["Location"] == reverse("portal-verify")


def test_home_visit_is_for_special_groups(sms):
    world = make_world()
    applicant = {"applicant_name": "王大爷", "id_number": ID_NUMBER}
    common = {"phone": PHONE, "unit": world["village"], "items": [world["item"]]}
    with pytest.raises(ValidationFailed):
        case_apply_online(**common, applicant=applicant, home_visit=True)
    case = case_apply_online(**common, applicant=applicant, special_group=True, home_visit=True)
    assert case.channel == Channel.HOME_VISIT and case.special_group


def test_code_expires_after_wrong_tries(sms, django_capture_on_commit_callbacks):
    make_world()
    with django_capture_on_commit_callbacks(execute=True):
        phone_code_send(phone=PHONE, ip="10.0.0.1")
    code = last_code(sms)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            phone_code_verify(phone=PHONE, code=wrong)
    with pytest.raises(ValidationFailed, match=r"too many|次数"):
        phone_code_verify(phone=PHONE, code=code)


def test_code_works_once(sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        phone_code_send(phone=PHONE, ip="10.0.0.1")
    code = last_code(sms)
    assert phone_code_verify(phone=PHONE, code=code) == PHONE
    with pytest.raises(ValidationFailed):
        phone_code_verify(phone=PHONE, code=code)


def test_home_lists_items_points_and_hours(client, db):
    world = make_world()
    page = client.get(reverse("portal-home")).content.decode()
    assert world["village"].name in page and "周六 9:00-12:00" in page
    assert world["item"].name in page
    assert 'href="/public/complaints/new/"' in page and 'href="/public/obstacles/new/"' in page
