"""The signed token of a case's rating link (一事一评): printed as a QR code on the evaluation
form and sent by SMS, it lets the applicant rate without logging in.

The token is deterministic for a case (the case number and the day the service ended, signed
with the installation's key), so reprinting an unchanged evaluation form gives the same form;
its age is counted from that day, so a link stops working `BANGBAN_RATING_LINK_DAYS` after
the service ended, and a guessed or altered token fails the signature."""

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases.models import Case
from bangban.core.errors import ValidationFailed

SALT = "bangban.cases.rating-link"


@dataclass(frozen=True)
class RatingClaim:
    number: str
    issued_on: date


def rating_issued_on(case: Case) -> date:
    """The day the service ended (completion, or the refusal or termination), from which the
    link's age counts; today for a case still open."""
    if case.completed_on:
        return case.completed_on
    if case.closed_at:
        return timezone.localtime(case.closed_at).date()
    return timezone.localdate()


def rating_token(case: Case) -> str:
    return signing.Signer(salt=SALT).sign_object(
        {"n": case.number, "d": rating_issued_on(case).isoformat()}, compress=False
    )


def rating_link(case: Case) -> str:
    """The case's public rating page with its signed token: the QR code on the evaluation form
    and the link in the rating SMS are this one link."""
    return (
        f"{settings.BANGBAN_PUBLIC_URL}/public/rate/{quote(case.number, safe='')}/"
        f"?t={quote(rating_token(case), safe='')}"
    )


def rating_token_read(token: str, *, today: date | None = None) -> RatingClaim:
    """The case number a rating token was issued for; ValidationFailed for a token that was
    not issued here, was altered, or is too old."""
    try:
        claim = signing.Signer(salt=SALT).unsign_object(token)
        number, issued_on = str(claim["n"]), date.fromisoformat(claim["d"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(_("This rating link is not valid.")) from exc
    today = today or timezone.localdate()
    if (today - issued_on).days > settings.BANGBAN_RATING_LINK_DAYS:
        raise ValidationFailed(
            _("This rating link has expired; ask the service point for a new one.")
        )
    return RatingClaim(number=number, issued_on=issued_on)
