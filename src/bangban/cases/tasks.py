"""Scheduled case work as tasks (`bangban scheduler` queues them); each only calls a scan."""

from django_tasks import task

from bangban.cases import scans


@task()
def scan_due_tomorrow() -> int:
    return scans.scan_due_tomorrow()


@task()
def scan_overdue() -> int:
    return scans.scan_overdue()


@task()
def scan_rate_reminders() -> int:
    return scans.scan_rate_reminders()
