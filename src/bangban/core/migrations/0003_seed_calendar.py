"""Seed the working-day calendar from the `chinese_calendar` package (the State Council's
published holiday schedules, 国务院办公厅关于部分节假日安排的通知).

Only the years the package has data for become covered years; those are read from the data, not
assumed, so a newer package never makes this migration claim a year it does not know, and an
older one never makes it guess.

The package lists every day off of a holiday span, weekend days inside the span included
(2026's Spring Festival is 15–23 February, two weekends in it). All of them are stored, with the
holiday's name, so that a due-date explanation can name the whole span. The kind follows the
same rule as `bangban.core.calendar.kind_for` (used by the services when an administrator sets a
day), so rows from either source read alike: a day off on Monday to Friday is a "holiday", a day
off on a weekend a "rest_day" (named, because it lies inside the holiday), a working weekend day
an "adjusted_workday". Weekend days outside any span are not stored: the Monday-to-Friday rule
covers them.
"""

import datetime

from django.db import migrations

# The package's own Chinese labels are abbreviated (清明, 端午, 中秋); the names used in notices
# and on forms are these. Keyed by the package's English value, which is what its dicts hold.
NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _source() -> str:
    import chinese_calendar

    version = ".".join(chinese_calendar.__version__.split(".")[:2])
    return f"chinese-calendar {version} (国务院办公厅节假日安排)"


def _name(value: str) -> str:
    from chinese_calendar import Holiday

    if value in NAMES:
        return NAMES[value]
    # A holiday added by a later package version: use the package's own label.
    return Holiday(value).chinese


def _kind(day: datetime.date, is_working_day: bool) -> str:
    weekend = day.weekday() >= 5
    if is_working_day:
        return "adjusted_workday" if weekend else "workday"
    return "rest_day" if weekend else "holiday"


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    source = _source()
    years = sorted(
        {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    )
    known = set(CalendarYear.objects.values_list("year", flat=True))
    taken = set(CalendarDay.objects.values_list("date", flat=True))
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=year, source=source) for year in years if year not in known]
    )
    days = []
    for day, value in sorted(chinese_calendar.holidays.items()):
        days.append(
            CalendarDay(
                date=day,
                is_working_day=False,
                kind=_kind(day, False),
                name=_name(value),
                source=source,
            )
        )
    for day, value in sorted(chinese_calendar.workdays.items()):
        days.append(
            CalendarDay(
                date=day,
                is_working_day=True,
                kind=_kind(day, True),
                name=f"{_name(value)}调休上班",
                source=source,
            )
        )
    # Rows entered by hand before this ran win over the package.
    CalendarDay.objects.bulk_create([d for d in days if d.date not in taken], batch_size=500)


def unseed(apps, schema_editor):
    source = _source()
    apps.get_model("core", "CalendarDay").objects.filter(source=source).delete()
    apps.get_model("core", "CalendarYear").objects.filter(source=source).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]

    operations = [migrations.RunPython(seed, unseed)]
