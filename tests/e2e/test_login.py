import pytest
from playwright.sync_api import expect

from bangban.org.models import Role
from tests.factories import TEST_PASSWORD, UserFactory, county_tree

# serialized_rollback keeps the seeded working-day calendar for the tests that run after.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_login_shows_the_chinese_staff_home_page(live_server, page):
    tree = county_tree()
    user = UserFactory(
        unit=tree["towns"][0], role=Role.MANAGER, username="town-manager", full_name="张伟"
    )
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_test_id("home-title").inner_text() == "工作台"
    assert tree["towns"][0].name in page.get_by_test_id("home-unit").inner_text()
    tree_text = page.get_by_test_id("unit-tree").inner_text()
    assert tree["villages"][0].name in tree_text and tree["villages"][1].name in tree_text
    assert tree["towns"][1].name not in tree_text
    assert "张伟" in page.get_by_test_id("current-user").inner_text()
    # The page's own styles loaded from this server (Bootstrap's navbar colour).
    assert (
        page.evaluate("getComputedStyle(document.querySelector('nav')).backgroundColor")
        == "rgb(179, 38, 30)"
    )
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{live_server.url}/login/")


def test_wrong_password_shows_a_chinese_error(live_server, page):
    county_tree()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("nobody")
    page.get_by_label("密码").fill("Wrong#Pass1")
    page.get_by_role("button", name="登录").click()
    assert "请输入一个正确的" in page.get_by_role("alert").inner_text()


def test_manager_reveals_a_masked_phone_and_the_reveal_is_logged(live_server, page):
    from bangban.core.models import Event

    tree = county_tree()
    UserFactory(unit=tree["towns"][0], role=Role.MANAGER, username="mgr")
    agent = tree["agents"]["C1-1"]
    page.goto(f"{live_server.url}/login/?next=/agents/{agent.pk}/")
    page.get_by_label("用户名").fill("mgr")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/agents/{agent.pk}/")
    phone = page.get_by_test_id("phone")
    assert phone.inner_text() == agent.phone[:3] + "****" + agent.phone[-4:]
    page.get_by_role("button", name="显示明文（将被记录）").nth(1).click()
    # (Not wait_for_function: the page's CSP rightly forbids evaluating strings.)
    expect(phone).to_have_text(agent.phone)
    assert Event.objects.filter(action="personal_data.reveal", object_id=str(agent.pk)).exists()
