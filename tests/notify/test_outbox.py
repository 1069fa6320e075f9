"""The outbox: written with the change, sent after commit, retried with backoff, dead-lettered,
re-sent by staff, and never sent twice."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bangban.core.errors import Conflict, PermissionDenied
from bangban.core.models import Event
from bangban.notify import services
from bangban.notify.models import Kind, OutboxMessage
from bangban.org.models import Level, Role
from tests.factories import UnitFactory, UserFactory
from tests.notify import fakes
from tests.notify.conftest import sent_lines

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def enqueue(key: str = "completed:case:1", **extra) -> OutboxMessage:
    values = {
        "kind": Kind.COMPLETED,
        "phone": PHONE,
        "params": {"number": "BB-1"},
        "dedupe_key": key,
    }
    return services.outbox_enqueue(**(values | extra))


@pytest.fixture
def recording(settings):
    settings.BANGBAN_SMS_BACKEND = fakes.PATH
    settings.BANGBAN_SMS_MAX_ATTEMPTS = 4
    fakes.reset()
    yield fakes
    fakes.reset()


def test_a_rolled_back_change_sends_nothing(
    sms_file, immediate_tasks, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue()
        raise RuntimeError("the case change failed")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert sent_lines(sms_file) == []


def test_committed_message_is_sent_after_commit(
    sms_file, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = enqueue()
        # Not before the commit.
        assert sent_lines(sms_file) == []
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert message.attempts == 1
    assert message.phone_masked == "139****5678"
    [line] = sent_lines(sms_file)
    assert line["phone"] == PHONE
    assert line["kind"] == "completed"
    assert "BB-1" in line["text"]


def test_the_same_event_is_written_once(
    sms_file, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = enqueue()
        second = enqueue(params={"number": "other"})
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(callbacks) == 1
    assert len(sent_lines(sms_file)) == 1
    # And once sent, a third enqueue of the event sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        enqueue()
    assert len(sent_lines(sms_file)) == 1


def test_a_failure_is_retried_with_backoff_then_dead_lettered(recording):
    fakes.reset(fail="retry")
    message = enqueue()
    now = timezone.now()
    message = services.outbox_send(message_id=message.pk, now=now)
    assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, 1)
    assert message.next_attempt_at == now + timedelta(seconds=30)
    assert message.last_error == "gateway busy"
    # Not due yet: nothing happens.
    assert services.outbox_drain(now=now + timedelta(seconds=29)) == 0
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 1
    waits = []
    for _attempt in range(3):
        message.refresh_from_db()
        waits.append(message.next_attempt_at - now)
        now = message.next_attempt_at
        services.outbox_drain(now=now)
    message.refresh_from_db()
    # 30 s, then 1 and 2 minutes; the fourth attempt (the maximum) dead-letters it.
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert (message.state, message.attempts) == (OutboxMessage.State.DEAD, 4)
    # A dead letter is not tried again by the drain.
    assert services.outbox_drain(now=now + timedelta(days=1)) == 0
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 4


def test_a_permanent_failure_is_dead_at_once(recording):
    fakes.reset(fail="permanent")
    message = services.outbox_send(message_id=enqueue().pk)
    assert (message.state, message.attempts) == (OutboxMessage.State.DEAD, 1)
    assert message.last_error == "bad number"


def test_an_unexpected_error_is_retried_not_lost(recording):
    fakes.reset(fail="crash")
    message = services.outbox_send(message_id=enqueue().pk)
    assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, 1)
    assert message.last_error == "bug"
    fakes.reset()
    assert services.outbox_drain(now=timezone.now() + timedelta(minutes=1)) == 1
    assert fakes.sent == [message.pk]


def test_the_drain_sends_due_messages_oldest_first_and_bounded(recording):
    now = timezone.now()
    ids = []
    for i in range(5):
        message = enqueue(key=f"k{i}")
        OutboxMessage.objects.filter(pk=message.pk).update(
            next_attempt_at=now - timedelta(minutes=10 - i)
        )
        ids.append(message.pk)
    later = enqueue(key="later")
    OutboxMessage.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(hours=1))
    assert services.outbox_drain(now=now, limit=3) == 3
    assert fakes.sent == ids[:3]
    assert services.outbox_drain(now=now) == 2
    assert fakes.sent == ids
    assert OutboxMessage.objects.get(pk=later.pk).state == OutboxMessage.State.PENDING


def test_a_drain_during_a_send_does_not_send_it_again(recording):
    """The claim: a second drain that runs while a message is being sent skips it."""
    inner = []
    fakes.reset(during=lambda message: inner.append(services.outbox_drain()))
    message = enqueue()
    services.outbox_drain()
    assert inner == [0]
    assert fakes.sent == [message.pk]
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_drains_racing_send_each_message_exactly_once(recording):
    messages = [enqueue(key=f"race{i}").pk for i in range(20)]
    fakes.reset(delay=0.01)
    barrier = threading.Barrier(2)
    errors = []

    def drain():
        try:
            barrier.wait()
            services.outbox_drain()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(fakes.sent) == messages
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


# Re-sending by staff.


@pytest.fixture
def area():
    county = UnitFactory(level=Level.COUNTY)
    town = UnitFactory(level=Level.TOWN, parent=county)
    other = UnitFactory(level=Level.TOWN, parent=county)
    return {
        "county": county,
        "town": town,
        "other": other,
        "admin": UserFactory(unit=county, role=Role.CENTRE_ADMIN),
        "manager": UserFactory(unit=town, role=Role.MANAGER),
        "other_manager": UserFactory(unit=other, role=Role.MANAGER),
        "agent": UserFactory(unit=town, role=Role.AGENT),
    }


def dead_message(unit_path: str, key: str = "dead") -> OutboxMessage:
    message = enqueue(key=key, unit_path=unit_path)
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.DEAD, attempts=6, last_error="down"
    )
    message.refresh_from_db()
    return message


def test_staff_resend_a_dead_letter(recording, area, django_capture_on_commit_callbacks, settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    message = dead_message(area["town"].path)
    with django_capture_on_commit_callbacks(execute=True):
        services.outbox_resend(actor=area["manager"], message=message)
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.SENT, 1)
    assert fakes.sent == [message.pk]
    event = Event.objects.get(action="outbox.resend")
    assert event.actor == area["manager"]
    assert event.object_id == str(message.pk)
    assert event.unit_path == area["town"].path
    assert event.before["state"] == "dead"
    # It is not dead any more: a second re-send is refused.
    with pytest.raises(Conflict):
        services.outbox_resend(actor=area["admin"], message=message)


def test_who_may_resend(recording, area):
    message = dead_message(area["town"].path)
    for who in ("agent", "other_manager"):
        with pytest.raises(PermissionDenied):
            services.outbox_resend(actor=area[who], message=message)
    assert OutboxMessage.objects.get(pk=message.pk).state == OutboxMessage.State.DEAD
    # A centre administrator anywhere, also a message of no area (a login code).
    services.outbox_resend(actor=area["admin"], message=message)
    no_area = dead_message("", key="code")
    with pytest.raises(PermissionDenied):
        services.outbox_resend(actor=area["manager"], message=no_area)
    services.outbox_resend(actor=area["admin"], message=no_area)
    assert Event.objects.filter(action="outbox.resend").count() == 2
