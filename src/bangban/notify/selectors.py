"""What staff see of the outbox: the messages of their area."""

from django.db.models import Q, QuerySet

from bangban.notify.models import OutboxMessage
from bangban.org.models import Role
from bangban.org.scoping import scope_path

# Who reads the outbox page: those who answer for messages reaching people (and the
# supervisors, who see everything and change nothing).
OUTBOX_READERS = {Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN, Role.SUPERVISOR}


def outbox_visible(*, actor) -> QuerySet[OutboxMessage]:
    """System administrators and supervisors see every message; a centre administrator those
    of their county and those of no area (such as login codes); a point manager the messages of
    their unit's subtree. One deployment may hold several counties (SPEC §1): a centre
    administrator never reads another county's messages to its applicants."""
    messages = OutboxMessage.objects.all()
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return messages.none()
    if actor.is_superuser or actor.role in {Role.SYSADMIN, Role.SUPERVISOR}:
        return messages
    path = scope_path(actor)
    if actor.role == Role.CENTRE_ADMIN and path:
        return messages.filter(Q(unit_path__startswith=path) | Q(unit_path=""))
    if actor.role == Role.MANAGER and path:
        return messages.filter(unit_path__startswith=path)
    return messages.none()
