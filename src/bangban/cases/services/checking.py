"""The completeness check: one-time notices, supplements, acceptance (with tolerated
deficiencies) and refusal."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases import deadlines, sms
from bangban.cases.models import (
    Case,
    Deficiency,
    Notice,
)
from bangban.cases.services.common import (
    _act,
    _day,
    _not_archived,
    _require_case_worker,
)
from bangban.cases.workflow import Action
from bangban.core.errors import Conflict, ValidationFailed
from bangban.core.events import event_record


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
    notice = Notice.objects.create(
        case=case,
        number=case.notices.count() + 1,
        missing=rows,
        deadline=deadline,
        issued_by=actor,
        issued_at=when,
    )
    sms.notice_issued(case, notice)
    return notice


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
    sms.case_accepted(case)
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
    sms.rate_invitation(case)
    return case
