"""The assessment sheet of annex 3, computed from the records. Pure functions: they read the
database and return values, and write nothing (the services store what they return).

How each rule of annex 3 is read from the records (a sheet is one unit's — a town's own sheet
or a village's — and counts the records of that unit *and every unit under it*, the same way
for cases, incidents, complaints, callbacks, attendance and findings):

1 服务体系 (20)
  - no team: the unit has no roster agent (post "agent") active at any time in the year → 0.
  - −5 for each village directly under the unit with no agent active in the year.
  - −2 for each agent short of the level's staffing minimum (org.StaffingMinimum), for the unit
    itself and for each village under it that has a team but too few agents (a village with no
    team costs its 5 points, not also 2 per missing agent). "Agents" are roster rows of post
    "agent" whose active period overlaps the year; the on-duty flag is not read.
2 制度执行 (10): findings only. no_rules → 0; rule_gap −2 per count; discipline_breach → 0.
3 服务效能 (40)
  - −3 per proxy case accepted in the year without `agreement_signed_at` (cases still waiting
    in "accepted", where the agreement is signed next, and terminated cases are left out).
  - −3 per lost-material incident opened in the year.
  - −3 per delay "attributed to the unit": a case of the unit whose due date fell in the year
    and that was completed after it, or that is still not completed when its due date is
    before the year's end (or today, during the year). Refused and terminated cases are left
    out. Every late case of the unit is attributed to it: annex 3 blames the point for "poor
    coordination or late reporting", and the records do not say whose fault a delay was; the
    centre withdraws nothing automatically. Each late case counts once, in its due date's year.
  - −3 per refused case whose rating (given in the year) is 1 or 2: the applicant was not
    satisfied with how the ineligible request was explained.
  - findings: no_ledger_entry, not_accepted_in_time, coordination_delay, poor_explanation
    −3 per count; collusion → 0.
4 信息互动 (10): −2 per count of not_informing_centre findings; −5 for each "absent" (not
  "excused") attendance of an agent of the unit at a training or meeting held in the year, and
  per count of missed_activity findings.
5 社会评价 (10): the centre's random callbacks called in the year (feedback.Callback drawn in a
  monthly sample — not the calls closing a rectification — satisfaction 1–5): the mean
  satisfaction mapped linearly, 1 → 0 and 5 → full marks. With no callback, the rule set's
  `callback_default` (10 = full marks in the 2026 rules: nobody was asked, nobody was unhappy).
6 举报投诉 (10): complaints substantiated and concluded in the year, by their finding category
  (or the category they came with): attitude −2 each; illegal_fees, intermediary, gifts → 0;
  and the same three as inspection findings → 0. A serious_case finding makes the grade 不合格.

No section goes below zero. Amounts come from the year's rule set; all arithmetic is Decimal,
stored to 4 places and rounded to 1 place only for display.
"""

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.assessment.models import FINDING_RULES, Finding, FindingKind, Grade
from bangban.cases.models import Case, Incident, Rating
from bangban.cases.workflow import State
from bangban.org.models import Agent, Attendance, Level, Post, StaffingMinimum, Unit

PLACES = Decimal("0.0001")
ZERO = Decimal("0")


def q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def shown(value: Decimal | None) -> str:
    """One decimal place, for display only."""
    if value is None:
        return ""
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class Line:
    """One deduction (or veto) with its evidence."""

    section: int
    rule: str
    points: Decimal
    evidence_model: str
    evidence_pk: str
    evidence_text: str
    veto: bool = False

    def as_dict(self) -> dict:
        return {
            "section": self.section,
            "rule": self.rule,
            "points": str(self.points),
            "veto": self.veto,
            "evidence_model": self.evidence_model,
            "evidence_pk": self.evidence_pk,
            "evidence_text": self.evidence_text,
        }


