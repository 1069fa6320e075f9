"""The service catalog (帮办代办事项清单): items with their guides (办事指南), materials, process
steps, bundles (一件事一次办), versions (事项变动登记), and what each point offers."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangban.org.models import Level, Unit


class ItemType(models.TextChoices):
    LICENSING = "licensing", _("Administrative licensing")  # 行政许可
    PAYMENT = "payment", _("Administrative payment")  # 行政给付
    CONFIRMATION = "confirmation", _("Administrative confirmation")  # 行政确认
    ADJUDICATION = "adjudication", _("Administrative adjudication")  # 行政裁决
    LEVY = "levy", _("Administrative levy")  # 行政征收
    REWARD = "reward", _("Administrative reward")  # 行政奖励
    OTHER_POWER = "other_power", _("Other administrative power")  # 其他行政权力
    PUBLIC_SERVICE = "public_service", _("Public service")  # 公共服务


class CaseType(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediate")  # 即办件
    PROMISED = "promised", _("Promised")  # 承诺件


class Target(models.TextChoices):
    PERSON = "person", _("Natural person")
    ORGANISATION = "organisation", _("Legal person")
    BOTH = "both", _("Natural and legal person")


# The tiers of a point, in order, as stored in `assist_tiers` / `proxy_tiers` ("county;town").
TIERS = [Level.COUNTY, Level.TOWN, Level.VILLAGE]


class Item(models.Model):
    """A service item and its current guide. Every change makes a new `ItemVersion`; cases
    keep the version they were accepted under."""

    code = models.CharField(_("item code"), max_length=64, blank=True, db_index=True)
    name = models.CharField(_("item name"), max_length=200, db_index=True)
    item_type = models.CharField(
        _("item type"), max_length=20, choices=ItemType.choices, blank=True
    )
    department = models.ForeignKey(
        Unit,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        limit_choices_to={"level": Level.DEPARTMENT},
    )
    # 实施主体 as published; defaults to the department's name.
    implementing_body = models.CharField(_("implementing body"), max_length=200, blank=True)
    case_type = models.CharField(
        _("case type"), max_length=16, choices=CaseType.choices, blank=True
    )
    statutory_limit_days = models.PositiveSmallIntegerField(
        _("statutory time limit (working days)"), null=True, blank=True
    )
    promised_limit_days = models.PositiveSmallIntegerField(
        _("promised time limit (working days)"), null=True, blank=True
    )
    exercise_level = models.CharField(_("exercise level"), max_length=64, blank=True)
    target = models.CharField(_("service target"), max_length=16, choices=Target.choices)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    fees = models.TextField(_("fees"), blank=True)
    result = models.CharField(_("result"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    hours = models.CharField(_("hours"), max_length=200, blank=True)
    consultation_phone = models.CharField(_("consultation phone"), max_length=64, blank=True)
    complaint_channel = models.CharField(_("complaint channel"), max_length=200, blank=True)
    # Tiers where the item may be assisted (帮办) and proxied (代办): "county;town;village".
    assist_tiers = models.CharField(_("assist tiers"), max_length=32, blank=True)
    proxy_tiers = models.CharField(_("proxy tiers"), max_length=32, blank=True)
    # Flags of 001 annex 5.
    in_four_level_list = models.BooleanField(_("in the provincial 四级四同 list"), default=False)
    on_integrated_platform = models.BooleanField(
        _("handled on the integrated platform"), default=False
    )
    at_most_one_visit = models.BooleanField(_("at most one visit"), default=False)
    # Computed from completed cases (monthly average ≥ 20, 001 annex 5), never typed.
    is_high_frequency = models.BooleanField(_("high-frequency"), default=False, editable=False)
    aliases = models.TextField(
        _("aliases"), blank=True, help_text=_("One everyday phrasing per line.")
    )
    is_active = models.BooleanField(_("in the catalog"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # The version numbered `version`, kept with it by the catalog services (`_record_version`):
    # a registration records the guide version of each item it names, and reads it here
    # instead of looking it up.
    current_version = models.ForeignKey(
        "ItemVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="item_code_unique_when_given"
            )
        ]
        indexes = [models.Index(fields=["is_active", "name"])]

    def __str__(self) -> str:
        return self.name

    def tiers(self, kind: str) -> list[str]:
        value = self.assist_tiers if kind == "assist" else self.proxy_tiers
        return [t for t in value.split(";") if t]

    def offered_at(self, level: str) -> bool:
        return level in self.tiers("assist") or level in self.tiers("proxy")


class Material(models.Model):
    """One application material (002 第十三条). No catch-alls like 其他材料."""

    class Form(models.TextChoices):
        ORIGINAL = "original", _("Original")
        COPY = "copy", _("Copy")
        ORIGINAL_AND_COPY = "original_and_copy", _("Original and copy")
        ELECTRONIC = "electronic", _("Electronic")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("material name"), max_length=200)
    form = models.CharField(_("original or copy"), max_length=20, choices=Form.choices, blank=True)
    copies = models.PositiveSmallIntegerField(_("copies"), null=True, blank=True)
    required = models.BooleanField(_("required"), default=True)
    basis = models.TextField(_("legal basis"), blank=True)
    blank_form = models.FileField(_("blank form"), upload_to="catalog/forms/", blank=True)
    sample = models.FileField(_("sample"), upload_to="catalog/samples/", blank=True)
    source_channel = models.CharField(_("source channel"), max_length=200, blank=True)
    collection = models.CharField(_("how it is collected"), max_length=200, blank=True)
    acceptance_standard = models.TextField(_("acceptance standard"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["item", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class ProcessStep(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("step"), max_length=100)
    time_limit_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), null=True, blank=True
    )
    standard = models.TextField(_("review standard"), blank=True)
    result = models.CharField(_("step result"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("process step")
        verbose_name_plural = _("process steps")
        ordering = ["item", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class ItemVersion(models.Model):
    """One line of the item change register: the whole guide as it stood after a change, who
    made the change, when and why. Old versions stay readable."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("guide as saved"))
    diff = models.JSONField(_("changes"), default=list)
    reason = models.TextField(_("reason for the change"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("item version")
        verbose_name_plural = _("item versions")
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="item_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item} v{self.number}"


class Bundle(models.Model):
    """一件事一次办: several items across departments, applied for once under a lead
    department."""

    name = models.CharField(_("bundle name"), max_length=200, unique=True)
    lead_department = models.ForeignKey(
        Unit,
        verbose_name=_("lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_bundles",
        limit_choices_to={"level": Level.DEPARTMENT},
    )
    description = models.TextField(_("description"), blank=True)
    aliases = models.TextField(_("aliases"), blank=True)
    is_active = models.BooleanField(_("in the catalog"), default=True)

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BundleMember(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="members")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # The member as the plan names it; linked to a catalog item where there is one.
    name = models.CharField(_("member item"), max_length=200)
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="bundle_memberships"
    )

    class Meta:
        verbose_name = _("bundle member")
        verbose_name_plural = _("bundle members")
        ordering = ["bundle", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class PointOffer(models.Model):
    """A point's own addition to, or removal from, what its tier offers."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="offers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="point_offers")
    offered = models.BooleanField(_("offered"))
    reason = models.CharField(_("reason"), max_length=200)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("point offer")
        verbose_name_plural = _("point offers")
        constraints = [models.UniqueConstraint(fields=["unit", "item"], name="point_offer_once")]

    def __str__(self) -> str:
        return f"{self.unit} {self.item}"

    @property
    def unit_path(self) -> str:
        return self.unit.path


class CoverageTarget(models.Model):
    """How many items a point of each tier should offer (003: town ≥ 80, village ≥ 50)."""

    level = models.CharField(_("level"), max_length=16, choices=Level.choices, unique=True)
    minimum = models.PositiveSmallIntegerField(_("minimum items"))

    class Meta:
        verbose_name = _("coverage target")
        verbose_name_plural = _("coverage targets")

    def __str__(self) -> str:
        return f"{self.get_level_display()} ≥ {self.minimum}"


class ImportJob(models.Model):
    """One upload of a catalog workbook: checked in full, then applied all or nothing, in the
    background with its progress shown; problems go to a downloadable report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Imported")
        FAILED = "failed", _("Not imported")

    file = models.FileField(_("workbook"), upload_to="catalog/imports/")
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    report = models.FileField(_("problem report"), upload_to="catalog/reports/", blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("catalog import")
        verbose_name_plural = _("catalog imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name
