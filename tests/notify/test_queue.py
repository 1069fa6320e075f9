"""The outbox's tasks through both task queues of the settings: the database queue (default,
run by `bangban db_worker`) and the Redis queue of django-tasks-rq (run by RQ workers), the
latter against the Redis server at 127.0.0.1:6379."""

import socket

import pytest
from django.core.management import call_command
from django.db import transaction

from bangban.notify import services
from bangban.notify.models import Kind, OutboxMessage
from bangban.notify.tasks import drain_outbox
from tests.notify.conftest import sent_lines
from tests.redis_dbs import QUEUE_DB

pytestmark = pytest.mark.django_db

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# A database of its own on the shared server, and a queue emptied before and after each test.
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{QUEUE_DB}"


def enqueue(key: str) -> OutboxMessage:
    return services.outbox_enqueue(
        kind=Kind.COMPLETED, phone="13912345678", params={"number": key}, dedupe_key=key
    )


@pytest.mark.django_db(transaction=True)
def test_through_the_database_queue(settings, sms_file):
    """Transactional: the worker commits (and closes connections) as in production."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    with transaction.atomic():
        messages = [enqueue(f"db{i}") for i in range(3)]
    # Queued, not sent: the worker sends them.
    assert DBTaskResult.objects.filter(status="READY").count() == 3
    assert sent_lines(sms_file) == []
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 3
    assert sorted(line["id"] for line in sent_lines(sms_file)) == [m.pk for m in messages]
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


def _redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def rq_queue(settings):
    # `make test` starts a local Redis (scripts/ensure_redis.sh): its absence is a failure.
    assert _redis_reachable(), f"no Redis server at {REDIS_HOST}:{REDIS_PORT} (make redis)"
    import django_rq
    from django_tasks_rq import Job

    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    queue = django_rq.get_queue("default", job_class=Job)
    queue.empty()
    yield queue
    queue.empty()


def _work(queue) -> None:
    """What `bangban rqworker --burst --job-class django_tasks_rq.Job` does, in this process
    (a SimpleWorker does not fork), so the jobs see the test's database."""
    from django_tasks_rq import Job
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)


def test_through_the_redis_queue(rq_queue, sms_file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        messages = [enqueue(f"rq{i}") for i in range(3)]
    assert rq_queue.count == 3
    assert sent_lines(sms_file) == []
    _work(rq_queue)
    assert rq_queue.count == 0
    assert sorted(line["id"] for line in sent_lines(sms_file)) == [m.pk for m in messages]
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_the_drain_through_the_redis_queue(rq_queue, sms_file):
    """A message whose task was lost (queued in no queue) is sent by the drain task."""
    message = enqueue("lost")  # on_commit never runs here: no task was queued
    result = drain_outbox.enqueue()
    _work(rq_queue)
    assert drain_outbox.get_backend().get_result(result.id).return_value == 1
    assert [line["id"] for line in sent_lines(sms_file)] == [message.pk]


def test_a_queue_that_is_down_loses_nothing(settings, sms_file, django_capture_on_commit_callbacks):
    """Redis unreachable at enqueue: the change is committed, the message waits in the outbox,
    and the next drain (run when the queue is back) sends it."""
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:1/{QUEUE_DB}"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue("noqueue")
    assert OutboxMessage.objects.get(pk=message.pk).state == OutboxMessage.State.PENDING
    assert services.outbox_drain() == 1
    assert [line["id"] for line in sent_lines(sms_file)] == [message.pk]
