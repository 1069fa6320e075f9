"""Staff pages of the feedback loop (issue 7): a complaint's investigation (route, conclude),
hotline entry, rectifications of bad ratings and the monthly callback samples."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.feedback import followup, selectors, services
from bangban.feedback.forms import (
    CallForm,
    ConcludeForm,
    ExtendForm,
    HotlineForm,
    RectificationRecordForm,
    RouteForm,
    SampleForm,
)
from bangban.feedback.models import Complaint, RectificationState, State
from bangban.org import selectors as org_selectors
from bangban.org.models import Level, Role
from bangban.org.views import staff_required


def _require_reader(user) -> None:
    if not selectors.can_read(user):
        raise PermissionDenied(
            _("Complaints are handled by point managers, the centre and supervisors.")
        )


def _units(user):
    return (
        org_selectors.units_visible(actor=user)
        .filter(is_active=True)
        .exclude(level=Level.REGION)
        .order_by("path")
    )


def _can(user, roles) -> bool:
    return user.is_superuser or (user.role in roles and user.role != Role.SUPERVISOR)


def _refused(form, exc: ValidationFailed) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# A complaint's investigation -------------------------------------------------------------------


def investigation_context(user, complaint: Complaint, **forms) -> dict:
    """What the complaint page needs for the route and conclude forms."""
    open_ = complaint.state != State.ANSWERED and complaint.concluded_at is None
    can_route = open_ and _can(user, selectors.CALLBACK_ROLES)
    can_conclude = open_ and _can(user, selectors.ANSWERING_ROLES)
    return {
        "can_route": can_route,
        "can_conclude": can_conclude,
        "route_form": forms.get("route_form")
        or (
            RouteForm(units=_units(user), initial={"unit": complaint.unit_id})
            if can_route
            else None
        ),
        "conclude_form": forms.get("conclude_form") or (ConcludeForm() if can_conclude else None),
    }


def _complaint_page(request, complaint, status: int, **forms) -> HttpResponse:
    from bangban.core.masking import mask_name, mask_phone
    from bangban.feedback.forms import AnswerForm

    user = request.user
    return render(
        request,
        "feedback/detail.html",
        {
            "ticket": complaint,
            "kind": "complaints",
            "form": AnswerForm(),
            "can_answer": not complaint.is_answered
            and (user.role in selectors.ANSWERING_ROLES or user.is_superuser),
            "masked_name": mask_name(complaint.contact_name),
            "masked_phone": mask_phone(complaint.contact_phone),
            "due_note": "",
            "today": timezone.localdate(),
            **investigation_context(user, complaint, **forms),
        },
        status=status,
    )


@staff_required
@require_POST
def complaint_route(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request.user)
    complaint = selectors.complaint_get(actor=request.user, pk=pk)
    if not _can(request.user, selectors.CALLBACK_ROLES):
        raise PermissionDenied(_("Complaints are routed by the centre's administrators."))
    form = RouteForm(request.POST, units=_units(request.user))
    if form.is_valid():
        try:
            services.complaint_route(
                actor=request.user, complaint=complaint, unit=form.cleaned_data["unit"]
            )
        except ValidationFailed as exc:
            _refused(form, exc)
        except Conflict as exc:
            messages.warning(request, exc.message)
            return redirect("feedback:complaint", pk)
        else:
            messages.success(request, _("The complaint has been routed for investigation."))
            return redirect("feedback:complaint", pk)
    return _complaint_page(request, complaint, 400, route_form=form)


@staff_required
@require_POST
def complaint_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request.user)
    complaint = selectors.complaint_get(actor=request.user, pk=pk)
    form = ConcludeForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_conclude(
                actor=request.user, complaint=complaint, **form.cleaned_data
            )
        except ValidationFailed as exc:
            _refused(form, exc)
        except Conflict as exc:
            messages.warning(request, exc.message)
            return redirect("feedback:complaint", pk)
        else:
            messages.success(
                request, _("The finding has been recorded. Now answer the complainant.")
            )
            return redirect("feedback:complaint", pk)
    return _complaint_page(request, complaint, 400, conclude_form=form)


@staff_required
def complaint_hotline(request: HttpRequest) -> HttpResponse:
    """Enter a complaint passed on by the 12345 hotline."""
    user = request.user
    if not _can(user, selectors.ANSWERING_ROLES):
        raise PermissionDenied(_("Only point managers and administrators can do this."))
    form = HotlineForm(request.POST or None, units=_units(user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint = services.complaint_record_hotline(actor=user, **data)
            except ValidationFailed as exc:
                _refused(form, exc)
            else:
                messages.success(
                    request,
                    _("Recorded. Give the complainant the tracking code %(code)s.")
                    % {"code": complaint.code},
                )
                return redirect("feedback:complaint", complaint.pk)
        status = 400
    return render(request, "feedback/hotline.html", {"form": form}, status=status)


# Rectifications --------------------------------------------------------------------------------


def _year(request) -> int:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    return year if 2000 <= year <= today.year + 1 else today.year


@staff_required
def rectification_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    today = timezone.localdate()
    year = _year(request)
    state = request.GET.get("state", "")
    overdue = request.GET.get("overdue") == "1"
    rows = selectors.rectifications_visible(
        actor=request.user, state=state, overdue=overdue, today=today
    )
    summary = selectors.rectification_summary(
        actor=request.user, since=date(year, 1, 1), until=date(year, 12, 31), today=today
    )
    return render(
        request,
        "feedback/rectification_list.html",
        {
            "summary": summary,
            "year": year,
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "state": state if state in RectificationState.values else "",
            "states": RectificationState.choices,
            "overdue": overdue,
            "today": today,
        },
    )


@staff_required
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request.user)
    user = request.user
    rectification = selectors.rectification_get(actor=user, pk=pk)
    is_open = rectification.state == RectificationState.OPEN
    can_record = is_open and _can(user, selectors.ANSWERING_ROLES)
    can_call = rectification.state == RectificationState.DONE and _can(
        user, selectors.CALLBACK_ROLES
    )
    op = request.POST.get("op", "") if request.method == "POST" else ""
    initial = {
        "finding_category": rectification.finding_category,
        "finding": rectification.finding,
        "action_taken": rectification.action_taken,
    }
    record_form = RectificationRecordForm(
        request.POST if op == "record" else None,
        request.FILES if op == "record" else None,
        initial=initial,
    )
    extend_form = ExtendForm(request.POST if op == "extend" else None)
    call_form = CallForm(request.POST if op == "callback" else None)
    status = 200
    if request.method == "POST":
        allowed = {"record": can_record, "extend": can_record, "callback": can_call}
        if not allowed.get(op):
            raise PermissionDenied(_("You cannot do this now."))
        form = {"record": record_form, "extend": extend_form, "callback": call_form}[op]
        if form.is_valid():
            data = form.cleaned_data
            try:
                if op == "record":
                    followup.rectification_record(
                        actor=user,
                        rectification=rectification,
                        finding_category=data["finding_category"],
                        finding=data["finding"],
                        action_taken=data["action_taken"],
                        evidence=data["evidence"],
                        late_reason=data["late_reason"],
                        new_due_on=data["new_due_on"],
                    )
                    done = _("The rectification has been recorded; the callback comes next.")
                elif op == "extend":
                    followup.rectification_extend(actor=user, rectification=rectification, **data)
                    done = _("The new due date has been recorded.")
                else:
                    followup.rectification_callback(actor=user, rectification=rectification, **data)
                    done = _("The callback has been recorded.")
            except ValidationFailed as exc:
                _refused(form, exc)
            except Conflict as exc:
                messages.warning(request, exc.message)
                return redirect("feedback:rectification", pk)
            else:
                messages.success(request, done)
                return redirect("feedback:rectification", pk)
        status = 400
    return render(
        request,
        "feedback/rectification_detail.html",
        {
            "r": rectification,
            "evidence": rectification.evidence.all(),
            "callbacks": rectification.callbacks.select_related("called_by").order_by("pk"),
            "can_record": can_record,
            "can_call": can_call,
            "record_form": record_form,
            "extend_form": extend_form,
            "call_form": call_form,
            "overdue": rectification.is_overdue(timezone.localdate()),
            "today": timezone.localdate(),
        },
        status=status,
    )


@staff_required
def evidence_open(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    from django.http import FileResponse

    _require_reader(request.user)
    rectification = selectors.rectification_get(actor=request.user, pk=pk)
    evidence = get_object_or_404(rectification.evidence.all(), pk=evidence_pk)
    return FileResponse(
        evidence.file.open("rb"),
        content_type=evidence.content_type,
        filename=evidence.original_name,
    )


# Callback samples ------------------------------------------------------------------------------


@staff_required
def sample_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    user = request.user
    can_draw = _can(user, selectors.CALLBACK_ROLES)
    today = timezone.localdate()
    previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    form = SampleForm(
        request.POST or None,
        units=_units(user),
        initial={"month": previous, "size": settings.BANGBAN_CALLBACK_SAMPLE_SIZE},
    )
    status = 200
    if request.method == "POST":
        if not can_draw:
            raise PermissionDenied(_("Callbacks are made by the centre's administrators."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                sample = followup.callback_sample_draw(actor=user, **data)
            except ValidationFailed as exc:
                _refused(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The sample has been drawn."))
                return redirect("feedback:sample", sample.pk)
        status = 400
    page = Paginator(selectors.samples_visible(actor=user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "feedback/sample_list.html",
        {"form": form, "can_draw": can_draw, "page": page},
        status=status,
    )


@staff_required
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request.user)
    user = request.user
    sample = selectors.sample_get(actor=user, pk=pk)
    can_call = _can(user, selectors.CALLBACK_ROLES)
    callbacks = list(selectors.sample_callbacks(sample))
    form, current, status = CallForm(), None, 200
    if request.method == "POST":
        if not can_call:
            raise PermissionDenied(_("Callbacks are made by the centre's administrators."))
        try:
            current = next(c for c in callbacks if str(c.pk) == request.POST.get("callback"))
        except StopIteration:
            return redirect("feedback:sample", pk)
        form = CallForm(request.POST)
        if form.is_valid():
            try:
                followup.callback_record(actor=user, callback=current, **form.cleaned_data)
            except ValidationFailed as exc:
                _refused(form, exc)
            except Conflict as exc:
                messages.warning(request, exc.message)
                return redirect("feedback:sample", pk)
            else:
                messages.success(request, _("The callback has been recorded."))
                return redirect("feedback:sample", pk)
        status = 400
    return render(
        request,
        "feedback/sample_detail.html",
        {
            "sample": sample,
            "callbacks": callbacks,
            "can_call": can_call,
            "form": form,
            "blank_form": CallForm(),
            "current": current,
        },
        status=status,
    )
