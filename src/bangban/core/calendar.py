"""The working-day calendar (法定工作日): reads.

A day is a working day by the Monday-to-Friday rule unless a `CalendarDay` row says otherwise
(a holiday, or a weekend made a working day, 调休上班). The rule is applied only inside years whose
official schedule is known (`CalendarYear`): a date in any other year raises `CalendarNotCovered`,
because a guessed time limit is worse than none (行政许可法 §82 counts working days without
legal holidays, and the State Council publishes each year's schedule only around November).

Writes (an administrator's override, a year's import) are in `bangban.core.services`.
"""

import bisect
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from bangban.core.errors import ValidationFailed
from bangban.core.models import CalendarDay, CalendarYear

# Ten years of working days: far beyond any legal time limit, and it keeps one request's work
# (and the window of rows it loads) bounded.
MAX_WORKING_DAYS = 3650

ONE_DAY = timedelta(days=1)


class CalendarNotCovered(ValidationFailed):
    """A date falls in a year whose holiday schedule has not been entered."""

    def __init__(self, year: int):
        super().__init__(
            _(
                "The holidays and adjusted working days of %(year)s have not been entered in "
                "the working-day calendar, so a time limit in working days cannot be "
                "calculated. A system administrator can import the year's schedule with the "
                "command: bangban calendar-import %(year)s.csv --source <document number> "
                "--actor <user name>"
            )
            % {"year": year},
            extra={"year": year},
        )
        self.year = year


def kind_for(day: date, is_working_day: bool) -> str:
    """The kind of a calendar row follows from the date and the flag: a working weekend day is
    an adjusted working day, a day off on Monday to Friday is a holiday."""
    weekend = day.weekday() >= 5
    if is_working_day:
        return CalendarDay.Kind.ADJUSTED_WORKDAY if weekend else CalendarDay.Kind.WORKDAY
    return CalendarDay.Kind.REST_DAY if weekend else CalendarDay.Kind.HOLIDAY


@dataclass(frozen=True)
class _Day:
    is_working_day: bool
    name: str


@dataclass(frozen=True)
class _Snapshot:
    """The whole calendar in memory: the covered years, the rows that differ from the
    Monday-to-Friday rule, and every working day of the covered years as a sorted list of
    ordinals, so that a count is two bisections instead of a walk and two queries."""

    years: frozenset[int]
    rows: dict[date, _Day]
    working: list[int]
    loaded_at: float


# Reloaded at most this many seconds after it was read, and at once in this process when the
# calendar is written (`calendar_changed`). Another process sees a new holiday schedule within
# this time — the schedule is entered weeks before its first day.
SNAPSHOT_SECONDS = 60
_state: dict[str, _Snapshot | None] = {"snapshot": None}


def calendar_changed(**_kwargs) -> None:
    """Forget the snapshot: the calendar was written (a signal receiver, and the services)."""
    _state["snapshot"] = None


def _snapshot() -> _Snapshot:
    snap = _state["snapshot"]
    if snap is not None and time.monotonic() - snap.loaded_at < SNAPSHOT_SECONDS:
        return snap
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    rows = {
        d: _Day(working, name)
        for d, working, name in CalendarDay.objects.values_list("date", "is_working_day", "name")
    }
    working = []
    for year in sorted(years):
        day, last = date(year, 1, 1), date(year, 12, 31)
        while day <= last:
            row = rows.get(day)
            if row.is_working_day if row is not None else day.weekday() < 5:
                working.append(day.toordinal())
            day += ONE_DAY
    snap = _Snapshot(years, rows, working, time.monotonic())
    _state["snapshot"] = snap
    return snap


def _check_years(snap: _Snapshot, first: int, last: int) -> None:
    """Every year from `first` to `last` must be covered; the first that is not is named."""
    for year in range(first, last + 1):
        if year not in snap.years:
            raise CalendarNotCovered(year)


@dataclass(frozen=True)
class DueDate:
    start: date
    working_days: int
    due_date: date

    @cached_property
    def _explained(self) -> tuple[list[tuple[date, str]], list[tuple[date, str]], int]:
        rows = _snapshot().rows
        holidays: list[tuple[date, str]] = []
        adjusted: list[tuple[date, str]] = []
        weekends = 0
        day = self.start
        while day < self.due_date:
            day += ONE_DAY
            row = rows.get(day)
            weekend = day.weekday() >= 5
            working = row.is_working_day if row is not None else not weekend
            if working:
                if weekend:
                    adjusted.append((day, row.name if row else ""))
            elif row is not None and (row.name or not weekend):
                holidays.append((day, row.name or _("holiday")))
            else:
                weekends += 1
        return holidays, adjusted, weekends

    @property
    def skipped_holidays(self) -> list[tuple[date, str]]:
        """Days off that a CalendarDay row names (a holiday span, weekend days inside it)."""
        return self._explained[0]

    @property
    def adjusted_workdays(self) -> list[tuple[date, str]]:
        """Weekend days that were counted because they are working days (调休上班)."""
        return self._explained[1]

    @property
    def skipped_weekends(self) -> int:
        """Ordinary Saturdays and Sundays skipped."""
        return self._explained[2]


