"""Registration, the completeness check, acceptance and deadlines, through the services."""

import threading
from datetime import date

import pytest
from django.db import connection

from bangban.cases import services
from bangban.cases.deadlines import Warning, deadline
from bangban.cases.models import Case, Deficiency
from bangban.cases.workflow import State
from bangban.catalog import services as catalog_services
from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.models import Event
from bangban.org.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PERSON = {
    "applicant_name": "张秀英",
    "id_number": "11010519491231002X",
    "phone": "13912345678",
    "address": "城关街道人民路1号",
}


def today_is(monkeypatch, day: date) -> None:
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day)


@pytest.fixture
def item(catalog_admin):
    data = {
        "name": "测试登记",
        "item_type": "行政确认",
        "target": "自然人",
        "assist_tiers": "县;乡;村",
        "proxy_tiers": "县;乡;村",
    }
    return catalog_services.item_create(
        actor=catalog_admin, reason="新增", data=data | {"promised_limit_days": 5}
    )


@pytest.fixture
def agent_user(county_with_departments):
    return UserFactory(unit=county_with_departments["villages"][0], role=Role.AGENT)


def register(actor, item, **extra):
    values = dict(
        actor=actor,
        unit=actor.unit,
        kind="assist",
        channel="window",
        category="personal",
        applicant_type="person",
        applicant=PERSON,
        items=[item],
    )
    return services.case_register(**(values | extra))


def test_register_numbers_cases_per_unit_and_day_and_keeps_the_item_version(
    agent_user, item, catalog_admin
):
    first = register(agent_user, item)
    second = register(agent_user, item)
    assert first.number.startswith(f"{agent_user.unit.code}-") and first.number.endswith("-0001")
    assert second.number.endswith("-0002")
    assert first.state == State.REGISTERED
    catalog_services.item_update(
        actor=catalog_admin, item=item, reason="压缩时限", data={"promised_limit_days": 3}
    )
    assert first.items.get().item_version.number == 1  # a later edit never rewrites the case
    item.refresh_from_db()
    assert register(agent_user, item).items.get().item_version.number == 2
    event = Event.objects.get(action="case.register", object_id=str(first.pk))
    assert (
        "11010519491231002X" not in str(event.after)
        and event.after["id_number"] == "1101**********002X"
    )


