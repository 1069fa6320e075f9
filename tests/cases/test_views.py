"""The workbench through the HTTP client: who sees which queues and case pages, which action
buttons each role gets, the action forms (success, illegal action, stale revision, bad input,
back-entry) and bounded query counts on the lists and the case page."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bangban.cases import services
from bangban.cases.models import CaseLog, Deficiency, Handover, Notice, Party
from bangban.cases.views import ACTION_PAGES
from bangban.cases.workflow import Action, State
from bangban.org.models import Role
from tests.cases.factories import case_in_state, item_of
from tests.factories import AgentFactory, UserFactory, county_tree

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
LINES = {
    "lines-TOTAL_FORMS": "2",
    "lines-INITIAL_FORMS": "0",
    "lines-0-material": "营业执照申请书",
    "lines-0-copies": "1",
    "lines-0-original": "on",
    "lines-1-material": "身份证复印件",
    "lines-1-copies": "2",
}


@pytest.fixture
def world():
    tree = county_tree()
    village, town = tree["villages"][0], tree["towns"][0]
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    # One working day: a case accepted today is due the next working day ("due soon").
    item = item_of(tree["dept"], actor=admin, name="个体工商户登记", limit_days=1)
    users = {
        "agent": UserFactory(unit=village, role=Role.AGENT, full_name="李帮办"),
        "other_agent": UserFactory(unit=tree["villages"][2], role=Role.AGENT),
        "town_agent": UserFactory(unit=town, role=Role.AGENT, full_name="王代办"),
        "manager": UserFactory(unit=town, role=Role.MANAGER),
        "liaison": UserFactory(unit=tree["dept"], role=Role.LIAISON),
        "centre_admin": admin,
        "supervisor": UserFactory(unit=tree["county"], role=Role.SUPERVISOR),
        "sysadmin": UserFactory(unit=None, role=Role.SYSADMIN),
        "applicant": UserFactory(unit=None, role=Role.APPLICANT),
    }
    for key in ("agent", "other_agent", "town_agent"):
        user = users[key]
        AgentFactory(unit=user.unit, user=user, name=user.full_name or user.username)
    return {**tree, "item": item, "users": users, "village": village, "town": town}


def make(world, state, user="agent", **extra):
    return case_in_state(state, actor=world["users"][user], items=[world["item"]], **extra)


def fresh(case):
    case.refresh_from_db()
    return case


def login(client, world, user):
    client.force_login(world["users"][user])
    return client


def workbench(client, **params):
    return client.get(reverse("cases:workbench"), params)


def detail(client, case):
    return client.get(reverse("cases:detail", args=[case.pk]))


def act_url(case, action):
    return reverse("cases:act", args=[case.pk, action])


def act(client, case, action, data=None, *, revision=None):
    """Post an action form as the browser does: with the revision the page was read at."""
    revision = fresh(case).revision if revision is None else revision
    return client.post(act_url(case, action), {"revision": revision, **(data or {})})


def shown_cases(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-case="(\d+)"', response.content.decode())}


def offered(response) -> set[str]:
    return set(re.findall(r'data-action="(\w+)"', response.content.decode()))


# Visibility ------------------------------------------------------------------------------


def test_each_role_sees_its_own_area_on_the_workbench_and_case_pages(world, client):
    own = make(world, State.REGISTERED)
    elsewhere = make(world, State.IN_PROGRESS, user="other_agent")  # a task at the department
    unassigned = make(world, State.REGISTERED, user="manager")
    everything = {own, elsewhere, unassigned}
    expected = {
        "agent": {own},
        "other_agent": {elsewhere},
        "manager": {own, unassigned},
        "liaison": {elsewhere},  # through its department's task
        "centre_admin": everything,
        "supervisor": everything,
        "sysadmin": everything,
    }
    for key, cases in expected.items():
        login(client, world, key)
        response = workbench(client, queue="all")
        assert response.status_code == 200, key
        assert shown_cases(response) == {c.pk for c in cases}, key
        # Registration is offered where cases are registered: staff of a service point.
        offered = reverse("desk:register") in response.content.decode()
        assert offered == (key in {"agent", "other_agent", "manager", "centre_admin"}), key
        for case in everything:
            assert detail(client, case).status_code == (200 if case in cases else 404), key
            assert client.get(act_url(case, "record_handover")).status_code in (
                (200, 403) if case in cases else (404,)
            ), key
    login(client, world, "applicant")
    assert workbench(client).status_code == 403
    client.logout()
    assert workbench(client).status_code == 302  # to the login page


def test_the_case_page_masks_the_applicant_and_shows_items_deadline_and_timeline(world, client):
    case = make(world, State.IN_PROGRESS)
    page = detail(login(client, world, "agent"), case).content.decode()
    assert "1101**********002X" in page and "11010519491231002X" not in page
    assert "139****5678" in page and "13912345678" not in page
    assert "个体工商户登记" in page and reverse("item-version", args=[world["item"].pk, 1]) in page
    assert 'data-warning="due_soon"' in page  # one working day left
    assert re.findall(r'data-log="(\w+)"', page) == ["register", "accept", "start"]
    assert 'data-document="acceptance_receipt"' in page
    assert 'data-task-action="submit_task"' in page and 'data-task-action="urge"' in page


def test_action_buttons_follow_the_role_and_readers_cannot_post(world, client):
    case = make(world, State.IN_PROGRESS)
    buttons = {}
    for key in ("agent", "manager", "liaison", "centre_admin", "supervisor", "sysadmin"):
        buttons[key] = offered(detail(login(client, world, key), case))
    assert {"record_handover", "submit_task", "decide_task", "urge", "pause"} <= buttons["agent"]
    assert not {"assign", "supervise", "complete", "accept"} & buttons["agent"]
    assert {"assign", "supervise"} <= buttons["manager"] & buttons["centre_admin"]
    assert {"assign", "supervise"} <= buttons["sysadmin"]
    assert "remote_consult" in buttons["agent"] and "remote_consult" not in buttons["sysadmin"]
    assert buttons["liaison"] == {"decide_task"}
    assert buttons["supervisor"] == set()
    revision = fresh(case).revision
    for key, action in (("supervisor", "pause"), ("liaison", "pause"), ("agent", "assign")):
        login(client, world, key)
        assert client.get(act_url(case, action)).status_code == 403, key
        assert act(client, case, action, {"reason": "测试"}).status_code == 403, key
    assert fresh(case).state == State.IN_PROGRESS and fresh(case).revision == revision
    login(client, world, "liaison")
    assert client.get(act_url(case, "decide_task")).status_code == 200


def test_queues_list_what_they_promise(world, client, monkeypatch):
    mine = make(world, State.IN_PROGRESS)
    unassigned = make(world, State.REGISTERED, user="manager")
    green = make(world, State.REGISTERED, category="special_group")
    login(client, world, "agent")
    assert shown_cases(workbench(client, queue="mine")) == {mine.pk, green.pk}
    page = workbench(client, queue="mine").content.decode()
    assert page.index(f'data-case="{green.pk}"') < page.index(f'data-case="{mine.pk}"')
    assert 'data-testid="green-channel"' in page
    assert shown_cases(workbench(client, queue="due_soon")) == {mine.pk}
    assert shown_cases(workbench(client, queue="mine", q=green.number)) == {green.pk}
    assert shown_cases(workbench(client, queue="mine", state="in_progress")) == {mine.pk}
    assert workbench(client, queue="nonsense").status_code == 404
    login(client, world, "manager")
    page = workbench(client, queue="unassigned").content.decode()
    assert shown_cases(workbench(client, queue="unassigned")) == {unassigned.pk}
    assert act_url(unassigned, "assign") in page  # 派单 from the queue
    login(client, world, "liaison")
    page = workbench(client).content.decode()  # a liaison starts on the department's tasks
    task = mine.tasks.get()
    assert f'data-task="{task.pk}"' in page
    assert f"{act_url(mine, 'decide_task')}?task={task.pk}" in page
    today = timezone.localdate()
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: today + timedelta(14))
    login(client, world, "agent")
    response = workbench(client, queue="overdue")
    assert (
        shown_cases(response) == {mine.pk} and 'data-warning="overdue"' in response.content.decode()
    )


def test_filtering_with_htmx_returns_the_table_alone(world, client):
    case = make(world, State.REGISTERED)
    login(client, world, "agent")
    response = client.get(
        reverse("cases:workbench"),
        {"queue": "all", "q": case.applicant_name},
        headers={"HX-Request": "true", "HX-Target": "case-table"},
    )
    page = response.content.decode()
    assert shown_cases(response) == {case.pk}
    assert "<html" not in page and 'hx-swap-oob="true"' in page
    assert "HX-Request" in response["Vary"]
    response = workbench(client, registered_from="2026-02-01", registered_to="2026-01-01")
    assert 'data-testid="filter-errors"' in response.content.decode()


# Action forms ----------------------------------------------------------------------------


def test_an_assist_case_goes_from_registration_to_archive_through_the_forms(world, client):
    case = make(world, State.REGISTERED)
    login(client, world, "agent")
    assert client.get(act_url(case, "issue_notice")).status_code == 200
    deadline = timezone.localdate() + timedelta(days=5)
    notice = {
        "deadline": f"{deadline:%Y-%m-%d}",
        "missing-TOTAL_FORMS": "3",
        "missing-INITIAL_FORMS": "0",
        "missing-0-name": "户口簿",
        "missing-0-how": "到派出所复印",
    }
    response = act(client, case, "issue_notice", notice)
    # Back on the case page, which offers the notice the step produced to print at once.
    detail = reverse("cases:detail", args=[case.pk]) + "?after=issue_notice"
    assert response.status_code == 302 and response["Location"] == detail
    page = client.get(detail).content.decode()
    assert 'data-form="one_time_notice" data-just="1"' in page
    assert fresh(case).state == State.AWAITING_MATERIALS
    assert Notice.objects.get(case=case).missing == [{"name": "户口簿", "how": "到派出所复印"}]
    for action, state in (("receive_supplement", State.REGISTERED), ("accept", State.ACCEPTED)):
        assert act(client, case, action).status_code == 302
        assert fresh(case).state == state
    assert (
        act(
            client,
            case,
            "record_handover",
            LINES
            | {
                "giver": Party.APPLICANT,
                "receiver": Party.AGENT,
                "giver_signatory": "张秀英",
                "receiver_signatory": "李帮办",
            },
        ).status_code
        == 302
    )
    assert act(client, case, "start").status_code == 302
    task = case.tasks.get()
    assert act(client, case, "submit_task", {"task": task.pk}).status_code == 302
    login(client, world, "liaison")
    decided = {"task": task.pk, "decision": "approved", "result": "营业执照"}
    assert act(client, case, "decide_task", decided).status_code == 302
    login(client, world, "agent")
    assert act(client, case, "complete", {"results": "已取得营业执照"}).status_code == 302
    page = client.get(act_url(case, "deliver")).content.decode()
    assert 'name="occurred_at"' in page and "<details" in page  # 补录, collapsed
    delivered = {"method": "window", "receiver": "张秀英"}
    assert act(client, case, "deliver", delivered).status_code == 302
    page = client.get(act_url(case, "archive")).content.decode()
    assert 'data-testid="archive-missing"' in page and 'data-testid="action-form"' not in page
    assert act(client, case, "rate", {"level": "5", "source": "window"}).status_code == 302
    page = client.get(act_url(case, "archive")).content.decode()
    assert 'data-testid="archive-complete"' in page and 'data-testid="action-form"' in page
    response = act(client, case, "archive")
    assert response.status_code == 302 and fresh(case).state == State.ARCHIVED
    page = client.get(response["Location"]).content.decode()
    assert offered(client.get(response["Location"])) == set()
    for document in (
        "one_time_notice",
        "acceptance_receipt",
        "handover_list",
        "completion_notice",
        "evaluation_form",
    ):
        assert f'data-document="{document}"' in page
    assert Handover.objects.filter(case=case).count() == 2  # handed back at delivery


def test_proxy_work_dispatch_plan_consultation_pause_and_supervision(world, client):
    case = make(world, State.REGISTERED, user="manager", kind="proxy")
    town_agent = world["users"]["town_agent"]
    login(client, world, "manager")
    assert act(client, case, "assign", {"agent": town_agent.agent.pk}).status_code == 302
    assert fresh(case).agent.user == town_agent
    login(client, world, "town_agent")
    unread = reverse("cases:notifications-unread")
    assert client.get(unread).json() == {"unread": 1}
    assert case.number in client.get(reverse("cases:notifications")).content.decode()
    assert client.post(reverse("cases:notifications-read")).status_code == 302
    assert client.get(unread).json() == {"unread": 0}
    assert act(client, case, "accept").status_code == 302
    assert "start" not in offered(detail(client, case))  # no proxy work before the agreement
    assert act(client, case, "sign_agreement", {"applicant_signatory": "张秀英"}).status_code == 302
    assert act(client, case, "start").status_code == 302
    day = timezone.localdate()
    plan = {
        "agreed_with": "张秀英",
        "milestones-TOTAL_FORMS": "2",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "完成选址",
        "milestones-0-due_on": f"{day + timedelta(days=10):%Y-%m-%d}",
        "milestones-1-title": "取得许可",
        "milestones-1-due_on": f"{day + timedelta(days=20):%Y-%m-%d}",
    }
    assert act(client, case, "plan", plan).status_code == 302
    milestone = case.plans.get().milestones.first()
    assert act(client, case, "progress", {"milestone": milestone.pk}).status_code == 302
    assert act(client, case, "remote_consult", {"text": "选址需要规划意见吗？"}).status_code == 302
    task = case.tasks.get()
    assert act(client, case, "urge", {"task": task.pk, "note": "申请人急用"}).status_code == 302
    assert act(client, case, "pause", {"reason": "等申请人补材料"}).status_code == 302
    assert fresh(case).state == State.PAUSED
    assert act(client, case, "resume").status_code == 302
    login(client, world, "manager")
    assert act(client, case, "supervise", {"reason": "申请人反映进度慢"}).status_code == 302
    page = detail(client, case).content.decode()
    assert 'data-testid="supervised"' in page and "选址需要规划意见吗？" in page
    assert 'data-testid="plan"' in page and "完成选址" in page
    assert fresh(case).tasks.get().urged == 1
    assert fresh(case).state == State.IN_PROGRESS


def test_tolerated_acceptance_refusal_termination_transfer_and_escalation(world, client):
    login(client, world, "agent")
    waiting = make(world, State.AWAITING_MATERIALS)
    due = timezone.localdate() + timedelta(days=7)
    tolerated = {
        "tolerated-TOTAL_FORMS": "1",
        "tolerated-INITIAL_FORMS": "0",
        "tolerated-0-material": "租赁合同",
        "tolerated-0-due_on": f"{due:%Y-%m-%d}",
    }
    assert act(client, waiting, "accept_tolerated", tolerated).status_code == 302
    assert fresh(waiting).state == State.ACCEPTED
    assert Deficiency.objects.get(case=waiting).material == "租赁合同"
    assert "租赁合同" in detail(client, waiting).content.decode()
    refused = make(world, State.REGISTERED)
    assert act(client, refused, "refuse", {"reason": "不属于本站可办事项"}).status_code == 302
    assert fresh(refused).state == State.REFUSED
    ended = make(world, State.REGISTERED)
    terminate = {"requested_by": "service", "ground": "false_materials", "reason": "材料伪造"}
    assert act(client, ended, "terminate", terminate).status_code == 302
    assert fresh(ended).state == State.TERMINATED and fresh(ended).returned
    assert 'data-testid="returned"' in detail(client, ended).content.decode()
    moved = make(world, State.REGISTERED)
    neighbour = world["villages"][1]
    transfer = {"unit": neighbour.pk, "reason": "申请人户籍在邻村"}
    assert act(client, moved, "transfer", transfer).status_code == 302
    assert fresh(moved).unit == neighbour
    assert detail(client, moved).status_code == 404  # out of the village's sight now
    raised = make(world, State.REGISTERED)
    assert act(client, raised, "escalate", {"reason": "涉及跨部门审批"}).status_code == 302
    assert fresh(raised).unit == world["town"]
    assert detail(client, raised).status_code == 200  # the tier that asked keeps sight


def test_every_workflow_action_has_its_form_page():
    assert set(ACTION_PAGES) == set(Action)


def test_an_illegal_action_is_refused_with_the_workflows_reason_and_changes_nothing(world, client):
    case = make(world, State.REGISTERED)
    login(client, world, "agent")
    for response in (client.get(act_url(case, "complete")), act(client, case, "complete")):
        assert response.status_code == 409
        assert "不能执行" in response.content.decode()  # 处于“已登记”状态的办件不能执行“办结”
    assert fresh(case).state == State.REGISTERED and fresh(case).revision == case.revision
    assert client.get(act_url(case, "fly")).status_code == 404


def test_a_stale_revision_is_refused_and_the_user_offered_a_reload(world, client):
    case = make(world, State.REGISTERED)
    login(client, world, "agent")
    seen = case.revision
    services.message_post(  # somebody else acts on the case meanwhile
        actor=world["users"]["manager"], case=case, revision=seen, text="请核对身份证"
    )
    response = act(client, case, "accept", revision=seen)
    page = response.content.decode()
    assert response.status_code == 409 and "该办件刚被他人修改" in page
    assert reverse("cases:detail", args=[case.pk]) in page
    assert fresh(case).state == State.REGISTERED


def test_bad_input_is_shown_at_the_field_and_changes_nothing(world, client):
    login(client, world, "agent")
    case = make(world, State.REGISTERED)
    revision = case.revision
    response = act(client, case, "refuse", {"reason": ""})
    assert response.status_code == 200 and 'data-field="reason"' in response.content.decode()
    empty_notice = {"deadline": "", "missing-TOTAL_FORMS": "1", "missing-INITIAL_FORMS": "0"}
    assert act(client, case, "issue_notice", empty_notice).status_code == 200
    late = {"reason": "不属于本站可办事项", "back_entry_reason": "断网"}  # a reason, no time
    response = act(client, case, "refuse", late)
    assert 'data-field="occurred_at"' in response.content.decode()
    assert 'value="断网"' in response.content.decode()  # the input is kept
    assert fresh(case).revision == revision and not Notice.objects.filter(case=case).exists()
    done = make(world, State.COMPLETED)
    response = act(client, done, "deliver", {"method": "post", "receiver": "张秀英"})
    page = response.content.decode()
    assert response.status_code == 200 and "请填写邮件单号" in page  # the service's message
    assert 'data-field="tracking_number"' in page and fresh(done).state == State.COMPLETED
    started = make(world, State.IN_PROGRESS)
    too_many = LINES | {
        "giver": Party.AGENT,
        "receiver": Party.DEPARTMENT,
        "department": world["dept"].pk,
        "giver_signatory": "李帮办",
        "receiver_signatory": "窗口",
    }
    response = act(client, started, "record_handover", too_many)
    assert 'data-field="lines"' in response.content.decode()  # the agent holds none of it
    assert not Handover.objects.filter(case=started).exists()


def test_a_back_entry_is_read_in_china_time_and_marked_in_the_timeline(world, client):
    agent = world["users"]["agent"]
    now = timezone.now()
    case = make(
        world, State.REGISTERED, occurred_at=now - timedelta(days=2), back_entry_reason="断网"
    )
    when = timezone.localtime(now - timedelta(days=1), SHANGHAI).replace(second=0, microsecond=0)
    login(client, world, "agent")
    back = {"occurred_at": f"{when:%Y-%m-%dT%H:%M}", "back_entry_reason": "下乡纸质受理"}
    assert act(client, case, "accept", back).status_code == 302
    entry = CaseLog.objects.get(case=case, action="accept")
    assert entry.occurred_at == when.replace(tzinfo=SHANGHAI) and entry.actor == agent
    assert entry.back_entry_reason == "下乡纸质受理"
    page = detail(client, case).content.decode()
    assert page.count('data-testid="back-entry"') == 2 and f"{when:%Y-%m-%d %H:%M}" in page


# Query counts ----------------------------------------------------------------------------


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


QUEUE_USERS = {
    "mine": "agent",
    "unassigned": "manager",
    "tasks": "liaison",
    "due_soon": "agent",
    "all": "centre_admin",
}


def test_the_queues_read_in_a_bounded_number_of_queries(
    world, client, django_assert_max_num_queries, monkeypatch
):
    def add(n):
        for _ in range(n):
            make(world, State.IN_PROGRESS)
            make(world, State.REGISTERED, user="manager")

    add(5)
    url = reverse("cases:workbench")
    few = {}
    for queue, user in QUEUE_USERS.items():
        login(client, world, user)
        few[queue] = _queries(client, url, {"queue": queue})
    add(20)
    for queue, user in QUEUE_USERS.items():
        login(client, world, user)
        page = workbench(client, queue=queue).content.decode()
        assert page.count("data-case=") + page.count("data-task=") >= 25, queue
        with django_assert_max_num_queries(few[queue]):
            client.get(url, {"queue": queue})
    # Overdue: the same cases two weeks on.
    today = timezone.localdate()
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: today + timedelta(14))
    login(client, world, "agent")
    with django_assert_max_num_queries(few["due_soon"]):
        assert shown_cases(workbench(client, queue="overdue"))


def test_a_queue_page_reads_only_what_its_rows_show(world, client, monkeypatch):
    """Neither the case's nor its agent's identifiers are read (each would be decrypted), the
    catalog's item list is not read again while it is unchanged, and the session is not
    written on every request."""
    for _ in range(3):
        make(world, State.IN_PROGRESS)
        make(world, State.REGISTERED, user="manager")
    decrypted = []
    monkeypatch.setattr("bangban.core.crypto.decrypt", lambda token: decrypted.append(token))
    for user, queue in (("manager", "open"), ("agent", "mine"), ("manager", "unassigned")):
        login(client, world, user)
        workbench(client, queue=queue)
        with CaptureQueriesContext(connection) as queries:
            response = workbench(client, queue=queue)
        assert shown_cases(response), queue
        sql = [q["sql"] for q in queries.captured_queries]
        encrypted = [
            f'"{t}"."{c}"' for t in ("cases_case", "org_agent") for c in ("id_number", "phone")
        ]
        assert not [s for s in sql if any(column in s for column in encrypted)], queue
        assert not [s for s in sql if 'FROM "catalog_item" ORDER BY' in s], queue
        assert not [s for s in sql if "django_session" in s and not s.startswith("SELECT")]
        # session, user, unit, its subtree, count, rows, their items, the catalog's stamp
        assert len(sql) <= 8, sql
    assert decrypted == []


def test_a_queue_row_shows_the_case(world, client, monkeypatch):
    green = make(world, State.REGISTERED, category="special_group")
    mine = make(world, State.IN_PROGRESS)
    unassigned = make(world, State.REGISTERED, user="manager")
    login(client, world, "agent")
    page = workbench(client, queue="mine").content.decode()
    row = re.search(rf'<tr data-case="{mine.pk}">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    mine = fresh(mine)
    assert cells[:7] == [
        mine.number,
        mine.applicant_name,
        world["item"].name,
        mine.get_kind_display(),
        mine.get_state_display(),
        "李帮办",
        mine.due_date.isoformat(),
    ]
    assert f'href="{reverse("cases:detail", args=[mine.pk])}"' in row
    assert 'data-warning="due_soon"' in cells[7] or 'data-warning="due_soon"' in row
    green_row = re.search(rf'<tr data-case="{green.pk}">(.*?)</tr>', page, re.S).group(1)
    assert 'data-testid="green-channel"' in green_row
    assert 'data-testid="dispatch"' not in page
    login(client, world, "manager")
    page = workbench(client, queue="unassigned").content.decode()
    row = re.search(rf'<tr data-case="{unassigned.pk}">(.*?)</tr>', page, re.S).group(1)
    assert f'href="{act_url(unassigned, "assign")}" data-testid="dispatch"' in row
    assert "<td>—</td>" in row  # no agent yet
    today = timezone.localdate()
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: today + timedelta(14))
    login(client, world, "agent")
    page = workbench(client, queue="mine").content.decode()
    assert f'<tr data-case="{mine.pk}" class="table-danger">' in page


def test_the_item_filter_follows_every_catalog_change(world, client):
    """The item options are written once per catalog stamp: never a stale list."""
    from bangban.catalog.models import Item

    login(client, world, "agent")

    def options(**params):
        page = workbench(client, queue="mine", **params).content.decode()
        select = re.search(r'<select name="item".*?</select>', page, re.S).group(0)
        return re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', select)

    item = world["item"]
    assert options() == [("", " selected", "全部"), (str(item.pk), "", item.name)]
    added = Item.objects.create(name="二手车交易登记", target="自然人")
    assert {o[2] for o in options()} == {"全部", "二手车交易登记", item.name}
    added.name = "<旧车>过户"
    added.save()
    assert sorted(options(item=added.pk)) == sorted(
        [
            ("", "", "全部"),
            (str(added.pk), " selected", "&lt;旧车&gt;过户"),
            (str(item.pk), "", item.name),
        ]
    )
    added.delete()
    assert {o[2] for o in options()} == {"全部", item.name}


def test_the_case_page_reads_in_a_bounded_number_of_queries(
    world, client, django_assert_max_num_queries
):
    case = make(world, State.IN_PROGRESS)
    agent = world["users"]["agent"]
    today = timezone.localdate()

    def events(n):
        for k in range(n):
            services.message_post(
                actor=agent, case=case, revision=fresh(case).revision, text=f"第{k}条留言"
            )
            services.handover_record(
                actor=agent,
                case=case,
                revision=fresh(case).revision,
                giver=Party.APPLICANT,
                receiver=Party.AGENT,
                lines=[{"material": f"材料{k}", "copies": 1}],
                giver_signatory="张秀英",
                receiver_signatory="李帮办",
            )
            services.plan_agree(
                actor=agent,
                case=case,
                revision=fresh(case).revision,
                agreed_with="张秀英",
                milestones=[
                    {"title": f"节点{k}-{m}", "due_on": today + timedelta(days=m + 1)}
                    for m in range(3)
                ],
            )

    events(1)
    login(client, world, "agent")
    url = reverse("cases:detail", args=[case.pk])
    few = _queries(client, url)
    events(10)
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


def test_deficiencies_are_received_and_incidents_closed_from_the_case_page(world, client):
    case = make(world, State.REGISTERED)
    agent = world["users"]["agent"]
    tomorrow = timezone.localdate() + timedelta(days=1)
    services.case_accept(
        actor=agent,
        case=case,
        revision=case.revision,
        tolerated=[{"material": "房屋租赁合同", "due_on": tomorrow}],
    )
    case.refresh_from_db()
    services.case_start(actor=agent, case=case, revision=case.revision)
    case.refresh_from_db()
    lines = [{"material": "身份证复印件", "copies": 1}]
    for giver, receiver, note in (("applicant", "agent", ""), ("agent", "lost", "下乡途中遗失")):
        services.handover_record(
            actor=agent,
            case=case,
            revision=case.revision,
            giver=giver,
            receiver=receiver,
            lines=lines,
            giver_signatory="甲",
            receiver_signatory="乙",
            note=note,
        )
        case.refresh_from_db()
    deficiency, incident = case.deficiencies.get(), case.incidents.get()
    login(client, world, "agent")
    page = detail(client, case).content.decode()
    assert 'data-testid="deficiency-receive"' in page and "resolution-" not in page
    receive = reverse("cases:deficiency-receive", args=[case.pk, deficiency.pk])
    assert client.post(receive).status_code == 302
    deficiency.refresh_from_db()
    assert deficiency.received_on == timezone.localdate()
    assert client.post(receive).status_code == 409  # once
    resolve = reverse("cases:incident-resolve", args=[case.pk, incident.pk])
    assert client.post(resolve, {"resolution": "已补"}).status_code == 403  # a manager's
    login(client, world, "manager")
    assert f"resolution-{incident.pk}" in detail(client, case).content.decode()
    client.post(resolve, {"resolution": ""})
    incident.refresh_from_db()
    assert incident.resolved_at is None  # a resolution must say what was done
    client.post(resolve, {"resolution": "申请人重新提供复印件"})
    incident.refresh_from_db()
    assert incident.resolution == "申请人重新提供复印件" and incident.resolved_at is not None
    login(client, world, "other_agent")
    assert client.post(receive).status_code == 404
