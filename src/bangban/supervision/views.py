"""Supervision pages: the ledger export (the filters, the job's progress, the download)."""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from bangban.cases.forms import CaseFilterForm
from bangban.core.errors import Conflict
from bangban.org.views import staff_required
from bangban.supervision import ledger, selectors, services

RECENT_EXPORTS = 10


@staff_required
@require_http_methods(["GET", "POST"])
def ledger_page(request: HttpRequest) -> HttpResponse:
    """The filters (those of the workbench, filled in from the link that led here) and the
    user's recent exports; posting them starts an export."""
    services.require_ledger_reader(request.user)
    status = 200
    if request.method == "POST":
        form = CaseFilterForm(request.POST)
        if form.is_valid():
            try:
                export = services.ledger_export_request(actor=request.user, filters=form.filters())
            except Conflict as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                return redirect("supervision:ledger-export", pk=export.pk)
        else:
            status = 400
    else:
        form = CaseFilterForm(request.GET or None)
    exports = selectors.ledger_exports_mine(actor=request.user)[:RECENT_EXPORTS]
    return render(
        request, "supervision/ledger.html", {"form": form, "exports": exports}, status=status
    )


@staff_required
@require_GET
def ledger_export(request: HttpRequest, pk: int) -> HttpResponse:
    """One export's progress; the page polls it (htmx gets the status block alone)."""
    export = selectors.ledger_export_get(actor=request.user, pk=pk)
    context = {"export": export}
    if getattr(request, "htmx", False):
        return render(request, "supervision/ledger_export_status.html", context)
    return render(request, "supervision/ledger_export.html", context)


@staff_required
@require_GET
def ledger_download(request: HttpRequest, pk: int) -> FileResponse:
    export = selectors.ledger_export_file(actor=request.user, pk=pk)
    day = timezone.localtime(export.finished_at or export.created_at)
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"帮办代办服务台账-{day:%Y-%m-%d}-{export.pk}.xlsx",
        content_type=ledger.XLSX_CONTENT_TYPE,
    )
