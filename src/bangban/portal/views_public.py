"""The citizen's side of the portal: the home page, applying online (掌上申请) and booking a
slot (预约) with an SMS code, tracking a case, and rating it from the QR code or SMS link.

The flow keeps its state in the session: the chosen item and point, and the phone once its
code was verified (for BANGBAN_PORTAL_PHONE_MINUTES). Every form post counts against the
address's hourly limit; over a limit the form says so with status 429."""

import time
from datetime import date

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bangban.cases import custody, hours
from bangban.cases.models import Booking, Case, RatingLevel, RatingSource
from bangban.cases.selectors import deadline_explained
from bangban.cases.services import public
from bangban.cases.tokens import rating_token_read
from bangban.cases.workflow import OPEN, Action
from bangban.catalog import selectors as catalog
from bangban.catalog.models import Item
from bangban.catalog.search import search_catalog
from bangban.core.errors import ApplicationError, NotFound, TooManyRequests, ValidationFailed
from bangban.core.masking import mask_id_number, mask_name, mask_phone
from bangban.core.ratelimit import client_ip, ratelimit_hit
from bangban.org.models import Level, Unit

POPULAR = 8
FLOW = "portal_flow"
PHONE = "portal_phone"
MINE = "portal_cases"
# Timeline lines the public does not see: the tiers' own exchanges.
INTERNAL = {Action.REMOTE_CONSULT.value, Action.SUPERVISE.value, Action.URGE.value}


def _post_limit(request: HttpRequest) -> None:
    ratelimit_hit(
        "portal-post",
        client_ip(request),
        limit=public.setting("BANGBAN_PORTAL_POSTS_PER_IP_HOUR"),
        window=3600,
        message=_("Too many submissions from this network. Please try again in an hour."),
    )


def _failed(exc: ApplicationError) -> dict:
    return {"errors": {exc.field or "__all__": exc.message}, "error": exc.message}


def _points(points) -> list[dict]:
    """Points with their hours in words, and whether slots can be booked there."""
    result = []
    for unit in points:
        found = hours.hours_of(unit)
        result.append({"unit": unit, "bookable": found.bookable, "unreadable": found.unreadable})
    return result


# Home ----------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    popular = list(catalog.items_active().filter(is_high_frequency=True).order_by("name")[:POPULAR])
    if len(popular) < POPULAR:
        more = (
            catalog.items_active()
            .exclude(pk__in=[i.pk for i in popular])
            .annotate(uses=Count("bundle_memberships"))
            .order_by("-uses", "name")[: POPULAR - len(popular)]
        )
        popular += list(more)
    points = (
        Unit.objects.filter(is_active=True, level__in=[Level.COUNTY, Level.TOWN, Level.VILLAGE])
        .select_related("parent")
        .order_by("path")
    )
    main, villages = [], {}
    for unit in points:
        if unit.level == Level.VILLAGE:
            villages.setdefault(unit.parent_id, []).append(unit)
        else:
            main.append(unit)
    blocks = [{"unit": unit, "villages": villages.get(unit.pk, [])} for unit in main]
    return render(
        request,
        "portal/home.html",
        {"popular": popular, "bundles": catalog.bundles_active()[:6], "blocks": blocks},
    )


# Choosing the item and the point -------------------------------------------------------------


def _item_choices(query: str) -> list[Item]:
    if not query:
        return []
    hits = [h.pk for h in search_catalog(query, limit=20) if h.kind == "item"]
    found = {i.pk: i for i in catalog.items_active().filter(pk__in=hits)}
    return [found[pk] for pk in hits if pk in found]


