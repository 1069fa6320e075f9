"""The end of a case: completion, delivery, termination, the rating and the archive."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from bangban.cases import custody, sms
from bangban.cases.models import (
    Case,
    Completion,
    Delivery,
    DeliveryMethod,
    Ground,
    Handover,
    HandoverLine,
    Party,
    Rating,
    RatingSource,
    RequestedBy,
    Termination,
)
from bangban.cases.services.common import (
    _act,
    _day,
)
from bangban.cases.signals import rating_recorded
from bangban.cases.tally import tally_rating
from bangban.cases.workflow import Action
from bangban.core.errors import ValidationFailed


@transaction.atomic
def case_complete(
    *,
    actor,
    case: Case,
    revision: int,
    results: str,
    signed_by: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Completion:
    """办结: the results are recorded and the completion notice (000 annex 7) issued; the
    applicant signs it now or at delivery."""
    results = results.strip()
    if not results:
        raise ValidationFailed(_("Record the results."), field="results")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.COMPLETE,
        changes=lambda _c, when: {"completed_on": _day(when)},
        record={"results": results},
        summary=results[:200],
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    sms.case_completed(case)
    return Completion.objects.create(
        case=case, results=results, completed_at=when, signed_by=signed_by.strip()
    )


@transaction.atomic
def case_deliver(
    *,
    actor,
    case: Case,
    revision: int,
    method: str,
    receiver: str,
    tracking_number: str = "",
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Delivery:
    """送达 by window pickup, free post (with the tracking number), to the door or
    electronically. The receiver confirms, signs the completion notice if not yet signed, and
    receives back every paper the agent still holds (recorded as a handover)."""
    if method not in DeliveryMethod.values:
        raise ValidationFailed(_("Choose how the results are delivered."), field="method")
    receiver, tracking_number = receiver.strip(), tracking_number.strip()
    if not receiver:
        raise ValidationFailed(_("Enter who received the results."), field="receiver")
    if method == DeliveryMethod.POST and not tracking_number:
        raise ValidationFailed(_("Enter the postal tracking number."), field="tracking_number")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.DELIVER,
        changes=lambda _c, when: {"closed_at": when},
        record={"method": method, "tracking_number": tracking_number, "receiver": receiver},
        summary=f"{DeliveryMethod(method).label} {tracking_number} {receiver}".strip(),
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    Completion.objects.filter(case=case, signed_by="").update(signed_by=receiver)
    held = custody.agent_holds(case)
    if held:
        handover = Handover.objects.create(
            case=case,
            giver=Party.AGENT,
            receiver=Party.APPLICANT,
            giver_signatory=case.agent.name if case.agent else actor.get_full_name(),
            receiver_signatory=receiver,
            occurred_at=when,
            note=_("Handed back with the results"),
        )
        HandoverLine.objects.bulk_create(
            HandoverLine(handover=handover, material=material, copies=copies)
            for material, copies in held.items()
        )
    sms.case_delivered(case)
    return Delivery.objects.create(
        case=case,
        method=method,
        tracking_number=tracking_number,
        receiver=receiver,
        delivered_at=when,
    )


@transaction.atomic
def case_terminate(
    *,
    actor,
    case: Case,
    revision: int,
    requested_by: str,
    ground: str,
    reason: str,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Termination:
    """终止: who asked, on which ground (001 §六(二)4, annex 6, force majeure) and why. Every held
    material must have been handed back first. False materials also return the case (退件)."""
    if requested_by not in RequestedBy.values:
        raise ValidationFailed(_("Say who asked to terminate."), field="requested_by")
    if ground not in Ground.values:
        raise ValidationFailed(_("Choose the ground for termination."), field="ground")
    returned = ground == Ground.FALSE_MATERIALS
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.TERMINATE,
        reason=reason,
        changes=lambda _c, when: {"closed_at": when, "returned": returned},
        record={"requested_by": requested_by, "ground": ground, "returned": returned},
        summary=f"{Ground(ground).label}: {reason.strip()}",
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    sms.rate_invitation(case)
    return Termination.objects.create(
        case=case,
        requested_by=requested_by,
        ground=ground,
        explanation=reason.strip(),
        terminated_at=when,
    )


@transaction.atomic
def rating_record(
    *,
    actor,
    case: Case,
    revision: int,
    level: int | None = None,
    comment: str = "",
    declined: bool = False,
    source: str = RatingSource.WINDOW,
    occurred_at: datetime | None = None,
    back_entry_reason: str = "",
) -> Rating:
    """一事一评: one rating on five levels with a comment, or the recorded refusal to rate."""
    if source not in RatingSource.values:
        raise ValidationFailed(_("Choose a valid value."), field="source")
    if declined:
        level = None
    elif level not in (1, 2, 3, 4, 5):
        raise ValidationFailed(_("Choose one of the five levels."), field="level")
    case, when = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.RATE,
        record={"level": level, "declined": declined, "source": source},
        summary=comment.strip()[:200],
        occurred_at=occurred_at,
        back_entry_reason=back_entry_reason,
    )
    rating = Rating.objects.create(
        case=case,
        level=level,
        comment=comment.strip(),
        declined=declined,
        source=source,
        rated_at=when,
    )
    tally_rating(case=case, level=rating.level, rated_at=rating.rated_at)
    rating_recorded.send(sender=Rating, rating=rating, actor=actor)
    return rating


@transaction.atomic
def case_archive(*, actor, case: Case, revision: int) -> Case:
    """一事一档: the archive is complete, so the case is locked."""
    case, _moment = _act(
        actor=actor,
        case=case,
        revision=revision,
        action=Action.ARCHIVE,
        changes=lambda _c, when: {"archived_at": when},
    )
    return case
