"""Demo cases: a few dozen cases spread over the last three weeks and over every state, made
through the same services as real work (as back-entries, since they happened "earlier"), so a
fresh demo shows full queues, due-soon and overdue warnings, department tasks and archives."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from bangban.cases import services
from bangban.cases.models import Case, Party
from bangban.cases.workflow import State
from bangban.catalog.selectors import items_offered
from bangban.org.demo import People
from bangban.org.models import Role, User

REASON = "演示数据：按纸质台账补录"
# The states the demo reaches, with how many cases end in each.
PLAN: tuple[tuple[str, int], ...] = (
    (State.REGISTERED, 4),
    (State.AWAITING_MATERIALS, 3),
    (State.ACCEPTED, 3),
    (State.IN_PROGRESS, 8),
    (State.PAUSED, 2),
    (State.COMPLETED, 2),
    (State.DELIVERED, 3),
    (State.ARCHIVED, 4),
    (State.REFUSED, 2),
    (State.TERMINATED, 1),
)
MATERIALS = ("申请表", "身份证复印件", "营业执照复印件", "场所使用证明")


@dataclass
class Clock:
    """Steps of one case, an hour or two apart, starting some days ago and never reaching now."""

    at: datetime
    rng: random.Random

    def next(self) -> dict:
        self.at += timedelta(minutes=self.rng.randint(40, 180))
        return {"occurred_at": min(self.at, timezone.now()), "back_entry_reason": REASON}


def _staff() -> list[User]:
    return list(
        User.objects.filter(is_demo=True, role=Role.AGENT, agent__isnull=False).select_related(
            "unit"
        )
    )


def demo_cases(*, seed: int = 1) -> list[Case]:
    rng = random.Random(seed)
    people = People(rng)
    agents = _staff()
    if not agents:
        return []
    liaisons = {u.unit_id: u for u in User.objects.filter(is_demo=True, role=Role.LIAISON)}
    made: list[Case] = []
    for target, count in PLAN:
        for _n in range(count):
            actor = rng.choice(agents)
            offered = list(items_offered(unit=actor.unit).filter(department__isnull=False)[:60])
            if not offered:
                continue
            # Prefer items of a department with a demo liaison, so its queue is not empty.
            preferred = [i for i in offered if i.department_id in liaisons] or offered
            item = rng.choice(preferred)
            made.append(_one(rng, people, actor, item, target, liaisons))
    return made


def _one(rng, people, actor, item, target: str, liaisons) -> Case:
    days_ago = rng.randint(1, 20)
    clock = Clock(timezone.now() - timedelta(days=days_ago, hours=rng.randint(1, 6)), rng)
    name, id_number, phone = people.person()
    kind = rng.choice(["assist", "proxy"]) if "村" in item.proxy_tiers else "assist"
    case = services.case_register(
        actor=actor,
        unit=actor.unit,
        kind=kind,
        proxy_scope="full" if kind == "proxy" else "",
        channel=rng.choice(["window", "window", "phone", "home_visit"]),
        category=rng.choice(["personal", "personal", "special_group"]),
        applicant_type="person",
        applicant={"applicant_name": name, "id_number": id_number, "phone": phone},
        items=[item],
        **clock.next(),
    )

    def step(service: Callable, **kwargs) -> None:
        nonlocal case
        service(actor=kwargs.pop("by", actor), case=case, revision=case.revision, **kwargs)
        case.refresh_from_db()

    if target == State.REGISTERED:
        return case
    if target == State.AWAITING_MATERIALS:
        step(
            services.notice_issue,
            missing=[{"name": "户口簿复印件", "how": "携户口簿到村便民服务站复印"}],
            deadline=timezone.localdate() + timedelta(days=5),
            **clock.next(),
        )
        return case
    if target == State.REFUSED:
        step(
            services.case_refuse,
            reason="申请事项不属于本站可办范围，已告知到县中心办理",
            **clock.next(),
        )
        return case
    step(services.case_accept, **clock.next())
    if target == State.ACCEPTED:
        return case
    if kind == "proxy":
        step(services.agreement_sign, applicant_signatory=name, **clock.next())
        lines = [{"material": m, "copies": 1} for m in rng.sample(MATERIALS, 2)]
        step(
            services.handover_record,
            giver=Party.APPLICANT,
            receiver=Party.AGENT,
            lines=lines,
            giver_signatory=name,
            receiver_signatory=actor.full_name or actor.username,
            **clock.next(),
        )
    step(services.case_start, **clock.next())
    if target == State.TERMINATED:
        if kind == "proxy":
            step(
                services.handover_record,
                giver=Party.AGENT,
                receiver=Party.APPLICANT,
                lines=lines,
                giver_signatory=actor.full_name or actor.username,
                receiver_signatory=name,
                **clock.next(),
            )
        step(
            services.case_terminate,
            requested_by="applicant",
            ground="applicant_request",
            reason="申请人决定暂缓开业，申请终止代办",
            **clock.next(),
        )
        return case
    if target == State.PAUSED:
        step(services.case_pause, reason="等待申请人补充场所证明", **clock.next())
        return case
    if target == State.IN_PROGRESS:
        return case
    for task in case.tasks.all():
        liaison = liaisons.get(task.department_id)
        step(
            services.task_decide,
            task=task,
            decision="approved",
            result=f"{item.name}决定书",
            **({"by": liaison} if liaison else {}),
            **clock.next(),
        )
    step(services.case_complete, results=f"{item.name}已办结", **clock.next())
    if target == State.COMPLETED:
        return case
    step(services.case_deliver, method="window", receiver=name, **clock.next())
    if target == State.DELIVERED:
        return case
    step(services.rating_record, level=rng.choice([5, 5, 4, 3]), comment="服务周到", **clock.next())
    step(services.case_archive)
    return case
