"""The text of each kind of message, with its named parameters. The SMS gateway sends the
template id and the parameters (the provider holds the approved wording, which should say the
same as these texts); the console and file backends and the staff outbox page show this text.

The parameters of each kind (what a provider's template must use):

    sms_code            code, minutes
    new_request         number, item, point
    booking_confirmed   point, when, item, code
    accepted            number, due_date
    one_time_notice     number, missing, deadline
    completed           number
    delivered           number
    rate_invitation     number, link
    rate_reminder       number, link
    dispatched          number, due_date
    due_tomorrow        number, due_date
    overdue             number, due_date
    supervised          number, reason
    rectification_due   number, deadline
"""

from django.utils.translation import gettext as _

from bangban.notify.models import Kind


def _texts() -> dict[Kind, str]:
    return {
        Kind.SMS_CODE: _(
            "Your verification code is %(code)s. It is valid for %(minutes)s minutes; do not "
            "tell anyone."
        ),
        Kind.NEW_REQUEST: _(
            "A new online request %(number)s (%(item)s) is waiting at %(point)s. Please handle "
            "it in time."
        ),
        Kind.BOOKING_CONFIRMED: _(
            "Your appointment at %(point)s on %(when)s for %(item)s is booked. Booking code "
            "%(code)s."
        ),
        # To the applicant.
        Kind.ACCEPTED: _(
            "Your case %(number)s has been accepted. It is due to be completed by %(due_date)s."
        ),
        Kind.ONE_TIME_NOTICE: _(
            "Your case %(number)s needs more materials: %(missing)s. Please bring them by "
            "%(deadline)s."
        ),
        Kind.COMPLETED: _(
            "Your case %(number)s has been completed. The service point will deliver the "
            "results to you."
        ),
        Kind.DELIVERED: _("The results of your case %(number)s have been delivered to you."),
        Kind.RATE_INVITATION: _("Please rate the service for your case %(number)s: %(link)s"),
        Kind.RATE_REMINDER: _(
            "You have not rated the service for your case %(number)s yet. Please rate it: %(link)s"
        ),
        # To agents and managers.
        Kind.DISPATCHED: _(
            "Case %(number)s has been dispatched to you. It is due by %(due_date)s."
        ),
        Kind.DUE_TOMORROW: _("Case %(number)s is due tomorrow (%(due_date)s)."),
        Kind.OVERDUE: _("Case %(number)s is overdue: it was due on %(due_date)s."),
        Kind.SUPERVISED: _("Case %(number)s is under supervision: %(reason)s"),
        Kind.RECTIFICATION_DUE: _("The rectification for case %(number)s is due by %(deadline)s."),
    }


def text_of(kind: str, params: dict) -> str:
    template = _texts().get(Kind(kind))
    if template is not None:
        try:
            return template % params
        except (KeyError, TypeError, ValueError):
            # A caller that gave other parameters still gets a readable message.
            pass
    return " ".join(f"{key}={value}" for key, value in sorted(params.items()))
