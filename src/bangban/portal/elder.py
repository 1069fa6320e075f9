"""The elder-friendly mode (适老化): large type, high contrast, big targets. A cookie remembers
it; no script is needed to switch it (a form posts here and comes back)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

COOKIE = "bangban_elder"
COOKIE_AGE = 365 * 24 * 3600


def elder_mode(request: HttpRequest) -> dict:
    """Context processor: `elder_mode` is true when the visitor switched the mode on."""
    return {"elder_mode": request.COOKIES.get(COOKIE) == "1"}


@require_POST
def elder_toggle(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("catalog-search")
    response = redirect(back)
    if request.POST.get("on") == "1":
        response.set_cookie(
            COOKIE,
            "1",
            max_age=COOKIE_AGE,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(COOKIE, samesite="Lax")
    return response
