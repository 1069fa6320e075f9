"""Case services: every action on a case, from the consultation to the archive. Each is one
use case: keyword-only, permission-checked, guarded by `workflow.check`, atomic, one event and
one timeline line. Every action names the case revision it was decided on; if somebody else
changed the case meanwhile, the action is refused with a conflict instead of overwriting their
work. An action may carry an earlier `occurred_at` (补录, work done on paper while offline):
it needs a reason, stays within the back-entry window and is marked in the timeline."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases import custody, deadlines
from bangban.cases.models import (
    Agreement,
    ApplicantType,
    Case,
    CaseCounter,
    CaseItem,
    CaseLog,
    Category,
    Channel,
    Completion,
    Consultation,
    Decision,
    Deficiency,
    Delivery,
    DeliveryMethod,
    Ground,
    Handover,
    HandoverLine,
    Incident,
    Kind,
    Meeting,
    Message,
    Milestone,
    Notice,
    Notification,
    Party,
    Plan,
    ProxyScope,
    Rating,
    RatingSource,
    RequestedBy,
    Task,
    Termination,
    WorkNote,
)
from bangban.cases.workflow import Action, State, check
from bangban.catalog.models import Bundle, Item
from bangban.core.calendar import working_days_between
from bangban.core.crypto import blind_index
from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.core.identifiers import validate_id_number, validate_phone
from bangban.core.masking import mask_id_number, mask_phone
from bangban.core.services import credit_code_accept
from bangban.org.models import Agent, Level, Role, Unit, User
from bangban.org.scoping import MANAGING_ROLES, in_scope

CASE_ROLES = {Role.AGENT, Role.LIAISON, Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN}
# How far back an action may be entered after the fact (补录), in calendar days.
BACK_ENTRY_DAYS = getattr(settings, "BANGBAN_BACK_ENTRY_DAYS", 30)
# Dispatch and supervision are a point manager's.
MANAGER_ACTIONS = frozenset({Action.ASSIGN, Action.SUPERVISE})
POINT_LEVELS = {Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.OUTLET}


def _require_case_worker(actor, unit: Unit, joint_unit: Unit | None = None) -> None:
    if actor.role == Role.SUPERVISOR:
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))
    if actor.role not in CASE_ROLES or not (
        in_scope(actor, unit) or (joint_unit is not None and in_scope(actor, joint_unit))
    ):
        raise PermissionDenied(_("This case is outside your area."))


def _require_manager(actor, case: Case) -> None:
    _require_case_worker(actor, case.unit, case.joint_unit)
    if actor.role not in MANAGING_ROLES:
        raise PermissionDenied(_("Only a point manager may do this."))


def may_register(actor) -> bool:
    """Whether the actor registers cases: service staff of a service point."""
    return (
        actor.role in CASE_ROLES and actor.unit_id is not None and actor.unit.level in POINT_LEVELS
    )


def works_on(actor, case: Case) -> bool:
    """Whether the actor works on the case: staff of its unit's subtree, or of the lower tier
    that escalated it for joint handling."""
    return actor.role in CASE_ROLES and (
        in_scope(actor, case.unit)
        or (case.joint_unit_id is not None and in_scope(actor, case.joint_unit))
    )


def permission_refusal(actor, case: Case, action: Action, tasks: Iterable[Task] = ()) -> str | None:
    """Why the actor may not take the action on the case, or None when they may. The one
    permission rule of the case actions: `_act` raises it, the case page hides what it
    refuses. `tasks` are those the action concerns (a liaison decides their department's)."""
    if actor.role == Role.SUPERVISOR:
        return _("Supervisors can view but cannot change anything.")
    if action == Action.DECIDE_TASK and actor.role == Role.LIAISON:
        if any(in_scope(actor, task.department) for task in tasks):
            return None
        return _("This task belongs to another department.")
    if not works_on(actor, case):
        return _("This case is outside your area.")
    if action in MANAGER_ACTIONS and actor.role not in MANAGING_ROLES:
        return _("Only a point manager may do this.")
    # A message is signed with its author's tier; a user of no unit (a system administrator)
    # has none.
    if action == Action.REMOTE_CONSULT and actor.unit_id is None:
        return _("Only staff who belong to a unit can write on the thread.")
    return None


def _when(occurred_at: datetime | None, back_entry_reason: str, not_before: datetime | None):
    """The moment an action happened, and the back-entry reason when it was earlier."""
    now = timezone.now()
    if occurred_at is None:
        return now, ""
    if timezone.is_naive(occurred_at):
        raise ValidationFailed(_("Give the time with its time zone."), field="occurred_at")
    if occurred_at > now:
        raise ValidationFailed(_("The time cannot be in the future."), field="occurred_at")
    reason = back_entry_reason.strip()
    if not reason:
        raise ValidationFailed(
            _("Say why this is entered after the fact (back-entry)."), field="back_entry_reason"
        )
    if occurred_at < now - timedelta(days=BACK_ENTRY_DAYS):
        raise ValidationFailed(
            _("Back-entry is limited to the last %(days)d days.") % {"days": BACK_ENTRY_DAYS},
            field="occurred_at",
        )
    if not_before is not None and occurred_at < not_before:
        raise ValidationFailed(
            _("The time cannot be earlier than the case's last recorded step."),
            field="occurred_at",
        )
    return occurred_at, reason


def _log(*, case: Case, actor, action: str, when: datetime, reason: str, summary: str, event):
    CaseLog.objects.create(
        case=case,
        action=action,
        occurred_at=when,
        recorded_at=timezone.now(),
        actor=actor,
        summary=summary[:500],
        back_entry_reason=reason[:200],
        event=event,
    )


def _notify(users: Sequence[User], case: Case | None, text: str) -> None:
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(recipient=user, case=case, text=text[:300], created_at=now)
        for user in {u.pk: u for u in users if u is not None}.values()
    )


