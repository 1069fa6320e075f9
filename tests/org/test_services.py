from datetime import timedelta

import pytest
from django.utils import timezone

from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.events import events_verify
from bangban.core.models import Event
from bangban.org import services
from bangban.org.models import Agent, Attendance, Level, Role, Unit
from tests.factories import AgentFactory, UserFactory, county_tree

pytestmark = pytest.mark.django_db

VALID_ID = "11010519491231002X"


@pytest.fixture
def tree():
    return county_tree()


def test_unit_create_builds_the_path_and_checks_the_tree_shape(tree):
    town = tree["towns"][0]
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    village = services.unit_create(
        actor=admin, parent=town, name="新村便民服务站", code="C1-9", level=Level.VILLAGE
    )
    assert village.path == "/C/C1/C1-9/"
    assert village.depth == 2
    with pytest.raises(ValidationFailed):
        services.unit_create(actor=admin, parent=village, name="x", code="X1", level=Level.VILLAGE)
    with pytest.raises(ValidationFailed):
        services.unit_create(
            actor=admin, parent=town, name="重复", code="C1-9", level=Level.VILLAGE
        )
    assert Event.objects.filter(action="unit.create", object_id=str(village.pk)).count() == 1


def test_supervisor_cannot_change_anything(tree):
    supervisor = UserFactory(unit=None, role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        services.unit_update(actor=supervisor, unit=tree["county"], name="改名")
    assert Unit.objects.get(pk=tree["county"].pk).name == tree["county"].name


def test_manager_cannot_change_a_unit_outside_the_subtree(tree):
    manager = UserFactory(unit=tree["towns"][0], role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        services.unit_update(actor=manager, unit=tree["towns"][1], phone="0914-6321002")
    updated = services.unit_update(actor=manager, unit=tree["villages"][0], has_window=True)
    assert updated.has_window


def test_unit_update_records_before_and_after(tree):
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    services.unit_update(actor=admin, unit=tree["towns"][0], opening_hours="8:30-17:30")
    event = Event.objects.get(action="unit.update")
    assert event.before == {"opening_hours": ""}
    assert event.after == {"opening_hours": "8:30-17:30"}
    assert event.actor == admin


def test_agent_create_validates_and_encrypts_and_events_hold_only_masked_data(tree):
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    with pytest.raises(ValidationFailed) as bad:
        services.agent_create(
            actor=admin,
            unit=tree["towns"][0],
            name="王敏",
            id_number="110105194912310021",
            phone="13800138000",
        )
    assert bad.value.field == "id_number"
    count = Agent.objects.count()
    agent = services.agent_create(
        actor=admin,
        unit=tree["towns"][0],
        name="王敏",
        id_number=VALID_ID.lower(),
        phone="138 0013 8000",
    )
    assert Agent.objects.count() == count + 1
    agent.refresh_from_db()
    assert agent.id_number == VALID_ID
    assert agent.phone == "13800138000"
    event = Event.objects.get(action="agent.create")
    assert VALID_ID not in str(event.after) and "13800138000" not in str(event.after)
    assert event.after["id_number"] == "1101**********002X"


def test_reveal_is_logged_and_limited(tree):
    agent = tree["agents"]["C1-1"]
    manager = UserFactory(unit=tree["towns"][0], role=Role.MANAGER)
    assert services.personal_data_reveal(actor=manager, agent=agent, field="phone") == agent.phone
    event = Event.objects.get(action="personal_data.reveal")
    assert event.actor == manager and event.after == {"field": "phone"}
    colleague = UserFactory(unit=tree["villages"][0], role=Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.personal_data_reveal(actor=colleague, agent=agent, field="id_number")
    own = AgentFactory(unit=tree["villages"][0], user=colleague)
    assert (
        services.personal_data_reveal(actor=colleague, agent=own, field="id_number")
        == own.id_number
    )


def test_personnel_change_needs_three_days_notice_and_supersedes(tree):
    manager = UserFactory(unit=tree["towns"][0], role=Role.MANAGER)
    leaving = tree["agents"]["C1-1"]
    today = timezone.localdate()
    kwargs = dict(
        actor=manager,
        unit=leaving.unit,
        previous_agent=leaving,
        post="村级代办员",
        name="李娜",
        id_number=VALID_ID,
        phone="13912345678",
        email="lina@example.cn",
        reason="工作调动",
    )
    with pytest.raises(ValidationFailed) as late:
        services.personnel_change_record(effective_date=today + timedelta(days=2), **kwargs)
    assert late.value.field == "effective_date"
    change = services.personnel_change_record(effective_date=today + timedelta(days=3), **kwargs)
    leaving.refresh_from_db()
    assert leaving.active_until == today + timedelta(days=2)
    assert change.new_agent.active_from == today + timedelta(days=3)
    assert change.new_agent.name == "李娜"
    assert Agent.objects.filter(pk=leaving.pk).exists()  # superseded, not deleted


def test_activity_records_attendance(tree):
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    agents = list(tree["agents"].values())
    activity = services.activity_record(
        actor=admin,
        unit=tree["county"],
        kind="training",
        title="帮办代办业务培训",
        starts_at=timezone.now(),
        attendance={agents[0].pk: "present", agents[1].pk: "absent"},
    )
    assert activity.attendances.get(agent=agents[1]).status == Attendance.Status.ABSENT
    manager = UserFactory(unit=tree["towns"][0], role=Role.MANAGER)
    with pytest.raises(ValidationFailed):
        services.activity_record(
            actor=manager,
            unit=tree["towns"][0],
            kind="meeting",
            title="碰头会",
            starts_at=timezone.now(),
            attendance={tree["agents"]["C2"].pk: "present"},
        )


def test_user_create_enforces_password_rules(tree):
    with pytest.raises(ValidationFailed) as weak:
        services.user_create(
            actor=None, username="weak", password="abcdefgh", role=Role.AGENT, unit=tree["county"]
        )
    assert weak.value.field == "password"
    user = services.user_create(
        actor=None,
        username="strong",
        password="Qinchuan#2026",
        role=Role.CENTRE_ADMIN,
        unit=tree["county"],
    )
    assert user.is_staff and not user.is_superuser


def test_staffing_minimum_defaults_and_override(tree):
    from bangban.org.selectors import staffing_minimums

    assert staffing_minimums() == {"county": 2, "town": 1, "village": 1}
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    services.staffing_minimum_set(actor=admin, level="town", minimum=2)
    assert staffing_minimums()["town"] == 2


def test_every_service_call_keeps_the_chain_intact(tree):
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    services.unit_update(actor=admin, unit=tree["county"], address="人民路2号")
    services.unit_update(actor=admin, unit=tree["county"], address="人民路3号")
    assert events_verify().ok
