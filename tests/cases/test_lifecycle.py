"""The case lifecycle after acceptance, through the services: agreement, custody, department
tasks, tier linkage, completion to archive, termination, rating and back-entry."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from bangban.cases import services
from bangban.cases.custody import holdings
from bangban.cases.models import CaseLog, Incident, Notification, Party, Task
from bangban.cases.selectors import cases_visible
from bangban.cases.workflow import State
from bangban.catalog.models import Bundle, BundleMember
from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.org.models import Role
from tests.cases.factories import FORMS, PERSON, item_of
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county_with_departments, catalog_admin):
    tree = county_with_departments
    village, town = tree["villages"][0], tree["towns"][0]
    agent_user = UserFactory(unit=village, role=Role.AGENT, full_name="李帮办")
    agent = AgentFactory(unit=village, user=agent_user, name="李帮办")
    dept = tree["dept"]
    other_dept = tree["departments"]["县人力资源和社会保障局"]
    licence = item_of(dept, actor=catalog_admin, name="食品经营许可", limit_days=5, target="法人")
    social = item_of(
        other_dept, actor=catalog_admin, name="单位参保登记", limit_days=8, target="法人"
    )
    return {
        **tree,
        "village": village,
        "town": town,
        "agent_user": agent_user,
        "agent": agent,
        "liaison": UserFactory(unit=dept, role=Role.LIAISON),
        "other_liaison": UserFactory(unit=other_dept, role=Role.LIAISON),
        "manager": UserFactory(unit=town, role=Role.MANAGER),
        "village_manager": UserFactory(unit=village, role=Role.MANAGER),
        "licence": licence,
        "social": social,
        "other_dept": other_dept,
    }


def register(world, *, kind="proxy", items=None, **extra):
    values = {
        "actor": world["agent_user"],
        "unit": world["village"],
        "kind": kind,
        "proxy_scope": "full" if kind == "proxy" else "",
        "channel": "window",
        "category": "personal",
        "applicant_type": "person",
        "applicant": PERSON,
        "items": [world["licence"]] if items is None else items,
    }
    return services.case_register(**(values | extra))


def fresh(case):
    case.refresh_from_db()
    return case


def accepted(world, **extra):
    case = register(world, **extra)
    actor = world["agent_user"]
    return services.case_accept(actor=actor, case=case, revision=case.revision)


def handover_in(world, case):
    return services.handover_record(
        actor=world["agent_user"],
        case=case,
        revision=fresh(case).revision,
        giver=Party.APPLICANT,
        receiver=Party.AGENT,
        lines=FORMS,
        giver_signatory="张秀英",
        receiver_signatory="李帮办",
    )


def in_progress(world, **extra):
    case = accepted(world, **extra)
    actor = world["agent_user"]
    if case.kind == "proxy":
        services.agreement_sign(
            actor=actor, case=case, revision=case.revision, applicant_signatory="张秀英"
        )
    return services.case_start(actor=actor, case=fresh(case), revision=fresh(case).revision)


def test_the_registering_agent_owns_the_case_and_a_consultation_becomes_it(world):
    consultation = services.consultation_log(
        actor=world["agent_user"],
        unit=world["village"],
        channel="phone",
        asker="张秀英",
        topic="开小饭馆要办什么证",
        answer="食品经营许可，材料见一次性告知",
        item=world["licence"],
    )
    case = register(world, consultation=consultation)
    assert case.agent == world["agent"]
    consultation.refresh_from_db()
    assert consultation.case == case
    with pytest.raises(ValidationFailed):
        register(world, consultation=consultation)  # a consultation becomes one case only


def test_no_proxy_work_before_the_agreement_and_it_is_signed_once(world):
    case = accepted(world)
    actor = world["agent_user"]
    with pytest.raises(Conflict, match="委托"):
        services.case_start(actor=actor, case=case, revision=case.revision)
    agreement = services.agreement_sign(
        actor=actor, case=case, revision=case.revision, applicant_signatory="张秀英"
    )
    assert agreement.agent == world["agent"] and agreement.scope == "full"
    case = fresh(case)
    assert case.agreement_signed
    with pytest.raises(Conflict):
        services.agreement_sign(
            actor=actor, case=case, revision=case.revision, applicant_signatory="张秀英"
        )
    assist = accepted(world, kind="assist")
    with pytest.raises(Conflict, match="代办"):
        services.agreement_sign(
            actor=actor, case=assist, revision=assist.revision, applicant_signatory="张秀英"
        )
    assert services.case_start(actor=actor, case=assist, revision=assist.revision).state == (
        State.IN_PROGRESS
    )


def test_handovers_say_who_holds_what_and_a_loss_opens_an_incident(world):
    case = in_progress(world)
    actor, dept = world["agent_user"], world["dept"]
    handover_in(world, case)
    assert {(h.holder, h.material, h.copies) for h in holdings(fresh(case))} == {
        (str(Party.AGENT.label), "营业执照申请书", 1),
        (str(Party.AGENT.label), "身份证复印件", 2),
    }
    assert fresh(case).materials_held == 3
    with pytest.raises(ValidationFailed, match="身份证复印件"):
        services.handover_record(
            actor=actor,
            case=case,
            revision=fresh(case).revision,
            giver=Party.AGENT,
            receiver=Party.DEPARTMENT,
            department=dept,
            lines=[{"material": "身份证复印件", "copies": 3}],
            giver_signatory="李帮办",
            receiver_signatory="窗口",
        )
    services.handover_record(
        actor=actor,
        case=case,
        revision=fresh(case).revision,
        giver=Party.AGENT,
        receiver=Party.DEPARTMENT,
        department=dept,
        lines=[
            {"material": "营业执照申请书", "copies": 1},
            {"material": "身份证复印件", "copies": 1},
        ],
        giver_signatory="李帮办",
        receiver_signatory="市场监管局窗口王某",
    )
    held = {(h.party, h.department_name, h.material): h.copies for h in holdings(fresh(case))}
    assert held == {
        (Party.AGENT, "", "身份证复印件"): 1,
        (Party.DEPARTMENT, dept.name, "营业执照申请书"): 1,
        (Party.DEPARTMENT, dept.name, "身份证复印件"): 1,
    }
    with pytest.raises(ValidationFailed):  # a loss must say what happened
        services.handover_record(
            actor=actor,
            case=case,
            revision=fresh(case).revision,
            giver=Party.AGENT,
            receiver=Party.LOST,
            lines=[{"material": "身份证复印件", "copies": 1}],
            giver_signatory="李帮办",
        )
    services.handover_record(
        actor=actor,
        case=case,
        revision=fresh(case).revision,
        giver=Party.AGENT,
        receiver=Party.LOST,
        lines=[{"material": "身份证复印件", "copies": 1}],
        giver_signatory="李帮办",
        note="下乡途中遗失",
    )
    incident = Incident.objects.get(case=case)
    assert incident.description == "下乡途中遗失" and incident.resolved_at is None
    assert Notification.objects.filter(recipient=world["village_manager"], case=case).exists()
    with pytest.raises(PermissionDenied):
        services.incident_resolve(actor=actor, incident=incident, resolution="已补办")
    services.incident_resolve(
        actor=world["village_manager"], incident=incident, resolution="申请人重新提供复印件"
    )
    assert Incident.objects.get(pk=incident.pk).resolved_at is not None


def test_tasks_per_item_and_department_run_in_parallel_under_the_bundle_lead(world, monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 9, 25)
    )
    bundle = Bundle.objects.create(name="开办餐饮店一件事", lead_department=world["other_dept"])
    for position, item in enumerate([world["licence"], world["social"]]):
        BundleMember.objects.create(bundle=bundle, position=position, name=item.name, item=item)
    case = register(world, items=(), bundle=bundle)
    case = in_progress(world, items=(), bundle=bundle)
    tasks = {t.item_id: t for t in Task.objects.filter(case=case)}
    assert set(tasks) == {world["licence"].pk, world["social"].pk}
    assert tasks[world["social"].pk].lead and not tasks[world["licence"].pk].lead
    # Accepted Friday 25 September 2026: 5 and 8 working days across the National Day holiday
    # (1–8 October off; Sunday 27 September and Saturday 10 October worked).
    assert tasks[world["licence"].pk].due_date == date(2026, 10, 9)
    assert tasks[world["social"].pk].due_date == date(2026, 10, 13)
    assert case.due_date == date(2026, 10, 13)  # the bundle runs on its longest member
    assert fresh(case).open_tasks == 2
    actor = world["agent_user"]
    licence_task = tasks[world["licence"].pk]
    services.task_submit(actor=actor, case=case, revision=fresh(case).revision, task=licence_task)
    services.task_urge(
        actor=actor, case=case, revision=fresh(case).revision, task=licence_task, note="申请人急用"
    )
    assert Notification.objects.filter(recipient=world["liaison"], case=case).exists()
    assert Task.objects.get(pk=licence_task.pk).urged == 1
    with pytest.raises(PermissionDenied):  # another department's liaison cannot decide it
        services.task_decide(
            actor=world["other_liaison"],
            case=case,
            revision=fresh(case).revision,
            task=licence_task,
            decision="approved",
            result="食品经营许可证",
        )
    with pytest.raises(ValidationFailed):
        services.task_decide(
            actor=world["liaison"],
            case=case,
            revision=fresh(case).revision,
            task=licence_task,
            decision="not_approved",
        )
    services.task_decide(
        actor=world["liaison"],
        case=case,
        revision=fresh(case).revision,
        task=licence_task,
        decision="approved",
        result="食品经营许可证 JY16101230000001",
    )
    with pytest.raises(Conflict, match="部门"):
        services.case_complete(
            actor=actor, case=case, revision=fresh(case).revision, results="已办结"
        )
    services.task_decide(
        actor=world["other_liaison"],
        case=case,
        revision=fresh(case).revision,
        task=tasks[world["social"].pk],
        decision="not_approved",
        reason="缺少劳动合同",
    )
    assert fresh(case).open_tasks == 0
    # The liaison sees the case through the task, not through the unit tree.
    assert case in cases_visible(actor=world["liaison"])


def test_pause_moves_the_open_tasks_due_dates(world, monkeypatch):
    day = {"today": date(2026, 12, 2)}
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day["today"])
    case = in_progress(world)
    task = case.tasks.get()
    assert task.due_date == case.due_date
    actor = world["agent_user"]
    services.case_pause(
        actor=actor, case=case, revision=fresh(case).revision, reason="等申请人补材料"
    )
    day["today"] = date(2026, 12, 4)  # two working days paused
    case = services.case_resume(actor=actor, case=case, revision=fresh(case).revision)
    assert case.paused_working_days == 2
    assert case.tasks.get().due_date == case.due_date


def test_supervision_is_for_managers_and_notifies_the_agent(world):
    case = in_progress(world)
    with pytest.raises(PermissionDenied):
        services.case_supervise(
            actor=world["agent_user"], case=case, revision=case.revision, reason="超期"
        )
    case = services.case_supervise(
        actor=world["manager"], case=case, revision=case.revision, reason="申请人投诉进度慢"
    )
    assert case.supervised_at is not None
    assert Notification.objects.filter(recipient=world["agent_user"], case=case).exists()


def test_plan_milestones_and_a_new_plan_supersedes_the_old(world):
    case = in_progress(world)
    actor = world["agent_user"]
    today = timezone.localdate()
    first = services.plan_agree(
        actor=actor,
        case=case,
        revision=fresh(case).revision,
        agreed_with="张秀英",
        milestones=[{"title": "完成选址", "due_on": today + timedelta(days=10)}],
    )
    second = services.plan_agree(
        actor=actor,
        case=case,
        revision=fresh(case).revision,
        agreed_with="张秀英",
        milestones=[
            {"title": "完成选址", "due_on": today + timedelta(days=10)},
            {"title": "取得许可", "due_on": today + timedelta(days=30)},
        ],
    )
    first.refresh_from_db()
    assert first.superseded and not second.superseded
    with pytest.raises(ValidationFailed):  # only the current plan reports progress
        services.milestone_done(
            actor=actor,
            case=case,
            revision=fresh(case).revision,
            milestone=first.milestones.get(),
        )
    done = services.milestone_done(
        actor=actor,
        case=case,
        revision=fresh(case).revision,
        milestone=second.milestones.first(),
    )
    assert done.done_on == timezone.localdate()


def test_meetings_link_the_cases_they_discussed(world):
    case = in_progress(world)
    meeting = services.meeting_record(
        actor=world["manager"],
        unit=world["town"],
        kind="departments",
        held_at=timezone.now() - timedelta(hours=2),
        attendees="镇便民服务中心、县市场监督管理局",
        issues="选址与规划冲突",
        decisions="市场监管局上门核查",
        cases=[case],
    )
    assert list(meeting.cases.all()) == [case]
    outsider = UserFactory(unit=world["towns"][1], role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        services.meeting_record(
            actor=outsider,
            unit=world["towns"][1],
            kind="departments",
            held_at=timezone.now(),
            attendees="甲",
            issues="乙",
            decisions="丙",
            cases=[case],
        )


def test_transfer_and_escalation_move_ownership_and_sight_but_keep_the_history(world):
    case = register(world)
    village_agent = world["agent_user"]
    other_village = world["villages"][1]
    services.message_post(
        actor=village_agent, case=case, revision=case.revision, text="此事项村级能否代办？"
    )
    town_agent = UserFactory(unit=world["town"], role=Role.AGENT)
    services.message_post(
        actor=town_agent, case=case, revision=fresh(case).revision, text="可以，按一次性告知办理"
    )
    assert Notification.objects.filter(recipient=village_agent, case=case).exists()
    case = services.case_transfer(
        actor=village_agent,
        case=case,
        revision=fresh(case).revision,
        unit=other_village,
        reason="申请人户籍在邻村",
    )
    assert case.unit == other_village and case.agent is None
    assert case not in cases_visible(actor=village_agent)
    neighbour = UserFactory(unit=other_village, role=Role.AGENT)
    assert case in cases_visible(actor=neighbour)
    assert list(case.log.values_list("action", flat=True)) == [
        "register",
        "remote_consult",
        "remote_consult",
        "transfer",
    ]
    case = services.case_escalate(
        actor=neighbour, case=case, revision=case.revision, reason="涉及跨部门审批"
    )
    assert case.unit == world["town"] and case.joint_unit == other_village
    assert case in cases_visible(actor=neighbour)  # the tier that asked keeps sight
    with pytest.raises(ValidationFailed):
        services.case_transfer(
            actor=town_agent,
            case=case,
            revision=case.revision,
            unit=world["dept"],
            reason="部门",
        )


def test_proxy_case_to_archive_with_what_is_missing_listed_on_the_way(world):
    case = in_progress(world)
    actor = world["agent_user"]
    handover_in(world, case)
    task = case.tasks.get()
    services.task_decide(
        actor=world["liaison"],
        case=case,
        revision=fresh(case).revision,
        task=task,
        decision="approved",
        result="食品经营许可证",
    )
    completion = services.case_complete(
        actor=actor, case=case, revision=fresh(case).revision, results="已取得食品经营许可证"
    )
    assert completion.signed_by == ""
    missing = fresh(case).archive_missing
    assert any("交接" in m for m in missing) and any("送达" in m for m in missing)
    assert any("评价" in m for m in missing)
    with pytest.raises(Conflict):
        services.case_archive(actor=actor, case=case, revision=fresh(case).revision)
    with pytest.raises(ValidationFailed):  # free post needs its tracking number
        services.case_deliver(
            actor=actor, case=case, revision=fresh(case).revision, method="post", receiver="张秀英"
        )
    delivery = services.case_deliver(
        actor=actor,
        case=case,
        revision=fresh(case).revision,
        method="post",
        tracking_number="1180123456789",
        receiver="张秀英",
    )
    assert delivery.tracking_number == "1180123456789"
    case = fresh(case)
    assert case.state == State.DELIVERED and case.materials_held == 0  # handed back with it
    assert case.completion.signed_by == "张秀英"
    assert case.archive_missing == (fresh(case).archive_missing[0],)  # only the rating is left
    services.rating_record(
        actor=actor, case=case, revision=case.revision, level=5, comment="跑一次就办好了"
    )
    with pytest.raises(Conflict, match="评价"):
        services.rating_record(actor=actor, case=case, revision=fresh(case).revision, level=4)
    case = services.case_archive(actor=actor, case=case, revision=fresh(case).revision)
    assert case.state == State.ARCHIVED and case.archived_at is not None
    with pytest.raises(Conflict):  # archived means locked
        handover_in(world, case)


def test_termination_hands_everything_back_first_and_false_materials_return_the_case(world):
    case = in_progress(world)
    actor = world["agent_user"]
    handover_in(world, case)
    terminate = {
        "actor": actor,
        "case": case,
        "requested_by": "service",
        "ground": "false_materials",
        "reason": "营业执照申请书所附租赁合同系伪造",
    }
    with pytest.raises(Conflict, match="退还"):
        services.case_terminate(revision=fresh(case).revision, **terminate)
    services.handover_record(
        actor=actor,
        case=case,
        revision=fresh(case).revision,
        giver=Party.AGENT,
        receiver=Party.APPLICANT,
        lines=FORMS,
        giver_signatory="李帮办",
        receiver_signatory="张秀英",
    )
    with pytest.raises(ValidationFailed):
        services.case_terminate(
            revision=fresh(case).revision, **(terminate | {"ground": "boredom"})
        )
    termination = services.case_terminate(revision=fresh(case).revision, **terminate)
    case = fresh(case)
    assert case.state == State.TERMINATED and case.returned
    assert termination.requested_by == "service"
    assert fresh(case).archive_missing == fresh(case).archive_missing[-1:]  # the rating only
    services.rating_record(actor=actor, case=case, revision=case.revision, declined=True)
    assert services.case_archive(actor=actor, case=case, revision=fresh(case).revision).state == (
        State.ARCHIVED
    )


def test_a_refused_case_is_rated_and_archived(world):
    case = register(world, kind="assist")
    actor = world["agent_user"]
    case = services.case_refuse(
        actor=actor, case=case, revision=case.revision, reason="该事项不在本村可办清单"
    )
    assert "评价" in " ".join(case.archive_missing)
    services.rating_record(actor=actor, case=case, revision=case.revision, level=3, source="qr")
    assert services.case_archive(actor=actor, case=case, revision=fresh(case).revision).state == (
        State.ARCHIVED
    )


def test_back_entry_needs_a_reason_stays_in_the_window_and_is_marked(world):
    actor = world["agent_user"]
    now = timezone.now()
    with pytest.raises(ValidationFailed) as refused:
        register(world, occurred_at=now - timedelta(days=2))
    assert refused.value.field == "back_entry_reason"
    with pytest.raises(ValidationFailed) as refused:
        register(world, occurred_at=now - timedelta(days=31), back_entry_reason="断网")
    assert refused.value.field == "occurred_at"
    with pytest.raises(ValidationFailed):
        register(world, occurred_at=now + timedelta(hours=1), back_entry_reason="断网")
    case = register(
        world, occurred_at=now - timedelta(days=3), back_entry_reason="下乡断网纸质登记"
    )
    assert case.registered_at == now - timedelta(days=3)
    with pytest.raises(ValidationFailed):  # not before the case's last recorded step
        services.case_accept(
            actor=actor,
            case=case,
            revision=case.revision,
            occurred_at=now - timedelta(days=4),
            back_entry_reason="断网",
        )
    case = services.case_accept(
        actor=actor,
        case=case,
        revision=case.revision,
        occurred_at=now - timedelta(days=2),
        back_entry_reason="下乡断网纸质受理",
    )
    assert case.accepted_on == timezone.localdate(now - timedelta(days=2))
    log = list(CaseLog.objects.filter(case=case).order_by("occurred_at"))
    assert [entry.back_entry for entry in log] == [True, True]
    assert log[1].recorded_at > log[1].occurred_at


def test_supervisors_and_other_units_cannot_act(world):
    case = register(world)
    supervisor = UserFactory(unit=world["county"], role=Role.SUPERVISOR)
    outsider = UserFactory(unit=world["villages"][2], role=Role.AGENT)
    for actor in (supervisor, outsider, world["liaison"]):
        with pytest.raises(PermissionDenied):
            services.case_accept(actor=actor, case=case, revision=case.revision)
    assert fresh(case).state == State.REGISTERED and fresh(case).revision == case.revision
