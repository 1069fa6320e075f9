"""Reads of complaints and "办不成事" tickets, scoped to what the actor may see.

Supervisors, system administrators and centre administrators see every ticket (a centre
administrator of one county in a region deployment: those about its units and those naming no
unit); point managers see the tickets about units in their subtree. Agents and liaisons see none:
a complaint is often about them."""

from typing import TypeVar

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from bangban.feedback.models import Complaint, Obstacle, State, Ticket
from bangban.org.models import Role
from bangban.org.scoping import scope_path, sees_everything

T = TypeVar("T", bound=Ticket)

# The roles that read tickets (supervisors read; the others may also answer).
READING_ROLES = {Role.MANAGER, Role.CENTRE_ADMIN, Role.SUPERVISOR, Role.SYSADMIN}
ANSWERING_ROLES = {Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN}


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


# The public side: the citizen holds the code, and sees the state and the answer.


def _code(value: str) -> str:
    return "".join((value or "").split()).upper()[:16]


def complaint_by_code(code: str) -> Complaint:
    return get_object_or_404(Complaint.objects.select_related("unit"), code=_code(code))


def obstacle_by_code(code: str) -> Obstacle:
    return get_object_or_404(Obstacle.objects.select_related("unit"), code=_code(code))
