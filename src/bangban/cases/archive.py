"""一事一档: what a case's archive still lacks before it can be locked (000 §五(二)6).

The archive holds the registration, the agreement (proxy cases that reached acceptance), the
handover lists — balanced, so that nothing is still held —, the completion notice signed by the
applicant or the termination forms (or, for a refusal, its written reason), and the rating or
the applicant's recorded refusal to rate."""

from django.utils.translation import gettext as _

from bangban.cases.models import Case, Completion, Kind, Rating, Termination
from bangban.cases.workflow import State


def missing(case: Case) -> tuple[str, ...]:
    lacking: list[str] = []
    if not case.number or not case.applicant_name:
        lacking.append(_("the registration form"))
    if case.kind == Kind.PROXY and case.accepted_on and not case.agreement_signed:
        lacking.append(_("the signed delegation agreement"))
    held = case.materials_held
    if held:
        lacking.append(
            _("handovers that balance: %(count)d piece(s) of material are still held")
            % {"count": held}
        )
    # A refusal carries its written reason itself (the refusal notice); nothing more to file.
    if case.state == State.TERMINATED:
        if not Termination.objects.filter(case=case).exists():
            lacking.append(_("the termination forms"))
    elif case.state != State.REFUSED:
        completion = Completion.objects.filter(case=case).first()
        if completion is None:
            lacking.append(_("the completion notice"))
        elif not completion.signed_by:
            lacking.append(_("the applicant's signature on the completion notice"))
        if case.state != State.DELIVERED:
            lacking.append(_("the delivery of the results"))
    if not Rating.objects.filter(case=case).exists():
        lacking.append(_("the rating, or the applicant's recorded refusal to rate"))
    return tuple(lacking)
