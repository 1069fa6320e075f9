"""Reads of complaints and "办不成事" tickets, scoped to what the actor may see.

Supervisors, system administrators and centre administrators see every ticket (a centre
administrator of one county in a region deployment: those about its units and those naming no
unit); point managers see the tickets about units in their subtree. Agents and liaisons see none:
a complaint is often about them."""

from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from bangban.feedback.models import (
    CallbackSample,
    Category,
    Complaint,
    Obstacle,
    Rectification,
    RectificationState,
    State,
    Ticket,
)
from bangban.org.models import Role
from bangban.org.scoping import scope_path, sees_everything

T = TypeVar("T", bound=Ticket)

# The roles that read tickets (supervisors read; the others may also answer).
READING_ROLES = {Role.MANAGER, Role.CENTRE_ADMIN, Role.SUPERVISOR, Role.SYSADMIN}
ANSWERING_ROLES = {Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN}
# The roles that route complaints and call applicants back: the centre, not the unit checked.
CALLBACK_ROLES = {Role.CENTRE_ADMIN, Role.SYSADMIN}


def _visible_q(actor) -> Q | None:
    """The filter of the tickets the actor sees; None: nothing; Q(): everything."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return None
    if sees_everything(actor):
        return Q()
    if actor.role not in READING_ROLES:
        return None
    path = scope_path(actor)
    if path is None:
        return None
    if path == "":
        return Q()
    q = Q(unit__path__startswith=path)
    if actor.role == Role.CENTRE_ADMIN:
        q |= Q(unit__isnull=True)
    return q


def _scoped(queryset: QuerySet[T], actor) -> QuerySet[T]:
    q = _visible_q(actor)
    if q is None:
        return queryset.none()
    return queryset.filter(q).select_related("unit", "case", "answered_by")


def can_read(actor) -> bool:
    return _visible_q(actor) is not None


def complaints_visible(*, actor, state: str = "") -> QuerySet[Complaint]:
    queryset = _scoped(Complaint.objects.all(), actor)
    if state in State.values:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-created_at", "-pk")


def obstacles_visible(*, actor, state: str = "") -> QuerySet[Obstacle]:
    queryset = _scoped(Obstacle.objects.all(), actor)
    if state in State.values:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-created_at", "-pk")


def complaint_get(*, actor, pk: int) -> Complaint:
    """404 for a complaint out of the actor's scope, exactly as for one that does not exist."""
    return get_object_or_404(complaints_visible(actor=actor), pk=pk)


def obstacle_get(*, actor, pk: int) -> Obstacle:
    return get_object_or_404(obstacles_visible(actor=actor), pk=pk)


def is_visible(actor, ticket: Ticket) -> bool:
    q = _visible_q(actor)
    return q is not None and type(ticket).objects.filter(q, pk=ticket.pk).exists()


def unit_visible(actor, unit) -> bool:
    """Whether a unit lies in the actor's scope (a point manager: their subtree)."""
    if unit is None:
        return False
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if sees_everything(actor):
        return True
    path = scope_path(actor)
    return path is not None and (path == "" or unit.path.startswith(path))


# The public side: the citizen holds the code, and sees the state and the answer.


def _code(value: str) -> str:
    # Letters and digits only: what is read out or typed may carry spaces, and a NUL byte
    # (refused by PostgreSQL in a query, a 500) never reaches the database.
    return "".join(ch for ch in (value or "") if ch.isascii() and ch.isalnum()).upper()[:16]


def complaint_by_code(code: str) -> Complaint:
    return get_object_or_404(Complaint.objects.select_related("unit"), code=_code(code))


def obstacle_by_code(code: str) -> Obstacle:
    return get_object_or_404(Obstacle.objects.select_related("unit"), code=_code(code))


# Rectifications and callbacks (issue 7) --------------------------------------------------------


