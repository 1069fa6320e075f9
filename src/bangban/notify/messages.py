"""The text of each kind of message, with its named parameters. The SMS gateway sends the
template id and the parameters (the provider holds the approved wording); the console and file
backends and the staff outbox page show this text."""

from django.utils.translation import gettext as _

from bangban.notify.models import Kind


def text_of(kind: str, params: dict) -> str:
    texts = {
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
    }
    template = texts.get(Kind(kind))
    if template is None:
        return " ".join(f"{key}={value}" for key, value in sorted(params.items()))
    return template % params