@dataclass
class Sheet:
    unit_id: int
    unit_code: str
    unit_name: str
    sections: dict[int, dict] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    serious: bool = False

    @property
    def total(self) -> Decimal:
        return q(sum((Decimal(s["score"]) for s in self.sections.values()), ZERO))

    def as_dict(self) -> dict:
        return {
            "unit_id": self.unit_id,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "sections": {str(k): v for k, v in self.sections.items()},
            "lines": [line.as_dict() for line in self.lines],
            "serious": self.serious,
            "total": str(self.total),
        }


def year_bounds(year: int, today: date | None = None) -> tuple[date, date]:
    """The first day of the year and the day the year is looked at: its last day, or today
    while the year is running."""
    today = today or timezone.localdate()
    return date(year, 1, 1), min(date(year, 12, 31), today)


@dataclass(frozen=True)
class UnitRow:
    """What a sheet needs of a unit, read once for the whole area."""

    pk: int
    path: str
    parent_id: int | None
    level: str
    code: str
    name: str
    is_active: bool


class Evidence:
    """Every record the sheets of an area are read from, loaded with one query per kind for the
    whole area and kept per unit id. A town's sheet and its sampled villages' sheets then read
    the same rows instead of querying them again per sheet, and the number of queries no
    longer grows with the number of towns (ADR 0007 §9). Each kept row starts with its sort
    key, so a sheet lists its lines in the same order whatever units they come from."""

    def __init__(self, roots: list, year: int, today: date | None = None):
        from bangban.feedback.models import Callback, Complaint

        self.year = year
        within = Q()
        for root in roots:
            within |= Q(path__startswith=root.path)
        self.units = {
            row[0]: UnitRow(*row)
            for row in Unit.objects.filter(within).values_list(
                "pk", "path", "parent_id", "level", "code", "name", "is_active"
            )
        }
        ids = list(self.units)
        first, looked_at = year_bounds(year, today)
        last = date(year, 12, 31)
        self.minimums = dict(StaffingMinimum.objects.values_list("level", "minimum"))
        self.agents = dict(
            Agent.objects.filter(unit_id__in=ids, post=Post.AGENT, active_from__lte=last)
            .filter(Q(active_until__isnull=True) | Q(active_until__gte=first))
            .values("unit_id")
            .annotate(n=Count("pk"))
            .values_list("unit_id", "n")
        )
        cases = Case.objects.filter(unit_id__in=ids)
        self.no_agreement = self._keep(
            cases.filter(kind="proxy", accepted_on__year=year, agreement_signed_at__isnull=True)
            .exclude(state__in=[State.ACCEPTED, State.TERMINATED])
            .values_list("unit_id", "number", "pk")
        )
        self.incidents = self._keep(
            Incident.objects.filter(case__unit_id__in=ids, opened_at__year=year).values_list(
                "case__unit_id", "opened_at", "pk", "case__number"
            )
        )
        # The evidence names the case and its dates: the applicant's identifiers stay sealed,
        # and thousands of lines are read as tuples, not models.
        self.late = self._keep(
            cases.filter(due_date__year=year)
            .exclude(state__in=[State.REFUSED, State.TERMINATED])
            .filter(
                Q(completed_on__isnull=False, completed_on__gt=F("due_date"))
                | Q(completed_on__isnull=True, due_date__lt=looked_at)
            )
            .values_list("unit_id", "number", "pk", "completed_on", "due_date")
        )
        self.poor_explanations = self._keep(
            Rating.objects.filter(case__unit_id__in=ids, case__state=State.REFUSED)
            .filter(level__in=[1, 2], rated_at__year=year)
            .values_list("case__unit_id", "rated_at", "pk", "case_id", "level", "case__number")
        )
        self.absences = self._keep(
            Attendance.objects.filter(
                agent__unit_id__in=ids,
                status=Attendance.Status.ABSENT,
                activity__starts_at__year=year,
            ).values_list(
                "agent__unit_id",
                "activity__starts_at",
                "pk",
                "activity_id",
                "agent__name",
                "activity__title",
            )
        )
        # The centre's random callbacks only (drawn in a sample), not the calls that close a
        # rectification.
        self.callbacks = self._keep(
            Callback.objects.filter(
                unit_id__in=ids,
                satisfaction__isnull=False,
                sample__isnull=False,
                called_at__year=year,
            ).values_list("unit_id", "pk", "satisfaction")
        )
        # A complaint counts for its own unit, or for its case's unit when it names none.
        self.complaints = self._keep(
            Complaint.objects.filter(
                Q(unit_id__in=ids) | Q(unit__isnull=True, case__unit_id__in=ids),
                substantiated=True,
                concluded_at__year=year,
            )
            .annotate(owner=Coalesce("unit", "case__unit"))
            .values_list("owner", "pk", "code", "finding_category", "category")
        )
        self.findings = self._keep(
            Finding.objects.filter(unit_id__in=ids, year=year, withdrawn=False).values_list(
                "unit_id", "found_on", "pk", "unit__name", "description", "kind", "count"
            )
        )

    @staticmethod
    def _keep(rows) -> dict[int, list[tuple]]:
        kept: dict[int, list[tuple]] = {}
        for unit_id, *row in rows:
            kept.setdefault(unit_id, []).append(tuple(row))
        return kept

    def subtree(self, unit) -> list[int]:
        return [pk for pk, row in self.units.items() if row.path.startswith(unit.path)]

    def villages(self, unit) -> list[UnitRow]:
        """The active villages directly under the unit, in code order."""
        return sorted(
            (
                row
                for row in self.units.values()
                if row.parent_id == unit.pk and row.level == Level.VILLAGE and row.is_active
            ),
            key=lambda row: row.code,
        )

    @staticmethod
    def rows(kept: dict[int, list[tuple]], ids: list[int]) -> list[tuple]:
        return sorted(row for unit_id in ids for row in kept.get(unit_id, ()))


