"""Staff pages of the organisation: home, units, agents, personnel changes, trainings."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.masking import mask_id_number, mask_phone
from bangban.org import selectors, services
from bangban.org.forms import ActivityForm, PersonnelChangeForm
from bangban.org.models import Level, Role
from bangban.org.scoping import MANAGING_ROLES, REVEALING_ROLES, sees_everything


def staff_required(view):
    """Staff pages: signed in, and a staff, supervisor or administrator role (an applicant's
    account belongs on the public portal)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.user.role == Role.APPLICANT:
            raise PermissionDenied(_("This page is for staff."))
        return view(request, *args, **kwargs)

    return wrapped


def _form_choices(user) -> dict:
    """The units and agents a manager's forms may name: those in the manager's area."""
    return {
        "units": selectors.units_visible(actor=user).exclude(level=Level.REGION),
        "agents": selectors.agents_visible(actor=user),
    }


def _form_error(form, exc: ValidationFailed) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _can_manage(user) -> bool:
    return user.role in MANAGING_ROLES


def _require_manager(user) -> None:
    """Refuse the form page itself, not only its submission, to readers."""
    if not _can_manage(user):
        raise PermissionDenied(_("Only point managers and administrators can do this."))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role == Role.APPLICANT:
        return redirect("roster-index")
    unit = user.unit
    context = {"unit": unit}
    if unit is None and sees_everything(user):
        context["roots"] = selectors.units_visible(actor=user).filter(parent__isnull=True)
    if unit is not None:
        tree = list(selectors.unit_subtree(actor=user, unit=unit))
        minimums = selectors.staffing_minimums()
        rows = [
            (u, selectors.unit_staffing(unit=u, agents=u.agent_count, minimums=minimums))
            for u in tree
        ]
        context |= {
            "rows": rows,
            "own": rows[0] if rows else None,
            "short_units": sum(1 for _u, s in rows if s.short_by),
            "village_count": sum(1 for u in tree if u.level == Level.VILLAGE),
            "town_count": sum(1 for u in tree if u.level == Level.TOWN),
        }
    return render(request, "org/home.html", context)


@staff_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.unit_get(actor=request.user, pk=pk)
    children = selectors.unit_subtree(actor=request.user, unit=unit).filter(parent=unit)
    agents = selectors.agents_visible(actor=request.user, unit=unit)
    return render(
        request,
        "org/unit_detail.html",
        {"unit": unit, "children": children, "agents": agents},
    )


@staff_required
def agent_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:50]
    agents = selectors.agents_visible(actor=request.user, search=search)
    page = Paginator(agents, 50).get_page(request.GET.get("page"))
    return render(request, "org/agent_list.html", {"page": page, "q": search})


@staff_required
def agent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agent = selectors.agent_get(actor=request.user, pk=pk)
    own = agent.user_id == request.user.pk
    return render(
        request,
        "org/agent_detail.html",
        {
            "agent": agent,
            "masked_id_number": mask_id_number(agent.id_number),
            "masked_phone": mask_phone(agent.phone),
            "can_reveal": own or request.user.role in REVEALING_ROLES,
        },
    )


@staff_required
@require_POST
def agent_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    agent = selectors.agent_get(actor=request.user, pk=pk)
    value = services.personal_data_reveal(
        actor=request.user, agent=agent, field=field, ip_address=request.META.get("REMOTE_ADDR")
    )
    return render(request, "org/_revealed.html", {"value": value})


@staff_required
def personnel_change_list(request: HttpRequest) -> HttpResponse:
    changes = selectors.personnel_changes_visible(actor=request.user)
    page = Paginator(changes, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "org/personnel_change_list.html",
        {"page": page, "can_manage": _can_manage(request.user)},
    )


@staff_required
def personnel_change_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request.user)
    form = PersonnelChangeForm(request.POST or None, **_form_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.personnel_change_record(actor=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            _form_error(form, exc)
        else:
            return redirect("personnel-change-list")
    return render(request, "org/personnel_change_form.html", {"form": form})


@staff_required
def activity_list(request: HttpRequest) -> HttpResponse:
    activities = selectors.activities_visible(actor=request.user)
    page = Paginator(activities, 50).get_page(request.GET.get("page"))
    return render(
        request, "org/activity_list.html", {"page": page, "can_manage": _can_manage(request.user)}
    )


@staff_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get(actor=request.user, pk=pk)
    attendances = activity.attendances.select_related("agent", "agent__unit").order_by(
        "agent__unit__path", "agent__name"
    )
    return render(
        request, "org/activity_detail.html", {"activity": activity, "attendances": attendances}
    )


@staff_required
def activity_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request.user)
    form = ActivityForm(request.POST or None, **_form_choices(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.activity_record(
                actor=request.user,
                unit=data["unit"],
                kind=data["kind"],
                title=data["title"],
                starts_at=data["starts_at"],
                location=data["location"],
                summary=data["summary"],
                attendance=form.attendance(),
            )
        except ValidationFailed as exc:
            _form_error(form, exc)
        else:
            return redirect("activity-detail", pk=activity.pk)
    return render(request, "org/activity_form.html", {"form": form})
