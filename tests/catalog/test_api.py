"""The catalog API through the HTTP client: anyone reads items, guides, versions and bundles;
only centre and system administrators write, through the services; lists cost a fixed number
of queries whatever the page size."""

import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from bangban.catalog import demo, services
from bangban.catalog.models import Bundle, Item, ItemVersion, Material
from bangban.catalog.search import search_catalog
from bangban.org.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FOOD = "食品(含保健食品)经营许可核发"
ITEMS = reverse("api-item-list")
HAN = re.compile(r"[\u4e00-\u9fff]")


def detail_url(pk) -> str:
    return reverse("api-item-detail", args=[pk])


def versions_url(pk) -> str:
    return reverse("api-item-versions", args=[pk])


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


@pytest.fixture
def food(demo_catalog) -> Item:
    return Item.objects.get(name=FOOD)


@pytest.fixture
def lone_food(county_with_departments) -> Item:
    """The food licence alone, from the demo data: for the tests that need one item only (the
    whole catalogue takes a second and a half to load)."""
    names = {r["published_name"]: r["demo_department"] for r in demo._rows("departments.csv")}
    row = next(r for r in demo._rows("items.csv") if r["name"] == FOOD)
    materials = [
        demo.material_data(r) for r in demo._rows("materials.csv") if r["item_name"] == FOOD
    ]
    return services.item_create(
        actor=None, reason=demo.REASON, data=demo.item_data(row, names), materials=materials
    )


@pytest.fixture
def admin_client(client, catalog_admin):
    client.force_login(catalog_admin)
    return client


NEW_ITEM = {
    "reason": "县政府第12次常务会议决定新增",
    "code": "TEST-0001",
    "name": "犬只登记",
    "item_type": "licensing",
    "department": "C-ga",
    "case_type": "promised",
    "statutory_limit_days": 20,
    "promised_limit_days": 10,
    "target": "person",
    "assist_tiers": ["county", "town"],
    "aliases": ["养狗办证", "狗证"],
    "materials": [
        {"name": "犬只登记申请表", "form": "original", "copies": 1},
        {"name": "狂犬病免疫证明", "form": "copy", "copies": 1},
    ],
    "steps": [{"name": "受理", "time_limit_days": 1}, {"name": "审核", "time_limit_days": 9}],
}


# --- reading -----------------------------------------------------------------------------------


def test_routes():
    assert ITEMS == "/api/v1/items/"
    assert detail_url(7) == "/api/v1/items/7/"
    assert versions_url(7) == "/api/v1/items/7/versions/"
    assert reverse("api-item-version", args=[7, 2]) == "/api/v1/items/7/versions/2/"
    assert reverse("api-bundle-list") == "/api/v1/bundles/"
    assert reverse("api-bundle-detail", args=[3]) == "/api/v1/bundles/3/"


