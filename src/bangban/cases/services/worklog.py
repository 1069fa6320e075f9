"""The agent's own work log notes and notification inbox."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases.models import (
    Case,
    Notification,
    WorkNote,
)
from bangban.cases.services.common import (
    BACK_ENTRY_DAYS,
    CASE_ROLES,
    _require_case_worker,
)
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.events import event_record


@transaction.atomic
def work_note_add(
    *, actor, text: str, day: date | None = None, case: Case | None = None
) -> WorkNote:
    """A line in the agent's own work log for the day."""
    if actor.role not in CASE_ROLES:
        raise PermissionDenied(_("Only service staff keep a work log."))
    text = text.strip()
    if not text:
        raise ValidationFailed(_("Write the note."), field="text")
    day = day or timezone.localdate()
    if day > timezone.localdate() or day < timezone.localdate() - timedelta(days=BACK_ENTRY_DAYS):
        raise ValidationFailed(
            _("Back-entry is limited to the last %(days)d days.") % {"days": BACK_ENTRY_DAYS},
            field="day",
        )
    if case is not None:
        _require_case_worker(actor, case.unit, case.joint_unit)
    note = WorkNote.objects.create(
        author=actor, day=day, text=text, case=case, created_at=timezone.now()
    )
    event_record(
        actor=actor,
        action="worknote.add",
        obj=note,
        unit_path=actor.unit.path if actor.unit_id else "",
        after={"day": day, "case": case.pk if case else None},
    )
    return note


@transaction.atomic
def notifications_read(*, actor) -> int:
    """Marks the actor's unread notifications read. Only the reader's own inbox changes, no
    case, so there is no event."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