def _d(rules: dict, rule: str) -> Decimal:
    return Decimal(rules["deductions"][rule])


def section1_lines(unit, evidence: Evidence, rules: dict) -> list[Line]:
    """服务体系: the roster of the unit and of the villages directly under it."""
    lines: list[Line] = []
    minimums = evidence.minimums
    own = evidence.agents.get(unit.pk, 0)
    if own == 0:
        lines.append(
            Line(
                1,
                "no_team",
                ZERO,
                "org.unit",
                str(unit.pk),
                _("%(unit)s: no agent named") % {"unit": unit.name},
                veto=True,
            )
        )
    short = max(0, minimums.get(unit.level, 0) - own) if own else 0
    for _i in range(short):
        lines.append(
            Line(
                1,
                "agent_short",
                _d(rules, "agent_short"),
                "org.unit",
                str(unit.pk),
                _("%(unit)s: %(have)d of %(need)d agents")
                % {"unit": unit.name, "have": own, "need": minimums[unit.level]},
            )
        )
    for village in evidence.villages(unit):
        have = evidence.agents.get(village.pk, 0)
        if have == 0:
            lines.append(
                Line(
                    1,
                    "village_without_team",
                    _d(rules, "village_without_team"),
                    "org.unit",
                    str(village.pk),
                    _("%(unit)s: no team") % {"unit": village.name},
                )
            )
            continue
        need = minimums.get(Level.VILLAGE, 0)
        for _i in range(max(0, need - have)):
            lines.append(
                Line(
                    1,
                    "agent_short",
                    _d(rules, "agent_short"),
                    "org.unit",
                    str(village.pk),
                    _("%(unit)s: %(have)d of %(need)d agents")
                    % {"unit": village.name, "have": have, "need": need},
                )
            )
    return lines


