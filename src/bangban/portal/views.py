"""The public side of the roster (公示): who serves at which point, and how to reach them."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from bangban.org import selectors


def roster_index(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:50]
    points = selectors.public_points()
    if search:
        points = points.filter(name__contains=search)
    page = Paginator(points, 100).get_page(request.GET.get("page"))
    return render(request, "portal/roster_index.html", {"page": page, "q": search})


def roster(request: HttpRequest, code: str) -> HttpResponse:
    if "\x00" in code:  # PostgreSQL refuses a NUL byte in a query: no such point, not a 500
        raise Http404
    unit = get_object_or_404(selectors.public_points(), code=code)
    agents = selectors.roster_public(unit=unit)
    return render(request, "portal/roster.html", {"unit": unit, "agents": agents})