def _scoped_by_unit(queryset, actor):
    q = _visible_q(actor)
    if q is None:
        return queryset.none()
    return queryset.filter(q)


def rectifications_visible(*, actor, state: str = "", overdue: bool = False, today=None):
    queryset = _scoped_by_unit(Rectification.objects.all(), actor).select_related(
        "unit", "case", "rating"
    )
    if state in RectificationState.values:
        queryset = queryset.filter(state=state)
    if overdue:
        queryset = overdue_filter(queryset, today)
    return queryset.order_by("-opened_at", "-pk")


def overdue_filter(queryset, today=None):
    """Open rectifications past their due date (the extended one if there is one)."""
    today = today or timezone.localdate()
    return queryset.filter(state=RectificationState.OPEN).filter(
        Q(new_due_on__lt=today) | Q(new_due_on__isnull=True, due_on__lt=today)
    )


def rectification_get(*, actor, pk: int):
    return get_object_or_404(rectifications_visible(actor=actor), pk=pk)


@dataclass
class UnitRectifications:
    """One unit's rectifications opened in a period.

    - `rate`: closed ÷ opened (None when none were opened).
    - `overdue`: open ones past their (extended) due date today.
    - 双归零 (`double_zero`) holds when both are cleared:
      差评归零 (`ratings_cleared`) — every rectification opened in the period is closed (the
      applicant said at the callback they are now satisfied);
      问题归零 (`problems_cleared`) — no problem came back: no rectification in the period found
      a problem category that an earlier rectification of the same unit in the period had found
      and that was already closed when the later bad rating came in.
    """

    unit: object
    opened: int = 0
    closed: int = 0
    open: int = 0
    done: int = 0
    overdue: int = 0
    recurring: list = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.closed / self.opened if self.opened else None

    @property
    def recurring_labels(self) -> list[str]:
        return [str(Category(c).label) for c in self.recurring]

    @property
    def ratings_cleared(self) -> bool:
        return self.closed == self.opened

    @property
    def problems_cleared(self) -> bool:
        return not self.recurring

    @property
    def double_zero(self) -> bool:
        return self.ratings_cleared and self.problems_cleared


def rectification_summary(*, actor, since, until, today=None) -> list[UnitRectifications]:
    """Per unit (those with a rectification opened from `since` to `until`, both dates
    included): opened, closed, rate, overdue and 双归零 — see `UnitRectifications`."""
    today = today or timezone.localdate()
    rows = (
        rectifications_visible(actor=actor)
        .filter(opened_at__date__gte=since, opened_at__date__lte=until)
        .order_by("opened_at", "pk")
    )
    units: dict[int, UnitRectifications] = {}
    closed_categories: dict[int, list] = {}
    for r in rows:
        summary = units.setdefault(r.unit_id, UnitRectifications(unit=r.unit))
        summary.opened += 1
        if r.state == RectificationState.CLOSED:
            summary.closed += 1
        elif r.state == RectificationState.DONE:
            summary.done += 1
        else:
            summary.open += 1
            if r.is_overdue(today):
                summary.overdue += 1
        earlier = closed_categories.setdefault(r.unit_id, [])
        if (
            r.finding_category
            and any(c == r.finding_category and at < r.opened_at for c, at in earlier)
            and r.finding_category not in summary.recurring
        ):
            summary.recurring.append(r.finding_category)
        if r.state == RectificationState.CLOSED and r.finding_category:
            earlier.append((r.finding_category, r.closed_at))
    return sorted(units.values(), key=lambda s: s.unit.path)


def samples_visible(*, actor):
    return (
        _scoped_by_unit(CallbackSample.objects.all(), actor)
        .select_related("unit", "drawn_by")
        .order_by("-month", "unit__path")
    )


def sample_get(*, actor, pk: int):
    return get_object_or_404(samples_visible(actor=actor), pk=pk)


def sample_callbacks(sample):
    return sample.callbacks.select_related("case", "called_by").order_by("pk")
