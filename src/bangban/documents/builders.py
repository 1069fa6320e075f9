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

from bangban.cases.models import (
    Agreement,
    ApplicantType,
    Case,
    CaseLog,
    Handover,
    Party,
    RatingLevel,
)
from bangban.cases.tokens import rating_link
from bangban.cases.workflow import RULES, Action, State
from bangban.core.errors import Conflict, NotFound
from bangban.core.masking import mask_phone
from bangban.documents import clauses
from bangban.documents.models import Kind
from bangban.documents.rendering import tracking_url
from bangban.org.models import Level

# Bump when a template's layout or wording changes: the content hash includes it, so the next
# print makes a new version instead of reusing a PDF in the old layout.
LAYOUT = 1

# The agreement carries the principal's contact's full ID number and phone (annex 6 asks for
# them), and the registration forms the applicant's.
PERSONAL_KINDS = frozenset(
    {Kind.REGISTRATION_PERSONAL, Kind.REGISTRATION_ENTERPRISE, Kind.DELEGATION_AGREEMENT}
)
# Kinds a case has several of, one per `subject`; every other kind is one form per case.
HANDOVER_SUBJECT = "handover-"


@dataclass(frozen=True)
class Form:
    kind: Kind
    subject: str
    template: str
    data: dict[str, Any]
    # What the form's QR code opens: the tracking page, or the rating page on the evaluation form.
    qr_url: str


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


def _lines(handovers) -> list[dict[str, Any]]:
    return [
        {"material": line.material, "copies": line.copies, "original": line.original}
        for handover in handovers
        for line in handover.lines.all()
    ]


def _deficiency_commitment(case: Case) -> dict[str, Any]:
    deficiencies = list(case.deficiencies.all())
    if not deficiencies:
        raise Conflict(
            _("The case was not accepted with tolerated deficiencies: there is no commitment.")
        )
    return {
        **_common(case),
        "phone": mask_phone(case.phone),
        "accepted_on": _day(case.accepted_on),
        "deficiencies": [{"material": d.material, "due_on": _day(d.due_on)} for d in deficiencies],
    }


def _place(name: str, words: tuple[str, ...]) -> str:
    """A unit's place name for a blank the form follows with its tier word: "郑庄镇便民服务中心"
    fills "____乡（镇）" as "郑庄"; a name without a tier word is printed whole."""
    cuts = [name.find(word) for word in words if name.find(word) > 0]
    return name[: min(cuts)] if cuts else name


def _agent_place(unit) -> tuple[str, str]:
    """The town and village of the agent's unit, for "____乡（镇）____村（社区）" in annex 6."""
    towns, villages = ("镇", "乡", "街道"), ("村", "社区")
    if unit.level == Level.VILLAGE:
        town = _place(unit.parent.name, towns) if unit.parent_id else ""
        name = unit.name
        # "郑庄镇西村便民服务站": the village's own name follows its town's.
        for word in towns:
            if town and name.startswith(town + word):
                name = name[len(town + word) :]
        return town, _place(name, villages)
    if unit.level == Level.TOWN:
        return _place(unit.name, towns), ""
    return "", ""


def _delegation_agreement(case: Case) -> dict[str, Any]:
    agreement = (
        Agreement.objects.select_related("agent", "agent__unit", "agent__unit__parent")
        .filter(case=case)
        .first()
    )
    if agreement is None:
        raise Conflict(_("No delegation agreement has been signed on this case."))
    common = _common(case)
    town, village = _agent_place(agreement.agent.unit)
    # The annexed handover list: what the principal handed to the agent.
    handed = case.handovers.filter(giver=Party.APPLICANT, receiver=Party.AGENT).prefetch_related(
        "lines"
    )
    return {
        **common,
        "principal": case.applicant_name,
        "service_name": "、".join(item["name"] for item in common["items"]),
        "contact_name": agreement.applicant_signatory,
        "contact_phone": case.phone,
        "contact_id_number": case.id_number,
        "agent_town": town,
        "agent_village": village,
        "agent_name": agreement.agent.name,
        "agent_phone": agreement.agent_phone,
        "scope": agreement.get_scope_display(),
        "terms": agreement.terms,
        "signed_on": _day(agreement.signed_at),
        "duties_principal": clauses.duties_principal(),
        "duties_agency": clauses.duties_agency(),
        "liability": clauses.liability(),
        "clauses": clauses.termination_clauses(),
        "effect": clauses.effect(),
        "materials": _lines(handed),
    }


def _party(handover: Handover, party: str) -> str:
    if party == Party.DEPARTMENT and handover.department_id:
        return handover.department.name
    return Party(party).label


def _handover_list(case: Case, subject: str) -> dict[str, Any]:
    try:
        pk = int(subject.removeprefix(HANDOVER_SUBJECT))
    except ValueError:
        pk = 0
    handovers = list(case.handovers.select_related("department").order_by("occurred_at", "pk"))
    handover = next((h for h in handovers if h.pk == pk), None)
    if not subject.startswith(HANDOVER_SUBJECT) or handover is None:
        raise NotFound(_("There is no such handover on this case."))
    when = timezone.localtime(handover.occurred_at)
    return {
        **_common(case),
        "sequence": handovers.index(handover) + 1,
        "giver": _party(handover, handover.giver),
        "receiver": _party(handover, handover.receiver),
        "giver_signatory": handover.giver_signatory,
        "receiver_signatory": handover.receiver_signatory,
        "handed_on": when.date().isoformat(),
        "handed_at": when.strftime("%H:%M"),
        "note": handover.note,
        "lost": handover.receiver == Party.LOST,
        "lines": _lines([handover]),
    }


