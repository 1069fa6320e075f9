"""The bench dataset: `scale` cases of the demo county over the last three years, with their
timeline, events (a verifying hash chain), handovers, department tasks, agreements,
completions, deliveries, ratings (a few percent bad), rectifications, complaints and callbacks.

Rows are built in Python from one seeded random generator and written set-wise (`sink`): COPY
on PostgreSQL, executemany on SQLite — never one ORM save per row. Personal data is encrypted
as the product encrypts it, from a pool of applicants so that a million Fernet tokens are not
computed one by one."""

import bisect
import random
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone
from sink import BulkLoad, Table, flush, reset_sequences

from bangban.cases.area import town_id_of
from bangban.cases.models import (
    Agreement,
    Case,
    CaseCounter,
    CaseItem,
    CaseLog,
    Completion,
    Delivery,
    Handover,
    HandoverLine,
    Rating,
    Task,
)
from bangban.cases.tally import tally_rebuild
from bangban.catalog.models import Item, ItemVersion
from bangban.core.calendar import add_working_days, is_working_day
from bangban.core.crypto import blind_index, encrypt
from bangban.core.events import _digest
from bangban.core.identifiers import generate_id_number, generate_mobile
from bangban.core.masking import mask_id_number, mask_phone
from bangban.core.models import Event, EventChainHead
from bangban.feedback.models import Callback, Complaint, Rectification
from bangban.org.models import Agent, Level, Unit, User

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHUNK = 20_000
OPEN_SHARE = 0.10
# Closed cases by outcome (the rest of the 90 %).
CLOSED_MIX = [
    ("archived", 0.855),
    ("delivered", 0.065),
    ("completed", 0.03),
    ("terminated", 0.025),
    ("refused", 0.025),
]
OPEN_MIX = [
    ("registered", 0.1),
    ("awaiting_materials", 0.1),
    ("accepted", 0.15),
    ("in_progress", 0.55),
    ("paused", 0.1),
]
CHANNELS = [
    ("window", 0.7),
    ("phone", 0.1),
    ("online", 0.12),
    ("home_visit", 0.05),
    ("outlet", 0.03),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许"
SURNAMES += "韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文斌宇浩凯"
MATERIALS = ["居民身份证", "户口簿", "申请表", "营业执照", "不动产权证书", "委托书", "证明材料"]


def _pick(rng: random.Random, mix):
    r = rng.random()
    acc = 0.0
    for value, share in mix:
        acc += share
        if r < acc:
            return value
    return mix[-1][0]


class WorkingDays:
    """The official working days as a sorted list, to place cases and count their limits in
    O(log n) — checked against `add_working_days` so the bench cannot drift from the product."""

    def __init__(self, first: date, last: date):
        days = []
        d = first
        while d <= last:
            if is_working_day(d):
                days.append(d)
            d += timedelta(days=1)
        self.days = days

    def add(self, start: date, n: int) -> date | None:
        i = bisect.bisect_right(self.days, start) + n - 1
        return self.days[i] if i < len(self.days) else None

    def between(self, start: date, end: date) -> int:
        return bisect.bisect_right(self.days, end) - bisect.bisect_right(self.days, start)


def _applicants(rng: random.Random, n: int) -> list[tuple]:
    """(name, id number, its index, phone, its index, the masked id number and phone) —
    encrypted once per pool entry."""
    pool = []
    for _ in range(n):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        id_number = generate_id_number(rng)
        phone = generate_mobile(rng)
        pool.append(
            (
                name,
                encrypt(id_number),
                blind_index(id_number, purpose="id_number"),
                encrypt(phone),
                blind_index(phone, purpose="phone"),
                mask_id_number(id_number),
                mask_phone(phone),
            )
        )
    return pool


def generate(scale: int, *, seed: int = 1, out=print) -> dict:
    started = time.monotonic()
    rng = random.Random(seed)
    today = timezone.localdate()
    first_day = today - timedelta(days=3 * 365)
    wd = WorkingDays(first_day - timedelta(days=10), date(today.year, 12, 31))
    for probe in (wd.days[5], wd.days[len(wd.days) // 2]):
        assert wd.add(probe, 7) == add_working_days(probe, 7).due_date, "calendar drift"
    past_days = [d for d in wd.days if first_day <= d <= today]
    recent = past_days[-45:]

    units = list(Unit.objects.filter(level__in=[Level.TOWN, Level.VILLAGE]).order_by("path"))
    agents: dict[int, list[tuple[int, int | None]]] = {}
    for agent in Agent.objects.filter(active_until__isnull=True).order_by("pk"):
        agents.setdefault(agent.unit_id, []).append((agent.pk, agent.user_id))
    units = [u for u in units if u.pk in agents]
    # Town points register more than a village's: weight 8 to 1.
    weights = [8 if u.level == Level.TOWN else 1 for u in units]
    # The product's own rule for a case's town (Case.town, which a town's queues read by).
    town_of = {u.pk: town_id_of(u) for u in units}
    items = list(Item.objects.filter(is_active=True).order_by("pk"))
    version_of = dict(
        ItemVersion.objects.order_by("item_id", "number").values_list("item_id", "pk")
    )
    items = [i for i in items if i.pk in version_of and i.department_id]
    system = User.objects.get(username="system")
    manager = User.objects.get(username="town01-manager")
    centre = User.objects.get(username="centre")
    pool = _applicants(rng, 2000)

    t_case = Table(
        Case,
        [
            "id",
            "number",
            "unit_id",
            "town_id",
            "agent_id",
            "state",
            "kind",
            "proxy_scope",
            "channel",
            "category",
            "special_group",
            "applicant_type",
            "applicant_name",
            "id_number",
            "id_number_index",
            "phone",
            "phone_index",
            "id_number_masked",
            "phone_masked",
            "address",
            "registered_at",
            "accepted_on",
            "due_date",
            "limit_days",
            "paused_since",
            "agreement_signed_at",
            "completed_on",
            "closed_at",
            "archived_at",
            "revision",
            "created_by_id",
        ],
    )
    t_item = Table(CaseItem, ["id", "case_id", "item_id", "item_version_id"])
    t_log = Table(
        CaseLog,
        [
            "id",
            "case_id",
            "action",
            "occurred_at",
            "recorded_at",
            "actor_id",
            "summary",
            "event_id",
        ],
    )
    t_event = Table(
        Event,
        [
            "id",
            "seq",
            "occurred_at",
            "actor_id",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "unit_path",
            "before",
            "after",
            "ip_address",
            "prev_hash",
            "hash",
        ],
    )
    t_agreement = Table(
        Agreement,
        [
            "id",
            "case_id",
            "applicant_signatory",
            "agent_id",
            "agent_phone",
            "scope",
            "terms",
            "signed_at",
        ],
    )
    t_handover = Table(
        Handover,
        [
            "id",
            "case_id",
            "giver",
            "receiver",
            "department_id",
            "giver_signatory",
            "receiver_signatory",
            "occurred_at",
        ],
    )
    t_line = Table(HandoverLine, ["id", "handover_id", "material", "copies", "original"])
    t_task = Table(
        Task,
        [
            "id",
            "case_id",
            "item_id",
            "department_id",
            "lead",
            "limit_days",
            "due_date",
            "submitted_at",
            "decision",
            "result",
            "decided_at",
        ],
    )
    t_completion = Table(Completion, ["id", "case_id", "results", "completed_at", "signed_by"])
    t_delivery = Table(Delivery, ["id", "case_id", "method", "receiver", "delivered_at"])
    t_rating = Table(
        Rating, ["id", "case_id", "level", "comment", "declined", "source", "rated_at"]
    )
    t_rect = Table(
        Rectification,
        [
            "id",
            "case_id",
            "rating_id",
            "unit_id",
            "state",
            "opened_at",
            "due_on",
            "finding_category",
            "finding",
            "action_taken",
            "done_at",
            "done_by_id",
            "closed_at",
        ],
    )
    t_complaint = Table(
        Complaint,
        [
            "id",
            "code",
            "channel",
            "state",
            "unit_id",
            "case_number",
            "case_id",
            "description",
            "contact_name",
            "contact_phone",
            "contact_phone_index",
            "created_at",
            "category",
        ],
    )
    t_callback = Table(
        Callback,
        [
            "id",
            "case_id",
            "unit_id",
            "rectification_id",
            "called_at",
            "called_by_id",
            "reached",
            "satisfaction",
            "remarks",
        ],
    )
    t_counter = Table(CaseCounter, ["id", "unit_id", "day", "last"])
    tables = [
        t_case,
        t_item,
        t_log,
        t_event,
        t_agreement,
        t_handover,
        t_line,
        t_task,
        t_completion,
        t_delivery,
        t_rating,
        t_rect,
        t_complaint,
        t_callback,
        t_counter,
    ]
    ids = {t.name: t.next_id() for t in tables}

    def new_id(table: Table) -> int:
        value = ids[table.name]
        ids[table.name] = value + 1
        return value

    head = EventChainHead.objects.get_or_create(pk=1)[0]
    chain = {"seq": head.last_seq, "hash": head.last_hash}
    # Go on from the numbers the demo already gave.
    existing = {(c.unit_id, c.day): c.last for c in CaseCounter.objects.all()}
    counters: dict[tuple[int, date], int] = dict(existing)
    usernames = dict(User.objects.values_list("pk", "username"))

    def moment(day: date, hour_from: int = 9) -> datetime:
        local = datetime(
            day.year,
            day.month,
            day.day,
            rng.randint(hour_from, 16),
            rng.randrange(60),
            rng.randrange(60),
            tzinfo=SHANGHAI,
        )
        return local.astimezone(UTC)

    def record(
        case_id: int,
        unit_path: str,
        actor_id: int,
        action: str,
        when: datetime,
        before: str | None,
        after: str,
    ) -> None:
        seq = chain["seq"] + 1
        event_id = new_id(t_event)
        label = usernames.get(actor_id, "system")
        before_v = {"state": before} if before else None
        after_v = {"state": after}
        object_id = str(case_id)
        digest = _digest(
            seq=seq,
            occurred_at=when,
            actor_id=actor_id,
            actor_label=label,
            action=f"case.{action}",
            object_type="cases.case",
            object_id=object_id,
            unit_path=unit_path,
            before=before_v,
            after=after_v,
            ip_address=None,
            prev_hash=chain["hash"],
        )
        t_event.add(
            event_id,
            seq,
            when,
            actor_id,
            label,
            f"case.{action}",
            "cases.case",
            object_id,
            unit_path,
            before_v,
            after_v,
            None,
            chain["hash"],
            digest,
        )
        chain["seq"], chain["hash"] = seq, digest
        t_log.add(new_id(t_log), case_id, action, when, when, actor_id, "", event_id)

    out(f"generating {scale:,} cases ({connection.vendor})…")
    made = 0
    write_seconds = 0.0
    with transaction.atomic(), BulkLoad([t.model for t in tables], out=out):
        while made < scale:
            batch = min(CHUNK, scale - made)
            # Registration days in time order within the batch, so event seq follows time.
            days = sorted(
                rng.choice(recent) if rng.random() < OPEN_SHARE * 1.3 else rng.choice(past_days)
                for _ in range(batch)
            )
            for day in days:
                unit = rng.choices(units, weights)[0]
                agent_id, agent_user = rng.choice(agents[unit.pk])
                actor = agent_user or system.pk
                item = rng.choice(items)
                case_id = new_id(t_case)
                number_key = (unit.pk, day)
                counters[number_key] = counters.get(number_key, 0) + 1
                number = f"{unit.code}-{day:%Y%m%d}-{counters[number_key]:04d}"
                registered = moment(day)
                age = wd.between(day, today)
                if age <= 40 and rng.random() < 0.75:
                    state = _pick(rng, OPEN_MIX)
                else:
                    state = _pick(rng, CLOSED_MIX)
                enterprise = item.target == "organisation" or rng.random() < 0.2
                kind = "proxy" if rng.random() < (0.55 if enterprise else 0.3) else "assist"
                name, idn, idn_i, phone, phone_i, idn_masked, phone_masked = rng.choice(pool)
                limit = min(item.promised_limit_days or item.statutory_limit_days or 10, 20)
                accepted = state not in ("registered", "awaiting_materials", "refused")
                accepted_on = (
                    (wd.add(day, rng.choice((0, 0, 0, 1, 2))) or day) if accepted else None
                )
                if accepted_on and accepted_on > today:
                    accepted_on = day
                due = wd.add(accepted_on, limit) if accepted_on else None
                path = unit.path
                record(case_id, path, actor, "register", registered, None, "registered")
                when = registered
                step = 0

                def later(days: int = 0) -> datetime:
                    nonlocal when, step
                    step += 1
                    target_day = wd.add(when.astimezone(SHANGHAI).date(), days) if days else None
                    if target_day and target_day <= today:
                        when = moment(target_day)
                    else:
                        when = when + timedelta(minutes=7 + step)
                    return when

                if state == "awaiting_materials" or (rng.random() < 0.08 and accepted):
                    record(
                        case_id,
                        path,
                        actor,
                        "issue_notice",
                        later(),
                        "registered",
                        "awaiting_materials",
                    )
                if state == "refused":
                    record(case_id, path, actor, "refuse", later(), "registered", "refused")
                agreement_at = None
                finished_on = None
                closed_at = archived_at = None
                paused_since = None
                if accepted:
                    tolerated = rng.random() < 0.05
                    record(
                        case_id,
                        path,
                        actor,
                        "accept_tolerated" if tolerated else "accept",
                        later(),
                        "registered",
                        "accepted",
                    )
                    if kind == "proxy":
                        agreement_at = later()
                        record(
                            case_id,
                            path,
                            actor,
                            "sign_agreement",
                            agreement_at,
                            "accepted",
                            "accepted",
                        )
                        t_agreement.add(
                            new_id(t_agreement),
                            case_id,
                            name,
                            agent_id,
                            "0570-1234567",
                            "full",
                            "",
                            agreement_at,
                        )
                        hid = new_id(t_handover)
                        t_handover.add(
                            hid, case_id, "applicant", "agent", None, name, "代办员", agreement_at
                        )
                        for material in rng.sample(MATERIALS, 2):
                            t_line.add(new_id(t_line), hid, material, 1, rng.random() < 0.3)
                    if state != "accepted":
                        record(case_id, path, actor, "start", later(), "accepted", "in_progress")
                        submitted = later(rng.choice((0, 1)))
                        record(
                            case_id,
                            path,
                            actor,
                            "submit_task",
                            submitted,
                            "in_progress",
                            "in_progress",
                        )
                        decided = state not in ("in_progress", "paused") or rng.random() < 0.3
                        decided_at = later(rng.randint(1, max(1, limit - 1))) if decided else None
                        t_task.add(
                            new_id(t_task),
                            case_id,
                            item.pk,
                            item.department_id,
                            True,
                            limit,
                            wd.add(submitted.astimezone(SHANGHAI).date(), limit),
                            submitted,
                            "approved" if decided else "",
                            "" if not decided else "准予许可",
                            decided_at,
                        )
                        if decided:
                            record(
                                case_id,
                                path,
                                actor,
                                "decide_task",
                                decided_at,
                                "in_progress",
                                "in_progress",
                            )
                        if state == "paused":
                            record(case_id, path, actor, "pause", later(), "in_progress", "paused")
                            paused_since = when.astimezone(SHANGHAI).date()
                    if state in ("completed", "delivered", "archived"):
                        done = later()
                        finished_on = done.astimezone(SHANGHAI).date()
                        record(case_id, path, actor, "complete", done, "in_progress", "completed")
                        t_completion.add(
                            new_id(t_completion), case_id, "准予许可决定书", done, name
                        )
                        if kind == "proxy":
                            hid = new_id(t_handover)
                            t_handover.add(
                                hid, case_id, "agent", "applicant", None, "代办员", name, done
                            )
                    if state in ("delivered", "archived"):
                        delivered = later()
                        record(case_id, path, actor, "deliver", delivered, "completed", "delivered")
                        t_delivery.add(
                            new_id(t_delivery),
                            case_id,
                            rng.choice(("window", "post", "electronic")),
                            name,
                            delivered,
                        )
                        closed_at = delivered
                        if rng.random() < 0.85:
                            rated_at = later()
                            bad = rng.random() < 0.03
                            level = rng.choice((1, 2)) if bad else rng.choice((3, 4, 5, 5, 5))
                            rating_id = new_id(t_rating)
                            t_rating.add(
                                rating_id,
                                case_id,
                                level,
                                "",
                                False,
                                rng.choice(("window", "qr", "sms")),
                                rated_at,
                            )
                            record(case_id, path, actor, "rate", rated_at, "delivered", "delivered")
                            if bad:
                                rect_id = new_id(t_rect)
                                is_closed = age > 15
                                t_rect.add(
                                    rect_id,
                                    case_id,
                                    rating_id,
                                    unit.pk,
                                    "closed" if is_closed else "open",
                                    rated_at,
                                    wd.add(rated_at.astimezone(SHANGHAI).date(), 5),
                                    "attitude" if is_closed else "",
                                    "经核查，服务态度生硬" if is_closed else "",
                                    "约谈并重新培训" if is_closed else "",
                                    later(2) if is_closed else None,
                                    manager.pk if is_closed else None,
                                    later(1) if is_closed else None,
                                )
                                if is_closed:
                                    t_callback.add(
                                        new_id(t_callback),
                                        case_id,
                                        unit.pk,
                                        rect_id,
                                        when,
                                        centre.pk,
                                        True,
                                        4,
                                        "满意",
                                    )
                            elif rng.random() < 0.01:
                                t_callback.add(
                                    new_id(t_callback),
                                    case_id,
                                    unit.pk,
                                    None,
                                    later(),
                                    centre.pk,
                                    True,
                                    5,
                                    "",
                                )
                    if state == "archived":
                        archived_at = later()
                        record(
                            case_id, path, actor, "archive", archived_at, "delivered", "archived"
                        )
                    if state == "terminated":
                        closed_at = later()
                        record(
                            case_id,
                            path,
                            actor,
                            "terminate",
                            closed_at,
                            "in_progress",
                            "terminated",
                        )
                if state == "refused":
                    closed_at = when
                if rng.random() < 0.001:
                    t_complaint.add(
                        new_id(t_complaint),
                        f"BC{case_id:010d}",
                        "portal",
                        "received",
                        town_of[unit.pk],
                        number,
                        case_id,
                        "办理过程中被要求重复提交材料。",
                        encrypt(name),
                        phone,
                        phone_i,
                        when,
                        "delay",
                    )
                t_case.add(
                    case_id,
                    number,
                    unit.pk,
                    town_of[unit.pk],
                    agent_id,
                    state,
                    kind,
                    "full" if kind == "proxy" else "",
                    _pick(rng, CHANNELS),
                    "enterprise" if enterprise else "personal",
                    rng.random() < 0.04,
                    "enterprise" if enterprise else "person",
                    name,
                    idn,
                    idn_i,
                    phone,
                    phone_i,
                    idn_masked,
                    phone_masked,
                    "",
                    registered,
                    accepted_on,
                    due,
                    limit if accepted_on else None,
                    paused_since,
                    agreement_at,
                    finished_on,
                    closed_at,
                    archived_at,
                    step,
                    actor,
                )
                t_item.add(new_id(t_item), case_id, item.pk, version_of[item.pk])
            writing = time.monotonic()
            for table in tables:
                flush(table)
            write_seconds += time.monotonic() - writing
            made += batch
            elapsed = time.monotonic() - started
            out(f"  {made:,}/{scale:,} cases, {elapsed:.0f} s ({write_seconds:.0f} s writing)")
        for (unit_id, day), last in counters.items():
            if (unit_id, day) in existing:
                CaseCounter.objects.filter(unit_id=unit_id, day=day).update(last=last)
            else:
                t_counter.add(new_id(t_counter), unit_id, day, last)
        flush(t_counter)
        EventChainHead.objects.filter(pk=1).update(last_seq=chain["seq"], last_hash=chain["hash"])
        reset_sequences([t.model for t in tables])
        indexing = time.monotonic()
    out(f"  indexes rebuilt in {time.monotonic() - indexing:.0f} s")
    # The rows went in set-wise, past the services that keep the dashboards' monthly tally.
    tallying = time.monotonic()
    tally_rows = tally_rebuild()
    out(f"  case tally rebuilt ({tally_rows:,} rows) in {time.monotonic() - tallying:.0f} s")
    if connection.vendor == "postgresql":
        # As after a restore: statistics for the planner, and the visibility map, without
        # which the index-only counts (the overdue board's) read every heap page of a table
        # just loaded until autovacuum comes round.
        vacuuming = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        out(f"  vacuumed and analysed in {time.monotonic() - vacuuming:.0f} s")
    seconds = time.monotonic() - started
    counts = {t.model._meta.label: t.count for t in tables}
    out(f"generated in {seconds:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return {"seconds": round(seconds, 1), "rows": counts}
