"""Shared-kernel tables: the hash-chained event log and the working-day calendar."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class Event(models.Model):
    """One change, login or disclosure. Rows are only ever added: each carries the hash of the
    one before it, so that an altered or removed row breaks the chain (`bangban verify-events`).
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # The unit the event concerns, as a tree path, so that event lists scope like everything else.
    unit_path = models.CharField(_("unit path"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    # Not unique in the database: the chain already makes every hash depend on all before it,
    # and `seq` is unique (ADR 0007 §12).
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["seq"]
        # Every write of the platform inserts an event while the chain's head is locked, so
        # the table carries only the indexes something reads by: a case's events (archive),
        # the admin's filter by action and its dates, and the unit prefix a scoped list
        # matches (one index serves both prefix and equality). Django's db_index on a text
        # column would add a second, pattern index to each (ADR 0007 §12).
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            models.Index(fields=["action"], name="core_event_action"),
            models.Index(
                fields=["unit_path"],
                name="core_event_unit_path",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("events are append-only")


class EventChainHead(models.Model):
    """A single row holding the last link of the chain. Writers lock it, so that two
    transactions never chain onto the same predecessor; it also reveals a removed last row."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("event chain head")

    def __str__(self) -> str:
        return f"#{self.last_seq}"


class CalendarYear(models.Model):
    """A year whose official holiday schedule is known. Dates in other years are refused,
    never guessed."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=255)
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A date that differs from the Monday-to-Friday rule: a legal holiday (on any day) or an
    adjusted working day (调休, a weekend made a working day)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        ADJUSTED_WORKDAY = "adjusted_workday", _("Adjusted working day")
        WORKDAY = "workday", _("Working day")
        REST_DAY = "rest_day", _("Rest day")

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=255)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
