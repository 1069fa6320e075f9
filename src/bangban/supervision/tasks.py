"""Background tasks of supervision; each only calls a service."""

from django_tasks import task

from bangban.supervision.services import ledger_export_run


@task()
def run_ledger_export(export_id: int) -> None:
    ledger_export_run(export_id=export_id)
