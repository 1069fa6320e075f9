"""Supervision use cases: asking for a ledger export and running it."""

import logging
import tempfile
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangban.cases.selectors import CaseFilters
from bangban.core.errors import ApplicationError, Conflict, PermissionDenied
from bangban.core.events import event_record
from bangban.org.scoping import scope_path
from bangban.supervision import ledger
from bangban.supervision.models import LedgerExport

logger = logging.getLogger(__name__)


def require_ledger_reader(actor) -> str:
    """Whoever reads cases may export the ledger of their area (supervisors read everything).
    Returns the actor's area."""
    path = scope_path(actor)
    if path is None:
        raise PermissionDenied(_("Only staff who see cases can export the ledger."))
    return path


def ledger_export_request(*, actor, filters: CaseFilters, background: bool = True) -> LedgerExport:
    """Ask for the ledger of the actor's area with the workbench's filters. The export runs in
    the background once the request is committed (so that the worker finds it); with
    `background=False` the caller runs it (the shell command, which shows its own progress).
    One export at a time per person: a large ledger takes a while, and a second click must not
    start it twice."""
    path = require_ledger_reader(actor)
    with transaction.atomic():
        busy = (
            LedgerExport.objects.select_for_update()
            .filter(
                requested_by=actor,
                state__in=[LedgerExport.State.QUEUED, LedgerExport.State.RUNNING],
            )
            .exists()
        )
        if busy:
            raise Conflict(_("Your previous ledger export is still running; wait for it first."))
        export = LedgerExport.objects.create(
            requested_by=actor, scope=path, filters=ledger.filters_to_json(filters)
        )
        event_record(
            actor=actor,
            action="ledger.export",
            obj=export,
            unit_path=path,
            after={"filters": export.filters},
        )
        if background:
            transaction.on_commit(partial(_enqueue, export.pk))
    return export


def _enqueue(export_id: int) -> None:
    from bangban.supervision.tasks import run_ledger_export

    run_ledger_export.enqueue(export_id)


def ledger_export_run(
    *,
    export_id: int,
    progress: Callable[[int, int], None] | None = None,
    redelivered: bool = False,
) -> LedgerExport:
    """Write a queued export's workbook under MEDIA_ROOT/ledger/, keeping its progress on the
    record as it goes. An export that already ran is left as it is (a task may be delivered
    twice). The requester's area is read again now: someone who lost it gets no file.
    `redelivered`: the worker of an earlier attempt died while writing it (core.worker); the
    export it left running is written again, under a new name."""
    startable = [LedgerExport.State.QUEUED]
    if redelivered:
        startable.append(LedgerExport.State.RUNNING)
    claimed = LedgerExport.objects.filter(pk=export_id, state__in=startable).update(
        state=LedgerExport.State.RUNNING, done=0, total=0
    )
    export = LedgerExport.objects.select_related("requested_by", "requested_by__unit").get(
        pk=export_id
    )
    if not claimed:
        return export
    actor = export.requested_by

    def saved(done: int, total: int) -> None:
        # Once per chunk, in autocommit: each update is visible to the page polling it at once.
        LedgerExport.objects.filter(pk=export_id).update(done=done, total=total)
        export.done, export.total = done, total
        if progress is not None:
            progress(done, total)

    with translation.override(settings.LANGUAGE_CODE):
        try:
            if require_ledger_reader(actor) != export.scope:
                raise PermissionDenied(
                    _("Your area changed since the export was requested; ask for it again.")
                )
            filters = ledger.filters_from_json(export.filters)
            # Built in a temporary file, then stored: a half-written workbook is never offered.
            with tempfile.TemporaryFile() as handle:
                ledger.ledger_write(handle, actor=actor, filters=filters, progress=saved)
                handle.seek(0)
                name = f"ledger-{export.pk}-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"
                export.file.save(name, File(handle), save=False)
            export.state = LedgerExport.State.DONE
        except ApplicationError as exc:
            export.state, export.error = LedgerExport.State.FAILED, exc.message[:500]
        except Exception:
            logger.exception("Ledger export %s failed", export.pk)
            export.state = LedgerExport.State.FAILED
            export.error = _("The export stopped on an unexpected error.")
    export.finished_at = timezone.now()
    export.save(update_fields=["state", "error", "file", "finished_at", "done", "total"])
    return export
