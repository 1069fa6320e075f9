"""The supervision dashboards' numbers, aggregated in the database (a fixed number of queries
whatever the number of cases), and the centre's overdue board.

Definitions, for a period (a year, or one month of it) and the cases owned by a unit's subtree:

- opened: cases registered in the period;
- finished: cases completed in the period (their `completed_on`);
- on time / late: finished cases completed on or before / after their due date; the on-time
  rate is on time ÷ (on time + late) (a case without a due date has no time limit to keep);
- overdue: open cases past their due date today, whatever the period;
- average working days to finish: working days from acceptance (not counted) to completion,
  over the finished cases, on the working-day calendar;
- good-rating rate: ratings given in the period at level 3 or above (非常满意, 满意, 基本满意)
  ÷ all ratings given (a declined rating is not counted);
- rectifications: opened in the period, closed, and open past their due date today;
- complaints: received in the period, and those found substantiated;
- points: coverage of items against the tier's target, agents against the tier's minimum, and
  the "八有" of every service point (today's state, not the period's).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases.models import Case, CaseItem, CaseTally
from bangban.cases.tally import MEASURES
from bangban.catalog.models import Item
from bangban.catalog.selectors import coverage
from bangban.core.calendar import CalendarNotCovered, working_days_between, working_days_from
from bangban.core.errors import NotFound, PermissionDenied
from bangban.feedback.models import Complaint, Rectification, RectificationState
from bangban.org.models import EIGHT_HAVES, Agent, Level, Role, StaffingMinimum, Unit
from bangban.org.scoping import scope_path

DASHBOARD_ROLES = {Role.MANAGER, Role.CENTRE_ADMIN, Role.SUPERVISOR, Role.SYSADMIN}
POINT_LEVELS = (Level.COUNTY, Level.TOWN, Level.VILLAGE)
GROUPS = ("unit", "agent", "item")
# What a drill-down lists.
SHOWS = ("behind", "overdue", "late", "opened", "finished")


def require_reader(actor) -> str:
    """Managers (their area), centre administrators and supervisors (everything they see) read
    the dashboards; agents, liaisons and applicants do not. Returns the actor's area."""
    path = scope_path(actor)
    if path is None or not (actor.is_superuser or actor.role in DASHBOARD_ROLES):
        raise PermissionDenied(_("The dashboards are for managers and supervisors."))
    return path


# The period and the unit ---------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None

    @property
    def first(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def last(self) -> date:
        if self.month is None or self.month == 12:
            end = date(self.year + 1, 1, 1)
        else:
            end = date(self.year, self.month + 1, 1)
        return end - timedelta(days=1)

    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    def end_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))


def units_readable(*, actor) -> QuerySet[Unit]:
    """The units the actor may pick: those in the actor's area, departments aside."""
    path = require_reader(actor)
    units = Unit.objects.exclude(level=Level.DEPARTMENT).order_by("path")
    return units.filter(path__startswith=path) if path else units


def unit_chosen(*, actor, pk: int | None) -> Unit:
    """The unit a dashboard looks at: `pk` when the actor may see it, else the top of the
    actor's area."""
    units = units_readable(actor=actor)
    if pk is not None:
        unit = units.filter(pk=pk).first()
        if unit is None:
            raise NotFound(_("There is no such unit, or it is outside your area."))
        return unit
    unit = units.order_by("depth", "path").first()
    if unit is None:
        raise NotFound(_("There is no unit in your area."))
    return unit


# The rows ------------------------------------------------------------------------------------


@dataclass
class Row:
    key: object  # a Unit, an Agent or an Item, or None (unassigned)
    label: str
    own: bool = False  # the chosen unit's own cases, not a child's subtree
    opened: int = 0
    finished: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    days_total: int = 0
    days_counted: int = 0
    rated: int = 0
    good: int = 0
    rectifications: int = 0
    rectifications_closed: int = 0
    rectifications_overdue: int = 0
    complaints: int = 0
    complaints_substantiated: int = 0
    points: int = 0
    points_covered: int = 0
    points_staffed: int = 0
    points_eight: int = 0

    @property
    def on_time_rate(self) -> float | None:
        kept = self.on_time + self.late
        return self.on_time / kept if kept else None

    @property
    def average_days(self) -> float | None:
        return self.days_total / self.days_counted if self.days_counted else None

    @property
    def good_rate(self) -> float | None:
        return self.good / self.rated if self.rated else None

    def add(self, other: "Row") -> None:
        for name in Row.__dataclass_fields__:
            if name not in {"key", "label", "own"}:
                setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Point:
    unit: Unit
    agents: int
    minimum: int
    offered: int
    target: int
    missing: list[str] = field(default_factory=list)

    @property
    def staffed(self) -> bool:
        return self.agents >= self.minimum

    @property
    def covered(self) -> bool:
        return self.offered >= self.target

    @property
    def eight(self) -> int:
        return len(EIGHT_HAVES) - len(self.missing)


