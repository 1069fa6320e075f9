"""Every screenshot of the user manual, taken on the demo county at the step it illustrates.

One test (the demo county loads once, in about ten seconds): the village agent registers a
proxy case at the window and takes it through the notice, the agreement, the handover and the
department; the department's liaison records the decision; the agent completes, delivers and
archives it; the town's point manager dispatches, transfers and escalates; the citizen uses
the portal on a phone; the centre's administrator opens the administration pages. Each
picture is taken once the page shows what it should, so a broken screen fails here instead
of landing in the manual. The run writes every name of SCREENSHOTS (a missing one fails) and
a manifest of their hashes; no request leaves the test server."""

import io
import json
import re
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from bangban.cases import services
from bangban.cases.models import Case, Task
from bangban.cases.tokens import rating_token
from bangban.cases.workflow import Action, State
from bangban.catalog.models import Item
from bangban.core.models import CalendarDay
from bangban.feedback.followup import callback_sample_draw
from bangban.manual.screens import SCREENSHOTS, image_dir
from bangban.org.demo import DEMO_PASSWORD
from bangban.org.models import Level, Role, Unit, User
from tests.e2e.manual_steps import (
    Shooter,
    context,
    log_in,
    log_out,
    open_action,
    step,
    submit_action,
    zh,
)
from tests.factories import TEST_PASSWORD, UserFactory
from tests.portal.public_helpers import last_code

# serialized_rollback keeps the seeded working-day calendar for the tests that run after.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AGENT, MANAGER, CENTRE = "village01-agent", "town01-manager", "centre"
ITEM = "城乡居民基本养老保险参保登记"
APPLICANT = "赵桂兰"
ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"
CASE_PAGE = re.compile(r"/cases/(\d+)/$")


def label(action: str) -> str:
    return zh(Action(action).label)


@pytest.fixture
def sms_file(settings, tmp_path):
    """SMS codes go to a file at once; uploads to a temporary media directory."""
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


