"""Who sees what: every read is limited to the actor's unit subtree.

A village agent sees its village; a town manager the town and its villages; a centre
administrator the county; supervisors and system administrators everything. Later apps scope
their querysets through `scope_by_unit` with the path of the unit an object belongs to."""

from typing import TypeVar

from django.db.models import Model, QuerySet

from bangban.org.models import Role

SEE_EVERYTHING = {Role.SUPERVISOR, Role.SYSADMIN}
STAFF_ROLES = {Role.AGENT, Role.LIAISON, Role.MANAGER, Role.CENTRE_ADMIN}
MANAGING_ROLES = {Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN}
# Who may deliberately reveal masked personal data of people in their scope (and log it).
REVEALING_ROLES = {Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN, Role.SUPERVISOR}


def sees_everything(actor) -> bool:
    return bool(actor.is_authenticated and (actor.is_superuser or actor.role in SEE_EVERYTHING))


def scope_path(actor) -> str | None:
    """The tree path the actor may read below; "" if the actor sees everything; None if nothing."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return None
    if sees_everything(actor):
        return ""
    if actor.role in STAFF_ROLES and actor.unit_id:
        return actor.unit.path
    return None


M = TypeVar("M", bound=Model)


def scope_by_unit(queryset: QuerySet[M], actor, path_field: str = "unit__path") -> QuerySet[M]:
    path = scope_path(actor)
    if path is None:
        return queryset.none()
    if path == "":
        return queryset
    return queryset.filter(**{f"{path_field}__startswith": path})


def in_scope(actor, unit) -> bool:
    path = scope_path(actor)
    return path is not None and unit.path.startswith(path)
