"""The fixed wording of the delegation agreement (001 annex 6, 代办服务委托书): the duties of
both parties and the circumstances that end the proxy service. Kept in one place so the PDF and
the Word version print the same agreement; as English msgids with the annex's own Chinese text
as their translation."""

from django.utils.translation import gettext as _


def duties_principal() -> str:
    return _(
        "To cooperate with the agent by providing complete application materials in time, and "
        "to give a written commitment that the materials are true."
    )


def duties_agency() -> str:
    return _(
        "To tell the principal at one time every material the delegated items need; to "
        "collect, keep and pass on the principal's application materials; to follow up and "
        "urge the approval windows to finish the items within their promised time limits; and "
        "to inform the principal of the results in time."
    )


def liability() -> str:
    return _(
        "The agent only handles the agreed items on the principal's behalf; the legal "
        "responsibility rests with the principal. The proxy service ends when any of the "
        "following occurs during the delegation, and the principal bears any loss arising from "
        "it. The circumstances include but are not limited to:"
    )


def termination_clauses() -> list[str]:
    """The seven circumstances (1)–(7) of annex 6, in its order."""
    return [
        _("When the delegated items are completed, the proxy service ends by itself."),
        _(
            "When the applicant asks to terminate, the agency hands the approval documents, "
            "licences and related materials already obtained over to the applicant."
        ),
        _(
            "When the applicant is verified to be a dishonest enterprise, the items are not "
            "handled and the proxy service ends."
        ),
        _(
            "When the delegated items conflict with current laws and regulations, or no longer "
            "meet the conditions to be completed, the proxy service ends after the reasons are "
            "explained."
        ),
        _(
            "When the applicant submits false materials or conceals important facts during the "
            "application, the proxy service ends and the application is returned."
        ),
        _(
            "When the applicant does not submit the approval materials as required, or refuses "
            "to perform the duties agreed in the delegation agreement, the proxy service ends."
        ),
        _(
            "When the handling stalls for a long time for the applicant's own reasons and the "
            "items can hardly be completed, the proxy service ends after the agency has talked "
            "it over with the applicant."
        ),
    ]


def effect() -> str:
    return _(
        "This agreement takes effect on the day it is signed. It is made in duplicate: one copy "
        "for the principal and one for the agency centre."
    )