def test_register_validates_and_changes_nothing_on_bad_input(agent_user, item):
    for bad, field in [
        ({"applicant": PERSON | {"id_number": "110105194912310021"}}, "id_number"),
        ({"applicant": PERSON | {"phone": "12345"}}, "phone"),
        ({"kind": "proxy"}, "proxy_scope"),
        ({"items": []}, "items"),
        ({"channel": "fax"}, "channel"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            register(agent_user, item, **bad)
        assert refused.value.field == field
    assert not Case.objects.exists()


def test_enterprise_credit_code_override_is_logged(agent_user, item):
    enterprise = {
        "applicant_name": "秦川县某某餐饮有限公司",
        "phone": "0914-6321001",
        "legal_representative": "王强",
    }
    wrong = "91350100M000100Y44"
    with pytest.raises(ValidationFailed):
        register(
            agent_user, item, applicant_type="enterprise", applicant=enterprise, credit_code=wrong
        )
    case = register(
        agent_user,
        item,
        applicant_type="enterprise",
        applicant=enterprise,
        credit_code=wrong,
        credit_code_override_reason="营业执照原件即为此代码",
    )
    assert case.credit_code == wrong
    assert Event.objects.get(action="credit_code.override").object_id == str(case.pk)


def test_notice_supplement_accept_with_due_date_across_national_day(agent_user, item, monkeypatch):
    today_is(monkeypatch, date(2026, 9, 16))
    case = register(agent_user, item)
    notice = services.notice_issue(
        actor=agent_user,
        case=case,
        revision=case.revision,
        missing=[{"name": "户口簿", "how": "到派出所复印并加盖公章"}],
        deadline=date(2026, 9, 17),
    )
    case.refresh_from_db()
    assert case.state == State.AWAITING_MATERIALS and notice.number == 1
    case = services.supplement_receive(actor=agent_user, case=case, revision=case.revision)
    assert case.state == State.REGISTERED
    today_is(monkeypatch, date(2026, 9, 18))  # a Friday; Sunday 20 September is a working day
    case = services.case_accept(actor=agent_user, case=case, revision=case.revision)
    assert case.state == State.ACCEPTED
    assert (case.accepted_on, case.limit_days, case.due_date) == (
        date(2026, 9, 18),
        5,
        date(2026, 9, 24),
    )


def test_pause_extends_the_due_date_by_the_working_days_paused(agent_user, item, monkeypatch):
    today_is(monkeypatch, date(2026, 9, 22))
    case = register(agent_user, item)
    case = services.case_accept(actor=agent_user, case=case, revision=case.revision)
    assert case.due_date == date(2026, 9, 30)  # 23, 24, 28, 29, 30 September (中秋 25–27)
    case = services.case_start(actor=agent_user, case=case, revision=case.revision)
    today_is(monkeypatch, date(2026, 9, 24))
    with pytest.raises(ValidationFailed):
        services.case_pause(actor=agent_user, case=case, revision=case.revision, reason=" ")
    case = services.case_pause(
        actor=agent_user, case=case, revision=case.revision, reason="等待申请人补充证明"
    )
    assert case.state == State.PAUSED
    today_is(monkeypatch, date(2026, 10, 9))
    case = services.case_resume(actor=agent_user, case=case, revision=case.revision)
    # Paused for 28, 29, 30 September, 8 and 9 October (National Day 1–7): 5 working days.
    assert case.paused_working_days == 5
    # 5 + 5 working days from 22 September: …, 30 Sep, 8, 9, 10 (Saturday, worked), 12, 13 Oct.
    assert case.due_date == date(2026, 10, 13)
    assert deadline(case.due_date, date(2026, 10, 9)).warning == Warning.NORMAL
    assert deadline(case.due_date, date(2026, 10, 12)).warning == Warning.DUE_SOON
    late = deadline(case.due_date, date(2026, 10, 14))
    assert (late.warning, late.remaining) == (Warning.OVERDUE, -1)


def test_due_date_across_the_spring_festival_and_tolerated_deficiencies(
    agent_user, item, monkeypatch
):
    catalog_services.item_update(
        actor=None, item=item, reason="调整", data={"promised_limit_days": 3}
    )
    item.refresh_from_db()
    today_is(monkeypatch, date(2026, 2, 12))
    case = register(agent_user, item)
    case = services.case_accept(
        actor=agent_user,
        case=case,
        revision=case.revision,
        tolerated=[{"material": "婚姻状况证明", "due_on": date(2026, 2, 27)}],
    )
    # 13 February, 14 February (Saturday, worked), then 24 February after the holiday.
    assert case.due_date == date(2026, 2, 24)
    assert Deficiency.objects.get(case=case).due_on == date(2026, 2, 27)
    assert Event.objects.filter(action="case.accept_tolerated", object_id=str(case.pk)).exists()


def test_refusal_needs_a_reason_and_a_dishonest_proxy_can_only_be_refused(agent_user, item):
    dishonest = PERSON | {"applicant_dishonest": True}
    case = register(agent_user, item, kind="proxy", proxy_scope="full", applicant=dishonest)
    with pytest.raises(Conflict):
        services.case_accept(actor=agent_user, case=case, revision=case.revision)
    with pytest.raises(ValidationFailed):
        services.case_refuse(actor=agent_user, case=case, revision=case.revision, reason="")
    case = services.case_refuse(
        actor=agent_user, case=case, revision=case.revision, reason="申请人列入失信名单"
    )
    assert case.state == State.REFUSED
    with pytest.raises(Conflict):
        services.case_accept(actor=agent_user, case=case, revision=case.revision)


def test_proxy_work_waits_for_the_agreement(agent_user, item):
    case = register(agent_user, item, kind="proxy", proxy_scope="stage")
    case = services.case_accept(actor=agent_user, case=case, revision=case.revision)
    with pytest.raises(Conflict) as refused:
        services.case_start(actor=agent_user, case=case, revision=case.revision)
    assert "委托书" in refused.value.message


def test_a_stale_revision_is_a_conflict_and_changes_nothing(agent_user, item):
    case = register(agent_user, item)
    services.case_refuse(
        actor=agent_user, case=case, revision=case.revision, reason="不属于帮办代办事项"
    )
    with pytest.raises(Conflict):
        services.case_accept(actor=agent_user, case=case, revision=case.revision)
    assert Case.objects.get(pk=case.pk).state == State.REFUSED


def test_scope_and_read_only_roles(agent_user, item, county_with_departments):
    case = register(agent_user, item)
    other_village = UserFactory(unit=county_with_departments["villages"][1], role=Role.AGENT)
    supervisor = UserFactory(unit=None, role=Role.SUPERVISOR)
    for actor in (other_village, supervisor):
        with pytest.raises(PermissionDenied):
            services.case_refuse(actor=actor, case=case, revision=case.revision, reason="越权操作")
    manager = UserFactory(unit=county_with_departments["towns"][0], role=Role.MANAGER)
    assert (
        services.case_accept(actor=manager, case=case, revision=case.revision).state
        == State.ACCEPTED
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_accepting_at_once_exactly_one_succeeds(county_with_departments):
    admin = UserFactory(unit=county_with_departments["county"], role=Role.CENTRE_ADMIN)
    item = catalog_services.item_create(
        actor=admin,
        reason="新增",
        data={
            "name": "并发测试",
            "target": "自然人",
            "assist_tiers": "村",
            "promised_limit_days": 5,
        },
    )
    first = UserFactory(unit=county_with_departments["villages"][0], role=Role.AGENT)
    second = UserFactory(unit=county_with_departments["villages"][0], role=Role.MANAGER)
    case = register(first, item)
    barrier, outcomes = threading.Barrier(2), []

    def accept(actor):
        try:
            barrier.wait(timeout=10)
            services.case_accept(actor=actor, case=case, revision=case.revision)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(actor,)) for actor in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Event.objects.filter(action="case.accept", object_id=str(case.pk)).count() == 1
    assert Case.objects.get(pk=case.pk).revision == case.revision + 1
