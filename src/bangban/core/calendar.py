"""The working-day calendar (法定工作日): reads.

A day is a working day by the Monday-to-Friday rule unless a `CalendarDay` row says otherwise
(a holiday, or a weekend made a working day, 调休上班). The rule is applied only inside years whose
official schedule is known (`CalendarYear`): a date in any other year raises `CalendarNotCovered`,
because a guessed time limit is worse than none (行政许可法 §82 counts working days without
legal holidays, and the State Council publishes each year's schedule only around November).

Writes (an administrator's override, a year's import) are in `bangban.core.services`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

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
class DueDate:
    start: date
    working_days: int
    due_date: date
    # Days off that a CalendarDay row names (a holiday span, weekend days inside it included).
    skipped_holidays: list[tuple[date, str]]
    # Weekend days that were counted because they are working days (调休上班).
    adjusted_workdays: list[tuple[date, str]]
    # Ordinary Saturdays and Sundays skipped.
    skipped_weekends: int


@dataclass(frozen=True)
class _Day:
    is_working_day: bool
    name: str


class _Window:
    """The covered years (one query) and the calendar rows of a span of dates (one query per
    span; a span is extended only when a count runs past it)."""

    def __init__(self, first: date, last: date):
        self.years = set(CalendarYear.objects.values_list("year", flat=True))
        self.rows: dict[date, _Day] = {}
        self.last = first - ONE_DAY
        self.extend(first, last)

    def extend(self, first: date, last: date) -> None:
        rows = CalendarDay.objects.filter(date__range=(first, last)).values_list(
            "date", "is_working_day", "name"
        )
        self.rows.update({d: _Day(working, name) for d, working, name in rows})
        self.last = max(self.last, last)

    def check(self, day: date) -> None:
        if day.year not in self.years:
            raise CalendarNotCovered(day.year)

    def day(self, day: date) -> tuple[bool, _Day | None]:
        """Whether `day` is a working day, and its row if it has one."""
        self.check(day)
        if day > self.last:
            self.extend(day, _clamp(day, 400))
        row = self.rows.get(day)
        if row is not None:
            return row.is_working_day, row
        return day.weekday() < 5, None


def _clamp(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max


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
    if not CalendarYear.objects.filter(year=d.year).exists():
        raise CalendarNotCovered(d.year)
    row = CalendarDay.objects.filter(date=d).values_list("is_working_day", flat=True).first()
    return d.weekday() < 5 if row is None else row


def add_working_days(start: date, working_days: int) -> DueDate:
    """The date on which a limit of `working_days` working days ends.

    Counting starts on the day after `start` (the day of acceptance is not counted); each
    working day counts one, so a start on a day off simply counts from the next working day.
    Zero working days ends on `start` itself. Every date visited must lie in a covered year,
    the start's own year included."""
    _check_count(working_days)
    # 250 or so working days a year: twice the count plus two months covers any real span in
    # one query; `_Window.day` loads more if not.
    window = _Window(start, _clamp(start, working_days * 2 + 60))
    window.check(start)
    holidays: list[tuple[date, str]] = []
    adjusted: list[tuple[date, str]] = []
    weekends = 0
    day, counted = start, 0
    while counted < working_days:
        day += ONE_DAY
        working, row = window.day(day)
        weekend = day.weekday() >= 5
        if working:
            counted += 1
            if weekend:
                adjusted.append((day, row.name if row else ""))
        elif row is not None and (row.name or not weekend):
            holidays.append((day, row.name or _("holiday")))
        else:
            weekends += 1
    return DueDate(
        start=start,
        working_days=working_days,
        due_date=day,
        skipped_holidays=holidays,
        adjusted_workdays=adjusted,
        skipped_weekends=weekends,
    )


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; when end is before start, minus the working days in
    (end, start] (a limit already overrun by that many days); zero when they are equal."""
    if end == start:
        return 0
    if end < start:
        return -working_days_between(end, start)
    window = _Window(start, end)
    window.check(start)
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        working, _row = window.day(day)
        count += working
    return count


def working_days_from(start: date, ends: Iterable[date]) -> dict[date, int]:
    """`working_days_between(start, end)` for many ends at once, on one calendar window (two
    queries whatever the number of ends): for lists that show the days left of each row.
    Raises CalendarNotCovered when a day to count lies in a year without a calendar."""
    wanted = sorted(set(ends))
    if not wanted:
        return {}
    first, last = min(wanted[0], start), max(wanted[-1], start)
    window = _Window(first, last)
    window.check(start)
    counts: dict[date, int] = {}
    # Forward from start for later ends, backward for earlier ones, one pass each way.
    count, day = 0, start
    for end in (e for e in wanted if e >= start):
        while day < end:
            day += ONE_DAY
            count += window.day(day)[0]
        counts[end] = count
    count, day = 0, start
    for end in (e for e in reversed(wanted) if e < start):
        while day > end:
            count += window.day(day)[0]
            day -= ONE_DAY
        counts[end] = -count
    return counts


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
