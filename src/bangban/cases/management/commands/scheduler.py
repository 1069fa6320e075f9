"""`bangban scheduler`: queue the scheduled work on a timer.

Every run queues the outbox drain (retries, lost sends); the case scans (due tomorrow,
overdue, rating reminders) are queued at most once an hour, as they write at most one message
per case and occasion anyway. The worker (`bangban db_worker`, or `bangban rqworker` with the
Redis queue) runs the tasks. `--once` queues everything once and exits, for cron and tests."""

import time

from django.core.management.base import BaseCommand

from bangban.cases import tasks as case_tasks
from bangban.notify import tasks as notify_tasks

SCANS = (
    case_tasks.scan_due_tomorrow,
    case_tasks.scan_overdue,
    case_tasks.scan_rate_reminders,
)
SCAN_EVERY_SECONDS = 3600


class Command(BaseCommand):
    help = "Queue the scheduled tasks (outbox drain, deadline scans, rating reminders) on a timer."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Queue everything once and exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=60.0,
            help="Seconds between runs (default 60); the scans run at most hourly.",
        )

    def handle(self, *args, once: bool = False, interval: float = 60.0, **options):
        last_scan = None
        while True:
            started = time.monotonic()
            queued = [notify_tasks.drain_outbox]
            if once or last_scan is None or started - last_scan >= SCAN_EVERY_SECONDS:
                queued += list(SCANS)
                last_scan = started
            for task in queued:
                task.enqueue()
            self.stdout.write("queued " + ", ".join(task.name for task in queued), style_func=None)
            if once:
                return
            time.sleep(max(1.0, interval - (time.monotonic() - started)))
