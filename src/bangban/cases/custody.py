"""Who holds what (材料交接): the balance of every material from the case's handovers.

The applicant and the departments are sources: the applicant hands in the application, a
department issues licences and approvals. The agent can only pass on what the agent holds.
What a department keeps once it has decided its task is the application as filed there; until
then it is held on the case, and must come back before a termination completes."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from bangban.cases.models import Case, Handover, Party
from bangban.core.errors import ValidationFailed


@dataclass(frozen=True)
class Holding:
    party: str  # a Party value
    department_id: int | None
    department_name: str
    material: str
    copies: int

    @property
    def holder(self) -> str:
        if self.party == Party.DEPARTMENT:
            return self.department_name
        return str(Party(self.party).label)


def _key(party: str, department) -> tuple[str, int | None]:
    return (party, department.pk if party == Party.DEPARTMENT and department else None)


def balances(handovers: Iterable[Handover]) -> dict[tuple[str, int | None, str], int]:
    """(party, department id, material) → copies held, from handovers with their lines."""
    totals: dict[tuple[str, int | None, str], int] = defaultdict(int)
    for handover in handovers:
        giver = _key(handover.giver, handover.department)
        receiver = _key(handover.receiver, handover.department)
        for line in handover.lines.all():
            totals[(*giver, line.material)] -= line.copies
            totals[(*receiver, line.material)] += line.copies
    return totals


def _handovers(case: Case):
    return case.handovers.select_related("department").prefetch_related("lines")


def holdings(case: Case, handovers: Sequence[Handover] | None = None) -> list[Holding]:
    """The case page's answer to "who holds what now": every positive balance, the applicant's
    own papers excepted (the applicant is where they come from and go back to). `handovers`,
    when the caller has read them already (with their departments and lines)."""
    if handovers is None:
        handovers = list(_handovers(case))
    names = {h.department_id: h.department.name for h in handovers if h.department_id}
    rows = [
        Holding(party, dept, names.get(dept, ""), material, copies)
        for (party, dept, material), copies in balances(handovers).items()
        if copies > 0 and party != Party.APPLICANT
    ]
    return sorted(rows, key=lambda h: (h.party, h.department_name, h.material))


def held_by_service(
    case: Case,
    handovers: Sequence[Handover] | None = None,
    deciding: set[int] | None = None,
) -> dict[str, int]:
    """Material → copies the service side still holds: the agent, and every department whose
    tasks on the case are not all decided (`deciding`: those departments' ids, when the caller
    has the tasks already)."""
    if deciding is None:
        deciding = set(
            case.tasks.filter(decision="").order_by().values_list("department_id", flat=True)
        )
    if handovers is None:
        handovers = list(_handovers(case))
    held: dict[str, int] = defaultdict(int)
    for (party, dept, material), copies in balances(handovers).items():
        if copies <= 0:
            continue
        if party == Party.AGENT or (party == Party.DEPARTMENT and dept in deciding):
            held[material] += copies
    return dict(held)


def agent_holds(case: Case) -> dict[str, int]:
    return {
        material: copies
        for (party, _dept, material), copies in balances(_handovers(case)).items()
        if party == Party.AGENT and copies > 0
    }


def check_giver_holds(case: Case, giver: str, department, lines) -> None:
    """The agent and a department can only hand on what they hold; the applicant and a
    department issuing new papers are sources. Raises ValidationFailed otherwise."""
    if giver == Party.LOST:
        raise ValidationFailed(_("A lost material cannot be handed over."), field="giver")
    if giver != Party.AGENT:
        return
    totals = balances(_handovers(case))
    wanted: dict[str, int] = defaultdict(int)
    for line in lines:
        wanted[line["material"]] += line["copies"]
    for material, copies in wanted.items():
        have = totals.get((giver, None, material), 0)
        if have < copies:
            raise ValidationFailed(
                _("The agent holds %(have)d of “%(material)s”, not %(copies)d.")
                % {"have": max(have, 0), "material": material, "copies": copies},
                field="lines",
            )
