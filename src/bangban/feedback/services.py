"""Writes of complaints and "办不成事" tickets. Each use case is one function: keyword-only,
atomic, and leaves one event. The public submits (`actor=None`, the citizen is not signed in);
staff answer.

Personal data (the contact's name and phone) is encrypted at rest and never written into an
event."""

import secrets
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases.models import Case
from bangban.core.calendar import CalendarNotCovered, add_working_days
from bangban.core.crypto import blind_index
from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.core.identifiers import validate_phone
from bangban.feedback import selectors
from bangban.feedback.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Category,
    Channel,
    Complaint,
    Obstacle,
    State,
    Ticket,
)
from bangban.org.models import Level, Role, Unit

# 002 第四条: a "办不成事" ticket is answered within one working day.
OBSTACLE_REPLY_WORKING_DAYS = 1
DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 2000
ANSWER_MAX = 4000
MATTER_MAX = 200
NAME_MAX = 64
PUBLIC_LABEL = "public"


def new_code() -> str:
    """A tracking code: random from the OS's generator, unguessable, easy to read out."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class ReplyDue:
    due_date: date | None
    # Why there is no date, for the staff and the citizen; empty when there is one.
    note: str = ""


def reply_due(submitted: date) -> ReplyDue:
    """One working day after the day of submission on the official calendar; no date (and a
    note saying why) when the calendar does not cover the days to count."""
    try:
        return ReplyDue(add_working_days(submitted, OBSTACLE_REPLY_WORKING_DAYS).due_date)
    except CalendarNotCovered as exc:
        return ReplyDue(None, exc.message)


# Checks of what the public types -------------------------------------------------------------


def _text(value: str | None, *, field: str, required: str, maximum: int, minimum: int = 1) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(required, field=field)
    if len(value) < minimum:
        raise ValidationFailed(
            _("Please write at least %(min)d characters.") % {"min": minimum}, field=field
        )
    if len(value) > maximum:
        raise ValidationFailed(
            _("Please keep this to %(max)d characters or fewer (now %(count)d).")
            % {"max": maximum, "count": len(value)},
            field=field,
        )
    return value


def _contact(name: str | None, phone: str | None) -> tuple[str, str]:
    name = _text(name, field="contact_name", required=_("Enter your name."), maximum=NAME_MAX)
    if not (phone or "").strip():
        raise ValidationFailed(
            _("Enter a phone number on which we can reach you."), field="contact_phone"
        )
    return name, validate_phone(phone or "", field="contact_phone")


def _unit(unit: Unit | None) -> Unit | None:
    if unit is not None and (not unit.is_active or unit.level == Level.REGION):
        raise ValidationFailed(
            _("Choose a service point or department from the list."), field="unit"
        )
    return unit


def _case(case_number: str | None) -> tuple[str, Case | None]:
    """The typed number, and the case it names if there is one. An unknown number is kept as
    typed and not refused: refusing would tell anyone which case numbers exist."""
    number = "".join((case_number or "").split())
    if len(number) > 64:
        raise ValidationFailed(_("A case number is at most 64 characters."), field="case_number")
    return number, (Case.objects.filter(number=number).first() if number else None)


def _channel(channel: str) -> str:
    if channel not in Channel.values:
        raise ValidationFailed(_("Unknown channel."), field="channel")
    return channel


def _save_with_code(ticket: Ticket) -> None:
    """Save with a fresh code; a collision (one in 10^14) just draws again."""
    for _attempt in range(5):
        ticket.code = new_code()
        try:
            with transaction.atomic():
                ticket.save()
            return
        except IntegrityError:
            if not type(ticket).objects.filter(code=ticket.code).exists():
                raise
    raise Conflict(_("Could not issue a tracking code. Please try again."))


def _public_after(ticket: Ticket) -> dict:
    return {
        "code": ticket.code,
        "channel": ticket.channel,
        "unit": ticket.unit_id,
        "case": ticket.case_id,
        "case_number": ticket.case_number,
    }


# Complaints ----------------------------------------------------------------------------------


@transaction.atomic
def complaint_submit(
    *,
    category: str,
    description: str,
    contact_name: str,
    contact_phone: str,
    unit: Unit | None = None,
    case_number: str = "",
    channel: str = Channel.PORTAL,
    actor=None,
    ip_address: str | None = None,
) -> Complaint:
    """Receive a complaint (举报投诉). The complainant keeps the returned code to follow it."""
    if category not in Category.values:
        raise ValidationFailed(_("Choose what the complaint is about."), field="category")
    description = _text(
        description,
        field="description",
        required=_("Describe what happened."),
        minimum=DESCRIPTION_MIN,
        maximum=DESCRIPTION_MAX,
    )
    name, phone = _contact(contact_name, contact_phone)
    number, case = _case(case_number)
    unit = _unit(unit) or (case.unit if case is not None else None)
    complaint = Complaint(
        category=category,
        description=description,
        contact_name=name,
        contact_phone=phone,
        contact_phone_index=blind_index(phone, purpose="phone"),
        unit=unit,
        case_number=number,
        case=case,
        channel=_channel(channel),
        created_at=timezone.now(),
    )
    _save_with_code(complaint)
    event_record(
        actor=actor,
        actor_label="" if actor is not None else PUBLIC_LABEL,
        action="complaint.submit",
        obj=complaint,
        after={**_public_after(complaint), "category": category},
        ip_address=ip_address,
    )
    return complaint


def _require_answerer(actor, ticket: Ticket) -> None:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Sign in to answer."))
    if actor.role == Role.SUPERVISOR:
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))
    if actor.role not in selectors.ANSWERING_ROLES and not actor.is_superuser:
        raise PermissionDenied(_("Only point managers and administrators can do this."))
    if not selectors.is_visible(actor, ticket):
        raise PermissionDenied(_("This is outside your area."))


def _answer(*, actor, ticket: Ticket, answer: str, action: str) -> Ticket:
    _require_answerer(actor, ticket)
    # Lock the row: two staff answering at once must not both succeed.
    ticket = type(ticket).objects.select_for_update().get(pk=ticket.pk)
    if ticket.state == State.ANSWERED:
        raise Conflict(_("This has already been answered."))
    answer = _text(answer, field="answer", required=_("Write the answer."), maximum=ANSWER_MAX)
    before = {"state": ticket.state}
    ticket.answer = answer
    ticket.answered_at = timezone.now()
    ticket.answered_by = actor
    ticket.state = State.ANSWERED
    ticket.save(update_fields=["answer", "answered_at", "answered_by", "state"])
    event_record(
        actor=actor,
        action=action,
        obj=ticket,
        before=before,
        after={"state": ticket.state, "answered_at": ticket.answered_at},
    )
    return ticket


@transaction.atomic
def complaint_answer(*, actor, complaint: Complaint, answer: str) -> Complaint:
    """Answer a complaint: the complainant reads the answer with the tracking code."""
    return _answer(actor=actor, ticket=complaint, answer=answer, action="complaint.answer")


# "办不成事" tickets ------------------------------------------------------------------------


@transaction.atomic
def obstacle_submit(
    *,
    matter: str,
    description: str,
    contact_name: str,
    contact_phone: str,
    unit: Unit | None = None,
    case_number: str = "",
    channel: str = Channel.PORTAL,
    actor=None,
    ip_address: str | None = None,
) -> Obstacle:
    """Open a "办不成事" ticket: a reply is due one working day after the day it comes in."""
    matter = _text(
        matter, field="matter", required=_("Say what you tried to get done."), maximum=MATTER_MAX
    )
    description = _text(
        description,
        field="description",
        required=_("Describe why it could not be done."),
        minimum=DESCRIPTION_MIN,
        maximum=DESCRIPTION_MAX,
    )
    name, phone = _contact(contact_name, contact_phone)
    number, case = _case(case_number)
    unit = _unit(unit) or (case.unit if case is not None else None)
    now = timezone.now()
    due = reply_due(timezone.localdate(now))
    obstacle = Obstacle(
        matter=matter,
        description=description,
        contact_name=name,
        contact_phone=phone,
        contact_phone_index=blind_index(phone, purpose="phone"),
        unit=unit,
        case_number=number,
        case=case,
        channel=_channel(channel),
        created_at=now,
        due_date=due.due_date,
    )
    _save_with_code(obstacle)
    event_record(
        actor=actor,
        actor_label="" if actor is not None else PUBLIC_LABEL,
        action="obstacle.submit",
        obj=obstacle,
        after={**_public_after(obstacle), "due_date": due.due_date, "due_note": due.note},
        ip_address=ip_address,
    )
    return obstacle


@transaction.atomic
def obstacle_reply(*, actor, obstacle: Obstacle, answer: str) -> Obstacle:
    """Reply to a "办不成事" ticket."""
    return _answer(actor=actor, ticket=obstacle, answer=answer, action="obstacle.reply")


# The investigation of complaints (调查核实) --------------------------------------------------

FINDING_MAX = 4000


@transaction.atomic
def complaint_record_hotline(
    *,
    actor,
    category: str,
    description: str,
    contact_name: str,
    contact_phone: str,
    unit: Unit | None = None,
    case_number: str = "",
) -> Complaint:
    """Enter a complaint passed on by the 12345 hotline. Staff type it in; the complainant is
    given the tracking code (read out or sent) to follow it on the portal."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Sign in first."))
    if actor.role not in selectors.ANSWERING_ROLES and not actor.is_superuser:
        raise PermissionDenied(_("Only point managers and administrators can do this."))
    if unit is not None and not selectors.unit_visible(actor, unit):
        raise PermissionDenied(_("This is outside your area."))
    return complaint_submit(
        actor=actor,
        category=category,
        description=description,
        contact_name=contact_name,
        contact_phone=contact_phone,
        unit=unit,
        case_number=case_number,
        channel=Channel.HOTLINE,
    )


