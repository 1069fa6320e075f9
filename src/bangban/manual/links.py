"""The help link of every staff screen: URL name → the chapter that explains it.

A value is a chapter slug, or a dict by role (key "" = everybody else) when the same screen
is explained in the chapter of the role that uses it (the workbench of an agent, a liaison
and a point manager look alike and do different work).

Which URL names need one (tests/manual/test_links.py derives them from the URL configuration):
every named URL except
- the JSON API (api/), the Django admin (admin/), sign-in and sign-out, static and media files
  and the help pages themselves — they have no page of ours to put the link on;
- the public portal (public/): its pages may link to the citizen chapter (PORTAL below), but do
  not have to;
- a URL that ends in a file name (….pdf, ….xlsx, ….docx): a download, not a screen;
- NOT_SCREENS: the other URLs that answer with no page of their own (a POST that redirects back,
  a fragment or JSON for htmx, a file download), each with the reason.
"""

from bangban.manual.chapters import (
    AGENT,
    CENTRE_ADMIN,
    LIAISON,
    MANAGER,
    ROLE_CHAPTER,
    SUPERVISOR,
    SYSADMIN,
)

# The case work: each service-side role reads its own chapter; administrators read the agent's
# (they step in at the window), supervisors theirs.
_CASE_WORK = {LIAISON: "liaison", MANAGER: "manager", SUPERVISOR: "supervisor", "": "agent"}
# What a role's home or notifications explain: its own chapter.
_OWN = {**ROLE_CHAPTER, "": "agent"}
# Supervision screens: a point manager watches their points, the supervisor and the centre
# the whole county.
_WATCH = {MANAGER: "manager", SUPERVISOR: "supervisor", "": "admin"}
# The centre's follow-up of feedback: a point manager rectifies at their point.
_FOLLOW_UP = {MANAGER: "manager", SUPERVISOR: "supervisor", "": "admin"}
# The annual assessment: the centre scores, the supervisor enters inspection findings.
_ASSESS = {SUPERVISOR: "supervisor", "": "admin"}

HELP_LINKS: dict[str, str | dict[str, str]] = {
    # org
    "home": _OWN,
    "unit-detail": "admin",
    "agent-list": "admin",
    "agent-detail": "admin",
    "personnel-change-list": "admin",
    "personnel-change-create": "admin",
    "activity-list": "admin",
    "activity-create": "admin",
    "activity-detail": "admin",
    # catalog
    "catalog-list": {AGENT: "agent", MANAGER: "manager", "": "admin"},
    "catalog-coverage": "admin",
    "catalog-excel": "admin",
    "catalog-import-job": "admin",
    "item-create": "admin",
    "item-edit": "admin",
    "item-versions": "admin",
    "item-version": "admin",
    "point-catalog": "admin",
    # cases
    "cases:workbench": _CASE_WORK,
    "cases:detail": _CASE_WORK,
    "cases:act": _CASE_WORK,
    "cases:bookings": {MANAGER: "manager", "": "agent"},
    "cases:notifications": _OWN,
    "desk:register": {MANAGER: "manager", "": "agent"},
    "desk:consultations": {MANAGER: "manager", "": "agent"},
    "desk:meetings": {MANAGER: "manager", "": "agent"},
    "desk:worklog": {MANAGER: "manager", "": "agent"},
    # documents
    "documents:record": "agent",
    "documents:archives": {CENTRE_ADMIN: "admin", SYSADMIN: "admin", "": "agent"},
    "documents:archive-export": {CENTRE_ADMIN: "admin", SYSADMIN: "admin", "": "agent"},
    # supervision
    "supervision:dashboard": _WATCH,
    "supervision:dashboard-cases": _WATCH,
    "supervision:overdue": _WATCH,
    "supervision:monthly": _WATCH,
    "supervision:ledger": _WATCH,
    "supervision:ledger-export": _WATCH,
    # assessment
    "assessment:index": _ASSESS,
    "assessment:year": _ASSESS,
    "assessment:town": _ASSESS,
    "assessment:findings": "supervisor",
    # feedback
    "feedback:list": _FOLLOW_UP,
    "feedback:complaint": _FOLLOW_UP,
    "feedback:complaint-hotline": "admin",
    "feedback:obstacle": _FOLLOW_UP,
    "feedback:rectifications": _FOLLOW_UP,
    "feedback:rectification": _FOLLOW_UP,
    "feedback:samples": "admin",
    "feedback:sample": "admin",
    # notify
    "notify:outbox": {SYSADMIN: "operations", MANAGER: "manager", "": "admin"},
}

NOT_SCREENS: dict[str, str] = {
    "healthz": "JSON health probe for monitoring (docs/operations.md), no login",
    "cases:deficiency-receive": "POST from the case page, redirects back",
    "cases:incident-resolve": "POST from the case page, redirects back",
    "cases:booking-close": "POST from the bookings list, redirects back",
    "cases:photo": "an applicant's photo (image file)",
    "cases:notifications-unread": "JSON count for the navigation badge",
    "cases:notifications-read": "POST from the notifications list, redirects back",
    "desk:register-check": "htmx fragment of the registration form",
    "desk:register-items": "htmx fragment of the registration form",
    "catalog-export": "Excel download",
    "catalog-import": "POST of the Excel page, redirects to the import job",
    "catalog-import-report": "Excel download of an import's report",
    "documents:scan-upload": "POST from the record page, redirects back",
    "documents:scan": "a scanned form (file)",
    "documents:archive-case": "POST from the case page, redirects to the export",
    "documents:archive-download": "archive download (file)",
    "supervision:ledger-download": "ledger download (file)",
    "assessment:finding-evidence": "evidence download (file)",
    "assessment:finding-withdraw": "POST from the findings list, redirects back",
    "feedback:complaint-route": "POST from the complaint page, redirects back",
    "feedback:complaint-conclude": "POST from the complaint page, redirects back",
    "feedback:rectification-evidence": "evidence download (file)",
    "notify:outbox-resend": "POST from the outbox, redirects back",
    "agent-reveal": "htmx fragment showing one unmasked field",
}

# The public portal's pages all point to the citizen chapter.
PORTAL_PREFIX = "public/"
PORTAL_CHAPTER = "citizen"


def chapter_slug(url_name: str, role: str | None) -> str | None:
    """The chapter explaining the screen `url_name` ("namespace:name") to a user of `role`."""
    target = HELP_LINKS.get(url_name)
    if target is None:
        return None
    if isinstance(target, str):
        return target
    return target.get(role or "", target[""])


def help_slug(*, route: str, url_name: str, role: str | None) -> str | None:
    """The chapter of the page at `route` (its URL pattern) named `url_name`, or None."""
    if route.startswith(PORTAL_PREFIX):
        return PORTAL_CHAPTER
    return chapter_slug(url_name, role)
