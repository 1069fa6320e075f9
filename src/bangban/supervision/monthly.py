"""The figures of a town's monthly statistical report (001 §五(二): the town centre is
responsible for 乡（镇）、村（社区）帮办代办工作的统计报表), and the report as PDF and workbook.

Everything is counted in the database, a handful of aggregate queries per report whatever the
number of cases: cases of the town's unit subtree (the town point and its villages) registered,
accepted and finished in the month, on time or late, still open and overdue at the month's end,
by kind and by tier; the most asked items; ratings; rectifications of bad ratings; complaints;
consultations; and the agents on post at the month's end against the staffing minimums.

The result is plain JSON (ints, strings, rates as strings with one decimal): it is stored with
each report as the snapshot its PDF and workbook were made from."""

import io
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bangban.cases.models import Case, CaseItem, Consultation, Kind, Rating
from bangban.cases.workflow import FINISHED, State
from bangban.core.spreadsheets import no_formulas, xlsx_row, xlsx_value
from bangban.feedback.models import Complaint, Rectification
from bangban.org.models import Agent, Level, Post, StaffingMinimum, Unit

TOP_ITEMS = 10
# 好评: 非常满意, 满意, 基本满意; 差评 (which opens a rectification): 不满意, 非常不满意.
GOOD_LEVEL = 3
CASE_COUNTS = (
    "registered",
    "accepted",
    "finished",
    "on_time",
    "late",
    "closed_unfinished",
    "open_at_end",
    "overdue_at_end",
)


def month_first(value: date) -> date:
    return value.replace(day=1)