def _check_count(working_days: int) -> None:
    if isinstance(working_days, bool) or not isinstance(working_days, int):
        raise ValidationFailed(
            _("The number of working days must be a whole number."), field="working_days"
        )
    if working_days < 0:
        raise ValidationFailed(
            _("The number of working days cannot be negative."), field="working_days"
        )
    if working_days > MAX_WORKING_DAYS:
        raise ValidationFailed(
            _("The number of working days cannot be more than %(max)s.")
            % {"max": MAX_WORKING_DAYS},
            field="working_days",
        )


def is_working_day(d: date) -> bool:
    snap = _snapshot()
    _check_years(snap, d.year, d.year)
    row = snap.rows.get(d)
    return d.weekday() < 5 if row is None else row.is_working_day


def add_working_days(start: date, working_days: int) -> DueDate:
    """The date on which a limit of `working_days` working days ends.

    Counting starts on the day after `start` (the day of acceptance is not counted); each
    working day counts one, so a start on a day off simply counts from the next working day.
    Zero working days ends on `start` itself. Every date visited must lie in a covered year,
    the start's own year included."""
    _check_count(working_days)
    snap = _snapshot()
    _check_years(snap, start.year, start.year)
    if working_days == 0:
        return DueDate(start=start, working_days=0, due_date=start)
    index = bisect.bisect_right(snap.working, start.toordinal()) + working_days - 1
    if index >= len(snap.working):
        # The count runs past the last covered year: name the first year it cannot enter.
        year = start.year
        while year in snap.years:
            year += 1
        raise CalendarNotCovered(year)
    due = date.fromordinal(snap.working[index])
    # A gap in the covered years is skipped by the list: the count may not cross it.
    _check_years(snap, start.year, due.year)
    return DueDate(start=start, working_days=working_days, due_date=due)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; when end is before start, minus the working days in
    (end, start] (a limit already overrun by that many days); zero when they are equal."""
    if end == start:
        return 0
    if end < start:
        return -working_days_between(end, start)
    snap = _snapshot()
    _check_years(snap, start.year, end.year)
    working = snap.working
    return bisect.bisect_right(working, end.toordinal()) - bisect.bisect_right(
        working, start.toordinal()
    )


def working_days_from(start: date, ends: Iterable[date]) -> dict[date, int]:
    """`working_days_between(start, end)` for many ends at once: for lists that show the days
    left of each row. Raises CalendarNotCovered when a day to count lies in a year without a
    calendar."""
    return {end: working_days_between(start, end) for end in set(ends)}


# The explanation sentence ------------------------------------------------------------------


def format_date(d: date) -> str:
    return _("%(year)d-%(month)02d-%(day)02d") % {"year": d.year, "month": d.month, "day": d.day}


def format_month_day(d: date) -> str:
    return _("%(month)02d-%(day)02d") % {"month": d.month, "day": d.day}


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive dates grouped into (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for d in sorted(days):
        if runs and d - runs[-1][1] == ONE_DAY:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def _dates_text(days: Iterable[date], year: int) -> str:
    def one(d: date) -> str:
        return format_month_day(d) if d.year == year else format_date(d)

    parts = []
    for first, last in _runs(days):
        if first == last:
            parts.append(one(first))
        else:
            parts.append(_("%(first)s to %(last)s") % {"first": one(first), "last": one(last)})
    return pgettext("list separator", ", ").join(parts)


def explain(due: DueDate) -> str:
    """One sentence for the applicant: where counting started, what was skipped, which weekend
    days counted, and the due date."""
    if due.working_days == 0:
        return _("0 working days: the time limit ends on the starting day, %(start)s.") % {
            "start": format_date(due.start)
        }
    year = due.start.year
    clauses = [
        _("Counting %(count)s working days from %(start)s (the starting day is not counted)")
        % {"count": due.working_days, "start": format_date(due.start)}
    ]
    by_name: dict[str, list[date]] = {}
    for d, name in due.skipped_holidays:
        by_name.setdefault(name, []).append(d)
    for name, days in by_name.items():
        clauses.append(
            _("skipping the %(name)s holiday, %(dates)s")
            % {"name": name, "dates": _dates_text(days, year)}
        )
    if due.skipped_weekends:
        clauses.append(
            ngettext(
                "skipping %(count)d weekend day",
                "skipping %(count)d weekend days",
                due.skipped_weekends,
            )
            % {"count": due.skipped_weekends}
        )
    if due.adjusted_workdays:
        clauses.append(
            ngettext(
                "%(dates)s is an adjusted working day and counts",
                "%(dates)s are adjusted working days and count",
                len(due.adjusted_workdays),
            )
            % {"dates": _dates_text([d for d, _name in due.adjusted_workdays], year)}
        )
    clauses.append(_("the time limit ends on %(due)s.") % {"due": format_date(due.due_date)})
    return pgettext("clause separator", ", ").join(clauses)
