"""What the assessment shows: the filled annex 3 sheet (page, PDF, xlsx) and the county
ranking. Everything is read from the assessment's stored snapshot, never recomputed, so a
published result reads the same ever after."""

import io
from decimal import Decimal

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bangban.assessment.compute import shown
from bangban.assessment.models import SECTIONS, Assessment, Grade
from bangban.core.spreadsheets import no_formulas, xlsx_value

# 考核标准 of annex 3, one line per section.
CRITERIA = {
    1: gettext_lazy(
        "No team or no agents named: 0. Each village (community) without a team: −5. Each "
        "agent short of the staffing minimum: −2."
    ),
    2: gettext_lazy(
        "No rules, duties or service procedure: 0. Each gap in the rules, procedure or duties: "
        "−2. An agent breaking discipline or not following the procedure: 0."
    ),
    3: gettext_lazy(
        "Each case without a ledger entry, eligible request not accepted in time or pushed "
        "away, proxy case without a signed agreement, delay through poor coordination or late "
        "reporting, loss of materials, or dissatisfied applicant through poor explanation: −3. "
        "Hiding a major problem with the applicant: 0."
    ),
    4: gettext_lazy(
        "Each failure to inform the county centre of project information or progress: −2. Each "
        "missed training, forum, company visit or coordination activity: −5."
    ),
    5: gettext_lazy("Satisfaction of the applicants in the centre's random callbacks."),
    6: gettext_lazy(
        "Each substantiated complaint of coldness or bad attitude: −2. Steering business to "
        "intermediaries, illegal fees, accepting banquets, gifts or money: 0. A serious case "
        "with bad social impact: the grade is Fail."
    ),
}

RULE_NAMES = {
    "no_team": gettext_lazy("no team"),
    "village_without_team": gettext_lazy("village without a team"),
    "agent_short": gettext_lazy("agent short"),
    "no_rules": gettext_lazy("no rules"),
    "rule_gap": gettext_lazy("gap in the rules"),
    "discipline_breach": gettext_lazy("discipline breach"),
    "no_ledger_entry": gettext_lazy("no ledger entry"),
    "not_accepted_in_time": gettext_lazy("not accepted in time"),
    "no_agreement": gettext_lazy("no delegation agreement"),
    "delay": gettext_lazy("delay"),
    "material_lost": gettext_lazy("material lost"),
    "poor_explanation": gettext_lazy("poor explanation"),
    "collusion": gettext_lazy("collusion"),
    "not_informing_centre": gettext_lazy("centre not informed"),
    "missed_activity": gettext_lazy("missed activity"),
    "callbacks": gettext_lazy("callbacks"),
    "attitude": gettext_lazy("attitude complaint"),
    "illegal_fees": gettext_lazy("illegal fees"),
    "intermediary": gettext_lazy("intermediary"),
    "gifts": gettext_lazy("gifts"),
    "serious_case": gettext_lazy("serious case"),
}


def evidence_url(model: str, pk: str) -> str:
    """A staff page showing the record a deduction comes from ("" when there is none)."""
    from bangban.cases.models import Incident

    try:
        if model == "cases.case":
            return reverse("cases:detail", args=[int(pk)])
        if model == "cases.incident":
            case_id = Incident.objects.filter(pk=pk).values_list("case_id", flat=True).first()
            return reverse("cases:detail", args=[case_id]) if case_id else ""
        if model == "feedback.complaint":
            return reverse("feedback:complaint", args=[int(pk)])
        if model == "assessment.finding":
            return reverse("assessment:finding-evidence", args=[int(pk)])
        if model == "org.unit":
            return reverse("unit-detail", args=[int(pk)])
        if model == "org.activity":
            return reverse("activity-detail", args=[int(pk)])
    except (NoReverseMatch, ValueError, TypeError):
        return ""
    return ""


def _line_text(line: dict) -> str:
    name = RULE_NAMES.get(line["rule"], line["rule"])
    points = _("veto") if line["veto"] else f"−{shown(Decimal(line['points']))}"
    return f"{name} {points}：{line['evidence_text']}"