@dataclass
class Dashboard:
    unit: Unit
    period: Period
    group: str
    rows: list[Row]
    total: Row
    months: list[dict]
    points: list[Point]
    calendar_missing: int | None = None


def _case_keys(group: str, prefix: str = "") -> str:
    return prefix + {"unit": "unit_id", "agent": "agent_id", "item": "items__item_id"}[group]


def _period_q(period: Period) -> tuple[Q, Q]:
    opened = Q(registered_at__gte=period.start_at(), registered_at__lt=period.end_at())
    finished = Q(completed_on__range=(period.first, period.last))
    return opened, finished


def _overdue_q(today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}state__open": True, f"{prefix}due_date__lt": today})


def _rectification_open_late(today: date) -> Q:
    return Q(state=RectificationState.OPEN) & (
        Q(new_due_on__lt=today) | Q(new_due_on__isnull=True, due_on__lt=today)
    )


# What the monthly tally holds (cases.tally), summed over the period's months.
TALLIED = tuple(m for m in MEASURES if m != "days_uncounted")


def _tallies(unit: Unit, period: Period, *, by_item: bool = False) -> QuerySet[CaseTally]:
    """The tally rows of `unit`'s subtree in the period: a case's own rows, or its item rows."""
    return CaseTally.objects.filter(
        unit__path__startswith=unit.path,
        month__gte=period.first,
        month__lte=period.last,
        item__isnull=not by_item,
    )


def _calendar_missing(tallies: QuerySet[CaseTally]) -> int | None:
    """The year whose calendar is missing when some finished case's working days could not be
    counted: the year of its completion, or else the year before (its acceptance)."""
    month = (
        tallies.filter(days_uncounted__gt=0).order_by("month").values_list("month", flat=True)
    ).first()
    if month is None:
        return None
    try:
        working_days_between(date(month.year, 1, 1), date(month.year, 12, 31))
    except CalendarNotCovered as exc:
        return exc.year
    return month.year - 1


def _stats(unit: Unit, group: str, period: Period, today: date):
    """Per key of the group: the case counts, working days and ratings (from the monthly
    tally), the overdue cases (live, off the partial index of open cases), the
    rectifications and the complaints; five queries."""
    stats: dict[object, Row] = defaultdict(lambda: Row(key=None, label=""))
    tallies = _tallies(unit, period, by_item=group == "item")
    key = {"unit": "unit_id", "agent": "agent_id", "item": "item_id"}[group]
    for row in tallies.values(key).annotate(**{m: Sum(m) for m in TALLIED}).order_by():
        r = stats[row[key]]
        for name in TALLIED:
            setattr(r, name, getattr(r, name) + row[name])
    overdue = Case.objects.filter(_overdue_q(today), unit__in=list(_unit_ids_below(unit.path)))
    for k, n in overdue.values_list(_case_keys(group)).annotate(n=Count("pk")).order_by():
        stats[k].overdue += n
    calendar_missing = _calendar_missing(tallies)
    ticket_key = "unit_id" if group == "unit" else _case_keys(group, "case__")
    rectifications = (
        Rectification.objects.filter(
            unit__path__startswith=unit.path,
            opened_at__gte=period.start_at(),
            opened_at__lt=period.end_at(),
        )
        .values(ticket_key)
        .annotate(
            n=Count("pk"),
            closed=Count("pk", filter=Q(state=RectificationState.CLOSED)),
            late=Count("pk", filter=_rectification_open_late(today)),
        )
        .order_by()
    )
    for row in rectifications:
        r = stats[row[ticket_key]]
        r.rectifications += row["n"]
        r.rectifications_closed += row["closed"]
        r.rectifications_overdue += row["late"]
    complaints = Complaint.objects.filter(
        unit__path__startswith=unit.path,
        created_at__gte=period.start_at(),
        created_at__lt=period.end_at(),
    )
    if group != "unit":
        # Only a complaint about a case has an agent and items.
        complaints = complaints.filter(case__isnull=False)
    complaints = (
        complaints.values(ticket_key)
        .annotate(n=Count("pk"), substantiated=Count("pk", filter=Q(substantiated=True)))
        .order_by()
    )
    for row in complaints:
        r = stats[row[ticket_key]]
        r.complaints += row["n"]
        r.complaints_substantiated += row["substantiated"]
    return stats, calendar_missing