@transaction.atomic
def complaint_route(*, actor, complaint: Complaint, unit: Unit, investigator=None) -> Complaint:
    """Route a complaint to the unit concerned for investigation (the centre does this): the
    unit's managers then see it; `investigator` is the staff member named to look into it."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Sign in first."))
    if actor.role not in selectors.CALLBACK_ROLES and not actor.is_superuser:
        raise PermissionDenied(_("Complaints are routed by the centre's administrators."))
    if not selectors.is_visible(actor, complaint):
        raise PermissionDenied(_("This is outside your area."))
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.state == State.ANSWERED or complaint.concluded_at is not None:
        raise Conflict(_("The investigation of this complaint is over."))
    unit = _unit(unit)
    if unit is None:
        raise ValidationFailed(_("Choose the unit to investigate."), field="unit")
    if not selectors.unit_visible(actor, unit):
        raise PermissionDenied(_("This is outside your area."))
    if investigator is not None and (
        not investigator.is_active
        or investigator.role not in selectors.ANSWERING_ROLES
        or not selectors.unit_visible(investigator, unit)
    ):
        raise ValidationFailed(
            _("The investigator must be a manager or administrator over that unit."),
            field="investigator",
        )
    before = {"state": complaint.state, "unit": complaint.unit_id}
    complaint.unit = unit
    complaint.investigating_by = investigator
    complaint.routed_at = timezone.now()
    complaint.routed_by = actor
    complaint.state = State.INVESTIGATING
    complaint.save(update_fields=["unit", "investigating_by", "routed_at", "routed_by", "state"])
    event_record(
        actor=actor,
        action="complaint.route",
        obj=complaint,
        before=before,
        after={
            "state": complaint.state,
            "unit": unit.pk,
            "investigator": investigator.pk if investigator else None,
        },
    )
    return complaint


@transaction.atomic
def complaint_conclude(
    *,
    actor,
    complaint: Complaint,
    substantiated: bool,
    finding_category: str,
    finding: str,
) -> Complaint:
    """Conclude the investigation: substantiated or not, the category found and the finding.
    The complainant is then answered (`complaint_answer`) and reads it by the tracking code."""
    _require_answerer(actor, complaint)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.concluded_at is not None:
        raise Conflict(_("The investigation has already been concluded."))
    if complaint.state == State.ANSWERED:
        raise Conflict(_("This has already been answered."))
    if substantiated not in (True, False):
        raise ValidationFailed(
            _("Say whether the complaint is substantiated."), field="substantiated"
        )
    if finding_category not in Category.values:
        raise ValidationFailed(_("Choose the category found."), field="finding_category")
    finding = _text(
        finding,
        field="finding",
        required=_("Write what the investigation found."),
        maximum=FINDING_MAX,
    )
    before = {"state": complaint.state}
    complaint.substantiated = substantiated
    complaint.finding_category = finding_category
    complaint.finding = finding
    complaint.concluded_at = timezone.now()
    complaint.concluded_by = actor
    if complaint.investigating_by_id is None:
        complaint.investigating_by = actor
    complaint.state = State.INVESTIGATING
    complaint.save(
        update_fields=[
            "substantiated",
            "finding_category",
            "finding",
            "concluded_at",
            "concluded_by",
            "investigating_by",
            "state",
        ]
    )
    event_record(
        actor=actor,
        action="complaint.conclude",
        obj=complaint,
        before=before,
        after={
            "substantiated": substantiated,
            "finding_category": finding_category,
            "concluded_at": complaint.concluded_at,
        },
    )
    return complaint
