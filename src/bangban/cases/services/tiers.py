"""Tier linkage and coordination: remote consultation, transfer, escalation and meetings."""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases.models import (
    Case,
    Meeting,
    Message,
)
from bangban.cases.services.common import (
    POINT_LEVELS,
    _act,
    _notify,
    _require_case_worker,
)
from bangban.cases.workflow import Action
from bangban.core.errors import ValidationFailed
from bangban.core.events import event_record
from bangban.org.models import Role, Unit, User


@transaction.atomic
def meeting_record(
    *,
    actor,
    unit: Unit,
    kind: str,
    held_at: datetime,
    attendees: str,
    issues: str,
    decisions: str,
    cases: Sequence[Case] = (),
) -> Meeting:
    """A coordination meeting with its attendees, issues and decisions, linked to the cases it
    discussed (each must be in the recorder's area)."""
    _require_case_worker(actor, unit)
    if kind not in Meeting.Kind.values:
        raise ValidationFailed(_("Choose a valid value."), field="kind")
    if timezone.is_naive(held_at) or held_at > timezone.now():
        raise ValidationFailed(_("The time cannot be in the future."), field="held_at")
    texts = {
        "attendees": attendees.strip(),
        "issues": issues.strip(),
        "decisions": decisions.strip(),
    }
    for field, value in texts.items():
        if not value:
            raise ValidationFailed(_("This field is required."), field=field)
    for case in cases:
        _require_case_worker(actor, case.unit, case.joint_unit)
    meeting = Meeting.objects.create(
        unit=unit, kind=kind, held_at=held_at, recorded_by=actor, **texts
    )
    meeting.cases.set(cases)
    event_record(
        actor=actor,
        action="meeting.record",
        obj=meeting,
        after={"kind": kind, "cases": [c.pk for c in cases], **texts},
    )
    return meeting


@transaction.atomic
def message_post(*, actor, case: Case, revision: int, text: str) -> Message:
    """远程协办: a message on the case's thread between a lower-tier and an upper-tier agent.
    The upper tier sees the lower tier's cases, so both can write."""
    text = text.strip()
    if not text:
        raise ValidationFailed(_("Write the message."), field="text")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.REMOTE_CONSULT,
        summary=text[:200],
    )
    message = Message.objects.create(
        case=case, author=actor, author_unit=actor.unit, text=text, sent_at=when
    )
    others = {m.author for m in case.messages.select_related("author")} - {actor}
    others |= {case.agent.user} if case.agent and case.agent.user else set()
    _notify(
        [u for u in others if u != actor],
        case,
        _("New message on case %(number)s.") % {"number": case.number},
    )
    return message


@transaction.atomic
def case_transfer(*, actor, case: Case, revision: int, unit: Unit, reason: str) -> Case:
    """转办: ownership and sight move to the responsible unit; the history stays on the case."""
    if unit.level not in POINT_LEVELS or not unit.is_active:
        raise ValidationFailed(_("Choose a service point."), field="unit")
    if unit.pk == case.unit_id:
        raise ValidationFailed(_("The case is at this unit already."), field="unit")
    old = case.unit
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.TRANSFER,
        reason=reason,
        changes={"unit": unit, "agent": None, "joint_unit": None},
        record={"from": old.code, "to": unit.code},
        summary=f"{old.name} → {unit.name}: {reason.strip()}",
    )
    managers = User.objects.filter(unit=unit, role=Role.MANAGER, is_active=True)
    _notify(
        list(managers),
        case,
        _("Case %(number)s was transferred to you: dispatch it.") % {"number": case.number},
    )
    return case


@transaction.atomic
def case_escalate(*, actor, case: Case, revision: int, reason: str) -> Case:
    """提请上级: the upper tier takes the case over for joint handling; the tier that asked
    keeps sight of it."""
    parent = case.unit.parent
    if parent is None or parent.level not in POINT_LEVELS:
        raise ValidationFailed(_("This unit has no upper tier."), field="unit")
    old = case.unit
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.ESCALATE,
        reason=reason,
        changes={"unit": parent, "agent": None, "joint_unit": old},
        record={"from": old.code, "to": parent.code},
        summary=f"{old.name} → {parent.name}: {reason.strip()}",
    )
    managers = User.objects.filter(unit=parent, role=Role.MANAGER, is_active=True)
    _notify(
        list(managers),
        case,
        _("Case %(number)s was escalated to you by %(unit)s.")
        % {"number": case.number, "unit": old.name},
    )
    return case
