"""The reading check: the manual mentions what the platform does.

- Every case action (the workflow table's Action, each with its page at cases:act in the URL
  configuration) appears under its exact Chinese label in the chapter of every role that can
  take it: a point manager's actions (MANAGER_ACTIONS) in manager.md; the department's decision
  (DECIDE_TASK) also in liaison.md; the rest in agent.md and manager.md.
- Screenshots: every `img/<name>.png` a chapter shows is in screens.SCREENSHOTS (the browser
  test takes exactly those), and every name of SCREENSHOTS is shown somewhere (a stale name
  fails)."""

import re

import pytest
from django.urls import resolve, reverse
from django.utils import translation

from bangban.cases.services.common import MANAGER_ACTIONS
from bangban.cases.workflow import Action
from bangban.manual.chapters import BY_SLUG, CHAPTERS, QUICK_GUIDES
from bangban.manual.screens import SCREENSHOTS

IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")
SCREENSHOT = re.compile(r"img/([a-z0-9-]+)\.png")


def chapters_of(action: Action) -> tuple[str, ...]:
    if action in MANAGER_ACTIONS:
        return ("manager",)
    if action == Action.DECIDE_TASK:
        return ("agent", "manager", "liaison")
    return ("agent", "manager")


def plain(slug: str) -> str:
    """A chapter's text without Markdown's emphasis and code marks, which may wrap a label."""
    return re.sub(r"[*_`]", "", BY_SLUG[slug].source())


def chinese_label(action: Action) -> str:
    with translation.override("zh-hans"):
        return str(action.label)


def test_every_action_has_its_page_in_the_url_configuration():
    for action in Action:
        url = reverse("cases:act", kwargs={"pk": 1, "action": action.value})
        assert resolve(url).view_name == "cases:act"


def test_action_labels_are_translated():
    with translation.override("en"):
        english = {a: str(a.label) for a in Action}
    untranslated = [a.value for a in Action if chinese_label(a) == english[a]]
    assert not untranslated, f"no Chinese label: {untranslated}"


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_every_action_is_explained_to_every_role_that_takes_it(action):
    label = chinese_label(action)
    # A label inside a longer one does not count (受理 in 容缺受理, 不予受理).
    longer = [chinese_label(a) for a in Action if label in chinese_label(a) != label]

    def mentions(slug: str) -> bool:
        text = plain(slug)
        for other in longer:
            text = text.replace(other, "")
        return label in text

    missing = [slug for slug in chapters_of(action) if not mentions(slug)]
    assert not missing, (
        f"The action {action.value} ({label}) is not mentioned, under that exact label, in the "
        f"chapter(s): {', '.join(BY_SLUG[s].path for s in missing)}"
    )


def _images():
    for chapter in CHAPTERS + QUICK_GUIDES:
        for src in IMAGE.findall(chapter.source()):
            yield chapter, src


def test_every_image_of_the_manual_is_a_known_screenshot():
    wrong = [
        f"{chapter.path}: {src}"
        for chapter, src in _images()
        if not (SCREENSHOT.fullmatch(src) and SCREENSHOT.fullmatch(src)[1] in SCREENSHOTS)
    ]
    assert not wrong, (
        "Images that are not screenshots of the list (bangban/manual/screens.py): "
        + "; ".join(wrong)
    )


def test_every_screenshot_is_shown_by_some_chapter():
    used = {SCREENSHOT.fullmatch(src)[1] for _, src in _images() if SCREENSHOT.fullmatch(src)}
    stale = [name for name in SCREENSHOTS if name not in used]
    assert not stale, f"Screenshots no chapter shows (stale): {stale}"
