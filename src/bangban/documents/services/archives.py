"""Archive exports (一事一档): asking for the sealed zip of an archived case, or of every case
of one's area archived in a date range, and making it in the background.

The zips hold the forms with full ID numbers and phones: each request is one `archive.export`
event naming the cases it covers, which is also the log of who took that personal data."""

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangban.cases.models import Case
from bangban.cases.selectors import case_get, cases_visible
from bangban.cases.workflow import State
from bangban.core import faults
from bangban.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from bangban.core.events import event_record
from bangban.core.faults import crash_point
from bangban.documents import archive
from bangban.documents.models import ArchiveExport
from bangban.documents.services.forms import archive_forms_fill
from bangban.org.scoping import scope_path

logger = logging.getLogger(__name__)

# The longest date range of a bulk export, in days (a year, leap day included).
MAX_RANGE_DAYS = 366


def require_archive_reader(actor) -> str:
    """Whoever sees cases may export the archives of those they see. Returns the actor's area
    ("" for everything)."""
    path = scope_path(actor)
    if path is None:
        raise PermissionDenied(_("Only staff who see cases can export case archives."))
    return path


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the installation's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def archived_between(
    *, actor, archived_from: date, archived_to: date, until: datetime | None = None
) -> QuerySet[Case]:
    """The archived cases the actor sees whose archiving day (local time) is in the range,
    both ends included; `until` leaves out what was archived after a request was made."""
    queryset = cases_visible(actor=actor).filter(
        state=State.ARCHIVED,
        archived_at__gte=_start_of(archived_from),
        archived_at__lt=_start_of(archived_to + timedelta(days=1)),
    )
    if until is not None:
        queryset = queryset.filter(archived_at__lte=until)
    return queryset.order_by("archived_at", "pk")


def _check_range(archived_from: date | None, archived_to: date | None) -> tuple[date, date]:
    if archived_from is None or archived_to is None:
        raise ValidationFailed(_("Give the first and the last day of the archiving dates."))
    if archived_from > archived_to:
        raise ValidationFailed(_("The end date is before the start date."), field="archived_to")
    if (archived_to - archived_from).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(
            _("Export at most %(days)d days at a time.") % {"days": MAX_RANGE_DAYS},
            field="archived_to",
        )
    return archived_from, archived_to


def archive_export_request(
    *,
    actor,
    case: Case | None = None,
    archived_from: date | None = None,
    archived_to: date | None = None,
    background: bool = True,
) -> ArchiveExport:
    """Ask for the archive of one archived case (`case`) or of every case the actor sees that
    was archived from `archived_from` to `archived_to` (local dates, inclusive). It runs in the
    background once committed; with `background=False` the caller runs it (the shell command).
    One export at a time per person: a second click must not start it twice."""
    path = require_archive_reader(actor)
    if case is not None:
        if archived_from is not None or archived_to is not None:
            raise ValidationFailed(_("Export either one case or a date range, not both."))
        case = case_get(actor=actor, pk=case.pk)
        if case.state != State.ARCHIVED:
            raise Conflict(
                _("Only an archived case can be exported as an archive; this case is %(state)s.")
                % {"state": case.get_state_display()}
            )
    else:
        archived_from, archived_to = _check_range(archived_from, archived_to)
    with transaction.atomic():
        busy = (
            ArchiveExport.objects.select_for_update()
            .filter(
                requested_by=actor,
                state__in=[ArchiveExport.State.QUEUED, ArchiveExport.State.RUNNING],
            )
            .exists()
        )
        if busy:
            raise Conflict(_("Your previous archive export is still running; wait for it first."))
        export = ArchiveExport.objects.create(
            requested_by=actor,
            scope=path,
            case=case,
            archived_from=archived_from,
            archived_to=archived_to,
        )
        if case is not None:
            numbers = [case.number]
            unit_path, after = case.unit.path, {"case": case.number}
        else:
            numbers = list(
                archived_between(
                    actor=actor,
                    archived_from=archived_from,
                    archived_to=archived_to,
                    until=export.created_at,
                ).values_list("number", flat=True)
            )
            if not numbers:
                raise ValidationFailed(
                    _("No case in your area was archived in that period."), field="archived_from"
                )
            unit_path = path
            after = {
                "archived_from": archived_from.isoformat(),
                "archived_to": archived_to.isoformat(),
                "cases": numbers,
            }
        ArchiveExport.objects.filter(pk=export.pk).update(total=len(numbers))
        export.total = len(numbers)
        event_record(
            actor=actor, action="archive.export", obj=export, unit_path=unit_path, after=after
        )
        if background:
            transaction.on_commit(partial(_enqueue, export.pk))
    return export


