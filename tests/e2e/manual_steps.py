"""Helpers of the manual's screenshot test (tests/e2e/test_manual_screenshots.py): browser
contexts that cannot reach beyond the test server, the Chinese of a message id, moving a case
through the services, and taking one named screenshot."""

import hashlib
import re
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import expect

from bangban.cases.models import Case
from tests.e2e.conftest import TIMEOUT_MS

STAFF_VIEWPORT = {"width": 1280, "height": 800}
PHONE_VIEWPORT = {"width": 390, "height": 844}
# The tallest image: staff pages at 1× and phone pages at 2×, so both stay ≤ 2500 px.
MAX_CSS_HEIGHT = {1: 2500, 2: 1250}


def zh(msgid: str, context: str = "") -> str:
    """The Chinese the platform shows for an English message id."""
    with translation.override("zh-hans"):
        return pgettext(context, msgid) if context else gettext(msgid)


class Shooter:
    """Writes the named screenshots into the manual's image directory, remembering each one
    written in this run with its hash."""

    def __init__(self, directory: Path, names: tuple[str, ...]):
        self.directory, self.names = directory, names
        self.taken: dict[str, str] = {}
        directory.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, name: str) -> None:
        assert name in self.names, f"{name} is not a screenshot of the manual"
        assert name not in self.taken, f"{name} taken twice"
        # The web fonts and the pictures in place before the picture is taken.
        page.evaluate("document.fonts.ready.then(() => true)")
        scale = 2 if page.viewport_size["width"] < 600 else 1
        height = page.evaluate("document.documentElement.scrollHeight")
        width = page.viewport_size["width"]
        path = self.directory / f"{name}.png"
        clip = {"x": 0, "y": 0, "width": width, "height": min(height, MAX_CSS_HEIGHT[scale])}
        page.screenshot(path=str(path), full_page=True, clip=clip, animations="disabled")
        self.taken[name] = hashlib.sha256(path.read_bytes()).hexdigest()


def context(browser, base: str, *, phone: bool, outside: list[str]):
    """A browser context at the manual's viewport; any request that would leave the test
    server is stopped and noted in `outside`."""
    options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
    if phone:
        options.update(
            viewport=PHONE_VIEWPORT, device_scale_factor=2, is_mobile=True, has_touch=True
        )
    else:
        options.update(viewport=STAFF_VIEWPORT, device_scale_factor=1)
    ctx = browser.new_context(**options)
    ctx.set_default_timeout(TIMEOUT_MS)

    def route(r) -> None:
        url = r.request.url
        if url.startswith((base, "data:", "blob:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    ctx.route("**/*", route)
    return ctx


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def log_out(page, base: str) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{base}/login/")


def step(service, case: Case, actor, **kwargs) -> Case:
    """One action through the service, on the case as it is now."""
    case.refresh_from_db()
    service(actor=actor, case=case, revision=case.revision, **kwargs)
    case.refresh_from_db()
    return case


def open_action(page, case_url: str, action: str, label: str, query: str = "") -> None:
    """An action's page of the case, checked to be that page (not an error page)."""
    page.goto(f"{case_url}act/{action}/{query}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)
    expect(page.get_by_test_id("action-form")).to_be_visible()


def submit_action(page, label: str, case_url: str) -> None:
    page.get_by_test_id("action-form").get_by_role("button", name=label, exact=True).click()
    page.wait_for_url(re.compile(re.escape(case_url) + r"(\?after=\w+)?$"))
    expect(page.get_by_text(f"已办理：{label}。")).to_be_visible()
