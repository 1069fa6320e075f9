"""The public complaint and "办不成事" forms, tracking by code, the abuse limit, and the staff
pages scoped by role — all through the HTTP client."""

import pytest
from django.urls import reverse

from bangban.core.models import Event
from bangban.feedback import services
from bangban.feedback.models import Complaint, Obstacle, State
from bangban.org.models import Role
from tests.factories import UserFactory, county_tree

pytestmark = pytest.mark.django_db

GOOD_COMPLAINT = {
    "category": "attitude",
    "unit": "",
    "case_number": "",
    "description": "窗口工作人员态度生硬，问了三遍都不解释。",
    "contact_name": "李秀兰",
    "contact_phone": "13812345678",
}
GOOD_OBSTACLE = {
    "matter": "不动产登记",
    "unit": "",
    "case_number": "",
    "description": "窗口说缺少一份证明，但说不清去哪里开。",
    "contact_name": "赵国强",
    "contact_phone": "0914-5321234",
}


def test_a_complaint_through_the_form_and_tracked_by_its_code(client):
    tree = county_tree()
    village = tree["villages"][1]
    page = client.get(reverse("complaint-new"))
    assert page.status_code == 200
    assert f'value="{village.pk}"' in page.content.decode()
    response = client.post(reverse("complaint-new"), GOOD_COMPLAINT | {"unit": village.pk})
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("complaint-track", args=[complaint.code])
    assert complaint.unit == village and complaint.category == "attitude"
    assert Event.objects.filter(action="complaint.submit", ip_address="127.0.0.1").count() == 1

    track = client.get(response["Location"])
    text = track.content.decode()
    assert track.status_code == 200
    assert complaint.code in text and village.name in text
    assert complaint.get_state_display() in text
    # The contact is never shown on the public page, not even masked.
    assert "李秀兰" not in text and "5678" not in text

    # The answer appears on the same page.
    admin = UserFactory(role=Role.CENTRE_ADMIN, unit=tree["county"])
    services.complaint_answer(actor=admin, complaint=complaint, answer="已批评教育，向您致歉。")
    text = client.get(response["Location"]).content.decode()
    assert "已批评教育，向您致歉。" in text

    # Looking a code up from the box (lower case and spaces forgiven).
    lookup = client.get(reverse("complaint-lookup"), {"code": f" {complaint.code.lower()} "})
    assert lookup.status_code == 302 and lookup["Location"].endswith(f"/{complaint.code}/")


def test_bad_input_keeps_what_was_typed_and_stores_nothing(client):
    county_tree()
    bad = GOOD_COMPLAINT | {"category": "", "contact_phone": "12345"}
    response = client.post(reverse("complaint-new"), bad)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"category", "contact_phone"}
    text = response.content.decode()
    assert GOOD_COMPLAINT["description"] in text
    assert 'value="李秀兰"' in text and 'value="12345"' in text
    assert not Complaint.objects.exists() and not Event.objects.exists()


