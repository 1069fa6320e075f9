"""A citizen complains and follows the complaint by its code; reports something that could not
be done and sees when the reply is due; switches the elder-friendly mode on and off."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bangban.feedback import services
from bangban.feedback.models import Complaint, Obstacle
from bangban.org.models import Role
from tests.factories import UserFactory, county_tree

# serialized_rollback keeps the seeded working-day calendar for the tests that run after.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _problems(page) -> list[str]:
    """Console errors (a CSP violation shows up there). A refused form (400) or an unknown
    code (404) is the page's answer, not a problem."""
    errors: list[str] = []

    def console(message) -> None:
        if message.type != "error" or "favicon" in message.location.get("url", ""):
            return
        if re.search(r"status of 40[04]", message.text):
            return
        errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _external(page, base: str) -> list[str]:
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith((base, "data:", "blob:", "about:"))
            else None
        ),
    )
    return outside


def test_a_complaint_is_submitted_and_tracked_by_its_code(live_server, page):
    tree = county_tree()
    village = tree["villages"][0]
    errors, outside = _problems(page), _external(page, live_server.url)

    page.goto(f"{live_server.url}/public/")
    page.get_by_test_id("nav-complaint").click()
    page.wait_for_url(f"{live_server.url}/public/complaints/new/")
    page.locator("#id_category").select_option("gifts")
    page.locator("#id_unit").select_option(str(village.pk))
    page.locator("#id_description").fill("代办员收了申请人送的两条烟。")
    page.locator("#id_contact_name").fill("周建华")
    # A mistake first: the phone is refused and everything typed stays.
    page.locator("#id_contact_phone").fill("1381234")
    page.get_by_test_id("ticket-form").locator("button[type=submit]").click()
    expect(page.locator("#id_contact_phone ~ [role=alert]")).to_be_visible()
    expect(page.locator("#id_description")).to_have_value("代办员收了申请人送的两条烟。")
    assert not Complaint.objects.exists()

    page.locator("#id_contact_phone").fill("13812345678")
    page.get_by_test_id("ticket-form").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/public/complaints/[2-9A-Z]{10}/$"))
    code = page.get_by_test_id("tracking-code").inner_text()
    complaint = Complaint.objects.get()
    assert code == complaint.code and complaint.unit == village
    expect(page.get_by_test_id("ticket-state")).to_have_text(complaint.get_state_display())
    expect(page.get_by_test_id("complaint-track")).not_to_contain_text("13812345678")

    # Later, the complainant comes back with the code written down (lower case, spaces).
    services.complaint_answer(
        actor=UserFactory(role=Role.CENTRE_ADMIN, unit=tree["county"]),
        complaint=complaint,
        answer="经查属实，已责令退还并给予通报批评。",
    )
    page.goto(f"{live_server.url}/public/complaints/new/")
    page.locator("#lookup-code").fill(f" {code[:5].lower()} {code[5:]} ")
    page.locator("#lookup-code").press("Enter")
    page.wait_for_url(f"{live_server.url}/public/complaints/{code}/")
    expect(page.get_by_test_id("ticket-answer")).to_have_text(
        "经查属实，已责令退还并给予通报批评。"
    )

    # A wrong code: the neutral "not found" page.
    response = page.goto(f"{live_server.url}/public/complaints/ABCDEFGH23/")
    assert response.status == 404
    assert errors == [] and outside == []


def test_the_cannot_get_it_done_channel_shows_when_the_reply_is_due(live_server, page):
    tree = county_tree()
    errors, outside = _problems(page), _external(page, live_server.url)
    page.goto(f"{live_server.url}/public/")
    page.get_by_test_id("nav-obstacle").click()
    page.wait_for_url(f"{live_server.url}/public/obstacles/new/")
    page.locator("#id_matter").fill("残疾人证换领")
    page.locator("#id_unit").select_option(str(tree["towns"][1].pk))
    page.locator("#id_description").fill("镇上说要去县里办，县里说要回镇上办。")
    page.locator("#id_contact_name").fill("孙桂芳")
    page.locator("#id_contact_phone").fill("0914-5321234")
    page.get_by_test_id("ticket-form").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/public/obstacles/[2-9A-Z]{10}/$"))

    obstacle = Obstacle.objects.get()
    due = services.reply_due(timezone.localdate(obstacle.created_at)).due_date
    assert obstacle.due_date == due
    expect(page.get_by_test_id("tracking-code")).to_have_text(obstacle.code)
    if due is not None:
        expect(page.get_by_test_id("ticket-due")).to_contain_text(due.isoformat())
    else:  # the calendar does not cover tomorrow yet: accepted all the same
        expect(page.get_by_test_id("ticket-due")).not_to_be_empty()

    # Staff see it with the same due date and reply; the citizen reads the reply.
    admin = UserFactory(role=Role.CENTRE_ADMIN, unit=tree["county"])
    services.obstacle_reply(actor=admin, obstacle=obstacle, answer="已协调镇上为您办理。")
    page.reload()
    expect(page.get_by_test_id("ticket-answer")).to_have_text("已协调镇上为您办理。")
    assert errors == [] and outside == []


def _font_size(page) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


def test_elder_mode_is_toggled_remembered_and_toggled_off(live_server, page):
    county_tree()
    errors, outside = _problems(page), _external(page, live_server.url)
    page.goto(f"{live_server.url}/public/items/")
    normal = _font_size(page)
    assert not page.evaluate("document.documentElement.classList.contains('elder')")

    # By keyboard: Tab to the switch, Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.testid") == "elder-button":
            break
    else:
        pytest.fail("the elder-mode switch cannot be reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/public/items/"
    expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    large = _font_size(page)
    assert large >= 20 and large > normal

    # Remembered on the next pages, public and the forms.
    for path in ("/public/roster/", "/public/obstacles/new/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
        assert _font_size(page) == large
    # The form's tap targets grow too.
    height = page.locator("#id_matter").bounding_box()["height"]
    assert height >= 48

    with page.expect_navigation():
        page.get_by_test_id("elder-button").click()
    assert page.url == f"{live_server.url}/public/obstacles/new/"
    expect(page.locator("html")).not_to_have_class(re.compile(r"\belder\b"))
    assert _font_size(page) == normal
    page.goto(f"{live_server.url}/public/roster/")
    assert _font_size(page) == normal
    assert errors == [] and outside == []
