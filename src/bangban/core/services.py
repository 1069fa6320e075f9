"""Writes of the shared kernel: the working-day calendar and accepted identifiers. Each use
case is one function: keyword-only, typed, permission-checked, atomic, and leaves one event.

`actor=None` means the system itself (code run by an operator with shell access), as in the
other apps' services; views, the admin and the import command always pass a user.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from bangban.core.calendar import calendar_changed, kind_for
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.core.identifiers import CreditCodeCheck, validate_credit_code
from bangban.core.models import CalendarDay, CalendarYear

# The values of `bangban.org.models.Role` allowed to maintain the calendar; core may not import
# org, so they are spelled out here.
CALENDAR_ROLES = frozenset({"sysadmin", "centre_admin"})

NAME_MAX = CalendarDay._meta.get_field("name").max_length
SOURCE_MAX = CalendarDay._meta.get_field("source").max_length
YEAR_RANGE = (1949, 2100)


def can_manage_calendar(actor) -> bool:
    return (
        getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", False)
        and getattr(actor, "role", None) in CALENDAR_ROLES
    )


def _require_calendar_manager(actor) -> None:
    if actor is None:
        return
    if not can_manage_calendar(actor):
        raise PermissionDenied(
            _("Only system and centre administrators can change the working-day calendar.")
        )


def _clean_source(source: str) -> str:
    source = (source or "").strip() if isinstance(source, str) else ""
    if not source:
        raise ValidationFailed(
            _("Enter the source of this schedule (for example the notice's document number)."),
            field="source",
        )
    if len(source) > SOURCE_MAX:
        raise ValidationFailed(
            _("The source can be at most %(max)s characters long.") % {"max": SOURCE_MAX},
            field="source",
        )
    return source


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _snapshot(day: CalendarDay) -> dict[str, Any]:
    return {
        "date": day.date,
        "is_working_day": day.is_working_day,
        "kind": day.kind,
        "name": day.name,
        "source": day.source,
    }


@transaction.atomic
def calendar_day_set(
    *, actor, date: dt.date, is_working_day: bool, name: str, source: str
) -> CalendarDay:
    """Override or add one day. This does not make its year covered: a single day is not a
    schedule, so dates of a year without a `CalendarYear` stay refused until the year is
    imported (`calendar_year_import`)."""
    _require_calendar_manager(actor)
    if not _is_date(date):
        raise ValidationFailed(_("Enter a valid date."), field="date")
    if not isinstance(is_working_day, bool):
        raise ValidationFailed(
            _("Say whether the day is a working day (yes or no)."), field="is_working_day"
        )
    name = (name or "").strip() if isinstance(name, str) else None
    if name is None or len(name) > NAME_MAX:
        raise ValidationFailed(
            _("The name can be at most %(max)s characters long.") % {"max": NAME_MAX},
            field="name",
        )
    source = _clean_source(source)
    values = {
        "is_working_day": is_working_day,
        "kind": kind_for(date, is_working_day),
        "name": name,
        "source": source,
    }
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    before = _snapshot(day) if day is not None else None
    if day is None:
        day = CalendarDay.objects.create(date=date, **values)
    else:
        for field, value in values.items():
            setattr(day, field, value)
        day.save()
    event_record(
        actor=actor, action="calendar_day.set", obj=day, before=before, after=_snapshot(day)
    )
    return day


def _rows_text(numbers: list[int]) -> str:
    return pgettext("list separator", ", ").join(str(n) for n in numbers)


@transaction.atomic
def calendar_year_import(
    *,
    actor,
    year: int,
    rows: Iterable[tuple[dt.date, bool, str]],
    source: str,
    first_row_number: int = 1,
) -> CalendarYear:
    """Enter a year's whole schedule: its holidays and adjusted working days (other rows are
    allowed, for instance a weekday stated as a working day). All or nothing: any bad row
    refuses the import, naming the rows (numbered from `first_row_number`, so a file's reader
    can pass its line numbers).

    The rows replace the year's calendar: days of that year not in the rows are removed, so a
    re-import after a corrected notice leaves no stale holiday behind. The year becomes covered.
    """
    _require_calendar_manager(actor)
    if (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]
    ):
        raise ValidationFailed(
            _("The year must be between %(min)s and %(max)s.")
            % {"min": YEAR_RANGE[0], "max": YEAR_RANGE[1]},
            field="year",
        )
    source = _clean_source(source)

    problems: dict[str, list[int]] = {}
    seen: set[dt.date] = set()
    clean: list[tuple[dt.date, bool, str]] = []
    count = 0
    for number, row in enumerate(rows, start=first_row_number):
        count += 1
        try:
            day, working, name = row
        except (TypeError, ValueError):
            problems.setdefault("shape", []).append(number)
            continue
        bad = False
        if not _is_date(day):
            problems.setdefault("date", []).append(number)
            bad = True
        elif day.year != year:
            problems.setdefault("year", []).append(number)
            bad = True
        elif day in seen:
            problems.setdefault("duplicate", []).append(number)
            bad = True
        if not isinstance(working, bool):
            problems.setdefault("working", []).append(number)
            bad = True
        if not isinstance(name, str) or len(name.strip()) > NAME_MAX:
            problems.setdefault("name", []).append(number)
            bad = True
        if _is_date(day):
            seen.add(day)
        if not bad:
            clean.append((day, working, name.strip()))
    if count == 0:
        raise ValidationFailed(_("There are no rows to import."))
    if problems:
        wording = {
            "shape": _("rows %(rows)s: expected a date, a working-day flag and a name"),
            "date": _("rows %(rows)s: not a valid date"),
            "year": _("rows %(rows)s: the date is not in %(year)s"),
            "duplicate": _("rows %(rows)s: the date appears more than once"),
            "working": _("rows %(rows)s: the working-day flag must be yes or no"),
            "name": _("rows %(rows)s: the name is longer than %(max)s characters"),
        }
        details = [
            wording[key] % {"rows": _rows_text(numbers), "year": year, "max": NAME_MAX}
            for key, numbers in problems.items()
        ]
        raise ValidationFailed(
            _("Nothing was imported. %(problems)s")
            % {"problems": pgettext("problem separator", "; ").join(details)},
            extra={"rows": sorted({n for numbers in problems.values() for n in numbers})},
        )

    calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
    existing = list(
        CalendarDay.objects.select_for_update().filter(date__year=year).order_by("date")
    )
    before = {
        "year": year,
        "source": calendar_year.source if calendar_year else None,
        "days": [_day_row(d.date, d.is_working_day, d.name) for d in existing],
    }
    if calendar_year is None:
        calendar_year = CalendarYear.objects.create(year=year, source=source)
    else:
        calendar_year.source = source
        calendar_year.save(update_fields=["source"])
    wanted = {day for day, _w, _n in clean}
    CalendarDay.objects.filter(pk__in=[d.pk for d in existing if d.date not in wanted]).delete()
    by_date = {d.date: d for d in existing}
    to_create, to_update = [], []
    for day, working, name in clean:
        values = {
            "is_working_day": working,
            "kind": kind_for(day, working),
            "name": name,
            "source": source,
        }
        row = by_date.get(day)
        if row is None:
            to_create.append(CalendarDay(date=day, **values))
        else:
            for field, value in values.items():
                setattr(row, field, value)
            to_update.append(row)
    CalendarDay.objects.bulk_create(to_create)
    # Bulk writes send no signal: refresh the in-process calendar snapshot here.
    calendar_changed()
    transaction.on_commit(calendar_changed)
    # bulk_update skips auto_now, so the update time is set here.
    for row in to_update:
        row.save()
    event_record(
        actor=actor,
        action="calendar_year.import",
        obj=calendar_year,
        before=before,
        after={
            "year": year,
            "source": source,
            "days": [_day_row(day, working, name) for day, working, name in sorted(clean)],
        },
    )
    return calendar_year


def _day_row(day: dt.date, working: bool, name: str) -> list[Any]:
    return [day, working, name]


@transaction.atomic
def credit_code_accept(
    *,
    actor,
    value: str,
    override_reason: str = "",
    obj=None,
    unit_path: str = "",
) -> CreditCodeCheck:
    """Accept a unified social credit code for a record. A code that fails its check is refused
    unless staff write a reason (some genuine codes fail it); that override is logged with the
    warning and the reason, beside the record it is for."""
    check = validate_credit_code(value, override_reason=override_reason)
    if not check.ok:
        event_record(
            actor=actor,
            action="credit_code.override",
            obj=obj,
            unit_path=unit_path,
            after={
                "credit_code": check.value,
                "warning": check.warning,
                "reason": override_reason.strip(),
            },
        )
    return check
