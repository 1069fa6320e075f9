"""A citizen on a phone: finds an item from the portal's home page, applies with the SMS code,
sees the case on the tracking page, rates it through the link once staff delivered it; and
books a slot."""

import re

import pytest
from playwright.sync_api import expect

from bangban.cases import services
from bangban.cases.models import Booking, Case, Rating
from bangban.cases.tokens import rating_token
from tests.cases.factories import FORMS
from tests.portal.public_helpers import ID_NUMBER, PHONE, last_code, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "favicon" not in m.location.get("url", "")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    yield page
    context.close()


@pytest.fixture
def sms_file(settings, tmp_path):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    settings.BANGBAN_SMS_BACKEND = "file"
    settings.BANGBAN_SMS_FILE = str(tmp_path / "sms.jsonl")
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "sms.jsonl"


def _external(page, base: str) -> list[str]:
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None,
    )
    return outside


def _choose_and_verify(page, base: str, world, sms_file, start: str) -> None:
    page.goto(f"{base}/public/")
    page.get_by_test_id("home-actions").locator(f"a[href='/public/{start}/']").click()
    page.locator("#choose-q").fill("个体工商户")
    page.locator("#choose-q").press("Enter")
    page.get_by_test_id("item-choices").get_by_role("link", name=world["item"].name).click()
    expect(page.get_by_test_id("chosen-item")).to_have_text(world["item"].name)
    page.get_by_role("radio", name=re.compile(world["village"].name)).check()
    page.get_by_test_id("choose-form").locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/public/verify/")
    page.locator("#phone").fill(PHONE)
    page.get_by_test_id("phone-form").locator("button[type=submit]").click()
    code = page.locator("#code")
    expect(code).to_be_visible()
    code.fill(last_code(sms_file))
    page.get_by_test_id("code-form").locator("button[type=submit]").click()


def test_apply_track_and_rate_on_a_phone(live_server, phone, sms_file):
    world = make_world()
    base = live_server.url
    page = phone
    outside = _external(page, base)

    _choose_and_verify(page, base, world, sms_file, "apply")
    page.wait_for_url(f"{base}/public/apply/details/")
    page.locator("#applicant_name").fill("张秀英")
    page.locator("#id_number").fill(ID_NUMBER)
    page.locator("#address").fill("城关街道人民路1号")
    page.locator("#photos").set_input_files(
        files=[{"name": "户口簿.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.get_by_test_id("apply-form").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/public/apply/done/"))
    number = page.get_by_test_id("case-number").inner_text()
    case = Case.objects.get(number=number)
    assert case.photos.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Tracking, from the form, with the number and the phone.
    page.goto(f"{base}/public/track/")
    page.locator("#number").fill(number)
    page.locator("#phone").fill(PHONE)
    page.get_by_test_id("track-form").locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/public/track/{number}/")
    expect(page.get_by_test_id("case-number")).to_have_text(number)
    expect(page.get_by_test_id("applicant")).to_contain_text("张**")
    expect(page.get_by_test_id("timeline").locator("li")).to_have_count(1)
    page.screenshot(path="/tmp/portal-track.png", full_page=True)

    # Staff take it to delivered through the services.
    _deliver(case, world["agent"])
    page.reload()
    expect(page.get_by_test_id("timeline").locator("li")).not_to_have_count(1)

    case.refresh_from_db()
    page.goto(f"{base}/public/rate/{number}/?t={rating_token(case)}")
    page.locator("label[for=level-5]").click()
    page.locator("#comment").fill("服务很好")
    page.get_by_test_id("rate-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("rate-message")).to_be_visible()
    assert Rating.objects.get(case=case).level == 5
    assert page.errors == []
    # A second attempt is refused politely (with 409, which the console reports).
    page.goto(f"{base}/public/rate/{number}/?t={rating_token(case)}")
    expect(page.get_by_test_id("rate-message")).to_be_visible()
    assert outside == [] and all("409" in e for e in page.errors)


def test_book_a_slot_on_a_phone(live_server, phone, sms_file):
    world = make_world()
    base = live_server.url
    page = phone
    outside = _external(page, base)
    _choose_and_verify(page, base, world, sms_file, "book")
    page.wait_for_url(f"{base}/public/book/details/")
    first = page.get_by_test_id("slot-day").first
    first.locator("label.btn").first.click()
    page.locator("#applicant_name").fill("王大爷")
    page.get_by_test_id("book-form").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/public/book/done/"))
    code = page.get_by_test_id("booking-code").inner_text()
    booking = Booking.objects.get(code=code)
    assert booking.unit == world["village"] and booking.phone == PHONE
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="/tmp/portal-booked.png", full_page=True)
    assert outside == [] and page.errors == []


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _deliver(case: Case, agent) -> None:
    def fresh() -> Case:
        case.refresh_from_db()
        return case

    services.case_accept(actor=agent, case=fresh(), revision=fresh().revision)
    services.handover_record(
        actor=agent,
        case=fresh(),
        revision=fresh().revision,
        giver="applicant",
        receiver="agent",
        lines=FORMS,
        giver_signatory="张秀英",
        receiver_signatory="李帮办",
    )
    services.case_start(actor=agent, case=fresh(), revision=fresh().revision)
    for task in fresh().tasks.filter(decision=""):
        services.task_decide(
            actor=agent,
            case=fresh(),
            revision=fresh().revision,
            task=task,
            decision="approved",
            result="执照",
        )
    services.case_complete(actor=agent, case=fresh(), revision=fresh().revision, results="执照")
    services.case_deliver(
        actor=agent, case=fresh(), revision=fresh().revision, method="window", receiver="张秀英"
    )
