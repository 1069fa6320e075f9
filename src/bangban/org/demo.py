"""The demo county: a deterministic, realistic 秦川县 with its three tiers, departments, bank
outlets, agents, trainings, personnel changes and one demo login per role.

Two steps, so that other generators (the case generator of the benchmarks) can reuse them:
`plan_county` draws everything from a `random.Random` and returns plain data, touching no
database (the same seed always gives the same plan); `create_county` writes a plan through the
org services as the system (`actor=None`). `demo_create` runs both in one transaction, refusing
a database that already holds units."""

import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from bangban.core.errors import Conflict
from bangban.core.identifiers import generate_id_number, generate_mobile
from bangban.org import demo_data as data
from bangban.org.models import (
    EIGHT_HAVES,
    Activity,
    Agent,
    Employment,
    Level,
    PersonnelChange,
    Post,
    Role,
    ServiceKind,
    Unit,
    User,
)
from bangban.org.services import (
    activity_record,
    agent_create,
    personnel_change_record,
    unit_create,
    user_create,
)

# Every demo login shares this published password; `bangban demo-logins` prints it.
DEMO_PASSWORD = "Demo@2026!"  # noqa: S105 (published on purpose)
# The day the demo roster starts: fixed, so that the plan never depends on today's date.
ACTIVE_FROM = date(2026, 1, 5)
SHANGHAI = ZoneInfo("Asia/Shanghai")
EMAIL_DOMAIN = "qinchuan.example"  # a reserved top-level domain: mail to it goes nowhere

BASE_VILLAGES = 200  # at scale 1, spread 8–25 per town
VILLAGES_PER_TOWN = (8, 25)
UNSTAFFED_VILLAGES = 3  # villages left without an agent, so that the shortfall shows
TWO_AGENT_SHARE = 0.45  # share of villages with two agents rather than one
COUNTY_AGENTS = 6
TOWN_AGENTS = (2, 4)
AGE_RANGE = (22, 58)

# The order in which logins are listed.
ROLE_ORDER = [
    Role.SYSADMIN,
    Role.CENTRE_ADMIN,
    Role.MANAGER,
    Role.AGENT,
    Role.LIAISON,
    Role.SUPERVISOR,
    Role.APPLICANT,
]


class DemoNotEmpty(Conflict):
    """The database already holds units: a demo county would be mixed with real data."""

    @staticmethod
    def default_message() -> str:
        return _(
            "The database already holds units; the demo county can only be created in an "
            "empty database."
        )


# --- The plan: plain data ---------------------------------------------------------------------


@dataclass(frozen=True)
class UnitPlan:
    code: str
    name: str
    level: str
    parent: str | None  # the parent's code
    details: dict[str, Any]


@dataclass(frozen=True)
class AgentPlan:
    key: str  # unique within a plan: "<unit code>#<n>"
    unit: str
    name: str
    id_number: str
    phone: str
    details: dict[str, Any]


@dataclass(frozen=True)
class LoginPlan:
    username: str
    role: str
    full_name: str
    unit: str | None = None
    agent: str | None = None  # the key of the agent this login belongs to


@dataclass(frozen=True)
class ActivityPlan:
    unit: str
    kind: str
    title: str
    starts_at: datetime
    location: str
    summary: str
    attendance: tuple[tuple[str, str], ...]  # (agent key, status)


@dataclass(frozen=True)
class ChangePlan:
    unit: str
    post: str
    effective_date: date
    previous_agent: str | None
    name: str
    id_number: str
    phone: str
    email: str
    reason: str


@dataclass
class CountyPlan:
    units: list[UnitPlan] = field(default_factory=list)
    agents: list[AgentPlan] = field(default_factory=list)
    logins: list[LoginPlan] = field(default_factory=list)
    activities: list[ActivityPlan] = field(default_factory=list)
    changes: list[ChangePlan] = field(default_factory=list)

    def units_of(self, level: str) -> list[UnitPlan]:
        return [unit for unit in self.units if unit.level == level]

    def agents_of(self, unit_code: str) -> list[AgentPlan]:
        return [agent for agent in self.agents if agent.unit == unit_code]


