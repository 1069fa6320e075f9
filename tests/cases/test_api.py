"""The cases API through the HTTP client: every workflow action in every state answers as the
workflow table says (the legal ones change the case, the others answer 409 and change nothing),
whole journeys from registration to archive, each role sees exactly its cases, bad input is a
clear 400, the ledger costs the same queries however long it is, and the schema documents it."""

import importlib
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps as django_apps
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from bangban.cases import services
from bangban.cases.api import CaseListPagination, CaseRowSerializer, CaseSummarySerializer
from bangban.cases.models import Case, Consultation
from bangban.cases.workflow import RULE_OF, RULES, Action, State
from bangban.core.masking import mask_id_number, mask_phone
from bangban.org.models import Role
from tests.cases.api_helpers import (
    FORMS,
    HAN,
    PERSON,
    STARTED,
    api,
    case_in,
    case_url,
    fresh,
    make_allowed,
    make_world,
    post,
    register,
    request_for,
    user,
)
from tests.cases.factories import item_of
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

CASES = reverse("api-case-list")
REGISTRATION = {
    "kind": "proxy",
    "proxy_scope": "full",
    "channel": "window",
    "category": "personal",
    "applicant_type": "person",
    **PERSON,
}
# Where each workflow action is asked for, below /api/v1/cases/{id}/.
ENDPOINTS = {
    Action.ISSUE_NOTICE: "issue-notice",
    Action.RECEIVE_SUPPLEMENT: "receive-supplement",
    Action.ACCEPT: "accept",
    Action.ACCEPT_TOLERATED: "accept",
    Action.REFUSE: "refuse",
    Action.SIGN_AGREEMENT: "sign-agreement",
    Action.START: "start",
    Action.ASSIGN: "assign",
    Action.RECORD_HANDOVER: "handovers",
    Action.SUBMIT_TASK: "tasks/{task_id}/submit",
    Action.DECIDE_TASK: "tasks/{task_id}/decide",
    Action.URGE: "tasks/{task_id}/urge",
    Action.SUPERVISE: "supervise",
    Action.PLAN: "plan",
    Action.PROGRESS: "milestones/{milestone_id}/done",
    Action.REMOTE_CONSULT: "messages",
    Action.TRANSFER: "transfer",
    Action.ESCALATE: "escalate",
    Action.PAUSE: "pause",
    Action.RESUME: "resume",
    Action.COMPLETE: "complete",
    Action.DELIVER: "deliver",
    Action.TERMINATE: "terminate",
    Action.RATE: "rating",
    Action.ARCHIVE: "archive",
}
# Actions that add an entry to a collection of the case answer 201.
CREATING = {Action.RECORD_HANDOVER, Action.REMOTE_CONSULT}


@pytest.fixture
def world(county_with_departments, catalog_admin):
    return make_world(county_with_departments, catalog_admin)


def refused(response, status: int, field: str | None = None, message: str = "") -> dict:
    """The error body, after checking its status, the field at fault and its message: Chinese,
    or `message` where the msgid is new to the API (its translation is added to the catalogue
    with it)."""
    assert response.status_code == status, response.content.decode()
    body = response.json()
    if message:
        assert body["detail"] == message, body
    else:
        assert HAN.search(str(body["detail"])), body
    if field is not None:
        assert body["field"] == field, body
    return body


def field_message(field: str, message: str) -> str:
    return gettext("Field “%(field)s”: %(message)s") % {"field": field, "message": gettext(message)}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content.decode()
    return {row["id"] for row in response.json()["results"]}


def test_routes():
    assert CASES == "/api/v1/cases/"
    assert case_url(7) == "/api/v1/cases/7/"
    assert case_url(7, "task-decide", 3) == "/api/v1/cases/7/tasks/3/decide/"
    assert case_url(7, "milestone-done", 2) == "/api/v1/cases/7/milestones/2/done/"
    assert case_url(7, "archive-check") == "/api/v1/cases/7/archive-check/"
    assert reverse("api-consultation-list") == "/api/v1/consultations/"
    assert reverse("api-meeting-list") == "/api/v1/meetings/"


# --- the workflow table, through the API -------------------------------------------------------


def test_every_action_has_an_illegal_state_the_table_test_reaches():
    """The task and milestone actions name a task or milestone, which only started cases have;
    every action still meets a state where it is refused."""
    needs_start = {Action.SUBMIT_TASK, Action.DECIDE_TASK, Action.URGE, Action.PROGRESS}
    for rule in RULES:
        reachable = STARTED if rule.action in needs_start else set(State)
        assert reachable - rule.sources, rule.action


@pytest.mark.parametrize("state", list(State))
def test_every_action_answers_as_the_workflow_table_says(world, state):
    """In each state, each legal action moves the case as its rule says (a fresh case for
    each); each illegal one answers 409 with the reason in Chinese, and changes nothing."""
    manager = api(world["manager"])  # a town manager may take every action on the village's cases
    for rule in RULES:
        if state not in rule.sources:
            continue
        case = case_in(world, state)
        make_allowed(world, case, rule.action)
        before = fresh(case)
        url, body = request_for(world, case, rule.action)
        response = post(manager, url, body)
        expected = 201 if rule.action in CREATING else 200
        assert response.status_code == expected, (rule.action, response.content.decode())
        answer = response.json()
        assert answer["state"] == (rule.target or before.state), rule.action
        assert answer["revision"] == before.revision + 1, rule.action

    case = case_in(world, state)
    for rule in RULES:
        if state in rule.sources:
            continue
        asked = request_for(world, case, rule.action)
        if asked is None:
            assert state not in STARTED, rule.action
            continue
        before = fresh(case)
        body = refused(post(manager, *asked), 409)
        assert body.get("action", rule.action.value) == rule.action.value
        after = fresh(case)
        assert (after.state, after.revision) == (before.state, before.revision), rule.action


