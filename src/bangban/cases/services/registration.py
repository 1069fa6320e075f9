"""Consultations and registration (台账登记) on the forms of 000 annexes 1 and 2."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases.area import town_id_of
from bangban.cases.models import (
    ApplicantType,
    Case,
    CaseItem,
    Category,
    Channel,
    Consultation,
    Kind,
    ProxyScope,
)
from bangban.cases.services.common import (
    BACK_ENTRY_DAYS,
    POINT_LEVELS,
    _agent_of,
    _log,
    _require_case_worker,
    _when,
    fits,
)
from bangban.cases.tally import facts_of, tally_change
from bangban.catalog.models import Bundle, Item
from bangban.core.crypto import blind_index
from bangban.core.errors import ValidationFailed
from bangban.core.events import event_record
from bangban.core.identifiers import validate_id_number, validate_phone
from bangban.core.inserts import instances_insert
from bangban.core.masking import mask_id_number, mask_phone
from bangban.core.services import credit_code_accept
from bangban.org.models import Agent, Role, Unit
from bangban.org.scoping import in_scope


def _next_number(unit: Unit, day: date) -> str:
    """The unit's next number of the day. One statement (an upsert) that locks the counter
    row until the registration commits, so that numbers have no gaps and no repeats; every
    registration of the unit waits here, so it is kept to one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_casecounter (unit_id, day, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (unit_id, day) DO UPDATE SET last = cases_casecounter.last + 1 "
            "RETURNING last",
            [unit.pk, connection.ops.adapt_datefield_value(day)],
        )
        (last,) = cursor.fetchone()
    return f"{unit.code}-{day:%Y%m%d}-{last:04d}"


def registered_items(*, items: Sequence[Item], bundle: Bundle | None) -> list[Item]:
    """The items a registration names: those chosen, or else the bundle's, in order."""
    if items:
        return list(items)
    if bundle is None:
        return []
    return [member.item for member in bundle.members.select_related("item") if member.item]


def _applicant(applicant_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if applicant_type not in ApplicantType.values:
        raise ValidationFailed(_("Choose a person or an enterprise."), field="applicant_type")
    name = str(data.get("applicant_name", "")).strip()
    if not name:
        raise ValidationFailed(_("Enter the applicant's name."), field="applicant_name")
    fields: dict[str, Any] = {"applicant_type": applicant_type, "applicant_name": name}
    phone = validate_phone(str(data.get("phone", "")), field="phone")
    fields |= {
        "phone": phone,
        "phone_index": blind_index(phone, purpose="phone"),
        "phone_masked": mask_phone(phone),
    }
    id_number = str(data.get("id_number", "")).strip()
    if applicant_type == ApplicantType.PERSON or id_number:
        id_number = validate_id_number(id_number, field="id_number")
        fields |= {
            "id_number": id_number,
            "id_number_index": blind_index(id_number, purpose="id_number"),
            "id_number_masked": mask_id_number(id_number),
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
    for key in (
        "applicant_name",
        "address",
        "legal_representative",
        "project_name",
        "project_location",
        "key_project",
    ):
        fits(Case, key, fields[key])
    fields["investment"] = data.get("investment")
    fields["applicant_dishonest"] = bool(data.get("applicant_dishonest", False))
    return fields


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
    chosen = registered_items(items=items, bundle=bundle)
    if not chosen:
        raise ValidationFailed(_("Choose at least one item."), field="items")
    if any(not item.is_active for item in chosen):
        raise ValidationFailed(_("An item is no longer in the catalog."), field="items")
    if agent is None and actor.role == Role.AGENT:
        # Only what registration and its answer read of the agent (not the encrypted
        # identifiers, which would be decrypted for nothing).
        agent = _agent_of(actor, "pk", "unit_id", "name")
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
    case = Case(
        number=_next_number(unit, timezone.localdate(when)),
        unit=unit,
        town_id=town_id_of(unit),
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
    instances_insert(case)
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
    instances_insert(
        *(CaseItem(case=case, item=i, item_version_id=i.current_version_id) for i in chosen)
    )
    tally_change(None, facts_of(case), case_id=case.pk, item_ids=[item.pk for item in chosen])
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
