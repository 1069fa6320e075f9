"""Outbox services: enqueue a message inside the caller's transaction, send one, drain what is
due, and re-send a dead-lettered one.

How a message travels: `outbox_enqueue` writes it in the transaction of the change it reports
(a rolled-back change leaves no message) and, after commit, queues the `send_message` task.
`outbox_send` claims it by a conditional update (so two workers never both send it), sends it,
and marks it sent, or schedules a retry with backoff, or dead-letters it. Retries (and any
message whose task was lost: a worker killed, Redis flushed) are picked up by `outbox_drain`,
which the scheduler runs every minute. Nothing is lost while the gateway is down: messages wait
as pending, then as dead letters that staff re-send with `outbox_resend`.

A worker killed after the gateway accepted a message but before it is marked sent cannot be
told apart from one killed before the gateway answered; the outbox alone could only choose
between losing that message and sending it twice. It is sent again (at least once): the claim
expires after CLAIM_SECONDS and a drain takes it, with the same OutId, the message's id, that
the first attempt gave; the provider drops a repeat of an OutId it has accepted (Aliyun dysms
and the in-house gateways copying it do), so the phone gets it once. A backend to a provider
without such a key would have to keep a "sending" mark and ask the provider before a repeat.
tests/security/test_crash_safety.py kills a drain at that point."""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.core import faults
from bangban.core.errors import Conflict, PermissionDenied
from bangban.core.events import event_record
from bangban.core.faults import crash_point
from bangban.core.masking import mask_phone
from bangban.notify.backends import SendFailed, backend
from bangban.notify.messages import text_of
from bangban.notify.models import Kind, OutboxMessage
from bangban.org.models import Role
from bangban.org.scoping import scope_path

logger = logging.getLogger("bangban.sms")

# How long a claimed message is left to its sender before another may try it (a worker killed
# mid-send must not hold it for ever). Longer than the gateway timeout, so that a slow send is
# never taken over while it may still succeed.
CLAIM_SECONDS = 120

# How many messages one drain sends at most, so that a long backlog after an outage is worked
# off in slices and a run never outlasts the scheduler's interval by much.
DRAIN_BATCH = 200

# Who may re-send a dead letter anywhere; centre administrators may within their county and
# point managers within their area (may_resend).
RESEND_ANYWHERE = {Role.SYSADMIN}


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
    message, _created = outbox_enqueue_once(
        kind=kind,
        phone=phone,
        params=params,
        dedupe_key=dedupe_key,
        unit_path=unit_path,
        subject=subject,
        recipient=recipient,
    )
    return message


def outbox_enqueue_once(
    *,
    kind: Kind | str,
    phone: str,
    params: dict,
    dedupe_key: str,
    unit_path: str = "",
    subject: str = "",
    recipient=None,
) -> tuple[OutboxMessage, bool]:
    """`outbox_enqueue`, also telling whether the message was written now (True) or was there
    already under its key (False): the scheduled scans count what they queued."""
    kind = Kind(kind)
    existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    try:
        # A savepoint: two writers of the same event (two scans at once) race to the unique
        # key, and the loser takes the winner's message instead of failing its transaction.
        with transaction.atomic():
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
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key), False
    transaction.on_commit(partial(_enqueue, message.pk))
    return message, True


def _enqueue(message_id: int) -> None:
    """Queue the send. A queue that is unreachable (Redis down) must not fail the request whose
    change is already committed: the message is in the outbox and the next drain sends it."""
    from bangban.notify.tasks import send_message

    try:
        send_message.enqueue(message_id)
    except Exception:
        logger.exception("Could not queue SMS %s; the next outbox drain sends it.", message_id)


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to an hour between attempts."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def outbox_send(*, message_id: int, now: datetime | None = None) -> OutboxMessage:
    """Send one pending message that is due. It is claimed first (attempts counted, the next
    attempt pushed past the claim), so two workers never send it at once; success marks it
    sent, a failure schedules a retry with backoff, and after BANGBAN_SMS_MAX_ATTEMPTS (or a
    failure retrying cannot help) it is dead-lettered. `now` stands for the clock (tests)."""
    now = now or timezone.now()
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
    except Exception as exc:
        # Anything but a SendFailed is a fault of ours or of the network library: retried like
        # a gateway fault, so that it is seen (last_error, the log) and not lost.
        retry = exc.retry if isinstance(exc, SendFailed) else True
        if not isinstance(exc, SendFailed):
            logger.exception("SMS %s: unexpected failure", message.pk)
        dead = not retry or message.attempts >= settings.BANGBAN_SMS_MAX_ATTEMPTS
        message.state = OutboxMessage.State.DEAD if dead else OutboxMessage.State.PENDING
        message.next_attempt_at = now + _backoff(message.attempts)
        message.last_error = str(exc)[:500] or type(exc).__name__
        message.save(update_fields=["state", "next_attempt_at", "last_error"])
        return message
    # The gateway has the message, the outbox does not know yet: a crash here is why the
    # message carries its id to the gateway (OutId), see the module's docstring.
    crash_point(faults.OUTBOX_SENT)
    message.state = OutboxMessage.State.SENT
    message.provider_id = provider_id[:64]
    message.sent_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["state", "provider_id", "sent_at", "last_error"])
    return message


def outbox_drain(*, now: datetime | None = None, limit: int = DRAIN_BATCH) -> int:
    """Send every pending message that is due (first retries and lost tasks), oldest due first,
    at most `limit` of them; returns how many were sent. Safe beside other drains and the
    per-message tasks: each message is claimed before it is sent."""
    now = now or timezone.now()
    due = list(
        OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for message_id in due:
        message = outbox_send(message_id=message_id, now=now)
        sent += message.state == OutboxMessage.State.SENT
    return sent


def may_resend(actor, message: OutboxMessage) -> bool:
    """System administrators re-send anywhere, centre administrators within their county (and
    messages of no area), point managers within their area."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_superuser or actor.role in RESEND_ANYWHERE:
        return True
    path = scope_path(actor)
    if actor.role == Role.CENTRE_ADMIN and path:
        return not message.unit_path or message.unit_path.startswith(path)
    return actor.role == Role.MANAGER and bool(path) and message.unit_path.startswith(path)


@transaction.atomic
def outbox_resend(*, actor, message: OutboxMessage) -> OutboxMessage:
    """Give a dead-lettered message a fresh start (the gateway is back, the template is set):
    pending again with its attempts reset, sent after commit."""
    if not may_resend(actor, message):
        raise PermissionDenied(_("You may not re-send this message."))
    before = {
        "state": message.state,
        "attempts": message.attempts,
        "last_error": message.last_error,
    }
    now = timezone.now()
    # Conditional, so that two clicks (or two staff) re-send it once.
    updated = OutboxMessage.objects.filter(pk=message.pk, state=OutboxMessage.State.DEAD).update(
        state=OutboxMessage.State.PENDING, attempts=0, next_attempt_at=now, last_error=""
    )
    if not updated:
        raise Conflict(_("Only a failed message can be re-sent; this one is not failed."))
    message.refresh_from_db()
    event_record(
        actor=actor,
        action="outbox.resend",
        obj=message,
        before=before,
        after={"state": message.state, "attempts": 0},
    )
    transaction.on_commit(partial(_enqueue, message.pk))
    return message