# --- journeys ----------------------------------------------------------------------------------


class Desk:
    """One person's API client working on one case: each step names the revision last read."""

    def __init__(self, client: Client, case: dict):
        self.client, self.case = client, case

    def post(self, endpoint: str, body: dict | None = None, *args, status: int = 200) -> dict:
        url = case_url(self.case["id"], endpoint, *args)
        response = post(self.client, url, {"revision": self.case["revision"], **(body or {})})
        assert response.status_code == status, (endpoint, response.content.decode())
        if status < 300:
            self.case = response.json()
        return response.json()

    def reload(self) -> dict:
        response = self.client.get(case_url(self.case["id"]))
        assert response.status_code == 200
        self.case = response.json()
        return self.case


def test_a_proxy_case_from_registration_to_archive(world):
    agent = api(world["agent_user"])
    response = post(agent, CASES, REGISTRATION | {"items": [world["licence"].pk]})
    assert response.status_code == 201, response.content.decode()
    case = response.json()
    assert (case["state"], case["kind"], case["unit"]["id"]) == (
        "registered",
        "proxy",
        world["village"].pk,
    )
    assert case["agent"]["id"] == world["agent"].pk
    assert case["items"] == [{"id": world["licence"].pk, "name": "食品经营许可"}]
    # Personal data is masked everywhere in the answer.
    assert (case["id_number"], case["phone"]) == ("1101**********002X", "139****5678")
    assert PERSON["id_number"] not in response.content.decode()
    assert PERSON["phone"] not in response.content.decode()
    desk = Desk(agent, case)
    case = desk.reload()
    assert case["items"] == [{"id": world["licence"].pk, "name": "食品经营许可", "version": 1}]
    assert {"issue_notice", "accept", "refuse"} <= set(case["allowed_actions"])

    later = (timezone.localdate() + timedelta(days=5)).isoformat()
    missing = [{"name": "户口簿", "how": "到派出所复印并加盖公章"}]
    desk.post("issue-notice", {"missing": missing, "deadline": later})
    assert desk.case["state"] == "awaiting_materials"
    assert desk.case["notices"][0]["missing"] == missing
    assert desk.post("receive-supplement")["state"] == "registered"
    accepted = desk.post("accept")
    assert accepted["state"] == "accepted" and accepted["deadline"]["due_date"]
    assert accepted["deadline"]["warning"] in ("normal", "due_soon")
    assert isinstance(accepted["deadline"]["remaining"], int)

    body = desk.post("start", status=409)
    assert "委托" in body["detail"] and body["action"] == "start"
    assert desk.reload()["revision"] == accepted["revision"]  # nothing changed
    desk.post("sign-agreement", {"applicant_signatory": "张秀英"})
    assert desk.case["agreement_signed_at"] and "start" in desk.case["allowed_actions"]
    started = desk.post("start")
    assert started["state"] == "in_progress"
    [task] = started["tasks"]
    assert task["department"]["id"] == world["dept"].pk and task["decision"] == ""

    handover = {"giver_signatory": "张秀英", "receiver_signatory": "李帮办", "lines": FORMS}
    desk.post("handovers", handover | {"giver": "applicant", "receiver": "agent"}, status=201)
    assert {(h["party"], h["material"], h["copies"]) for h in desk.case["holdings"]} == {
        ("agent", "营业执照申请书", 1),
        ("agent", "身份证复印件", 2),
    }
    to_department = {
        "giver": "agent",
        "receiver": "department",
        "department": world["dept"].pk,
        "giver_signatory": "李帮办",
        "receiver_signatory": "市场监管局窗口",
        "lines": FORMS,
    }
    desk.post("handovers", to_department, status=201)
    assert {h["holder"] for h in desk.case["holdings"]} == {world["dept"].name}
    assert desk.post("task-submit", None, task["id"])["tasks"][0]["submitted_at"]
    assert desk.post("task-urge", {"note": "申请人急用"}, task["id"])["tasks"][0]["urged"] == 1
    assert "部门" in desk.post("complete", {"results": "已办结"}, status=409)["detail"]

    # The department's liaison sees the case through its task and records the decision.
    liaison = Desk(api(world["liaison"]), desk.reload())
    decided = liaison.post(
        "task-decide", {"decision": "approved", "result": "食品经营许可证"}, task["id"]
    )
    assert decided["tasks"][0]["decision"] == "approved"
    desk.reload()
    assert desk.post("complete", {"results": "已取得食品经营许可证"})["state"] == "completed"
    assert desk.post("deliver", {"method": "window", "receiver": "张秀英"})["state"] == "delivered"

    check = agent.get(case_url(case["id"], "archive-check")).json()
    assert check["complete"] is False and len(check["missing"]) == 1
    assert "评价" in check["missing"][0]
    desk.post("archive", status=409)
    desk.reload()
    desk.post("rating", {"level": 5, "comment": "跑一次就办好了"})
    assert agent.get(case_url(case["id"], "archive-check")).json() == {
        "complete": True,
        "missing": [],
    }
    archived = desk.post("archive")
    assert archived["state"] == "archived" and archived["allowed_actions"] == []
    assert [line["action"] for line in archived["timeline"]] == [
        "register",
        "issue_notice",
        "receive_supplement",
        "accept",
        "sign_agreement",
        "start",
        "record_handover",
        "record_handover",
        "submit_task",
        "urge",
        "decide_task",
        "complete",
        "deliver",
        "rate",
        "archive",
    ]
    # The workflow's labels, in Chinese (registration's own label is the views' msgid).
    assert all(HAN.search(line["action_label"]) for line in archived["timeline"][1:])
    assert not any(line["back_entry"] for line in archived["timeline"])