@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest, mode: str) -> HttpResponse:
    """Step 1 of applying or booking: the item (found by words) and the point."""
    template = "portal/apply_choose.html"
    context: dict = {"mode": mode, "q": request.GET.get("q", "").strip()[:100]}
    item_id = request.POST.get("item") or request.GET.get("item")
    item = catalog.items_active().filter(pk=item_id).first() if str(item_id).isdigit() else None
    context["item"] = item
    if item is None:
        context["choices"] = _item_choices(context["q"])
        return render(request, template, context)
    points = list(catalog.points_offering(item=item))
    context["points"] = _points(points)
    if request.method == "POST":
        unit = next((u for u in points if str(u.pk) == request.POST.get("unit")), None)
        if unit is None:
            context["errors"] = {"unit": _("Choose a service point.")}
            return render(request, template, context, status=400)
        request.session[FLOW] = {"mode": mode, "item": item.pk, "unit": unit.pk}
        return redirect("portal-verify")
    return render(request, template, context)


def _flow(request: HttpRequest, mode: str) -> tuple[Item, Unit] | None:
    flow = request.session.get(FLOW) or {}
    if flow.get("mode") != mode:
        return None
    item = catalog.items_active().filter(pk=flow.get("item")).first()
    unit = Unit.objects.filter(pk=flow.get("unit"), is_active=True).first()
    return (item, unit) if item and unit else None


def _verified_phone(request: HttpRequest) -> str | None:
    held = request.session.get(PHONE) or {}
    if held.get("until", 0) < time.time():
        return None
    return held.get("phone")


# The SMS code --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the phone, proved by the code sent to it."""
    flow = request.session.get(FLOW) or {}
    mode = flow.get("mode")
    if mode not in ("apply", "book"):
        return redirect("portal-apply")
    after = reverse("portal-apply-details" if mode == "apply" else "portal-book-details")
    if _verified_phone(request):
        return redirect(after)
    context: dict = {"mode": mode, "phone": request.POST.get("phone", "").strip()[:20]}
    if request.method == "GET":
        return render(request, "portal/verify.html", context)
    step = request.POST.get("step")
    try:
        _post_limit(request)
        if step == "send":
            public.phone_code_send(phone=context["phone"], ip=client_ip(request))
            context["sent"] = True
            context["minutes"] = public.setting("BANGBAN_SMS_CODE_MINUTES")
            return render(request, "portal/verify.html", context)
        context["sent"] = True
        phone = public.phone_code_verify(
            phone=context["phone"], code=request.POST.get("code", "")[:10]
        )
    except ApplicationError as exc:
        context |= _failed(exc)
        if exc.field == "phone":
            context["sent"] = False
        return render(request, "portal/verify.html", context, status=exc.status_code)
    minutes = public.setting("BANGBAN_PORTAL_PHONE_MINUTES")
    request.session[PHONE] = {"phone": phone, "until": time.time() + minutes * 60}
    return redirect(after)


def _remember(request: HttpRequest, key: str, value: str) -> None:
    mine = list(request.session.get(MINE) or [])
    request.session[MINE] = [*mine[-19:], f"{key}:{value}"]


def _mine(request: HttpRequest, key: str, value: str) -> bool:
    return f"{key}:{value}" in (request.session.get(MINE) or [])


def _details_gate(request: HttpRequest, mode: str) -> tuple[Item, Unit, str] | HttpResponse:
    chosen = _flow(request, mode)
    if chosen is None:
        return redirect("portal-apply" if mode == "apply" else "portal-book")
    phone = _verified_phone(request)
    if phone is None:
        return redirect("portal-verify")
    return (*chosen, phone)


