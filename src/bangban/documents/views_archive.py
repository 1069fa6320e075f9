"""Archive export pages (一事一档): the button on an archived case's page, the bulk export of a
date range, an export's progress (polled), and the download."""

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bangban.cases.selectors import case_get
from bangban.core.errors import Conflict, ValidationFailed
from bangban.documents.archive import safe_name
from bangban.documents.services import archives as services
from bangban.org.views import staff_required

RECENT_EXPORTS = 10
ZIP_CONTENT_TYPE = "application/zip"


class ArchiveRangeForm(forms.Form):
    archived_from = forms.DateField(
        label=_("Archived from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    archived_to = forms.DateField(
        label=_("Archived to"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


@staff_required
@require_POST
def archive_case_export(request: HttpRequest, pk: int) -> HttpResponse:
    """From an archived case's page: ask for its zip, then follow it on the status page. A case
    not archived is a 409, one out of sight a 404 (the error page says why)."""
    case = case_get(actor=request.user, pk=pk)
    export = services.archive_export_request(actor=request.user, case=case)
    return redirect("documents:archive-export", pk=export.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def archive_page(request: HttpRequest) -> HttpResponse:
    """The date range of a bulk export and the user's recent exports; posting starts one."""
    services.require_archive_reader(request.user)
    status = 200
    if request.method == "POST":
        form = ArchiveRangeForm(request.POST)
        if form.is_valid():
            try:
                export = services.archive_export_request(
                    actor=request.user,
                    archived_from=form.cleaned_data["archived_from"],
                    archived_to=form.cleaned_data["archived_to"],
                )
            except (Conflict, ValidationFailed) as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                return redirect("documents:archive-export", pk=export.pk)
        else:
            status = 400
    else:
        form = ArchiveRangeForm()
    exports = services.archive_exports_mine(actor=request.user)[:RECENT_EXPORTS]
    return render(
        request, "documents/archive_list.html", {"form": form, "exports": exports}, status=status
    )


@staff_required
@require_GET
def archive_export(request: HttpRequest, pk: int) -> HttpResponse:
    """One export's progress; the page polls it (htmx gets the status block alone)."""
    export = services.archive_export_get(actor=request.user, pk=pk)
    context = {"export": export}
    if getattr(request, "htmx", False):
        return render(request, "documents/archive_export_status.html", context)
    return render(request, "documents/archive_export.html", context)


@staff_required
@require_GET
def archive_download(request: HttpRequest, pk: int) -> FileResponse:
    """The zip, to its requester while they still see its cases. It holds unmasked personal
    data: no shared cache may keep a copy."""
    export = services.archive_export_file(actor=request.user, pk=pk)
    if export.case_id is not None:
        what = safe_name(export.case.number)
    else:
        what = f"{export.archived_from:%Y%m%d}-{export.archived_to:%Y%m%d}"
    day = timezone.localtime(export.finished_at or export.created_at)
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"一事一档-{what}-{day:%Y%m%d}-{export.pk}.zip",
        content_type=ZIP_CONTENT_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response
