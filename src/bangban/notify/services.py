"""Outbox services: enqueue a message inside the caller's transaction, and send one."""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bangban.core.masking import mask_phone
from bangban.notify.backends import SendFailed, backend
from bangban.notify.messages import text_of
from bangban.notify.models import Kind, OutboxMessage

# How long a claimed message is left to its sender before another may try it (a worker killed
# mid-send must not hold it for ever).
CLAIM_SECONDS = 120


def outbox_enqueue(
    *,
    kind: Kind | str,
    phone: str,
    params: dict,
    dedupe_key: str,
    unit_path: str = "",
    subject: str = "",
    recipient=None,
) -> OutboxMessage:
    """Write a message to the outbox in the current transaction; it is sent after commit.
    The same `dedupe_key` (one per event: "accepted:case:12") gives back the message already
    written, so an event never sends twice."""
    kind = Kind(kind)
    existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    now = timezone.now()
    message = OutboxMessage.objects.create(
        kind=kind,
        phone=phone,
        phone_masked=mask_phone(phone),
        recipient=recipient,
        params=params,
        text=text_of(kind, params),
        dedupe_key=dedupe_key,
        unit_path=unit_path,
        subject=subject,
        next_attempt_at=now,
        created_at=now,
    )
    transaction.on_commit(partial(_enqueue, message.pk))
    return message


def _enqueue(message_id: int) -> None:
    from bangban.notify.tasks import send_message

    send_message.enqueue(message_id)


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to an hour between attempts."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def outbox_send(*, message_id: int) -> OutboxMessage:
    """Send one pending message that is due. It is claimed first (attempts counted, the next
    attempt pushed past the claim), so two workers never send it at once; success marks it
    sent, a failure schedules a retry with backoff, and after BANGBAN_SMS_MAX_ATTEMPTS (or a
    failure retrying cannot help) it is dead-lettered."""
    now = timezone.now()
    message = OutboxMessage.objects.get(pk=message_id)
    claimed = OutboxMessage.objects.filter(
        pk=message_id,
        state=OutboxMessage.State.PENDING,
        next_attempt_at__lte=now,
        attempts=message.attempts,
    ).update(attempts=message.attempts + 1, next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return message
    message.refresh_from_db()
    try:
        provider_id = backend().send(message)
    except SendFailed as exc:
        dead = not exc.retry or message.attempts >= settings.BANGBAN_SMS_MAX_ATTEMPTS
        message.state = OutboxMessage.State.DEAD if dead else OutboxMessage.State.PENDING
        message.next_attempt_at = timezone.now() + _backoff(message.attempts)
        message.last_error = str(exc)[:500]
        message.save(update_fields=["state", "next_attempt_at", "last_error"])
        return message
    message.state = OutboxMessage.State.SENT
    message.provider_id = provider_id[:64]
    message.sent_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["state", "provider_id", "sent_at", "last_error"])
    return message
