"""What `bangban db_worker` does before it starts: give the worker an id that names its machine
and process, and hand back to the queue the tasks of this machine's workers that died.

django-tasks-db marks a task RUNNING when a worker claims it and finished when it returns; a
worker killed in between (SIGKILL, the OOM killer, a power cut) leaves the task RUNNING for
ever, and with it the job the task was running: a catalog import or an archive export shown as
"running" that never ends, and that blocks its requester's next export. A task is only lost
that way, never half done — the services keep each job's writes in one transaction, or write
files under a temporary name — so running it again is safe. A task function that claims a job
takes a `redelivered` argument, set here, and its service then takes over the job the dead run
had claimed instead of skipping it as running.

Which RUNNING tasks are orphans is decided without a timeout: the worker id is
"<host>:<pid>:<random>", and a task whose worker ran on this host under a process id that no
longer exists is an orphan. (A timeout would either wait long after a crash or take a slow
task from a live worker.) A worker on another machine is left to that machine's next start.
"""

import inspect
import os
import socket
import sys

from django.utils.crypto import get_random_string

WORKER_COMMAND = "db_worker"


def worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{get_random_string(8)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _takes_redelivered(result) -> bool:
    try:
        func = result.task.func
    except Exception:  # a task that no longer exists fails as it would anyway when it runs
        return False
    return "redelivered" in inspect.signature(func).parameters


def orphans_requeue() -> int:
    """Put back to READY every RUNNING task whose worker ran on this host and is gone; returns
    how many. The next worker runs them again as a further attempt."""
    from django.db import transaction
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    host = socket.gethostname()[:30]
    requeued = 0
    with transaction.atomic():
        for result in DBTaskResult.objects.select_for_update().filter(
            status=TaskResultStatus.RUNNING
        ):
            last = (result.worker_ids or [""])[-1]
            parts = last.split(":")
            if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
                continue
            if _alive(int(parts[1])):
                continue
            result.status = TaskResultStatus.READY
            if _takes_redelivered(result):
                result.args_kwargs["kwargs"]["redelivered"] = True
            result.save(update_fields=["status", "args_kwargs"])
            requeued += 1
    return requeued


def prepare(argv: list[str]) -> list[str]:
    """For `db_worker`: requeue this host's orphans and name the worker by host and pid (unless
    the operator named it). Other commands are returned unchanged."""
    if len(argv) < 2 or argv[1] != WORKER_COMMAND or "--help" in argv or "-h" in argv:
        return argv
    import django

    django.setup()
    count = orphans_requeue()
    if count:
        print(f"Requeued {count} task(s) of workers that died on this host.", file=sys.stderr)
    if not any(arg == "--worker-id" or arg.startswith("--worker-id=") for arg in argv):
        argv = [*argv, "--worker-id", worker_id()]
    return argv
