"""Due dates in working days (行政许可法 §82: the day of acceptance is not counted; 002
第二十条), extended by the working days a case spent paused, and the warning level of an open
case."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangban.catalog.models import ItemVersion
from bangban.core.calendar import (
    CalendarNotCovered,
    add_working_days,
    working_days_between,
    working_days_from,
)

# "Due soon" when this many working days or fewer remain (configurable per deployment).
DUE_SOON_DAYS = getattr(settings, "BANGBAN_DUE_SOON_DAYS", 1)


class Warning(models.TextChoices):
    NORMAL = "normal", _("Normal")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


def limit_days(versions: Iterable[ItemVersion]) -> int | None:
    """The case's limit: the longest of its items' promised limits (a bundle runs its items in
    parallel), or the statutory one where an item promises none. None when no item has one."""
    limits = []
    for version in versions:
        guide = version.snapshot
        days = guide.get("promised_limit_days")
        if days is None:
            days = guide.get("statutory_limit_days")
        if days is not None:
            limits.append(days)
    return max(limits) if limits else None


def due_date(accepted_on: date, days: int | None, paused_working_days: int = 0) -> date | None:
    if days is None:
        return None
    return add_working_days(accepted_on, days + paused_working_days).due_date


@dataclass(frozen=True)
class Deadline:
    due: date
    remaining: int  # working days left after today; negative once overdue
    warning: Warning


def deadline(due: date | None, today: date) -> Deadline | None:
    if due is None:
        return None
    remaining = working_days_between(today, due)
    return Deadline(due=due, remaining=remaining, warning=_level(remaining))


def _level(remaining: int) -> Warning:
    if remaining < 0:
        return Warning.OVERDUE
    if remaining <= DUE_SOON_DAYS:
        return Warning.DUE_SOON
    return Warning.NORMAL


def deadlines_for(dues: Iterable[date | None], today: date) -> dict[date, Deadline | None]:
    """The deadline of every due date of a list page, counted on one calendar window. A list
    shows no warning rather than failing when the calendar does not cover a date yet."""
    wanted = {due for due in dues if due is not None}
    try:
        counts = working_days_from(today, wanted)
    except CalendarNotCovered:
        return dict.fromkeys(wanted)
    return {due: Deadline(due, n, _level(n)) for due, n in counts.items()}
