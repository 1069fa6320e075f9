"""The supervision dashboards (by tier and unit, agent or item, with ECharts charts and their
numbers in tables), the case lists they drill down to, and the centre's overdue board."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from bangban.cases.workflow import OPEN
from bangban.core.errors import NotFound
from bangban.org.models import Level
from bangban.org.views import staff_required
from bangban.supervision import dashboard as dash

PAGE_SIZE = 50


def _int(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise NotFound(_("The address is not valid.")) from exc


def _period(request: HttpRequest) -> dash.Period:
    year = _int(request, "year") or timezone.localdate().year
    month = _int(request, "month")
    if not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        raise NotFound(_("There is no such period."))
    return dash.Period(year, month)


def _query(period: dash.Period, **extra) -> str:
    params = {"year": period.year}
    if period.month:
        params["month"] = period.month
    params.update({k: v for k, v in extra.items() if v is not None})
    return urlencode(params)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


# The unit picker and the points table have a row per unit of the area (hundreds in a
# county): written in Python, where a template would resolve every variable of every row.
# The two marked-safe strings are constant attributes; every value goes through escaping.
_SELECTED = mark_safe(" selected")
_WARNING = mark_safe(' class="table-warning"')


def _levels() -> dict[str, str]:
    return {value: str(label) for value, label in Level.choices}


def _unit_options(units, chosen) -> SafeString:
    levels = _levels()
    return format_html_join(
        "",
        '<option value="{}"{}>{} · {}</option>',
        ((u.pk, _SELECTED if u.pk == chosen.pk else "", levels[u.level], u.name) for u in units),
    )


def _point_rows(points: list[dash.Point]) -> SafeString:
    levels = _levels()
    total = len(dash.EIGHT_HAVES)
    return format_html_join(
        "\n",
        '<tr data-point="{}">\n  <th scope="row">{}</th><td>{}</td>\n'
        "  <td{}>{}/{}</td>\n  <td{}>{}/{}</td>\n  <td{}>{}/{}</td>\n  <td>{}</td>\n</tr>",
        (
            (
                p.unit.code,
                p.unit.name,
                levels[p.unit.level],
                "" if p.covered else _WARNING,
                p.offered,
                p.target,
                "" if p.staffed else _WARNING,
                p.agents,
                p.minimum,
                _WARNING if p.missing else "",
                p.eight,
                total,
                "、".join(p.missing) or "—",
            )
            for p in points
        ),
    )


@staff_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    actor = request.user
    dash.require_reader(actor)
    period = _period(request)
    group = request.GET.get("group") or "unit"
    unit = dash.unit_chosen(actor=actor, pk=_int(request, "unit"))
    board = dash.dashboard(actor=actor, unit=unit, period=period, group=group)
    cases_url = reverse("supervision:dashboard-cases")
    for row in board.rows:
        drill = {"unit": unit.pk}
        if group == "unit":
            drill["unit"] = row.key.pk
            if row.own:
                drill["own"] = 1
        elif row.key is not None:
            drill[group] = row.key.pk
        row.drill = {
            show: f"{cases_url}?{_query(period, show=show, **drill)}" for show in dash.SHOWS
        }
    chartable = [r for r in board.rows if not r.own]
    chart_data = {
        "labels": [r.label for r in chartable],
        "onTime": [_rate(r.on_time_rate) for r in chartable],
        "good": [_rate(r.good_rate) for r in chartable],
        "drill": [r.drill["behind"] for r in chartable],
        "months": [_("Month %(month)d") % {"month": m["month"]} for m in board.months],
        "opened": [m["opened"] for m in board.months],
        "finished": [m["finished"] for m in board.months],
        "text": {
            "onTime": _("On-time rate (%)"),
            "good": _("Good-rating rate (%)"),
            "opened": _("Cases opened"),
            "finished": _("Cases finished"),
        },
    }
    today = timezone.localdate()
    units = (
        dash.units_readable(actor=actor)
        .filter(level__in=[*dash.POINT_LEVELS, "region"])
        .only("pk", "name", "level")
    )
    context = {
        "board": board,
        "unit": unit,
        "unit_options": _unit_options(units, unit),
        "point_rows": _point_rows(board.points),
        "period": period,
        "group": group,
        "groups": [("unit", _("By unit")), ("agent", _("By agent")), ("item", _("By item"))],
        "years": range(today.year - 4, today.year + 1),
        "months": range(1, 13),
        "chart_data": chart_data,
        "query": _query(period, unit=unit.pk),
    }
    return render(request, "supervision/dashboard.html", context)


@staff_required
@require_GET
def dashboard_cases(request: HttpRequest) -> HttpResponse:
    """The cases behind one number of a dashboard."""
    actor = request.user
    period = _period(request)
    show = request.GET.get("show") or "behind"
    unit = dash.unit_chosen(actor=actor, pk=_int(request, "unit"))
    cases = dash.drill_cases(
        actor=actor,
        unit=unit,
        period=period,
        show=show,
        agent=_int(request, "agent"),
        item=_int(request, "item"),
    )
    if request.GET.get("own"):
        cases = cases.filter(unit=unit)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    late = dash.days_overdue(
        (c.due_date for c in page.object_list if c.due_date and c.due_date < today), today
    )
    for case in page.object_list:
        case.days_overdue = late.get(case.due_date) if case.state in OPEN else None
    titles = {
        "behind": _("Overdue or finished late"),
        "overdue": _("Overdue"),
        "late": _("Finished late"),
        "opened": _("Cases opened"),
        "finished": _("Cases finished"),
    }
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "supervision/dashboard_cases.html",
        {
            "unit": unit,
            "period": period,
            "show": show,
            "title": titles[show],
            "page": page,
            "back": f"{reverse('supervision:dashboard')}?{_query(period, unit=unit.pk)}",
            "params": params.urlencode(),
        },
    )


@staff_required
@require_GET
def overdue_board(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    cases = dash.overdue_cases(actor=request.user, today=today)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    late = dash.days_overdue((c.due_date for c in page.object_list), today)
    for case in page.object_list:
        case.days_overdue = late.get(case.due_date)
    return render(
        request,
        "supervision/overdue.html",
        {"page": page, "per_unit": dash.overdue_by_unit(cases), "today": today},
    )
