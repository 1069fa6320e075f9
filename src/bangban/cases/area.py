"""The town area of a case (`Case.town`): which town point's staff see it.

A town point sees the cases of its own unit and of the village points and outlets under it, and
the cases they escalated above the towns (the county handles them jointly, 提请上级). That is
one town or none for every case, so it is stored on the case and a town's queues read one index
range in queue order (`case_town_queue`) instead of walking every open case of the county and
keeping those of the town's units (ADR 0007 §13). The services that set or change a case's unit
set it; the tree's shape never changes (units are added, not moved)."""

from bangban.org.models import Level, Unit


def town_id_of(unit: Unit, joint_unit: Unit | None = None) -> int | None:
    """The town point whose area holds a case of `unit`, handled jointly with `joint_unit`
    (the tier that escalated it); None above or beside the towns (the county centre, its
    departments and outlets)."""
    own = _town_id(unit)
    if own is None and joint_unit is not None:
        return _town_id(joint_unit)
    return own


def _town_id(unit: Unit) -> int | None:
    if unit.level == Level.TOWN:
        return unit.pk
    if unit.level == Level.VILLAGE:
        return unit.parent_id  # a village point sits under a town point (org.CHILD_LEVELS)
    if unit.level == Level.OUTLET and unit.parent_id is not None:
        return unit.parent_id if unit.parent.level == Level.TOWN else None
    return None
