"""A citizen finds the guide of an item by everyday words, on a desktop and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from bangban.catalog.demo import load_catalog
from bangban.catalog.models import Item
from bangban.org.demo_data import DEPARTMENTS
from bangban.org.models import Level
from tests.factories import UnitFactory, county_tree

# serialized_rollback keeps the seeded working-day calendar for the tests that run after.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FOOD = "食品(含保健食品)经营许可核发"


def _demo_catalog() -> dict:
    """The catalog tests' demo catalogue: the two-town test county, every demo department,
    and the real 156 items loaded onto them."""
    tree = county_tree()
    for key, name in DEPARTMENTS:
        if name != tree["dept"].name:  # the test county already has its 县市场监督管理局
            UnitFactory(name=name, code=f"C-{key}", level=Level.DEPARTMENT, parent=tree["county"])
    load_catalog()
    return tree


def _problems(page) -> list[str]:
    """Console errors (a CSP violation shows up there) collected while the page is used."""
    errors: list[str] = []

    def console(message) -> None:
        # The site has no favicon yet (not this page's concern).
        if message.type == "error" and "favicon" not in message.location.get("url", ""):
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_search_in_everyday_words_leads_to_the_guide(live_server, page):
    _demo_catalog()
    food = Item.objects.get(name=FOOD)
    materials = food.materials.count()
    errors = _problems(page)

    page.goto(f"{live_server.url}/public/items/")
    box = page.get_by_role("searchbox")
    box.fill("开饭店")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r"/public/items/\?q="))
    results = page.get_by_test_id("search-results")
    expect(results.get_by_role("link").first).to_contain_text(FOOD)
    results.get_by_role("link", name=re.compile(re.escape(FOOD))).first.click()
    page.wait_for_url(f"{live_server.url}/public/items/{food.pk}/")

    expect(page.get_by_test_id("guide-title")).to_have_text(FOOD)
    rows = page.get_by_test_id("guide-materials").locator("tbody tr")
    expect(rows).to_have_count(materials)
    expect(rows.first).to_contain_text("食品经营许可证")
    expect(page.get_by_test_id("guide-elements").locator("tr")).to_have_count(18)
    qr = page.get_by_test_id("guide-qr").locator("svg")
    expect(qr).to_be_visible()
    box_size = qr.bounding_box()
    assert box_size and box_size["width"] >= 100 and box_size["width"] == box_size["height"]
    expect(page.get_by_test_id("guide-url")).to_have_text(
        f"{live_server.url}/public/items/{food.pk}/"
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path="/tmp/guide.png", full_page=True)

    # The print layout: no navigation, one A4 column.
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("guide-print")).to_be_hidden()
    page.screenshot(path="/tmp/guide-print.png", full_page=True)
    page.emulate_media(media="screen")

    # The "print" link renders the same page without the site's navigation.
    page.get_by_test_id("guide-print").click()
    page.wait_for_url(re.compile(r"\?print=1$"))
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("guide-materials").locator("tbody tr")).to_have_count(materials)
    assert errors == []


def test_the_guide_reads_well_on_a_phone(live_server, browser):
    _demo_catalog()
    food = Item.objects.get(name=FOOD)
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    errors = _problems(page)
    try:
        page.goto(f"{live_server.url}/public/items/")
        # The departments are folded; a tap opens one.
        group = page.locator("details.dept-group").first
        group.locator("summary").click()
        expect(group.get_by_role("link").first).to_be_visible()

        page.goto(f"{live_server.url}/public/items/{food.pk}/")
        table = page.get_by_test_id("guide-materials")
        expect(table.locator("tbody tr")).to_have_count(food.materials.count())
        # No sideways scrolling on a phone: the page is no wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        # Each material is a card whose cells name their column.
        expect(table.locator("thead")).to_be_hidden()
        expect(page.get_by_test_id("guide-qr").locator("svg")).to_be_visible()
        page.screenshot(path="/tmp/guide-mobile.png", full_page=True)
        assert errors == []
    finally:
        context.close()