def test_an_assist_case_is_refused_with_a_reason_then_rated_and_archived(world):
    agent = api(world["agent_user"])
    response = post(agent, CASES, REGISTRATION | {"kind": "assist", "items": [world["licence"].pk]})
    desk = Desk(agent, response.json())
    assert desk.case["proxy_scope"] == ""
    refused(post(agent, case_url(desk.case["id"], "refuse"), {"revision": 0}), 400, "reason")
    body = desk.post("refuse", {"reason": "  "}, status=400)
    assert body["field"] == "reason" and HAN.search(body["detail"])
    assert desk.post("refuse", {"reason": "该事项不在本村可办清单"})["state"] == "refused"
    assert desk.case["closed_at"]
    desk.post("rating", {"level": 3, "source": "qr"})
    assert desk.post("archive")["state"] == "archived"


def test_termination_needs_every_material_handed_back_first(world):
    case = case_in(world, State.IN_PROGRESS)
    desk = Desk(api(world["agent_user"]), {"id": case.pk, "revision": case.revision})
    lines = {"lines": FORMS, "giver_signatory": "张秀英", "receiver_signatory": "李帮办"}
    desk.post("handovers", lines | {"giver": "applicant", "receiver": "agent"}, status=201)
    terminate = {
        "requested_by": "service",
        "ground": "false_materials",
        "reason": "租赁合同系伪造",
    }
    assert "退还" in desk.post("terminate", terminate, status=409)["detail"]
    back = {"lines": FORMS, "giver_signatory": "李帮办", "receiver_signatory": "张秀英"}
    desk.post("handovers", back | {"giver": "agent", "receiver": "applicant"}, status=201)
    assert desk.case["holdings"] == []
    no_reason = {key: value for key, value in terminate.items() if key != "reason"}
    assert desk.post("terminate", no_reason, status=400)["field"] == "reason"
    terminated = desk.post("terminate", terminate)
    assert terminated["state"] == "terminated" and terminated["returned"] is True
    desk.post("rating", {"declined": True})
    assert desk.post("archive")["state"] == "archived"


def test_pause_and_resume(world):
    case = case_in(world, State.IN_PROGRESS)
    desk = Desk(api(world["agent_user"]), {"id": case.pk, "revision": case.revision})
    assert desk.post("pause", {}, status=400)["field"] == "reason"
    paused = desk.post("pause", {"reason": "等申请人补充证明"})
    assert paused["state"] == "paused" and paused["paused_since"] == str(timezone.localdate())
    assert paused["allowed_actions"].count("resume") == 1
    resumed = desk.post("resume")
    assert resumed["state"] == "in_progress" and resumed["paused_since"] is None


def test_transfer_and_escalation_move_the_case_and_who_sees_it(world):
    case = case_in(world, State.REGISTERED)
    agent = api(world["agent_user"])
    neighbour_user = user(unit=world["villages"][1], role=Role.AGENT)
    neighbour = api(neighbour_user)
    desk = Desk(agent, agent.get(case_url(case)).json())
    moved = desk.post("transfer", {"unit": world["villages"][1].pk, "reason": "户籍在邻村"})
    # The case left the agent's area: the answer is its ledger row, and then it is out of sight.
    assert moved["unit"]["id"] == world["villages"][1].pk and moved["agent"] is None
    assert "timeline" not in moved
    refused(agent.get(case_url(case)), 404)
    desk = Desk(neighbour, neighbour.get(case_url(case)).json())
    escalated = desk.post("escalate", {"reason": "涉及跨部门审批"})
    assert escalated["unit"]["id"] == world["town"].pk
    assert escalated["joint_unit"]["id"] == world["villages"][1].pk
    assert desk.reload()["state"] == "registered"  # the tier that asked keeps sight
    assert [line["action"] for line in desk.case["timeline"]] == [
        "register",
        "transfer",
        "escalate",
    ]


def test_plan_milestones_messages_assignment_and_supervision(world):
    case = case_in(world, State.ACCEPTED)
    manager = Desk(api(world["manager"]), {"id": case.pk, "revision": case.revision})
    agent = api(world["agent_user"])
    other = AgentFactory(unit=world["village"], user=user(unit=world["village"], role=Role.AGENT))
    assigned = manager.post("assign", {"agent": other.pk})
    assert assigned["agent"]["id"] == other.pk
    body = post(
        agent, case_url(case, "supervise"), {"revision": assigned["revision"], "reason": "慢"}
    )
    refused(body, 403)
    supervised = manager.post("supervise", {"reason": "申请人反映进度慢"})
    assert supervised["supervised_at"]
    later = (timezone.localdate() + timedelta(days=9)).isoformat()
    planned = manager.post(
        "plan", {"agreed_with": "张秀英", "milestones": [{"title": "完成选址", "due_on": later}]}
    )
    [milestone] = planned["plan"]["milestones"]
    done = manager.post("milestone-done", None, milestone["id"])
    assert done["plan"]["milestones"][0]["done_on"] == str(timezone.localdate())
    no_milestone = gettext("There is no such milestone on this case.")
    refused(
        post(agent, case_url(case, "milestone-done", 9999), {"revision": 0}),
        404,
        None,
        no_milestone,
    )
    message = manager.post("messages", {"text": "可以，按一次性告知办理"}, status=201)
    assert message["messages"][0]["author_unit"]["id"] == world["town"].pk