def test_a_refusal_of_the_service_comes_back_on_its_field(client):
    response = client.post(reverse("obstacle-new"), GOOD_OBSTACLE | {"description": "不行"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["description"]
    assert 'value="不动产登记"' in response.content.decode()
    assert not Obstacle.objects.exists()


def test_an_obstacle_through_the_form_shows_its_reply_due_date(client):
    response = client.post(reverse("obstacle-new"), GOOD_OBSTACLE)
    obstacle = Obstacle.objects.get()
    assert response["Location"] == reverse("obstacle-track", args=[obstacle.code])
    text = client.get(response["Location"]).content.decode()
    assert obstacle.code in text and "不动产登记" in text
    if obstacle.due_date:
        assert obstacle.due_date.isoformat() in text
    assert "0914-5321234" not in text


def test_over_the_limit_the_form_says_so_with_429(client, settings):
    settings.BANGBAN_FEEDBACK_POST_LIMIT = 2
    for _ in range(2):
        assert client.post(reverse("complaint-new"), GOOD_COMPLAINT).status_code == 302
    # Complaints and tickets share the address's allowance.
    over = client.post(reverse("obstacle-new"), GOOD_OBSTACLE)
    assert over.status_code == 429
    assert over.context["form"].non_field_errors()
    assert 'value="不动产登记"' in over.content.decode()
    assert Complaint.objects.count() == 2 and not Obstacle.objects.exists()
    # Another address still gets through.
    other = client.post(reverse("obstacle-new"), GOOD_OBSTACLE, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


@pytest.mark.parametrize("name", ["complaint-track", "obstacle-track"])
def test_a_wrong_code_is_a_neutral_404(client, name):
    complaint = services.complaint_submit(
        **{k: v for k, v in GOOD_COMPLAINT.items() if k != "unit"}
    )
    # A complaint's code does not open a ticket's page (nor the reverse: the kinds differ).
    wrong = ["NOPE234567", "x" * 40, complaint.code[:-1]]
    if name == "obstacle-track":
        wrong.append(complaint.code)
    for code in wrong:
        response = client.get(reverse(name, args=[code]))
        assert response.status_code == 404
        # The site's one "not found" page: it does not say whether the code exists elsewhere.
        assert response.templates[0].name == "404.html"


def test_the_track_pages_only_read(client):
    complaint = services.complaint_submit(
        **{k: v for k, v in GOOD_COMPLAINT.items() if k != "unit"}
    )
    assert client.post(reverse("complaint-track", args=[complaint.code])).status_code == 405


# Staff pages, scoped by role ----------------------------------------------------------------


@pytest.fixture
def tickets():
    tree = county_tree()
    town1_village, town2_village = tree["villages"][0], tree["villages"][2]
    base = {k: v for k, v in GOOD_COMPLAINT.items() if k != "unit"}
    return {
        "tree": tree,
        "mine": services.complaint_submit(**base | {"unit": town1_village}),
        "other": services.complaint_submit(**base | {"unit": town2_village}),
        "none": services.complaint_submit(**base),
        "obstacle": services.obstacle_submit(
            **{k: v for k, v in GOOD_OBSTACLE.items() if k != "unit"} | {"unit": town1_village}
        ),
    }


def _codes(client, kind="complaints") -> set[str]:
    response = client.get(reverse("feedback:list"), {"kind": kind})
    assert response.status_code == 200
    return {t.code for t in response.context["page"].object_list}


def test_a_manager_sees_the_complaints_about_their_subtree_only(client, tickets):
    manager = UserFactory(role=Role.MANAGER, unit=tickets["tree"]["towns"][0])
    client.force_login(manager)
    assert _codes(client) == {tickets["mine"].code}
    assert _codes(client, "obstacles") == {tickets["obstacle"].code}
    mine = client.get(reverse("feedback:complaint", args=[tickets["mine"].pk]))
    assert mine.status_code == 200
    text = mine.content.decode()
    # The contact is masked.
    assert "138****5678" in text and "13812345678" not in text and "李**" in text
    for key in ("other", "none"):
        assert client.get(reverse("feedback:complaint", args=[tickets[key].pk])).status_code == 404
    # Answering through the page.
    response = client.post(
        reverse("feedback:complaint", args=[tickets["mine"].pk]), {"answer": "已约谈当事人。"}
    )
    assert response.status_code == 302
    assert Complaint.objects.get(pk=tickets["mine"].pk).state == State.ANSWERED
    # An empty answer is refused on the page.
    response = client.post(
        reverse("feedback:obstacle", args=[tickets["obstacle"].pk]), {"answer": ""}
    )
    assert response.status_code == 400 and "answer" in response.context["form"].errors


def test_a_centre_admin_and_a_supervisor_see_everything(client, tickets):
    admin = UserFactory(role=Role.CENTRE_ADMIN, unit=tickets["tree"]["county"])
    client.force_login(admin)
    every = {tickets[k].code for k in ("mine", "other", "none")}
    assert _codes(client) == every
    supervisor = UserFactory(role=Role.SUPERVISOR, unit=None)
    client.force_login(supervisor)
    assert _codes(client) == every
    # A supervisor reads but does not answer.
    page = client.get(reverse("feedback:complaint", args=[tickets["other"].pk]))
    assert page.status_code == 200 and not page.context["can_answer"]
    refused = client.post(
        reverse("feedback:complaint", args=[tickets["other"].pk]), {"answer": "答复"}
    )
    assert refused.status_code == 403
    assert Complaint.objects.get(pk=tickets["other"].pk).state == State.RECEIVED


def test_an_agent_sees_none(client, tickets):
    agent = UserFactory(role=Role.AGENT, unit=tickets["tree"]["towns"][1])
    client.force_login(agent)
    assert client.get(reverse("feedback:list")).status_code == 403
    for key in ("mine", "other", "none"):
        response = client.get(reverse("feedback:complaint", args=[tickets[key].pk]))
        assert response.status_code == 403


def test_the_staff_pages_need_a_login(client, tickets):
    response = client.get(reverse("feedback:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# The elder-friendly mode ---------------------------------------------------------------------


def test_elder_mode_is_a_remembered_cookie_and_a_class(client):
    page = client.get(reverse("complaint-new"))
    assert b'class="elder"' not in page.content and b"elder.css" not in page.content
    response = client.post(reverse("elder-toggle"), {"on": "1", "next": "/public/roster/?q=1"})
    assert response.status_code == 302 and response["Location"] == "/public/roster/?q=1"
    cookie = response.cookies["bangban_elder"]
    assert cookie.value == "1" and cookie["max-age"] >= 300 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get(reverse("complaint-new"))
    assert b'<html lang="zh-hans" class="elder">' in page.content
    assert b"/static/css/elder.css" in page.content
    off = client.post(reverse("elder-toggle"), {"on": "0", "next": "/public/items/"})
    assert off.cookies["bangban_elder"].value == ""
    assert b'class="elder"' not in client.get(reverse("complaint-new")).content


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:1"])
def test_elder_mode_never_redirects_elsewhere(client, target):
    response = client.post(reverse("elder-toggle"), {"on": "1", "next": target})
    assert response["Location"] == reverse("catalog-search")


def test_elder_mode_is_switched_by_post_only(client):
    assert client.get(reverse("elder-toggle")).status_code == 405


def test_the_track_page_is_not_cached(client):
    complaint = services.complaint_submit(
        **{k: v for k, v in GOOD_COMPLAINT.items() if k != "unit"}
    )
    response = client.get(reverse("complaint-track", args=[complaint.code]))
    assert "no-store" in response["Cache-Control"]