def test_every_manual_screenshot_on_the_demo_county(live_server, browser, sms_file):
    call_command("demo", seed=1, stdout=io.StringIO())
    base = live_server.url
    shoot = Shooter(image_dir(), SCREENSHOTS)
    # A manifest is only ever that of a complete run.
    (image_dir() / "manifest.json").unlink(missing_ok=True)
    started = time.time()
    outside: list[str] = []

    staff = context(browser, base, phone=False, outside=outside)
    page = staff.new_page()
    case_url = _agent_registers(page, base, shoot)
    case = Case.objects.get(pk=int(CASE_PAGE.search(case_url).group(1)))
    _agent_works(page, base, shoot, case, case_url)
    _liaison_decides(page, base, shoot, case)
    _agent_closes(page, base, shoot, case, case_url)
    _manager(page, base, shoot)
    staff.close()

    phone = context(browser, base, phone=True, outside=outside)
    _portal(phone.new_page(), base, shoot, case, sms_file)
    phone.close()

    staff = context(browser, base, phone=False, outside=outside)
    _centre(staff.new_page(), base, shoot)
    staff.close()

    assert outside == []
    missing = [name for name in SCREENSHOTS if name not in shoot.taken]
    assert not missing, f"screenshots not taken: {missing}"
    stale = [n for n in SCREENSHOTS if (image_dir() / f"{n}.png").stat().st_mtime < started - 1]
    assert not stale, f"screenshots not rewritten by this run: {stale}"
    manifest = {name: shoot.taken[name] for name in SCREENSHOTS}
    (image_dir() / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


# The village agent at the window -------------------------------------------------------------


def _agent_registers(page, base: str, shoot) -> str:
    page.goto(f"{base}/login/")
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(AGENT)
    shoot(page, "login")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")

    page.get_by_test_id("nav-workbench").click()
    page.wait_for_url(f"{base}/cases/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Workbench"))
    expect(page.get_by_test_id("queues")).to_be_visible()
    shoot(page, "agent-workbench")

    page.goto(f"{base}/cases/register/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(zh("Register a case"))
    form = page.get_by_test_id("registration-form")
    form.get_by_label("申请人姓名").fill(APPLICANT)
    form.get_by_label("身份证号").press_sequentially(ID_NUMBER)
    expect(page.locator("#id_number-check")).to_contain_text("1949-12-31")
    search = form.get_by_role("combobox", name=re.compile("事项"))
    search.press_sequentially("养老保险")
    option = page.get_by_role("option", name=re.compile(ITEM))
    expect(option).to_be_visible()
    shoot(page, "registration")

    option.click()
    expect(form.get_by_test_id("picked-items")).to_contain_text(ITEM)
    form.get_by_label("联系电话").press_sequentially(PHONE)
    expect(page.locator("#phone-check")).to_contain_text("电话号码有效")
    form.get_by_label("地址").fill("城关街道阳光社区幸福路8号")
    form.get_by_role("radio", name="代办", exact=True).check()
    form.get_by_role("radio", name="全程代办", exact=True).check()
    form.get_by_label("受理渠道").select_option("window")
    form.get_by_label("服务类别").select_option("personal")
    # The check before registering: every field answered, the checks shown at the fields.
    expect(page.locator("#id_number-check [data-valid=true]")).to_be_visible()
    expect(form.get_by_test_id("picked-items")).to_contain_text(ITEM)
    shoot(page, "registration-check")
    form.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url(CASE_PAGE)
    expect(page.get_by_test_id("case-state")).to_have_text("已登记")
    return page.url


def _agent_works(page, base: str, shoot, case: Case, case_url: str) -> None:
    agent = User.objects.get(username=AGENT)
    today = timezone.localdate()

    open_action(page, case_url, "issue_notice", label("issue_notice"))
    page.get_by_label("补正期限").fill(f"{today + timedelta(days=5):%Y-%m-%d}")
    row = page.get_by_test_id("row").first
    row.get_by_label("所缺材料").fill("户口簿复印件")
    row.get_by_label("获取方式").fill("携户口簿原件到社区便民服务站复印")
    shoot(page, "act-issue-notice")
    submit_action(page, label("issue_notice"), case_url)

    step(services.supplement_receive, case, agent)
    step(services.case_accept, case, agent)

    open_action(page, case_url, "sign_agreement", label("sign_agreement"))
    page.get_by_label("委托方签字人").fill(APPLICANT)
    shoot(page, "act-sign-agreement")
    submit_action(page, label("sign_agreement"), case_url)

    open_action(page, case_url, "record_handover", label("record_handover"))
    page.get_by_label("移交方").select_option("applicant")
    page.get_by_label("接收方").select_option("agent")
    rows = page.get_by_test_id("row")
    for n, (material, copies) in enumerate([("户口簿复印件", "1"), ("居民身份证复印件", "2")]):
        rows.nth(n).get_by_label("材料").fill(material)
        rows.nth(n).get_by_label("份数").fill(copies)
    page.get_by_label("移交人签字").fill(APPLICANT)
    page.get_by_label("接收人签字").fill(agent.full_name)
    shoot(page, "act-record-handover")
    submit_action(page, label("record_handover"), case_url)

    expect(page.get_by_test_id("actions")).to_be_visible()
    expect(page.get_by_test_id("documents")).to_contain_text("代办服务委托书")
    shoot(page, "case-detail")

    step(services.case_start, case, agent)
    task = case.tasks.get()
    open_action(page, case_url, "submit_task", label("submit_task"), f"?task={task.pk}")
    expect(page.get_by_label("部门审批任务")).to_have_value(str(task.pk))
    shoot(page, "act-submit-task")
    submit_action(page, label("submit_task"), case_url)
    log_out(page, base)


# The department's liaison --------------------------------------------------------------------


def _liaison_decides(page, base: str, shoot, case: Case) -> None:
    task = Task.objects.select_related("department").get(case=case)
    UserFactory(username="liaison-rs", full_name="孙丽", role=Role.LIAISON, unit=task.department)
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill("liaison-rs")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/cases/?queue=tasks")
    row = page.get_by_test_id("task-list").locator("tbody tr").filter(has_text=case.number)
    expect(row).to_have_count(1)
    shoot(page, "liaison-workbench")

    row.get_by_test_id("decide").click()
    page.wait_for_url(re.compile(r"/act/decide_task/\?task=\d+"))
    page.get_by_label("审批决定").select_option("approved")
    page.get_by_label("审批结果文书").fill("城乡居民基本养老保险参保登记回执")
    shoot(page, "act-decide-task")
    submit_action(page, label("decide_task"), f"{base}/cases/{case.pk}/")
    log_out(page, base)


# The agent closes the case -------------------------------------------------------------------


def _agent_closes(page, base: str, shoot, case: Case, case_url: str) -> None:
    log_in(page, base, AGENT, DEMO_PASSWORD)
    agent = User.objects.get(username=AGENT)

    open_action(page, case_url, "complete", label("complete"))
    page.get_by_label("办理结果").fill("已办理城乡居民基本养老保险参保登记，取得参保登记回执")
    shoot(page, "act-complete")
    submit_action(page, label("complete"), case_url)

    open_action(page, case_url, "deliver", label("deliver"))
    page.get_by_label("送达方式").select_option("window")
    page.get_by_label("签收人").fill(APPLICANT)
    shoot(page, "act-deliver")
    submit_action(page, label("deliver"), case_url)

    step(services.rating_record, case, agent, level=5, comment="代办员热情周到，跑一次就办好了")
    open_action(page, case_url, "archive", label("archive"))
    expect(page.get_by_test_id("archive-complete")).to_be_visible()
    shoot(page, "act-archive")
    submit_action(page, label("archive"), case_url)
    expect(page.get_by_test_id("case-state")).to_have_text("已归档")

    # 补录: a case of the point registered on paper, accepted on paper yesterday afternoon.
    paper = Case.objects.filter(unit=agent.unit, state=State.REGISTERED).first()
    assert paper is not None
    paper_url = f"{base}/cases/{paper.pk}/"
    open_action(page, paper_url, "accept", label("accept"))
    back_entry = page.get_by_test_id("back-entry-fields")
    back_entry.locator("summary").click()
    yesterday = timezone.localdate() - timedelta(days=1)
    back_entry.get_by_label(zh("When it happened")).fill(f"{yesterday:%Y-%m-%d}T15:30")
    back_entry.get_by_label(zh("Why it is entered after the fact")).fill(
        "系统停机，当时按纸质登记簿受理，恢复后补录"
    )
    shoot(page, "back-entry")
    log_out(page, base)


# The town's point manager ----------------------------------------------------------------------


def _manager(page, base: str, shoot) -> None:
    log_in(page, base, MANAGER, DEMO_PASSWORD)
    manager = User.objects.get(username=MANAGER)
    page.goto(f"{base}/cases/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Workbench"))
    expect(page.get_by_test_id("queues")).to_be_visible()
    shoot(page, "manager-workbench")

    town_cases = Case.objects.filter(unit=manager.unit).order_by("pk")
    open_case = town_cases.filter(state__in=[State.REGISTERED, State.ACCEPTED]).first()
    assert open_case is not None
    url = f"{base}/cases/{open_case.pk}/"
    open_action(page, url, "assign", label("assign"))
    page.get_by_label(zh("Agent")).select_option(index=1)
    shoot(page, "act-assign")

    page.get_by_test_id("nav-overdue").click()
    page.wait_for_url(f"{base}/supervision/overdue/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Overdue board"))
    shoot(page, "overdue-board")

    open_action(page, url, "transfer", label("transfer"))
    village = Unit.objects.filter(parent=manager.unit, level=Level.VILLAGE).order_by("code")[1]
    page.get_by_label(zh("Transfer to")).select_option(str(village.pk))
    page.get_by_label(zh("Reason", "case action")).fill("申请人户籍在该村，由村便民服务站就近代办")
    shoot(page, "act-transfer")

    open_action(page, url, "escalate", label("escalate"))
    page.get_by_label(zh("Reason", "case action")).fill(
        "需县人社局、县医保局联合办理，提请县政务服务中心协调"
    )
    shoot(page, "act-escalate")
    log_out(page, base)


