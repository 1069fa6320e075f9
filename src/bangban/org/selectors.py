"""Reads of the organisation and roster, already limited to what the actor may see."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from bangban.org.models import (
    Activity,
    Agent,
    Level,
    PersonnelChange,
    StaffingMinimum,
    Unit,
)
from bangban.org.scoping import scope_by_unit


def _active_on(day: date) -> Q:
    return Q(active_from__lte=day) & (Q(active_until__isnull=True) | Q(active_until__gte=day))


def units_visible(*, actor) -> QuerySet[Unit]:
    return scope_by_unit(Unit.objects.select_related("parent"), actor, "path")


def unit_get(*, actor, pk: int) -> Unit:
    """404 for a unit out of the actor's scope, exactly as for one that does not exist."""
    return get_object_or_404(units_visible(actor=actor), pk=pk)


def unit_subtree(*, actor, unit: Unit, on: date | None = None) -> QuerySet[Unit]:
    """The unit and every unit below it that the actor may see, in tree order, each with its
    number of agents on the roster today."""
    day = on or timezone.localdate()
    return (
        units_visible(actor=actor)
        .filter(path__startswith=unit.path)
        .annotate(
            agent_count=Count(
                "agents",
                filter=Q(agents__active_from__lte=day)
                & (Q(agents__active_until__isnull=True) | Q(agents__active_until__gte=day)),
            )
        )
        .order_by("path")
    )


def agents_visible(
    *, actor, unit: Unit | None = None, on: date | None = None, search: str = ""
) -> QuerySet[Agent]:
    """Agents on the roster on `on` (default today) that the actor may see."""
    qs = scope_by_unit(Agent.objects.select_related("unit", "user"), actor)
    qs = qs.filter(_active_on(on or timezone.localdate()))
    if unit is not None:
        qs = qs.filter(unit=unit)
    if search:
        qs = qs.filter(Q(name__contains=search) | Q(unit__name__contains=search))
    return qs.order_by("unit__path", "name", "pk")


def agent_get(*, actor, pk: int) -> Agent:
    """Any agent in scope, past ones included (the personnel register links to them)."""
    qs = scope_by_unit(Agent.objects.select_related("unit", "user"), actor)
    return get_object_or_404(qs, pk=pk)


def roster_public(*, unit: Unit, on: date | None = None) -> QuerySet[Agent]:
    """The public roster of one point (公示): who is on duty there today. Not scoped: it is
    published. Callers show only name, photo, unit, public phone and hours."""
    return rosters_public(units=[unit], on=on).select_related("unit").order_by("name", "pk")


def rosters_public(*, units: list[Unit], on: date | None = None) -> QuerySet[Agent]:
    """The public rosters of many points in one query."""
    return Agent.objects.filter(unit__in=[u.pk for u in units], on_duty=True).filter(
        _active_on(on or timezone.localdate())
    )


def public_points() -> QuerySet[Unit]:
    """Service points whose roster is published."""
    return (
        Unit.objects.filter(is_active=True)
        .exclude(level=Level.REGION)
        .select_related("parent")
        .order_by("path")
    )


def personnel_changes_visible(*, actor) -> QuerySet[PersonnelChange]:
    return scope_by_unit(
        PersonnelChange.objects.select_related(
            "unit", "previous_agent", "new_agent", "recorded_by"
        ),
        actor,
    )


def activities_visible(*, actor) -> QuerySet[Activity]:
    return scope_by_unit(
        Activity.objects.select_related("unit", "recorded_by").annotate(
            present_count=Count("attendances", filter=Q(attendances__status="present")),
            invited_count=Count("attendances"),
        ),
        actor,
    )


def activity_get(*, actor, pk: int) -> Activity:
    qs = scope_by_unit(Activity.objects.select_related("unit", "recorded_by"), actor)
    return get_object_or_404(qs, pk=pk)


@dataclass(frozen=True)
class Staffing:
    agents: int
    minimum: int

    @property
    def short_by(self) -> int:
        return max(0, self.minimum - self.agents)


def staffing_minimums() -> dict[str, int]:
    return dict(StaffingMinimum.objects.values_list("level", "minimum"))


def unit_staffing(*, unit: Unit, agents: int, minimums: dict[str, int] | None = None) -> Staffing:
    minimums = minimums if minimums is not None else staffing_minimums()
    return Staffing(agents=agents, minimum=minimums.get(unit.level, 0))
