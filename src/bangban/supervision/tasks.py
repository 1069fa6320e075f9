"""Background tasks of supervision; each only calls a service."""

from django_tasks import task

from bangban.supervision.services import ledger_export_run


@task()
def run_ledger_export(export_id: int, redelivered: bool = False) -> None:
    # `redelivered`: the worker of an earlier attempt died while running it (set when
    # bangban.core.worker requeues the task); the export it left running is made again.
    ledger_export_run(export_id=export_id, redelivered=redelivered)
