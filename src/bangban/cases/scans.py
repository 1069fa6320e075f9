"""Scheduled scans that write text messages: cases due on the next working day, overdue cases
and applicants who have not rated yet. `bangban scheduler` runs them as tasks on a timer (or
cron runs `bangban scheduler --once`).

Each scan is idempotent: every message carries a key naming the case and the occasion (the due
date, the day), so running a scan twice, or on two machines, queues nothing new."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bangban.cases import sms
from bangban.cases.models import Case
from bangban.cases.tokens import rating_link
from bangban.cases.workflow import OPEN, State
from bangban.core.calendar import CalendarNotCovered, add_working_days, format_date
from bangban.notify.models import Kind

# A scan handles at most this many cases a run; the rest are taken by the next run (their keys
# keep them from being sent twice).
SCAN_BATCH = 2000


def _next_working_day(today: date) -> date:
    try:
        return add_working_days(today, 1).due_date
    except CalendarNotCovered:
        # The calendar of the coming year is not entered yet: count calendar days, as a list
        # page shows no warning rather than failing.
        return today + timedelta(days=1)


def _open_with_due_date():
    # A paused case's clock is stopped (its due date moves on when it resumes): no warnings.
    return Case.objects.filter(
        state__in=OPEN - {State.PAUSED}, due_date__isnull=False
    ).select_related("unit", "agent")


def scan_due_tomorrow(*, today: date | None = None) -> int:
    """Each open case due on the next working day: its agent, or the point's managers while
    nobody has it. Once per case and due date (a Friday run tells of Monday's cases, and the
    weekend runs add nothing). Returns how many messages were queued."""
    today = today or timezone.localdate()
    tomorrow = _next_working_day(today)
    cases = _open_with_due_date().filter(due_date__gt=today, due_date__lte=tomorrow)
    queued = 0
    for case in cases.order_by("due_date", "pk")[:SCAN_BATCH]:
        with transaction.atomic():
            params = {"due_date": format_date(case.due_date)}
            key = f":{case.due_date.isoformat()}"
            if case.agent is not None:
                queued += sms.to_agent(case, case.agent, Kind.DUE_TOMORROW, params, key)
            else:
                queued += sms.to_staff(case, sms.managers_of(case), Kind.DUE_TOMORROW, params, key)
    return queued


def scan_overdue(*, today: date | None = None) -> int:
    """Each overdue open case, once a day: its agent and the point's managers."""
    today = today or timezone.localdate()
    cases = _open_with_due_date().filter(due_date__lt=today)
    queued = 0
    for case in cases.order_by("due_date", "pk")[:SCAN_BATCH]:
        with transaction.atomic():
            params = {"due_date": format_date(case.due_date)}
            key = f":{today.isoformat()}"
            queued += sms.to_agent(case, case.agent, Kind.OVERDUE, params, key)
            queued += sms.to_staff(case, sms.managers_of(case), Kind.OVERDUE, params, key)
    return queued


def scan_rate_reminders(*, today: date | None = None) -> int:
    """Applicants whose case was completed BANGBAN_RATE_REMINDER_DAYS calendar days ago or
    more and who have not rated: one reminder per case, with the rating link, while the link
    still works (BANGBAN_RATING_LINK_DAYS). Calendar days, as the link's age is counted."""
    today = today or timezone.localdate()
    latest = today - timedelta(days=settings.BANGBAN_RATE_REMINDER_DAYS)
    earliest = today - timedelta(days=settings.BANGBAN_RATING_LINK_DAYS)
    cases = (
        Case.objects.filter(
            state__in=[State.COMPLETED, State.DELIVERED],
            completed_on__isnull=False,
            completed_on__lte=latest,
            completed_on__gte=earliest,
            rating__isnull=True,
        )
        .select_related("unit")
        .order_by("completed_on", "pk")
    )
    queued = 0
    for case in cases[:SCAN_BATCH]:
        with transaction.atomic():
            queued += sms.to_applicant(case, Kind.RATE_REMINDER, {"link": rating_link(case)}, "")
    return queued
