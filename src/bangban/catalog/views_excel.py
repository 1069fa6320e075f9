"""Excel import and export of the catalog, for centre administrators: the page, the download,
the upload, and the import job's page (which polls itself while the job runs)."""

import tempfile
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from bangban.catalog import excel
from bangban.catalog.import_jobs import MAX_UPLOAD_BYTES, import_job_create
from bangban.catalog.models import ImportJob
from bangban.catalog.services import require_catalog_editor
from bangban.core.errors import ValidationFailed

# How many problems the job page lists; the report has them all.
PROBLEMS_SHOWN = 200
RECENT_JOBS = 20


def catalog_editor_required(view):
    """Signed in as a centre or system administrator; everybody else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        require_catalog_editor(request.user)
        return view(request, *args, **kwargs)

    return wrapped


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": f".xlsx,{excel.XLSX_CONTENT_TYPE}",
            }
        ),
    )


def _page(request: HttpRequest, form: ImportForm, status: int = 200) -> HttpResponse:
    jobs = ImportJob.objects.select_related("created_by")[:RECENT_JOBS]
    return render(
        request,
        "catalog/excel.html",
        {"form": form, "jobs": jobs, "max_mb": MAX_UPLOAD_BYTES // 2**20},
        status=status,
    )


@catalog_editor_required
@require_GET
def excel_page(request: HttpRequest) -> HttpResponse:
    return _page(request, ImportForm())


@catalog_editor_required
@require_GET
def catalog_export(request: HttpRequest) -> FileResponse:
    # Built in a temporary file (deleted when the response is closed), then streamed.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    excel.catalog_export(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"事项清单-{timezone.localdate():%Y-%m-%d}.xlsx",
        content_type=excel.XLSX_CONTENT_TYPE,
    )


@catalog_editor_required
@require_POST
def catalog_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = import_job_create(actor=request.user, upload=form.cleaned_data["file"])
        except ValidationFailed as exc:
            form.add_error("file" if exc.field == "file" else None, exc.message)
        else:
            return redirect("catalog-import-job", pk=job.pk)
    return _page(request, form, status=400)


@catalog_editor_required
@require_GET
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    problems = []
    if job.status == ImportJob.Status.FAILED and job.report:
        with job.report.open("rb") as handle:
            problems = excel.problems_read(handle, limit=PROBLEMS_SHOWN)
    context = {
        "job": job,
        "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        "problems": problems,
        "more_problems": max(job.error_count - len(problems), 0),
    }
    if getattr(request, "htmx", False):
        return render(request, "catalog/excel_job_status.html", context)
    return render(request, "catalog/excel_job.html", context)


@catalog_editor_required
@require_GET
def import_report(request: HttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    if not job.report:
        raise Http404
    stem = job.original_name.removesuffix(".xlsx").removesuffix(".XLSX") or str(job.pk)
    return FileResponse(
        job.report.open("rb"),
        as_attachment=True,
        filename=f"导入问题-{stem}.xlsx",
        content_type=excel.XLSX_CONTENT_TYPE,
    )
