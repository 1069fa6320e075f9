"""Assessment pages: the year's ranking (compute, publish), a town's sheet with every
deduction linked to its evidence, the sheet as PDF and xlsx, and the inspection findings."""

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bangban.assessment import outputs, services
from bangban.assessment.models import Assessment, Finding, FindingKind
from bangban.core.errors import ApplicationError, ValidationFailed
from bangban.org.models import Level, Unit
from bangban.org.scoping import scope_by_unit
from bangban.org.views import staff_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FindingForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.filter(level__in=[Level.TOWN, Level.VILLAGE], is_active=True),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    year = forms.IntegerField(
        label=_("Year"), widget=forms.NumberInput(attrs={"class": "form-control"})
    )
    found_on = forms.DateField(
        label=_("Date of the inspection"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    kind = forms.ChoiceField(
        label=_("Finding"),
        choices=FindingKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    count = forms.IntegerField(
        label=_("Number of times"),
        min_value=1,
        max_value=100,
        initial=1,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    description = forms.CharField(
        label=_("What was found"), widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"})
    )
    evidence = forms.FileField(
        label=_("Evidence (PDF, JPG or PNG)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
    )


@staff_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    services.require_reader(request.user)
    return redirect("assessment:year", year=timezone.localdate().year)


def _year_assessments(year: int):
    return (
        Assessment.objects.filter(year=year).select_related("unit").order_by("rank", "unit__code")
    )


@staff_required
@require_http_methods(["GET", "POST"])
def year_page(request: HttpRequest, year: int) -> HttpResponse:
    services.require_reader(request.user)
    error, status = "", 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "publish":
                services.assessment_publish(actor=request.user, year=year)
            else:
                services.assessment_compute(actor=request.user, year=year)
        except ApplicationError as exc:
            error, status = exc.message, exc.status_code
        else:
            return redirect("assessment:year", year=year)
    assessments = list(_year_assessments(year))
    return render(
        request,
        "assessment/year.html",
        {
            "year": year,
            "rows": outputs.ranking_rows(assessments),
            "published": any(a.is_published for a in assessments),
            "is_admin": services.is_admin(request.user),
            "error": error,
        },
        status=status,
    )


@staff_required
@require_GET
def ranking_pdf(request: HttpRequest, year: int) -> HttpResponse:
    services.require_reader(request.user)
    response = HttpResponse(outputs.ranking_pdf(year), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="assessment-{year}-ranking.pdf"'
    return response


@staff_required
@require_GET
def ranking_xlsx(request: HttpRequest, year: int) -> HttpResponse:
    services.require_reader(request.user)
    response = HttpResponse(outputs.ranking_xlsx(year), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="assessment-{year}-ranking.xlsx"'
    return response


def _findings(actor):
    """The findings of the actor's area: the centre's own county, everything for supervisors."""
    return scope_by_unit(Finding.objects.all(), actor)


def _assessment(request, year: int, pk: int) -> Assessment:
    services.require_reader(request.user)
    # A town of another county is no town of the reader's (one deployment, several counties).
    towns = scope_by_unit(Assessment.objects.select_related("unit"), request.user)
    return get_object_or_404(towns, year=year, pk=pk)


@staff_required
@require_GET
def town_page(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    assessment = _assessment(request, year, pk)
    return render(request, "assessment/town.html", outputs.sheet_context(assessment))


def _filename(assessment: Assessment, ext: str) -> str:
    return f"assessment-{assessment.year}-{assessment.unit.code}.{ext}"


@staff_required
@require_GET
def sheet_pdf(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    assessment = _assessment(request, year, pk)
    response = HttpResponse(outputs.sheet_pdf(assessment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(assessment, "pdf")}"'
    return response


@staff_required
@require_GET
def sheet_xlsx(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    assessment = _assessment(request, year, pk)
    response = HttpResponse(outputs.sheet_xlsx(assessment), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(assessment, "xlsx")}"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def findings(request: HttpRequest) -> HttpResponse:
    services.require_reader(request.user)
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    can_record = services.can_record_findings(request.user)
    status = 200
    if request.method == "POST":
        form = FindingForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.finding_record(actor=request.user, **form.cleaned_data)
            except ValidationFailed as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 400
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                return redirect(f"{request.path}?year={form.cleaned_data['year']}")
        else:
            status = 400
    else:
        form = FindingForm(initial={"year": year, "found_on": timezone.localdate()})
    rows = _findings(request.user).filter(year=year).select_related("unit", "recorded_by")
    return render(
        request,
        "assessment/findings.html",
        {"form": form, "findings": rows, "year": year, "can_record": can_record},
        status=status,
    )


@staff_required
@require_GET
def finding_evidence(request: HttpRequest, pk: int) -> FileResponse:
    services.require_reader(request.user)
    finding = get_object_or_404(_findings(request.user), pk=pk)
    return FileResponse(
        finding.evidence.open("rb"),
        content_type=finding.evidence_type or "application/octet-stream",
        filename=finding.evidence.name.rsplit("/", 1)[-1],
    )


@staff_required
@require_POST
def finding_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(_findings(request.user), pk=pk)
    services.finding_withdraw(
        actor=request.user, finding=finding, reason=request.POST.get("reason", "")
    )
    return redirect(f"{redirect('assessment:findings').url}?year={finding.year}")