# Applying ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def apply_details(request: HttpRequest) -> HttpResponse:
    """Step 3 of applying: the registration form's fields and the material photos."""
    gate = _details_gate(request, "apply")
    if isinstance(gate, HttpResponse):
        return gate
    item, unit, phone = gate
    data = {
        key: request.POST.get(key, "").strip()
        for key in ("applicant_name", "id_number", "address", "kind")
    }
    context = {
        "item": item,
        "unit": unit,
        "phone": mask_phone(phone),
        "data": data,
        "max_photos": public.setting("BANGBAN_PORTAL_MAX_PHOTOS"),
        "max_mb": public.setting("BANGBAN_PORTAL_PHOTO_MAX_MB"),
    }
    if request.method == "GET":
        return render(request, "portal/apply_details.html", context)
    special = request.POST.get("special_group") == "1"
    home_visit = request.POST.get("home_visit") == "1"
    context |= {"special_group": special, "home_visit": home_visit}
    try:
        _post_limit(request)
        case = public.case_apply_online(
            phone=phone,
            unit=unit,
            items=[item],
            applicant={k: data[k] for k in ("applicant_name", "id_number", "address")},
            kind=data["kind"] or "assist",
            special_group=special,
            home_visit=home_visit,
            photos=request.FILES.getlist("photos"),
        )
    except ApplicationError as exc:
        context |= _failed(exc)
        return render(request, "portal/apply_details.html", context, status=exc.status_code)
    request.session.pop(FLOW, None)
    _remember(request, "case", case.number)
    return redirect("portal-apply-done", number=case.number)


def apply_done(request: HttpRequest, number: str) -> HttpResponse:
    if not _mine(request, "case", number):
        raise NotFound(_("This page is no longer available. Track your case by its number."))
    case = get_object_or_404(Case.objects.select_related("unit"), number=number)
    return render(request, "portal/apply_done.html", {"case": case})


# Booking -------------------------------------------------------------------------------------


def _slot_days(offered: list[public.OfferedSlot]) -> list[dict]:
    days: dict[date, list] = {}
    for entry in offered:
        local = timezone.localtime(entry.slot.start)
        days.setdefault(local.date(), []).append(
            {
                "key": entry.slot.key,
                "label": f"{local:%H:%M}-{timezone.localtime(entry.slot.end):%H:%M}",
                "left": entry.left,
            }
        )
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    return [
        {"day": d, "label": f"{d:%m-%d} {weekdays[d.weekday()]}", "slots": s}
        for d, s in sorted(days.items())
    ]


@require_http_methods(["GET", "POST"])
def book_details(request: HttpRequest) -> HttpResponse:
    """Step 3 of booking: the slot, the name, and a home visit for special groups."""
    gate = _details_gate(request, "book")
    if isinstance(gate, HttpResponse):
        return gate
    item, unit, phone = gate
    found = hours.hours_of(unit)
    data = {key: request.POST.get(key, "").strip() for key in ("applicant_name", "address", "slot")}
    special = request.POST.get("special_group") == "1"
    home_visit = request.POST.get("home_visit") == "1"
    context = {
        "item": item,
        "unit": unit,
        "phone": mask_phone(phone),
        "data": data,
        "special_group": special,
        "home_visit": home_visit,
        "bookable": found.bookable,
        "unreadable": found.unreadable,
    }

    def page(status: int = 200) -> HttpResponse:
        context["days"] = _slot_days(public.slots_available(unit))
        return render(request, "portal/book_details.html", context, status=status)

    if request.method == "GET":
        return page()
    try:
        _post_limit(request)
        if not data["slot"]:
            raise ValidationFailed(_("Choose a time."), field="slot")
        booking = public.booking_make(
            phone=phone,
            unit=unit,
            item=item,
            slot=data["slot"],
            applicant_name=data["applicant_name"],
            special_group=special,
            home_visit=home_visit,
            address=data["address"],
        )
    except ApplicationError as exc:
        context |= _failed(exc)
        return page(exc.status_code)
    request.session.pop(FLOW, None)
    _remember(request, "booking", booking.code)
    return redirect("portal-book-done", code=booking.code)


def book_done(request: HttpRequest, code: str) -> HttpResponse:
    if not _mine(request, "booking", code):
        raise NotFound(_("This page is no longer available."))
    booking = get_object_or_404(Booking.objects.select_related("unit", "item"), code=code)
    return render(request, "portal/book_done.html", {"booking": booking})


# Tracking ------------------------------------------------------------------------------------


def _holders(case: Case) -> list[str]:
    held = custody.holdings(case)
    names = list(dict.fromkeys(h.holder for h in held))
    return names


