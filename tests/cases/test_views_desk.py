"""The front desk through the HTTP client: registration (person and enterprise, the live
identifier checks, the item search, from a consultation, back-entry), consultations,
coordination meetings, the work log, each role's view of them, and their query counts."""

import random
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bangban.cases import services
from bangban.cases.models import Case, CaseLog, Consultation, Meeting, WorkNote
from bangban.catalog import services as catalog_services
from bangban.core.identifiers import generate_credit_code
from bangban.core.models import Event
from bangban.org.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
CREDIT_CODE = generate_credit_code(random.Random(7))
WRONG_CREDIT_CODE = "91350100M000100Y44"  # its check character is wrong


@pytest.fixture
def tree(county_with_departments):
    return county_with_departments


def _item(admin, name: str, tiers: str = "县;乡;村", aliases: str = ""):
    data = {
        "name": name,
        "aliases": aliases,
        "item_type": "行政许可",
        "target": "法人",
        "assist_tiers": tiers,
        "proxy_tiers": tiers,
        "promised_limit_days": 5,
    }
    return catalog_services.item_create(actor=admin, reason="新增", data=data)


@pytest.fixture
def item(catalog_admin):
    return _item(catalog_admin, "食品经营许可核发", aliases="开饭店")


@pytest.fixture
def county_item(catalog_admin):
    return _item(catalog_admin, "建设工程规划许可证核发", tiers="县")


@pytest.fixture
def users(tree):
    return {
        "agent": UserFactory(unit=tree["villages"][0], role=Role.AGENT),
        "other_agent": UserFactory(unit=tree["villages"][2], role=Role.AGENT),
        "manager": UserFactory(unit=tree["towns"][0], role=Role.MANAGER),
        "other_manager": UserFactory(unit=tree["towns"][1], role=Role.MANAGER),
        "liaison": UserFactory(unit=tree["dept"], role=Role.LIAISON),
        "supervisor": UserFactory(unit=None, role=Role.SUPERVISOR),
        "applicant": UserFactory(unit=None, role=Role.APPLICANT),
    }


def person(item, **extra) -> dict:
    return {
        "applicant_type": "person",
        "applicant_name": "张秀英",
        "id_number": ID_NUMBER,
        "phone": "139 1234 5678",
        "address": "城关街道人民路1号",
        "items": [item.pk],
        "kind": "assist",
        "channel": "window",
        "category": "personal",
    } | extra


def enterprise(item, **extra) -> dict:
    return {
        "applicant_type": "enterprise",
        "applicant_name": "商南县秦岭餐饮有限公司",
        "credit_code": CREDIT_CODE,
        "legal_representative": "王强",
        "phone": "0914-6321001",
        "project_name": "秦岭农家乐改造",
        "project_location": "城关街道",
        "investment": "1250.50",
        "key_project": ["key", "investment"],
        "items": [item.pk],
        "kind": "proxy",
        "proxy_scope": "full",
        "channel": "window",
        "category": "enterprise",
        # What was typed on the person form before switching stays on the page, unused.
        "id_number": "123",
    } | extra


def register(client, data):
    return client.post(reverse("desk:register"), data)


def consult(user, item=None, **extra) -> Consultation:
    values = {
        "actor": user,
        "unit": user.unit,
        "channel": "phone",
        "asker": "李四",
        "phone": "13800001111",
        "topic": "开饭店要办什么",
        "answer": "需办理食品经营许可",
        "item": item,
    }
    return services.consultation_log(**(values | extra))


def service_register(user, item) -> Case:
    return services.case_register(
        actor=user,
        unit=user.unit,
        kind="assist",
        channel="window",
        category="personal",
        applicant_type="person",
        applicant={"applicant_name": "张三", "id_number": ID_NUMBER, "phone": "13912345678"},
        items=[item],
    )


def errors(response) -> dict[str, list[str]]:
    """The errors shown under each field (data-field) of a re-rendered form."""
    found: dict[str, list[str]] = {}
    for field, text in re.findall(r'data-field="([^"]+)">([^<]*)<', response.content.decode()):
        found.setdefault(field, []).append(text)
    return found


