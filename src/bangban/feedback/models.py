"""Complaints (举报投诉) and "办不成事" tickets (反映办不成的事).

Both come from the public portal today and from the 12345 hotline later; both are tracked by
the citizen with a random code and answered by staff. The shared fields live in `Ticket`, so the
investigation, routing and rectification records of the next issue attach to either kind alike.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from bangban.core.crypto import EncryptedCharField

# Tracking codes: no 0/O, 1/I/L or similar pairs, so a code read out over the phone or copied
# from paper is typed right. 31 symbols, 10 of them: about 8 × 10^14 codes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


class Channel(models.TextChoices):
    PORTAL = "portal", _("Public portal")
    HOTLINE = "hotline", _("12345 hotline")


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    # Set by the investigation of the next issue; listed now so the states never get renumbered.
    INVESTIGATING = "investigating", _("Being investigated")
    ANSWERED = "answered", _("Answered")


class Category(models.TextChoices):
    ATTITUDE = "attitude", _("Poor service attitude")
    ILLEGAL_FEES = "illegal_fees", _("Illegal fees")
    GIFTS = "gifts", _("Accepting gifts or banquets")
    INTERMEDIARY = "intermediary", _("Steering business to intermediaries")
    DELAY = "delay", _("Delay")
    OTHER = "other", _("Other")


class Ticket(models.Model):
    """What a complaint and a "办不成事" ticket have in common."""

    code = models.CharField(_("tracking code"), max_length=16, unique=True, editable=False)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.PORTAL
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.RECEIVED, db_index=True
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("unit concerned"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The case number as the citizen typed it; `case` is set when it names a real case.
    case_number = models.CharField(_("case number"), max_length=64, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("description"))
    contact_name = EncryptedCharField(_("contact name"))
    contact_phone = EncryptedCharField(_("contact phone"))
    contact_phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        "org.User",
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), db_index=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.code

    @property
    def unit_path(self) -> str:
        return self.unit.path if self.unit_id else ""

    @property
    def is_answered(self) -> bool:
        return self.state == State.ANSWERED


class Complaint(Ticket):
    category = models.CharField(_("complaint category"), max_length=16, choices=Category.choices)
    # The investigation (调查核实): the centre routes the complaint to the unit concerned (which
    # sets `unit`), someone investigates, and the finding is recorded before the answer.
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    routed_by = models.ForeignKey(
        "org.User",
        verbose_name=_("routed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    investigating_by = models.ForeignKey(
        "org.User",
        verbose_name=_("investigated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # None until the investigation is concluded.
    substantiated = models.BooleanField(_("substantiated"), null=True, blank=True)
    finding = models.TextField(_("finding"), blank=True)
    finding_category = models.CharField(
        _("category found"), max_length=16, choices=Category.choices, blank=True
    )
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True, db_index=True)
    concluded_by = models.ForeignKey(
        "org.User",
        verbose_name=_("concluded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta(Ticket.Meta):
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")


class Obstacle(Ticket):
    """A "办不成事" ticket: something the citizen could not get done. Staff reply within one
    working day (002 第四条)."""

    matter = models.CharField(_("what you tried to do"), max_length=200)
    # Empty when the working-day calendar does not yet cover the day after submission.
    due_date = models.DateField(_("reply due"), null=True, blank=True, db_index=True)

    class Meta(Ticket.Meta):
        verbose_name = _("“cannot get it done” ticket")
        verbose_name_plural = _("“cannot get it done” tickets")


# Rectification of bad ratings (差评整改) and callbacks (回访) ----------------------------------


class RectificationState(models.TextChoices):
    OPEN = "open", _("Being rectified")
    # The action is recorded; the callback to the applicant is pending.
    DONE = "done", _("Rectified, awaiting the callback")
    CLOSED = "closed", _("Closed")


def _evidence_upload_to(evidence: "RectificationEvidence", filename: str) -> str:
    return f"rectifications/{evidence.rectification_id}/{filename}"


class Rectification(models.Model):
    """One per 不满意 or 非常不满意 rating (levels 2 and 1), for the unit that handled the case.

    open → done (finding and action recorded) → closed (a callback found the applicant
    satisfied). A callback that finds them still dissatisfied sends it back to open with a new
    due date (`reopened` counts how often)."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="+"
    )
    rating = models.OneToOneField(
        "cases.Rating",
        verbose_name=_("rating"),
        on_delete=models.PROTECT,
        related_name="rectification",
    )
    # The case's unit when it was rated.
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"),
        max_length=8,
        choices=RectificationState.choices,
        default=RectificationState.OPEN,
        db_index=True,
    )
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    # Empty when the working-day calendar did not cover the days to count; see `due_note`.
    due_on = models.DateField(_("due on"), null=True, blank=True)
    due_note = models.CharField(_("note on the due date"), max_length=500, blank=True)
    finding_category = models.CharField(
        _("problem found"), max_length=16, choices=Category.choices, blank=True
    )
    finding = models.TextField(_("finding"), blank=True)
    action_taken = models.TextField(_("action taken"), blank=True)
    # An extension: why it cannot be (or was not) finished in time, and the new date.
    late_reason = models.TextField(_("reason for the delay"), blank=True)
    new_due_on = models.DateField(_("new due date"), null=True, blank=True)
    done_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    done_by = models.ForeignKey(
        "org.User",
        verbose_name=_("rectified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case} ({self.get_state_display()})"

    @property
    def unit_path(self) -> str:
        return self.unit.path

    @property
    def effective_due_on(self):
        """The date that counts now: the extension's if there is one."""
        return self.new_due_on or self.due_on

    def is_overdue(self, today) -> bool:
        due = self.effective_due_on
        return self.state == RectificationState.OPEN and due is not None and due < today

    @property
    def callback(self):
        """The latest callback made for this rectification, or None."""
        return self.callbacks.order_by("-called_at", "-pk").first()


class RectificationEvidence(models.Model):
    """A file proving the action (a photo, a scan): kept as uploaded, checked by its content."""

    rectification = models.ForeignKey(
        Rectification, on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=_evidence_upload_to)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("file type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        "org.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("rectification evidence")
        verbose_name_plural = _("rectification evidence")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class CallbackSample(models.Model):
    """A month's random draw of a unit's finished cases to call back. The seed is kept, so the
    same draw can be made again from the same population (the cases ordered by id)."""

    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))  # its first day
    size = models.PositiveSmallIntegerField(_("sample size asked"))
    seed = models.PositiveBigIntegerField(_("random seed"))
    population = models.PositiveIntegerField(_("finished cases in the month"))
    case_ids = models.JSONField(_("cases drawn"), default=list)
    drawn_at = models.DateTimeField(_("drawn at"))
    drawn_by = models.ForeignKey(
        "org.User", verbose_name=_("drawn by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("callback sample")
        verbose_name_plural = _("callback samples")
        ordering = ["-month", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="callback_sample_once")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.month:%Y-%m}"

    @property
    def unit_path(self) -> str:
        return self.unit.path


class Callback(models.Model):
    """One call to an applicant: drawn in a monthly sample (`sample`), or made to close a
    rectification (`rectification`). Empty `called_at` means not called yet."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    sample = models.ForeignKey(
        CallbackSample,
        verbose_name=_("sample"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    rectification = models.ForeignKey(
        Rectification,
        verbose_name=_("rectification"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="callbacks",
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    called_by = models.ForeignKey(
        "org.User",
        verbose_name=_("called by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reached = models.BooleanField(_("reached the applicant"), null=True, blank=True)
    # 1–5 as in the rating (RatingLevel); empty when not reached.
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.case)

    @property
    def unit_path(self) -> str:
        return self.unit.path
