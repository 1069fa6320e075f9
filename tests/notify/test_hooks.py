"""The case services write their text messages to the outbox, in their own transaction."""

from urllib.parse import unquote

import pytest

from bangban.cases import services
from bangban.cases.models import Completion
from bangban.cases.tokens import rating_token_read
from bangban.cases.workflow import State
from bangban.core.calendar import format_date
from bangban.notify.models import Kind, OutboxMessage
from bangban.org.models import Agent, Role
from tests.cases.factories import PERSON, case_in_state, point_with_item
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


def outbox(kind: Kind) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=kind).order_by("pk"))


def test_acceptance_tells_the_applicant_the_due_date():
    case = case_in_state(State.ACCEPTED)
    [message] = outbox(Kind.ACCEPTED)
    assert message.phone == PERSON["phone"]
    assert message.params == {"number": case.number, "due_date": format_date(case.due_date)}
    assert message.dedupe_key == f"accepted:case:{case.pk}"
    assert message.unit_path == case.unit.path
    assert message.subject == case.number
    assert case.number in message.text
    assert message.state == OutboxMessage.State.PENDING


def test_a_one_time_notice_lists_what_is_missing():
    case = case_in_state(State.AWAITING_MATERIALS)
    notice = case.notices.get()
    [message] = outbox(Kind.ONE_TIME_NOTICE)
    assert message.params == {
        "number": case.number,
        "missing": "户口簿",
        "deadline": format_date(notice.deadline),
    }
    assert message.dedupe_key == f"one_time_notice:case:{case.pk}:1"
    assert "户口簿" in message.text
    assert not outbox(Kind.ACCEPTED)


def test_completion_delivery_and_the_rating_invitation():
    case = case_in_state(State.DELIVERED)
    [completed] = outbox(Kind.COMPLETED)
    [delivered] = outbox(Kind.DELIVERED)
    [invitation] = outbox(Kind.RATE_INVITATION)
    assert completed.params == delivered.params == {"number": case.number}
    link = invitation.params["link"]
    prefix = f"http://127.0.0.1:8000/public/rate/{case.number}/?t="
    assert link.startswith(prefix)
    assert rating_token_read(unquote(link.removeprefix(prefix))).number == case.number
    assert all(m.phone == PERSON["phone"] for m in (completed, delivered, invitation))


def test_a_refused_case_is_invited_to_rate_too():
    case = case_in_state(State.REFUSED)
    [invitation] = outbox(Kind.RATE_INVITATION)
    assert invitation.params["number"] == case.number


def test_a_rolled_back_service_leaves_no_message(monkeypatch):
    case = case_in_state(State.IN_PROGRESS)
    for task in case.tasks.all():
        case.refresh_from_db()
        services.task_decide(
            actor=case.created_by,
            case=case,
            revision=case.revision,
            task=task,
            decision="approved",
            result="许可证",
        )
    case.refresh_from_db()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Completion.objects, "create", fail)
    with pytest.raises(RuntimeError):
        services.case_complete(
            actor=case.created_by, case=case, revision=case.revision, results="已取得许可证"
        )
    assert not outbox(Kind.COMPLETED)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


@pytest.fixture
def dispatched():
    agent_user, item = point_with_item()
    manager = UserFactory(unit=agent_user.unit, role=Role.MANAGER)
    other = AgentFactory(unit=agent_user.unit, user=UserFactory(unit=agent_user.unit))
    case = case_in_state(State.ACCEPTED, actor=agent_user, items=[item])
    case = services.case_assign(actor=manager, case=case, revision=case.revision, agent=other)
    return {"case": case, "manager": manager, "agent": other}


def test_dispatch_tells_the_agent(dispatched):
    case, agent = dispatched["case"], dispatched["agent"]
    [message] = outbox(Kind.DISPATCHED)
    assert message.phone == agent.phone
    assert message.recipient == agent.user
    assert message.params == {"number": case.number, "due_date": format_date(case.due_date)}
    assert message.dedupe_key == f"dispatched:case:{case.pk}:r{case.revision}:agent:{agent.pk}"
    # Dispatched again (to another agent), it is told again.
    again = Agent.objects.filter(unit=case.unit).exclude(pk=agent.pk).first()
    services.case_assign(
        actor=dispatched["manager"], case=case, revision=case.revision, agent=again
    )
    assert [m.phone for m in outbox(Kind.DISPATCHED)] == [agent.phone, again.phone]


def test_supervision_tells_the_agent(dispatched):
    case, agent = dispatched["case"], dispatched["agent"]
    case = services.case_supervise(
        actor=dispatched["manager"], case=case, revision=case.revision, reason="群众反映进度慢"
    )
    [message] = outbox(Kind.SUPERVISED)
    assert message.phone == agent.phone
    assert message.params == {"number": case.number, "reason": "群众反映进度慢"}
    assert "群众反映进度慢" in message.text


def test_an_agent_without_a_phone_gets_no_text(dispatched):
    case, agent = dispatched["case"], dispatched["agent"]
    agent.phone = ""
    agent.save()
    services.case_supervise(
        actor=dispatched["manager"], case=case, revision=case.revision, reason="进度慢"
    )
    assert not outbox(Kind.SUPERVISED)
    # The in-app notification still reaches them.
    assert agent.user.notifications.filter(text__contains="进度慢").exists()