def focused(response) -> str:
    """The name of the one input that has the cursor when the page opens."""
    inputs = re.findall(r"<input[^>]*>", response.content.decode())
    (name,) = [re.search(r'name="([^"]+)"', i)[1] for i in inputs if " autofocus" in i]
    return name


# Registration ------------------------------------------------------------------------------


def test_the_registration_page_starts_on_the_name_with_the_person_form(client, users):
    client.force_login(users["agent"])
    response = client.get(reverse("desk:register"))
    assert focused(response) == "applicant_name"
    page = response.content.decode()
    assert "js/registration.js" in page and "<script>" not in page
    # The enterprise fields are on the page, hidden, so switching keeps what was typed.
    assert re.search(r'class="col-md-6 d-none" data-applicant="enterprise"', page)
    assert re.search(r'd-none"[^>]*data-proxy-only', page)
    assert 'hx-post="/cases/register/check/id_number/"' in page


def test_a_person_is_registered_and_the_agent_lands_on_the_case(client, users, item):
    client.force_login(users["agent"])
    response = register(client, person(item))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.applicant_type, case.applicant_name, case.id_number) == (
        "person",
        "张秀英",
        ID_NUMBER,
    )
    assert case.phone == "13912345678"  # normalised
    assert (case.unit, case.kind, case.proxy_scope, case.created_by) == (
        users["agent"].unit,
        "assist",
        "",
        users["agent"],
    )
    assert [ci.item for ci in case.items.all()] == [item]
    landed = client.get(response["Location"])
    assert landed.status_code == 200 and case.number in landed.content.decode()


def test_an_enterprise_project_is_registered_for_full_proxy(client, users, item, county_item):
    client.force_login(users["manager"])
    response = register(
        client, enterprise(item, items=[county_item.pk, item.pk], applicant_dishonest="on")
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.applicant_type, case.credit_code, case.legal_representative) == (
        "enterprise",
        CREDIT_CODE,
        "王强",
    )
    assert case.id_number == ""  # the person form's leftover is not part of it
    assert (case.kind, case.proxy_scope, case.applicant_dishonest) == ("proxy", "full", True)
    assert str(case.investment) == "1250.50"
    assert case.project_name == "秦岭农家乐改造" and "、" in case.key_project
    # In the order the items were picked.
    assert [ci.item for ci in case.items.order_by("pk")] == [county_item, item]


def test_proxy_needs_a_scope_and_every_input_is_kept(client, users, item):
    client.force_login(users["agent"])
    response = register(client, person(item, kind="proxy", address="东街5号"))
    assert response.status_code == 200
    assert not Case.objects.exists()
    assert "proxy_scope" in errors(response)
    page = response.content.decode()
    assert 'value="东街5号"' in page and f'value="{ID_NUMBER}"' in page
    assert f'name="items" value="{item.pk}"' in page and "食品经营许可核发" in page
    assert not re.search(r'd-none"[^>]*data-proxy-only', page)  # the scope is on show


def test_a_bad_id_number_is_a_form_error_and_nothing_is_saved(client, users, item):
    client.force_login(users["agent"])
    response = register(
        client, person(item, id_number="110105194912310021", phone="12345", address="")
    )
    assert response.status_code == 200
    assert Case.objects.count() == 0
    shown = errors(response)
    assert shown["id_number"] == ["身份证号码校验码不正确。"]
    assert "phone" in shown  # every mistake at once
    assert focused(response) == "id_number"


def test_the_first_field_in_error_gets_the_cursor(client, users, item):
    client.force_login(users["agent"])
    assert focused(register(client, person(item, applicant_name=""))) == "applicant_name"
    assert focused(register(client, person(item, items=[]))) == "q"  # the item search box


def test_nothing_chosen_and_enterprise_requirements(client, users, item):
    client.force_login(users["agent"])
    response = register(client, enterprise(item, items=[], credit_code="", legal_representative=""))
    shown = errors(response)
    assert {"items", "credit_code", "legal_representative"} <= set(shown)
    assert "id_number" not in shown
    assert not Case.objects.exists()


