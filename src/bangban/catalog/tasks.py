"""Background tasks of the catalog; each only calls a service."""

from django_tasks import task

from bangban.catalog.import_jobs import import_job_run


@task()
def run_import_job(job_id: int, redelivered: bool = False) -> None:
    # `redelivered`: the worker of an earlier attempt died while running it (set when
    # bangban.core.worker requeues the task); the job it claimed is taken over, not skipped.
    import_job_run(job_id=job_id, redelivered=redelivered)