def _points(*, actor, unit: Unit, units: list[Unit]) -> list[Point]:
    """Every service point of the subtree: agents against the tier's minimum, items offered
    against the tier's target (the catalog's coverage), and the "八有" missing."""
    offered = {c.unit.pk: c for c in coverage(actor=actor) if c.unit.path.startswith(unit.path)}
    minimums = dict(StaffingMinimum.objects.values_list("level", "minimum"))
    agents = dict(
        Agent.objects.filter(active_until__isnull=True, unit__path__startswith=unit.path)
        .values_list("unit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    result = []
    for u in units:
        if u.level not in POINT_LEVELS or not u.is_active:
            continue
        c = offered.get(u.pk)
        result.append(
            Point(
                unit=u,
                agents=agents.get(u.pk, 0),
                minimum=minimums.get(u.level, 0),
                offered=c.offered if c else 0,
                target=c.target if c else 0,
                missing=[str(label) for name, label in EIGHT_HAVES if not getattr(u, name)],
            )
        )
    return result


def _months(unit: Unit, year: int) -> list[dict]:
    """Opened and finished cases in each month of the year: one query on the tally."""
    counts = {
        row["month"].month: row
        for row in _tallies(unit, Period(year))
        .values("month")
        .annotate(opened=Sum("opened"), finished=Sum("finished"))
        .order_by()
    }
    return [
        {
            "month": m,
            "opened": counts[m]["opened"] if m in counts else 0,
            "finished": counts[m]["finished"] if m in counts else 0,
        }
        for m in range(1, 13)
    ]


def _group_of(unit: Unit, children: dict[str, Unit], chosen: Unit) -> Unit | None:
    """The chosen unit itself, or its child whose subtree holds `unit`."""
    if unit.pk == chosen.pk:
        return chosen
    parts = unit.path.split("/")
    return children.get("/".join(parts[: chosen.depth + 3]) + "/")


def dashboard(
    *, actor, unit: Unit, period: Period, group: str = "unit", today: date | None = None
) -> Dashboard:
    """The numbers of `unit`'s subtree in `period`, one row per child unit (with the unit's
    own cases first), per agent, or per item."""
    require_reader(actor)
    if group not in GROUPS:
        raise NotFound(_("There is no such grouping."))
    today = today or timezone.localdate()
    units = list(Unit.objects.filter(path__startswith=unit.path).order_by("path"))
    stats, calendar_missing = _stats(unit, group, period, today)
    points = _points(actor=actor, unit=unit, units=units)
    rows: list[Row] = []
    if group == "unit":
        by_pk = {u.pk: u for u in units}
        children = {
            u.path: u for u in units if u.parent_id == unit.pk and u.level != Level.DEPARTMENT
        }
        own = Row(key=unit, label=unit.name, own=True)
        grouped = {u.pk: Row(key=u, label=u.name) for u in children.values()}
        for unit_id, r in stats.items():
            target = _group_of(by_pk[unit_id], children, unit) if unit_id in by_pk else None
            if target is not None:
                (own if target.pk == unit.pk else grouped[target.pk]).add(r)
        for p in points:
            target = _group_of(p.unit, children, unit)
            if target is None:
                continue
            r = own if target.pk == unit.pk else grouped[target.pk]
            r.points += 1
            r.points_covered += p.covered
            r.points_staffed += p.staffed
            r.points_eight += p.eight == len(EIGHT_HAVES)
        rows = [own, *sorted(grouped.values(), key=lambda r: r.key.path)]
    else:
        keys = [k for k in stats if k is not None]
        model = Agent if group == "agent" else Item
        objects = {o.pk: o for o in model.objects.filter(pk__in=keys)}
        for k, r in stats.items():
            r.key = objects.get(k)
            r.label = r.key.name if r.key is not None else _("Not dispatched")
            rows.append(r)
        rows.sort(key=lambda r: (r.key is None, r.label))
    total = Row(key=unit, label=_("Total"))
    for r in rows:
        total.add(r)
    if group != "unit":
        # A case with several items counts once per item, so the item rows add up to more
        # than the cases: the total is counted on the unit's rows instead.
        unit_stats, _missing = _stats(unit, "unit", period, today)
        total = Row(key=unit, label=_("Total"))
        for r in unit_stats.values():
            total.add(r)
    total.points = total.points_covered = total.points_staffed = total.points_eight = 0
    for p in points:
        total.points += 1
        total.points_covered += p.covered
        total.points_staffed += p.staffed
        total.points_eight += p.eight == len(EIGHT_HAVES)
    return Dashboard(
        unit=unit,
        period=period,
        group=group,
        rows=rows,
        total=total,
        months=_months(unit, period.year),
        points=points,
        calendar_missing=calendar_missing,
    )


# The drill-down and the overdue board --------------------------------------------------------


def drill_cases(
    *,
    actor,
    unit: Unit,
    period: Period,
    show: str,
    agent: int | None = None,
    item: int | None = None,
    today: date | None = None,
) -> QuerySet[Case]:
    """The cases behind a dashboard number: those of `unit`'s subtree (and of one agent or
    item) that are overdue today, finished late in the period, or both ("behind"), opened or
    finished in the period."""
    require_reader(actor)
    if show not in SHOWS:
        raise NotFound(_("There is no such list."))
    today = today or timezone.localdate()
    opened_q, finished_q = _period_q(period)
    late_q = finished_q & Q(due_date__isnull=False, completed_on__gt=F("due_date"))
    wanted = {
        "overdue": _overdue_q(today),
        "late": late_q,
        "behind": _overdue_q(today) | late_q,
        "opened": opened_q,
        "finished": finished_q,
    }[show]
    cases = Case.objects.filter(unit__path__startswith=unit.path).filter(wanted)
    if agent is not None:
        cases = cases.filter(agent_id=agent)
    if item is not None:
        cases = cases.filter(Q(pk__in=CaseItem.objects.filter(item_id=item).values("case_id")))
    return _listed(cases).order_by("due_date", "-registered_at", "pk")


def _listed(cases: QuerySet[Case]) -> QuerySet[Case]:
    from django.db.models import Prefetch

    return cases.select_related("unit", "agent").prefetch_related(
        Prefetch("items", queryset=CaseItem.objects.select_related("item").order_by("pk"))
    )


def overdue_cases(*, actor, today: date | None = None) -> QuerySet[Case]:
    """Every open case past its due date in the actor's area, the longest overdue first (an
    earlier due date is more working days ago). Read off the partial index of open cases by
    due date (`case_open_due`), scoped by unit ids: no join, no sort of every overdue case."""
    path = require_reader(actor)
    today = today or timezone.localdate()
    cases = Case.objects.filter(_overdue_q(today))
    if path:
        cases = cases.filter(unit__in=list(_unit_ids_below(path)))
    return _listed(cases).order_by("due_date", "unit_id", "pk")


def _unit_ids_below(path: str):
    return Unit.objects.filter(path__startswith=path).values_list("pk", flat=True)


def overdue_by_unit(cases: QuerySet[Case]) -> list[dict]:
    """The overdue cases counted per unit, the most first: one grouped count on the case
    table, the units' names read after (a few hundred at most)."""
    counts = list(cases.order_by().values("unit_id").annotate(n=Count("pk")))
    units = Unit.objects.in_bulk([c["unit_id"] for c in counts])
    rows = [
        {
            "unit_id": c["unit_id"],
            "unit__name": units[c["unit_id"]].name,
            "unit__path": units[c["unit_id"]].path,
            "n": c["n"],
        }
        for c in counts
    ]
    return sorted(rows, key=lambda r: (-r["n"], r["unit__path"]))


def days_overdue(dues, today: date) -> dict[date, int | None]:
    """Working days past each due date (none when the calendar does not cover it)."""
    wanted = set(dues)
    try:
        counts = working_days_from(today, wanted)
    except CalendarNotCovered:
        return dict.fromkeys(wanted)
    return {d: -n for d, n in counts.items()}
