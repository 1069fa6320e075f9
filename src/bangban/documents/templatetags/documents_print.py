"""Template helpers of the forms and of the case page's print list."""

from datetime import date
from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from bangban.cases.models import Case, Handover
from bangban.cases.workflow import RULE_OF, Action, State
from bangban.cases.workflow import Document as WorkflowDocument
from bangban.documents import builders, selectors
from bangban.documents.docx import DOCX_KINDS
from bangban.documents.models import Kind
from bangban.documents.services.forms import may_generate
from bangban.documents.services.scans import SIGNATURES

register = template.Library()


@register.filter
def form_date(value: str) -> str:
    """An ISO date as forms write it (2025年3月5日); blank stays blank for the pen."""
    if not value:
        return _("____ year ____ month ____ day")
    day = date.fromisoformat(value)
    return _("%(year)d year %(month)d month %(day)d day") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


@register.simple_tag
def agreement_copies() -> list[str]:
    """The three copies of the agreement's handover list (一式三份), each marked for its keeper."""
    return [
        _("Copy for the principal"),
        _("Copy for the agency centre"),
        _("Copy for the approving department"),
    ]


@register.filter
def pad_rows(lines: list, rows: int) -> range:
    """Empty rows after the filled ones, so a short (or empty) list still has lines for the pen."""
    return range(max(0, int(rows) - len(lines or [])))


@register.filter
def handover_subject(handover: Handover) -> str:
    return builders.handover_subject(handover)


@register.inclusion_tag("documents/_print_list.html")
def print_list(case: Case, produced: list[WorkflowDocument], after: str = "") -> dict[str, Any]:
    """The forms to print on the case page: the registration form always, then each form the
    actions taken so far produced (the case page's `documents`, read from the timeline, so
    the list costs no query), as far as it can be generated, and the evaluation form once the
    service has ended. The forms the action just taken (`after`) produced come marked, so
    the agent prints them at that step; the handover lists are printed from their table."""
    kinds = [builders.registration_kind(case)] + [
        Kind(d.value) for d in produced if Kind(d.value) in builders.BUILDERS
    ]
    if case.state in builders.ENDED and Kind.EVALUATION_FORM not in kinds:
        kinds.append(Kind.EVALUATION_FORM)
    just = set()
    if after in Action.values:
        just = {d.value for d in RULE_OF[Action(after)].documents}
    return {
        "case": case,
        "forms": [
            {
                "value": kind.value,
                "label": kind.label,
                "docx": kind in DOCX_KINDS,
                "just": kind.value in just,
            }
            for kind in kinds
        ],
    }


@register.inclusion_tag("documents/_records.html", takes_context=True)
def document_records(context, case: Case) -> dict[str, Any]:
    """The forms stored for the case, every version with its SHA-256 and its signed scans, and
    where the user works on the case, a form to attach the signed scan of each current one."""
    user = context["request"].user
    return {
        "case": case,
        "records": selectors.document_records(case=case),
        "can_attach": may_generate(user, case) and case.state != State.ARCHIVED,
        "max_mb": settings.BANGBAN_SCAN_MAX_MB,
        "accept": ",".join(
            sorted({f".{name}" for _magic, names in SIGNATURES.values() for name in names})
        ),
    }
