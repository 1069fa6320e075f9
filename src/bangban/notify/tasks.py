"""Background tasks of the outbox; each only calls a service."""

from django_tasks import task

from bangban.notify.services import outbox_drain, outbox_send


@task()
def send_message(message_id: int) -> None:
    outbox_send(message_id=message_id)


@task()
def drain_outbox() -> int:
    """Retries and messages whose task was lost; `bangban scheduler` queues it every run."""
    return outbox_drain()
