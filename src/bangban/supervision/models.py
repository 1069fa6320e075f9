"""Supervision records: ledger (台账) exports, made in the background and kept for download by
the person who asked for them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerExport(models.Model):
    """One export of the case ledger to Excel, with the filters it was asked with and its
    progress, so that a page can show how far it got and offer the file when it is done."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The requester's area when they asked: the file holds cases of this unit subtree ("" for
    # everything), and is not handed out once the requester no longer sees all of it.
    scope = models.CharField(_("area"), max_length=255, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.QUEUED, db_index=True
    )
    total = models.PositiveIntegerField(_("cases to export"), default=0)
    done = models.PositiveIntegerField(_("cases exported"), default=0)
    file = models.FileField(_("workbook"), upload_to="ledger/", blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "state"])]

    def __str__(self) -> str:
        return f"{self.pk} {self.state}"

    @property
    def running(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0
