"""The text messages a case sends (002 第二十一条: the applicant is told of each step; agents and
managers of work given to them and of deadlines). Each is written to the outbox in the
transaction of the change it reports, with a key naming the event, so that it is sent once
after commit and never twice. A recipient without a mobile number is skipped: the in-app
notification still reaches staff."""

from collections.abc import Iterable
from datetime import date

from bangban.cases.models import Case, Notice
from bangban.cases.tokens import rating_link
from bangban.core.calendar import format_date
from bangban.notify.models import Kind
from bangban.notify.services import outbox_enqueue_once
from bangban.org.models import Agent, Role, User


def _day(value: date | None) -> str:
    return format_date(value) if value else "-"


def to_applicant(case: Case, kind: Kind, params: dict, key: str) -> int:
    """Queue a message to the applicant (the case's contact phone); 1 if it was written now,
    0 if there is no phone or the event's message exists already."""
    if not case.phone:
        return 0
    _message, created = outbox_enqueue_once(
        kind=kind,
        phone=case.phone,
        params={"number": case.number, **params},
        dedupe_key=f"{kind}:case:{case.pk}{key}",
        unit_path=case.unit_path,
        subject=case.number,
    )
    return int(created)


def to_agent(case: Case, agent: Agent | None, kind: Kind, params: dict, key: str) -> int:
    """Queue a message to an agent's mobile phone (none without one); 1 if written now."""
    if agent is None or not agent.phone or agent.active_until is not None:
        return 0
    _message, created = outbox_enqueue_once(
        kind=kind,
        phone=agent.phone,
        params={"number": case.number, **params},
        dedupe_key=f"{kind}:case:{case.pk}{key}:agent:{agent.pk}",
        unit_path=case.unit_path,
        subject=case.number,
        recipient=agent.user,
    )
    return int(created)


def to_staff(case: Case, users: Iterable[User | None], kind: Kind, params: dict, key: str) -> int:
    """One message to each user who has a mobile number (on their agent record)."""
    ids = {user.pk for user in users if user is not None and user.is_active}
    agents = Agent.objects.filter(user_id__in=ids, active_until__isnull=True).order_by("pk")
    return sum(to_agent(case, agent, kind, params, key) for agent in agents)


def managers_of(case: Case) -> list[User]:
    return list(User.objects.filter(unit_id=case.unit_id, role=Role.MANAGER, is_active=True))


# The hooks of the case services.


def case_accepted(case: Case) -> None:
    to_applicant(case, Kind.ACCEPTED, {"due_date": _day(case.due_date)}, "")


def notice_issued(case: Case, notice: Notice) -> None:
    to_applicant(
        case,
        Kind.ONE_TIME_NOTICE,
        {
            "missing": "、".join(row["name"] for row in notice.missing),
            "deadline": _day(notice.deadline),
        },
        f":{notice.number}",
    )


def case_completed(case: Case) -> None:
    to_applicant(case, Kind.COMPLETED, {}, "")


def case_delivered(case: Case) -> None:
    to_applicant(case, Kind.DELIVERED, {}, "")
    rate_invitation(case)


def rate_invitation(case: Case) -> None:
    """一事一评: sent when the service ends for the applicant (delivery, refusal, termination);
    one per case."""
    to_applicant(case, Kind.RATE_INVITATION, {"link": rating_link(case)}, "")


def case_dispatched(case: Case, agent: Agent) -> None:
    # The revision names this dispatch: a case dispatched again is announced again.
    to_agent(case, agent, Kind.DISPATCHED, {"due_date": _day(case.due_date)}, f":r{case.revision}")


def case_supervised(case: Case, reason: str) -> None:
    to_agent(case, case.agent, Kind.SUPERVISED, {"reason": reason.strip()}, f":r{case.revision}")
