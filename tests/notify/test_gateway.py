"""The HTTP gateway backend against the stand-in provider (tests/notify/gateway.py): the request
and its signature, the provider's answers, and the outbox through a flaky and a down gateway."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bangban.notify import services
from bangban.notify.backends import aliyun_signature
from bangban.notify.models import Kind, OutboxMessage
from bangban.org.models import Level, Role
from tests.factories import UnitFactory, UserFactory
from tests.notify import gateway as standin

pytestmark = pytest.mark.django_db


def enqueue(key: str, kind: Kind = Kind.ACCEPTED, phone: str = "13912345678") -> OutboxMessage:
    return services.outbox_enqueue(
        kind=kind,
        phone=phone,
        params={"number": "BB-2026-0001", "due_date": "2026年12月01日"},
        dedupe_key=key,
        unit_path="/1/",
    )


def test_the_signature_is_aliyuns():
    """The worked example of Aliyun's RPC signature documentation (SendSms, testId/testSecret)."""
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_request_and_an_ok_answer(gateway, settings):
    message = services.outbox_send(message_id=enqueue("a").pk)
    assert message.state == OutboxMessage.State.SENT, message.last_error
    [request] = gateway.requests
    assert request["PhoneNumbers"] == "13912345678"
    assert request["SignName"] == standin.SIGN_NAME
    assert request["TemplateCode"] == settings.BANGBAN_SMS_TEMPLATES["accepted"]
    assert json.loads(request["TemplateParam"]) == {
        "number": "BB-2026-0001",
        "due_date": "2026年12月01日",
    }
    assert request["OutId"] == str(message.pk)
    assert request["AccessKeyId"] == standin.ACCESS_KEY_ID
    assert request["Action"] == "SendSms"
    assert request["SignatureMethod"] == "HMAC-SHA1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", request["Timestamp"])
    # The stand-in checked the signature (it answers SignatureDoesNotMatch otherwise).
    signed = {k: v for k, v in request.items() if k != "Signature"}
    assert request["Signature"] == aliyun_signature("POST", signed, standin.ACCESS_KEY_SECRET)
    assert message.provider_id.startswith("1^")
    assert gateway.delivered == {str(message.pk): 1}
    # Each request has its own nonce.
    services.outbox_send(message_id=enqueue("b").pk)
    assert gateway.requests[0]["SignatureNonce"] != gateway.requests[1]["SignatureNonce"]


def test_a_wrong_secret_is_refused_and_retried(gateway, settings):
    settings.BANGBAN_SMS_ACCESS_KEY_SECRET = "wrong"
    message = services.outbox_send(message_id=enqueue("a").pk)
    assert message.state == OutboxMessage.State.PENDING
    assert "SignatureDoesNotMatch" in message.last_error


def test_a_permanent_error_is_dead_at_once(gateway):
    gateway.mode = "permanent"
    message = services.outbox_send(message_id=enqueue("a").pk)
    assert (message.state, message.attempts) == (OutboxMessage.State.DEAD, 1)
    assert "isv.MOBILE_NUMBER_ILLEGAL" in message.last_error


def test_a_kind_without_template_is_dead_at_once_without_a_request(gateway, settings):
    settings.BANGBAN_SMS_TEMPLATES = {"completed": "SMS_1"}
    message = services.outbox_send(message_id=enqueue("a").pk)
    assert message.state == OutboxMessage.State.DEAD
    assert "No gateway template for the kind 'accepted'" in message.last_error
    assert gateway.requests == []


@pytest.mark.parametrize(
    ("mode", "error"), [("throttled", "isv.BUSINESS_LIMIT_CONTROL"), ("error500", "HTTP 500")]
)
def test_throttled_and_server_errors_are_retried(gateway, mode, error):
    gateway.mode = mode
    message = services.outbox_send(message_id=enqueue("a").pk)
    assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, 1)
    assert error in message.last_error
    gateway.mode = "ok"
    assert services.outbox_drain(now=timezone.now() + timedelta(minutes=1)) == 1
    assert gateway.delivered == {str(message.pk): 1}


def drain_until_settled(now, rounds: int = 20):
    """Run the drain as the scheduler would, the clock jumping an hour between runs (longer
    than any backoff), until nothing is pending."""
    for _round in range(rounds):
        services.outbox_drain(now=now)
        if not OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).exists():
            return
        now += timedelta(hours=1)
    raise AssertionError("messages still pending")


def test_a_gateway_failing_half_the_time_delivers_everything_exactly_once(gateway):
    gateway.mode = "flaky"
    ids = [enqueue(f"flaky{i}").pk for i in range(30)]
    # The per-message tasks run first (each its first attempt), then the drains.
    for message_id in ids:
        services.outbox_send(message_id=message_id)
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).count() == 15
    drain_until_settled(timezone.now())
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}
    assert gateway.delivered == {str(pk): 1 for pk in ids}
    assert gateway.duplicates == 0
    # Half the requests failed: 30 deliveries took more than 30 requests.
    assert len(gateway.requests) > len(ids)


def test_a_gateway_that_is_down_loses_nothing(
    gateway, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    gateway.stop()
    with django_capture_on_commit_callbacks(execute=True):
        ids = [enqueue(f"down{i}").pk for i in range(10)]
    drain_until_settled(timezone.now())
    messages = OutboxMessage.objects.filter(pk__in=ids)
    assert {m.state for m in messages} == {OutboxMessage.State.DEAD}
    assert {m.attempts for m in messages} == {settings.BANGBAN_SMS_MAX_ATTEMPTS}
    assert all("Gateway unreachable" in m.last_error for m in messages)
    assert gateway.requests == []
    # The gateway is back; the county's centre administrator re-sends every dead letter.
    gateway.start()
    admin = UserFactory(unit=UnitFactory(level=Level.COUNTY), role=Role.CENTRE_ADMIN)
    # The messages were written for that county's area (enqueue wrote a placeholder).
    OutboxMessage.objects.filter(pk__in=ids).update(unit_path=admin.unit.path)
    with django_capture_on_commit_callbacks(execute=True):
        for message in OutboxMessage.objects.filter(pk__in=ids):
            services.outbox_resend(actor=admin, message=message)
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}
    assert gateway.delivered == {str(pk): 1 for pk in ids}
