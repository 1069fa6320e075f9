"""Cases through the workbench pages only: a proxy case from the registration desk to the
archive (the agent, the department's liaison, the agent again), and an assist case refused
with its reason. The set-up data is made in Python; every step of a case is a click."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bangban.cases import workflow
from bangban.cases.workflow import State
from bangban.org.models import Role
from tests.cases.factories import item_of
from tests.factories import TEST_PASSWORD, AgentFactory, UserFactory, county_tree

# serialized_rollback keeps the seeded working-day calendar for the tests that run after.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ITEM = "食品经营许可"
APPLICANT = "张秀英"
ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"
MATERIAL = "营业执照申请书"
CASE_PAGE = re.compile(r"/cases/(\d+)/$")


def _world() -> dict:
    """A county, its 县市场监督管理局 deciding one item, a village agent (a user with an agent
    record) and the department's liaison."""
    tree = county_tree()
    village = tree["villages"][0]
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    item_of(tree["dept"], actor=admin, name=ITEM, limit_days=5)
    agent = UserFactory(unit=village, role=Role.AGENT, username="li-agent", full_name="李帮办")
    AgentFactory(unit=village, user=agent, name="李帮办")
    liaison = UserFactory(
        unit=tree["dept"], role=Role.LIAISON, username="dept-liaison", full_name="王联络"
    )
    return {**tree, "agent": agent, "liaison": liaison}


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


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def _log_out(page, base: str) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{base}/login/")


def _register(page, base: str, *, kind: str) -> str:
    """Fill the registration page for a person, pick the item from the search with the
    keyboard, and register; returns the case page's address."""
    page.goto(f"{base}/cases/register/")
    form = page.get_by_test_id("registration-form")
    form.get_by_label("申请人姓名").fill(APPLICANT)
    id_number = form.get_by_label("身份证号")
    id_number.press_sequentially(ID_NUMBER)
    # Checked as typed: valid, with the birth date it carries.
    expect(page.locator("#id_number-check")).to_contain_text("1949-12-31")
    form.get_by_label("联系电话").press_sequentially(PHONE)
    expect(page.locator("#phone-check")).to_contain_text("电话号码有效")
    form.get_by_label("地址").fill("城关街道人民路1号")

    search = form.get_by_role("combobox", name=re.compile("事项"))
    search.press_sequentially("食品经营")
    option = page.get_by_role("option", name=re.compile(ITEM))
    expect(option).to_have_attribute("aria-selected", "true")
    search.press("Enter")
    expect(form.get_by_test_id("picked-items")).to_contain_text(ITEM)
    expect(search).to_have_value("")

    form.get_by_role("radio", name=kind, exact=True).check()
    if kind == "代办":
        scope = form.get_by_role("radio", name="全程代办", exact=True)
        expect(scope).to_be_visible()
        scope.check()
    form.get_by_label("受理渠道").select_option("window")
    form.get_by_label("服务类别").select_option("personal")
    form.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url(CASE_PAGE)
    expect(page.get_by_text(re.compile(r"办件 \S+ 已登记。"))).to_be_visible()
    expect(page.get_by_test_id("case-state")).to_have_text("已登记")
    expect(page.get_by_test_id("case-items")).to_contain_text(ITEM)
    return page.url


