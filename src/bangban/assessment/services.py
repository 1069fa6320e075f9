"""Writes of the annual assessment. Each use case is one function: keyword-only, atomic,
permission-checked, and leaves one event.

Who: the county centre's administrators (and the system administrator) compute, publish and
set the rules; supervisors and the centre record and withdraw inspection findings."""

import copy
import secrets
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.assessment import compute
from bangban.assessment.models import (
    ANNEX3_RULES,
    Assessment,
    Deduction,
    Finding,
    FindingKind,
    RuleSet,
)
from bangban.core.bulk import rows_insert
from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.core.text import text_check
from bangban.org.models import Level, Role, Unit
from bangban.org.scoping import in_scope

ADMIN_ROLES = {Role.CENTRE_ADMIN, Role.SYSADMIN}
FINDING_ROLES = ADMIN_ROLES | {Role.SUPERVISOR}
READER_ROLES = ADMIN_ROLES | {Role.SUPERVISOR}
DESCRIPTION_MAX = 2000
MIN_YEAR, MAX_YEAR = 2000, 2100


def _signed_in(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def is_admin(actor) -> bool:
    return _signed_in(actor) and (actor.is_superuser or actor.role in ADMIN_ROLES)


def can_read(actor) -> bool:
    return _signed_in(actor) and (actor.is_superuser or actor.role in READER_ROLES)


def can_record_findings(actor) -> bool:
    return _signed_in(actor) and (actor.is_superuser or actor.role in FINDING_ROLES)


def require_reader(actor) -> None:
    if not can_read(actor):
        raise PermissionDenied(_("The assessment is for the county centre and the supervisors."))


def _require_admin(actor) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only the county centre's administrators can do this."))


def _year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(_("Enter a year."), field="year") from exc
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(_("Enter a year between 2000 and 2100."), field="year")
    return year


def is_year_published(year: int) -> bool:
    return Assessment.objects.filter(year=year, state=Assessment.State.PUBLISHED).exists()


# Rules ---------------------------------------------------------------------------------------


def rule_set_for(year: int) -> RuleSet:
    """The year's rule set; a year without one starts as a copy of the latest earlier year's
    (or of annex 3)."""
    found = RuleSet.objects.filter(year=year).first()
    if found:
        return found
    earlier = RuleSet.objects.filter(year__lt=year).order_by("-year").first()
    rules = copy.deepcopy(earlier.rules if earlier else ANNEX3_RULES)
    return RuleSet.objects.get_or_create(year=year, defaults={"rules": rules})[0]


def _check_rules(rules) -> dict:
    """The rule set's shape: every key of annex 3 is there and every amount is a number ≥ 0."""
    if not isinstance(rules, dict):
        raise ValidationFailed(_("The rules must be a JSON object."), field="rules")
    try:
        for group in ("sections", "deductions"):
            for key in ANNEX3_RULES[group]:
                if Decimal(str(rules[group][key])) < 0:
                    raise ValueError(key)
        for key in ANNEX3_RULES["vetoes"]:
            rules["vetoes"][key]
        Decimal(str(rules["callback_default"]))
        Decimal(str(rules["weights"]["own"]))
        Decimal(str(rules["weights"]["villages"]))
        if int(rules["village_sample_size"]) < 0:
            raise ValueError("village_sample_size")
        int(rules["grades"]["excellent_top"])
        for _name, floor in rules["grades"]["bands"]:
            Decimal(str(floor))
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ValidationFailed(
            _("The rules are incomplete or hold a value that is not a number: %(key)s")
            % {"key": exc},
            field="rules",
        ) from exc
    return rules


@transaction.atomic
def rule_set_update(*, actor, year, rules: dict) -> RuleSet:
    """Set a year's rules. Refused once a result of that year is published: a published
    result was computed under the rules it shows."""
    _require_admin(actor)
    year = _year(year)
    rules = _check_rules(copy.deepcopy(rules))
    if is_year_published(year):
        raise Conflict(
            _("The %(year)d results are published: that year's rules can no longer change.")
            % {"year": year}
        )
    rule_set = RuleSet.objects.select_for_update().filter(year=year).first()
    before = rule_set.rules if rule_set else None
    if rule_set is None:
        rule_set = RuleSet(year=year)
    rule_set.rules = rules
    rule_set.updated_by = actor
    rule_set.save()
    event_record(
        actor=actor,
        action="assessment.rules_update",
        obj=rule_set,
        before={"rules": before},
        after={"rules": rules},
    )
    return rule_set


# Findings ------------------------------------------------------------------------------------


@transaction.atomic
def finding_record(
    *,
    actor,
    unit: Unit,
    year,
    found_on: date,
    kind: str,
    description: str,
    evidence,
    count: int = 1,
) -> Finding:
    """Record an inspection finding with its evidence (a PDF or image, checked by content)."""
    from bangban.documents.services.scans import scan_check

    if not can_record_findings(actor):
        raise PermissionDenied(_("Only supervisors and the county centre record findings."))
    year = _year(year)
    if kind not in FindingKind.values:
        raise ValidationFailed(_("Choose what was found."), field="kind")
    if unit is None or unit.level not in (Level.TOWN, Level.VILLAGE):
        raise ValidationFailed(_("Choose a town or village point."), field="unit")
    if not in_scope(actor, unit):
        raise PermissionDenied(_("This service point is outside your area."))
    if found_on is None:
        raise ValidationFailed(_("Enter the date of the inspection."), field="found_on")
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= 100:
        raise ValidationFailed(_("Enter how many times, from 1 to 100."), field="count")
    description = (description or "").strip()
    if not description:
        raise ValidationFailed(_("Describe what was found."), field="description")
    text_check(description, field="description")
    if len(description) > DESCRIPTION_MAX:
        raise ValidationFailed(
            _("Please keep this to %(max)d characters or fewer.") % {"max": DESCRIPTION_MAX},
            field="description",
        )
    if not evidence:
        raise ValidationFailed(_("Attach the evidence (PDF, JPG or PNG)."), field="evidence")
    try:
        content_type = scan_check(evidence)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="evidence") from exc
    evidence.seek(0)
    finding = Finding.objects.create(
        unit=unit,
        year=year,
        found_on=found_on,
        kind=kind,
        count=count,
        description=description,
        evidence=evidence,
        evidence_type=content_type,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    event_record(
        actor=actor,
        action="assessment.finding_record",
        obj=finding,
        after={
            "unit": unit.pk,
            "year": year,
            "kind": kind,
            "count": count,
            "found_on": found_on,
            "published_year": is_year_published(year),
        },
    )
    return finding


@transaction.atomic
def finding_withdraw(*, actor, finding: Finding, reason: str) -> Finding:
    """Withdraw a finding (it stays on record with the reason); by the centre or by the one
    who recorded it."""
    if not can_record_findings(actor):
        raise PermissionDenied(_("Only supervisors and the county centre record findings."))
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if not in_scope(actor, finding.unit):
        raise PermissionDenied(_("This service point is outside your area."))
    if not is_admin(actor) and finding.recorded_by_id != actor.pk:
        raise PermissionDenied(_("Only the centre or the person who recorded it can withdraw it."))
    if finding.withdrawn:
        raise Conflict(_("This finding is already withdrawn."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the finding is withdrawn."), field="reason")
    text_check(reason, field="reason")
    limit = Finding._meta.get_field("withdrawn_reason").max_length
    if len(reason) > limit:
        # Refused, not cut: the reason is the record of why a finding no longer counts.
        raise ValidationFailed(
            _("The reason is too long: at most %(limit)d characters.") % {"limit": limit},
            field="reason",
        )
    finding.withdrawn = True
    finding.withdrawn_reason = reason
    finding.withdrawn_at = timezone.now()
    finding.save(update_fields=["withdrawn", "withdrawn_reason", "withdrawn_at"])
    event_record(
        actor=actor,
        action="assessment.finding_withdraw",
        obj=finding,
        before={"withdrawn": False},
        after={"withdrawn": True, "reason": reason},
    )
    return finding


# Assessments ---------------------------------------------------------------------------------


def _towns(actor):
    towns = Unit.objects.filter(level=Level.TOWN, is_active=True)
    if getattr(actor, "unit_id", None) and not actor.is_superuser:
        towns = towns.filter(path__startswith=actor.unit.path)
    return towns.select_related("parent").order_by("code")


DEDUCTION_FIELDS = [
    "assessment_id",
    "sheet_unit_id",
    "section",
    "rule",
    "points",
    "veto",
    "evidence_model",
    "evidence_pk",
    "evidence_text",
]


def _store_lines(assessment: Assessment, sheets: list[compute.Sheet]) -> None:
    # Tens of thousands of lines for a county's year: written as plain rows (core.bulk).
    rows_insert(
        Deduction,
        DEDUCTION_FIELDS,
        (
            (
                assessment.pk,
                s.unit_id,
                line.section,
                line.rule,
                line.points,
                line.veto,
                line.evidence_model,
                line.evidence_pk,
                line.evidence_text[:500],
            )
            for s in sheets
            for line in s.lines
        ),
    )


@transaction.atomic
def assessment_compute(*, actor, year, today: date | None = None) -> list[Assessment]:
    """Compute the year's draft for every town in the actor's area and rank them per county.
    A year with a published result is not touched: its stored results are returned as they
    are. A town keeps its sample seed across recomputations of its draft."""
    _require_admin(actor)
    year = _year(year)
    towns = list(_towns(actor))
    existing = {
        a.unit_id: a
        for a in Assessment.objects.select_for_update().filter(year=year, unit__in=towns)
    }
    if any(a.is_published for a in existing.values()):
        return list(
            Assessment.objects.filter(year=year, unit__in=towns)
            .select_related("unit")
            .order_by("rank", "unit__code")
        )
    rule_set = rule_set_for(year)
    rules = rule_set.rules
    now = timezone.now()
    # Every town's records at once: the sheets below only sort what this read.
    evidence = compute.Evidence(towns, year, today)
    results = []
    for town in towns:
        assessment = existing.get(town.pk)
        seed = assessment.seed if assessment else secrets.randbelow(2**31)
        own = compute.sheet(town, year, rules, evidence=evidence)
        sampled = compute.sample_villages(
            evidence.villages(town), int(rules["village_sample_size"]), seed
        )
        village_sheets = [compute.sheet(v, year, rules, evidence=evidence) for v in sampled]
        mean, total = compute.town_total(own.total, [s.total for s in village_sheets], rules)
        values = {
            "rule_set": rule_set,
            "rules": rules,
            "seed": seed,
            "sampled_villages": [{"id": v.pk, "code": v.code, "name": v.name} for v in sampled],
            "own_score": own.total,
            "villages_mean": mean,
            "total": total,
            "serious": own.serious,
            "sections": own.as_dict()["sections"],
            "snapshot": {"own": own.as_dict(), "villages": [s.as_dict() for s in village_sheets]},
            "computed_at": now,
            "state": Assessment.State.DRAFT,
        }
        if assessment is None:
            assessment = Assessment.objects.create(year=year, unit=town, **values)
        else:
            assessment.unit = town  # already read: no query per town for the ranking below
            for name, value in values.items():
                setattr(assessment, name, value)
            assessment.save()
            assessment.lines.all().delete()  # a draft's lines are replaced, never a published one's
        _store_lines(assessment, [own, *village_sheets])
        results.append(assessment)
    by_county: dict[int | None, list[Assessment]] = {}
    for assessment in results:
        by_county.setdefault(assessment.unit.parent_id, []).append(assessment)
    for group in by_county.values():
        ranked = compute.rank_and_grade([(a.pk, a.total, a.serious) for a in group], rules)
        for assessment in group:
            assessment.rank, assessment.grade = ranked[assessment.pk]
            snapshot = assessment.snapshot
            snapshot["result"] = {
                "own": str(assessment.own_score),
                "villages_mean": None
                if assessment.villages_mean is None
                else str(assessment.villages_mean),
                "total": str(assessment.total),
                "rank": assessment.rank,
                "grade": assessment.grade,
            }
            assessment.save(update_fields=["rank", "grade", "snapshot"])
    event_record(
        actor=actor,
        action="assessment.compute",
        object_type="assessment.year",
        object_id=year,
        unit_path=actor.unit_path if getattr(actor, "unit_id", None) else "",
        after={
            "year": year,
            "rule_set": rule_set.pk,
            "results": {a.unit.code: [str(a.total), a.rank, a.grade, a.seed] for a in results},
        },
    )
    return sorted(results, key=lambda a: (a.rank or 0, a.unit.code))


@transaction.atomic
def assessment_publish(*, actor, year) -> list[Assessment]:
    """Publish the year's drafts as they stand: from now on they are shown as stored, and
    neither rules, findings nor recomputation change them."""
    _require_admin(actor)
    year = _year(year)
    towns = list(_towns(actor))
    drafts = list(
        Assessment.objects.select_for_update().filter(
            year=year, unit__in=towns, state=Assessment.State.DRAFT
        )
    )
    if not drafts:
        raise Conflict(
            _("There is no draft of %(year)d to publish: compute it first.") % {"year": year}
        )
    now = timezone.now()
    for assessment in drafts:
        assessment.state = Assessment.State.PUBLISHED
        assessment.published_at = now
        assessment.published_by = actor
        assessment.save(update_fields=["state", "published_at", "published_by"])
    event_record(
        actor=actor,
        action="assessment.publish",
        object_type="assessment.year",
        object_id=year,
        unit_path=actor.unit_path if getattr(actor, "unit_id", None) else "",
        after={"year": year, "towns": sorted(a.unit_id for a in drafts)},
    )
    return drafts
