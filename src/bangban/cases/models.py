"""Cases (办件): the ledger entry from registration on, the items it concerns (each at the
catalog version it was registered under), one-time notices and tolerated deficiencies.

Handovers, department tasks, plans, agreements, delivery, termination and the archive arrive
with the rest of the case issue; the workflow table already declares their rules."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangban.cases.workflow import State
from bangban.catalog.models import Bundle, Item, ItemVersion
from bangban.core.crypto import EncryptedCharField
from bangban.org.models import Agent, Unit


class Kind(models.TextChoices):
    ASSIST = "assist", _("Assist")
    PROXY = "proxy", _("Proxy")


class ProxyScope(models.TextChoices):
    FULL = "full", _("Full proxy")
    STAGE = "stage", _("Stage proxy")


class Channel(models.TextChoices):
    WINDOW = "window", _("Window")
    PHONE = "phone", _("Phone appointment")
    ONLINE = "online", _("Online application")
    HOME_VISIT = "home_visit", _("Home visit")
    OUTLET = "outlet", _("Bank outlet")


class Category(models.TextChoices):
    PROJECT = "project", _("Project construction")
    PERSONAL = "personal", _("High-frequency personal item")
    ENTERPRISE = "enterprise", _("High-frequency enterprise item")
    SPECIAL_GROUP = "special_group", _("Special group")


class ApplicantType(models.TextChoices):
    PERSON = "person", _("Person")
    ENTERPRISE = "enterprise", _("Enterprise or project")


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=64, unique=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="cases"
    )
    agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    state = models.CharField(
        _("state"), max_length=24, choices=State.choices, default=State.REGISTERED
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    proxy_scope = models.CharField(
        _("proxy scope"), max_length=8, choices=ProxyScope.choices, blank=True
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    # Elderly, sick, disabled, pregnant, servicemen, talents: the green channel sorts first.
    special_group = models.BooleanField(_("green channel"), default=False)
    bundle = models.ForeignKey(
        Bundle, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    # The applicant, as on the registration form (000 annex 1 for persons, annex 2 for
    # enterprises and projects). Identifiers are encrypted, with blind indexes for lookup.
    applicant_type = models.CharField(
        _("applicant type"), max_length=16, choices=ApplicantType.choices
    )
    applicant_name = models.CharField(_("applicant"), max_length=100)
    id_number = EncryptedCharField(_("ID number"), blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = EncryptedCharField(_("contact phone"))
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, db_index=True
    )
    legal_representative = models.CharField(_("legal representative"), max_length=64, blank=True)
    project_name = models.CharField(_("project name"), max_length=200, blank=True)
    project_location = models.CharField(_("project location"), max_length=200, blank=True)
    investment = models.DecimalField(
        _("investment (10,000 yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    key_project = models.CharField(_("key project flags"), max_length=200, blank=True)
    applicant_dishonest = models.BooleanField(_("dishonest enterprise"), default=False)
    registered_at = models.DateTimeField(_("registered at"), db_index=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    # Stored so that lists filter and sort on them without recomputing.
    due_date = models.DateField(_("due date"), null=True, blank=True, db_index=True)
    limit_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), null=True, blank=True
    )
    paused_since = models.DateField(_("paused since"), null=True, blank=True)
    paused_working_days = models.PositiveIntegerField(_("working days paused"), default=0)
    agreement_signed_at = models.DateTimeField(_("agreement signed at"), null=True, blank=True)
    # Every write bumps it; a write based on an older reading is refused (two people at once).
    revision = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-special_group", "due_date", "-registered_at"]
        indexes = [
            models.Index(fields=["unit", "state", "due_date"]),
            models.Index(fields=["agent", "state"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def unit_path(self) -> str:
        return self.unit.path

    @property
    def agreement_signed(self) -> bool:
        return self.agreement_signed_at is not None


class CaseItem(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    # The guide as it stood at registration: a later edit of the item never rewrites the case.
    item_version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("case item")
        verbose_name_plural = _("case items")
        constraints = [models.UniqueConstraint(fields=["case", "item"], name="case_item_once")]

    def __str__(self) -> str:
        return str(self.item)


class CaseCounter(models.Model):
    """The last case number given by a unit on a day (locked while numbering)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="case_counter_once")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day} {self.last}"


class Notice(models.Model):
    """一次性告知单: every material missing at the time, how to get it, and by when."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    number = models.PositiveSmallIntegerField(_("notice number"))
    missing = models.JSONField(_("missing materials"))  # [{"name": …, "how": …}]
    deadline = models.DateField(_("supplement by"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("one-time notice")
        verbose_name_plural = _("one-time notices")
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="notice_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.case} #{self.number}"


class Deficiency(models.Model):
    """A material accepted as deficient (容缺受理), due by a date, tracked until received."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deficiencies")
    material = models.CharField(_("material"), max_length=200)
    due_on = models.DateField(_("due on"))
    received_on = models.DateField(_("received on"), null=True, blank=True)

    class Meta:
        verbose_name = _("tolerated deficiency")
        verbose_name_plural = _("tolerated deficiencies")
        ordering = ["case", "due_on", "pk"]

    def __str__(self) -> str:
        return self.material
