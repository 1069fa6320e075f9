"""What each form shows, read from the case: one builder per kind returns the template and
the data (plain JSON values, all the form prints), so the content hash covers exactly what is
on the paper and an unchanged case gives an unchanged hash.

Personal data: the registration forms carry the full ID number and phone — they are the
applicant's own record, which the applicant checks and signs — so every download of one is
logged as a reveal (`PERSONAL_KINDS`). The receipts and notices travel with the applicant and
are photographed and left lying about: they carry the name and a masked phone only."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases.models import ApplicantType, Case, CaseLog
from bangban.cases.workflow import Action
from bangban.core.errors import Conflict
from bangban.core.masking import mask_phone
from bangban.documents.models import Kind

# Bump when a template's layout or wording changes: the content hash includes it, so the next
# print makes a new version instead of reusing a PDF in the old layout.
LAYOUT = 1

PERSONAL_KINDS = frozenset({Kind.REGISTRATION_PERSONAL, Kind.REGISTRATION_ENTERPRISE})


@dataclass(frozen=True)
class Form:
    kind: Kind
    template: str
    data: dict[str, Any]


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.isoformat()


def _common(case: Case) -> dict[str, Any]:
    items = case.items.select_related("item", "item__department").order_by("pk")
    return {
        "layout": LAYOUT,
        "number": case.number,
        "unit": case.unit.name,
        "unit_address": case.unit.address,
        "unit_phone": case.unit.phone,
        "applicant": case.applicant_name,
        "items": [
            {
                "name": ci.item.name,
                "department": ci.item.department.name if ci.item.department_id else "",
            }
            for ci in items
        ],
        "kind": case.get_kind_display(),
        "proxy_scope": case.get_proxy_scope_display() if case.proxy_scope else "",
        "registered_on": _day(case.registered_at),
        "agent": case.agent.name if case.agent_id else "",
    }


def _last_log(case: Case, *actions: Action) -> CaseLog | None:
    return (
        case.log.filter(action__in=[a.value for a in actions])
        .select_related("actor", "event")
        .order_by("-occurred_at", "-pk")
        .first()
    )


def _registration_personal(case: Case) -> dict[str, Any]:
    return {
        **_common(case),
        "id_number": case.id_number,
        "phone": case.phone,
        "address": case.address,
        "channel": case.get_channel_display(),
        "category": case.get_category_display(),
        "special_group": case.special_group,
        "registered_by": str(case.created_by),
    }


def _registration_enterprise(case: Case) -> dict[str, Any]:
    return {
        **_registration_personal(case),
        "credit_code": case.credit_code,
        "legal_representative": case.legal_representative,
        "project_name": case.project_name,
        "project_location": case.project_location,
        "investment": str(case.investment) if case.investment is not None else "",
        "key_project": case.key_project,
    }


def _acceptance_receipt(case: Case) -> dict[str, Any]:
    entry = _last_log(case, Action.ACCEPT, Action.ACCEPT_TOLERATED)
    if case.accepted_on is None or entry is None:
        raise Conflict(_("The case has not been accepted: there is no acceptance receipt yet."))
    return {
        **_common(case),
        "phone": mask_phone(case.phone),
        "receiver": str(entry.actor),
        "accepted_on": _day(case.accepted_on),
        "limit_days": case.limit_days,
        "due_date": _day(case.due_date),
        "deficiencies": [
            {"material": d.material, "due_on": _day(d.due_on)} for d in case.deficiencies.all()
        ],
    }


def _one_time_notice(case: Case) -> dict[str, Any]:
    # The latest notice: an earlier one stays on record as the document's earlier version.
    notice = case.notices.select_related("issued_by").order_by("-number").first()
    if notice is None:
        raise Conflict(_("No one-time notice has been issued on this case."))
    return {
        **_common(case),
        "phone": mask_phone(case.phone),
        "notice_number": notice.number,
        "missing": [{"name": m["name"], "how": m["how"]} for m in notice.missing],
        "deadline": _day(notice.deadline),
        "issued_on": _day(notice.issued_at),
        "issued_by": str(notice.issued_by),
    }


def _refusal_notice(case: Case) -> dict[str, Any]:
    entry = _last_log(case, Action.REFUSE)
    if entry is None:
        raise Conflict(_("The case has not been refused: there is no refusal notice."))
    # The event keeps the reason whole; the timeline line is cut to its column's length.
    reason = (entry.event.after or {}).get("reason", "") if entry.event else ""
    return {
        **_common(case),
        "phone": mask_phone(case.phone),
        "reason": reason or entry.summary,
        "refused_on": _day(entry.occurred_at),
        "refused_by": str(entry.actor),
    }


def _completion_notice(case: Case) -> dict[str, Any]:
    completion = getattr(case, "completion", None)
    if completion is None:
        raise Conflict(_("The case has not been completed: there is no completion notice."))
    tasks = case.tasks.select_related("item", "department").order_by("-lead", "pk")
    return {
        **_common(case),
        "phone": mask_phone(case.phone),
        "accepted_on": _day(case.accepted_on),
        "completed_on": _day(completion.completed_at),
        "results": completion.results,
        "tasks": [
            {
                "item": t.item.name,
                "department": t.department.name,
                "decision": t.get_decision_display(),
                "result": t.result or t.decision_reason,
            }
            for t in tasks
        ],
    }


BUILDERS: dict[Kind, Callable[[Case], dict[str, Any]]] = {
    Kind.REGISTRATION_PERSONAL: _registration_personal,
    Kind.REGISTRATION_ENTERPRISE: _registration_enterprise,
    Kind.ACCEPTANCE_RECEIPT: _acceptance_receipt,
    Kind.ONE_TIME_NOTICE: _one_time_notice,
    Kind.REFUSAL_NOTICE: _refusal_notice,
    Kind.COMPLETION_NOTICE: _completion_notice,
}


def registration_kind(case: Case) -> Kind:
    if case.applicant_type == ApplicantType.PERSON:
        return Kind.REGISTRATION_PERSONAL
    return Kind.REGISTRATION_ENTERPRISE


def build(case: Case, kind: Kind) -> Form:
    """The form of `kind` for the case; Conflict when the case has no such form (yet)."""
    if kind in (Kind.REGISTRATION_PERSONAL, Kind.REGISTRATION_ENTERPRISE) and kind != (
        registration_kind(case)
    ):
        raise Conflict(_("This registration form is for another type of applicant."))
    builder = BUILDERS.get(kind)
    if builder is None:
        raise Conflict(_("This form cannot be generated yet."))
    return Form(kind=kind, template=f"documents/{kind.value}.html", data=builder(case))
