"""Background tasks of documents; each only calls a service."""

from django_tasks import task

from bangban.documents.services.archives import archive_export_run


@task()
def run_archive_export(export_id: int, redelivered: bool = False) -> None:
    # `redelivered`: the worker of an earlier attempt died while running it (set when
    # bangban.core.worker requeues the task); the export it claimed is made again.
    archive_export_run(export_id=export_id, redelivered=redelivered)