def test_a_credit_code_failing_its_check_needs_a_written_reason(client, users, item):
    client.force_login(users["agent"])
    response = register(client, enterprise(item, credit_code=WRONG_CREDIT_CODE))
    assert not Case.objects.exists()
    assert "credit_code" in errors(response)
    # The reason's field is now on show.
    assert re.search(r'class=""\s*data-credit-override', response.content.decode())
    response = register(
        client,
        enterprise(
            item,
            credit_code=WRONG_CREDIT_CODE,
            credit_code_override_reason="营业执照原件即为此代码",
        ),
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.credit_code == WRONG_CREDIT_CODE
    assert Event.objects.get(action="credit_code.override").object_id == str(case.pk)


@pytest.mark.parametrize(
    ("field", "value", "valid", "says"),
    [
        ("id_number", ID_NUMBER, True, "1949-12-31"),
        ("id_number", "110105194912310021", False, "身份证号码校验码不正确"),
        ("id_number", "1101", False, "18"),
        ("phone", "0914 5321234", True, "0914-5321234"),
        ("phone", "12345", False, "data-valid"),
        ("credit_code", CREDIT_CODE, True, "data-valid"),
        ("credit_code", WRONG_CREDIT_CODE, False, 'data-overridable="true"'),
        ("credit_code", "91350100", False, "18"),
    ],
)
def test_identifiers_are_checked_as_typed(client, users, field, value, valid, says):
    client.force_login(users["agent"])
    events = Event.objects.count()
    url = reverse("desk:register-check", args=[field])
    response = client.post(url, {field: value}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert f'data-valid="{"true" if valid else "false"}"' in fragment
    assert says in fragment
    assert "<html" not in fragment
    assert Event.objects.count() == events and not Case.objects.exists()


def test_the_check_endpoint_takes_only_known_fields_and_posts(client, users):
    client.force_login(users["agent"])
    assert client.post(reverse("desk:register-check", args=["password"]), {}).status_code == 404
    url = reverse("desk:register-check", args=["id_number"])
    assert client.get(url, {"id_number": ID_NUMBER}).status_code == 405
    assert client.post(url, {"id_number": ""}).content.strip() == b""


def test_items_are_found_by_chinese_and_pinyin_initials(
    client, users, item, county_item, catalog_admin
):
    bundle = catalog_services.bundle_save(
        actor=catalog_admin, name="开餐馆一件事", members=[item, county_item]
    )
    client.force_login(users["agent"])
    url = reverse("desk:register-items")
    for query in ("食品经营", "spjy", "开饭店"):
        fragment = client.get(url, {"q": query}).content.decode()
        first = re.search(r'data-pick="(\w+)" data-pk="(\d+)"', fragment)
        assert first and first.groups() == ("item", str(item.pk)), query
        assert f'data-results-for="{query}"' in fragment
    fragment = client.get(url, {"q": "开餐馆"}).content.decode()
    assert f'data-pick="bundle" data-pk="{bundle.pk}"' in fragment
    # A village point does not offer a county-tier item: it is shown, and marked.
    fragment = client.get(url, {"q": "建设工程规划"}).content.decode()
    assert f'data-pk="{county_item.pk}"' in fragment and "text-bg-warning" in fragment
    assert client.get(url, {"q": ""}).content.strip() == b""


def test_a_bundle_registers_its_member_items(client, users, item, county_item, catalog_admin):
    bundle = catalog_services.bundle_save(
        actor=catalog_admin, name="开餐馆一件事", members=[item, county_item]
    )
    client.force_login(users["agent"])
    response = register(client, person(item, items=[], bundle=bundle.pk))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.bundle == bundle
    assert {ci.item for ci in case.items.all()} == {item, county_item}


def test_a_consultation_becomes_a_case(client, users, item):
    consultation = consult(users["agent"], item)
    client.force_login(users["agent"])
    listing = client.get(reverse("desk:consultations")).content.decode()
    link = f"{reverse('desk:register')}?consultation={consultation.pk}"
    assert link in listing
    page = client.get(link).content.decode()
    assert 'value="李四"' in page and 'value="13800001111"' in page
    assert f'name="items" value="{item.pk}"' in page
    assert f'name="consultation" value="{consultation.pk}"' in page
    assert 'data-testid="from-consultation"' in page
    response = register(client, person(item, applicant_name="李四", consultation=consultation.pk))
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.case == Case.objects.get()
    listing = client.get(reverse("desk:consultations")).content.decode()
    assert link not in listing and consultation.case.number in listing
    # Once a case, it cannot start another one.
    assert client.get(link).status_code == 404


def test_a_back_entry_keeps_the_real_time_and_marks_the_timeline(client, users, item):
    client.force_login(users["agent"])
    when = timezone.localtime() - timedelta(days=2, hours=1)
    when = when.replace(second=0, microsecond=0)
    data = person(item, occurred_at=when.strftime("%Y-%m-%dT%H:%M"))
    response = register(client, data)
    assert "back_entry_reason" in errors(response)
    assert re.search(r"<details[^>]*open", response.content.decode())  # the section opens
    response = register(client, data | {"back_entry_reason": "停电时纸质登记"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.registered_at == when
    entry = CaseLog.objects.get(case=case)
    assert (entry.occurred_at, entry.back_entry_reason) == (when, "停电时纸质登记")
    assert case.number.split("-")[-2] == f"{when:%Y%m%d}"
    log = client.get(reverse("desk:worklog"), {"day": f"{when:%Y-%m-%d}"}).content.decode()
    assert case.number in log and 'data-testid="back-entry"' in log
    assert f"{when:%H:%M}" in log


def test_a_reason_without_a_time_is_refused(client, users, item):
    client.force_login(users["agent"])
    response = register(client, person(item, back_entry_reason="补录"))
    assert "occurred_at" in errors(response) and not Case.objects.exists()


# Consultations -----------------------------------------------------------------------------


def test_a_consultation_is_logged_through_the_form(client, users, item):
    client.force_login(users["agent"])
    response = client.post(
        reverse("desk:consultations"),
        {
            "channel": "window",
            "asker": "王五",
            "phone": "13800002222",
            "topic": "低保申请条件",
            "item": item.pk,
            "answer": "带户口本和收入证明",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("desk:consultations")
    consultation = Consultation.objects.get()
    assert (consultation.unit, consultation.item, consultation.recorded_by) == (
        users["agent"].unit,
        item,
        users["agent"],
    )
    listing = client.get(reverse("desk:consultations")).content.decode()
    assert "低保申请条件" in listing and "138****2222" in listing
    assert "13800002222" not in listing
    response = client.post(
        reverse("desk:consultations"), {"channel": "window", "asker": "王五", "phone": "123"}
    )
    assert {"topic", "answer"} <= set(errors(response))
    assert Consultation.objects.count() == 1


def test_consultations_are_newest_first_and_paginated(client, users):
    for n in range(27):
        consult(
            users["agent"],
            topic=f"咨询{n:02d}",
            occurred_at=timezone.now() - timedelta(minutes=30 - n),
        )
    client.force_login(users["agent"])
    first = client.get(reverse("desk:consultations")).content.decode()
    topics = re.findall(r"咨询\d\d", first)
    assert topics[0] == "咨询26" and len(topics) == 25
    second = client.get(reverse("desk:consultations"), {"page": 2}).content.decode()
    assert re.findall(r"咨询\d\d", second) == ["咨询01", "咨询00"]


# Meetings ----------------------------------------------------------------------------------


def meeting_data(**extra) -> dict:
    return {
        "kind": "on_site",
        "held_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "attendees": "县市场监管局 李科长\n城关镇 王主任",
        "issues": "食品经营许可现场核查时间",
        "decisions": "本周五前完成核查",
    } | extra


def test_a_meeting_is_recorded_with_its_cases(client, users, item):
    first = service_register(users["agent"], item)
    second = service_register(users["agent"], item)
    client.force_login(users["manager"])
    response = client.post(
        reverse("desk:meetings"),
        meeting_data(case_numbers=f"{first.number}，{second.number}\n{first.number}"),
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert set(meeting.cases.all()) == {first, second}
    assert meeting.unit == users["manager"].unit
    page = client.get(reverse("desk:meetings")).content.decode()
    assert first.number in page and "本周五前完成核查" in page


def test_an_unknown_case_number_is_an_error_and_nothing_is_saved(client, users, item):
    known = service_register(users["agent"], item)
    elsewhere = service_register(users["other_agent"], item)
    client.force_login(users["agent"])
    response = client.post(
        reverse("desk:meetings"),
        meeting_data(case_numbers=f"{known.number}, X-20260101-0001, {elsewhere.number}"),
    )
    assert response.status_code == 200
    shown = errors(response)["case_numbers"][0]
    assert "X-20260101-0001" in shown and elsewhere.number in shown
    assert known.number not in shown
    assert not Meeting.objects.exists()
    assert known.number in response.content.decode()  # what was typed is kept


# Work log ----------------------------------------------------------------------------------


def test_the_work_log_shows_the_day_and_takes_notes(client, users, item):
    case = service_register(users["agent"], item)
    client.force_login(users["agent"])
    page = client.get(reverse("desk:worklog")).content.decode()
    today = timezone.localdate()
    assert case.number in page and f"{today:%Y-%m-%d}" in page
    assert f"day={today - timedelta(days=1):%Y-%m-%d}" in page
    assert 'rel="next"' not in page  # no tomorrow yet
    response = client.post(
        reverse("desk:worklog"), {"text": "上门走访张大爷", "case_number": case.number}
    )
    assert response.status_code == 302
    note = WorkNote.objects.get()
    assert (note.author, note.day, note.case) == (users["agent"], today, case)
    assert "上门走访张大爷" in client.get(reverse("desk:worklog")).content.decode()
    yesterday = today - timedelta(days=1)
    response = client.post(
        f"{reverse('desk:worklog')}?day={yesterday:%Y-%m-%d}", {"text": "补记电话回访"}
    )
    assert response.status_code == 302
    assert WorkNote.objects.get(text="补记电话回访").day == yesterday
    page = client.get(reverse("desk:worklog"), {"day": f"{yesterday:%Y-%m-%d}"}).content
    page = page.decode()
    assert "补记电话回访" in page and case.number not in page and 'rel="next"' in page
    response = client.post(reverse("desk:worklog"), {"text": "x", "case_number": "NOPE"})
    assert "case_number" in errors(response)


def test_managers_read_their_staffs_logs_and_agents_only_their_own(client, users, item):
    case = service_register(users["agent"], item)
    own_log = {"user": users["agent"].pk}
    client.force_login(users["manager"])
    page = client.get(reverse("desk:worklog"), own_log).content.decode()
    assert case.number in page
    assert 'data-testid="note-form"' not in page  # notes go into one's own log
    assert f'<option value="{users["agent"].pk}" selected' in page
    assert (
        client.post(
            reverse("desk:worklog") + f"?user={users['agent'].pk}", {"text": "x"}
        ).status_code
        == 403
    )
    client.force_login(users["other_manager"])
    assert client.get(reverse("desk:worklog"), own_log).status_code == 404
    client.force_login(users["other_agent"])
    assert client.get(reverse("desk:worklog"), own_log).status_code == 404
    assert client.get(reverse("desk:worklog"), {"user": 999999}).status_code == 404
    assert client.get(reverse("desk:worklog"), {"day": "2026-02-30"}).status_code == 404


# Each role ---------------------------------------------------------------------------------


def test_each_role_sees_its_area(client, users, item, tree):
    village = consult(users["agent"], topic="本村咨询")
    other_village = consult(users["other_agent"], topic="邻村咨询")
    town = consult(users["manager"], topic="镇上咨询")
    liaison = consult(users["liaison"], topic="部门咨询")
    meeting = services.meeting_record(
        actor=users["manager"],
        unit=users["manager"].unit,
        kind="departments",
        held_at=timezone.now() - timedelta(hours=1),
        attendees="甲",
        issues="乙",
        decisions="丙",
    )
    seen = {
        "agent": {village},
        "other_agent": {other_village},
        "manager": {village, town},
        "liaison": {liaison},
        "supervisor": {village, other_village, town, liaison},
    }
    for role, expected in seen.items():
        client.force_login(users[role])
        page = client.get(reverse("desk:consultations")).content.decode()
        shown = {int(pk) for pk in re.findall(r'data-consultation="(\d+)"', page)}
        assert shown == {c.pk for c in expected}, role
        meetings = client.get(reverse("desk:meetings")).content.decode()
        assert (f'data-meeting="{meeting.pk}"' in meetings) == (
            role in ("manager", "supervisor")
        ), role
        writes = role != "supervisor"
        assert ('data-testid="consultation-form"' in page) == writes, role
        assert ('data-testid="meeting-form"' in meetings) == writes, role
        register_link = f"?consultation={village.pk}"
        assert (register_link in page) == (role in ("agent", "manager")), role


def test_registration_by_role(client, users, item):
    client.force_login(users["agent"])
    assert client.get(reverse("desk:register")).status_code == 200
    client.force_login(users["manager"])
    assert client.get(reverse("desk:register")).status_code == 200
    client.force_login(users["liaison"])
    page = client.get(reverse("desk:register"))
    assert page.status_code == 200 and 'data-testid="not-a-point"' in page.content.decode()
    assert "registration-form" not in page.content.decode()
    register(client, person(item))
    assert not Case.objects.exists()


def test_the_supervisor_reads_but_every_form_is_refused(client, users, item):
    service_register(users["agent"], item)
    client.force_login(users["supervisor"])
    assert client.get(reverse("desk:consultations")).status_code == 200
    assert client.get(reverse("desk:meetings")).status_code == 200
    log = client.get(reverse("desk:worklog"), {"user": users["agent"].pk})
    assert log.status_code == 200 and 'data-testid="note-form"' not in log.content.decode()
    refused = [
        client.get(reverse("desk:register")),
        register(client, person(item)),
        client.post(reverse("desk:consultations"), {"asker": "x"}),
        client.post(reverse("desk:meetings"), meeting_data()),
        client.post(reverse("desk:worklog"), {"text": "x"}),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert "监督" in refused[1].content.decode()
    assert Case.objects.count() == 1
    assert not (Consultation.objects.exists() or Meeting.objects.exists())
    assert not WorkNote.objects.exists()


def test_an_applicant_account_has_no_access(client, users, item):
    client.force_login(users["applicant"])
    for url in (
        reverse("desk:register"),
        reverse("desk:register-items") + "?q=spjy",
        reverse("desk:consultations"),
        reverse("desk:meetings"),
        reverse("desk:worklog"),
    ):
        assert client.get(url).status_code == 403, url
    check = reverse("desk:register-check", args=["id_number"])
    assert client.post(check, {"id_number": ID_NUMBER}).status_code == 403
    client.logout()
    response = client.get(reverse("desk:register"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 25])
def test_the_consultation_list_costs_the_same_for_5_or_25_rows(
    client, users, item, rows, django_assert_max_num_queries
):
    for n in range(rows):
        consultation = consult(users["agent"], item, topic=f"咨询{n}")
        if n % 2:
            services.case_register(
                actor=users["agent"],
                unit=users["agent"].unit,
                kind="assist",
                channel="window",
                category="personal",
                applicant_type="person",
                applicant={
                    "applicant_name": "张三",
                    "phone": "13912345678",
                    "id_number": ID_NUMBER,
                },
                items=[item],
                consultation=consultation,
            )
    client.force_login(users["agent"])
    with django_assert_max_num_queries(9):
        page = client.get(reverse("desk:consultations"))
    assert len(re.findall(r'data-consultation="', page.content.decode())) == rows


@pytest.mark.parametrize("rows", [5, 25])
def test_the_work_log_costs_the_same_for_5_or_25_rows(
    client, users, item, rows, django_assert_max_num_queries
):
    for n in range(rows):
        case = service_register(users["agent"], item)
        services.work_note_add(actor=users["agent"], text=f"笔记{n}", case=case)
    client.force_login(users["manager"])
    # Session, user, the staff member, the manager's unit, steps, notes, the staff picker,
    # and the session's save (three statements).
    with django_assert_max_num_queries(10):
        page = client.get(reverse("desk:worklog"), {"user": users["agent"].pk})
    assert len(re.findall(r'data-entry="', page.content.decode())) == rows