def test_anyone_reads_the_paginated_list(client, demo_catalog):
    response = client.get(ITEMS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 156
    assert len(body["results"]) == 50  # the project's page size
    assert body["next"]
    first = body["results"][0]
    assert set(first) >= {"id", "code", "name", "item_type", "department", "case_type", "version"}
    names = [row["name"] for row in body["results"]]
    assert names == sorted(names)


@pytest.mark.parametrize("page_size", [5, 50, 200])
def test_the_list_costs_the_same_queries_whatever_the_page_size(
    client, demo_catalog, django_assert_max_num_queries, page_size
):
    search_catalog("开饭店")  # the index is built once per process, not per request
    with django_assert_max_num_queries(3):
        response = client.get(ITEMS, {"page_size": page_size})
    assert len(response.json()["results"]) == min(page_size, 156)
    # Searching and filtering by department add the fingerprint (2) and the department (1).
    with django_assert_max_num_queries(5):
        response = client.get(
            ITEMS, {"q": "许可", "department": "C-sp", "tier": "county", "page_size": page_size}
        )
    assert response.status_code == 200
    assert response.json()["count"] > 5


def test_search_ranks_the_food_licence_first_for_a_restaurant(client, demo_catalog):
    body = client.get(ITEMS, {"q": "开饭店"}).json()
    assert body["results"][0]["name"] == FOOD
    body = client.get(ITEMS, {"q": "spjy"}).json()
    assert body["results"][0]["name"] == FOOD
    # Bundles are not items: "退休" lists the retirement items, not the bundle.
    names = [r["name"] for r in client.get(ITEMS, {"q": "退休"}).json()["results"]]
    assert "退休一件事" not in names and "企业职工基本养老保险正常退休申请" in names[:3]
    assert client.get(ITEMS, {"q": "完全不相干的词语"}).json()["count"] == 0
    # A blank query lists everything.
    assert client.get(ITEMS, {"q": "  "}).json()["count"] == 156


def test_search_pages_keep_the_rank(client, demo_catalog):
    ranked = [h.name for h in search_catalog("登记", limit=500) if h.kind == "item"]
    page1 = client.get(ITEMS, {"q": "登记", "page_size": 10}).json()
    page2 = client.get(ITEMS, {"q": "登记", "page_size": 10, "page": 2}).json()
    assert page1["count"] == len(ranked)
    assert [r["name"] for r in page1["results"] + page2["results"]] == ranked[:20]


def test_filters(client, demo_catalog):
    rows = client.get(ITEMS, {"department": "C-cl", "page_size": 500}).json()["results"]
    assert rows and {r["department"]["code"] for r in rows} == {"C-cl"}
    assert len(rows) == Item.objects.filter(department__code="C-cl").count()
    # The data's README: 15 items reach the village tier.
    village = client.get(ITEMS, {"tier": "village", "page_size": 500}).json()
    assert village["count"] == 15
    assert all(
        "village" in r["assist_tiers"] or "village" in r["proxy_tiers"] for r in village["results"]
    )
    immediate = client.get(ITEMS, {"case_type": "immediate", "page_size": 500}).json()
    assert immediate["count"] == Item.objects.filter(case_type="immediate").count() > 0
    assert {r["case_type"] for r in immediate["results"]} == {"immediate"}
    both = client.get(ITEMS, {"q": "社保卡", "department": "C-rs"}).json()
    assert both["results"][0]["name"] == "社会保障卡申领"
    assert {r["department"]["code"] for r in both["results"]} == {"C-rs"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": "abc"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"page": "abc"}, "page"),
        ({"tier": "city"}, "tier"),
        ({"case_type": "soon"}, "case_type"),
        ({"department": "NOPE"}, "department"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_parameter(client, demo_catalog, params, field):
    response = client.get(ITEMS, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field
    assert body["code"] == "ValidationFailed"
    assert body["detail"]


def test_the_full_guide(client, food, django_assert_max_num_queries, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "catalog" / "forms").mkdir(parents=True)
    (tmp_path / "catalog" / "forms" / "food-application.docx").write_bytes(b"blank form")
    Material.objects.filter(item=food, position=0).update(
        blank_form="catalog/forms/food-application.docx", sample="catalog/samples/food.pdf"
    )
    with django_assert_max_num_queries(6):
        response = client.get(detail_url(food.pk))
    assert response.status_code == 200, response.content
    guide = response.json()
    for element in (
        "code",
        "name",
        "item_type",
        "implementing_body",
        "case_type",
        "statutory_limit_days",
        "promised_limit_days",
        "exercise_level",
        "target",
        "legal_basis",
        "conditions",
        "fees",
        "result",
        "address",
        "hours",
        "consultation_phone",
        "complaint_channel",
        "assist_tiers",
        "proxy_tiers",
        "in_four_level_list",
        "on_integrated_platform",
        "at_most_one_visit",
        "aliases",
        "materials",
        "steps",
        "bundles",
        "version",
    ):
        assert element in guide, element
    assert guide["name"] == FOOD
    assert guide["department"] == {"code": "C-sp", "name": "县行政审批服务局"}
    assert guide["item_type"] == "licensing"
    assert guide["promised_limit_days"] == 20
    assert guide["version"] == 1
    assert "开饭店" in guide["aliases"]
    # The restaurant bundle lists its plan's own names (the catalogue holds one of them only).
    assert [b["name"] for b in guide["bundles"]] == ["我要开商场超市"]
    first, second = guide["materials"][:2]
    material = food.materials.get(position=0)
    assert first["blank_form"] == f"http://testserver/public/materials/{material.pk}/blank_form/"
    assert first["sample"] == f"http://testserver/public/materials/{material.pk}/sample/"
    assert second["blank_form"] is None and second["sample"] is None
    download = client.get(first["blank_form"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"blank form"
    assert [m["position"] for m in guide["materials"]] == list(range(len(guide["materials"])))


def test_unknown_item_is_404(client, demo_catalog):
    assert client.get(detail_url(999999)).status_code == 404
    assert client.get("/api/v1/items/abc/").status_code == 404
    assert client.get(versions_url(999999)).status_code == 404


def test_bundles(client, demo_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        body = client.get(reverse("api-bundle-list")).json()
    assert body["count"] == 8
    retirement = Bundle.objects.get(name="退休一件事")
    with django_assert_max_num_queries(2):
        bundle = client.get(reverse("api-bundle-detail", args=[retirement.pk])).json()
    assert bundle["name"] == "退休一件事"
    assert "退休" in bundle["aliases"]
    members = {m["name"]: m["item"] for m in bundle["members"]}
    pension = Item.objects.get(name="企业职工基本养老保险正常退休申请")
    assert members["企业职工基本养老保险正常退休申请"] == pension.pk


# --- writing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.MANAGER, Role.SUPERVISOR, Role.LIAISON, Role.APPLICANT]
)
def test_writes_are_refused_to_other_roles(client, lone_food, county_with_departments, role):
    user = UserFactory(unit=county_with_departments["county"], role=role, is_staff=True)
    client.force_login(user)
    response = post(client, ITEMS, NEW_ITEM)
    assert response.status_code == 403, response.content
    assert response.json()["detail"]
    response = patch(client, detail_url(lone_food.pk), {"reason": "试一试", "fees": "收费"})
    assert response.status_code == 403
    assert not Item.objects.filter(name="犬只登记").exists()
    assert Item.objects.get(pk=lone_food.pk).fees == "不收费"


def test_supervisors_are_told_they_only_read(client, lone_food, county_with_departments):
    client.force_login(
        UserFactory(unit=county_with_departments["county"], role=Role.SUPERVISOR, is_staff=True)
    )
    response = patch(client, detail_url(lone_food.pk), {"reason": "试一试", "fees": "收费"})
    assert response.json()["detail"] == gettext("Supervisors can view but cannot change anything.")


def test_options_describe_the_api_to_anyone(client, lone_food, county_with_departments):
    assert client.options(ITEMS).status_code == 200
    client.force_login(UserFactory(unit=county_with_departments["county"], role=Role.AGENT))
    response = client.options(ITEMS)
    assert response.status_code == 200
    assert "actions" not in response.json()  # no form to offer: the agent may not write


def test_anonymous_writes_need_a_login(client, lone_food):
    assert post(client, ITEMS, NEW_ITEM).status_code == 401
    assert patch(client, detail_url(lone_food.pk), {"reason": "x"}).status_code == 401


def test_no_delete_and_no_put(admin_client, lone_food):
    assert admin_client.delete(detail_url(lone_food.pk)).status_code == 405
    response = admin_client.put(
        detail_url(lone_food.pk), {"reason": "整体替换"}, content_type="application/json"
    )
    assert response.status_code == 405
    assert Item.objects.filter(pk=lone_food.pk, is_active=True).exists()


def test_centre_admin_creates_and_changes_an_item_with_its_versions(admin_client, demo_catalog):
    response = post(admin_client, ITEMS, NEW_ITEM)
    assert response.status_code == 201, response.content
    created = response.json()
    pk = created["id"]
    assert created["version"] == 1
    assert created["department"]["code"] == "C-ga"
    assert created["assist_tiers"] == ["county", "town"]
    assert [m["name"] for m in created["materials"]] == ["犬只登记申请表", "狂犬病免疫证明"]
    assert [s["name"] for s in created["steps"]] == ["受理", "审核"]

    response = patch(
        admin_client,
        detail_url(pk),
        {
            "reason": "压缩承诺时限",
            "promised_limit_days": 5,
            "materials": [{"name": "犬只登记申请表", "form": "original", "copies": 1}],
        },
    )
    assert response.status_code == 200, response.content
    changed = response.json()
    assert changed["version"] == 2
    assert changed["promised_limit_days"] == 5
    assert [m["name"] for m in changed["materials"]] == ["犬只登记申请表"]
    assert changed["steps"] == created["steps"]  # not sent, not changed

    versions = admin_client.get(versions_url(pk)).json()
    assert versions["count"] == 2
    newest, first = versions["results"]
    assert (newest["number"], first["number"]) == (2, 1)
    assert newest["reason"] == "压缩承诺时限"
    assert newest["changed_by"]
    assert {"field": "承诺办理时限（工作日）", "before": 10, "after": 5} in newest["diff"]
    assert {"field": "申请材料", "before": "狂犬病免疫证明", "after": None} in newest["diff"]
    # The old version stays readable, to anyone.
    old = admin_client.get(reverse("api-item-version", args=[pk, 1]))
    admin_client.logout()
    assert admin_client.get(reverse("api-item-version", args=[pk, 1])).json() == old.json()
    snapshot = old.json()["snapshot"]
    assert snapshot["promised_limit_days"] == 10
    assert [m["name"] for m in snapshot["materials"]] == ["犬只登记申请表", "狂犬病免疫证明"]
    assert admin_client.get(reverse("api-item-version", args=[pk, 3])).status_code == 404
    # The new item is searchable at once.
    assert admin_client.get(ITEMS, {"q": "狗证"}).json()["results"][0]["id"] == pk


def test_a_system_administrator_may_write(client, lone_food, county_with_departments):
    client.force_login(UserFactory(unit=county_with_departments["county"], role=Role.SYSADMIN))
    response = patch(client, detail_url(lone_food.pk), {"reason": "更正收费", "fees": "免费"})
    assert response.status_code == 200, response.content
    assert response.json()["fees"] == "免费"


def test_choices_as_codes_or_chinese_labels(admin_client, county_with_departments):
    body = NEW_ITEM | {"code": "", "item_type": "行政确认", "case_type": "即办件"}
    body |= {"promised_limit_days": 0, "target": "自然人"}
    response = post(admin_client, ITEMS, body)
    assert response.status_code == 201, response.content
    assert response.json()["item_type"] == "confirmation"
    assert response.json()["case_type"] == "immediate"
    assert response.json()["target"] == "person"


def test_a_change_needs_a_reason(admin_client, lone_food):
    for body in ({"fees": "收费"}, {"fees": "收费", "reason": " "}, {"fees": "x", "reason": 5}):
        response = patch(admin_client, detail_url(lone_food.pk), body)
        assert response.status_code == 400, response.content
        assert response.json()["field"] == "reason"
        assert response.json()["detail"] == gettext("Give the reason for this change.")
    assert post(admin_client, ITEMS, NEW_ITEM | {"reason": ""}).status_code == 400
    assert ItemVersion.objects.filter(item=lone_food).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"department": "不存在的局"}, "department"),
        ({"item_type": "magic"}, "item_type"),
        ({"promised_limit_days": "abc"}, "promised_limit_days"),
        ({"promised_limit_days": 30}, "promised_limit_days"),  # over the statutory 20
        ({"assist_tiers": ["city"]}, "assist_tiers"),
        ({"name": ""}, "name"),
        ({"is_high_frequency": True}, "is_high_frequency"),  # computed, never typed
        ({"version": 9}, "version"),
        ({"nmae": "typo"}, "nmae"),
        ({"materials": "营业执照"}, "materials"),
        ({"materials": [{"name": "其他材料"}]}, "materials-0-name"),
        ({"materials": [{"name": "表", "blank_form": "/etc/passwd"}]}, "materials-0-blank_form"),
        ({"steps": [{"time_limit_days": 1}]}, "steps-0-name"),
    ],
)
def test_invalid_writes_are_400_naming_the_field(
    admin_client, county_with_departments, change, field
):
    response = post(admin_client, ITEMS, NEW_ITEM | change)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert not Item.objects.filter(code="TEST-0001").exists()


def test_a_body_that_is_not_an_object_is_400(admin_client, county_with_departments):
    response = admin_client.post(ITEMS, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    response = admin_client.post(ITEMS, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_duplicate_code_is_400(admin_client, lone_food):
    response = post(admin_client, ITEMS, NEW_ITEM | {"code": lone_food.code})
    assert response.status_code == 400
    assert response.json()["field"] == "code"


def test_withdrawing_an_item(client, admin_client, food):
    response = patch(admin_client, detail_url(food.pk), {"reason": "事项取消", "is_active": False})
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    # Its editors still see it (to bring it back); the public no longer does.
    assert admin_client.get(detail_url(food.pk)).status_code == 200
    admin_client.logout()
    assert client.get(detail_url(food.pk)).status_code == 404
    assert FOOD not in [r["name"] for r in client.get(ITEMS, {"q": "开饭店"}).json()["results"]]
    assert client.get(ITEMS).json()["count"] == 155
    # Its change register stays open.
    assert client.get(versions_url(food.pk)).json()["count"] == 2


def test_error_messages_are_in_chinese(client, admin_client, lone_food, county_with_departments):
    """Needs the zh_Hans catalogue to carry the catalog's messages."""
    details = [
        patch(admin_client, detail_url(lone_food.pk), {"fees": "收费"}).json()["detail"],
        post(admin_client, ITEMS, NEW_ITEM | {"department": "不存在的局"}).json()["detail"],
        client.get(ITEMS, {"page_size": "abc"}).json()["detail"],
        client.get(ITEMS, {"department": "NOPE"}).json()["detail"],
    ]
    admin_client.logout()
    agent = UserFactory(unit=county_with_departments["county"], role=Role.AGENT)
    client.force_login(agent)
    details.append(post(client, ITEMS, NEW_ITEM).json()["detail"])
    client.logout()
    details.append(post(client, ITEMS, NEW_ITEM).json()["detail"])
    assert [d for d in details if not HAN.search(str(d))] == []


def test_the_schema_documents_the_catalog(client):
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/items/",
        "/api/v1/items/{id}/",
        "/api/v1/items/{id}/versions/",
        "/api/v1/items/{id}/versions/{number}/",
        "/api/v1/bundles/",
        "/api/v1/bundles/{id}/",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/items/"]) == {"get", "post"}
    assert set(paths["/api/v1/items/{id}/"]) == {"get", "patch"}
    parameters = {p["name"] for p in paths["/api/v1/items/"]["get"]["parameters"]}
    assert {"q", "department", "tier", "case_type", "page", "page_size"} <= parameters


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "犬只\x00登记"}, "name"),
        ({"reason": "新增\x00"}, "reason"),
        ({"materials": [{"name": "申请表\x00"}]}, "materials-0-name"),
    ],
)
def test_a_nul_character_in_an_item_is_a_400_not_a_database_error(
    county_with_departments, body, field
):
    """PostgreSQL refuses to store a NUL character: found by the fuzzed API, the write failed
    there with a 500 (SQLite stored it)."""
    from rest_framework.test import APIClient

    admin = APIClient()
    admin.force_authenticate(
        UserFactory(unit=county_with_departments["county"], role=Role.CENTRE_ADMIN)
    )
    response = admin.post(ITEMS, NEW_ITEM | body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    message = gettext("%(field)s cannot contain the NUL character.") % {"field": field}
    assert response.json()["detail"] == message
    assert not Item.objects.filter(code=NEW_ITEM["code"]).exists()
