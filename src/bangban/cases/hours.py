"""A service point's hours as the point wrote them (free text such as "周一至周五
8:30-12:00，14:30-18:00", "12:00-14:30 预约服务", "周六 9:00-12:00 预约服务（5+X）"), read into
appointment slots.

Only what is written plainly is read: weekdays ("周一至周五", "周六、周日", "每天") and time
ranges ("9:00-12:00"). Text without a time range ("节假日电话预约，上门服务") gives no slots, and
the portal tells the applicant to call the point instead of inventing hours.

Which hours apply on a date follows the working-day calendar: on a working day (an adjusted
weekend working day, 调休上班, included) the opening hours and the lunch-hour service; on an
ordinary weekend day the weekend appointment hours; on a holiday none."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from bangban.core.models import CalendarDay, CalendarYear

DAY_NAMES = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})
EVERY_DAY = frozenset(range(7))

_RANGE = re.compile(
    r"(\d{1,2})\s*[:：]\s*(\d{2})\s*(?:-|－|—|–|~|～|至|到)\s*(\d{1,2})\s*[:：]\s*(\d{2})"
)
_SPAN = re.compile(
    r"(?:周|星期)([一二三四五六日天七])\s*(?:至|到|-|－|—|–|~|～)\s*(?:周|星期)?([一二三四五六日天七])"
)
_ONE = re.compile(r"(?:周|星期)([一二三四五六日天七])")


@dataclass(frozen=True)
class Rule:
    days: frozenset[int]
    ranges: tuple[tuple[time, time], ...]


_DAY_WORDS = {
    "每天": EVERY_DAY,
    "每日": EVERY_DAY,
    "工作日": WEEKDAYS,
    "周末": WEEKEND,
    "双休日": WEEKEND,
}
_TOKEN = re.compile(
    "|".join(
        [
            f"(?P<span>{_SPAN.pattern})",
            f"(?P<range>{_RANGE.pattern})",
            f"(?P<one>{_ONE.pattern})",
            "(?P<word>" + "|".join(_DAY_WORDS) + ")",
        ]
    )
)


def _span_days(first: str, last: str) -> set[int]:
    a, b = DAY_NAMES[first], DAY_NAMES[last]
    return set(range(a, b + 1)) if a <= b else {*range(a, 7), *range(0, b + 1)}


def parse(text: str, *, default_days: frozenset[int]) -> list[Rule]:
    """The rules a text states; an empty list when it states no time range. Time ranges apply
    to the weekdays named before them ("周六、周日 9:00-16:00"), or to the field's default (the
    weekdays for opening hours, the weekend for weekend hours)."""
    rules: list[Rule] = []
    days: set[int] = set()
    ranges: list[tuple[time, time]] = []
    naming = False  # the last token named days: a following day token adds to them

    def close() -> None:
        if ranges:
            rules.append(Rule(frozenset(days) or default_days, tuple(ranges)))

    for match in _TOKEN.finditer(text or ""):
        kind = match.lastgroup
        if kind == "range":
            h1, m1, h2, m2 = (int(g) for g in match.group(*range(5, 9)))
            try:
                start, end = time(h1, m1), time(h2, m2)
            except ValueError:
                continue
            if start < end:
                ranges.append((start, end))
            naming = False
            continue
        if not naming:
            close()
            days, ranges = set(), []
        naming = True
        if kind == "span":
            days |= _span_days(match.group(2), match.group(3))
        elif kind == "one":
            days.add(DAY_NAMES[match.group(10)])
        else:
            days |= _DAY_WORDS[match.group(0)]
    close()
    return rules


@dataclass(frozen=True)
class Hours:
    """A point's readable hours: the rules of working days and of weekends, and whether each
    text could be read (an unreadable text means: call the point)."""

    working: list[Rule]
    weekend: list[Rule]
    unreadable: tuple[str, ...]

    @property
    def bookable(self) -> bool:
        return bool(self.working or self.weekend)


def hours_of(unit) -> Hours:
    unreadable = []
    working: list[Rule] = []
    for name in ("opening_hours", "lunch_hours"):
        text = getattr(unit, name, "") or ""
        rules = parse(text, default_days=WEEKDAYS)
        if text.strip() and not rules:
            unreadable.append(name)
        working += rules
    text = unit.weekend_hours or ""
    weekend = parse(text, default_days=WEEKEND)
    if text.strip() and not weekend:
        unreadable.append("weekend_hours")
    return Hours(working=working, weekend=weekend, unreadable=tuple(unreadable))


def _ranges_on(day: date, working: bool, holiday: bool, hours: Hours) -> list[tuple[time, time]]:
    weekday = day.weekday()
    if working:
        # An adjusted working Saturday or Sunday opens like a Monday.
        look = weekday if weekday < 5 else 0
        rules = [r for r in hours.working if look in r.days]
    elif holiday:
        return []
    else:
        rules = [r for r in hours.weekend if weekday in r.days] + [
            r for r in hours.working if weekday in r.days
        ]
    ranges = sorted({rng for rule in rules for rng in rule.ranges})
    return ranges


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        return timezone.localtime(self.start).strftime("%Y%m%d%H%M")


def slots(
    unit, *, first: date, days: int, minutes: int, after: datetime | None = None
) -> list[Slot]:
    """Every slot of `minutes` within the point's hours from `first` for `days` calendar days,
    starting after `after`. Days in a year the calendar does not cover are left out."""
    hours = hours_of(unit)
    if not hours.bookable:
        return []
    last = first + timedelta(days=days - 1)
    years = set(CalendarYear.objects.values_list("year", flat=True))
    rows = {
        row.date: row
        for row in CalendarDay.objects.filter(date__range=(first, last)).only(
            "date", "is_working_day", "name"
        )
    }
    step = timedelta(minutes=minutes)
    result: list[Slot] = []
    tz = timezone.get_current_timezone()
    day = first
    while day <= last:
        if day.year in years:
            row = rows.get(day)
            working = row.is_working_day if row else day.weekday() < 5
            holiday = row is not None and not row.is_working_day
            for begin, end in _ranges_on(day, working, holiday, hours):
                moment = datetime.combine(day, begin, tzinfo=tz)
                stop = datetime.combine(day, end, tzinfo=tz)
                while moment + step <= stop:
                    if after is None or moment > after:
                        result.append(Slot(moment, moment + step))
                    moment += step
        day += timedelta(days=1)
    return sorted(set(result), key=lambda s: s.start)


def slot_of(unit, key: str, *, minutes: int, days: int, after: datetime) -> Slot | None:
    """The slot a form names by its key, if the point offers it."""
    if not (len(key) == 12 and key.isascii() and key.isdigit()):
        return None
    try:
        wanted = date(int(key[:4]), int(key[4:6]), int(key[6:8]))
    except ValueError:
        return None
    today = timezone.localtime(after).date()
    if not today <= wanted < today + timedelta(days=days + 1):
        return None
    return next(
        (
            s
            for s in slots(unit, first=wanted, days=1, minutes=minutes, after=after)
            if s.key == key
        ),
        None,
    )
