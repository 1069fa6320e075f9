from functools import wraps

from django.conf import settings
from django.shortcuts import render

from bangban.core.errors import ApplicationError


class ContentSecurityPolicyMiddleware:
    """Sends the CSP header: everything from this server, nothing inline, nothing remote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
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
