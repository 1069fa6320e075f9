"""The screenshots the manual may show: the browser test (tests/e2e/test_manual_screenshots.py)
takes exactly these, on the demo county, into `image_dir()`; a chapter names them as
`img/<name>.png`. A name that is not here is neither served nor built (tests/manual checks
that the list, the chapters and the browser test agree)."""

from pathlib import Path

from django.conf import settings

SCREENSHOTS: tuple[str, ...] = (
    "login",
    "agent-workbench",
    "registration",
    "registration-check",
    "act-issue-notice",
    "case-detail",
    "act-sign-agreement",
    "act-record-handover",
    "act-submit-task",
    "act-complete",
    "act-deliver",
    "act-archive",
    "back-entry",
    "liaison-workbench",
    "act-decide-task",
    "manager-workbench",
    "act-assign",
    "overdue-board",
    "act-transfer",
    "act-escalate",
    "catalog-excel",
    "roster",
    "calendar-admin",
    "rectifications",
    "complaints",
    "callbacks",
    "assessment",
    "dashboard",
    "monthly-reports",
    "portal-home",
    "portal-guide",
    "portal-apply",
    "portal-booking",
    "portal-track",
    "portal-rate",
    "portal-complaint",
)


def image_dir() -> Path:
    """Where the screenshots are: generated, so under the var dir, never in the source tree.
    Read at call time, so that a test may point VAR_DIR elsewhere."""
    return Path(settings.VAR_DIR) / "manual" / "img"


def image_path(name: str) -> Path | None:
    """The file of a screenshot, or None when the name is unknown or not taken yet."""
    if name not in SCREENSHOTS:
        return None
    path = image_dir() / f"{name}.png"
    return path if path.is_file() else None