def sheet_rows(sheet: dict) -> list[dict]:
    """The six rows of annex 3 for one stored sheet."""
    rows = []
    for number in range(1, 7):
        section = sheet["sections"][str(number)]
        lines = [line for line in sheet["lines"] if line["section"] == number]
        remarks = [_line_text(line) for line in lines]
        if section.get("note"):
            remarks.insert(0, section["note"])
        rows.append(
            {
                "number": number,
                "name": str(SECTIONS[number]),
                "full": shown(Decimal(section["full"])),
                "criteria": str(CRITERIA[number]),
                "score": shown(Decimal(section["score"])),
                "remarks": remarks,
                "lines": [
                    line
                    | {
                        "url": evidence_url(line["evidence_model"], line["evidence_pk"]),
                        "rule_name": str(RULE_NAMES.get(line["rule"], line["rule"])),
                        "shown": shown(Decimal(line["points"])),
                    }
                    for line in lines
                ],
            }
        )
    return rows


def sheet_context(assessment: Assessment) -> dict:
    snapshot = assessment.snapshot
    result = snapshot.get("result", {})
    villages = [
        {
            "name": v["unit_name"],
            "code": v["unit_code"],
            "total": shown(Decimal(v["total"])),
            "rows": sheet_rows(v),
        }
        for v in snapshot.get("villages", [])
    ]
    when = assessment.published_at or assessment.computed_at
    return {
        "assessment": assessment,
        "unit_name": assessment.unit.name,
        "date": timezone.localtime(when).date(),
        "rows": sheet_rows(snapshot["own"]),
        "own": shown(Decimal(result.get("own", assessment.own_score))),
        "villages_mean": shown(Decimal(result["villages_mean"]))
        if result.get("villages_mean") is not None
        else "",
        "total": shown(Decimal(result.get("total", assessment.total))),
        "rank": result.get("rank", assessment.rank),
        "grade": str(Grade(result.get("grade", assessment.grade)).label)
        if result.get("grade", assessment.grade)
        else "",
        "villages": villages,
        "seed": assessment.seed,
        "weights": assessment.rules.get("weights", {}),
        "serious": snapshot["own"].get("serious", False),
    }


def sheet_pdf(assessment: Assessment) -> bytes:
    from bangban.documents.rendering import html_to_pdf

    return html_to_pdf(render_to_string("assessment/sheet_pdf.html", sheet_context(assessment)))


def sheet_xlsx(assessment: Assessment) -> bytes:
    """Annex 3 as a workbook: the sheet on the first worksheet (same layout as the paper), every
    deduction of the town and its sampled villages on the second."""
    ctx = sheet_context(assessment)
    book = Workbook()
    ws = book.active
    ws.title = _("Assessment sheet")[:31]
    ws.append([_("Assessment sheet of the assist and proxy service")])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("Unit"), xlsx_value(ctx["unit_name"])])
    ws.append([_("Date"), ctx["date"].isoformat()])
    ws.append([_("No."), _("Assessed"), _("Points"), _("Criteria"), _("Score"), _("Remarks")])
    for row in ctx["rows"]:
        ws.append(
            [
                row["number"],
                xlsx_value(row["name"]),
                Decimal(row["full"]),
                xlsx_value(row["criteria"]),
                Decimal(row["score"]),
                xlsx_value("\n".join(row["remarks"])),
            ]
        )
    ws.append([_("Total"), "", 100, "", Decimal(ctx["own"]), ""])
    ws.append(
        [_("Result"), Decimal(ctx["total"]), _("Rank"), ctx["rank"], _("Grade"), ctx["grade"]]
    )
    if ctx["villages_mean"]:
        ws.append(
            [
                _("Mean of the sampled villages"),
                Decimal(ctx["villages_mean"]),
                _("Sample seed"),
                ctx["seed"],
            ]
        )
    ws.append([_("Note: below 60 points is Fail.")])
    for column, width in zip("ABCDEF", (8, 14, 8, 50, 8, 60), strict=True):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    lines = book.create_sheet(_("Deductions")[:31])
    lines.append(
        [
            _("Sheet of"),
            _("Section"),
            _("Rule"),
            _("Points"),
            _("Veto"),
            _("Evidence type"),
            _("Evidence id"),
            _("Evidence"),
        ]
    )
    sheets = [assessment.snapshot["own"], *assessment.snapshot.get("villages", [])]
    for sheet in sheets:
        for line in sheet["lines"]:
            lines.append(
                [
                    xlsx_value(sheet["unit_name"]),
                    line["section"],
                    str(RULE_NAMES.get(line["rule"], line["rule"])),
                    Decimal(line["points"]),
                    _("yes") if line["veto"] else "",
                    line["evidence_model"],
                    line["evidence_pk"],
                    xlsx_value(line["evidence_text"]),
                ]
            )
    out = io.BytesIO()
    # Names and findings are typed by people: none of them may become a formula.
    no_formulas(book).save(out)
    return out.getvalue()


