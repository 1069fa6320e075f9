"""`help_url`: the chapter of the manual that explains the page being shown (links.py), for
base.html's "Help for this page" link; None on pages without one."""

from django.http import HttpRequest
from django.urls import reverse

from bangban.manual.links import help_slug


def help_link(request: HttpRequest) -> dict:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.view_name:
        return {"help_url": None}
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    slug = help_slug(route=match.route or "", url_name=match.view_name, role=role)
    return {"help_url": reverse("manual:chapter", args=[slug]) if slug else None}
