"""Units (the three tiers, departments and outlets), users and their roles, the agents'
roster, personnel changes, trainings and meetings."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangban.core.crypto import EncryptedCharField


class Level(models.TextChoices):
    REGION = (
        "region",
        _("Region"),
    )  # a city or province root when one deployment serves several counties
    COUNTY = "county", _("County centre")
    TOWN = "town", _("Town point")
    VILLAGE = "village", _("Village point")
    DEPARTMENT = "department", _("Department")
    OUTLET = "outlet", _("Outlet")


# Which level may sit under which: the tree's shape is checked by the unit services.
CHILD_LEVELS: dict[str, set[str]] = {
    Level.REGION: {Level.REGION, Level.COUNTY},
    Level.COUNTY: {Level.TOWN, Level.DEPARTMENT, Level.OUTLET},
    Level.TOWN: {Level.VILLAGE, Level.OUTLET},
    Level.VILLAGE: set(),
    Level.DEPARTMENT: set(),
    Level.OUTLET: set(),
}

# The "八有" standard of a service point (003 §四(二)), in the document's order.
EIGHT_HAVES = [
    ("has_window", _("Assist and proxy window")),
    ("has_agents", _("Agents on post")),
    ("has_equipment", _("Office equipment")),
    ("has_item_list", _("Item list")),
    ("has_guides", _("Service guides")),
    ("has_responsibility_list", _("Agent responsibility list")),
    ("has_rules", _("Rules and mechanisms")),
    ("has_ledger", _("Work ledger")),
]


class Unit(models.Model):
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes, "/county/town/village/": a subtree is one indexed prefix query.
    path = models.CharField(_("tree path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    lunch_hours = models.CharField(_("lunch-hour service"), max_length=200, blank=True)
    weekend_hours = models.CharField(_("weekend appointment hours"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    has_window = models.BooleanField(_("Assist and proxy window"), default=False)
    has_agents = models.BooleanField(_("Agents on post"), default=False)
    has_equipment = models.BooleanField(_("Office equipment"), default=False)
    has_item_list = models.BooleanField(_("Item list"), default=False)
    has_guides = models.BooleanField(_("Service guides"), default=False)
    has_responsibility_list = models.BooleanField(_("Agent responsibility list"), default=False)
    has_rules = models.BooleanField(_("Rules and mechanisms"), default=False)
    has_ledger = models.BooleanField(_("Work ledger"), default=False)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_path(self) -> str:
        return self.path

    def eight_haves(self) -> list[tuple[str, str, bool]]:
        return [(field, label, getattr(self, field)) for field, label in EIGHT_HAVES]

    def eight_haves_count(self) -> int:
        return sum(1 for field, _label in EIGHT_HAVES if getattr(self, field))


class StaffingMinimum(models.Model):
    """Minimum number of agents per tier (001 §四: county 2, town 1, village 1). Configurable
    because 003 asks 2 per town."""

    level = models.CharField(_("level"), max_length=16, choices=Level.choices, unique=True)
    minimum = models.PositiveSmallIntegerField(_("minimum agents"))

    class Meta:
        verbose_name = _("staffing minimum")
        verbose_name_plural = _("staffing minimums")

    def __str__(self) -> str:
        return f"{self.get_level_display()} ≥ {self.minimum}"


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    AGENT = "agent", _("Agent")
    LIAISON = "liaison", _("Department liaison")
    MANAGER = "manager", _("Point manager")
    CENTRE_ADMIN = "centre_admin", _("Centre administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    SYSADMIN = "sysadmin", _("System administrator")


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.APPLICANT)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # Demo accounts have published passwords; the flag lets an operator find and disable them.
    is_demo = models.BooleanField(_("demo account"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def unit_path(self) -> str:
        return self.unit.path if self.unit_id else ""


class Employment(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    PART_TIME = "part_time", _("Part-time")


class ServiceKind(models.TextChoices):
    ASSIST = "assist", _("Assist")
    PROXY = "proxy", _("Proxy")
    BOTH = "both", _("Assist and proxy")


class Post(models.TextChoices):
    AGENT = "agent", _("Agent")
    LIAISON = "liaison", _("Department liaison")
    GRID_WORKER = "grid_worker", _("Grid worker")
    VOLUNTEER = "volunteer", _("Volunteer")


class Agent(models.Model):
    """One member of the 帮办代办 team, as listed on the roster."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="agents"
    )
    user = models.OneToOneField(
        User,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agent",
    )
    name = models.CharField(_("name"), max_length=64)
    id_number = EncryptedCharField(_("ID number"))
    id_number_index = models.CharField(max_length=64, db_index=True, editable=False)
    phone = EncryptedCharField(_("mobile phone"))
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    # The published number on the roster: usually the point's service phone, not a private one.
    public_phone = models.CharField(_("public phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="agents/", blank=True)
    employment = models.CharField(
        _("employment"), max_length=16, choices=Employment.choices, default=Employment.PART_TIME
    )
    service_kind = models.CharField(
        _("service kind"), max_length=8, choices=ServiceKind.choices, default=ServiceKind.BOTH
    )
    post = models.CharField(_("post"), max_length=16, choices=Post.choices, default=Post.AGENT)
    service_hours = models.CharField(_("service hours"), max_length=200, blank=True)
    on_duty = models.BooleanField(_("on duty"), default=True)
    active_from = models.DateField(_("active from"))
    # Set when a personnel change supersedes this agent: the row stays for the record.
    active_until = models.DateField(_("active until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["unit__path", "name"]
        indexes = [models.Index(fields=["unit", "active_until"])]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_path(self) -> str:
        return self.unit.path


class PersonnelChange(models.Model):
    """One line of the personnel change register (001 annex 4): who replaces whom, from when."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="personnel_changes"
    )
    previous_agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent before the change"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent after the change"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    post = models.CharField(_("post"), max_length=64)
    effective_date = models.DateField(_("date of taking up the post"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("personnel change")
        verbose_name_plural = _("personnel changes")
        ordering = ["-effective_date", "-id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.effective_date}"

    @property
    def unit_path(self) -> str:
        return self.unit.path


class Activity(models.Model):
    """A training session or a coordination meeting; attendance feeds the assessment."""

    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        MEETING = "meeting", _("Meeting")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey(
        Unit, verbose_name=_("organising unit"), on_delete=models.PROTECT, related_name="activities"
    )
    starts_at = models.DateTimeField(_("starts at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("training or meeting")
        verbose_name_plural = _("trainings and meetings")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def unit_path(self) -> str:
        return self.unit.path


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        EXCUSED = "excused", _("Excused")
        ABSENT = "absent", _("Absent")

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="attendances"
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="attendances"
    )
    status = models.CharField(_("attendance"), max_length=16, choices=Status.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["activity", "agent"], name="attendance_once_per_agent")
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.get_status_display()}"
