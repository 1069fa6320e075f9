"""Who sees which cases, the workbench queues and their filters, and bounded query counts."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bangban.cases import services
from bangban.cases.selectors import (
    CaseFilters,
    case_detail,
    case_get,
    case_queue,
    cases_visible,
    deadline_explained,
    queue_rows,
    tasks_for_department,
    work_log,
)
from bangban.cases.workflow import State
from bangban.core.errors import NotFound
from bangban.org.models import Role
from tests.cases.factories import PERSON, item_of
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county_with_departments, catalog_admin):
    tree = county_with_departments
    item = item_of(tree["dept"], actor=catalog_admin, name="个体工商户登记", limit_days=3)
    users = {}
    for key, unit in (("v11", tree["villages"][0]), ("v12", tree["villages"][1])):
        users[key] = UserFactory(unit=unit, role=Role.AGENT)
        AgentFactory(unit=unit, user=users[key])
    users["v21"] = UserFactory(unit=tree["villages"][2], role=Role.AGENT)
    AgentFactory(unit=tree["villages"][2], user=users["v21"])
    users |= {
        "town1_manager": UserFactory(unit=tree["towns"][0], role=Role.MANAGER),
        "town2_manager": UserFactory(unit=tree["towns"][1], role=Role.MANAGER),
        "liaison": UserFactory(unit=tree["dept"], role=Role.LIAISON),
        "centre_admin": UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN),
        "supervisor": UserFactory(unit=tree["county"], role=Role.SUPERVISOR),
        "sysadmin": UserFactory(unit=None, role=Role.SYSADMIN),
        "applicant": UserFactory(unit=None, role=Role.APPLICANT),
    }
    return {**tree, "item": item, "users": users}


def register(world, user_key, **extra):
    user = world["users"][user_key]
    values = {
        "actor": user,
        "unit": user.unit,
        "kind": "assist",
        "channel": "window",
        "category": "personal",
        "applicant_type": "person",
        "applicant": PERSON,
        "items": [world["item"]],
    }
    return services.case_register(**(values | extra))


def started(world, user_key, **extra):
    case = register(world, user_key, **extra)
    user = world["users"][user_key]
    case = services.case_accept(actor=user, case=case, revision=case.revision)
    return services.case_start(actor=user, case=case, revision=case.revision)


def test_each_role_sees_its_own_area_only(world):
    a = register(world, "v11")
    b = register(world, "v12")
    c = started(world, "v21")  # has a task at the department
    expected = {
        "v11": {a},
        "v12": {b},
        "v21": {c},
        "town1_manager": {a, b},
        "town2_manager": {c},
        "liaison": {c},  # through its department's task
        "centre_admin": {a, b, c},
        "supervisor": {a, b, c},
        "sysadmin": {a, b, c},
        "applicant": set(),
    }
    for key, cases in expected.items():
        user = world["users"][key]
        assert set(cases_visible(actor=user)) == cases, key
    with pytest.raises(NotFound):
        case_get(actor=world["users"]["v12"], pk=a.pk)
    assert case_get(actor=world["users"]["town1_manager"], pk=a.pk) == a


def test_queues_and_filters(world, monkeypatch):
    mine = register(world, "v11")
    manager = world["users"]["town1_manager"]
    unassigned = register(world, "v11", actor=manager, unit=manager.unit)
    green = register(world, "v11", category="special_group")
    v11 = world["users"]["v11"]
    assert unassigned.agent is None
    assert list(case_queue(actor=v11, queue="mine")) == [green, mine]  # green channel first
    assert list(case_queue(actor=manager, queue="unassigned")) == [unassigned]
    # Due dates: accepted on Friday 20 November 2026 with 3 working days → due Wednesday 25th.
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 20)
    )
    services.case_accept(actor=v11, case=mine, revision=mine.revision)
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 24)
    )
    assert list(case_queue(actor=v11, queue="due_soon")) == [mine]
    assert list(case_queue(actor=v11, queue="overdue")) == []
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 26)
    )
    assert list(case_queue(actor=v11, queue="overdue")) == [mine]
    filters = CaseFilters(warning="overdue", state=State.ACCEPTED, item=world["item"].pk)
    assert list(case_queue(actor=manager, queue="all", filters=filters)) == [mine]
    assert list(case_queue(actor=manager, queue="all", filters=CaseFilters(q=green.number))) == [
        green
    ]
    today = timezone.localtime(mine.registered_at).date()
    in_range = CaseFilters(registered_from=today, registered_to=today)
    assert case_queue(actor=manager, queue="all", filters=in_range).count() == 3
    later = CaseFilters(registered_from=today + timedelta(days=1))
    assert not case_queue(actor=manager, queue="all", filters=later).exists()
    with pytest.raises(NotFound):
        case_queue(actor=v11, queue="nonsense")


def test_the_liaison_queue_lists_its_departments_open_tasks(world):
    case = started(world, "v11")
    tasks = list(tasks_for_department(actor=world["users"]["liaison"]))
    assert [t.case for t in tasks] == [case]
    assert list(case_queue(actor=world["users"]["liaison"], queue="tasks")) == [case]
    assert not tasks_for_department(actor=world["users"]["applicant"]).exists()


def test_the_deadline_is_explained(world, monkeypatch):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 11, 20)
    )
    case = started(world, "v11")
    explained = deadline_explained(case, today=date(2026, 11, 24))
    assert "2026-11-20" in explained.text and "2026-11-25" in explained.text
    assert explained.deadline.remaining == 1 and explained.deadline.warning == "due_soon"


@pytest.mark.parametrize("queue", ["mine", "all", "due_soon", "overdue", "tasks"])
def test_queue_queries_do_not_grow_with_the_number_of_cases(
    world, queue, django_assert_max_num_queries
):
    user = world["users"]["town1_manager"] if queue != "mine" else world["users"]["v11"]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            for case in case_queue(actor=user, queue=queue):
                [ci.item.name for ci in case.items.all()]
                str(case.unit), str(case.agent)
        return len(queries)

    for _ in range(3):
        started(world, "v11")
    few = count()
    for _ in range(12):
        started(world, "v11")
    with django_assert_max_num_queries(few):
        count()


def test_queue_rows_are_the_queues_page_read_in_two_queries_without_identifiers(world):
    v11 = world["users"]["v11"]
    for _ in range(4):
        started(world, "v11")
    register(world, "v11", category="special_group")
    queue = case_queue(actor=v11, queue="mine")
    with CaptureQueriesContext(connection) as queries:
        rows = queue_rows(queue[1:4])
    assert [row["pk"] for row in rows] == [case.pk for case in queue[1:4]]
    case = queue[1]
    assert rows[0] == {
        "pk": case.pk,
        "number": case.number,
        "special_group": case.special_group,
        "applicant_name": case.applicant_name,
        "kind": case.kind,
        "state": case.state,
        "due_date": case.due_date,
        "agent__name": case.agent.name,
        "items": [world["item"].name],
    }
    assert len(queries) == 2
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    for column in ("id_number", "phone"):
        assert f'"cases_case"."{column}"' not in sql and f'"org_agent"."{column}"' not in sql
    assert queue_rows(queue.filter(pk=-1)) == []


def test_the_case_page_reads_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    case = started(world, "v11")
    user = world["users"]["v11"]
    with django_assert_max_num_queries(20):
        case_detail(actor=user, pk=case.pk)
    for n in range(10):
        services.message_post(
            actor=user, case=case, revision=case.revision + n, text=f"第{n}条留言"
        )
    with django_assert_max_num_queries(20):
        case_detail(actor=user, pk=case.pk)


def test_the_work_log_shows_the_day_and_is_scoped(world):
    v11 = world["users"]["v11"]
    case = register(world, "v11")
    services.work_note_add(actor=v11, text="入户走访张大爷", case=case)
    log = work_log(actor=v11, user=v11, day=timezone.localdate())
    assert [e.action for e in log.entries] == ["register"] and len(log.notes) == 1
    assert work_log(actor=world["users"]["town1_manager"], user=v11, day=timezone.localdate())
    for outsider in ("v12", "town2_manager"):
        with pytest.raises(NotFound):
            work_log(actor=world["users"][outsider], user=v11, day=timezone.localdate())
