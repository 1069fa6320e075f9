"""The monthly case tally (cases.tally): what the services keep must equal what a rebuild from
the cases counts, after every kind of change — registration, each way a case ends, a transfer,
a back-entry in an earlier month, several items."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from bangban.cases import services
from bangban.cases.models import Case, CaseTally
from bangban.cases.tally import MEASURES, tally_rebuild
from bangban.cases.workflow import State
from bangban.core.calendar import working_days_between
from bangban.org.models import Role, User
from tests.cases.factories import PERSON, case_in_state, item_of, point_with_item
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _sums() -> dict[tuple, dict[str, int]]:
    """The tally by key, zeros left out."""
    found: dict[tuple, Counter] = {}
    for row in CaseTally.objects.all():
        key = (row.unit_id, row.agent_id, row.item_id, row.month)
        counts = found.setdefault(key, Counter())
        for m in MEASURES:
            counts[m] += getattr(row, m)
    return {k: {m: n for m, n in c.items() if n} for k, c in found.items() if any(c.values())}


def _kept_equals_rebuilt() -> dict[tuple, dict[str, int]]:
    kept = _sums()
    tally_rebuild()
    assert _sums() == kept
    return kept


def _own_row(kept, case: Case, month) -> dict[str, int]:
    return kept[(case.unit_id, case.agent_id, None, month)]


@pytest.mark.parametrize(
    "state",
    [
        State.REGISTERED,
        State.AWAITING_MATERIALS,
        State.REFUSED,
        State.TERMINATED,
        State.ACCEPTED,
        State.IN_PROGRESS,
        State.PAUSED,
        State.COMPLETED,
        State.DELIVERED,
        State.ARCHIVED,
    ],
)
def test_services_keep_what_a_rebuild_counts(state):
    case = case_in_state(state)
    kept = _kept_equals_rebuilt()
    month = timezone.localdate().replace(day=1)
    own = _own_row(kept, case, month)
    assert own["opened"] == 1
    if state in (State.COMPLETED, State.DELIVERED, State.ARCHIVED):
        days = working_days_between(case.accepted_on, case.completed_on)
        expected = {"opened": 1, "finished": 1, "on_time": 1, "days_counted": 1}
        if days:
            expected["days_total"] = days
        if state == State.ARCHIVED:  # rated 非常满意 on the way
            expected |= {"rated": 1, "good": 1}
        assert own == expected
    else:
        assert own == {"opened": 1}
    # The item row takes the same counts, without the agent.
    (item_id,) = case.items.values_list("item_id", flat=True)
    assert kept[(case.unit_id, None, item_id, month)] == own


def test_late_completion_counts_late():
    case = case_in_state(State.IN_PROGRESS)
    Case.objects.filter(pk=case.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    case.refresh_from_db()
    tally_rebuild()  # the due date above was moved past the services
    by = {"actor": case.created_by, "case": case}
    for task in case.tasks.all():
        case.refresh_from_db()
        services.task_decide(
            **by, revision=case.revision, task=task, decision="approved", result="许可证"
        )
    case.refresh_from_db()
    services.case_complete(**by, revision=case.revision, results="已办结")
    kept = _kept_equals_rebuilt()
    own = _own_row(kept, case, timezone.localdate().replace(day=1))
    assert (own.get("late"), own.get("on_time")) == (1, None)


def test_a_transfer_moves_the_counts_to_the_new_unit():
    case = case_in_state(State.ACCEPTED)
    village = case.unit
    town = village.parent
    services.case_transfer(
        actor=case.created_by, case=case, revision=case.revision, unit=town, reason="需乡镇办理"
    )
    kept = _kept_equals_rebuilt()
    month = timezone.localdate().replace(day=1)
    assert kept[(town.pk, None, None, month)] == {"opened": 1}
    assert not any(key[0] == village.pk for key in kept)


def test_a_back_entry_counts_in_the_month_it_happened():
    actor, item = point_with_item()
    # Back-entry reaches 30 days back: on most days of a month that is the month before.
    earlier = timezone.now() - timedelta(days=29)
    case = services.case_register(
        actor=actor,
        unit=actor.unit,
        kind="assist",
        proxy_scope="",
        channel="window",
        category="personal",
        applicant_type="person",
        applicant=PERSON,
        items=[item],
        occurred_at=earlier,
        back_entry_reason="断网期间纸质登记",
    )
    kept = _kept_equals_rebuilt()
    month = timezone.localtime(earlier).date().replace(day=1)
    assert _own_row(kept, case, month) == {"opened": 1}


def test_a_case_of_two_items_counts_once_and_once_per_item():
    actor, first = point_with_item()
    department = first.department
    second = item_of(department, actor=_centre_admin(), name="第二个事项", limit_days=5)
    case = case_in_state(State.COMPLETED, actor=actor, items=[first, second])
    kept = _kept_equals_rebuilt()
    month = timezone.localdate().replace(day=1)
    own = _own_row(kept, case, month)
    assert own["finished"] == 1
    assert kept[(case.unit_id, None, first.pk, month)] == own
    assert kept[(case.unit_id, None, second.pk, month)] == own
    assert sum(v.get("opened", 0) for k, v in kept.items() if k[2] is None) == 1


def test_a_new_agent_moves_the_case_row_and_leaves_the_item_row():
    """A new agent takes one from the old agent's row and adds one to the new agent's, in the
    same month: the item row is both keys' item row and must not move (its deltas add up)."""
    case = case_in_state(State.ACCEPTED)
    [item_id] = case.items.values_list("item_id", flat=True)
    manager = UserFactory(unit=case.unit, role=Role.MANAGER)
    other = AgentFactory(unit=case.unit, user=UserFactory(unit=case.unit, role=Role.AGENT))
    services.case_assign(actor=manager, case=case, revision=case.revision, agent=other)
    kept = _kept_equals_rebuilt()
    month = timezone.localdate().replace(day=1)
    assert kept[(case.unit_id, other.pk, None, month)] == {"opened": 1}
    assert (case.unit_id, case.agent_id, None, month) not in kept
    assert kept[(case.unit_id, None, item_id, month)] == {"opened": 1}


def test_one_row_per_key_and_the_database_refuses_a_second():
    """Changes add to the row of their key (an upsert); a second row for a key — what two
    first writes of a month racing made before — is refused by the database."""
    actor, item = point_with_item()
    for _ in range(3):
        case_in_state(State.ACCEPTED, actor=actor, items=[item])
    keys = Counter(
        CaseTally.objects.values_list("unit_id", "agent_id", "item_id", "month").order_by()
    )
    assert keys and set(keys.values()) == {1}
    row = CaseTally.objects.filter(item__isnull=True).first()
    assert row.opened == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseTally.objects.create(unit_id=row.unit_id, agent_id=row.agent_id, month=row.month)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseTally.objects.create(unit_id=row.unit_id, item=item, month=row.month)


def _centre_admin() -> User:
    """The catalog administrator `point_with_item` made (items are created by one)."""
    return User.objects.filter(role=Role.CENTRE_ADMIN).order_by("-pk").first()


def test_rebuild_command(capsys):
    case_in_state(State.REGISTERED)
    CaseTally.objects.all().delete()
    call_command("tally", "--rebuild")
    assert "2" in capsys.readouterr().out  # the case's row and its item's row
    assert CaseTally.objects.count() == 2
    with pytest.raises(CommandError):
        call_command("tally")
