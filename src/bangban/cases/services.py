"""Case services: registration and the check-and-accept part of the workflow, with deadlines.
Each is one use case: keyword-only, permission-checked, guarded by `workflow.check`, atomic,
one event. Every action names the case revision it was decided on; if somebody else changed
the case meanwhile, the action is refused with a conflict instead of overwriting their work."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases import deadlines
from bangban.cases.models import (
    ApplicantType,
    Case,
    CaseCounter,
    CaseItem,
    Category,
    Channel,
    Deficiency,
    Kind,
    Notice,
    ProxyScope,
)
from bangban.cases.workflow import Action, check
from bangban.catalog.models import Bundle, Item
from bangban.core.calendar import working_days_between
from bangban.core.crypto import blind_index
from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.core.identifiers import validate_id_number, validate_phone
from bangban.core.masking import mask_id_number, mask_phone
from bangban.core.services import credit_code_accept
from bangban.org.models import Agent, Role, Unit
from bangban.org.scoping import in_scope

CASE_ROLES = {Role.AGENT, Role.LIAISON, Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN}


def _require_case_worker(actor, unit: Unit) -> None:
    if actor.role == Role.SUPERVISOR:
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))
    if actor.role not in CASE_ROLES or not in_scope(actor, unit):
        raise PermissionDenied(_("This case is outside your area."))


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
) -> Case:
    """The ledger entry (台账登记) on the registration form of 000 annex 1 or 2."""
    _require_case_worker(actor, unit)
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
    if agent is not None and agent.unit_id != unit.pk:
        raise ValidationFailed(_("The agent does not belong to this unit."), field="agent")
    fields = _applicant(applicant_type, applicant)
    if applicant_type == ApplicantType.ENTERPRISE and not credit_code:
        raise ValidationFailed(_("Enter the unified social credit code."), field="credit_code")
    now = timezone.now()
    case = Case.objects.create(
        number=_next_number(unit, timezone.localdate(now)),
        unit=unit,
        agent=agent,
        kind=kind,
        proxy_scope=proxy_scope,
        channel=channel,
        category=category,
        special_group=special_group or category == Category.SPECIAL_GROUP,
        bundle=bundle,
        registered_at=now,
        created_by=actor,
        **fields,
    )
    if credit_code:
        check = credit_code_accept(
            actor=actor,
            value=credit_code,
            override_reason=credit_code_override_reason,
            obj=case,
            unit_path=unit.path,
        )
        Case.objects.filter(pk=case.pk).update(credit_code=check.value)
        case.credit_code = check.value
    CaseItem.objects.bulk_create(
        CaseItem(case=case, item=item, item_version=item.versions.get(number=item.version))
        for item in chosen
    )
    event_record(
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
        },
    )
    return case


def _act(
    *,
    actor,
    case: Case,
    revision: int,
    action: Action,
    reason: str = "",
    changes: Mapping[str, Any] | None = None,
    record: Mapping[str, Any] | None = None,
) -> Case:
    """Apply one workflow action: permission, the table's rule, the revision check, the state
    change and the event, in the caller's transaction."""
    case = Case.objects.select_for_update(of=("self",)).select_related("unit").get(pk=case.pk)
    _require_case_worker(actor, case.unit)
    if case.revision != revision:
        raise Conflict(_("Somebody else changed this case meanwhile. Reload it and try again."))
    rule = check(case, action)
    reason = reason.strip()
    if rule.needs_reason and not reason:
        raise ValidationFailed(_("Give the reason."), field="reason")
    before = case.state
    values = dict(changes or {})
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
    event_record(
        actor=actor,
        action=f"case.{action.value}",
        obj=case,
        before={"state": before},
        after={"state": case.state, **({"reason": reason} if reason else {}), **dict(record or {})},
    )
    return case


@transaction.atomic
def notice_issue(
    *, actor, case: Case, revision: int, missing: Sequence[Mapping[str, str]], deadline: date
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
    if deadline <= timezone.localdate():
        raise ValidationFailed(_("The deadline must be after today."), field="deadline")
    case = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.ISSUE_NOTICE,
        record={"missing": rows, "deadline": deadline},
    )
    number = case.notices.count() + 1
    return Notice.objects.create(
        case=case,
        number=number,
        missing=rows,
        deadline=deadline,
        issued_by=actor,
        issued_at=timezone.now(),
    )


@transaction.atomic
def supplement_receive(*, actor, case: Case, revision: int) -> Case:
    """The supplement came: the case goes back to the completeness check."""
    return _act(actor=actor, case=case, revision=revision, action=Action.RECEIVE_SUPPLEMENT)


@transaction.atomic
def case_accept(
    *, actor, case: Case, revision: int, tolerated: Sequence[Mapping[str, Any]] = ()
) -> Case:
    """受理, or 容缺受理 when deficient materials are listed with their due dates. The due date
    is the longest promised limit of the case's items, in working days from today."""
    today = timezone.localdate()
    rows = [
        {"material": str(t.get("material", "")).strip(), "due_on": t.get("due_on")}
        for t in tolerated
    ]
    if any(
        not r["material"] or not isinstance(r["due_on"], date) or r["due_on"] <= today for r in rows
    ):
        raise ValidationFailed(
            _("Name each deficient material and a due date after today."), field="tolerated"
        )
    versions = [ci.item_version for ci in case.items.select_related("item_version")]
    days = deadlines.limit_days(versions)
    due = deadlines.due_date(today, days)
    case = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.ACCEPT_TOLERATED if rows else Action.ACCEPT,
        changes={"accepted_on": today, "limit_days": days, "due_date": due},
        record={"due_date": due, "tolerated": rows},
    )
    Deficiency.objects.bulk_create(
        Deficiency(case=case, material=r["material"], due_on=r["due_on"]) for r in rows
    )
    return case


@transaction.atomic
def case_refuse(*, actor, case: Case, revision: int, reason: str) -> Case:
    """不予受理, with the reason written and explained (000 §三)."""
    return _act(actor=actor, case=case, revision=revision, action=Action.REFUSE, reason=reason)


@transaction.atomic
def case_start(*, actor, case: Case, revision: int) -> Case:
    return _act(actor=actor, case=case, revision=revision, action=Action.START)


@transaction.atomic
def case_pause(*, actor, case: Case, revision: int, reason: str) -> Case:
    """Waiting for the applicant: from today the days do not count against the deadline."""
    return _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.PAUSE,
        reason=reason,
        changes={"paused_since": timezone.localdate()},
    )


@transaction.atomic
def case_resume(*, actor, case: Case, revision: int) -> Case:
    """The working days spent paused move the due date back by as many working days."""
    today = timezone.localdate()
    paused = max(0, working_days_between(case.paused_since, today)) if case.paused_since else 0
    total = case.paused_working_days + paused
    due = deadlines.due_date(case.accepted_on, case.limit_days, total) if case.accepted_on else None
    return _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.RESUME,
        changes={"paused_since": None, "paused_working_days": total, "due_date": due},
        record={"paused_working_days": paused, "due_date": due},
    )
