"""Document reads, scoped through the case they belong to."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bangban.cases.models import Case
from bangban.cases.selectors import case_get
from bangban.core.errors import NotFound
from bangban.documents.models import Document, Kind, SignedScan


def documents_for_case(*, actor, pk: int) -> QuerySet[Document]:
    """Every version of every form of a case the actor may see, newest first per form."""
    case = case_get(actor=actor, pk=pk)
    return case.documents.select_related("case", "created_by").order_by("kind", "-version")


def document_latest(
    *, actor, case: Case, kind: Kind | str, subject: str = "", format: str = "pdf"
) -> Document:
    """The latest version of a form of a case the actor may see."""
    document = (
        documents_for_case(actor=actor, pk=case.pk)
        .filter(kind=kind, subject=subject, format=format, superseded=False)
        .order_by("-version")
        .first()
    )
    if document is None:
        raise NotFound(_("This form has not been generated for this case yet."))
    return document


def document_get(*, actor, pk: int) -> Document:
    """One stored form (any version) of a case the actor may see; NotFound otherwise."""
    document = Document.objects.select_related("case", "case__unit").filter(pk=pk).first()
    if document is None:
        raise NotFound(_("There is no such document."))
    case_get(actor=actor, pk=document.case_id)
    return document


def scan_get(*, actor, pk: int) -> SignedScan:
    """One signed scan of a case the actor may see; NotFound otherwise."""
    scan = (
        SignedScan.objects.select_related("document", "document__case", "document__case__unit")
        .filter(pk=pk)
        .first()
    )
    if scan is None:
        raise NotFound(_("There is no such document."))
    case_get(actor=actor, pk=scan.document.case_id)
    return scan


def document_records(*, case: Case) -> list[Document]:
    """The stored forms of a case already read through `case_get`, each with its scans: the
    case page's record list, in two queries."""
    return list(
        case.documents.select_related("created_by")
        .prefetch_related("scans")
        .order_by("kind", "subject", "format", "-version")
    )
