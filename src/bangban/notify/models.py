"""The outbox: every SMS the platform sends, written in the same transaction as the change it
reports and sent after commit by a task, so that a rolled-back change sends nothing and a
gateway that is down loses nothing (the message waits, is retried, and ends as dead-lettered
for staff to re-send)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangban.core.crypto import EncryptedCharField


class Kind(models.TextChoices):
    """What a message says; each kind has its own gateway template (SMS templates are approved
    one by one by the provider)."""

    # To the applicant (002 第二十一条).
    SMS_CODE = "sms_code", _("Verification code")
    ACCEPTED = "accepted", _("Case accepted")
    ONE_TIME_NOTICE = "one_time_notice", _("One-time notice")
    COMPLETED = "completed", _("Case completed")
    DELIVERED = "delivered", _("Result delivered")
    RATE_INVITATION = "rate_invitation", _("Rating invitation")
    RATE_REMINDER = "rate_reminder", _("Rating reminder")
    BOOKING_CONFIRMED = "booking_confirmed", _("Booking confirmed")
    # To agents and managers.
    DISPATCHED = "dispatched", _("Case dispatched to you")
    DUE_TOMORROW = "due_tomorrow", _("Case due tomorrow")
    OVERDUE = "overdue", _("Case overdue")
    SUPERVISED = "supervised", _("Case under supervision")
    RECTIFICATION_DUE = "rectification_due", _("Rectification due")
    NEW_REQUEST = "new_request", _("New online request")


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Failed (dead-lettered)")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    phone = EncryptedCharField(_("mobile phone"))
    phone_masked = models.CharField(_("mobile phone"), max_length=20)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The template's variables; the text is what the console and file backends write and what
    # staff read on the outbox page.
    params = models.JSONField(_("parameters"), default=dict)
    text = models.TextField(_("text"))
    # One message per event: a second enqueue with the same key returns the first message.
    dedupe_key = models.CharField(_("event key"), max_length=200, unique=True)
    # Whose outbox it is (the unit subtree that may see and re-send it), and what it is about.
    unit_path = models.CharField(_("area"), max_length=255, blank=True, db_index=True)
    subject = models.CharField(_("about"), max_length=64, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_id = models.CharField(_("gateway message id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.phone_masked}"
