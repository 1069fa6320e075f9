"""What the cases API tests share: a county with staff in every role, cases brought into any
workflow state through the services, and for every workflow action the request that asks for
it through the API."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bangban.cases import services
from bangban.cases.models import Case, Milestone, Party
from bangban.cases.workflow import Action, State
from bangban.org.models import Role
from tests.cases.factories import FORMS, PERSON, item_of
from tests.factories import AgentFactory, UserFactory

HAN = re.compile(r"[\u4e00-\u9fff]")
# The states `case_in` reaches through the start of the work: their cases have a department
# task and a plan with a milestone, which the task and milestone actions need in their URL.
STARTED = frozenset(
    {
        State.IN_PROGRESS,
        State.PAUSED,
        State.TERMINATED,
        State.COMPLETED,
        State.DELIVERED,
        State.ARCHIVED,
    }
)


def user(**fields: Any):
    """A user without a usable password: the tests log in with force_login, and hashing a
    password (Argon2) for every user would make them slow."""
    return UserFactory(password=None, **fields)


def make_world(tree: dict[str, Any], catalog_admin) -> dict[str, Any]:
    village, town = tree["villages"][0], tree["towns"][0]
    agent_user = user(unit=village, role=Role.AGENT, full_name="李帮办")
    licence = item_of(
        tree["dept"], actor=catalog_admin, name="食品经营许可", limit_days=5, target="法人"
    )
    return {
        **tree,
        "village": village,
        "town": town,
        "licence": licence,
        "agent_user": agent_user,
        "agent": AgentFactory(unit=village, user=agent_user, name="李帮办"),
        "liaison": user(unit=tree["dept"], role=Role.LIAISON),
        "manager": user(unit=town, role=Role.MANAGER),
    }


def api(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def post(client: Client, url: str, body: Any):
    return client.post(url, body, content_type="application/json")


def case_url(case_or_pk, endpoint: str = "detail", *args: Any) -> str:
    pk = getattr(case_or_pk, "pk", case_or_pk)
    return reverse(f"api-case-{endpoint}", args=[pk, *args])


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def register(world: dict[str, Any], **extra: Any) -> Case:
    values = {
        "actor": world["agent_user"],
        "unit": world["village"],
        "kind": "proxy",
        "proxy_scope": "full",
        "channel": "window",
        "category": "personal",
        "applicant_type": "person",
        "applicant": PERSON,
        "items": [world["licence"]],
    }
    return services.case_register(**(values | extra))


def _step(world: dict[str, Any], service: Callable, actor=None, **arguments: Any) -> None:
    case = arguments.pop("case")
    service(
        actor=actor or world["agent_user"], case=case, revision=fresh(case).revision, **arguments
    )


def case_in(world: dict[str, Any], state: State) -> Case:
    """A proxy case brought into `state` through the services, by the shortest way there."""
    case = register(world)
    today = timezone.localdate()

    def step(service: Callable, **arguments: Any) -> None:
        _step(world, service, case=case, **arguments)

    if state == State.REGISTERED:
        return fresh(case)
    if state == State.AWAITING_MATERIALS:
        step(
            services.notice_issue,
            missing=[{"name": "户口簿", "how": "到派出所复印"}],
            deadline=today + timedelta(days=7),
        )
        return fresh(case)
    if state == State.REFUSED:
        step(services.case_refuse, reason="不在本村可办清单")
        return fresh(case)
    step(services.case_accept)
    if state == State.ACCEPTED:
        return fresh(case)
    step(services.agreement_sign, applicant_signatory="张秀英")
    step(services.case_start)
    step(
        services.plan_agree,
        agreed_with="张秀英",
        milestones=[{"title": "完成选址", "due_on": today + timedelta(days=10)}],
    )
    if state == State.IN_PROGRESS:
        return fresh(case)
    if state == State.PAUSED:
        step(services.case_pause, reason="等申请人补证明")
        return fresh(case)
    if state == State.TERMINATED:
        step(
            services.case_terminate,
            requested_by="applicant",
            ground="applicant_request",
            reason="申请人不再办理",
        )
        return fresh(case)
    step(
        services.task_decide,
        actor=world["liaison"],
        task=case.tasks.get(),
        decision="approved",
        result="食品经营许可证",
    )
    step(services.case_complete, results="已取得食品经营许可证", signed_by="张秀英")
    if state == State.COMPLETED:
        return fresh(case)
    step(services.case_deliver, method="window", receiver="张秀英")
    if state == State.DELIVERED:
        return fresh(case)
    step(services.rating_record, level=5)
    step(services.case_archive)
    assert fresh(case).state == State.ARCHIVED
    return fresh(case)


def make_allowed(world: dict[str, Any], case: Case, action: Action) -> None:
    """Meet the guards of a legal action on a case from `case_in`: the agreement before a proxy
    case starts, every task decided before completion, the rating before the archive, a plan
    before a milestone is reported."""
    state = fresh(case).state
    if action == Action.START:
        _step(world, services.agreement_sign, case=case, applicant_signatory="张秀英")
    elif action == Action.COMPLETE:
        _step(
            world,
            services.task_decide,
            actor=world["liaison"],
            case=case,
            task=case.tasks.get(),
            decision="approved",
            result="食品经营许可证",
        )
    elif action == Action.ARCHIVE:
        _step(world, services.rating_record, case=case, level=4)
    elif action == Action.PROGRESS and state == State.ACCEPTED:
        _step(
            world,
            services.plan_agree,
            case=case,
            agreed_with="张秀英",
            milestones=[{"title": "取得许可", "due_on": timezone.localdate() + timedelta(days=5)}],
        )


def request_for(world: dict[str, Any], case: Case, action: Action) -> tuple[str, dict] | None:
    """The URL and a valid body that ask for `action` on `case` at its current revision; None
    when the case has no task or milestone for an action that names one."""
    case = fresh(case)
    today = timezone.localdate()
    body: dict[str, Any] = {"revision": case.revision}
    task = case.tasks.first()
    milestone = Milestone.objects.filter(plan__case=case, plan__superseded=False).first()
    if action in (Action.SUBMIT_TASK, Action.DECIDE_TASK, Action.URGE) and task is None:
        return None
    if action == Action.PROGRESS and milestone is None:
        return None
    later = (today + timedelta(days=7)).isoformat()
    match action:
        case Action.ISSUE_NOTICE:
            body |= {"missing": [{"name": "户口簿", "how": "到派出所复印"}], "deadline": later}
            return case_url(case, "issue-notice"), body
        case Action.RECEIVE_SUPPLEMENT:
            return case_url(case, "receive-supplement"), body
        case Action.ACCEPT:
            return case_url(case, "accept"), body
        case Action.ACCEPT_TOLERATED:
            body["tolerated"] = [{"material": "婚姻状况证明", "due_on": later}]
            return case_url(case, "accept"), body
        case Action.REFUSE:
            return case_url(case, "refuse"), body | {"reason": "不在本村可办清单"}
        case Action.SIGN_AGREEMENT:
            return case_url(case, "sign-agreement"), body | {"applicant_signatory": "张秀英"}
        case Action.START:
            return case_url(case, "start"), body
        case Action.ASSIGN:
            return case_url(case, "assign"), body | {"agent": world["agent"].pk}
        case Action.RECORD_HANDOVER:
            body |= {
                "giver": Party.APPLICANT,
                "receiver": Party.AGENT,
                "lines": FORMS,
                "giver_signatory": "张秀英",
                "receiver_signatory": "李帮办",
            }
            return case_url(case, "handovers"), body
        case Action.SUBMIT_TASK:
            return case_url(case, "task-submit", task.pk), body
        case Action.DECIDE_TASK:
            body |= {"decision": "approved", "result": "食品经营许可证"}
            return case_url(case, "task-decide", task.pk), body
        case Action.URGE:
            return case_url(case, "task-urge", task.pk), body | {"note": "申请人急用"}
        case Action.SUPERVISE:
            return case_url(case, "supervise"), body | {"reason": "申请人反映进度慢"}
        case Action.PLAN:
            body |= {"agreed_with": "张秀英", "milestones": [{"title": "选址", "due_on": later}]}
            return case_url(case, "plan"), body
        case Action.PROGRESS:
            return case_url(case, "milestone-done", milestone.pk), body
        case Action.REMOTE_CONSULT:
            return case_url(case, "messages"), body | {"text": "此事项村级能否代办？"}
        case Action.TRANSFER:
            body |= {"unit": world["villages"][1].pk, "reason": "申请人户籍在邻村"}
            return case_url(case, "transfer"), body
        case Action.ESCALATE:
            return case_url(case, "escalate"), body | {"reason": "涉及跨部门审批"}
        case Action.PAUSE:
            return case_url(case, "pause"), body | {"reason": "等申请人补证明"}
        case Action.RESUME:
            return case_url(case, "resume"), body
        case Action.COMPLETE:
            return case_url(case, "complete"), body | {"results": "已取得食品经营许可证"}
        case Action.DELIVER:
            return case_url(case, "deliver"), body | {"method": "window", "receiver": "张秀英"}
        case Action.TERMINATE:
            body |= {
                "requested_by": "applicant",
                "ground": "applicant_request",
                "reason": "申请人不再办理",
            }
            return case_url(case, "terminate"), body
        case Action.RATE:
            return case_url(case, "rating"), body | {"level": 5, "comment": "满意"}
        case Action.ARCHIVE:
            return case_url(case, "archive"), body
    raise AssertionError(f"no request for {action}")
