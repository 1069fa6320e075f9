"""Import jobs: an upload is kept, queued after commit, run by the task, and leaves its result,
summary and problem report on the job."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from bangban.catalog import excel, import_jobs
from bangban.catalog.import_jobs import import_job_create, import_job_run
from bangban.catalog.models import ImportJob, Item, ItemVersion
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs(jobs_inline):
    """Every test here runs its import jobs inline (see tests/catalog/conftest.py)."""


@pytest.fixture
def workbook(demo_catalog, tmp_path) -> bytes:
    path = tmp_path / "export.xlsx"
    excel.catalog_export(path)
    return path.read_bytes()


def upload(content: bytes, name: str = "事项清单.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=excel.XLSX_CONTENT_TYPE)


def test_a_job_runs_after_commit_and_keeps_its_summary(
    workbook, catalog_admin, django_capture_on_commit_callbacks
):
    versions, events = ItemVersion.objects.count(), Event.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_job_create(actor=catalog_admin, upload=upload(workbook))
    # Nothing runs before the upload is committed.
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    assert job.original_name == "事项清单.xlsx"
    assert job.file.name.startswith("catalog/imports/import-")
    assert len(callbacks) == 1
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.progress == 100
    assert job.stage == excel._("Imported")
    assert job.total_rows == 156 + 136 + 8
    assert job.summary == {"created": 0, "updated": 0, "unchanged": 156, "bundles": 0}
    assert job.error_count == 0 and not job.report
    assert job.finished_at is not None
    assert (ItemVersion.objects.count(), Event.objects.count()) == (versions, events)


def test_a_bad_workbook_leaves_a_report(
    workbook, catalog_admin, django_capture_on_commit_callbacks, tmp_path
):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook)
    book = load_workbook(path)
    book["事项"]["H3"] = "二十"  # 承诺办理时限（工作日）
    book["事项"]["H4"] = "三十"
    book.save(path)
    items = Item.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(actor=catalog_admin, upload=upload(path.read_bytes(), "bad.xlsx"))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.stage == excel._("Not imported")
    assert job.progress == 100
    assert job.error_count == 2
    assert job.summary == {"created": 0, "updated": 0, "unchanged": 0, "bundles": 0}
    with job.report.open("rb") as handle:
        problems = excel.problems_read(handle)
    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("事项", 3, "承诺办理时限（工作日）"),
        ("事项", 4, "承诺办理时限（工作日）"),
    ]
    assert Item.objects.count() == items


def test_a_job_runs_once(workbook, catalog_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(actor=catalog_admin, upload=upload(workbook))
    finished = ImportJob.objects.get(pk=job.pk).finished_at
    again = import_job_run(job_id=job.pk)
    assert again.finished_at == finished


def test_the_database_queue_gets_the_job(
    workbook, catalog_admin, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(actor=catalog_admin, upload=upload(workbook))
    task = DBTaskResult.objects.get()
    assert task.task_path == "bangban.catalog.tasks.run_import_job"
    assert task.args_kwargs["args"] == [job.pk]
    # The worker's side: the task runs the job.
    task.task.call(*task.args_kwargs["args"])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED


def test_an_unexpected_error_fails_the_job_cleanly(
    workbook, catalog_admin, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(excel, "catalog_import", broken)
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(actor=catalog_admin, upload=upload(workbook))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error_count == 1
    with job.report.open("rb") as handle:
        (problem,) = excel.problems_read(handle)
    assert problem.message == excel._(
        "The import stopped on an unexpected error. Nothing was imported."
    )


def test_the_uploader_must_still_be_an_editor(
    workbook, catalog_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_job_create(actor=catalog_admin, upload=upload(workbook))
    catalog_admin.role = "agent"
    catalog_admin.save()
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error_count == 1


@pytest.mark.parametrize("role", ["agent", "manager", "supervisor", "liaison"])
def test_only_catalog_editors_upload(county_with_departments, role):
    user = UserFactory(role=role, unit=county_with_departments["county"])
    with pytest.raises(PermissionDenied):
        import_job_create(actor=user, upload=upload(b"x"))
    assert not ImportJob.objects.exists()


def test_only_xlsx_files_under_20_mb(catalog_admin, monkeypatch):
    with pytest.raises(ValidationFailed) as exc:
        import_job_create(actor=catalog_admin, upload=upload(b"a,b\n", "catalog.csv"))
    assert exc.value.field == "file"
    with pytest.raises(ValidationFailed):
        import_job_create(actor=catalog_admin, upload=upload(b"PK", "catalog.xls"))
    assert import_jobs.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    monkeypatch.setattr(import_jobs, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(ValidationFailed) as exc:
        import_job_create(actor=catalog_admin, upload=upload(b"x" * 11))
    assert exc.value.message == excel._("The file is larger than %(size)s MB.") % {"size": 0}
    assert not ImportJob.objects.exists()


def test_progress_is_saved_every_few_points(catalog_admin):
    job = ImportJob.objects.create(
        file="catalog/imports/x.xlsx", original_name="x.xlsx", created_by=catalog_admin
    )
    writer = import_jobs._ProgressWriter(job.pk)
    seen = []
    for percent in range(0, 101):
        writer(percent, "检查中")
        seen.append(ImportJob.objects.get(pk=job.pk).progress)
    assert writer.writes == 51
    assert seen == sorted(seen) and seen[-1] == 100
    assert all(percent - saved < 2 for percent, saved in enumerate(seen))
    writer(100, "导入中")  # a new stage is always saved
    assert ImportJob.objects.get(pk=job.pk).stage == "导入中"
    writer.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_progress_while_the_catalog_is_written_shows_outside_the_transaction(catalog_admin):
    """The import writes the catalog in one transaction; its progress must be seen before the
    end. PostgreSQL gets it through a second connection; SQLite, one writer at a time, not."""
    from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

    job = ImportJob.objects.create(
        file="catalog/imports/x.xlsx", original_name="x.xlsx", created_by=catalog_admin
    )
    writer = import_jobs._ProgressWriter(job.pk)
    writer(50, "导入中")
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with transaction.atomic():
            Item.objects.create(name="写入中的事项", target="person")
            writer(74, "导入中")
            with other.cursor() as cursor:
                cursor.execute(
                    f"SELECT progress FROM {ImportJob._meta.db_table} WHERE id = %s",
                    [job.pk],
                )
                seen = cursor.fetchone()[0]
    finally:
        writer.close()
        other.close()
    assert seen == (50 if connection.vendor == "sqlite" else 74)
