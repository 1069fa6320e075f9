"""Background tasks of documents; each only calls a service."""

from django_tasks import task

from bangban.documents.services.archives import archive_export_run


@task()
def run_archive_export(export_id: int) -> None:
    archive_export_run(export_id=export_id)
