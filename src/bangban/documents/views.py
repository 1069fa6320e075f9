"""The printable forms of a case: generated (or the unchanged version reused) and shown inline
in the browser, which prints it."""

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _

from bangban.cases import selectors as case_selectors
from bangban.core.errors import NotFound
from bangban.documents import selectors, services
from bangban.documents.models import Kind
from bangban.org.views import staff_required


@staff_required
def form_pdf(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    if kind not in Kind.values:
        raise NotFound(_("There is no such form."))
    user = request.user
    case = case_selectors.case_get(actor=user, pk=pk)
    if services.may_generate(user, case):
        document = services.document_generate(actor=user, case=case, kind=kind)
    else:
        document = selectors.document_latest(actor=user, case=case, kind=kind)
    document = services.document_open(
        actor=user, document=document, ip_address=request.META.get("REMOTE_ADDR")
    )
    response = FileResponse(
        document.file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=document.filename,
    )
    # Personal data on paper: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response