# The citizen on a phone ------------------------------------------------------------------------


def _portal(page, base: str, shoot, case: Case, sms_file) -> None:
    item = Item.objects.get(name=ITEM)
    page.goto(f"{base}/public/")
    expect(page.get_by_test_id("home-actions")).to_be_visible()
    shoot(page, "portal-home")

    page.goto(f"{base}/public/items/{item.pk}/")
    expect(page.get_by_test_id("guide-title")).to_have_text(ITEM)
    shoot(page, "portal-guide")

    # Apply: choose the item and the point, the SMS code, then the details.
    page.goto(f"{base}/public/apply/")
    page.locator("#choose-q").fill("养老保险")
    page.locator("#choose-q").press("Enter")
    page.get_by_test_id("item-choices").get_by_role("link", name=ITEM).click()
    expect(page.get_by_test_id("chosen-item")).to_have_text(ITEM)
    page.get_by_role("radio", name=re.compile(case.unit.name)).check()
    page.get_by_test_id("choose-form").locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/public/verify/")
    page.locator("#phone").fill(PHONE)
    page.get_by_test_id("phone-form").locator("button[type=submit]").click()
    expect(page.locator("#code")).to_be_visible()
    page.locator("#code").fill(last_code(sms_file, PHONE))
    page.get_by_test_id("code-form").locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/public/apply/details/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Apply online"))
    page.locator("#applicant_name").fill(APPLICANT)
    page.locator("#id_number").fill(ID_NUMBER)
    page.locator("#address").fill("城关街道阳光社区幸福路8号")
    shoot(page, "portal-apply")

    page.goto(f"{base}/public/book/")
    page.locator("#choose-q").fill("养老保险")
    page.locator("#choose-q").press("Enter")
    page.get_by_test_id("item-choices").get_by_role("link", name=ITEM).click()
    page.get_by_role("radio", name=re.compile(case.unit.name)).check()
    page.get_by_test_id("choose-form").locator("button[type=submit]").click()
    if "/verify/" in page.url:  # (the phone checked for applying may have to be again)
        page.locator("#phone").fill(PHONE)
        page.get_by_test_id("phone-form").locator("button[type=submit]").click()
        page.locator("#code").fill(last_code(sms_file, PHONE))
        page.get_by_test_id("code-form").locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/public/book/details/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Book a visit"))
    page.get_by_test_id("slot-day").first.locator("label.btn").first.click()
    page.locator("#applicant_name").fill(APPLICANT)
    shoot(page, "portal-booking")

    page.goto(f"{base}/public/track/")
    page.locator("#number").fill(case.number)
    page.locator("#phone").fill(PHONE)
    page.get_by_test_id("track-form").locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/public/track/{case.number}/")
    expect(page.get_by_test_id("case-number")).to_have_text(case.number)
    shoot(page, "portal-track")

    # A delivered demo case not rated yet: its rating link, as on the evaluation form.
    delivered = Case.objects.filter(state=State.DELIVERED, rating__isnull=True).first()
    assert delivered is not None
    page.goto(f"{base}/public/rate/{delivered.number}/?t={rating_token(delivered)}")
    form = page.get_by_test_id("rate-form")
    expect(form).to_be_visible()
    page.locator("label[for=level-5]").click()
    page.locator("#comment").fill("代办员服务热情，一次就办好了")
    shoot(page, "portal-rate")

    page.goto(f"{base}/public/complaints/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Make a complaint"))
    ticket = page.get_by_test_id("ticket-form")
    ticket.get_by_label(zh("What is the complaint about")).select_option(index=1)
    ticket.get_by_label(zh("Service point or department concerned (optional)")).select_option(
        str(case.unit_id)
    )
    ticket.get_by_label(zh("What happened")).fill(
        "工作日上午到社区便民服务站办事，窗口无人值守，打电话也没人接。"
    )
    ticket.get_by_label(zh("Your name")).fill("周建国")
    ticket.get_by_label(zh("Your phone number")).fill("13812345678")
    shoot(page, "portal-complaint")
    ticket.get_by_role("button", name=zh("Submit")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Your complaint"))


# The centre's administrator --------------------------------------------------------------------


def _centre(page, base: str, shoot) -> None:
    centre = User.objects.get(username=CENTRE)
    # A bad rating opens a rectification; the month's callback sample is drawn.
    rated = Case.objects.filter(state=State.DELIVERED, rating__isnull=True).first()
    agent = User.objects.filter(unit=rated.unit, role__in=[Role.AGENT, Role.MANAGER]).first()
    step(
        services.rating_record,
        rated,
        agent or centre,
        level=2,
        comment="等了很久才办好，也没人告诉进度",
    )
    finished = Case.objects.filter(completed_on__isnull=False).order_by("-completed_on").first()
    callback_sample_draw(
        actor=centre, unit=finished.unit, month=finished.completed_on.replace(day=1), seed=1
    )

    log_in(page, base, CENTRE, DEMO_PASSWORD)
    pages = [
        ("catalog-excel", "/catalog/excel/", "Catalog in Excel"),
        ("roster", "/agents/", "Agents"),
        ("rectifications", "/feedback/rectifications/", "Rectification of bad ratings"),
        ("complaints", "/feedback/", "Complaints and “cannot get it done” tickets"),
        ("callbacks", "/feedback/callbacks/", "Callback samples"),
        ("monthly-reports", "/supervision/monthly/", "Monthly statistical reports"),
    ]
    for name, path, heading in pages:
        page.goto(f"{base}{path}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(zh(heading))
        shoot(page, name)

    page.goto(f"{base}/assessment/")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"\d{4}年度帮办代办考核"))
    # The drafts computed from the year's records: a ranking to show.
    page.get_by_test_id("compute").click()
    expect(page.get_by_test_id("ranking-pdf")).to_be_visible()
    expect(page.get_by_test_id("ranking").locator("tbody tr").first).not_to_contain_text(
        zh("Not computed yet.")
    )
    shoot(page, "assessment")

    page.get_by_test_id("nav-dashboard").click()
    page.wait_for_url(f"{base}/supervision/dashboard/")
    for chart in ("chart-on-time", "chart-good", "chart-months"):
        expect(page.locator(f"#{chart} canvas").first).to_be_visible()
    page.wait_for_timeout(1200)  # the charts' entry animation
    shoot(page, "dashboard")

    # The working-day calendar of the latest year entered (the holidays and the swapped days).
    latest = CalendarDay.objects.latest("date").date.year
    page.goto(f"{base}/admin/core/calendarday/?year={latest}")
    expect(page.locator("#changelist")).to_be_visible()
    shoot(page, "calendar-admin")