def ranking_rows(assessments) -> list[dict]:
    return [
        {
            "assessment": a,
            "rank": a.rank,
            "unit": a.unit.name,
            "code": a.unit.code,
            "own": shown(a.own_score),
            "villages_mean": shown(a.villages_mean),
            "total": shown(a.total),
            "grade": a.get_grade_display(),
            "state": a.get_state_display(),
            "sections": [shown(Decimal(a.sections[str(n)]["score"])) for n in range(1, 7)],
        }
        for a in sorted(assessments, key=lambda a: (a.rank or 0, a.unit.code))
    ]


def ranking_table(assessments) -> str:
    """The county ranking as plain text, for the command."""
    rows = ranking_rows(assessments)
    head = [
        _("Rank"),
        _("Town"),
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        _("Own"),
        _("Villages"),
        _("Total"),
        _("Grade"),
        _("State"),
    ]
    body = [
        [
            str(r["rank"] or ""),
            r["unit"],
            *r["sections"],
            r["own"],
            r["villages_mean"],
            r["total"],
            str(r["grade"]),
            str(r["state"]),
        ]
        for r in rows
    ]
    return "\n".join("\t".join(cells) for cells in [head, *body])


def _ranking_assessments(year: int) -> list[Assessment]:
    return list(
        Assessment.objects.filter(year=year).select_related("unit").order_by("rank", "unit__code")
    )


def ranking_context(year: int) -> dict:
    assessments = _ranking_assessments(year)
    rows = ranking_rows(assessments)
    for number, row in enumerate(rows, start=1):
        row["number"] = number
    when = max(
        (a.published_at or a.computed_at for a in assessments if a.published_at or a.computed_at),
        default=None,
    )
    return {
        "year": year,
        "rows": rows,
        "sections": [str(SECTIONS[n]) for n in range(1, 7)],
        "published": bool(assessments) and all(a.is_published for a in assessments),
        "date": timezone.localtime(when).date() if when else timezone.localdate(),
    }


def ranking_pdf(year: int) -> bytes:
    """The county ranking table of the year, on A4 landscape."""
    from bangban.documents.rendering import html_to_pdf

    return html_to_pdf(render_to_string("assessment/ranking_pdf.html", ranking_context(year)))


def ranking_xlsx(year: int) -> bytes:
    """The county ranking table of the year as a workbook: one row per town, numbers as
    numbers."""
    ctx = ranking_context(year)
    book = Workbook()
    ws = book.active
    ws.title = _("Ranking")[:31]
    ws.append([_("County ranking of the annual assessment %(year)s") % {"year": year}])
    ws["A1"].font = Font(bold=True, size=14)
    head = [
        _("No."),
        _("Unit"),
        *[f"{n}. {name}" for n, name in enumerate(ctx["sections"], start=1)],
        _("Own sheet"),
        _("Mean of the sampled villages"),
        _("Total"),
        _("Rank"),
        _("Grade"),
    ]
    ws.append(head)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")

    def number(value: str):
        return Decimal(value) if value not in ("", None) else None

    for row in ctx["rows"]:
        ws.append(
            [
                row["number"],
                xlsx_value(row["unit"]),
                *[number(s) for s in row["sections"]],
                number(row["own"]),
                number(row["villages_mean"]),
                number(row["total"]),
                row["rank"],
                str(row["grade"]),
            ]
        )
    for index, width in enumerate((6, 24, 10, 10, 10, 10, 10, 10, 10, 12, 10, 8, 8), start=1):
        ws.column_dimensions[ws.cell(row=2, column=index).column_letter].width = width
    ws.freeze_panes = "C3"
    out = io.BytesIO()
    # Names and findings are typed by people: none of them may become a formula.
    no_formulas(book).save(out)
    return out.getvalue()
