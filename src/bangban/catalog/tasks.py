"""Background tasks of the catalog; each only calls a service."""

from django_tasks import task

from bangban.catalog.import_jobs import import_job_run


@task()
def run_import_job(job_id: int) -> None:
    import_job_run(job_id=job_id)