def section3_record_lines(ids: list[int], evidence: Evidence, rules: dict) -> list[Line]:
    """服务效能 from the case records of the unit's subtree."""
    lines: list[Line] = []
    points = _d(rules, "no_agreement")
    what = _("proxy case without a signed delegation agreement")
    for number, pk in evidence.rows(evidence.no_agreement, ids):
        lines.append(Line(3, "no_agreement", points, "cases.case", str(pk), f"{number}: {what}"))
    points = _d(rules, "material_lost")
    what = _("applicant's material lost")
    for _opened_at, pk, number in evidence.rows(evidence.incidents, ids):
        lines.append(
            Line(3, "material_lost", points, "cases.incident", str(pk), f"{number}: {what}")
        )
    points = _d(rules, "delay")
    # Translated once: a county's year has tens of thousands of these lines.
    done_late, not_done = _("completed on %(done)s, due %(due)s"), _("not completed, due %(due)s")
    for number, pk, completed_on, due_date in evidence.rows(evidence.late, ids):
        what = (
            done_late % {"done": completed_on, "due": due_date}
            if completed_on
            else not_done % {"due": due_date}
        )
        lines.append(Line(3, "delay", points, "cases.case", str(pk), f"{number}: {what}"))
    points = _d(rules, "poor_explanation")
    rated = _("refused; the applicant rated it %(level)d")
    for _rated_at, _pk, case_id, level, number in evidence.rows(evidence.poor_explanations, ids):
        what = rated % {"level": level}
        lines.append(
            Line(3, "poor_explanation", points, "cases.case", str(case_id), f"{number}: {what}")
        )
    return lines


def section4_record_lines(ids: list[int], evidence: Evidence, rules: dict) -> list[Line]:
    """信息互动 from the attendance register: each absence of an agent of the subtree."""
    points = _d(rules, "missed_activity")
    absent = _("%(agent)s absent from %(activity)s")
    return [
        Line(
            4,
            "missed_activity",
            points,
            "org.activity",
            str(activity_id),
            absent % {"agent": agent, "activity": title},
        )
        for _starts_at, _pk, activity_id, agent, title in evidence.rows(evidence.absences, ids)
    ]


def section5(ids: list[int], evidence: Evidence, rules: dict) -> tuple[Decimal, list[Line], str]:
    """社会评价: (score, lines, note)."""
    full = Decimal(rules["sections"]["5"])
    callbacks = evidence.rows(evidence.callbacks, ids)
    if not callbacks:
        score = min(full, Decimal(rules.get("callback_default", full)))
        lines = []
        if score < full:
            lines.append(Line(5, "callbacks", full - score, "", "", _("no callback this year")))
        return score, lines, _("no callback this year")
    mean = Decimal(sum(satisfaction for _pk, satisfaction in callbacks)) / Decimal(len(callbacks))
    score = q(full * (mean - 1) / 4)
    note = _("%(n)d callbacks, mean satisfaction %(mean)s") % {
        "n": len(callbacks),
        "mean": shown(mean),
    }
    lines = []
    if score < full:
        lines.append(
            Line(
                5,
                "callbacks",
                full - score,
                "feedback.callback",
                ",".join(str(pk) for pk, _satisfaction in callbacks),
                note,
            )
        )
    return score, lines, note


COMPLAINT_VETOES = {"illegal_fees", "intermediary", "gifts"}


def section6_record_lines(ids: list[int], evidence: Evidence, rules: dict) -> list[Line]:
    """举报投诉 from substantiated complaints concluded in the year."""
    lines = []
    for pk, code, finding_category, category in evidence.rows(evidence.complaints, ids):
        category = finding_category or category
        text = _("complaint %(code)s substantiated: %(category)s") % {
            "code": code,
            "category": category,
        }
        if category == "attitude":
            lines.append(
                Line(6, "attitude", _d(rules, "attitude"), "feedback.complaint", str(pk), text)
            )
        elif category in COMPLAINT_VETOES:
            lines.append(Line(6, category, ZERO, "feedback.complaint", str(pk), text, veto=True))
    return lines


def finding_lines(ids: list[int], evidence: Evidence, rules: dict) -> list[Line]:
    """The inspection findings of the unit's subtree for the year that are not withdrawn."""
    lines = []
    for found_on, pk, unit_name, description, kind, count in evidence.rows(evidence.findings, ids):
        section, rule = FINDING_RULES[kind]
        text = f"{unit_name} {found_on}: {description}"[:500]
        if rule in rules["vetoes"]:
            lines.append(Line(section, rule, ZERO, "assessment.finding", str(pk), text, veto=True))
        else:
            points = _d(rules, rule) * count
            lines.append(Line(section, rule, points, "assessment.finding", str(pk), text))
    return lines


