"""Document reads, scoped through the case they belong to."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bangban.cases.models import Case
from bangban.cases.selectors import case_get
from bangban.core.errors import NotFound
from bangban.documents.models import Document, Kind


def documents_for_case(*, actor, pk: int) -> QuerySet[Document]:
    """Every version of every form of a case the actor may see, newest first per form."""
    case = case_get(actor=actor, pk=pk)
    return case.documents.select_related("case", "created_by").order_by("kind", "-version")


def document_latest(*, actor, case: Case, kind: Kind | str) -> Document:
    """The latest version of a form of a case the actor may see."""
    document = (
        documents_for_case(actor=actor, pk=case.pk)
        .filter(kind=kind, superseded=False)
        .order_by("-version")
        .first()
    )
    if document is None:
        raise NotFound(_("This form has not been generated for this case yet."))
    return document