def _next_number(unit: Unit, day: date) -> str:
    counter, _created = CaseCounter.objects.select_for_update().get_or_create(unit=unit, day=day)
    CaseCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db()
    return f"{unit.code}-{day:%Y%m%d}-{counter.last:04d}"


def _applicant(applicant_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if applicant_type not in ApplicantType.values:
        raise ValidationFailed(_("Choose a person or an enterprise."), field="applicant_type")
    name = str(data.get("applicant_name", "")).strip()
    if not name:
        raise ValidationFailed(_("Enter the applicant's name."), field="applicant_name")
    fields: dict[str, Any] = {"applicant_type": applicant_type, "applicant_name": name}
    phone = validate_phone(str(data.get("phone", "")), field="phone")
    fields |= {"phone": phone, "phone_index": blind_index(phone, purpose="phone")}
    id_number = str(data.get("id_number", "")).strip()
    if applicant_type == ApplicantType.PERSON or id_number:
        id_number = validate_id_number(id_number, field="id_number")
        fields |= {
            "id_number": id_number,
            "id_number_index": blind_index(id_number, purpose="id_number"),
        }
    for key in (
        "address",
        "legal_representative",
        "project_name",
        "project_location",
        "key_project",
    ):
        fields[key] = str(data.get(key, "")).strip()
    if applicant_type == ApplicantType.ENTERPRISE and not fields["legal_representative"]:
        raise ValidationFailed(_("Enter the legal representative."), field="legal_representative")
    fields["investment"] = data.get("investment")
    fields["applicant_dishonest"] = bool(data.get("applicant_dishonest", False))
    return fields


def _agent_of(user) -> Agent | None:
    return Agent.objects.filter(user=user, active_until__isnull=True).first()


@transaction.atomic
def consultation_log(
    *,
    actor,
    unit: Unit,
    channel: str,
    asker: str,
    topic: str,
    answer: str,
    phone: str = "",
    item: Item | None = None,
    occurred_at: datetime | None = None,
) -> Consultation:
    """咨询: who asked, about what, and the answer. It may become a case at registration."""
    _require_case_worker(actor, unit)
    if channel not in Channel.values:
        raise ValidationFailed(_("Choose a valid value."), field="channel")
    asker, topic, answer = asker.strip(), topic.strip(), answer.strip()
    for value, field, message in (
        (asker, "asker", _("Enter who asked.")),
        (topic, "topic", _("Enter what the consultation was about.")),
        (answer, "answer", _("Enter the answer given.")),
    ):
        if not value:
            raise ValidationFailed(message, field=field)
    if phone.strip():
        phone = validate_phone(phone, field="phone")
    # A consultation is logged as it happened; one from the back-entry window is no back-entry
    # of a case step, so it needs no reason, only a time inside the window.
    when = occurred_at or timezone.now()
    if timezone.is_naive(when) or when > timezone.now():
        raise ValidationFailed(_("The time cannot be in the future."), field="occurred_at")
    if when < timezone.now() - timedelta(days=BACK_ENTRY_DAYS):
        raise ValidationFailed(
            _("Back-entry is limited to the last %(days)d days.") % {"days": BACK_ENTRY_DAYS},
            field="occurred_at",
        )
    consultation = Consultation.objects.create(
        unit=unit,
        channel=channel,
        asker=asker,
        phone=phone.strip(),
        item=item,
        topic=topic,
        answer=answer,
        occurred_at=when,
        recorded_by=actor,
    )
    event_record(
        actor=actor,
        action="consultation.log",
        obj=consultation,
        after={"topic": topic, "item": item.pk if item else None, "phone": mask_phone(phone)},
    )
    return consultation


@transaction.atomic
def case_register(
    *,
    actor,
    unit: Unit,
    kind: str,
    channel: str,
    category: str,
    applicant_type: str,
    applicant: Mapping[str, Any],
    items: Sequence[Item] = (),
    bundle: Bundle | None = None,
    proxy_scope: str = "",
    special_group: bool = False,
    agent: Agent | None = None,
    credit_code: str = "",
    credit_code_override_reason: str = "",
    consultation: Consultation | None = None,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """The ledger entry (台账登记) on the registration form of 000 annex 1 or 2. The case goes
    to the registering agent unless another agent of the unit is named; a manager registering
    leaves it unassigned, to be dispatched."""
    _require_case_worker(actor, unit)
    if unit.level not in POINT_LEVELS:
        raise ValidationFailed(_("Cases are registered at a service point."), field="unit")
    for value, enum, field in (
        (kind, Kind, "kind"),
        (channel, Channel, "channel"),
        (category, Category, "category"),
    ):
        if value not in enum.values:
            raise ValidationFailed(_("Choose a valid value."), field=field)
    if kind == Kind.PROXY and proxy_scope not in ProxyScope.values:
        raise ValidationFailed(
            _("Say whether the proxy is for the whole procedure or a stage."), field="proxy_scope"
        )
    if kind == Kind.ASSIST:
        proxy_scope = ""
    chosen = list(items) or (
        [m.item for m in bundle.members.select_related("item") if m.item] if bundle else []
    )
    if not chosen:
        raise ValidationFailed(_("Choose at least one item."), field="items")
    if any(not item.is_active for item in chosen):
        raise ValidationFailed(_("An item is no longer in the catalog."), field="items")
    if agent is None and actor.role == Role.AGENT:
        agent = _agent_of(actor)
        if agent is not None and agent.unit_id != unit.pk:
            agent = None
    if agent is not None and agent.unit_id != unit.pk:
        raise ValidationFailed(_("The agent does not belong to this unit."), field="agent")
    if consultation is not None and not in_scope(actor, consultation.unit):
        raise ValidationFailed(
            _("This consultation was logged outside your area."), field="consultation"
        )
    if consultation is not None and consultation.case_id is not None:
        raise ValidationFailed(
            _("This consultation has already become a case."), field="consultation"
        )
    fields = _applicant(applicant_type, applicant)
    if applicant_type == ApplicantType.ENTERPRISE and not credit_code:
        raise ValidationFailed(_("Enter the unified social credit code."), field="credit_code")
    when, back_reason = _when(occurred_at, back_entry_reason, None)
    case = Case.objects.create(
        number=_next_number(unit, timezone.localdate(when)),
        unit=unit,
        agent=agent,
        kind=kind,
        proxy_scope=proxy_scope,
        channel=channel,
        category=category,
        special_group=special_group or category == Category.SPECIAL_GROUP,
        bundle=bundle,
        registered_at=when,
        created_by=actor,
        **fields,
    )
    if credit_code:
        accepted = credit_code_accept(
            actor=actor,
            value=credit_code,
            override_reason=credit_code_override_reason,
            obj=case,
            unit_path=unit.path,
        )
        Case.objects.filter(pk=case.pk).update(credit_code=accepted.value)
        case.credit_code = accepted.value
    CaseItem.objects.bulk_create(
        CaseItem(case=case, item=item, item_version=item.versions.get(number=item.version))
        for item in chosen
    )
    if consultation is not None:
        Consultation.objects.filter(pk=consultation.pk).update(case=case)
    event = event_record(
        actor=actor,
        action="case.register",
        obj=case,
        after={
            "number": case.number,
            "kind": kind,
            "items": [item.pk for item in chosen],
            "applicant": case.applicant_name,
            "id_number": mask_id_number(case.id_number),
            "phone": mask_phone(case.phone),
            **({"occurred_at": when, "back_entry": back_reason} if back_reason else {}),
        },
    )
    _log(
        case=case,
        actor=actor,
        action="register",
        when=when,
        reason=back_reason,
        summary="、".join(item.name for item in chosen),
        event=event,
    )
    return case


def _locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("unit", "joint_unit", "agent")
        .get(pk=case.pk)
    )


def _act(
    *,
    actor,
    case: Case,
    revision: int,
    action: Action,
    reason: str = "",
    changes: Mapping[str, Any] | Callable[[Case, datetime], Mapping[str, Any]] | None = None,
    record: Mapping[str, Any] | None = None,
    summary: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
    task: Task | None = None,
) -> tuple[Case, datetime]:
    """Apply one workflow action: permission, the table's rule, the revision check, the state
    change, the event and the timeline line, in the caller's transaction. `changes` may be a
    function of the locked case and the moment the action happened. Returns the updated case
    and that moment."""
    case = _locked(case)
    refused = permission_refusal(actor, case, action, [task] if task is not None else ())
    if refused:
        raise PermissionDenied(refused)
    if case.revision != revision:
        raise Conflict(_("Somebody else changed this case meanwhile. Reload it and try again."))
    rule = check(case, action)
    reason = reason.strip()
    if rule.needs_reason and not reason:
        raise ValidationFailed(_("Give the reason."), field="reason")
    last = case.log.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    when, back_reason = _when(occurred_at, back_entry_reason, last or case.registered_at)
    before = case.state
    values = dict(changes(case, when) if callable(changes) else (changes or {}))
    if rule.target is not None:
        values["state"] = rule.target
    # Compare-and-swap on the revision: on SQLite, where rows are not locked, a concurrent
    # write still cannot slip in between the check and the update.
    updated = Case.objects.filter(pk=case.pk, revision=revision).update(
        revision=revision + 1, **values
    )
    if not updated:
        raise Conflict(_("Somebody else changed this case meanwhile. Reload it and try again."))
    case.refresh_from_db()
    extra = {"occurred_at": when, "back_entry": back_reason} if back_reason else {}
    event = event_record(
        actor=actor,
        action=f"case.{action.value}",
        obj=case,
        before={"state": before},
        after={
            "state": case.state,
            **({"reason": reason} if reason else {}),
            **dict(record or {}),
            **extra,
        },
    )
    _log(
        case=case,
        actor=actor,
        action=action.value,
        when=when,
        reason=back_reason,
        summary=summary or reason,
        event=event,
    )
    return case, when


def _not_archived(case: Case) -> None:
    """Records beside the workflow (deficiencies, incidents) also stop at the archive lock."""
    if case.state == State.ARCHIVED:
        raise Conflict(_("The case is archived: its record is locked."))


def _day(when: datetime) -> date:
    return timezone.localdate(when)


@transaction.atomic
def notice_issue(
    *,
    actor,
    case: Case,
    revision: int,
    missing: Sequence[Mapping[str, str]],
    deadline: date,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Notice:
    """一次性告知单: every material missing now, how to obtain each, and the deadline."""
    rows = [
        {"name": str(m.get("name", "")).strip(), "how": str(m.get("how", "")).strip()}
        for m in missing
    ]
    if not rows or any(not r["name"] or not r["how"] for r in rows):
        raise ValidationFailed(
            _("List every missing material and how to obtain it."), field="missing"
        )
    if deadline <= _day(occurred_at or timezone.now()):
        raise ValidationFailed(_("The deadline must be after today."), field="deadline")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.ISSUE_NOTICE,
        record={"missing": rows, "deadline": deadline},
        summary="、".join(r["name"] for r in rows),
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    return Notice.objects.create(
        case=case,
        number=case.notices.count() + 1,
        missing=rows,
        deadline=deadline,
        issued_by=actor,
        issued_at=when,
    )


@transaction.atomic
def supplement_receive(
    *,
    actor,
    case: Case,
    revision: int,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """The supplement came: the case goes back to the completeness check."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.RECEIVE_SUPPLEMENT,
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    return case


@transaction.atomic
def case_accept(
    *,
    actor,
    case: Case,
    revision: int,
    tolerated: Sequence[Mapping[str, Any]] = (),
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """受理, or 容缺受理 when deficient materials are listed with their due dates. The due date
    is the longest promised limit of the case's items, in working days from the day of
    acceptance."""
    day = _day(occurred_at or timezone.now())
    rows = [
        {"material": str(t.get("material", "")).strip(), "due_on": t.get("due_on")}
        for t in tolerated
    ]
    if any(
        not r["material"] or not isinstance(r["due_on"], date) or r["due_on"] <= day for r in rows
    ):
        raise ValidationFailed(
            _("Name each deficient material and a due date after today."), field="tolerated"
        )
    versions = [ci.item_version for ci in case.items.select_related("item_version")]
    days = deadlines.limit_days(versions)

    def changes(_case: Case, when: datetime) -> dict[str, Any]:
        accepted = _day(when)
        return {
            "accepted_on": accepted,
            "limit_days": days,
            "due_date": deadlines.due_date(accepted, days),
        }

    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.ACCEPT_TOLERATED if rows else Action.ACCEPT,
        changes=changes,
        record={"limit_days": days, "tolerated": rows},
        summary="、".join(r["material"] for r in rows),
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    Deficiency.objects.bulk_create(
        Deficiency(case=case, material=r["material"], due_on=r["due_on"]) for r in rows
    )
    return case


@transaction.atomic
def deficiency_receive(*, actor, deficiency: Deficiency, received_on: date | None = None) -> None:
    """A tolerated deficiency is made good: the material came in."""
    case = deficiency.case
    _require_case_worker(actor, case.unit, case.joint_unit)
    _not_archived(case)
    if deficiency.received_on is not None:
        raise Conflict(_("This material has been received already."))
    day = received_on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationFailed(_("The date cannot be in the future."), field="received_on")
    Deficiency.objects.filter(pk=deficiency.pk).update(received_on=day)
    event_record(
        actor=actor,
        action="case.deficiency_receive",
        obj=case,
        after={"material": deficiency.material, "received_on": day},
    )


@transaction.atomic
def case_refuse(
    *,
    actor,
    case: Case,
    revision: int,
    reason: str,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """不予受理, with the reason written and explained (000 §三)."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.REFUSE,
        reason=reason,
        changes=lambda _c, when: {"closed_at": when},
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    return case


@transaction.atomic
def agreement_sign(
    *,
    actor,
    case: Case,
    revision: int,
    applicant_signatory: str,
    agent: Agent | None = None,
    agent_phone: str = "",
    terms: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Agreement:
    """代办服务委托书: signed by the applicant and the agent before any proxy work."""
    signatory = applicant_signatory.strip()
    if not signatory:
        raise ValidationFailed(
            _("Enter who signed for the applicant."), field="applicant_signatory"
        )
    agent = agent or case.agent or _agent_of(actor)
    if agent is None:
        raise ValidationFailed(_("Name the agent who signs the agreement."), field="agent")
    phone = agent_phone.strip() or agent.public_phone or agent.unit.phone
    if not phone:
        raise ValidationFailed(_("Enter the agent's contact phone."), field="agent_phone")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.SIGN_AGREEMENT,
        changes=lambda _c, when: {"agreement_signed_at": when},
        record={"applicant_signatory": signatory, "agent": agent.pk},
        summary=_("Signed by %(applicant)s and %(agent)s")
        % {"applicant": signatory, "agent": agent.name},
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    if agent.unit_id != case.unit_id and not in_scope(actor, agent.unit):
        raise ValidationFailed(_("The agent does not belong to this unit."), field="agent")
    return Agreement.objects.create(
        case=case,
        applicant_signatory=signatory,
        agent=agent,
        agent_phone=phone,
        scope=case.proxy_scope,
        terms=terms.strip(),
        signed_at=when,
    )


def _task_rows(case: Case) -> list[Task]:
    """One task per item and department; in a bundle the lead department's task leads."""
    lead_id = case.bundle.lead_department_id if case.bundle_id else None
    rows = []
    for case_item in case.items.select_related("item", "item_version"):
        item = case_item.item
        if item.department_id is None:
            continue
        days = deadlines.limit_days([case_item.item_version])
        rows.append(
            Task(
                case=case,
                item=item,
                department_id=item.department_id,
                lead=item.department_id == lead_id,
                limit_days=days,
                due_date=deadlines.due_date(case.accepted_on, days, case.paused_working_days)
                if case.accepted_on
                else None,
            )
        )
    if rows and not any(t.lead for t in rows) and len({t.department_id for t in rows}) == 1:
        for task in rows:
            task.lead = True
    return rows


@transaction.atomic
def case_start(
    *,
    actor,
    case: Case,
    revision: int,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """The work starts: the department tasks are opened, each with its own due date."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.START,
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    if not case.tasks.exists():
        Task.objects.bulk_create(_task_rows(case))
    return case


@transaction.atomic
def case_assign(*, actor, case: Case, revision: int, agent: Agent) -> Case:
    """派单: a manager gives the case to an agent of the case's unit, who is notified."""
    if agent.unit_id != case.unit_id or agent.active_until is not None:
        raise ValidationFailed(_("The agent does not belong to this unit."), field="agent")
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.ASSIGN,
        changes={"agent": agent},
        record={"agent": agent.pk},
        summary=agent.name,
    )
    _notify([agent.user], case, _("Case %(number)s is yours now.") % {"number": case.number})
    return case


def _lines(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for line in lines:
        material = str(line.get("material", "")).strip()
        try:
            copies = int(line.get("copies", 0))
        except (TypeError, ValueError):
            copies = 0
        if not material or copies < 1:
            raise ValidationFailed(
                _("Name each material and how many copies change hands."), field="lines"
            )
        rows.append(
            {"material": material, "copies": copies, "original": bool(line.get("original"))}
        )
    if not rows:
        raise ValidationFailed(_("List the materials handed over."), field="lines")
    return rows


@transaction.atomic
def handover_record(
    *,
    actor,
    case: Case,
    revision: int,
    giver: str,
    receiver: str,
    lines: Sequence[Mapping[str, Any]],
    giver_signatory: str,
    receiver_signatory: str = "",
    department: Unit | None = None,
    note: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Handover:
    """申报材料移交清单: the materials, their counts and both signatures. Handing to "lost"
    records a loss and opens an incident."""
    if giver not in Party.values or receiver not in Party.values or giver == receiver:
        raise ValidationFailed(_("Choose who hands over and who receives."), field="receiver")
    if Party.DEPARTMENT in (giver, receiver):
        if department is None or department.level != Level.DEPARTMENT:
            raise ValidationFailed(_("Choose the department."), field="department")
    else:
        department = None
    rows = _lines(lines)
    giver_signatory, receiver_signatory = giver_signatory.strip(), receiver_signatory.strip()
    if not giver_signatory:
        raise ValidationFailed(_("Enter who handed the materials over."), field="giver_signatory")
    lost = receiver == Party.LOST
    if lost and not note.strip():
        raise ValidationFailed(_("Describe how the material was lost."), field="note")
    if not lost and not receiver_signatory:
        raise ValidationFailed(_("Enter who received the materials."), field="receiver_signatory")
    giver_label = department.name if giver == Party.DEPARTMENT else Party(giver).label
    receiver_label = department.name if receiver == Party.DEPARTMENT else Party(receiver).label
    materials = "、".join(f"{r['material']}×{r['copies']}" for r in rows)
    summary = f"{giver_label} → {receiver_label}: {materials}"
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.RECORD_HANDOVER,
        record={"giver": giver, "receiver": receiver, "lines": rows, "lost": lost},
        summary=summary,
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    custody.check_giver_holds(case, giver, department, rows)
    handover = Handover.objects.create(
        case=case,
        giver=giver,
        receiver=receiver,
        department=department,
        giver_signatory=giver_signatory,
        receiver_signatory=receiver_signatory,
        occurred_at=when,
        note=note.strip(),
    )
    HandoverLine.objects.bulk_create(HandoverLine(handover=handover, **row) for row in rows)
    if lost:
        Incident.objects.create(
            case=case, handover=handover, description=note.strip(), opened_at=when
        )
        managers = User.objects.filter(unit=case.unit, role__in=[Role.MANAGER], is_active=True)
        _notify(
            list(managers),
            case,
            _("Material was lost on case %(number)s.") % {"number": case.number},
        )
    return handover


@transaction.atomic
def incident_resolve(*, actor, incident: Incident, resolution: str) -> Incident:
    """A manager closes a lost-material incident with what was done about it."""
    case = incident.case
    _require_manager(actor, case)
    _not_archived(case)
    if incident.resolved_at is not None:
        raise Conflict(_("This incident is closed already."))
    resolution = resolution.strip()
    if not resolution:
        raise ValidationFailed(_("Say how the incident was resolved."), field="resolution")
    now = timezone.now()
    Incident.objects.filter(pk=incident.pk).update(resolved_at=now, resolution=resolution)
    event_record(
        actor=actor, action="case.incident_resolve", obj=case, after={"resolution": resolution}
    )
    incident.refresh_from_db()
    return incident


def _task_of(case: Case, task: Task) -> Task:
    task = Task.objects.select_related("department", "item").get(pk=task.pk)
    if task.case_id != case.pk:
        raise ValidationFailed(_("This task belongs to another case."), field="task")
    return task


@transaction.atomic
def task_submit(
    *,
    actor,
    case: Case,
    revision: int,
    task: Task,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Task:
    """The agent submits the application to the department."""
    task = _task_of(case, task)
    if task.submitted_at is not None:
        raise Conflict(_("This task has been submitted already."))
    _case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.SUBMIT_TASK,
        record={"task": task.pk},
        summary=f"{task.item.name} → {task.department.name}",
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    Task.objects.filter(pk=task.pk).update(submitted_at=when)
    task.refresh_from_db()
    return task


@transaction.atomic
def task_decide(
    *,
    actor,
    case: Case,
    revision: int,
    task: Task,
    decision: str,
    reason: str = "",
    result: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Task:
    """The department's decision: approved, with the result documents, or not approved with
    the reason. Recorded by the department's liaison (or by the agent from the paper)."""
    task = _task_of(case, task)
    if decision not in Decision.values:
        raise ValidationFailed(_("Choose approved or not approved."), field="decision")
    reason, result = reason.strip(), result.strip()
    if decision == Decision.NOT_APPROVED and not reason:
        raise ValidationFailed(_("Give the reason it was not approved."), field="reason")
    if decision == Decision.APPROVED and not result:
        raise ValidationFailed(
            _("Name the result documents (licence, approval, …)."), field="result"
        )
    if task.decision:
        raise Conflict(_("This task has been decided already."))
    _case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.DECIDE_TASK,
        record={"task": task.pk, "decision": decision, "result": result, "reason": reason},
        summary=f"{task.item.name}: {Decision(decision).label} {result or reason}",
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
        task=task,
    )
    Task.objects.filter(pk=task.pk).update(
        decision=decision,
        decision_reason=reason,
        result=result,
        decided_at=when,
        decided_by=actor,
        submitted_at=task.submitted_at or when,
    )
    task.refresh_from_db()
    return task


@transaction.atomic
def task_urge(*, actor, case: Case, revision: int, task: Task, note: str = "") -> Task:
    """催办: the agent urges the department; the liaisons of the department are notified."""
    task = _task_of(case, task)
    if task.decision:
        raise Conflict(_("This task has been decided already."))
    _case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.URGE,
        record={"task": task.pk, "note": note.strip()},
        summary=f"{task.department.name}: {note.strip()}",
    )
    Task.objects.filter(pk=task.pk).update(urged=F("urged") + 1, last_urged_at=when)
    liaisons = User.objects.filter(
        unit__path__startswith=task.department.path, role=Role.LIAISON, is_active=True
    )
    _notify(
        list(liaisons),
        case,
        _("Case %(number)s: please speed up “%(item)s”.")
        % {"number": case.number, "item": task.item.name},
    )
    task.refresh_from_db()
    return task


@transaction.atomic
def case_supervise(*, actor, case: Case, revision: int, reason: str) -> Case:
    """督办: a manager marks the case supervised; its agent and the liaisons are notified."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.SUPERVISE,
        reason=reason,
        changes=lambda c, when: {"supervised_at": c.supervised_at or when},
    )
    recipients = [case.agent.user if case.agent else None, case.created_by]
    recipients += list(
        User.objects.filter(
            role=Role.LIAISON,
            unit__in=case.tasks.filter(decision="").values("department"),
            is_active=True,
        )
    )
    _notify(
        recipients,
        case,
        _("Case %(number)s is under supervision: %(reason)s")
        % {"number": case.number, "reason": reason.strip()},
    )
    return case


@transaction.atomic
def plan_agree(
    *,
    actor,
    case: Case,
    revision: int,
    agreed_with: str,
    milestones: Sequence[Mapping[str, Any]],
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Plan:
    """A plan with milestones agreed with the applicant; a new one supersedes the last."""
    agreed_with = agreed_with.strip()
    if not agreed_with:
        raise ValidationFailed(_("Enter who agreed the plan."), field="agreed_with")
    rows = [
        {"title": str(m.get("title", "")).strip(), "due_on": m.get("due_on")} for m in milestones
    ]
    if not rows or any(not r["title"] or not isinstance(r["due_on"], date) for r in rows):
        raise ValidationFailed(_("Give every milestone a title and a date."), field="milestones")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.PLAN,
        record={"agreed_with": agreed_with, "milestones": rows},
        summary="、".join(f"{r['title']}（{r['due_on']:%Y-%m-%d}）" for r in rows),
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    Plan.objects.filter(case=case, superseded=False).update(superseded=True)
    plan = Plan.objects.create(case=case, agreed_with=agreed_with, agreed_on=_day(when))
    Milestone.objects.bulk_create(Milestone(plan=plan, **row) for row in rows)
    return plan


@transaction.atomic
def milestone_done(
    *,
    actor,
    case: Case,
    revision: int,
    milestone: Milestone,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Milestone:
    milestone = Milestone.objects.select_related("plan").get(pk=milestone.pk)
    if milestone.plan.case_id != case.pk or milestone.plan.superseded:
        raise ValidationFailed(_("This milestone is not in the case's plan."), field="milestone")
    if milestone.done_on is not None:
        raise Conflict(_("This milestone is done already."))
    _case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.PROGRESS,
        record={"milestone": milestone.pk},
        summary=milestone.title,
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    Milestone.objects.filter(pk=milestone.pk).update(done_on=_day(when))
    milestone.refresh_from_db()
    return milestone


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


@transaction.atomic
def case_pause(
    *,
    actor,
    case: Case,
    revision: int,
    reason: str,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """Waiting for the applicant: from that day the days do not count against the deadline."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.PAUSE,
        reason=reason,
        changes=lambda _c, when: {"paused_since": _day(when)},
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    return case


@transaction.atomic
def case_resume(
    *,
    actor,
    case: Case,
    revision: int,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Case:
    """The working days spent paused move the due dates (the case's and every open task's)
    back by as many working days."""
    moved: dict[str, Any] = {}

    def changes(locked: Case, when: datetime) -> dict[str, Any]:
        paused = (
            max(0, working_days_between(locked.paused_since, _day(when)))
            if locked.paused_since
            else 0
        )
        total = locked.paused_working_days + paused
        due = (
            deadlines.due_date(locked.accepted_on, locked.limit_days, total)
            if locked.accepted_on
            else None
        )
        moved.update(paused=paused, total=total, due=due)
        return {"paused_since": None, "paused_working_days": total, "due_date": due}

    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.RESUME,
        changes=changes,
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    for task in case.tasks.filter(decision=""):
        if case.accepted_on and task.limit_days is not None:
            task.due_date = deadlines.due_date(case.accepted_on, task.limit_days, moved["total"])
            task.save(update_fields=["due_date"])
    return case


@transaction.atomic
def case_complete(
    *,
    actor,
    case: Case,
    revision: int,
    results: str,
    signed_by: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Completion:
    """办结: the results are recorded and the completion notice (000 annex 7) issued; the
    applicant signs it now or at delivery."""
    results = results.strip()
    if not results:
        raise ValidationFailed(_("Record the results."), field="results")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.COMPLETE,
        changes=lambda _c, when: {"completed_on": _day(when)},
        record={"results": results},
        summary=results[:200],
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    return Completion.objects.create(
        case=case, results=results, completed_at=when, signed_by=signed_by.strip()
    )


@transaction.atomic
def case_deliver(
    *,
    actor,
    case: Case,
    revision: int,
    method: str,
    receiver: str,
    tracking_number: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Delivery:
    """送达 by window pickup, free post (with the tracking number), to the door or
    electronically. The receiver confirms, signs the completion notice if not yet signed, and
    receives back every paper the agent still holds (recorded as a handover)."""
    if method not in DeliveryMethod.values:
        raise ValidationFailed(_("Choose how the results are delivered."), field="method")
    receiver, tracking_number = receiver.strip(), tracking_number.strip()
    if not receiver:
        raise ValidationFailed(_("Enter who received the results."), field="receiver")
    if method == DeliveryMethod.POST and not tracking_number:
        raise ValidationFailed(_("Enter the postal tracking number."), field="tracking_number")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.DELIVER,
        changes=lambda _c, when: {"closed_at": when},
        record={"method": method, "tracking_number": tracking_number, "receiver": receiver},
        summary=f"{DeliveryMethod(method).label} {tracking_number} {receiver}".strip(),
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    Completion.objects.filter(case=case, signed_by="").update(signed_by=receiver)
    held = custody.agent_holds(case)
    if held:
        handover = Handover.objects.create(
            case=case,
            giver=Party.AGENT,
            receiver=Party.APPLICANT,
            giver_signatory=case.agent.name if case.agent else actor.get_full_name(),
            receiver_signatory=receiver,
            occurred_at=when,
            note=_("Handed back with the results"),
        )
        HandoverLine.objects.bulk_create(
            HandoverLine(handover=handover, material=material, copies=copies)
            for material, copies in held.items()
        )
    return Delivery.objects.create(
        case=case,
        method=method,
        tracking_number=tracking_number,
        receiver=receiver,
        delivered_at=when,
    )


@transaction.atomic
def case_terminate(
    *,
    actor,
    case: Case,
    revision: int,
    requested_by: str,
    ground: str,
    reason: str,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Termination:
    """终止: who asked, on which ground (001 §六(二)4, annex 6, force majeure) and why. Every held
    material must have been handed back first. False materials also return the case (退件)."""
    if requested_by not in RequestedBy.values:
        raise ValidationFailed(_("Say who asked to terminate."), field="requested_by")
    if ground not in Ground.values:
        raise ValidationFailed(_("Choose the ground for termination."), field="ground")
    returned = ground == Ground.FALSE_MATERIALS
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.TERMINATE,
        reason=reason,
        changes=lambda _c, when: {"closed_at": when, "returned": returned},
        record={"requested_by": requested_by, "ground": ground, "returned": returned},
        summary=f"{Ground(ground).label}: {reason.strip()}",
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    return Termination.objects.create(
        case=case,
        requested_by=requested_by,
        ground=ground,
        explanation=reason.strip(),
        terminated_at=when,
    )


@transaction.atomic
def rating_record(
    *,
    actor,
    case: Case,
    revision: int,
    level: int | None = None,
    comment: str = "",
    declined: bool = False,
    source: str = RatingSource.WINDOW,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Rating:
    """一事一评: one rating on five levels with a comment, or the recorded refusal to rate."""
    if source not in RatingSource.values:
        raise ValidationFailed(_("Choose a valid value."), field="source")
    if declined:
        level = None
    elif level not in (1, 2, 3, 4, 5):
        raise ValidationFailed(_("Choose one of the five levels."), field="level")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.RATE,
        record={"level": level, "declined": declined, "source": source},
        summary=comment.strip()[:200],
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    return Rating.objects.create(
        case=case,
        level=level,
        comment=comment.strip(),
        declined=declined,
        source=source,
        rated_at=when,
    )


@transaction.atomic
def case_archive(*, actor, case: Case, revision: int) -> Case:
    """一事一档: the archive is complete, so the case is locked."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.ARCHIVE,
        changes=lambda _c, when: {"archived_at": when},
    )
    return case


@transaction.atomic
def work_note_add(
    *, actor, text: str, day: date | None = None, case: Case | None = None
) -> WorkNote:
    """A line in the agent's own work log for the day."""
    if actor.role not in CASE_ROLES:
        raise PermissionDenied(_("Only service staff keep a work log."))
    text = text.strip()
    if not text:
        raise ValidationFailed(_("Write the note."), field="text")
    day = day or timezone.localdate()
    if day > timezone.localdate() or day < timezone.localdate() - timedelta(days=BACK_ENTRY_DAYS):
        raise ValidationFailed(
            _("Back-entry is limited to the last %(days)d days.") % {"days": BACK_ENTRY_DAYS},
            field="day",
        )
    if case is not None:
        _require_case_worker(actor, case.unit, case.joint_unit)
    note = WorkNote.objects.create(
        author=actor, day=day, text=text, case=case, created_at=timezone.now()
    )
    event_record(
        actor=actor,
        action="worknote.add",
        obj=note,
        unit_path=actor.unit.path if actor.unit_id else "",
        after={"day": day, "case": case.pk if case else None},
    )
    return note


@transaction.atomic
def notifications_read(*, actor) -> int:
    """Marks the actor's unread notifications read. Only the reader's own inbox changes, no
    case, so there is no event."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