def _termination_forms(case: Case) -> dict[str, Any]:
    termination = getattr(case, "termination", None)
    if termination is None:
        raise Conflict(_("The case has not been terminated: there are no termination forms."))
    returned = case.handovers.filter(receiver=Party.APPLICANT).prefetch_related("lines")
    return {
        **_common(case),
        "phone": mask_phone(case.phone),
        "accepted_on": _day(case.accepted_on),
        "requested_by": termination.get_requested_by_display(),
        "by_applicant": termination.requested_by == "applicant",
        "ground": termination.get_ground_display(),
        "explanation": termination.explanation,
        "terminated_on": _day(termination.terminated_at),
        "returned_application": case.returned,
        "returned": _lines(returned),
    }


ENDED = frozenset(
    {State.COMPLETED, State.DELIVERED, State.TERMINATED, State.REFUSED, State.ARCHIVED}
)


def _evaluation_form(case: Case) -> dict[str, Any]:
    # The form is handed over when the service ends, for the applicant to rate on paper or by
    # scanning its code; a rating already recorded is shown ticked.
    if case.state not in ENDED:
        raise Conflict(_("The service has not ended yet: the evaluation form comes at its end."))
    rating = getattr(case, "rating", None)
    return {
        **_common(case),
        "phone": mask_phone(case.phone),
        "ended_on": _day(case.completed_on or case.closed_at),
        "levels": [
            {
                "label": str(label),
                "ticked": bool(rating and rating.level == value),
            }
            for value, label in RatingLevel.choices
        ],
        "rated": rating is not None,
        "declined": bool(rating and rating.declined),
        "comment": rating.comment if rating else "",
        "rated_on": _day(rating.rated_at) if rating else "",
    }


BUILDERS: dict[Kind, Callable[[Case], dict[str, Any]]] = {
    Kind.REGISTRATION_PERSONAL: _registration_personal,
    Kind.REGISTRATION_ENTERPRISE: _registration_enterprise,
    Kind.ACCEPTANCE_RECEIPT: _acceptance_receipt,
    Kind.DEFICIENCY_COMMITMENT: _deficiency_commitment,
    Kind.ONE_TIME_NOTICE: _one_time_notice,
    Kind.REFUSAL_NOTICE: _refusal_notice,
    Kind.DELEGATION_AGREEMENT: _delegation_agreement,
    Kind.COMPLETION_NOTICE: _completion_notice,
    Kind.TERMINATION_FORMS: _termination_forms,
    Kind.EVALUATION_FORM: _evaluation_form,
}
# Kinds with one form per subject (the handover list of each custody event).
SUBJECT_BUILDERS: dict[Kind, Callable[[Case, str], dict[str, Any]]] = {
    Kind.HANDOVER_LIST: _handover_list,
}


def registration_kind(case: Case) -> Kind:
    if case.applicant_type == ApplicantType.PERSON:
        return Kind.REGISTRATION_PERSONAL
    return Kind.REGISTRATION_ENTERPRISE


def handover_subject(handover: Handover) -> str:
    return f"{HANDOVER_SUBJECT}{handover.pk}"


def applicable_forms(case: Case) -> list[tuple[Kind, str]]:
    """Every form the case's steps so far call for, as (kind, subject): its registration form,
    the forms of the actions on its timeline (the workflow table says which), the evaluation
    form once the service ended, and the handover list of each custody event."""
    done = set(case.log.values_list("action", flat=True))
    kinds = [registration_kind(case)]
    for rule in RULES:
        if rule.action.value in done:
            for produced in rule.documents:
                kind = Kind(produced.value)
                if kind in BUILDERS and kind not in kinds:
                    kinds.append(kind)
    if case.state in ENDED and Kind.EVALUATION_FORM not in kinds:
        kinds.append(Kind.EVALUATION_FORM)
    handovers = case.handovers.order_by("occurred_at", "pk")
    return [(kind, "") for kind in kinds] + [
        (Kind.HANDOVER_LIST, handover_subject(handover)) for handover in handovers
    ]


def build(case: Case, kind: Kind, subject: str = "") -> Form:
    """The form of `kind` (and `subject`, for the kinds a case has several of) for the case;
    Conflict when the case has no such form (yet), NotFound for an unknown subject."""
    if kind in (Kind.REGISTRATION_PERSONAL, Kind.REGISTRATION_ENTERPRISE) and kind != (
        registration_kind(case)
    ):
        raise Conflict(_("This registration form is for another type of applicant."))
    if kind in SUBJECT_BUILDERS:
        data = SUBJECT_BUILDERS[kind](case, subject)
    elif subject:
        raise NotFound(_("There is no such form."))
    else:
        data = BUILDERS[kind](case)
    # The evaluation form's code opens the rating page; every other form's, the tracking page.
    qr = rating_link(case) if kind == Kind.EVALUATION_FORM else tracking_url(case.number)
    return Form(
        kind=kind, subject=subject, template=f"documents/{kind.value}.html", data=data, qr_url=qr
    )
