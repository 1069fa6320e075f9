"""Material custody: handovers between the parties, losses and their incidents."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases import custody
from bangban.cases.models import (
    Case,
    Handover,
    HandoverLine,
    Incident,
    Party,
)
from bangban.cases.services.common import (
    _act,
    _not_archived,
    _notify,
    _require_manager,
)
from bangban.cases.workflow import Action
from bangban.core.errors import Conflict, ValidationFailed
from bangban.core.events import event_record
from bangban.org.models import Level, Role, Unit, User


def _lines(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for line in lines:
        material = str(line.get("material", "")).strip()
        try:
            copies = int(line.get("copies", 0))
        except (TypeError, ValueError):
            copies = 0
        if not material or copies < 1:
            raise ValidationFailed(
                _("Name each material and how many copies change hands."), field="lines"
            )
        rows.append(
            {"material": material, "copies": copies, "original": bool(line.get("original"))}
        )
    if not rows:
        raise ValidationFailed(_("List the materials handed over."), field="lines")
    return rows


@transaction.atomic
def handover_record(
    *,
    actor,
    case: Case,
    revision: int,
    giver: str,
    receiver: str,
    lines: Sequence[Mapping[str, Any]],
    giver_signatory: str,
    receiver_signatory: str = "",
    department: Unit | None = None,
    note: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Handover:
    """申报材料移交清单: the materials, their counts and both signatures. Handing to "lost"
    records a loss and opens an incident."""
    if giver not in Party.values or receiver not in Party.values or giver == receiver:
        raise ValidationFailed(_("Choose who hands over and who receives."), field="receiver")
    if Party.DEPARTMENT in (giver, receiver):
        if department is None or department.level != Level.DEPARTMENT:
            raise ValidationFailed(_("Choose the department."), field="department")
    else:
        department = None
    rows = _lines(lines)
    giver_signatory, receiver_signatory = giver_signatory.strip(), receiver_signatory.strip()
    if not giver_signatory:
        raise ValidationFailed(_("Enter who handed the materials over."), field="giver_signatory")
    lost = receiver == Party.LOST
    if lost and not note.strip():
        raise ValidationFailed(_("Describe how the material was lost."), field="note")
    if not lost and not receiver_signatory:
        raise ValidationFailed(_("Enter who received the materials."), field="receiver_signatory")
    giver_label = department.name if giver == Party.DEPARTMENT else Party(giver).label
    receiver_label = department.name if receiver == Party.DEPARTMENT else Party(receiver).label
    materials = "、".join(f"{r['material']}×{r['copies']}" for r in rows)
    summary = f"{giver_label} → {receiver_label}: {materials}"
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.RECORD_HANDOVER,
        record={"giver": giver, "receiver": receiver, "lines": rows, "lost": lost},
        summary=summary,
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    custody.check_giver_holds(case, giver, department, rows)
    handover = Handover.objects.create(
        case=case,
        giver=giver,
        receiver=receiver,
        department=department,
        giver_signatory=giver_signatory,
        receiver_signatory=receiver_signatory,
        occurred_at=when,
        note=note.strip(),
    )
    HandoverLine.objects.bulk_create(HandoverLine(handover=handover, **row) for row in rows)
    if lost:
        Incident.objects.create(
            case=case, handover=handover, description=note.strip(), opened_at=when
        )
        managers = User.objects.filter(unit=case.unit, role__in=[Role.MANAGER], is_active=True)
        _notify(
            list(managers),
            case,
            _("Material was lost on case %(number)s.") % {"number": case.number},
        )
    return handover


@transaction.atomic
def incident_resolve(*, actor, incident: Incident, resolution: str) -> Incident:
    """A manager closes a lost-material incident with what was done about it."""
    case = incident.case
    _require_manager(actor, case)
    _not_archived(case)
    if incident.resolved_at is not None:
        raise Conflict(_("This incident is closed already."))
    resolution = resolution.strip()
    if not resolution:
        raise ValidationFailed(_("Say how the incident was resolved."), field="resolution")
    now = timezone.now()
    Incident.objects.filter(pk=incident.pk).update(resolved_at=now, resolution=resolution)
    event_record(
        actor=actor, action="case.incident_resolve", obj=case, after={"resolution": resolution}
    )
    incident.refresh_from_db()
    return incident
