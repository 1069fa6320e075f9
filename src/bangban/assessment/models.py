"""The annual assessment of the towns' 帮办代办 work (001 §七 and annex 3).

- `RuleSet`: one per year, the annex's numbers as data (section full marks, deduction per rule,
  vetoes, grade bands, village sample size). A year's rules are frozen once a result of that
  year is published.
- `Finding`: what a supervisor or the centre found on inspection, with its evidence: the manual
  inputs of the assessment. Never deleted, only withdrawn with a reason.
- `Assessment`: one town's result of one year, with its own sheet, the sampled villages' sheets
  and the seed of the sample. Published results are frozen: the stored snapshot is what is
  shown ever after.
- `Deduction`: one line of a sheet, pointing at its evidence.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SECTIONS = {
    1: _("Service system"),
    2: _("Rules and discipline"),
    3: _("Service effectiveness"),
    4: _("Information and participation"),
    5: _("Public evaluation"),
    6: _("Reports and complaints"),
}


class FindingKind(models.TextChoices):
    """What an inspection may find: each kind is one rule of annex 3 (its section is fixed)."""

    NO_RULES = "no_rules", _("No rules, duties or service procedure at all")
    RULE_GAP = "rule_gap", _("Gap in the rules, procedure or duties")
    DISCIPLINE_BREACH = "discipline_breach", _("Discipline breach or procedure not followed")
    NO_LEDGER_ENTRY = "no_ledger_entry", _("Case handled without a ledger entry")
    NOT_ACCEPTED_IN_TIME = "not_accepted_in_time", _("Eligible request not accepted in time")
    COORDINATION_DELAY = "coordination_delay", _("Delay through poor coordination or reporting")
    POOR_EXPLANATION = "poor_explanation", _("Ineligible request not explained well")
    COLLUSION = "collusion", _("Hiding a major problem with the applicant (collusion)")
    NOT_INFORMING_CENTRE = "not_informing_centre", _("Centre not informed of project progress")
    MISSED_ACTIVITY = "missed_activity", _("Missed training, forum, visit or coordination")
    ILLEGAL_FEES = "illegal_fees", _("Illegal fees")
    INTERMEDIARY = "intermediary", _("Steering business to intermediaries")
    GIFTS = "gifts", _("Accepting banquets, gifts or money")
    SERIOUS_CASE = "serious_case", _("Serious case with bad social impact")


# kind → (section, rule). A rule is a key of `rules["deductions"]` (points per count) or of
# `rules["vetoes"]` (the section it zeroes, or "grade" for 不合格).
FINDING_RULES: dict[str, tuple[int, str]] = {
    FindingKind.NO_RULES: (2, "no_rules"),
    FindingKind.RULE_GAP: (2, "rule_gap"),
    FindingKind.DISCIPLINE_BREACH: (2, "discipline_breach"),
    FindingKind.NO_LEDGER_ENTRY: (3, "no_ledger_entry"),
    FindingKind.NOT_ACCEPTED_IN_TIME: (3, "not_accepted_in_time"),
    FindingKind.COORDINATION_DELAY: (3, "delay"),
    FindingKind.POOR_EXPLANATION: (3, "poor_explanation"),
    FindingKind.COLLUSION: (3, "collusion"),
    FindingKind.NOT_INFORMING_CENTRE: (4, "not_informing_centre"),
    FindingKind.MISSED_ACTIVITY: (4, "missed_activity"),
    FindingKind.ILLEGAL_FEES: (6, "illegal_fees"),
    FindingKind.INTERMEDIARY: (6, "intermediary"),
    FindingKind.GIFTS: (6, "gifts"),
    FindingKind.SERIOUS_CASE: (6, "serious_case"),
}

# The rules of annex 3 as seeded for 2026 (the data migration copies this; later years start
# as a copy of the year before). Amounts are strings: they are read as Decimal.
ANNEX3_RULES: dict = {
    "sections": {"1": "20", "2": "10", "3": "40", "4": "10", "5": "10", "6": "10"},
    "deductions": {
        "village_without_team": "5",
        "agent_short": "2",
        "rule_gap": "2",
        "no_ledger_entry": "3",
        "not_accepted_in_time": "3",
        "no_agreement": "3",
        "delay": "3",
        "material_lost": "3",
        "poor_explanation": "3",
        "not_informing_centre": "2",
        "missed_activity": "5",
        "attitude": "2",
    },
    # veto → what it zeroes: a section number, or "grade" (the grade is directly 不合格).
    "vetoes": {
        "no_team": "1",
        "no_rules": "2",
        "discipline_breach": "2",
        "collusion": "3",
        "illegal_fees": "6",
        "intermediary": "6",
        "gifts": "6",
        "serious_case": "grade",
    },
    # 社会评价: mean satisfaction 1–5 of the year's callbacks mapped linearly onto 0–full marks;
    # the points given when the centre made no callback to the unit that year.
    "callback_default": "10",
    # The town's own sheet and the mean of its sampled villages' sheets (001 §七(二)2).
    "weights": {"own": "0.6", "villages": "0.4"},
    "village_sample_size": 2,
    # Top N towns are 优秀 (unless below the pass mark or vetoed); then the bands, highest
    # first; below the last band is 不合格.
    "grades": {
        "excellent_top": 4,
        "bands": [["good", "80"], ["pass", "60"]],
    },
}


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class RuleSet(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    rules = models.JSONField(_("rules"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("assessment rule set")
        verbose_name_plural = _("assessment rule sets")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class Finding(models.Model):
    """One inspection finding: counted by the assessment of `unit`'s sheet for `year`."""

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    found_on = models.DateField(_("date of the inspection"))
    kind = models.CharField(_("finding"), max_length=24, choices=FindingKind.choices)
    count = models.PositiveSmallIntegerField(_("number of times"), default=1)
    description = models.TextField(_("what was found"))
    evidence = models.FileField(_("evidence"), upload_to="assessment/findings/")
    evidence_type = models.CharField(max_length=32, editable=False, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inspection finding")
        verbose_name_plural = _("inspection findings")
        ordering = ["-found_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_kind_display()}"

    @property
    def unit_path(self) -> str:
        return self.unit.path

    @property
    def section(self) -> int:
        return FINDING_RULES[self.kind][0]


class Assessment(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("rules"), on_delete=models.PROTECT, related_name="assessments"
    )
    # The rules as they were when computed: a published result never reads the RuleSet again.
    rules = models.JSONField(_("rules applied"), default=dict)
    seed = models.BigIntegerField(_("sample seed"))
    sampled_villages = models.JSONField(_("sampled villages"), default=list)
    own_score = models.DecimalField(_("own sheet"), max_digits=8, decimal_places=4)
    villages_mean = models.DecimalField(
        _("mean of the sampled villages"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    total = models.DecimalField(_("total"), max_digits=8, decimal_places=4)
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    serious = models.BooleanField(_("serious case"), default=False)
    sections = models.JSONField(_("sections"), default=dict)
    # Every sheet (the town's and each sampled village's) with every deduction and its evidence.
    snapshot = models.JSONField(_("snapshot"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["year", "rank", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "unit"], name="assessment_once_per_town_year")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit}"

    @property
    def unit_path(self) -> str:
        return self.unit.path

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class Deduction(models.Model):
    """One line of a sheet: which unit's sheet, which section and rule, how many points, and
    the record it comes from (model label + pk + a human text, kept even if the record's text
    changes later)."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="lines"
    )
    sheet_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("sheet of"), on_delete=models.PROTECT, related_name="+"
    )
    section = models.PositiveSmallIntegerField(_("section"))
    rule = models.CharField(_("rule"), max_length=32)
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=4)
    veto = models.BooleanField(_("veto"), default=False)
    evidence_model = models.CharField(_("evidence type"), max_length=64)
    evidence_pk = models.CharField(_("evidence id"), max_length=64)
    evidence_text = models.CharField(_("evidence"), max_length=500)

    class Meta:
        verbose_name = _("deduction")
        verbose_name_plural = _("deductions")
        ordering = ["assessment", "sheet_unit__code", "section", "pk"]

    def __str__(self) -> str:
        return f"{self.section} {self.rule} -{self.points}"
