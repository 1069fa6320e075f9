"""Monthly statistical reports per town: the towns of the user's area for a month, each with
its versions to download, and a button to make (again) the report of one town or of all."""

from datetime import date

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bangban.core.errors import NotFound, PermissionDenied, ValidationFailed
from bangban.org.views import staff_required
from bangban.supervision import monthly
from bangban.supervision import services_monthly as services


def _month(value: str | None) -> date:
    """The month asked for (YYYY-MM), by default the previous one."""
    if value:
        try:
            return monthly.parse_month(value)
        except ValueError:
            pass
    return monthly.month_previous(monthly.month_first(timezone.localdate()))


@staff_required
@require_http_methods(["GET", "POST"])
def monthly_page(request: HttpRequest) -> HttpResponse:
    towns = list(services.towns_readable(request.user))
    if not towns:
        raise PermissionDenied(
            _("Monthly reports are for town managers, the county centre and the supervisors.")
        )
    month = _month(request.POST.get("month") or request.GET.get("month"))
    if request.method == "POST":
        target = request.POST.get("unit", "")
        chosen = towns if target == "all" else [t for t in towns if str(t.pk) == target]
        if not chosen:
            raise NotFound(_("There is no such town in your area."))
        if not services.can_generate(request.user):
            raise PermissionDenied(
                _("Only the town's manager and the county centre can make its monthly report.")
            )
        try:
            for town in chosen:
                services.monthly_report_generate(actor=request.user, unit=town, month=month)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(count)s monthly reports made for %(month)s.")
                % {"count": len(chosen), "month": monthly.month_label(month)},
            )
        return redirect(f"{request.path}?month={month:%Y-%m}")
    reports: dict[int, list] = {}
    for report in services.reports_readable(request.user).filter(month=month).order_by("-version"):
        reports.setdefault(report.unit_id, []).append(report)
    rows = [{"town": t, "reports": reports.get(t.pk, [])} for t in towns]
    return render(
        request,
        "supervision/monthly.html",
        {
            "rows": rows,
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "month_label": monthly.month_label(month),
            "max_month": f"{timezone.localdate():%Y-%m}",
            "can_generate": services.can_generate(request.user),
            "can_generate_all": len(towns) > 1 and services.can_generate(request.user),
        },
    )


def _download(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    report = services.report_get(actor=request.user, pk=pk)
    field = report.pdf if kind == "pdf" else report.xlsx
    return FileResponse(
        field.open("rb"),
        as_attachment=kind == "xlsx",
        filename=f"{report.unit.name}-{report.month:%Y-%m}-v{report.version}.{kind}",
        content_type="application/pdf" if kind == "pdf" else monthly.XLSX_CONTENT_TYPE,
    )


@staff_required
@require_GET
def monthly_pdf(request: HttpRequest, pk: int) -> FileResponse:
    return _download(request, pk, "pdf")


@staff_required
@require_GET
def monthly_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    return _download(request, pk, "xlsx")