def test_a_stale_revision_is_refused_and_changes_nothing(world):
    case = case_in(world, State.REGISTERED)
    agent = api(world["agent_user"])
    body = refused(post(agent, case_url(case, "accept"), {"revision": case.revision + 1}), 409)
    assert "刷新" in body["detail"]
    assert fresh(case).state == State.REGISTERED and fresh(case).revision == case.revision


def test_bad_input_is_a_clear_400(world):
    case = case_in(world, State.IN_PROGRESS)
    agent = api(world["agent_user"])
    complete = case_url(case, "complete")
    body = refused(post(agent, complete, {"results": "已办结"}), 400, "revision")
    assert "revision" in body["detail"]
    misspelt = {"revision": case.revision, "results": "x", "occured_at": "x"}
    unknown = field_message("occured_at", "This field is not part of this request.")
    refused(post(agent, complete, misspelt), 400, "occured_at", unknown)
    naive = {"revision": case.revision, "results": "x", "occurred_at": "2026-01-05T09:00:00"}
    refused(post(agent, complete, naive), 400, "occurred_at")
    refused(post(agent, complete, ["revision"]), 400)
    broken = agent.post(complete, data="{revision: 1", content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["detail"] == gettext("The request body is not valid JSON.")
    deliver = {"revision": case.revision, "method": "drone", "receiver": "张秀英"}
    refused(post(agent, case_url(case, "deliver"), deliver), 400, "method")
    handover = {
        "revision": case.revision,
        "giver": "applicant",
        "receiver": "agent",
        "giver_signatory": "张秀英",
        "receiver_signatory": "李帮办",
        "lines": [{"material": "身份证复印件", "copies": "两份"}],
    }
    body = refused(post(agent, case_url(case, "handovers"), handover), 400, "lines")
    assert "lines.0.copies" in body["detail"]
    no_task = gettext("There is no such task on this case.")
    refused(post(agent, case_url(case, "task-submit", 9999), {"revision": 0}), 404, None, no_task)
    refused(agent.get(case_url(999999)), 404)
    refused(agent.get(CASES, {"state": "lost"}), 400, "state")
    refused(post(agent, CASES, REGISTRATION | {"items": [999999]}), 400, "items")
    refused(
        post(agent, CASES, REGISTRATION | {"items": [world["licence"].pk], "phone": "1"}),
        400,
        "phone",
    )
    assert fresh(case).revision == case.revision


def test_back_entry_is_marked_and_needs_a_reason(world):
    agent = api(world["agent_user"])
    two_days_ago = (timezone.now() - timedelta(days=2)).isoformat()
    registration = REGISTRATION | {"items": [world["licence"].pk], "occurred_at": two_days_ago}
    refused(post(agent, CASES, registration), 400, "back_entry_reason")
    response = post(agent, CASES, registration | {"back_entry_reason": "下乡断网纸质登记"})
    assert response.status_code == 201, response.content.decode()
    desk = Desk(agent, response.json())
    [line] = desk.reload()["timeline"]
    assert line["back_entry"] and line["back_entry_reason"] == "下乡断网纸质登记"
    yesterday = timezone.now() - timedelta(days=1)
    accepted = desk.post(
        "accept", {"occurred_at": yesterday.isoformat(), "back_entry_reason": "纸质受理"}
    )
    assert accepted["accepted_on"] == str(timezone.localdate(yesterday))
    assert [line["back_entry"] for line in accepted["timeline"]] == [True, True]


# --- who sees what -----------------------------------------------------------------------------


def test_each_role_sees_exactly_its_cases_and_404_for_the_rest(world):
    villages, towns = world["villages"], world["towns"]
    staff = {
        "v11": world["agent_user"],
        "v12": user(unit=villages[1], role=Role.AGENT),
        "v21": user(unit=villages[2], role=Role.AGENT),
        "town1_manager": world["manager"],
        "town2_manager": user(unit=towns[1], role=Role.MANAGER),
        "liaison": world["liaison"],
        "centre_admin": user(unit=world["county"], role=Role.CENTRE_ADMIN),
        "supervisor": user(unit=world["county"], role=Role.SUPERVISOR),
        "sysadmin": user(unit=None, role=Role.SYSADMIN),
        "applicant": user(unit=None, role=Role.APPLICANT),
    }
    for key in ("v12", "v21"):
        AgentFactory(unit=staff[key].unit, user=staff[key])
    c11 = case_in(world, State.IN_PROGRESS)  # its task is at the liaison's department
    c12 = register(world, actor=staff["v12"], unit=villages[1])
    c21 = register(world, actor=staff["v21"], unit=villages[2])
    everything = {c11.pk, c12.pk, c21.pk}
    expected = {
        "v11": {c11.pk},
        "v12": {c12.pk},
        "v21": {c21.pk},
        "town1_manager": {c11.pk, c12.pk},
        "town2_manager": {c21.pk},
        "liaison": {c11.pk},
        "centre_admin": everything,
        "supervisor": everything,
        "sysadmin": everything,
        "applicant": set(),
    }
    for key, person in staff.items():
        client = api(person)
        assert ids(client.get(CASES)) == expected[key], key
        for pk in everything:
            response = client.get(case_url(pk))
            assert response.status_code == (200 if pk in expected[key] else 404), key
            if pk not in expected[key]:
                refused(response, 404)
                refused(post(client, case_url(pk, "messages"), {"revision": 0, "text": "?"}), 404)
    assert Client().get(CASES).status_code == 401


def test_supervisors_read_but_every_write_is_refused(world):
    case = case_in(world, State.REGISTERED)
    supervisor = api(user(unit=world["county"], role=Role.SUPERVISOR))
    assert supervisor.get(case_url(case)).status_code == 200
    url, body = request_for(world, case, Action.ACCEPT)
    assert "监督" in refused(post(supervisor, url, body), 403)["detail"]
    registration = REGISTRATION | {"unit": world["village"].pk, "items": [world["licence"].pk]}
    refused(post(supervisor, CASES, registration), 403)
    consultation = {"channel": "phone", "asker": "张", "topic": "问", "answer": "答"}
    refused(post(supervisor, reverse("api-consultation-list"), consultation), 403)
    assert fresh(case).revision == case.revision
    assert Case.objects.count() == 1 and not Consultation.objects.exists()


def test_a_user_without_a_unit_names_the_unit(world):
    sysadmin = api(user(unit=None, role=Role.SYSADMIN))
    registration = REGISTRATION | {"items": [world["licence"].pk]}
    refused(post(sysadmin, CASES, registration), 400, "unit")
    response = post(sysadmin, CASES, registration | {"unit": world["village"].pk})
    assert response.status_code == 201 and response.json()["unit"]["id"] == world["village"].pk
    # The consultation thread is between tiers: a message is signed with the author's unit.
    case = response.json()
    message = {"revision": case["revision"], "text": "请核实"}
    no_unit = gettext("Only staff who belong to a unit can write on the thread.")
    refused(post(sysadmin, case_url(case["id"], "messages"), message), 403, None, no_unit)


def test_the_token_authenticates_integrators(world):
    case = case_in(world, State.REGISTERED)
    token = Token.objects.create(user=world["agent_user"])
    integrator = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert ids(integrator.get(CASES)) == {case.pk}
    response = post(integrator, case_url(case, "accept"), {"revision": case.revision})
    assert response.status_code == 200 and response.json()["state"] == "accepted"


# --- the ledger --------------------------------------------------------------------------------


def test_the_ledger_filters_and_queues(world):
    first = register(world)
    second = register(world, channel="phone", category="enterprise", applicant=PERSON)
    services.case_accept(actor=world["agent_user"], case=second, revision=second.revision)
    unassigned = register(world, actor=world["manager"])
    agent = api(world["agent_user"])
    manager = api(world["manager"])
    today = timezone.localdate()
    assert ids(agent.get(CASES)) == {first.pk, second.pk, unassigned.pk}
    assert ids(agent.get(CASES, {"state": "accepted"})) == {second.pk}
    assert ids(agent.get(CASES, {"channel": "phone", "category": "enterprise"})) == {second.pk}
    assert ids(agent.get(CASES, {"q": first.number})) == {first.pk}
    assert ids(agent.get(CASES, {"q": "张秀英", "item": world["licence"].pk})) == {
        first.pk,
        second.pk,
        unassigned.pk,
    }
    assert ids(agent.get(CASES, {"warning": "overdue"})) == set()
    assert ids(agent.get(CASES, {"registered_from": today.isoformat()})) == {
        first.pk,
        second.pk,
        unassigned.pk,
    }
    assert ids(agent.get(CASES, {"registered_to": str(today - timedelta(days=1))})) == set()
    assert ids(agent.get(CASES, {"queue": "mine"})) == {first.pk, second.pk}
    assert ids(manager.get(CASES, {"queue": "unassigned"})) == set()  # the village's, not his
    rows = {row["id"]: row for row in agent.get(CASES).json()["results"]}
    assert rows[second.pk]["warning"] in ("normal", "due_soon")
    assert rows[first.pk]["warning"] is None and rows[first.pk]["due_date"] is None
    assert rows[first.pk]["phone"] == "139****5678"
    assert rows[first.pk]["items"] == [{"id": world["licence"].pk, "name": "食品经营许可"}]
    refused(agent.get(CASES, {"queue": "someone_elses"}), 400, "queue")


# The session and its user (2), the user's unit (1), the units of the user's area (1), the
# page (1, no count), the page's items (1), the working-day calendar for the warning levels
# (2, read once into the process's snapshot), the session's renewal (3).
LEDGER_QUERIES = 11


def test_the_ledger_costs_the_same_queries_however_many_cases(world, django_assert_max_num_queries):
    manager = api(world["manager"])
    for total in (5, 25):
        while Case.objects.count() < total:
            case = register(world, special_group=Case.objects.count() % 3 == 0)
            if case.pk % 2:  # half of them accepted, with a due date and a warning level
                services.case_accept(actor=world["agent_user"], case=case, revision=case.revision)
        with django_assert_max_num_queries(LEDGER_QUERIES):
            response = manager.get(CASES, {"page_size": 50})
        assert len(response.json()["results"]) == total


def test_the_ledger_row_matches_the_case_summary(world):
    """The list's one-pass row says what the case summary (the detail's base) says."""
    case = case_in(world, State.ACCEPTED)
    green = register(world, special_group=True, actor=world["manager"])
    manager = api(world["manager"])
    rows = {row["id"]: row for row in manager.get(CASES).json()["results"]}
    for one in (case, green):
        detail = manager.get(case_url(one)).json()
        # The case page's items also name the guide's version.
        detail["items"] = [{"id": item["id"], "name": item["name"]} for item in detail["items"]]
        assert rows[one.pk] == {key: detail[key] for key in CaseSummarySerializer.Meta.fields}
    assert rows[green.pk]["agent"] is None and rows[case.pk]["agent"]["name"] == "李帮办"
    assert rows[case.pk]["id_number"].startswith(PERSON["id_number"][:4])
    assert "*" in rows[case.pk]["id_number"] and rows[case.pk]["phone"] == "139****5678"


def _ledger_order(cases: list[Case]) -> list[int]:
    """The ledger's order, computed here: green channel first, by due date with the cases
    without one last, the latest registered first, then by id."""

    def key(case: Case):
        return (
            not case.special_group,
            case.due_date is None,
            case.due_date or date.min,
            -case.registered_at.timestamp(),
            case.pk,
        )

    return [case.pk for case in sorted(cases, key=key)]


def _pages(client: Client, url: str, params: dict | None = None, link: str = "next"):
    """Every page from `url` on, following `link`: the rows' ids of each page."""
    pages = []
    while url:
        response = client.get(url, params)
        assert response.status_code == 200, response.content.decode()
        body = response.json()
        assert "count" not in body
        pages.append([row["id"] for row in body["results"]])
        url, params = body[link], None
    return pages


@pytest.fixture
def ties(world):
    """Twelve cases whose sort keys tie in every way the ledger meets: the same due date, the
    same registration moment, no due date yet, and green-channel cases among them."""
    moment = timezone.now().replace(microsecond=0) - timedelta(days=3)
    day = timezone.localdate() + timedelta(days=5)
    keys = [
        # (green channel, due date, registered at)
        (True, day, moment),
        (True, None, moment),
        (False, day, moment),
        (False, day, moment),
        (False, day, moment - timedelta(hours=1)),
        (False, day - timedelta(days=1), moment),
        (False, None, moment),
        (False, None, moment),
        (False, None, moment + timedelta(hours=1)),
        (True, day, moment),
        (False, day, moment + timedelta(microseconds=1)),
        (False, None, moment),
    ]
    for green, due, registered in keys:
        case = register(world)
        Case.objects.filter(pk=case.pk).update(
            special_group=green, due_date=due, registered_at=registered
        )
    return list(Case.objects.all())


@pytest.mark.parametrize("size", [1, 2, 5, 12, 50])
def test_paging_through_the_ledger_returns_every_case_once_in_order(world, ties, size):
    expected = _ledger_order(ties)
    manager = api(world["manager"])
    forward = _pages(manager, CASES, {"page_size": size})
    assert [pk for page in forward for pk in page] == expected
    assert all(len(page) == size for page in forward[:-1]) and forward[-1]
    # And back from the last page, by the previous links: the same pages, in reverse.
    last = manager.get(CASES, {"page_size": size})
    for _page in forward[1:]:
        last = manager.get(last.json()["next"])
    assert last.json()["next"] is None
    backward = _pages(manager, last.json()["previous"], link="previous") if size < 12 else []
    assert [*reversed(backward), forward[-1]] == forward
    assert manager.get(CASES, {"page_size": size}).json()["previous"] is None


def test_a_page_keeps_the_filters_and_a_case_that_moves_is_not_repeated(world, ties):
    manager = api(world["manager"])
    first = manager.get(CASES, {"page_size": 4, "category": "personal"}).json()
    assert "category=personal" in first["next"] and "page_size=4" in first["next"]
    # A case already seen gets a later due date: it sorts after the cursor, and is seen again
    # only there; the cases not yet seen all still come.
    seen = [row["id"] for row in first["results"]]
    Case.objects.filter(pk=seen[0]).update(due_date=None, special_group=False)
    rest = [pk for page in _pages(manager, first["next"]) for pk in page]
    assert set(rest) | set(seen) == {case.pk for case in ties}
    assert not (set(rest) & set(seen[1:]))


CURSOR_REFUSED = (
    "This page link is not valid: it was altered or belongs to another list. "
    "Start again from the first page."
)


def test_an_altered_cursor_is_refused_with_a_clear_400(world, ties):
    manager = api(world["manager"])
    link = manager.get(CASES, {"page_size": 3}).json()["next"]
    cursor = parse_qs(urlsplit(link).query)["cursor"][0]
    position, _sep, signature = cursor.rpartition(":")
    payload = signing.loads(cursor, salt=CaseListPagination()._salt())
    forged = [
        position + ":" + signature[:-1] + ("A" if signature[-1] != "A" else "B"),
        # A position moved by hand, kept in the cursor's format, without the key.
        signing.dumps(payload | {"p": [False, None, None, 1]}, salt="guessed"),
        signing.dumps(payload, salt="bangban.core.api.KeysetPagination:-occurred_at,id"),
        "not-a-cursor",
    ]
    for value in forged:
        body = refused(
            manager.get(CASES, {"cursor": value}), 400, "cursor", gettext(CURSOR_REFUSED)
        )
        assert body["code"] == "ValidationFailed"
    assert manager.get(CASES, {"cursor": cursor}).status_code == 200


def test_the_ledger_reads_no_encrypted_column(world, ties, monkeypatch):
    """Nothing is decrypted for the list (not the case's identifiers, not its agent's): the
    masked forms are stored, and only the columns a row shows are read."""
    manager = api(world["manager"])
    manager.get(CASES)  # the session and the calendar are read once before counting

    def refuse(token: str) -> str:
        raise AssertionError("the ledger decrypted a value")

    monkeypatch.setattr("bangban.core.crypto.decrypt", refuse)
    with CaptureQueriesContext(connection) as queries:
        first = manager.get(CASES, {"page_size": 5})
        manager.get(first.json()["next"])
    assert first.status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    for table in ('"cases_case"', '"org_agent"'):
        for column in ('"id_number"', '"phone"', '"address"'):
            assert f"{table}.{column}" not in sql, (table, column)
    assert '"phone_masked"' in sql


def test_every_ledger_page_costs_the_same_queries(world, ties, django_assert_num_queries):
    token = Token.objects.create(user=world["manager"])
    manager = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    first = manager.get(CASES, {"page_size": 4})  # the calendar snapshot is read once
    # The token with its user and the user's unit (1, org.authentication), the page with its
    # items (1, no count; a town's staff read by the case's town, cases.area, with no list of
    # the area's units): the same for every page, forward or back, and any size.
    with django_assert_num_queries(2):
        second = manager.get(first.json()["next"])
    with django_assert_num_queries(2):
        manager.get(second.json()["previous"])
    with django_assert_num_queries(2):
        manager.get(CASES, {"page_size": 500})
    # A village point's agent reads the units of its area (1) as well.
    token = Token.objects.create(user=world["agent_user"])
    agent = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    with django_assert_num_queries(3):
        agent.get(CASES, {"page_size": 500})


def test_existing_cases_get_their_masked_identifiers(world):
    """The migration that adds the masked columns fills them for the cases already there."""
    case = register(world)
    Case.objects.filter(pk=case.pk).update(id_number_masked="", phone_masked="")
    fill = importlib.import_module("bangban.cases.migrations.0008_case_masked_identifiers").fill
    fill(django_apps, SimpleNamespace(connection=connection))
    case = fresh(case)
    assert case.phone_masked == mask_phone(case.phone) == "139****5678"
    assert case.id_number_masked == mask_id_number(case.id_number) != ""


# --- consultations and meetings ----------------------------------------------------------------


def test_consultations_are_logged_listed_in_scope_and_become_cases(world):
    agent = api(world["agent_user"])
    consultations = reverse("api-consultation-list")
    response = post(
        agent,
        consultations,
        {
            "channel": "phone",
            "asker": "张秀英",
            "phone": "13912345678",
            "item": world["licence"].pk,
            "topic": "开小饭馆要办什么证",
            "answer": "食品经营许可，材料见一次性告知",
        },
    )
    assert response.status_code == 201, response.content.decode()
    logged = response.json()
    assert logged["phone"] == "139****5678" and logged["unit"]["id"] == world["village"].pk
    refused(post(agent, consultations, {"channel": "phone", "asker": "张"}), 400, "topic")
    assert agent.get(consultations).json()["count"] == 1
    outsider = user(unit=world["towns"][1], role=Role.MANAGER)
    assert api(outsider).get(consultations).json()["count"] == 0

    registration = REGISTRATION | {"items": [world["licence"].pk]}
    outsider_agent = user(unit=world["villages"][2], role=Role.AGENT)
    body = registration | {"consultation": logged["id"]}
    refused(post(api(outsider_agent), CASES, body), 400, "consultation")
    case = post(agent, CASES, body).json()
    assert agent.get(consultations).json()["results"][0]["case"] == case["id"]


def test_meetings_link_the_cases_of_the_recorders_area(world):
    case = case_in(world, State.IN_PROGRESS)
    meetings = reverse("api-meeting-list")
    meeting = {
        "kind": "departments",
        "held_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "attendees": "镇便民服务中心、县市场监督管理局",
        "issues": "选址与规划冲突",
        "decisions": "市场监管局上门核查",
        "cases": [case.pk],
    }
    manager = api(world["manager"])
    response = post(manager, meetings, meeting)
    assert response.status_code == 201, response.content.decode()
    recorded = response.json()
    assert recorded["cases"] == [{"id": case.pk, "number": case.number}]
    assert recorded["unit"]["id"] == world["town"].pk
    assert manager.get(meetings).json()["count"] == 1
    outsider = api(user(unit=world["towns"][1], role=Role.MANAGER))
    refused(post(outsider, meetings, meeting), 400, "cases")
    refused(post(manager, meetings, meeting | {"held_at": "2026-01-05T09:00"}), 400, "held_at")


# --- the schema --------------------------------------------------------------------------------


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else node


def test_the_schema_documents_every_action_with_its_body(client):
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(ENDPOINTS) == set(Action)
    assert {"get", "post"} <= set(paths["/api/v1/cases/"])
    assert "get" in paths["/api/v1/cases/{id}/"]
    assert "get" in paths["/api/v1/cases/{id}/archive-check/"]
    assert {"get", "post"} <= set(paths["/api/v1/consultations/"])
    assert "post" in paths["/api/v1/meetings/"]
    for action, endpoint in ENDPOINTS.items():
        operation = paths[f"/api/v1/cases/{{id}}/{endpoint}/"]["post"]
        body = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
        required = set(body.get("required", ()))
        assert "revision" in required, action
        assert ("reason" in required) == RULE_OF[action].needs_reason, action
        assert {"200", "201"} & set(operation["responses"]), action
        assert {"400", "403", "404", "409"} <= set(operation["responses"]), action
        assert action.value in operation["description"], action
    listing = paths["/api/v1/cases/"]["get"]
    parameters = {p["name"] for p in listing["parameters"]}
    assert {"state", "item", "warning", "registered_from", "q", "queue"} <= parameters
    assert {"cursor", "page_size"} <= parameters and "page" not in parameters
    # The list answers cursor links and its rows, without a count; a row has the keys the
    # ledger row serializer writes, which are the case summary's.
    page = _resolve(schema, listing["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(page["properties"]) == {"next", "previous", "results"}
    row = _resolve(schema, page["properties"]["results"]["items"])
    assert set(row["properties"]) == set(CaseSummarySerializer.Meta.fields)
    assert set(CaseRowSerializer().fields) == set(CaseSummarySerializer.Meta.fields)


def test_the_registration_answer_is_the_new_cases_ledger_row(world, catalog_admin):
    """201 answers the row the ledger list gives for the new case — built from what the service
    holds, not read back and not the whole detail — and `Location` is where the whole case is
    read. Items by id, several in their order, or a bundle's."""
    from bangban.catalog.models import Bundle, BundleMember

    social = item_of(world["dept"], actor=catalog_admin, name="社会保险登记", limit_days=3)
    bundle = Bundle.objects.create(name="开办餐饮店一件事", lead_department=world["dept"])
    for position, item in enumerate([social, world["licence"]]):
        BundleMember.objects.create(bundle=bundle, position=position, name=item.name, item=item)
    agent = api(world["agent_user"])
    for body in (
        REGISTRATION | {"items": [world["licence"].pk]},
        REGISTRATION | {"kind": "assist", "items": [social.pk, world["licence"].pk]},
        REGISTRATION | {"items": [], "bundle": bundle.pk},
        REGISTRATION
        | {
            "category": "enterprise",
            "applicant_type": "enterprise",
            "applicant_name": "某某食品有限公司",
            "legal_representative": "王五",
            "credit_code": "91350100M000100Y43",
            "items": [world["licence"].pk],
        },
    ):
        with CaptureQueriesContext(connection) as registering:
            response = post(agent, CASES, body)
        # Read now: the captured list is a view of the connection's log, which the next
        # request clears.
        statements = [q["sql"] for q in registering.captured_queries]
        assert response.status_code == 201, response.content.decode()
        created = response.json()
        [row] = [r for r in agent.get(CASES).json()["results"] if r["id"] == created["id"]]
        assert created == row
        assert created["items"] and created["agent"] is not None
        assert response["Location"] == case_url(created["id"])
        assert agent.get(response["Location"]).json()["number"] == created["number"]
        # Nothing of the case is read back (nor the detail's handovers, tasks, notices…).
        read_back = [sql for sql in statements if 'FROM "cases_case' in sql]
        assert read_back == [], read_back
        # The registering agent's record is read alone: not sorted in the roster's order,
        # which would join the unit table.
        [agent_read] = [sql for sql in statements if 'FROM "org_agent"' in sql]
        assert "JOIN" not in agent_read and "ORDER BY" not in agent_read, agent_read


def test_a_time_before_the_year_2000_is_refused_not_written_back_unreadable(world):
    """Found by the fuzzed API: a meeting held in the year 3 was recorded, and its answer wrote
    the time in the zone's offset of that year, `+08:05:43`, which is no ISO 8601 date-time
    (the schema's `date-time`). Nothing the platform records happened before 2000."""
    from rest_framework.test import APIClient

    from bangban.cases.models import Meeting

    manager = APIClient()
    manager.force_authenticate(world["manager"])
    meeting = {
        "kind": "on_site",
        "attendees": "镇长、市场监管所",
        "issues": "现场核查",
        "decisions": "三日内完成",
    }
    for held_at in ("0003-01-01T00:00:02Z", "1900-12-31T23:59:59+08:00"):
        response = manager.post("/api/v1/meetings/", meeting | {"held_at": held_at})
        body = refused(response, 400, "held_at")
        assert gettext("The time cannot be before the year 2000.") in body["detail"]
    assert not Meeting.objects.exists()
    consultation = {"channel": "phone", "asker": "张", "topic": "问", "answer": "答"}
    response = manager.post(
        "/api/v1/consultations/", consultation | {"occurred_at": "1899-01-01T00:00:00Z"}
    )
    refused(response, 400, "occurred_at")
    held_at = (timezone.now() - timedelta(hours=1)).isoformat()
    recorded = manager.post("/api/v1/meetings/", meeting | {"held_at": held_at})
    assert recorded.status_code == 201, recorded.content.decode()
    assert recorded.json()["held_at"].endswith("+08:00")