def _enqueue(export_id: int) -> None:
    from bangban.documents.tasks import run_archive_export

    run_archive_export.enqueue(export_id)


def _file_sha256(handle) -> str:
    handle.seek(0)
    digest = hashlib.sha256()
    while chunk := handle.read(archive.CHUNK):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def _cases_of(export: ArchiveExport, actor) -> list[int]:
    """The cases to export, read again now: the requester must still see them."""
    if require_archive_reader(actor) != export.scope:
        raise PermissionDenied(
            _("Your area changed since the export was requested; ask for it again.")
        )
    if export.case_id is not None:
        visible = cases_visible(actor=actor).filter(pk=export.case_id, state=State.ARCHIVED)
        if not visible.exists():
            raise NotFound(_("There is no such case, or it is outside your area."))
        return [export.case_id]
    return list(
        archived_between(
            actor=actor,
            archived_from=export.archived_from,
            archived_to=export.archived_to,
            until=export.created_at,
        ).values_list("pk", flat=True)
    )


def _filled(actor, pk: int) -> Case:
    """The case with every form its steps call for stored (a form nobody printed is made from
    the locked case now), so that the archive is complete whoever printed what."""
    case = Case.objects.get(pk=pk)
    archive_forms_fill(actor=actor, case=case)
    return Case.objects.get(pk=pk)


def _partial_prefix(export_id: int) -> str:
    return f".export-{export_id}-"


def _store(export: ArchiveExport, name: str, handle) -> str:
    """Store the finished zip under its final name all at once, and return that name. On the
    file system it is copied to a hidden temporary file beside it, synced, then renamed: a
    process killed while copying leaves the temporary file (removed when the export is made
    again), never a truncated zip under an export's name. Other storages store an object in
    one request."""
    storage = export.file.storage
    target = storage.get_available_name(export.file.field.generate_filename(export, name))
    try:
        final = Path(storage.path(target))
    except NotImplementedError:
        return storage.save(target, File(handle))
    final.parent.mkdir(parents=True, exist_ok=True)
    handle.seek(0)
    with tempfile.NamedTemporaryFile(
        dir=final.parent, prefix=_partial_prefix(export.pk), suffix=".partial", delete=False
    ) as partial:
        try:
            first = True
            while chunk := handle.read(archive.CHUNK):
                partial.write(chunk)
                if first:
                    # Part of the zip is on disk under the temporary name.
                    partial.flush()
                    crash_point(faults.ARCHIVE_WRITE)
                    first = False
            partial.flush()
            os.fsync(partial.fileno())
        except BaseException:
            Path(partial.name).unlink(missing_ok=True)
            raise
    os.replace(partial.name, final)
    return target


def _remove_partials(export: ArchiveExport) -> None:
    """What a killed attempt at the export left: its temporary file."""
    try:
        folder = Path(export.file.storage.path(export.file.field.upload_to))
    except NotImplementedError:
        return
    for left in folder.glob(f"{_partial_prefix(export.pk)}*.partial"):
        left.unlink(missing_ok=True)