class People:
    """Draws people: a Chinese name, an ID number (ages 22–58 on ACTIVE_FROM) and a mobile,
    never repeating an ID number or mobile. Reusable by other generators (applicants)."""

    def __init__(self, rng: random.Random, *, region: str = data.REGION_CODE):
        self.rng = rng
        self.region = region
        self._surnames = [surname for surname, _share in data.SURNAMES]
        self._weights = [share for _surname, share in data.SURNAMES]
        self._id_numbers: set[str] = set()
        self._mobiles: set[str] = set()

    def name(self, gender: str) -> str:
        rng = self.rng
        surname = rng.choices(self._surnames, self._weights)[0]
        chars = data.GIVEN_MALE if gender == "male" else data.GIVEN_FEMALE
        if rng.random() < 0.3:
            return surname + rng.choice(chars)
        first, second = rng.sample(chars, 2)
        return surname + first + second

    def birth_date(self, ages: tuple[int, int] = AGE_RANGE, on: date = ACTIVE_FROM) -> date:
        youngest, oldest = ages
        latest = on.replace(year=on.year - youngest)
        earliest = on.replace(year=on.year - oldest - 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def id_number(self, *, gender: str, birth: date) -> str:
        while True:
            value = generate_id_number(self.rng, region=self.region, birth=birth, gender=gender)
            if value not in self._id_numbers:
                self._id_numbers.add(value)
                return value

    def mobile(self) -> str:
        while True:
            value = generate_mobile(self.rng)
            if value not in self._mobiles:
                self._mobiles.add(value)
                return value

    def person(self, *, avoid_names: Iterable[str] = ()) -> tuple[str, str, str]:
        """(name, ID number, mobile)."""
        gender = self.rng.choice(("male", "female"))
        avoid = set(avoid_names)
        name = self.name(gender)
        while name in avoid:
            name = self.name(gender)
        return name, self.id_number(gender=gender, birth=self.birth_date()), self.mobile()


def _eight_haves(rng: random.Random, probability: float) -> dict[str, bool]:
    return {name: rng.random() < probability for name, _label in EIGHT_HAVES}


def _village_counts(rng: random.Random, towns: int, scale: float) -> list[int]:
    """Villages per town, 8–25 each at scale 1, adding up to BASE_VILLAGES × scale."""
    low = max(1, round(VILLAGES_PER_TOWN[0] * scale))
    high = max(low, round(VILLAGES_PER_TOWN[1] * scale))
    target = min(max(towns * low, round(BASE_VILLAGES * scale)), towns * high)
    counts = [rng.randint(low, high) for _town in range(towns)]
    while sum(counts) != target:
        i = rng.randrange(towns)
        if sum(counts) < target and counts[i] < high:
            counts[i] += 1
        elif sum(counts) > target and counts[i] > low:
            counts[i] -= 1
    return counts


def _place_names(
    rng: random.Random, count: int, *, community_share: float, used: set[str]
) -> list[str]:
    """`count` names of villages (村) and communities (社区), none in `used`, which gathers them."""
    names = []
    for _n in range(count):
        if rng.random() < community_share:
            pool = [name for name in data.COMMUNITY_NAMES if name not in used]
            chars, suffix = (data.COMMUNITY_FIRST, data.COMMUNITY_SECOND), "社区"
        else:
            pool, chars, suffix = [], (data.VILLAGE_FIRST, data.VILLAGE_SECOND), "村"
        stem = rng.choice(pool) if pool else _made_up_name(rng, *chars, used=used)
        used.add(stem)
        names.append(stem + suffix)
    return names


def _made_up_name(rng: random.Random, first: str, second: str, *, used: set[str]) -> str:
    for _attempt in range(50):
        stem = rng.choice(first) + rng.choice(second)
        if stem[0] != stem[1] and stem not in used:
            return stem
    # A very large scale: number the places of one name (石桥一村, 石桥二村 …).
    n = 1
    while f"{stem}{_ordinal(n)}" in used:
        n += 1
    return f"{stem}{_ordinal(n)}"


def _ordinal(n: int) -> str:
    digits = data.CHINESE_ORDINALS
    return digits[n - 1] if n <= len(digits) else str(n)


def plan_units(rng: random.Random, *, scale: float = 1.0) -> CountyPlan:
    """The county centre, its departments, towns, villages and two bank outlets."""
    plan = CountyPlan()
    county = data.COUNTY_CODE
    full_hours = {
        "opening_hours": data.OPENING_HOURS,
        "lunch_hours": data.LUNCH_HOURS,
        "weekend_hours": data.WEEKEND_HOURS,
    }
    plan.units.append(
        UnitPlan(
            code=county,
            name=data.COUNTY_CENTRE["name"],
            level=Level.COUNTY,
            parent=None,
            details={
                "address": data.COUNTY_CENTRE["address"],
                "phone": data.COUNTY_CENTRE["phone"],
                **full_hours,
                **_eight_haves(rng, 1.0),
            },
        )
    )
    for i, (_key, name) in enumerate(data.DEPARTMENTS, start=1):
        plan.units.append(
            UnitPlan(
                code=f"{county}-D{i:02d}",
                name=name,
                level=Level.DEPARTMENT,
                parent=county,
                details={
                    "address": f"{data.COUNTY_CENTRE['name']}二楼{i}号窗口",
                    "phone": f"{data.AREA_CODE}-63211{i:02d}",
                    "opening_hours": data.OPENING_HOURS,
                    **_eight_haves(rng, 1.0),
                },
            )
        )
    counts = _village_counts(rng, len(data.TOWNS), scale)
    used_names: set[str] = set()  # no two villages of the county share a name
    for t, ((town_name, street), villages) in enumerate(zip(data.TOWNS, counts, strict=True), 1):
        town = f"{county}{t:02d}"
        plan.units.append(
            UnitPlan(
                code=town,
                name=town_name,
                level=Level.TOWN,
                parent=county,
                details={
                    "address": f"{data.COUNTY_NAME}{town_name}{street}{rng.randint(1, 120)}号",
                    "phone": f"{data.AREA_CODE}-64{t:02d}001",
                    **full_hours,
                    **_eight_haves(rng, 0.92),
                },
            )
        )
        community_share = 0.85 if town_name.endswith("街道") else 0.08
        for v, name in enumerate(
            _place_names(rng, villages, community_share=community_share, used=used_names), 1
        ):
            kind = "社区" if name.endswith("社区") else "村"
            plan.units.append(
                UnitPlan(
                    code=f"{town}-{v:02d}",
                    name=name,
                    level=Level.VILLAGE,
                    parent=town,
                    details={
                        "address": f"{data.COUNTY_NAME}{town_name}{name}"
                        + ("党群服务中心" if kind == "社区" else "村委会"),
                        "phone": f"{data.AREA_CODE}-64{t:02d}{rng.randint(100, 999)}",
                        "opening_hours": data.VILLAGE_OPENING_HOURS,
                        "weekend_hours": data.VILLAGE_WEEKEND_HOURS,
                        **_eight_haves(rng, 0.8),
                    },
                )
            )
    first_town = data.TOWNS[0][0]
    outlet_details = {
        "opening_hours": "周一至周五 9:00-17:00",
        "weekend_hours": "周六、周日 9:00-16:00",
        "has_window": True,
        "has_agents": True,
        "has_equipment": True,
        "has_item_list": True,
        "has_guides": True,
    }
    plan.units.append(
        UnitPlan(
            code=f"{county}-B01",
            name=f"秦川农商银行{first_town[:2]}支行便民服务点",
            level=Level.OUTLET,
            parent=f"{county}01",
            details={
                "address": f"{data.COUNTY_NAME}{first_town}{data.TOWNS[0][1]}56号",
                "phone": f"{data.AREA_CODE}-6322188",
                **outlet_details,
            },
        )
    )
    plan.units.append(
        UnitPlan(
            code=f"{county}-B02",
            name="中国邮政储蓄银行秦川县支行政银合作网点",
            level=Level.OUTLET,
            parent=county,
            details={
                "address": f"{data.COUNTY_NAME}{first_town}政务路9号",
                "phone": f"{data.AREA_CODE}-6325566",
                **outlet_details,
            },
        )
    )
    return plan


def plan_agents(
    rng: random.Random, plan: CountyPlan, people: People, *, scale: float = 1.0
) -> None:
    """The roster: county ≥ 4, one liaison per department, 2–4 per town, 1–2 per village
    (× scale; a few villages none), one per outlet."""
    villages = plan.units_of(Level.VILLAGE)
    first_village = villages[0].code
    candidates = [v.code for v in villages if v.code != first_village]
    unstaffed = set(
        rng.sample(candidates, min(len(candidates), max(1, round(UNSTAFFED_VILLAGES * scale))))
    )
    staffed = [v.code for v in villages if v.code not in unstaffed]
    two_agents = set(rng.sample(staffed, round(TWO_AGENT_SHARE * len(staffed))))

    for unit in plan.units:
        if unit.level == Level.COUNTY:
            count = COUNTY_AGENTS
        elif unit.level == Level.DEPARTMENT or unit.level == Level.OUTLET:
            count = 1
        elif unit.level == Level.TOWN:
            count = rng.randint(*TOWN_AGENTS)
        elif unit.code in unstaffed:
            count = 0
        else:
            count = max(1, round((2 if unit.code in two_agents else 1) * scale))
        if unit.level == Level.VILLAGE:  # the checklist's "agents" says whether there are any
            unit.details["has_agents"] = count > 0
        names: list[str] = []
        for n in range(1, count + 1):
            name, id_number, phone = people.person(avoid_names=names)
            names.append(name)
            key = f"{unit.code}#{n}"
            plan.agents.append(
                AgentPlan(
                    key=key,
                    unit=unit.code,
                    name=name,
                    id_number=id_number,
                    phone=phone,
                    details=_agent_details(rng, unit, key),
                )
            )


def _agent_details(rng: random.Random, unit: UnitPlan, key: str) -> dict[str, Any]:
    level = unit.level
    details: dict[str, Any] = {
        "public_phone": unit.details["phone"],
        "service_hours": unit.details["opening_hours"],
        "on_duty": rng.random() < 0.95,
        "post": Post.AGENT,
    }
    if level == Level.DEPARTMENT:
        details |= {"post": Post.LIAISON, "employment": Employment.PART_TIME}
        details["service_kind"] = ServiceKind.BOTH
        details["on_duty"] = True
    elif level == Level.COUNTY:
        details["employment"] = Employment.FULL_TIME
        details["service_kind"] = ServiceKind.BOTH
    elif level == Level.TOWN:
        details["employment"] = rng.choices([Employment.FULL_TIME, Employment.PART_TIME], [7, 3])[0]
        details["service_kind"] = rng.choices(
            [ServiceKind.BOTH, ServiceKind.PROXY, ServiceKind.ASSIST], [6, 2, 2]
        )[0]
    elif level == Level.OUTLET:
        details["employment"] = Employment.PART_TIME
        details["service_kind"] = ServiceKind.ASSIST
    else:
        details["employment"] = rng.choices([Employment.PART_TIME, Employment.FULL_TIME], [8, 2])[0]
        details["service_kind"] = rng.choices(
            [ServiceKind.BOTH, ServiceKind.ASSIST, ServiceKind.PROXY], [5, 4, 1]
        )[0]
        details["post"] = rng.choices([Post.AGENT, Post.GRID_WORKER, Post.VOLUNTEER], [7, 2, 1])[0]
    if level != Level.VILLAGE or rng.random() < 0.3:
        details["email"] = _email(key)
    return details


def _email(key: str) -> str:
    unit_code, n = key.split("#")
    return f"{unit_code.lower()}.{n}@{EMAIL_DOMAIN}"


def plan_logins(rng: random.Random, plan: CountyPlan, people: People) -> None:
    """One demo login per role; staff logins belong to an agent of the roster."""
    county = data.COUNTY_CODE
    town = f"{county}01"
    village = plan.units_of(Level.VILLAGE)[0].code
    liaison = f"{county}-D01"  # 发改, the first department
    agents = {agent.key: agent for agent in plan.agents}

    def staff(username: str, role: str, key: str) -> LoginPlan:
        agent = agents[key]
        return LoginPlan(username, role, agent.name, unit=agent.unit, agent=key)

    plan.logins.extend(
        [
            LoginPlan("admin", Role.SYSADMIN, people.name(rng.choice(("male", "female")))),
            staff("centre", Role.CENTRE_ADMIN, f"{county}#2"),
            staff("town01-manager", Role.MANAGER, f"{town}#1"),
            staff("county-agent", Role.AGENT, f"{county}#1"),
            staff("town01-agent", Role.AGENT, f"{town}#2"),
            staff("village01-agent", Role.AGENT, f"{village}#1"),
            staff(f"liaison-{data.DEPARTMENTS[0][0]}", Role.LIAISON, f"{liaison}#1"),
            LoginPlan("supervisor", Role.SUPERVISOR, people.name(rng.choice(("male", "female")))),
            LoginPlan("citizen", Role.APPLICANT, people.name(rng.choice(("male", "female")))),
        ]
    )


def _attendance(rng: random.Random, agents: Sequence[AgentPlan]) -> tuple[tuple[str, str], ...]:
    statuses = ["present", "excused", "absent"]
    return tuple((agent.key, rng.choices(statuses, [90, 7, 3])[0]) for agent in agents)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def plan_activities(rng: random.Random, plan: CountyPlan) -> None:
    """Trainings and meetings in the first half of 2026, before any personnel change."""
    county = data.COUNTY_CODE
    by_level: dict[str, list[AgentPlan]] = {}
    levels = {unit.code: unit.level for unit in plan.units}
    for agent in plan.agents:
        by_level.setdefault(levels[agent.unit], []).append(agent)
    towns = plan.units_of(Level.TOWN)

    def add(unit: str, spec: tuple[str, str, str, str], when: datetime, invited, **fmt) -> None:
        kind, title, location, summary = spec
        plan.activities.append(
            ActivityPlan(
                unit=unit,
                kind=kind,
                title=title.format(**fmt),
                starts_at=when,
                location=location.format(**fmt),
                summary=summary,
                attendance=_attendance(rng, invited),
            )
        )

    county_staff = by_level.get(Level.COUNTY, [])
    add(
        county,
        data.COUNTY_MEETING,
        _at(date(2026, 1, 20), 14, 30),
        county_staff + by_level.get(Level.TOWN, []),
    )
    add(
        county,
        data.LIAISON_MEETING,
        _at(date(2026, 2, 26), 9, 30),
        county_staff[:2] + by_level.get(Level.DEPARTMENT, []),
    )
    add(
        county,
        data.COUNTY_TRAINING,
        _at(date(2026, 3, 12), 9),
        by_level.get(Level.TOWN, []) + by_level.get(Level.VILLAGE, []),
    )
    for town, day in ((towns[0], date(2026, 4, 8)), (towns[3], date(2026, 4, 15))):
        village_agents = [
            agent for agent in by_level.get(Level.VILLAGE, []) if agent.unit.startswith(town.code)
        ]
        add(town.code, data.TOWN_TRAINING, _at(day, 9), village_agents, town=town.name)


def plan_changes(rng: random.Random, plan: CountyPlan, people: People) -> None:
    """Four lines of the personnel change register, effective in the second half of 2026."""
    levels = {unit.code: unit.level for unit in plan.units}
    with_login = {login.agent for login in plan.logins if login.agent}
    free = [agent for agent in plan.agents if agent.key not in with_login]

    def pick(level: str) -> AgentPlan:
        return rng.choice([agent for agent in free if levels[agent.unit] == level])

    def newcomer(unit: str, n: int) -> dict[str, str]:
        name, id_number, phone = people.person()
        return {
            "name": name,
            "id_number": id_number,
            "phone": phone,
            "email": _email(f"{unit}#{n}"),
        }

    def replace(agent: AgentPlan, post: str, day: date, reason: str) -> None:
        n = len(plan.agents_of(agent.unit)) + sum(c.unit == agent.unit for c in plan.changes) + 1
        plan.changes.append(
            ChangePlan(
                unit=agent.unit,
                post=post,
                effective_date=day,
                previous_agent=agent.key,
                reason=reason,
                **newcomer(agent.unit, n),
            )
        )

    replace(pick(Level.TOWN), "便民服务中心帮办代办员", date(2026, 7, 1), "退休")
    replace(pick(Level.VILLAGE), "村（社区）代办员", date(2026, 9, 1), "工作调动")
    replace(pick(Level.DEPARTMENT), "部门帮代办联络员", date(2026, 10, 8), "岗位调整")
    # A village among those with the fewest agents (but some) gets one more.
    counts: dict[str, int] = {}
    for agent in plan.agents:
        counts[agent.unit] = counts.get(agent.unit, 0) + 1
    changed = {change.unit for change in plan.changes}
    staffed = [
        unit.code
        for unit in plan.units_of(Level.VILLAGE)
        if counts.get(unit.code) and unit.code not in changed
    ]
    fewest = min(counts[code] for code in staffed)
    unit = rng.choice([code for code in staffed if counts[code] == fewest])
    plan.changes.append(
        ChangePlan(
            unit=unit,
            post="村（社区）代办员",
            effective_date=date(2026, 6, 15),
            previous_agent=None,
            reason="充实村级代办队伍",
            **newcomer(unit, counts[unit] + 1),
        )
    )


def plan_county(rng: random.Random, *, scale: float = 1.0) -> CountyPlan:
    """Everything the demo county holds, as plain data: no database is touched."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    people = People(rng)
    plan = plan_units(rng, scale=scale)
    plan_agents(rng, plan, people, scale=scale)
    plan_logins(rng, plan, people)
    plan_activities(rng, plan)
    plan_changes(rng, plan, people)
    return plan


# --- Writing a plan through the services --------------------------------------------------------


@dataclass
class DemoCounty:
    """What `create_county` made, by code, key and username, for generators that build on it."""

    plan: CountyPlan
    units: dict[str, Unit]
    agents: dict[str, Agent]
    users: dict[str, User]
    activities: list[Activity]
    changes: list[PersonnelChange]

    def units_of(self, level: str) -> list[Unit]:
        return [unit for unit in self.units.values() if unit.level == level]


def create_county(plan: CountyPlan) -> DemoCounty:
    """Write a plan as the system. Call inside a transaction (demo_create does)."""
    units: dict[str, Unit] = {}
    for unit in plan.units:
        units[unit.code] = unit_create(
            actor=None,
            name=unit.name,
            code=unit.code,
            level=unit.level,
            parent=units[unit.parent] if unit.parent else None,
            **unit.details,
        )

    users: dict[str, User] = {}

    def login(spec: LoginPlan) -> User:
        users[spec.username] = user_create(
            actor=None,
            username=spec.username,
            password=DEMO_PASSWORD,
            role=spec.role,
            unit=units[spec.unit] if spec.unit else None,
            full_name=spec.full_name,
            is_demo=True,
        )
        return users[spec.username]

    logins_by_agent = {spec.agent: spec for spec in plan.logins if spec.agent}
    agents: dict[str, Agent] = {}
    for spec in plan.agents:
        user = login(logins_by_agent[spec.key]) if spec.key in logins_by_agent else None
        agents[spec.key] = agent_create(
            actor=None,
            unit=units[spec.unit],
            name=spec.name,
            id_number=spec.id_number,
            phone=spec.phone,
            active_from=ACTIVE_FROM,
            user=user,
            **spec.details,
        )
    for spec in plan.logins:
        if spec.agent is None:
            login(spec)

    activities = [
        activity_record(
            actor=None,
            unit=units[spec.unit],
            kind=spec.kind,
            title=spec.title,
            starts_at=spec.starts_at,
            location=spec.location,
            summary=spec.summary,
            attendance={agents[key].pk: status for key, status in spec.attendance},
        )
        for spec in plan.activities
    ]
    changes = [
        personnel_change_record(
            actor=None,
            unit=units[spec.unit],
            post=spec.post,
            effective_date=spec.effective_date,
            previous_agent=agents[spec.previous_agent] if spec.previous_agent else None,
            name=spec.name,
            id_number=spec.id_number,
            phone=spec.phone,
            email=spec.email,
            reason=spec.reason,
        )
        for spec in plan.changes
    ]
    return DemoCounty(plan, units, agents, users, activities, changes)


def build_county(rng: random.Random, scale: float = 1.0) -> DemoCounty:
    return create_county(plan_county(rng, scale=scale))


def demo_create(*, seed: int, scale: float = 1.0) -> DemoCounty:
    """The demo county of `seed`, all or nothing, into a database without units."""
    with transaction.atomic():
        if Unit.objects.exists():
            raise DemoNotEmpty(DemoNotEmpty.default_message())
        return build_county(random.Random(seed), scale)


# --- Listing the demo logins --------------------------------------------------------------------


def demo_logins() -> list[User]:
    """The demo accounts (published password), in the order of ROLE_ORDER."""
    users = list(User.objects.filter(is_demo=True).select_related("unit"))
    rank = {role: i for i, role in enumerate(ROLE_ORDER)}
    return sorted(users, key=lambda user: (rank.get(user.role, len(rank)), user.username))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def text_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Lines of a plain-text table whose columns line up with Chinese (double-width) text."""
    rows = [list(map(str, row)) for row in rows]
    widths = [max(_width(cell) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))

    return [line(headers), "  ".join("-" * w for w in widths), *map(line, rows)]
