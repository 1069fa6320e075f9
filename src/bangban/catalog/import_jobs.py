"""Catalog imports as background jobs: an upload becomes an `ImportJob`, a task runs the import
(`excel.catalog_import`) and keeps the job's progress, result and problem report up to date for
the page that shows it."""

import logging
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bangban.catalog import excel
from bangban.catalog.models import ImportJob
from bangban.catalog.services import require_catalog_editor
from bangban.core.errors import ApplicationError, PermissionDenied, ValidationFailed

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Progress is saved when it moved by this many points (or the stage changed): enough for a
# progress bar, without a write per row.
PROGRESS_STEP = 2


def import_job_create(*, actor, upload: UploadedFile) -> ImportJob:
    """Keep an uploaded workbook and queue its import (after the job is committed, so that the
    worker finds it)."""
    if actor is None:
        raise PermissionDenied(_("Only centre administrators can change the catalog."))
    require_catalog_editor(actor)
    name = PurePath((upload.name or "").replace("\\", "/")).name
    if not name.lower().endswith(".xlsx"):
        raise ValidationFailed(_("Choose an Excel workbook (.xlsx)."), field="file")
    if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            _("The file is larger than %(size)s MB.") % {"size": MAX_UPLOAD_BYTES // 2**20},
            field="file",
        )
    with transaction.atomic():
        job = ImportJob(original_name=name[:255], created_by=actor)
        # The stored file gets a plain name of its own; the user's name is kept beside it.
        job.file.save(f"import-{timezone.now():%Y%m%d-%H%M%S}.xlsx", upload, save=False)
        job.save()
        transaction.on_commit(partial(_enqueue, job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from bangban.catalog.tasks import run_import_job

    run_import_job.enqueue(job_id)


class _ProgressWriter:
    """Saves an import's progress on its job, at most every `PROGRESS_STEP` points.

    While the import writes the catalog it holds a transaction open, and a progress row written
    in it would be invisible until the end; so that phase's progress goes through a second
    connection. SQLite has one writer at a time, so there that phase shows no progress."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.saved: tuple[int, str] | None = None
        self.depth = len(connection.atomic_blocks)
        self.side = None
        self.writes = 0

    def __call__(self, percent: int, stage: str) -> None:
        if self.saved is not None:
            last_percent, last_stage = self.saved
            if stage == last_stage and percent - last_percent < PROGRESS_STEP and percent < 100:
                return
        self.saved = (percent, stage)
        fields = {"progress": percent, "stage": stage[:100]}
        if len(connection.atomic_blocks) <= self.depth:
            ImportJob.objects.filter(pk=self.job_id).update(**fields)
            self.writes += 1
        elif connection.vendor != "sqlite":
            self._write_aside(fields)

    def _write_aside(self, fields: dict) -> None:
        try:
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
                if self.side.vendor == "postgresql":
                    with self.side.cursor() as cursor:
                        # Progress must never hold up the import.
                        cursor.execute("SET lock_timeout = '1s'")
            quote = self.side.ops.quote_name
            # Only the model's own table and column names go into the text; values are params.
            sql = (
                f"UPDATE {quote(ImportJob._meta.db_table)} SET {quote('progress')} = %s, "  # noqa: S608
                f"{quote('stage')} = %s WHERE {quote('id')} = %s"
            )
            with self.side.cursor() as cursor:
                cursor.execute(
                    sql,
                    [fields["progress"], fields["stage"], self.job_id],
                )
            self.writes += 1
        except DatabaseError:
            logger.warning("Could not save the progress of import job %s", self.job_id)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def import_job_run(*, job_id: int, redelivered: bool = False) -> ImportJob:
    """Run a queued import job to its end: imported, or not imported with its problem report.
    A job that already ran is left as it is (a task may be delivered twice). `redelivered`: the
    worker of an earlier attempt died while running it; the import is all-or-nothing, so that
    attempt left nothing behind and this one takes the job over from where it was claimed."""
    startable = [ImportJob.Status.QUEUED]
    if redelivered:
        startable.append(ImportJob.Status.RUNNING)
    claimed = ImportJob.objects.filter(pk=job_id, status__in=startable).update(
        status=ImportJob.Status.RUNNING, progress=0, stage=""
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    writer = _ProgressWriter(job.pk)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            with job.file.open("rb") as handle:
                result = excel.catalog_import(
                    actor=job.created_by,
                    path_or_file=handle,
                    name=job.original_name,
                    progress=writer,
                )
        except ApplicationError as exc:
            result = excel.ImportResult(problems=[excel.Problem(message=exc.message)])
        except Exception:
            logger.exception("Catalog import job %s failed", job.pk)
            result = excel.ImportResult(
                problems=[
                    excel.Problem(
                        message=_(
                            "The import stopped on an unexpected error. Nothing was imported."
                        )
                    )
                ]
            )
        finally:
            writer.close()
        job.status = ImportJob.Status.SUCCEEDED if result.ok else ImportJob.Status.FAILED
        job.stage = _("Imported") if result.ok else _("Not imported")
    job.progress = 100
    job.total_rows = result.total_rows
    job.error_count = len(result.problems)
    job.summary = result.summary
    job.finished_at = timezone.now()
    if result.problems:
        job.report.save(
            f"import-{job.pk}-problems.xlsx",
            ContentFile(excel.problems_report(result.problems)),
            save=False,
        )
    job.save()
    return job
