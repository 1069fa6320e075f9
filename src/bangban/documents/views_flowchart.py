"""The flowcharts of the assist and proxy procedures as A4 PDFs (001 annex 1, 000 annex 3),
drawn from the workflow table (see `bangban.documents.flowchart`). They describe the procedure,
not a case: nothing is stored, and each request draws the chart afresh."""

import io
from typing import Any

from django.http import FileResponse, HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from bangban.core.errors import NotFound
from bangban.documents.flowchart import KINDS, Move, Procedure, procedure
from bangban.documents.rendering import content_hash, html_to_pdf
from bangban.org.views import staff_required

TEMPLATE = "documents/flowchart.html"


def _lines(move: Move, depth: int = 0) -> list[dict[str, Any]]:
    """A move and what may follow it, flattened for the template: (depth, move) in order."""
    lines = [{"depth": depth, "move": move}]
    for after in move.then:
        lines += _lines(after, depth + 1)
    return lines


def _rows(chart: Procedure) -> list[dict[str, Any]]:
    """The chart's table, row by row: the start, each step with an arrow row before it, an
    arrow and the end. Beside each row, in the left column: the lane of actions open at several
    steps ("open" with its rowspan where it starts, "covered" under it), then the notes under it
    in the free space down to the end ("notes" with its rowspan), else "empty"."""
    rows: list[dict[str, Any]] = [{"terminal": "start"}, {"arrow": True}]
    first, last = chart.lane_steps if chart.lane_steps is not None else (None, None)
    lane_rows: list[int] = []
    for index, step in enumerate(chart.steps):
        if index:
            rows.append({"arrow": True})
        if index in (first, last):
            lane_rows.append(len(rows))
        previous = chart.steps[index - 1].state if index else None
        rows.append(
            {
                "step": step,
                "new_state": step.state != previous,
                "branches": [_lines(move) for move in step.branches],
            }
        )
    rows += [{"arrow": True}, {"terminal": "end"}]
    for row in rows:
        row["lane"] = "empty"
    if lane_rows:
        top, bottom = lane_rows[0], lane_rows[-1]
        rows[top].update(lane="open", span=bottom - top + 1)
        for row in rows[top + 1 : bottom + 1]:
            row["lane"] = "covered"
        notes_from = bottom + 2  # an arrow row's breadth below the lane
    else:
        notes_from = 2
    if notes_from < len(rows):
        rows[notes_from].update(lane="notes", span=len(rows) - notes_from)
        for row in rows[notes_from + 1 :]:
            row["lane"] = "covered"
    return rows


def flowchart_pdf_bytes(kind: str, *, unit_name: str) -> tuple[str, bytes]:
    """The chart of `kind` as (title, PDF bytes), `unit_name` printed as the generating unit."""
    chart = procedure(kind)
    data = chart.data()
    digest = content_hash({"template": TEMPLATE, "data": data, "unit": unit_name})
    rows = _rows(chart)
    html = render_to_string(
        TEMPLATE,
        {
            "chart": chart,
            "rows": rows,
            "notes_below": not any(row["lane"] == "notes" for row in rows),
            "lane": [_lines(move) for move in chart.lane],
            "unit_name": unit_name,
            "content_hash": digest,
        },
    )
    return chart.title, html_to_pdf(html)


@staff_required
def flowchart_pdf(request: HttpRequest, kind: str) -> FileResponse:
    if kind not in KINDS:
        raise NotFound(_("There is no such flowchart."))
    unit = request.user.unit
    title, pdf = flowchart_pdf_bytes(kind, unit_name=unit.name if unit is not None else "")
    return FileResponse(
        io.BytesIO(pdf),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{title}.pdf",
    )
