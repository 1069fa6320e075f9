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
