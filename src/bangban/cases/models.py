"""Cases (办件): the ledger entry from registration to archive and everything recorded on it —
the items (each at the catalog version it was registered under), one-time notices, tolerated
deficiencies, the delegation agreement, material handovers, department tasks, plans, remote
consultation, completion, delivery, termination, the rating — and the timeline that lists it all.

The Case model provides the facts the workflow guards read (`workflow.CaseFacts`)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from bangban.cases.workflow import OPEN, OPEN_STATES, State
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
    # Unique by a constraint in Meta (not `unique=True`, which on PostgreSQL also builds a
    # pattern index for LIKE that nothing reads; every registration writes each index).
    number = models.CharField(_("case number"), max_length=64)
    # Read by the (unit, state, due date) and (agent, state) indexes below, which lead with
    # them: a foreign key's own index would be one more write per registration.
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        db_index=False,
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
    # Blind indexes are matched whole: indexed in Meta, without the LIKE index `db_index`
    # adds on PostgreSQL.
    id_number_index = models.CharField(max_length=64, blank=True, editable=False)
    phone = EncryptedCharField(_("contact phone"))
    phone_index = models.CharField(max_length=64, editable=False)
    # The masked forms lists show (core.masking), written with the identifiers so that a list
    # decrypts nothing (~20 µs a value, twice a row). They hold no more than every answer
    # shows; a change of the masking rule needs a migration that refills them.
    id_number_masked = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(max_length=64, blank=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
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
    # The town point whose area holds the case (cases.area): kept by the services with the
    # unit, so that a town's queues read one index range (case_town_queue).
    town = models.ForeignKey(
        Unit,
        verbose_name=_("town point"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Escalated for joint handling: the lower tier that asked keeps sight of the case.
    joint_unit = models.ForeignKey(
        Unit,
        verbose_name=_("handled jointly with"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="joint_cases",
    )
    supervised_at = models.DateTimeField(_("supervised since"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # 退件: terminated because the materials were false or concealed.
    returned = models.BooleanField(_("returned (退件)"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, db_index=True)
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
        constraints = [models.UniqueConstraint(fields=["number"], name="case_number_unique")]
        indexes = [
            models.Index(fields=["unit", "state", "due_date"]),
            models.Index(fields=["agent", "state"]),
            models.Index(fields=["id_number_index"], name="case_id_number_index"),
            models.Index(fields=["phone_index"], name="case_phone_index"),
            models.Index(fields=["credit_code"], name="case_credit_code"),
            # The workbench queues of open cases, in their order: a queue's first page is read
            # off this index instead of sorting every open case of the area.
            models.Index(
                fields=["-special_group", "due_date", "-registered_at", "id"],
                condition=models.Q(state__in=sorted(OPEN)),
                name="case_open_queue",
            ),
            # A town's open cases in the same order (its workbench and the API's ledger).
            models.Index(
                fields=["town", "-special_group", "due_date", "-registered_at", "id"],
                condition=models.Q(state__in=sorted(OPEN)),
                name="case_town_queue",
            ),
            # The overdue board: open cases by due date, longest overdue first.
            models.Index(
                fields=["due_date", "unit", "id"],
                condition=models.Q(state__in=sorted(OPEN)),
                name="case_open_due",
            ),
            # The annual assessment's evidence (001 annex 3, 服务效能): proxy cases without a
            # signed agreement, and cases completed after their due date — few among many.
            models.Index(
                fields=["unit", "accepted_on"],
                condition=models.Q(kind="proxy", agreement_signed_at__isnull=True),
                name="case_proxy_unsigned",
            ),
            models.Index(
                fields=["unit", "due_date"],
                condition=models.Q(completed_on__gt=models.F("due_date")),
                name="case_finished_late",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def unit_path(self) -> str:
        return self.unit.path

    @property
    def agreement_signed(self) -> bool:
        return self.agreement_signed_at is not None

    # The facts the workflow guards read; each is a query, so they are used on one case at a
    # time (the case page and the services), never in lists.
    @property
    def materials_held(self) -> int:
        from bangban.cases.custody import held_by_service

        return sum(held_by_service(self).values())

    @property
    def open_tasks(self) -> int:
        return self.tasks.filter(decision="").count()

    @property
    def rated(self) -> bool:
        return Rating.objects.filter(case=self).exists()

    @property
    def archive_missing(self) -> tuple[str, ...]:
        from bangban.cases.archive import missing

        return missing(self)


class OpenState(models.Lookup):
    """`state__open=True`: the case is open, with the open states written into the SQL as
    constants rather than bound as parameters. SQLite decides at prepare time whether a
    partial index serves a query, and an IN list of parameters matches no index condition:
    the open-case indexes (case_open_queue, case_town_queue, case_open_due) were then never
    read on SQLite, and a town's queue counted 4,680 open cases by scanning all 100,000
    (27 ms instead of 0.3). PostgreSQL reads the same indexes either way."""

    lookup_name = "open"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if self.rhs is not True:
            raise ValueError("state__open takes True; filter open cases with it, or exclude them")
        lhs, params = self.process_lhs(compiler, connection)
        # The states are this module's constants (lower-case words), never user input.
        states = ", ".join(f"'{state}'" for state in OPEN_STATES)
        return f"{lhs} IN ({states})", params


Case._meta.get_field("state").register_lookup(OpenState)


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


class Party(models.TextChoices):
    """Who holds a material (申报材料移交清单): the applicant, the agent, a department, or
    nobody any more because it was lost (which opens an incident)."""

    APPLICANT = "applicant", _("Applicant")
    AGENT = "agent", _("Agent")
    DEPARTMENT = "department", _("Department")
    LOST = "lost", _("Lost")


class CaseLog(models.Model):
    """One line of the case timeline: what was done, when it happened and when it was
    recorded. A back-entry (补录) happened earlier than it was recorded and says why."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="log")
    action = models.CharField(_("action"), max_length=32)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_log"
    )
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    back_entry_reason = models.CharField(_("back-entry reason"), max_length=200, blank=True)
    event = models.ForeignKey(
        "core.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["case", "occurred_at", "pk"]
        indexes = [models.Index(fields=["actor", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"

    @property
    def back_entry(self) -> bool:
        return bool(self.back_entry_reason)


class WorkNote(models.Model):
    """An agent's own note for the day's work log (visits, calls, anything not a case action)."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="work_notes"
    )
    day = models.DateField(_("day"))
    text = models.TextField(_("note"))
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("work note")
        verbose_name_plural = _("work notes")
        ordering = ["author", "day", "created_at"]
        indexes = [models.Index(fields=["author", "day"])]

    def __str__(self) -> str:
        return f"{self.author_id} {self.day}"


class Consultation(models.Model):
    """咨询: every consultation is logged — who asked, about what, the answer — and may
    become a case."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="consultations")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    asker = models.CharField(_("asked by"), max_length=100)
    phone = EncryptedCharField(_("contact phone"), blank=True)
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField(_("topic"), max_length=200)
    answer = models.TextField(_("answer"))
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="consultation"
    )

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return self.topic

    @property
    def unit_path(self) -> str:
        return self.unit.path


class Agreement(models.Model):
    """代办服务委托书 (001 annex 6): both parties, the items, the scope and the contacts, signed
    before any proxy work. The terms are kept as signed."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="agreement")
    applicant_signatory = models.CharField(_("signed for the applicant by"), max_length=100)
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    agent_phone = models.CharField(_("agent's contact phone"), max_length=32)
    scope = models.CharField(_("proxy scope"), max_length=8, choices=ProxyScope.choices)
    terms = models.TextField(_("agreed duties and terms"), blank=True)
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("delegation agreement")
        verbose_name_plural = _("delegation agreements")

    def __str__(self) -> str:
        return str(self.case)


class Handover(models.Model):
    """One transfer of paper between two parties (申报材料移交清单), signed by both."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="handovers")
    giver = models.CharField(_("from"), max_length=12, choices=Party.choices)
    receiver = models.CharField(_("to"), max_length=12, choices=Party.choices)
    department = models.ForeignKey(
        Unit,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    giver_signatory = models.CharField(_("handed over by"), max_length=100)
    receiver_signatory = models.CharField(_("received by"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("handed over at"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["case", "occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.giver}→{self.receiver}"


class HandoverLine(models.Model):
    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, related_name="lines")
    material = models.CharField(_("material"), max_length=200)
    copies = models.PositiveSmallIntegerField(_("copies"))
    original = models.BooleanField(_("original"), default=False)

    class Meta:
        verbose_name = _("handover line")
        verbose_name_plural = _("handover lines")
        ordering = ["handover", "pk"]

    def __str__(self) -> str:
        return f"{self.material} ×{self.copies}"


class Incident(models.Model):
    """A material reported lost: opened by the handover that records the loss."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="incidents")
    handover = models.OneToOneField(Handover, on_delete=models.PROTECT, related_name="incident")
    description = models.TextField(_("what happened"))
    opened_at = models.DateTimeField(_("opened at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("lost-material incident")
        verbose_name_plural = _("lost-material incidents")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.opened_at:%Y-%m-%d}"


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    NOT_APPROVED = "not_approved", _("Not approved")


class Task(models.Model):
    """One item at one department: the agent submits, the department's liaison decides. In a
    bundle the tasks run in parallel and the lead department's task is marked."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tasks")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="tasks")
    lead = models.BooleanField(_("lead department"), default=False)
    limit_days = models.PositiveSmallIntegerField(null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True, db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    urged = models.PositiveSmallIntegerField(_("times urged"), default=0)
    last_urged_at = models.DateTimeField(_("last urged at"), null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, blank=True, db_index=True
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    result = models.CharField(_("result documents"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("department task")
        verbose_name_plural = _("department tasks")
        ordering = ["case", "-lead", "pk"]
        indexes = [models.Index(fields=["department", "decision", "due_date"])]
        constraints = [
            models.UniqueConstraint(fields=["case", "item", "department"], name="task_once")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.item_id}"

    @property
    def unit_path(self) -> str:
        return self.case.unit.path


class Plan(models.Model):
    """A plan with milestones for a complex project, agreed with the applicant (001 §六(二)3).
    A new agreement supersedes the previous plan, which stays on record."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plans")
    agreed_with = models.CharField(_("agreed with"), max_length=100)
    agreed_on = models.DateField(_("agreed on"))
    superseded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["case", "-agreed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.agreed_on}"


class Milestone(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["plan", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    """A coordination meeting (现场办公会, 部门碰头会, 联合辅导, 并联审批)."""

    class Kind(models.TextChoices):
        ON_SITE = "on_site", _("On-site office meeting")
        DEPARTMENTS = "departments", _("Departments' meeting")
        JOINT_GUIDANCE = "joint_guidance", _("Joint guidance")
        PARALLEL_APPROVAL = "parallel_approval", _("Parallel approval")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    held_at = models.DateTimeField(_("held at"))
    attendees = models.TextField(_("attendees"))
    issues = models.TextField(_("issues"))
    decisions = models.TextField(_("decisions"))
    cases = models.ManyToManyField(Case, related_name="meetings", verbose_name=_("cases"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        ordering = ["-held_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_at:%Y-%m-%d}"

    @property
    def unit_path(self) -> str:
        return self.unit.path


class Message(models.Model):
    """Remote consultation (远程协办): a thread on the case between tiers."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("message"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("consultation message")
        verbose_name_plural = _("consultation messages")
        ordering = ["case", "sent_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.sent_at:%Y-%m-%d %H:%M}"


class Completion(models.Model):
    """办结: the results, and the completion notice (000 annex 7) the applicant signs."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="completion")
    results = models.TextField(_("results"))
    completed_at = models.DateTimeField(_("completed at"))
    signed_by = models.CharField(_("notice signed by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("completion notice")
        verbose_name_plural = _("completion notices")

    def __str__(self) -> str:
        return str(self.case)


class DeliveryMethod(models.TextChoices):
    WINDOW = "window", _("Pickup at the window")
    POST = "post", _("Free postal delivery")
    DOOR = "door", _("Delivery to the door")
    ELECTRONIC = "electronic", _("Electronic")


class Delivery(models.Model):
    """送达 (002 第二十二条), confirmed by the receiver."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="delivery")
    method = models.CharField(_("delivery method"), max_length=12, choices=DeliveryMethod.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    receiver = models.CharField(_("received by"), max_length=100)
    delivered_at = models.DateTimeField(_("delivered at"))

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return str(self.case)


class RequestedBy(models.TextChoices):
    APPLICANT = "applicant", _("The applicant")
    SERVICE = "service", _("The service")


class Ground(models.TextChoices):
    """Termination grounds: 001 §六(二)4 and annex 6, plus force majeure."""

    APPLICANT_REQUEST = "applicant_request", _("The applicant asked to terminate")
    DISHONEST = "dishonest", _("The applicant is a dishonest enterprise")
    UNLAWFUL = "unlawful", _("Against the law, or the conditions are no longer met")
    FALSE_MATERIALS = "false_materials", _("False or concealed materials")
    OBLIGATIONS = "obligations", _("The applicant did not meet their obligations")
    STAGNATION = "stagnation", _("Stalled for a long time for the applicant's own reasons")
    FORCE_MAJEURE = "force_majeure", _("Force majeure")


class Termination(models.Model):
    """终止 (000 annexes 5 and 6, one form for each side)."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="termination")
    requested_by = models.CharField(_("asked by"), max_length=12, choices=RequestedBy.choices)
    ground = models.CharField(_("ground"), max_length=20, choices=Ground.choices)
    explanation = models.TextField(_("explanation"))
    terminated_at = models.DateTimeField(_("terminated at"))

    class Meta:
        verbose_name = _("termination")
        verbose_name_plural = _("terminations")

    def __str__(self) -> str:
        return str(self.case)


class RatingLevel(models.IntegerChoices):
    """The five levels of 好差评 (000 annex 9)."""

    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    FAIRLY_SATISFIED = 3, _("Fairly satisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")


class RatingSource(models.TextChoices):
    WINDOW = "window", _("At the window")
    QR = "qr", _("QR code")
    LINK = "link", _("Link")
    SMS = "sms", _("SMS")


class Rating(models.Model):
    """一事一评: one rating per case, or the applicant's recorded refusal to rate."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="rating")
    level = models.PositiveSmallIntegerField(
        _("rating"), choices=RatingLevel.choices, null=True, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    declined = models.BooleanField(_("the applicant declined to rate"), default=False)
    source = models.CharField(_("rated via"), max_length=8, choices=RatingSource.choices)
    rated_at = models.DateTimeField(_("rated at"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        indexes = [models.Index(fields=["level"])]

    def __str__(self) -> str:
        return str(self.case)


class Notification(models.Model):
    """An in-app notice to a user (dispatch, supervision, overdue). SMS to applicants is a
    later issue's gateway."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text


# The public portal (掌上申请, 预约) ---------------------------------------------------------


class CasePhoto(models.Model):
    """A photo of a material the applicant uploaded with an online application: checked by its
    content (JPG or PNG, opened by Pillow), kept as uploaded, seen only by staff."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(_("file"), upload_to="case-photos/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("material photo")
        verbose_name_plural = _("material photos")
        ordering = ["case", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Booking(models.Model):
    """预约: a time slot at a service point for an item, booked on the portal with a verified
    phone. The point's staff see the day's bookings; the applicant keeps the booking code."""

    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        SERVED = "served", _("Served")

    unit = models.ForeignKey(
        Unit, verbose_name=_("service point"), on_delete=models.PROTECT, related_name="bookings"
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField(_("from"), db_index=True)
    end = models.DateTimeField(_("until"))
    applicant_name = models.CharField(_("applicant"), max_length=100)
    phone = EncryptedCharField(_("contact phone"))
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    special_group = models.BooleanField(_("green channel"), default=False)
    home_visit = models.BooleanField(_("home visit requested"), default=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.BOOKED)
    created_at = models.DateTimeField(_("booked at"))

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["unit", "start"])]

    def __str__(self) -> str:
        return self.code

    @property
    def unit_path(self) -> str:
        return self.unit.path


class PhoneCode(models.Model):
    """An SMS verification code sent to a phone on the portal: only its keyed hash is kept; it
    expires after a few minutes and after a few wrong tries."""

    phone_index = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.phone_index[:8]} {self.created_at:%Y-%m-%d %H:%M}"


class CaseTally(models.Model):
    """Monthly counts of cases, kept by the case services (cases.tally) so that the
    dashboards add up a few thousand rows instead of a year of cases on every view.

    A row counts the cases of one unit in one month: registered (`opened`) in that month,
    completed (`finished`) in it, on time or late, with the working days they took, and rated
    in it. Rows with
    no item count each case once, by its agent; rows with an item count it once per item, with
    no agent. Counts follow the case: a transfer or a new agent moves them. One row per key
    (`case_tally_once`, no agent or no item counting as 0), which the services add to with one
    upsert. Derived data: `bangban tally --rebuild` recomputes it from the cases."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, null=True, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, null=True, related_name="+")
    month = models.DateField(_("month"), help_text="The first day of the month.")
    opened = models.IntegerField(default=0)
    finished = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    days_total = models.IntegerField(default=0)
    days_counted = models.IntegerField(default=0)
    # Finished cases whose working days could not be counted: a year without a calendar.
    days_uncounted = models.IntegerField(default=0)
    # Ratings given in the month (a declined rating is not one), and those at 基本满意 or above.
    rated = models.IntegerField(default=0)
    good = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("case tally")
        verbose_name_plural = _("case tallies")
        # A dashboard reads either the case rows or the item rows of a period.
        indexes = [
            models.Index(
                fields=["month", "unit"],
                condition=models.Q(item__isnull=True),
                name="case_tally_own",
            ),
            models.Index(
                fields=["month", "unit"],
                condition=models.Q(item__isnull=False),
                name="case_tally_items",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                F("unit"),
                Coalesce(F("agent"), Value(0), output_field=models.IntegerField()),
                Coalesce(F("item"), Value(0), output_field=models.IntegerField()),
                F("month"),
                name="case_tally_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"