def archive_export_run(
    *,
    export_id: int,
    progress: Callable[[int, int], None] | None = None,
    redelivered: bool = False,
) -> ArchiveExport:
    """Make a queued export's zip under MEDIA_ROOT/archives/, keeping its progress (cases done
    of total) on the record. An export that already ran is left as it is (a task may be
    delivered twice). The zip is made in a temporary file and stored only when complete; a
    failure leaves the record FAILED with the reason and no file. `redelivered`: the worker of
    an earlier attempt died while making it; that attempt's temporary file goes and the export
    is made again."""
    startable = [ArchiveExport.State.QUEUED]
    if redelivered:
        startable.append(ArchiveExport.State.RUNNING)
    claimed = ArchiveExport.objects.filter(pk=export_id, state__in=startable).update(
        state=ArchiveExport.State.RUNNING, done=0
    )
    export = ArchiveExport.objects.select_related("requested_by", "requested_by__unit", "case").get(
        pk=export_id
    )
    if not claimed:
        return export
    if redelivered:
        _remove_partials(export)
    actor = export.requested_by

    def saved(done: int, total: int) -> None:
        # In autocommit: each update is visible to the page polling it at once.
        ArchiveExport.objects.filter(pk=export_id).update(done=done, total=total)
        export.done, export.total = done, total
        if progress is not None:
            progress(done, total)

    candidate = ""
    with translation.override(settings.LANGUAGE_CODE):
        try:
            pks = _cases_of(export, actor)
            total = len(pks)
            saved(0, total)
            exported_at = timezone.now()
            stamp = f"{timezone.localtime(exported_at):%Y%m%d-%H%M%S}"
            with tempfile.TemporaryFile() as handle:
                if export.case_id is not None:
                    archive.write_case_archive(
                        handle,
                        _filled(actor, pks[0]),
                        exported_by=actor.get_username(),
                        exported_at=exported_at,
                    )
                    saved(1, 1)
                    name = f"{archive.safe_name(export.case.number)}-{export.pk}-{stamp}.zip"
                else:
                    archive.write_bundle(
                        handle,
                        (_filled(actor, pk) for pk in pks),
                        exported_by=actor.get_username(),
                        exported_at=exported_at,
                        archived_from=export.archived_from,
                        archived_to=export.archived_to,
                        progress=lambda done: saved(done, total),
                    )
                    name = (
                        f"archives-{export.archived_from:%Y%m%d}-{export.archived_to:%Y%m%d}"
                        f"-{export.pk}-{stamp}.zip"
                    )
                export.sha256 = _file_sha256(handle)
                candidate = _store(export, name, handle)
                export.file.name = candidate
            export.state = ArchiveExport.State.DONE
        except ApplicationError as exc:
            export.state, export.error = ArchiveExport.State.FAILED, exc.message[:500]
        except Exception:
            logger.exception("Archive export %s failed", export.pk)
            export.state = ArchiveExport.State.FAILED
            export.error = _("The export stopped on an unexpected error.")
        if export.state == ArchiveExport.State.FAILED:
            # Never a half file: whatever the storage kept of an interrupted save goes (the
            # name holds the export's number and time, so it is no one else's file).
            if candidate and export.file.storage.exists(candidate):
                export.file.storage.delete(candidate)
            export.file.name, export.sha256 = "", ""
    export.finished_at = timezone.now()
    export.save(update_fields=["state", "error", "file", "sha256", "finished_at", "done", "total"])
    return export


def archive_exports_mine(*, actor) -> QuerySet[ArchiveExport]:
    """The actor's own exports, newest first: an export is only ever its requester's."""
    if not getattr(actor, "is_authenticated", False):
        return ArchiveExport.objects.none()
    return (
        ArchiveExport.objects.filter(requested_by=actor)
        .select_related("case")
        .order_by("-created_at", "-pk")
    )


def archive_export_get(*, actor, pk: int) -> ArchiveExport:
    try:
        return archive_exports_mine(actor=actor).get(pk=pk)
    except ArchiveExport.DoesNotExist as exc:
        raise NotFound(_("There is no such archive export, or it is not yours.")) from exc


def archive_export_file(*, actor, pk: int) -> ArchiveExport:
    """A finished export the actor may still take: theirs, of cases they still see (a single
    case still visible to them; a range made for an area they still see in full)."""
    export = archive_export_get(actor=actor, pk=pk)
    path = scope_path(actor)
    if path is None:
        raise PermissionDenied(_("This export covers cases outside your area now."))
    if export.case_id is not None:
        if not cases_visible(actor=actor).filter(pk=export.case_id).exists():
            raise PermissionDenied(_("This export covers cases outside your area now."))
    elif not export.scope.startswith(path):
        raise PermissionDenied(_("This export covers cases outside your area now."))
    if export.state != ArchiveExport.State.DONE or not export.file:
        raise NotFound(_("The archive export has no file yet."))
    return export
