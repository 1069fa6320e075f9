"""The hash-chained event log: `event_record` appends, `events_verify` checks the chain.

Every service calls `event_record` inside its own transaction, so a change and its event are
committed together or not at all.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from bangban.core.inserts import (
    insert_statement,
    insert_values,
    instances_insert,
    instances_stored,
)
from bangban.core.models import Event, EventChainHead

GENESIS_HASH = "0" * 64


def _jsonable(value: Any) -> Any:
    """Normalise to plain JSON so the stored value reads back exactly as it was hashed."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _digest(
    *,
    seq: int,
    occurred_at,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    unit_path: str,
    before: Any,
    after: Any,
    ip_address: str | None,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [
            seq,
            occurred_at.astimezone(UTC).isoformat(),
            actor_id,
            actor_label,
            action,
            object_type,
            object_id,
            unit_path,
            before,
            after,
            ip_address,
            prev_hash,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _event_digest(event: Event) -> str:
    return _digest(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        unit_path=event.unit_path,
        before=event.before,
        after=event.after,
        ip_address=event.ip_address,
        prev_hash=event.prev_hash,
    )


EVENT_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "unit_path",
    "before",
    "after",
    "ip_address",
    "prev_hash",
)


def event_as_dict(event: Event) -> dict[str, Any]:
    """An event as plain JSON (time in UTC, ISO 8601) with its hash: what a case archive
    carries, so that `event_digest_of` recomputes the hash away from the database."""
    data = {name: getattr(event, name) for name in EVENT_FIELDS}
    data["occurred_at"] = event.occurred_at.astimezone(UTC).isoformat()
    data["hash"] = event.hash
    return data


def event_digest_of(data: dict[str, Any]) -> str:
    """The hash of an event given as `event_as_dict` wrote it (KeyError/ValueError when a
    field is missing or the time unreadable)."""
    fields = {name: data[name] for name in EVENT_FIELDS}
    moment = fields["occurred_at"]
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            raise ValueError("occurred_at has no time zone")
    fields["occurred_at"] = moment
    return _digest(**fields)


def _chain_next() -> tuple[int, str]:
    """Lock the chain's head and take the next sequence number: the new event's `seq` and its
    predecessor's hash. One statement (an upsert, which also starts the chain of a new
    database), because every write of the platform waits on this row until its commit."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_eventchainhead (id, last_seq, last_hash) VALUES (1, 1, %s) "
            "ON CONFLICT (id) DO UPDATE SET last_seq = core_eventchainhead.last_seq + 1 "
            "RETURNING last_seq, last_hash",
            [GENESIS_HASH],
        )
        seq, prev_hash = cursor.fetchone()
    return seq, prev_hash


# Written once: both ways of recording an event (below) end with it.
_HEAD_MOVE = "UPDATE core_eventchainhead SET last_hash = %s WHERE id = 1"


def _chain_move(last_hash: str) -> None:
    """The head now names the event just written (its row is locked by `_chain_next`)."""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_MOVE, [last_hash])


def event_record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    unit_path: str = "",
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> Event:
    """Append one event. `obj` fills the object type and id; a unit path is taken from `obj`
    (its `unit_path` attribute) when not given, so the event is scoped with the object."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        unit_path = unit_path or getattr(obj, "unit_path", "") or ""
    user = actor if getattr(actor, "is_authenticated", False) else None
    # No savepoint: the caller's transaction holds the change the event records, and a
    # failure here must undo both (two statements fewer while the chain's head is locked).
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _chain_next()
        event = Event(
            seq=seq,
            occurred_at=timezone.now(),
            actor=user,
            # An event without a user and without a label was made by the system itself (a
            # command run by an operator); failed logins carry the name that was tried instead.
            actor_label=actor_label or (user.get_username() if user else "system"),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            unit_path=unit_path,
            before=_jsonable(before),
            after=_jsonable(after),
            ip_address=ip_address,
            prev_hash=prev_hash,
        )
        event.hash = _event_digest(event)
        if connection.vendor == "postgresql":
            _insert_and_move(event)
        else:
            instances_insert(event)
            _chain_move(event.hash)
    return event


def _insert_and_move(event: Event) -> None:
    """PostgreSQL: write the event and move the chain's head to it in one statement (a
    data-modifying WITH), one round trip fewer while the head is locked."""
    fields, insert = insert_statement(Event, connection.vendor)
    # The model's own INSERT and the head's UPDATE; every value is a parameter.
    sql = f"WITH written AS ({insert}), moved AS ({_HEAD_MOVE}) SELECT * FROM written"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*insert_values(fields, event), event.hash])
        instances_stored([event], cursor.fetchall())


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that differ, for compact before/after records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def events_verify() -> ChainReport:
    """Walk the chain from the first event; report the first link that does not hold."""
    expected_seq, expected_prev, checked = 1, GENESIS_HASH, 0
    for event in Event.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(checked, expected_seq, "missing")
        if event.prev_hash != expected_prev:
            return ChainReport(checked, event.seq, "prev_hash")
        if _event_digest(event) != event.hash:
            return ChainReport(checked, event.seq, "altered")
        expected_seq, expected_prev, checked = event.seq + 1, event.hash, checked + 1
    head = EventChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq, head.last_hash) != (expected_seq - 1, expected_prev):
        return ChainReport(checked, expected_seq, "missing")
    return ChainReport(checked)