def _open(page, label: str) -> None:
    """Open an action's page from the case page's button."""
    page.get_by_test_id("actions").get_by_role("link", name=label, exact=True).click()
    page.wait_for_url(re.compile(r"/cases/\d+/act/\w+/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)


def _submit(page, label: str, case_url: str) -> None:
    """Submit the action form and land back on the case page with the confirmation."""
    page.get_by_test_id("action-form").get_by_role("button", name=label, exact=True).click()
    # Back on the case page; a step that produced forms names itself so they are offered first.
    page.wait_for_url(re.compile(re.escape(case_url) + r"(\?after=\w+)?$"))
    expect(page.get_by_text(f"已办理：{label}。")).to_be_visible()


def _offered(page) -> list[str]:
    return page.get_by_test_id("actions").get_by_role("link").all_inner_texts()


def test_a_proxy_case_from_registration_to_archive_through_the_pages(live_server, page):
    world = _world()
    base = live_server.url
    errors = _problems(page)
    today = timezone.localdate()

    _log_in(page, base, "li-agent")
    case_url = _register(page, base, kind="代办")
    number = page.get_by_test_id("case-number").inner_text()
    expect(page.get_by_role("row", name=re.compile("类型"))).to_contain_text("代办（全程代办）")

    # The one-time notice: one missing material, how to get it, a deadline after today.
    _open(page, "出具一次性告知单")
    page.get_by_label("补正期限").fill(f"{today + timedelta(days=7):%Y-%m-%d}")
    row = page.get_by_test_id("row").first
    row.get_by_label("所缺材料").fill("户口簿")
    row.get_by_label("获取方式").fill("到户籍所在地派出所复印")
    _submit(page, "出具一次性告知单", case_url)
    expect(page.get_by_test_id("case-state")).to_have_text("待补材料")
    expect(page.get_by_test_id("notice")).to_contain_text("户口簿：到户籍所在地派出所复印")

    _open(page, "接收补正材料")
    _submit(page, "接收补正材料", case_url)
    expect(page.get_by_test_id("case-state")).to_have_text("已登记")

    _open(page, "受理")
    _submit(page, "受理", case_url)
    expect(page.get_by_test_id("case-state")).to_have_text("已受理")
    # A proxy case starts only once the delegation agreement is signed.
    assert "开始办理" not in _offered(page)

    _open(page, "签订代办服务委托书")
    page.get_by_label("委托方签字人").fill(APPLICANT)
    _submit(page, "签订代办服务委托书", case_url)
    expect(page.get_by_role("row", name=re.compile("类型"))).to_contain_text("委托书已签订")
    # The agreement this step produced is offered to print at once, as PDF and as Word.
    print_now = page.get_by_test_id("print-list").locator("[data-just]")
    expect(print_now).to_have_text("现在打印：代办服务委托书")
    with page.expect_popup() as popup:
        print_now.click()
    assert popup.value.url.endswith("/delegation_agreement.pdf")
    popup.value.close()

    # The handover: the applicant's papers go to the agent, signed by both.
    _open(page, "登记材料交接")
    page.get_by_label("移交方").select_option("applicant")
    page.get_by_label("接收方").select_option("agent")
    row = page.get_by_test_id("row").first
    row.get_by_label("材料").fill(MATERIAL)
    row.get_by_label("份数").fill("2")
    row.get_by_label("原件").check()
    page.get_by_label("移交人签字").fill(APPLICANT)
    page.get_by_label("接收人签字").fill("李帮办")
    _submit(page, "登记材料交接", case_url)
    holdings = page.get_by_test_id("holdings").locator("tbody tr")
    expect(holdings).to_have_count(1)
    expect(holdings.first.locator("td")).to_have_text(["代办员", MATERIAL, "2"])
    expect(page.get_by_test_id("handovers")).to_contain_text(f"{APPLICANT} → 李帮办")

    _open(page, "开始办理")
    _submit(page, "开始办理", case_url)
    expect(page.get_by_test_id("case-state")).to_have_text("办理中")

    # The task's own button opens the form with the task chosen.
    task = page.get_by_test_id("tasks").locator("tbody tr")
    expect(task).to_have_count(1)
    expect(task.locator("td").nth(4)).to_have_text("—")  # not submitted yet
    task.get_by_role("link", name="报送部门").click()
    page.wait_for_url(re.compile(r"/act/submit_task/\?task=\d+"))
    expect(page.get_by_label("部门审批任务")).to_have_value(re.compile(r"\d+"))
    _submit(page, "报送部门", case_url)
    expect(task.locator("td").nth(1)).to_have_text(world["dept"].name)
    expect(task.locator("td").nth(4)).not_to_have_text("—")  # submitted at
    _log_out(page, base)

    # The department's liaison finds the task in the queue and approves it.
    _log_in(page, base, "dept-liaison")
    page.get_by_test_id("nav-workbench").click()
    page.get_by_test_id("queues").get_by_role("link", name="本部门审批任务").click()
    page.wait_for_url(re.compile(r"/cases/\?queue=tasks"))
    task_row = page.get_by_test_id("task-list").locator("tbody tr").filter(has_text=number)
    expect(task_row).to_have_count(1)
    expect(task_row).to_contain_text(ITEM)
    task_row.get_by_test_id("decide").click()
    page.wait_for_url(re.compile(r"/act/decide_task/\?task=\d+"))
    page.get_by_label("审批决定").select_option("approved")
    page.get_by_label("审批结果文书").fill("食品经营许可证")
    _submit(page, "登记部门审批决定", case_url)
    expect(task.locator("td").nth(5)).to_contain_text("准予许可")
    expect(task.locator("td").nth(6)).to_have_text("食品经营许可证")
    _log_out(page, base)

    # The agent completes the case …
    _log_in(page, base, "li-agent")
    page.goto(case_url)
    _open(page, "办结")
    page.get_by_label("办理结果").fill("已取得食品经营许可证")
    _submit(page, "办结", case_url)
    expect(page.get_by_test_id("case-state")).to_have_text("已办结")
    assert "归档" not in _offered(page)

    # … and the archive page says what is still missing, with nothing to press.
    page.goto(f"{case_url}act/archive/")
    missing = page.get_by_test_id("archive-missing")
    expect(missing).to_contain_text("一事一档尚不完整，暂不能归档。还缺少：")
    lines = missing.get_by_role("listitem")
    expect(lines.filter(has_text="办理结果送达")).to_have_count(1)
    expect(lines.filter(has_text="评价，或申请人不评价的记录")).to_have_count(1)
    expect(page.get_by_role("button", name="归档")).to_have_count(0)
    expect(page.get_by_test_id("action-form")).to_have_count(0)
    page.get_by_role("link", name="返回办件").click()
    page.wait_for_url(case_url)

    _open(page, "送达结果")
    page.get_by_label("送达方式").select_option("window")
    page.get_by_label("签收人").fill(APPLICANT)
    _submit(page, "送达结果", case_url)
    expect(page.get_by_test_id("case-state")).to_have_text("已送达")
    # Delivery handed the papers back: the service holds nothing now.
    expect(page.get_by_test_id("holdings").locator("tbody tr")).to_have_text(
        "服务方未保管申请人的材料。"
    )

    _open(page, "登记评价")
    page.get_by_label("评价等级").select_option(label="非常满意")
    page.get_by_label("评价意见").fill("代办员热情周到，一次办成")
    page.get_by_label("评价渠道").select_option("window")
    _submit(page, "登记评价", case_url)

    _open(page, "归档")
    expect(page.get_by_test_id("archive-complete")).to_be_visible()
    _submit(page, "归档", case_url)
    expect(page.get_by_test_id("case-state")).to_have_text("已归档")
    # An archived case is locked: the workflow allows no action from it, and none is offered.
    assert not [rule.action for rule in workflow.RULES if State.ARCHIVED in rule.sources]
    expect(page.get_by_test_id("actions")).to_have_count(0)

    steps = page.get_by_test_id("timeline").locator("tbody tr td:nth-child(3)")
    expect(steps).to_have_text(
        [
            "登记",
            "出具一次性告知单",
            "接收补正材料",
            "受理",
            "签订代办服务委托书",
            "登记材料交接",
            "开始办理",
            "报送部门",
            "登记部门审批决定",
            "办结",
            "送达结果",
            "登记评价",
            "归档",
        ]
    )
    assert errors == []


def test_an_assist_case_is_refused_only_with_a_reason(live_server, page):
    _world()
    base = live_server.url
    errors = _problems(page)

    _log_in(page, base, "li-agent")
    case_url = _register(page, base, kind="帮办")
    expect(page.get_by_role("row", name=re.compile("类型"))).to_contain_text("帮办")

    _open(page, "不予受理")
    reason = page.get_by_test_id("action-form").get_by_role("textbox", name=re.compile("理由"))
    page.get_by_test_id("action-form").get_by_role("button", name="不予受理").click()
    # The server answers, in Chinese, at the field; the case is unchanged.
    error = page.locator("[data-field='reason']")
    expect(error).to_have_text("此项为必填项。")
    assert re.search(r"/act/refuse/$", page.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("已登记")

    reason.fill("申请事项不属于本站点帮办范围，已告知申请人到县政务服务中心办理")
    _submit(page, "不予受理", case_url)
    expect(page.get_by_test_id("case-state")).to_have_text("不予受理")
    assert "受理" not in _offered(page) and "不予受理" not in _offered(page)
    refusal = page.get_by_test_id("timeline").locator("tbody tr[data-log='refuse']")
    expect(refusal).to_have_count(1)
    expect(refusal).to_contain_text("不予受理")
    expect(refusal).to_contain_text("申请事项不属于本站点帮办范围")
    expect(page.get_by_test_id("documents")).to_contain_text("不予受理通知书")
    assert errors == []