def sheet(
    unit, year: int, rules: dict, *, today: date | None = None, evidence: Evidence | None = None
) -> Sheet:
    """One unit's filled annex 3 sheet, from the area's evidence (loaded for the unit alone
    when none is given)."""
    evidence = evidence or Evidence([unit], year, today)
    ids = evidence.subtree(unit)
    result = Sheet(unit.pk, unit.code, unit.name)
    lines = section1_lines(unit, evidence, rules)
    lines += section3_record_lines(ids, evidence, rules)
    lines += section4_record_lines(ids, evidence, rules)
    score5, lines5, note5 = section5(ids, evidence, rules)
    lines += lines5
    lines += section6_record_lines(ids, evidence, rules)
    lines += finding_lines(ids, evidence, rules)
    lines.sort(key=lambda line: line.section)
    vetoes = rules["vetoes"]
    for number in range(1, 7):
        full = Decimal(rules["sections"][str(number)])
        mine = [line for line in lines if line.section == number]
        vetoed = sorted(
            {line.rule for line in mine if line.veto and vetoes.get(line.rule) == str(number)}
        )
        deducted = q(sum((line.points for line in mine), ZERO))
        score = score5 if number == 5 else max(ZERO, full - deducted)
        if vetoed:
            score = ZERO
        result.sections[number] = {
            "full": str(full),
            "deducted": str(deducted),
            "score": str(q(score)),
            "veto": vetoed,
            "note": note5 if number == 5 else "",
        }
    result.lines = lines
    result.serious = any(line.veto and vetoes.get(line.rule) == "grade" for line in lines)
    return result


def villages_of(town: Unit):
    return Unit.objects.filter(parent=town, level=Level.VILLAGE, is_active=True).order_by("code")


def sample_villages(villages: list[Unit], size: int, seed: int) -> list[Unit]:
    """`size` villages drawn with random.Random(seed) from the list (ordered by code), returned
    in code order: the same seed and villages give the same sample."""
    ordered = sorted(villages, key=lambda v: v.code)
    picked = random.Random(seed).sample(ordered, min(size, len(ordered)))
    return sorted(picked, key=lambda v: v.code)


def town_total(
    own: Decimal, village_totals: list[Decimal], rules: dict
) -> tuple[Decimal | None, Decimal]:
    """(mean of the villages, the town's result). A town with no village to sample is
    assessed on its own sheet alone."""
    if not village_totals:
        return None, q(own)
    mean = q(sum(village_totals, ZERO) / len(village_totals))
    weights = rules["weights"]
    return mean, q(own * Decimal(weights["own"]) + mean * Decimal(weights["villages"]))


def rank_and_grade(results: list[tuple[object, Decimal, bool]], rules: dict) -> dict:
    """key → (rank, grade) for [(key, total, serious)]. Ties share a rank (1, 1, 3). The top N
    are 优秀 unless below the lowest band or serious; then the bands; a serious case, or a
    total below the last band, is 不合格."""
    ordered = sorted(results, key=lambda r: r[1], reverse=True)
    grades = rules["grades"]
    bands = [(name, Decimal(floor)) for name, floor in grades["bands"]]
    pass_mark = bands[-1][1] if bands else ZERO
    out = {}
    for key, total, serious in ordered:
        rank = 1 + sum(1 for other in ordered if other[1] > total)
        if serious or total < pass_mark:
            grade = Grade.FAIL
        elif rank <= int(grades.get("excellent_top", 0)):
            grade = Grade.EXCELLENT
        else:
            grade = next((name for name, floor in bands if total >= floor), Grade.FAIL)
        out[key] = (rank, str(grade))
    return out


__all__ = [
    "FindingKind",
    "Line",
    "Sheet",
    "q",
    "rank_and_grade",
    "sample_villages",
    "sheet",
    "shown",
    "town_total",
    "villages_of",
]
