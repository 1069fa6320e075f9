"""The public side of complaints (举报投诉) and the "办不成事" channel: the forms, and the page
where the citizen follows a ticket by its tracking code."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from bangban.core.errors import TooManyRequests, ValidationFailed
from bangban.core.ratelimit import client_ip, ratelimit_hit
from bangban.feedback import selectors, services
from bangban.feedback.forms import ComplaintForm, ObstacleForm
from bangban.org.selectors import public_points


def _limit_posts(request: HttpRequest) -> None:
    """Form posts per address and window: complaints and tickets counted together."""
    ratelimit_hit(
        "feedback-post",
        client_ip(request),
        limit=settings.BANGBAN_FEEDBACK_POST_LIMIT,
        window=settings.BANGBAN_FEEDBACK_POST_WINDOW,
        message=_(
            "Too many submissions from your network in a short time. Please try again in an "
            "hour, or call the service centre."
        ),
    )


def _submit(request: HttpRequest, form, service, fields: list[str], template: str, success):
    status = 200
    if request.method == "POST":
        try:
            _limit_posts(request)
        except TooManyRequests as exc:
            form.add_error(None, exc.message)
            return render(request, template, {"form": form}, status=exc.status_code)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in fields}
            try:
                ticket = service(**data, ip_address=client_ip(request))
            except ValidationFailed as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect(success, code=ticket.code)
        status = 400
    return render(request, template, {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    form = ComplaintForm(request.POST or None, units=public_points())
    return _submit(
        request,
        form,
        services.complaint_submit,
        ["category", "unit", "case_number", "description", "contact_name", "contact_phone"],
        "portal/complaint_new.html",
        "complaint-track",
    )


@never_cache
@require_GET
def complaint_track(request: HttpRequest, code: str) -> HttpResponse:
    complaint = selectors.complaint_by_code(code)
    return render(request, "portal/complaint_track.html", {"ticket": complaint})


@require_http_methods(["GET", "POST"])
def obstacle_new(request: HttpRequest) -> HttpResponse:
    form = ObstacleForm(request.POST or None, units=public_points())
    return _submit(
        request,
        form,
        services.obstacle_submit,
        ["matter", "unit", "case_number", "description", "contact_name", "contact_phone"],
        "portal/obstacle_new.html",
        "obstacle-track",
    )


@never_cache
@require_GET
def obstacle_track(request: HttpRequest, code: str) -> HttpResponse:
    # Without a due date (the calendar did not cover it) the page says "within 1 working day";
    # the calendar's note is for staff, not for the public.
    obstacle = selectors.obstacle_by_code(code)
    return render(request, "portal/obstacle_track.html", {"ticket": obstacle})


@require_GET
def track_lookup(request: HttpRequest, kind: str) -> HttpResponse:
    """The "follow my ticket" box: a typed code leads to its page (or to the neutral 404)."""
    code = "".join(request.GET.get("code", "").split()).upper()[:16]
    target = "complaint" if kind == "complaints" else "obstacle"
    if not code:
        return redirect(f"{target}-new")
    return redirect(f"{target}-track", code=code)
