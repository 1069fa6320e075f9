import contextlib
import ipaddress
from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from bangban.core.errors import ApplicationError


class ClientAddressMiddleware:
    """Behind a reverse proxy every request comes from the proxy's address. When it comes from
    one of BANGBAN_TRUSTED_PROXIES, the client's address is the one the proxy wrote in
    X-Real-IP (nginx: `proxy_set_header X-Real-IP $remote_addr`, which replaces whatever the
    client sent): the per-address limits and the audit events then see the citizen, not
    nginx. From any other address the header is ignored, so a client cannot choose its own
    address. Goes first, before anything reads REMOTE_ADDR."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = frozenset(settings.BANGBAN_TRUSTED_PROXIES)

    def __call__(self, request):
        if self.trusted and request.META.get("REMOTE_ADDR") in self.trusted:
            claimed = request.META.get("HTTP_X_REAL_IP", "").strip()
            # No header, or not an address: the proxy's own address stays.
            with contextlib.suppress(ValueError):
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(claimed))
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sends the CSP header: everything from this server, nothing inline, nothing remote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class SessionRefreshMiddleware:
    """Renews the idle timeout (SESSION_COOKIE_AGE from the last activity) at most once every
    REFRESH_SECONDS, instead of writing the session row on every request
    (SESSION_SAVE_EVERY_REQUEST): a session then ends between SESSION_COOKIE_AGE minus
    REFRESH_SECONDS and SESSION_COOKIE_AGE after the last request. The time of the last renewal
    is kept in the session itself, so any session engine works. Goes after SessionMiddleware,
    which saves a modified session on the way out."""

    KEY = "_renewed_at"
    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # No session cookie, or the view ended the session (logout): nothing to renew, and
        # writing the stamp would create a session for an anonymous visitor.
        if session is None or session.session_key is None:
            return response
        renewed_at = session.get(self.KEY)
        if session.is_empty():
            return response  # the cookie named an expired or deleted session
        now = int(timezone.now().timestamp())
        # A session saved anyway (login, a flash message…) restarts the minute for free.
        # A clock set back counts as due, not as a renewal postponed until it catches up.
        due = renewed_at is None or not 0 <= now - renewed_at < self.REFRESH_SECONDS
        if session.modified or due:
            session[self.KEY] = now
        return response


class ApplicationErrorMiddleware:
    """Turns a domain error escaping a page view into an error page with its status code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError):
            return render(
                request,
                "error.html",
                {"message": exception.message, "status": exception.status_code},
                status=exception.status_code,
            )
        return None


def with_inline_styles(view):
    """Swagger UI sets style attributes in its markup: its page alone may use inline styles
    (never inline scripts). The middleware keeps a header a view has already set."""
    policy = settings.CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    )

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = policy
        return response

    return wrapped