def _track_context(case: Case) -> dict:
    log = [line for line in case.log.order_by("occurred_at", "pk") if line.action not in INTERNAL]
    labels = {a.value: a.label for a in Action}
    timeline = [
        {
            "when": timezone.localtime(line.occurred_at),
            "label": labels.get(line.action, _("Registered")),
        }
        for line in log
    ]
    explained = deadline_explained(case)
    return {
        "case": case,
        "items": [ci.item_version.snapshot.get("name") or ci.item.name for ci in case.items.all()],
        "applicant": mask_name(case.applicant_name),
        "phone": mask_phone(case.phone),
        "id_number": mask_id_number(case.id_number),
        "timeline": timeline,
        "holders": _holders(case),
        "deadline": explained.deadline,
        "deadline_text": explained.text,
        "open": case.state in OPEN,
    }


def _tracked(request: HttpRequest, number: str) -> bool:
    if _mine(request, "case", number):
        return True
    phone = _verified_phone(request)
    if phone:
        try:
            public.case_track(number=number, phone=phone)
        except NotFound:
            return False
        return True
    return False


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, number: str = "") -> HttpResponse:
    """The case's progress for its applicant: the number and the phone number open it."""
    number = (request.POST.get("number") or number).strip()[:64]
    if request.method == "GET" and number and _tracked(request, number):
        case = Case.objects.select_related("unit", "agent").get(number=number)
        return render(request, "portal/track_case.html", _track_context(case))
    context: dict = {"number": number}
    if request.method == "GET":
        return render(request, "portal/track.html", context)
    try:
        ratelimit_hit(
            "portal-track",
            client_ip(request),
            limit=public.setting("BANGBAN_PORTAL_POSTS_PER_IP_HOUR"),
            window=3600,
            message=_("Too many look-ups from this network. Please try again in an hour."),
        )
        case = public.case_track(number=number, phone=request.POST.get("phone", "")[:20])
    except (NotFound, TooManyRequests) as exc:
        context |= _failed(exc)
        return render(request, "portal/track.html", context, status=exc.status_code)
    _remember(request, "case", case.number)
    return redirect("portal-track-case", number=case.number)


# Rating --------------------------------------------------------------------------------------


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "portal/rate_done.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, number: str) -> HttpResponse:
    """一事一评 from the evaluation form's QR code or the SMS link (…?t=<token>)."""
    token = (request.POST.get("t") or request.GET.get("t") or "")[:300]
    via = request.POST.get("via") or request.GET.get("via") or RatingSource.LINK
    if via not in (RatingSource.QR, RatingSource.LINK, RatingSource.SMS):
        via = RatingSource.LINK
    try:
        claim = rating_token_read(token)
    except ValidationFailed as exc:
        return _refused(request, exc.message, 400)
    if claim.number != number:
        return _refused(request, _("This rating link is not valid."), 400)
    case = Case.objects.select_related("unit").filter(number=number).first()
    if case is None:
        return _refused(request, _("This rating link is not valid."), 400)
    if case.rated:
        return _refused(
            request, _("This case has already been rated. Thank you for your feedback."), 409
        )
    context = {
        "case": case,
        "token": token,
        "via": via,
        "levels": RatingLevel.choices,
        "level": request.POST.get("level", ""),
        "comment": request.POST.get("comment", ""),
        "ended": case.state not in OPEN,
    }
    if request.method == "GET":
        return render(request, "portal/rate.html", context)
    try:
        _post_limit(request)
        level = int(context["level"]) if context["level"].isdigit() else 0
        public.rating_record_public(
            token=token, level=level, comment=context["comment"], source=via
        )
    except ApplicationError as exc:
        if exc.status_code == 409 and Case.objects.get(pk=case.pk).rated:
            return _refused(request, exc.message, 409)
        context |= _failed(exc)
        return render(request, "portal/rate.html", context, status=exc.status_code)
    return render(
        request, "portal/rate_done.html", {"message": _("Thank you! Your rating was recorded.")}
    )
