"""The front desk of the workbench: registering a case at the window, logging consultations,
recording coordination meetings, and each agent's daily work log."""

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bangban.cases import selectors, services
from bangban.cases.forms_desk import ConsultationForm, MeetingForm, RegistrationForm, WorkNoteForm
from bangban.cases.models import Consultation
from bangban.cases.workflow import Action
from bangban.catalog import selectors as catalog_selectors
from bangban.catalog.models import Bundle, Item
from bangban.catalog.search import search_catalog
from bangban.core.errors import NotFound, PermissionDenied, ValidationFailed
from bangban.core.identifiers import (
    id_number_birth_date,
    validate_credit_code,
    validate_id_number,
    validate_phone,
)
from bangban.core.masking import mask_phone
from bangban.org.models import Role, Unit, User
from bangban.org.scoping import MANAGING_ROLES, scope_by_unit
from bangban.org.views import staff_required

PAGE_SIZE = 25
SEARCH_RESULTS = 10
# Who reads other staff members' work logs (as `selectors.work_log` allows).
LOG_READERS = MANAGING_ROLES | {Role.SUPERVISOR}
STAFF = (Role.AGENT, Role.LIAISON, Role.MANAGER, Role.CENTRE_ADMIN)


def _can_write(user) -> bool:
    return user.role in services.CASE_ROLES


def _require_writer(user) -> None:
    """Refuse a submission before any form work: supervisors only read."""
    if not _can_write(user):
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))


def _case_url(pk: int) -> str:
    return reverse("cases:detail", args=[pk])


# Registration ------------------------------------------------------------------------------


