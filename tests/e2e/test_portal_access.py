"""Accessibility check (axe-core, from npm) of the main pages: no violation of impact "serious"
or "critical". Keyboard reach and labels are also checked by axe's rules (names of controls,
landmarks, contrast).

axe is injected into each page as a script. The site's Content-Security-Policy rightly forbids
that, so this test alone uses a browser context that bypasses the CSP; axe.min.js is read from
node_modules (installed by `make assets` from package.json) and is never served to users."""

import json
from pathlib import Path

import pytest

from bangban.feedback import services as feedback_services
from bangban.org.models import Role, User
from tests.cases.factories import case_in_state
from tests.e2e.conftest import TIMEOUT_MS
from tests.factories import TEST_PASSWORD, county_tree

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = frozenset({"serious", "critical"})


@pytest.fixture
def axe_page(browser):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make assets` (npm ci installs axe-core)")
    context = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai", bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def _violations(page, impacts=BLOCKING) -> list[dict]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => ({target: n.target, summary: n.failureSummary}))
            }));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def _check(page, url: str, report: dict) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, url
    found = _violations(page)
    if found:
        report[url] = found


def test_the_main_pages_have_no_serious_accessibility_violations(live_server, axe_page):
    tree = county_tree()
    case = case_in_state("registered")
    item = case.items.first().item
    complaint = feedback_services.complaint_submit(
        category="delay",
        description="等了一个月没有消息。",
        contact_name="吴大妈",
        contact_phone="13812345678",
        unit=tree["villages"][0],
    )
    obstacle = feedback_services.obstacle_submit(
        matter="医保报销",
        description="窗口说系统维护，让改天再来。",
        contact_name="吴大妈",
        contact_phone="13812345678",
    )
    base = live_server.url
    public = [
        "/public/",
        "/public/items/",
        "/public/items/?q=测试",
        f"/public/items/{item.pk}/",
        "/public/roster/",
        f"/public/roster/{tree['villages'][0].code}/",
        "/public/complaints/new/",
        f"/public/complaints/{complaint.code}/",
        "/public/obstacles/new/",
        f"/public/obstacles/{obstacle.code}/",
        "/login/",
    ]
    report: dict[str, list] = {}
    page = axe_page
    for path in public:
        _check(page, base + path, report)

    # The same public pages in the elder-friendly mode (its own colours).
    page.context.add_cookies([{"name": "bangban_elder", "value": "1", "url": base}])
    for path in (
        "/public/items/",
        "/public/complaints/new/",
        f"/public/obstacles/{obstacle.code}/",
    ):
        _check(page, base + path, report)
    page.context.clear_cookies()

    # Staff: the agent of the case's point, then the centre administrator.
    agent = User.objects.get(role=Role.AGENT, unit=case.unit)
    admin = User.objects.create_user(
        username="centre-admin", password=TEST_PASSWORD, role=Role.CENTRE_ADMIN, unit=tree["county"]
    )
    for user, paths in (
        (agent, ["/", "/cases/", f"/cases/{case.pk}/"]),
        (
            admin,
            [
                "/feedback/",
                "/feedback/?kind=obstacles",
                f"/feedback/complaints/{complaint.pk}/",
                f"/feedback/obstacles/{obstacle.pk}/",
            ],
        ),
    ):
        page.context.clear_cookies()
        page.goto(f"{base}/login/")
        page.locator("#id_username").fill(user.username)
        page.locator("#id_password").fill(TEST_PASSWORD)
        with page.expect_navigation():
            page.locator("#id_password").press("Enter")
        assert "/login/" not in page.url, f"{user.username} could not sign in"
        for path in paths:
            _check(page, base + path, report)

    assert report == {}, json.dumps(report, ensure_ascii=False, indent=1)[:20000]


def test_the_check_itself_finds_a_serious_violation(axe_page):
    """The harness is not vacuous: an unlabelled field and pale text are reported."""
    axe_page.set_content(
        '<!doctype html><html lang="zh-hans"><head><title>t</title></head><body><main>'
        '<h1>表单</h1><input type="text"><p style="color:#bbb">浅灰色文字</p></main></body></html>'
    )
    found = {v["id"] for v in _violations(axe_page)}
    assert {"label", "color-contrast"} <= found