def month_next(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_previous(first: date) -> date:
    return (first.replace(day=1) - timedelta(days=1)).replace(day=1)


def parse_month(value: str) -> date:
    """'2026-11' → date(2026, 11, 1); ValueError otherwise."""
    year, _sep, month = value.strip().partition("-")
    if not (len(year) == 4 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise ValueError(value)
    return date(int(year), int(month), 1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def rate(part: int, whole: int) -> str:
    """A percentage with one decimal, '' when there is nothing to divide by."""
    if not whole:
        return ""
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _case_counts(path: str, first: date, last: date, start: datetime, end: datetime):
    """Counts per (unit, kind) of the subtree's cases, one grouped query."""
    finished = Q(
        completed_on__gte=first,
        completed_on__lte=last,
        state__in=[*FINISHED, State.ARCHIVED],
    )
    open_at_end = (Q(completed_on__isnull=True) | Q(completed_on__gt=last)) & (
        Q(closed_at__isnull=True) | Q(closed_at__gte=end)
    )
    return (
        Case.objects.filter(unit__path__startswith=path, registered_at__lt=end)
        .order_by()
        .values("unit_id", "kind")
        .annotate(
            registered=Count("pk", filter=Q(registered_at__gte=start)),
            accepted=Count("pk", filter=Q(accepted_on__gte=first, accepted_on__lte=last)),
            finished=Count("pk", filter=finished),
            on_time=Count(
                "pk",
                filter=finished & (Q(due_date__isnull=True) | Q(completed_on__lte=F("due_date"))),
            ),
            late=Count("pk", filter=finished & Q(completed_on__gt=F("due_date"))),
            # Refused or terminated in the month (closed without being completed).
            closed_unfinished=Count(
                "pk",
                filter=Q(closed_at__gte=start, closed_at__lt=end, completed_on__isnull=True),
            ),
            open_at_end=Count("pk", filter=open_at_end),
            overdue_at_end=Count("pk", filter=open_at_end & Q(due_date__lte=last)),
        )
    )


def _zero() -> dict[str, int]:
    return dict.fromkeys(CASE_COUNTS, 0)


def _add(target: dict[str, int], row: dict[str, Any]) -> None:
    for key in CASE_COUNTS:
        target[key] += row[key]


def _with_rate(counts: dict[str, Any]) -> dict[str, Any]:
    counts["on_time_rate"] = rate(counts["on_time"], counts["finished"])
    return counts


def monthly_figures(unit: Unit, month: date) -> dict[str, Any]:
    """The report's figures for a town (its unit subtree) and a month (its first day)."""
    first = month_first(month)
    following = month_next(first)
    last = following - timedelta(days=1)
    start, end = _aware(first), _aware(following)
    path = unit.path

    units = list(
        Unit.objects.filter(path__startswith=path).order_by("path").values("id", "name", "level")
    )
    by_unit: dict[int, dict[str, int]] = {u["id"]: _zero() for u in units}
    by_kind: dict[str, dict[str, int]] = {k: _zero() for k in Kind.values}
    total = _zero()
    for row in _case_counts(path, first, last, start, end):
        _add(by_unit.setdefault(row["unit_id"], _zero()), row)
        _add(by_kind.setdefault(row["kind"], _zero()), row)
        _add(total, row)

    agents = dict(
        Agent.objects.filter(unit__path__startswith=path, post=Post.AGENT, active_from__lte=last)
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=last))
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    minimums = dict(StaffingMinimum.objects.values_list("level", "minimum"))
    tiers = []
    for u in units:
        minimum = minimums.get(u["level"])
        on_post = agents.get(u["id"], 0)
        tiers.append(
            _with_rate(
                {
                    "unit_id": u["id"],
                    "name": u["name"],
                    "level": u["level"],
                    "own": u["id"] == unit.pk,
                    **by_unit[u["id"]],
                    "agents": on_post,
                    "minimum": minimum,
                    "short": max(0, minimum - on_post) if minimum is not None else 0,
                }
            )
        )

    top_items = [
        {"item_id": row["item_id"], "name": row["item__name"], "count": row["n"]}
        for row in CaseItem.objects.filter(
            case__unit__path__startswith=path,
            case__registered_at__gte=start,
            case__registered_at__lt=end,
        )
        .order_by()
        .values("item_id", "item__name")
        .annotate(n=Count("case_id", distinct=True))
        .order_by("-n", "item__name")[:TOP_ITEMS]
    ]

    ratings = Rating.objects.filter(
        case__unit__path__startswith=path, rated_at__gte=start, rated_at__lt=end
    ).aggregate(
        rated=Count("pk", filter=Q(level__isnull=False)),
        good=Count("pk", filter=Q(level__gte=GOOD_LEVEL)),
        bad=Count("pk", filter=Q(level__lt=GOOD_LEVEL)),
        very_bad=Count("pk", filter=Q(level=1)),
        declined=Count("pk", filter=Q(declined=True)),
    )
    ratings["good_rate"] = rate(ratings["good"], ratings["rated"])

    still_open = Q(opened_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=end))
    rectifications = (
        Rectification.objects.filter(unit__path__startswith=path)
        .annotate(due=Coalesce("new_due_on", "due_on"))
        .aggregate(
            opened=Count("pk", filter=Q(opened_at__gte=start, opened_at__lt=end)),
            closed=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
            open_at_end=Count("pk", filter=still_open),
            overdue_at_end=Count(
                "pk",
                filter=still_open
                & (Q(done_at__isnull=True) | Q(done_at__gte=end))
                & Q(due__lte=last),
            ),
        )
    )

    complaints = Complaint.objects.filter(unit__path__startswith=path).aggregate(
        received=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        concluded=Count("pk", filter=Q(concluded_at__gte=start, concluded_at__lt=end)),
        substantiated=Count(
            "pk",
            filter=Q(concluded_at__gte=start, concluded_at__lt=end, substantiated=True),
        ),
    )

    consultations = Consultation.objects.filter(
        unit__path__startswith=path, occurred_at__gte=start, occurred_at__lt=end
    ).aggregate(total=Count("pk"), became_cases=Count("pk", filter=Q(case__isnull=False)))

    return {
        "unit": {"id": unit.pk, "name": unit.name, "code": unit.code},
        "month": f"{first:%Y-%m}",
        "first": first.isoformat(),
        "last": last.isoformat(),
        "cases": _with_rate(total),
        "by_kind": [{"kind": k, **_with_rate(v)} for k, v in by_kind.items()],
        "by_tier": tiers,
        "top_items": top_items,
        "ratings": ratings,
        "rectifications": rectifications,
        "complaints": complaints,
        "consultations": consultations,
        "staffing": {
            "agents": sum(t["agents"] for t in tiers),
            "short": sum(t["short"] for t in tiers),
            "units_short": sum(1 for t in tiers if t["short"]),
        },
    }


# The report as PDF and workbook ------------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def month_label(first: date) -> str:
    return _("%(year)d/%(month)d") % {"year": first.year, "month": first.month}


def _case_columns() -> list[tuple[str, str]]:
    return [
        ("registered", _("Registered in the month")),
        ("accepted", _("Accepted in the month")),
        ("finished", _("Finished in the month")),
        ("on_time", _("On time")),
        ("late", _("Late")),
        ("on_time_rate", _("On-time rate (%)")),
        ("closed_unfinished", _("Refused or terminated")),
        ("open_at_end", _("Open at month end")),
        ("overdue_at_end", _("Overdue at month end")),
    ]


def report_context(figures: dict[str, Any], *, version: int, generated_at, digest: str) -> dict:
    """What the PDF and the workbook show: the stored figures with their labels."""
    first = date.fromisoformat(figures["first"])
    levels = dict(Level.choices)
    kinds = dict(Kind.choices)
    columns = _case_columns()

    def cells(counts: dict) -> list:
        return [counts[key] for key, _label in columns]

    title = _("%(unit)s monthly statistical report of the assist and proxy service (%(month)s)")
    return {
        "f": figures,
        "title": title % {"unit": figures["unit"]["name"], "month": month_label(first)},
        "month": month_label(first),
        "columns": columns,
        "case_cells": cells(figures["cases"]),
        "tiers": [
            t | {"level_label": str(levels.get(t["level"], t["level"])), "cells": cells(t)}
            for t in figures["by_tier"]
        ],
        "kinds": [
            k | {"label": str(kinds.get(k["kind"], k["kind"])), "cells": cells(k)}
            for k in figures["by_kind"]
        ],
        "version": version,
        "generated_at": timezone.localtime(generated_at),
        "content_hash": digest,
    }


def report_pdf(context: dict) -> bytes:
    from bangban.documents.rendering import html_to_pdf

    return html_to_pdf(render_to_string("supervision/monthly_pdf.html", context))


def _rate(value: str) -> Decimal | None:
    """Rates are kept as text with one decimal; in the workbook they are numbers."""
    return Decimal(value) if value else None


def report_xlsx(context: dict) -> bytes:
    """The report as a workbook: a sheet per table, bold headers, numbers as numbers."""
    f = context["f"]
    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, head: list[str], rows: list[list], widths: list[int], first=False):
        ws = book.active if first else book.create_sheet()
        ws.title = xlsx_value(title)[:31]
        ws.append(xlsx_row(head))
        for cell in ws[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        for row in rows:
            ws.append(xlsx_row(row))
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        return ws

    columns = context["columns"]

    def numbers(cells: list) -> list:
        return [
            _rate(v) if key == "on_time_rate" else v
            for (key, _label), v in zip(columns, cells, strict=True)
        ]

    ratings = f["ratings"]
    rect, complaints, cons = f["rectifications"], f["complaints"], f["consultations"]
    summary = [
        [_("Reporting unit"), f["unit"]["name"]],
        [_("Period"), f"{f['first']} – {f['last']}"],
        *[
            [label, value]
            for (_key, label), value in zip(columns, numbers(context["case_cells"]), strict=True)
        ],
        [_("Ratings"), ratings["rated"]],
        [_("Good ratings"), ratings["good"]],
        [_("Good-rating rate (%)"), _rate(ratings["good_rate"])],
        [_("Bad ratings"), ratings["bad"]],
        [_("Declined to rate"), ratings["declined"]],
        [_("Rectifications opened"), rect["opened"]],
        [_("Rectifications closed"), rect["closed"]],
        [_("Rectifications open at month end"), rect["open_at_end"]],
        [_("Rectifications overdue at month end"), rect["overdue_at_end"]],
        [_("Complaints received"), complaints["received"]],
        [_("Complaints concluded"), complaints["concluded"]],
        [_("Complaints substantiated"), complaints["substantiated"]],
        [_("Consultations"), cons["total"]],
        [_("Consultations that became cases"), cons["became_cases"]],
        [_("Agents on post"), f["staffing"]["agents"]],
        [_("Agents short of the minimum"), f["staffing"]["short"]],
        [_("Version"), context["version"]],
        [_("Content hash (SHA-256)"), context["content_hash"]],
    ]
    ws = sheet(_("Summary"), [_("Figure"), _("Value")], summary, [34, 40], first=True)
    ws.insert_rows(1)
    ws["A1"] = xlsx_value(context["title"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.freeze_panes = "A3"
    sheet(
        _("By tier"),
        [
            _("Unit"),
            _("Level"),
            *[label for _key, label in columns],
            _("Agents on post"),
            _("Minimum"),
            _("Short"),
        ],
        [
            [
                t["name"],
                t["level_label"],
                *numbers(t["cells"]),
                t["agents"],
                t["minimum"],
                t["short"],
            ]
            for t in context["tiers"]
        ],
        [28, 12, *[10] * len(columns), 10, 10, 10],
    )
    sheet(
        _("By kind"),
        [_("Kind"), *[label for _key, label in columns]],
        [[k["label"], *numbers(k["cells"])] for k in context["kinds"]],
        [14, *[10] * len(columns)],
    )
    sheet(
        _("Top items"),
        [_("No."), _("Item"), _("Cases registered")],
        [[n, i["name"], i["count"]] for n, i in enumerate(f["top_items"], start=1)],
        [6, 40, 14],
    )
    out = io.BytesIO()
    no_formulas(book).save(out)
    return out.getvalue()