@staff_required
def register(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_writer(user)
    if not services.may_register(user):
        return render(request, "cases/registration_unavailable.html", {"unit": user.unit})
    open_consultations = selectors.consultations_visible(actor=user).filter(case__isnull=True)
    if request.method == "POST":
        form = RegistrationForm(request.POST, consultations=open_consultations)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.case_register(
                    actor=user,
                    unit=user.unit,
                    kind=data["kind"],
                    channel=data["channel"],
                    category=data["category"],
                    applicant_type=data["applicant_type"],
                    applicant=form.applicant(),
                    items=form.ordered_items(),
                    bundle=data["bundle"],
                    proxy_scope=data["proxy_scope"],
                    special_group=data["special_group"],
                    credit_code=data["credit_code"],
                    credit_code_override_reason=data["credit_code_override_reason"],
                    consultation=data["consultation"],
                    occurred_at=data["occurred_at"],
                    back_entry_reason=data["back_entry_reason"],
                )
            except ValidationFailed as exc:
                form.service_error(exc)
            else:
                messages.success(
                    request, _("Case %(number)s is registered.") % {"number": case.number}
                )
                return redirect(_case_url(case.pk))
    else:
        form = RegistrationForm(
            initial=_from_consultation(request, open_consultations),
            consultations=open_consultations,
        )
    focus = form.focus_first_error("applicant_name")
    return render(
        request,
        "cases/registration.html",
        {
            "form": form,
            "focus": focus,
            "applicant_type": form.choice("applicant_type"),
            "kind": form.choice("kind"),
            **_picked(form, open_consultations),
        },
    )


def _picked(form: RegistrationForm, open_consultations) -> dict[str, Any]:
    """What the form has chosen so far, to show by name: items, bundle, consultation."""
    ids = form.picked_item_ids()
    by_pk = Item.objects.filter(pk__in=ids).in_bulk()
    bundle_id = form.picked_bundle_id()
    consultation_id = form.choice("consultation")
    return {
        "picked_items": [by_pk[pk] for pk in dict.fromkeys(ids) if pk in by_pk],
        "picked_bundle": Bundle.objects.filter(pk=bundle_id).first() if bundle_id else None,
        "consultation": open_consultations.filter(pk=consultation_id).first()
        if consultation_id.isdigit()
        else None,
    }


def _from_consultation(request: HttpRequest, open_consultations) -> dict[str, Any]:
    """The registration form prefilled from the consultation it grows out of."""
    pk = request.GET.get("consultation", "")
    if not pk:
        return {}
    consultation = open_consultations.filter(pk=pk).first() if pk.isdigit() else None
    if consultation is None:
        raise NotFound(_("There is no such consultation, or it has already become a case."))
    return {
        "consultation": consultation.pk,
        "applicant_name": consultation.asker,
        "phone": consultation.phone,
        "channel": consultation.channel,
        "items": [consultation.item_id] if consultation.item_id else [],
    }


@staff_required
def register_items(request: HttpRequest) -> HttpResponse:
    """The catalog search as the agent types: items and bundles, best first, marking the items
    this point does not offer (it may still register them, to transfer or escalate)."""
    query = request.GET.get("q", "").strip()
    hits = search_catalog(query, limit=SEARCH_RESULTS) if query else []
    item_ids = [hit.pk for hit in hits if hit.kind == "item"]
    items = Item.objects.filter(pk__in=item_ids).select_related("department").in_bulk()
    bundles = (
        Bundle.objects.filter(pk__in=[hit.pk for hit in hits if hit.kind == "bundle"])
        .select_related("lead_department")
        .in_bulk()
    )
    unit: Unit | None = request.user.unit
    if unit is not None and unit.level in services.POINT_LEVELS:
        offered = set(
            catalog_selectors.items_offered(unit=unit)
            .filter(pk__in=item_ids)
            .values_list("pk", flat=True)
        )
    else:
        offered = set(item_ids)
    rows = []
    for hit in hits:
        if hit.kind == "item" and hit.pk in items:
            department = items[hit.pk].department
            rows.append(
                {
                    "hit": hit,
                    "department": department.name if department else "",
                    "offered": hit.pk in offered,
                }
            )
        elif hit.kind == "bundle" and hit.pk in bundles:
            lead = bundles[hit.pk].lead_department
            rows.append({"hit": hit, "department": lead.name if lead else "", "offered": True})
    return render(request, "cases/registration_items.html", {"rows": rows, "query": query})


def _check_id_number(value: str) -> str:
    number = validate_id_number(value)
    return _("Valid ID number: born on %(day)s.") % {
        "day": f"{id_number_birth_date(number):%Y-%m-%d}"
    }


def _check_credit_code(value: str) -> str:
    validate_credit_code(value)
    return _("The unified social credit code is valid.")


def _check_phone(value: str) -> str:
    return _("Valid phone number: %(phone)s.") % {"phone": validate_phone(value)}


CHECKS = {"id_number": _check_id_number, "credit_code": _check_credit_code, "phone": _check_phone}


@staff_required
@require_POST
def register_check(request: HttpRequest, field: str) -> HttpResponse:
    """An identifier checked as it is typed: valid or what is wrong, saving nothing. POST, so
    that ID numbers stay out of URLs and access logs."""
    check = CHECKS.get(field)
    if check is None:
        raise NotFound(_("There is no such check."))
    value = request.POST.get(field, "").strip()
    context: dict[str, Any] = {"value": value}
    if value:
        try:
            context |= {"valid": True, "message": check(value)}
        except ValidationFailed as exc:
            overridable = bool(exc.extra.get("overridable"))
            context |= {"valid": False, "message": exc.message, "overridable": overridable}
    return render(request, "cases/registration_check.html", context)


# Consultations -----------------------------------------------------------------------------


def _consultation_items(unit: Unit):
    """What a consultation may be about: the point's own catalog, or the whole catalog for a
    department's liaison."""
    if unit.level in services.POINT_LEVELS:
        return catalog_selectors.items_offered(unit=unit)
    return catalog_selectors.items_active().order_by("name", "pk")


@staff_required
def consultations(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        _require_writer(user)
    form = None
    if _can_write(user) and user.unit_id:
        form = ConsultationForm(request.POST or None, items=_consultation_items(user.unit))
        if request.method == "POST" and form.is_valid():
            try:
                services.consultation_log(actor=user, unit=user.unit, **form.cleaned_data)
            except ValidationFailed as exc:
                form.service_error(exc)
            else:
                messages.success(request, _("The consultation is logged."))
                return redirect("desk:consultations")
        form.focus_first_error("asker")
    elif request.method == "POST":
        raise PermissionDenied(_("Consultations are logged by staff of a unit."))
    listing = selectors.consultations_visible(actor=user).order_by("-occurred_at", "-pk")
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    rows: list[Consultation] = list(page.object_list)
    for consultation in rows:
        consultation.masked_phone = mask_phone(consultation.phone)
    return render(
        request,
        "cases/consultation_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "can_register": _can_write(user) and services.may_register(user),
        },
    )


# Coordination meetings ---------------------------------------------------------------------


@staff_required
def meetings(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        _require_writer(user)
    form = None
    if _can_write(user) and user.unit_id:
        # Usually recorded right after the meeting: the time starts at now.
        now = timezone.localtime().replace(second=0, microsecond=0)
        form = MeetingForm(request.POST or None, initial={"held_at": now}, actor=user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.meeting_record(
                    actor=user,
                    unit=user.unit,
                    kind=data["kind"],
                    held_at=data["held_at"],
                    attendees=data["attendees"],
                    issues=data["issues"],
                    decisions=data["decisions"],
                    cases=data["case_numbers"],
                )
            except ValidationFailed as exc:
                form.service_error(exc)
            except PermissionDenied as exc:
                # The writer's role was checked above: what is left is a case they may see
                # (as a liaison, say) but not act on.
                form.add_error("case_numbers", exc.message)
            else:
                messages.success(request, _("The meeting is recorded."))
                return redirect("desk:meetings")
        form.focus_first_error("kind")
    elif request.method == "POST":
        raise PermissionDenied(_("Meetings are recorded by staff of a unit."))
    listing = selectors.meetings_visible(actor=user).order_by("-held_at", "-pk")
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/meeting_list.html", {"form": form, "page": page})


# Work log ----------------------------------------------------------------------------------


def _log_day(value: str) -> date:
    if not value:
        return timezone.localdate()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotFound(_("There is no such work log, or it is outside your area.")) from None


def _log_subject(actor, value: str):
    if not value or value == str(actor.pk):
        return actor
    subject = (
        User.objects.select_related("unit").filter(pk=value).first() if value.isdigit() else None
    )
    if subject is None:
        raise NotFound(_("There is no such work log, or it is outside your area."))
    return subject


def _staff_to_read(actor) -> list[User]:
    """The staff whose logs a manager or supervisor may open, for the picker."""
    if actor.role not in LOG_READERS:
        return []
    staff = User.objects.filter(role__in=STAFF, is_active=True, unit__isnull=False)
    return list(
        scope_by_unit(staff, actor).select_related("unit").order_by("unit__path", "username")
    )


ACTION_LABELS = {"register": gettext_lazy("Registration"), **dict(Action.choices)}


@staff_required
def worklog(request: HttpRequest) -> HttpResponse:
    actor = request.user
    day = _log_day(request.GET.get("day", ""))
    subject = _log_subject(actor, request.GET.get("user", ""))
    log = selectors.work_log(actor=actor, user=subject, day=day)
    own = subject.pk == actor.pk
    form = None
    if request.method == "POST":
        _require_writer(actor)
        if not own:
            raise PermissionDenied(_("Notes go into your own work log only."))
    if own and _can_write(actor):
        form = WorkNoteForm(request.POST or None, actor=actor)
        if request.method == "POST" and form.is_valid():
            try:
                services.work_note_add(
                    actor=actor,
                    text=form.cleaned_data["text"],
                    day=day,
                    case=form.cleaned_data["case_number"],
                )
            except ValidationFailed as exc:
                form.service_error(exc)
            else:
                messages.success(request, _("The note is added."))
                return redirect(f"{reverse('desk:worklog')}?day={day:%Y-%m-%d}")
    for entry in log.entries:
        entry.action_label = ACTION_LABELS.get(entry.action, entry.action)
    today = timezone.localdate()
    return render(
        request,
        "cases/worklog.html",
        {
            "log": log,
            "subject": subject,
            "own": own,
            "form": form,
            "staff": _staff_to_read(actor),
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1) if day < today else None,
            "today": today,
        },
    )
