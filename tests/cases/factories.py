"""Cases for tests, made the way staff make them: registered and then moved through the
workflow by the services, so every case carries its timeline, events and revision.

    case = case_in_state(State.IN_PROGRESS)                 # a village point, agent and item
    case = case_in_state("delivered", actor=agent_user, items=[item], kind="proxy")
"""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.utils import timezone

from bangban.cases import services
from bangban.cases.models import Case
from bangban.cases.workflow import State
from bangban.catalog import services as catalog_services
from bangban.catalog.models import Item
from bangban.org.models import Level, Role, User
from tests.factories import AgentFactory, UnitFactory, UserFactory

PERSON = {
    "applicant_name": "张秀英",
    "id_number": "11010519491231002X",
    "phone": "13912345678",
    "address": "城关街道人民路1号",
}
APPLICANT_SIGNATORY = PERSON["applicant_name"]
FORMS = [
    {"material": "营业执照申请书", "copies": 1, "original": True},
    {"material": "身份证复印件", "copies": 2},
]


def item_of(department, *, actor, name: str, limit_days: int, target: str = "自然人") -> Item:
    """A catalog item `department` decides, offered for assist and proxy at every tier."""
    return catalog_services.item_create(
        actor=actor,
        reason="新增",
        data={
            "name": name,
            "item_type": "行政许可",
            "target": target,
            "assist_tiers": "县;乡;村",
            "proxy_tiers": "县;乡;村",
            "department": department.name,
            "promised_limit_days": limit_days,
        },
    )


def point_with_item(*, limit_days: int = 3) -> tuple[User, Item]:
    """A village point under a town and a county with a department, the village's agent (a
    user with an agent record) and an item that department decides."""
    county = UnitFactory(level=Level.COUNTY)
    department = UnitFactory(level=Level.DEPARTMENT, parent=county)
    town = UnitFactory(level=Level.TOWN, parent=county)
    village = UnitFactory(level=Level.VILLAGE, parent=town)
    agent_user = UserFactory(unit=village, role=Role.AGENT)
    AgentFactory(unit=village, user=agent_user)
    admin = UserFactory(unit=county, role=Role.CENTRE_ADMIN)
    item = item_of(
        department, actor=admin, name=f"测试事项{department.code}", limit_days=limit_days
    )
    return agent_user, item


def _fresh(case: Case) -> Case:
    case.refresh_from_db()
    return case


def case_in_state(
    state: State | str,
    *,
    actor: User | None = None,
    items: Sequence[Item] | None = None,
    kind: str = "assist",
    **register: Any,
) -> Case:
    """A case in `state`, reached through the services by `actor` (a staff user of the case's
    unit; by default a new village point's agent, with a new item). Extra keyword arguments go
    to `case_register` (channel, category, unit, …). On the way: a refused case is refused at
    the check, a terminated one terminated at the applicant's request before acceptance, a
    proxy case's agreement signed before the start, every department task decided approved
    before completion, the results picked up at the window, and the rating recorded before
    archiving."""
    state = State(state)
    if actor is None:
        actor, item = point_with_item()
        items = [item] if items is None else items
    if not items:
        raise ValueError("case_in_state needs the items when it is given an actor")
    values = {
        "actor": actor,
        "unit": actor.unit,
        "kind": kind,
        "proxy_scope": "full" if kind == "proxy" else "",
        "channel": "window",
        "category": "personal",
        "applicant_type": "person",
        "applicant": PERSON,
        "items": list(items),
    }
    case = services.case_register(**(values | register))
    if state == State.REGISTERED:
        return case
    by = {"actor": actor, "case": case}
    if state == State.AWAITING_MATERIALS:
        services.notice_issue(
            **by,
            revision=case.revision,
            missing=[{"name": "户口簿", "how": "到户籍所在地派出所复印"}],
            deadline=timezone.localdate() + timedelta(days=5),
        )
        return _fresh(case)
    if state == State.REFUSED:
        return services.case_refuse(**by, revision=case.revision, reason="不属于本站可办事项")
    if state == State.TERMINATED:
        services.case_terminate(
            **by,
            revision=case.revision,
            requested_by="applicant",
            ground="applicant_request",
            reason="申请人决定暂不办理",
        )
        return _fresh(case)
    case = services.case_accept(**by, revision=case.revision)
    if state == State.ACCEPTED:
        return case
    if case.kind == "proxy":
        services.agreement_sign(
            **by, revision=case.revision, applicant_signatory=APPLICANT_SIGNATORY
        )
    case = services.case_start(**by, revision=_fresh(case).revision)
    if state == State.IN_PROGRESS:
        return case
    if state == State.PAUSED:
        return services.case_pause(**by, revision=case.revision, reason="等待申请人补充材料")
    for task in case.tasks.filter(decision=""):
        services.task_decide(
            **by,
            revision=_fresh(case).revision,
            task=task,
            decision="approved",
            result="许可证",
        )
    services.case_complete(**by, revision=_fresh(case).revision, results="已取得许可证")
    if state == State.COMPLETED:
        return _fresh(case)
    services.case_deliver(
        **by, revision=_fresh(case).revision, method="window", receiver=APPLICANT_SIGNATORY
    )
    if state == State.DELIVERED:
        return _fresh(case)
    services.rating_record(**by, revision=_fresh(case).revision, level=5)
    return services.case_archive(**by, revision=_fresh(case).revision)
