"""Template helpers of the forms and of the case page's print list."""

from datetime import date
from typing import Any

from django import template
from django.utils.translation import gettext as _

from bangban.cases.models import Case
from bangban.cases.workflow import Document as WorkflowDocument
from bangban.documents.builders import BUILDERS, registration_kind
from bangban.documents.models import Kind

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


@register.inclusion_tag("documents/_print_list.html")
def print_list(case: Case, produced: list[WorkflowDocument]) -> dict[str, Any]:
    """The forms to print on the case page: the registration form always, then each form the
    actions taken so far produced (the case page's `documents`, read from the timeline, so
    the list costs no query), as far as it can be generated."""
    kinds = [registration_kind(case)] + [
        Kind(d.value) for d in produced if Kind(d.value) in BUILDERS
    ]
    return {"case": case, "forms": [(kind.value, kind.label) for kind in kinds]}
