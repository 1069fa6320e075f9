"""The monthly case tally (CaseTally): kept up to date by the services that register a case or
change it (`tally_change`), and recomputed from the cases by `tally_rebuild` (after a bulk load
or a direct repair; `bangban tally --rebuild`).

What a case contributes: +1 `opened` in the month of its registration (local time); once
completed, +1 `finished` in the month of `completed_on`, +1 `on_time` or `late` against its due
date (none without a due date), and the working days from acceptance to completion (or +1
`days_uncounted` when the calendar does not cover them); once rated, +1 `rated` (and `good` at
基本满意 or above) in the month of the rating (`tally_rating`: a rated case is finished and no
longer moves). Each contribution goes to the case's
own row (unit, agent) and to one row per item (unit, item). A change is applied as the
difference between what the case contributed before and what it contributes after, so a
transfer, a new agent or a completion moves exactly what it changes."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth

from bangban.cases.models import Case, CaseItem, CaseTally
from bangban.core.calendar import CalendarNotCovered, working_days_between

MEASURES = (
    "opened",
    "finished",
    "on_time",
    "late",
    "days_total",
    "days_counted",
    "days_uncounted",
    "rated",
    "good",
)
# 基本满意 (3) and above are good ratings (000 annex 9's five levels).
GOOD_LEVEL = 3
# (unit_id, agent_id, month): the case's own row; its item rows take the same counts.
Key = tuple[int, int | None, date]
# (unit_id, agent_id, item_id, month): one tally row.
RowKey = tuple[int, int | None, int | None, date]


@dataclass(frozen=True)
class Facts:
    """What of a case the tally reads."""

    unit_id: int
    agent_id: int | None
    registered_at: datetime
    accepted_on: date | None
    due_date: date | None
    completed_on: date | None


def facts_of(case: Case) -> Facts:
    return Facts(
        unit_id=case.unit_id,
        agent_id=case.agent_id,
        registered_at=case.registered_at,
        accepted_on=case.accepted_on,
        due_date=case.due_date,
        completed_on=case.completed_on,
    )


def _month(day: date) -> date:
    return day.replace(day=1)


def _local(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _contribution(facts: Facts | None) -> dict[Key, Counter]:
    found: dict[Key, Counter] = defaultdict(Counter)
    if facts is None:
        return found
    found[(facts.unit_id, facts.agent_id, _month(_local(facts.registered_at)))]["opened"] += 1
    done = facts.completed_on
    if done is not None:
        counts = found[(facts.unit_id, facts.agent_id, _month(done))]
        counts["finished"] += 1
        if facts.due_date is not None:
            counts["on_time" if done <= facts.due_date else "late"] += 1
        if facts.accepted_on is not None:
            try:
                counts["days_total"] += working_days_between(facts.accepted_on, done)
                counts["days_counted"] += 1
            except CalendarNotCovered:
                counts["days_uncounted"] += 1
    return found


def _difference(before: Facts | None, after: Facts | None) -> dict[Key, dict[str, int]]:
    old, new = _contribution(before), _contribution(after)
    changes: dict[Key, dict[str, int]] = {}
    for key in old.keys() | new.keys():
        delta = {m: new[key][m] - old[key][m] for m in MEASURES if new[key][m] != old[key][m]}
        if delta:
            changes[key] = delta
    return changes


def tally_change(
    before: Facts | None,
    after: Facts | None,
    *,
    case_id: int,
    item_ids: Iterable[int] | None = None,
) -> None:
    """Apply what a case's change (`before` → `after`; None for a case not yet registered)
    does to the tally, in the caller's transaction. The item rows are read only when counts
    change."""
    changes = _difference(before, after)
    if not changes:
        return
    if item_ids is None:
        item_ids = CaseItem.objects.filter(case_id=case_id).values_list("item_id", flat=True)
    items = list(item_ids)
    # A new agent or unit moves counts between two keys of one month: their item rows are the
    # same rows, so the deltas are summed, not overwritten.
    rows: dict[RowKey, Counter] = defaultdict(Counter)
    for (unit_id, agent_id, month), delta in changes.items():
        rows[(unit_id, agent_id, None, month)].update(delta)
        for item_id in items:
            rows[(unit_id, None, item_id, month)].update(delta)
    _add(rows)


def tally_rating(*, case: Case, level: int | None, rated_at: datetime) -> None:
    """Count a rating of `case` (none when the applicant declined to rate)."""
    if level is None:
        return
    delta = {"rated": 1, **({"good": 1} if level >= GOOD_LEVEL else {})}
    month = _month(_local(rated_at))
    rows: dict[RowKey, Mapping[str, int]] = {(case.unit_id, case.agent_id, None, month): delta}
    for item_id in CaseItem.objects.filter(case_id=case.pk).values_list("item_id", flat=True):
        rows[(case.unit_id, None, item_id, month)] = delta
    _add(rows)


# One statement for every row a change touches: an insert that adds to the row already there
# (the key is unique: `case_tally_once`, with no agent or no item counted as 0). The rows of a
# unit's month are written by every registration there and stay locked until it commits, so
# the fewer round trips while they are held, the more registrations a point can take at once
# (ADR 0007 §12). Keys in a fixed order: two changes lock their rows in the same order.
_COLUMNS = ", ".join(("unit_id", "agent_id", "item_id", "month", *MEASURES))
_ADD_TO = ", ".join(f"{m} = cases_casetally.{m} + excluded.{m}" for m in MEASURES)
_ROW = "(" + ", ".join(["%s"] * (4 + len(MEASURES))) + ")"


def _add(rows: Mapping[RowKey, Mapping[str, int]]) -> None:
    ordered = sorted(
        rows.items(), key=lambda row: (row[0][0], row[0][1] or 0, row[0][2] or 0, row[0][3])
    )
    params: list = []
    for (unit_id, agent_id, item_id, month), delta in ordered:
        month_value = connection.ops.adapt_datefield_value(month)
        params += [unit_id, agent_id, item_id, month_value, *(delta.get(m, 0) for m in MEASURES)]
    # Column names are this module's constants; every value is bound.
    statement = (
        f"INSERT INTO cases_casetally ({_COLUMNS}) VALUES {', '.join([_ROW] * len(ordered))} "  # noqa: S608
        "ON CONFLICT (unit_id, COALESCE(agent_id, 0), COALESCE(item_id, 0), month) "
        f"DO UPDATE SET {_ADD_TO}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


# Recomputing from the cases -------------------------------------------------------------------


def _aggregate(cases, key_fields: tuple[str, ...], item_field: str | None) -> dict[tuple, Counter]:
    """The tally rows of `cases` (a Case or CaseItem queryset) keyed by `key_fields`, set-wise
    in the database; only the working days are counted here, once per distinct pair of dates."""
    tz = ZoneInfo(settings.TIME_ZONE)
    prefix = "case__" if item_field else ""
    rows: dict[tuple, Counter] = defaultdict(Counter)
    opened = (
        cases.annotate(m=TruncMonth(f"{prefix}registered_at", tzinfo=tz))
        .values(*key_fields, "m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in opened:
        month = row["m"].date() if isinstance(row["m"], datetime) else row["m"]
        rows[(*(row[k] for k in key_fields), month)]["opened"] += row["n"]
    done = f"{prefix}completed_on"
    due = f"{prefix}due_date"
    timed = Q(**{f"{due}__isnull": False})
    finished = (
        cases.filter(**{f"{done}__isnull": False})
        .annotate(m=TruncMonth(done))
        .values(*key_fields, "m")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=timed & Q(**{f"{done}__lte": F(due)})),
            late=Count("pk", filter=timed & Q(**{f"{done}__gt": F(due)})),
        )
        .order_by()
    )
    for row in finished:
        counts = rows[(*(row[k] for k in key_fields), row["m"])]
        counts["finished"] += row["n"]
        counts["on_time"] += row["on_time"]
        counts["late"] += row["late"]
    spans = (
        cases.filter(**{f"{done}__isnull": False, f"{prefix}accepted_on__isnull": False})
        .values_list(*key_fields, f"{prefix}accepted_on", done)
        .annotate(n=Count("pk"))
        .order_by()
    )
    rating = f"{prefix}rating__"
    ratings = (
        cases.filter(**{f"{rating}level__isnull": False})
        .annotate(m=TruncMonth(f"{rating}rated_at", tzinfo=tz))
        .values(*key_fields, "m")
        .annotate(n=Count("pk"), good=Count("pk", filter=Q(**{f"{rating}level__gte": GOOD_LEVEL})))
        .order_by()
    )
    for row in ratings:
        month = row["m"].date() if isinstance(row["m"], datetime) else row["m"]
        counts = rows[(*(row[k] for k in key_fields), month)]
        counts["rated"] += row["n"]
        counts["good"] += row["good"]
    width = len(key_fields)
    for row in spans:
        keys, (accepted, completed, n) = row[:width], row[width:]
        counts = rows[(*keys, _month(completed))]
        try:
            counts["days_total"] += working_days_between(accepted, completed) * n
            counts["days_counted"] += n
        except CalendarNotCovered:
            counts["days_uncounted"] += n
    return rows


@transaction.atomic
def tally_rebuild(*, models=(Case, CaseItem, CaseTally), batch_size: int = 5000) -> int:
    """Recompute the whole tally from the cases (derived data: the old rows are replaced).
    `models` lets the migration that adds the tally pass its historical models. Returns the
    number of rows written."""
    case_model, item_model, tally_model = models
    tally_model.objects.all().delete()
    own = _aggregate(case_model.objects.all(), ("unit_id", "agent_id"), None)
    per_item = _aggregate(item_model.objects.all(), ("case__unit_id", "item_id"), "item_id")
    objects = [
        tally_model(unit_id=unit_id, agent_id=agent_id, month=month, **counts)
        for (unit_id, agent_id, month), counts in own.items()
    ] + [
        tally_model(unit_id=unit_id, item_id=item_id, month=month, **counts)
        for (unit_id, item_id, month), counts in per_item.items()
    ]
    tally_model.objects.bulk_create(objects, batch_size=batch_size)
    return len(objects)
