"""The printable forms of a case (generated, or the unchanged version reused, and shown inline
in the browser, which prints it), the stored versions, and the signed scans."""

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangban.cases import selectors as case_selectors
from bangban.core.errors import NotFound, ValidationFailed
from bangban.documents import selectors, services
from bangban.documents.models import Format, Kind
from bangban.org.views import staff_required


def _file_response(handle, *, content_type: str, filename: str, inline: bool) -> FileResponse:
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=filename
    )
    # Personal data on paper: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@staff_required
def form_file(
    request: HttpRequest, pk: int, kind: str, fmt: str = Format.PDF, subject: str = ""
) -> FileResponse:
    """The current form of a case: its workers get it generated (a new version only when the
    case changed); the others who may see the case get the latest one generated."""
    if kind not in Kind.values:
        raise NotFound(_("There is no such form."))
    user = request.user
    case = case_selectors.case_get(actor=user, pk=pk)
    if services.may_generate(user, case):
        document = services.document_generate(
            actor=user, case=case, kind=kind, subject=subject, format=fmt
        )
    else:
        document = selectors.document_latest(
            actor=user, case=case, kind=kind, subject=subject, format=fmt
        )
    document = services.document_open(actor=user, document=document, ip_address=_ip(request))
    return _file_response(
        document.file.open("rb"),
        content_type=document.content_type,
        filename=document.filename,
        # A PDF opens in the browser to print; Word files download to be edited.
        inline=document.format == Format.PDF,
    )


@staff_required
def document_file(request: HttpRequest, pk: int) -> FileResponse:
    """One stored version of a form, as it was generated (superseded ones too)."""
    document = selectors.document_get(actor=request.user, pk=pk)
    document = services.document_open(
        actor=request.user, document=document, ip_address=_ip(request)
    )
    return _file_response(
        document.file.open("rb"),
        content_type=document.content_type,
        filename=document.filename,
        inline=document.format == Format.PDF,
    )


@staff_required
@require_POST
def scan_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach the signed paper form's scan to the document it was printed from."""
    document = selectors.document_get(actor=request.user, pk=pk)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationFailed(_("Choose the scan or photo to upload."), field="file")
        services.scan_attach(actor=request.user, document=document, upload=upload)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The signed scan is attached to the form."))
    return redirect(f"{reverse('cases:detail', args=[document.case_id])}#records")


@staff_required
def scan_file(request: HttpRequest, pk: int) -> FileResponse:
    scan = selectors.scan_get(actor=request.user, pk=pk)
    scan = services.scan_open(actor=request.user, scan=scan, ip_address=_ip(request))
    return _file_response(
        scan.file.open("rb"),
        content_type=scan.content_type,
        filename=scan.filename,
        inline=True,
    )
