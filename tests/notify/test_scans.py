"""The scheduled scans: each queues its message once per case and occasion; a second run on the
same day queues nothing new."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from bangban.cases import scans, services
from bangban.cases.models import Case
from bangban.cases.workflow import State
from bangban.core.calendar import add_working_days
from bangban.notify.models import Kind, OutboxMessage
from bangban.org.models import Role
from tests.cases.factories import case_in_state, point_with_item
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


def outbox(kind: Kind) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=kind).order_by("pk"))


@pytest.fixture
def point():
    """A village point: its agent (with a phone) and a manager who has an agent record too."""
    agent_user, item = point_with_item()
    manager = UserFactory(unit=agent_user.unit, role=Role.MANAGER)
    AgentFactory(unit=agent_user.unit, user=manager)
    return {"agent_user": agent_user, "item": item, "manager": manager}


def open_case(point, *, due, agent: bool = True, state=State.IN_PROGRESS) -> Case:
    case = case_in_state(state, actor=point["agent_user"], items=[point["item"]])
    Case.objects.filter(pk=case.pk).update(
        due_date=due, agent=point["agent_user"].agent if agent else None
    )
    case.refresh_from_db()
    return case


def test_due_tomorrow_tells_the_agent_once(point):
    today = timezone.localdate()
    tomorrow = add_working_days(today, 1).due_date
    case = open_case(point, due=tomorrow)
    open_case(point, due=add_working_days(today, 3).due_date)  # not yet
    assert scans.scan_due_tomorrow(today=today) == 1
    assert scans.scan_due_tomorrow(today=today) == 0
    [message] = outbox(Kind.DUE_TOMORROW)
    assert message.phone == point["agent_user"].agent.phone
    assert message.params["number"] == case.number
    assert message.dedupe_key == (
        f"due_tomorrow:case:{case.pk}:{tomorrow.isoformat()}:agent:{point['agent_user'].agent.pk}"
    )
    # The next day (the case now due today) adds nothing.
    assert scans.scan_due_tomorrow(today=today + timedelta(days=1)) == 0


def test_due_tomorrow_without_an_agent_tells_the_managers(point):
    today = timezone.localdate()
    open_case(point, due=add_working_days(today, 1).due_date, agent=False)
    assert scans.scan_due_tomorrow(today=today) == 1
    [message] = outbox(Kind.DUE_TOMORROW)
    assert message.recipient == point["manager"]


def test_overdue_tells_agent_and_managers_once_a_day(point):
    today = timezone.localdate()
    case = open_case(point, due=today - timedelta(days=2))
    open_case(point, due=today)  # due today: not overdue
    assert scans.scan_overdue(today=today) == 2
    assert scans.scan_overdue(today=today) == 0
    assert {m.recipient for m in outbox(Kind.OVERDUE)} == {point["agent_user"], point["manager"]}
    assert {m.params["number"] for m in outbox(Kind.OVERDUE)} == {case.number}
    # The next day: both cases overdue (the second was due today), each told once.
    tomorrow = today + timedelta(days=1)
    assert scans.scan_overdue(today=tomorrow) == 4
    assert scans.scan_overdue(today=tomorrow) == 0


def test_overdue_skips_paused_and_closed_cases(point):
    today = timezone.localdate()
    paused = open_case(point, due=today - timedelta(days=2), state=State.PAUSED)
    completed = open_case(point, due=today - timedelta(days=2), state=State.COMPLETED)
    assert {paused.state, completed.state} == {State.PAUSED, State.COMPLETED}
    assert scans.scan_overdue(today=today) == 0


def test_rate_reminder_three_days_after_completion_if_not_rated(point, settings):
    settings.BANGBAN_RATE_REMINDER_DAYS = 3
    today = timezone.localdate()
    due = case_in_state(State.DELIVERED, actor=point["agent_user"], items=[point["item"]])
    recent = case_in_state(State.COMPLETED, actor=point["agent_user"], items=[point["item"]])
    rated = case_in_state(State.DELIVERED, actor=point["agent_user"], items=[point["item"]])
    services.rating_record(actor=point["agent_user"], case=rated, revision=rated.revision, level=5)
    Case.objects.filter(pk__in=[due.pk, rated.pk]).update(completed_on=today - timedelta(days=3))
    Case.objects.filter(pk=recent.pk).update(completed_on=today - timedelta(days=2))
    assert scans.scan_rate_reminders(today=today) == 1
    assert scans.scan_rate_reminders(today=today) == 0
    [reminder] = outbox(Kind.RATE_REMINDER)
    assert reminder.params["number"] == due.number
    assert f"/public/rate/{due.number}/?t=" in reminder.params["link"]
    # Once per case, not once a day.
    assert scans.scan_rate_reminders(today=today + timedelta(days=1)) == 1  # `recent` now
    assert scans.scan_rate_reminders(today=today + timedelta(days=2)) == 0
    # Not after the link expired.
    assert scans.scan_rate_reminders(today=today + timedelta(days=60)) == 0


def test_the_scheduler_queues_the_scans_and_the_drain(settings, point, sms_file):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    today = timezone.localdate()
    open_case(point, due=today - timedelta(days=1))
    call_command("scheduler", "--once")
    # The scan queued two overdue messages; the drain (queued first) found nothing then, so
    # they wait for their after-commit tasks or the next drain.
    assert len(outbox(Kind.OVERDUE)) == 2
    call_command("scheduler", "--once")
    assert len(outbox(Kind.OVERDUE)) == 2
    assert set(OutboxMessage.objects.filter(kind=Kind.OVERDUE).values_list("state", flat=True)) == {
        "sent"
    }
