"""The catalog's staff pages through the HTTP client: the list, editing with a required reason
and versions, the change register, coverage, and each point's own catalog."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from bangban.catalog import selectors, services
from bangban.catalog.forms import LABELS, ItemForm
from bangban.catalog.models import CoverageTarget, Item, PointOffer
from bangban.org.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FOOD = "食品(含保健食品)经营许可核发"


def _zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def _user(tree, role):
    unit = {
        Role.AGENT: tree["villages"][0],
        Role.LIAISON: tree["dept"],
        Role.MANAGER: tree["towns"][0],
        Role.CENTRE_ADMIN: tree["county"],
    }.get(role)
    return UserFactory(unit=unit, role=role)


def _material_rows(item: Item) -> list[dict]:
    return [
        {
            "name": m.name,
            "form": m.form,
            "copies": m.copies,
            "required": m.required,
            "source_channel": m.source_channel,
            "notes": m.notes,
        }
        for m in item.materials.all()
    ]


def _step_rows(item: Item) -> list[dict]:
    return [
        {"name": s.name, "time_limit_days": s.time_limit_days, "standard": s.standard}
        for s in item.steps.all()
    ]


def _formset(prefix: str, rows: list[dict], initial: int) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            name = f"{prefix}-{index}-{key}"
            if value is True:
                data[name] = "on"
            elif value in (False, None):
                continue
            else:
                data[name] = value
    return data


def form_data(item: Item | None, *, reason="依据新规调整", materials=None, steps=None, **fields):
    """What the edit page posts: the item as it is, with `fields` changed."""
    data: dict = {}
    initial = ItemForm.initial_for(item) if item else {"target": "person", "is_active": True}
    for name, value in {**initial, **fields}.items():
        if value is True:
            data[name] = "on"
        elif value in (False, None):
            continue
        else:
            data[name] = value
    data["reason"] = reason
    current_materials = _material_rows(item) if item else []
    current_steps = _step_rows(item) if item else []
    materials = current_materials if materials is None else materials
    steps = current_steps if steps is None else steps
    data |= _formset("materials", materials, len(current_materials))
    data |= _formset("steps", steps, len(current_steps))
    return data


@pytest.fixture
def food(demo_catalog):
    return Item.objects.get(name=FOOD)


# The list --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        Role.AGENT,
        Role.LIAISON,
        Role.MANAGER,
        Role.CENTRE_ADMIN,
        Role.SUPERVISOR,
        Role.SYSADMIN,
    ],
)
def test_every_staff_role_sees_the_list_and_only_admins_get_the_new_button(
    client, demo_catalog, role, django_assert_max_num_queries
):
    client.force_login(_user(demo_catalog, role))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("catalog-list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('/versions/">') == 50  # the first page of 156 items
    admin = role in (Role.CENTRE_ADMIN, Role.SYSADMIN)
    assert ('data-testid="item-new"' in page) == admin
    assert ("/edit/" in page) == admin


def test_applicants_and_strangers_are_refused_the_list(client, demo_catalog):
    response = client.get(reverse("catalog-list"))
    assert response.status_code == 302 and "/login/" in response.url
    client.force_login(UserFactory(unit=None, role=Role.APPLICANT))
    assert client.get(reverse("catalog-list")).status_code == 403


def test_list_filters_and_searches(client, demo_catalog, food, catalog_admin):
    client.force_login(catalog_admin)
    page = client.get(reverse("catalog-list"), {"q": "开饭店"}).content.decode()
    rows = re.findall(r'href="/catalog/items/(\d+)/versions/"', page)
    assert rows[0] == str(food.pk)

    department = food.department
    page = client.get(reverse("catalog-list"), {"department": department.pk}).content.decode()
    listed = {int(pk) for pk in re.findall(r'href="/catalog/items/(\d+)/versions/"', page)}
    assert listed == set(Item.objects.filter(department=department).values_list("pk", flat=True))

    page = client.get(reverse("catalog-list"), {"tier": "village"}).content.decode()
    listed = {int(pk) for pk in re.findall(r'href="/catalog/items/(\d+)/versions/"', page)}
    villages = {i.pk for i in Item.objects.all() if i.offered_at("village")}
    assert listed and listed <= villages

    services.item_update(actor=catalog_admin, item=food, reason="取消", data={"is_active": False})
    page = client.get(reverse("catalog-list"), {"active": "no"}).content.decode()
    assert re.findall(r'href="/catalog/items/(\d+)/versions/"', page) == [str(food.pk)]
    page = client.get(reverse("catalog-list"), {"case_type": "promised"}).content.decode()
    listed = {int(pk) for pk in re.findall(r'href="/catalog/items/(\d+)/versions/"', page)}
    promised = set(Item.objects.filter(case_type="promised").values_list("pk", flat=True))
    assert 0 < len(promised) <= 50 and listed == promised


def test_list_pages_keep_the_filters(client, demo_catalog, catalog_admin):
    client.force_login(catalog_admin)
    page = client.get(reverse("catalog-list"), {"active": "yes"}).content.decode()
    assert "?active=yes&amp;page=2" in page


# Editing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER, Role.SUPERVISOR, Role.LIAISON])
def test_only_centre_administrators_edit(client, demo_catalog, food, role):
    client.force_login(_user(demo_catalog, role))
    url = reverse("item-edit", args=[food.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(food, promised_limit_days=5)).status_code == 403
    assert client.get(reverse("item-create")).status_code == 403
    food.refresh_from_db()
    assert food.version == 1 and food.promised_limit_days == 20


def test_edit_page_shows_every_guide_field_the_materials_and_the_reason(
    client, food, catalog_admin
):
    client.force_login(catalog_admin)
    page = client.get(reverse("item-edit", args=[food.pk])).content.decode()
    for name in ItemForm.DATA_FIELDS:
        assert f'name="{name}"' in page, name
    assert 'name="reason"' in page
    assert f'value="{food.materials.first().name}"' in page
    assert 'name="materials-TOTAL_FORMS"' in page and 'name="steps-TOTAL_FORMS"' in page
    # The department list holds departments only.
    options = re.search(r'<select name="department".*?</select>', page, re.S)[0]
    assert food.department.name in options and demo_catalog_town(food) not in options


def demo_catalog_town(item):
    from bangban.org.models import Level, Unit

    return Unit.objects.filter(level=Level.TOWN).first().name


def test_a_change_without_a_reason_is_refused_and_nothing_is_saved(client, food, catalog_admin):
    client.force_login(catalog_admin)
    response = client.post(
        reverse("item-edit", args=[food.pk]), form_data(food, reason="", promised_limit_days=5)
    )
    assert response.status_code == 200
    assert 'data-field="reason"' in response.content.decode()
    # A reason too short for the service is refused on the same field.
    response = client.post(
        reverse("item-edit", args=[food.pk]), form_data(food, reason="改", promised_limit_days=5)
    )
    assert 'data-field="reason"' in response.content.decode()
    food.refresh_from_db()
    assert food.version == 1 and food.promised_limit_days == 20
    assert food.versions.count() == 1


def test_an_edit_saves_version_two_with_its_diff_and_the_old_version_stays_readable(
    client, food, catalog_admin
):
    client.force_login(catalog_admin)
    response = client.post(
        reverse("item-edit", args=[food.pk]),
        form_data(food, reason="压缩承诺时限", promised_limit_days=10, fees="免费"),
    )
    assert response.status_code == 302
    assert response.url == reverse("item-versions", args=[food.pk])
    food.refresh_from_db()
    assert food.version == 2 and food.promised_limit_days == 10 and food.fees == "免费"
    # Materials were posted unchanged: they are kept as they were.
    assert food.materials.count() == 8

    page = client.get(response.url).content.decode()
    v2 = re.search(r'<tr data-version="2">.*?</tr>\s*</tbody>\s*</table>', page, re.S)[0]
    assert "压缩承诺时限" in v2 and str(catalog_admin) in v2
    diff = re.findall(
        r'<tr><th scope="row" class="fw-normal">([^<]+)</th>'
        r'<td class="diff-before">([^<]*)</td><td class="diff-after">([^<]*)</td></tr>',
        v2,
    )
    assert ("承诺办理时限（工作日）", "20", "10") in diff
    assert ("收费信息", "不收费", "免费") in diff
    assert '<tr data-version="1">' in page

    old = client.get(reverse("item-version", args=[food.pk, 1])).content.decode()
    assert 'data-testid="old-version"' in old
    row = re.search(
        rf"<th scope=\"row\">{_zh(LABELS['promised_limit_days'])}</th><td>([^<]*)</td>", old
    )
    assert row[1] == "20"
    current = client.get(reverse("item-version", args=[food.pk, 2])).content.decode()
    assert 'data-testid="old-version"' not in current
    assert client.get(reverse("item-version", args=[food.pk, 9])).status_code == 404


def test_nothing_changed_saves_no_version(client, food, catalog_admin):
    client.force_login(catalog_admin)
    response = client.post(reverse("item-edit", args=[food.pk]), form_data(food))
    assert response.status_code == 302
    food.refresh_from_db()
    assert food.version == 1


def test_a_guide_error_from_the_service_shows_on_its_field(client, food, catalog_admin):
    client.force_login(catalog_admin)
    response = client.post(
        reverse("item-edit", args=[food.pk]),
        form_data(food, statutory_limit_days=5, promised_limit_days=10),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="promised_limit_days"' in page
    food.refresh_from_db()
    assert food.version == 1


def test_materials_are_added_removed_and_reordered(client, food, catalog_admin):
    client.force_login(catalog_admin)
    rows = _material_rows(food)
    names = [r["name"] for r in rows]
    for order, row in enumerate(rows, start=1):
        row["ORDER"] = order
    rows[1]["DELETE"] = True  # drop 营业执照
    rows[0]["ORDER"] = 20  # the application form goes last
    new = {"name": "食品安全承诺书", "form": "original", "copies": 1, "required": True}
    steps = [
        {"name": "受理", "time_limit_days": 1, "ORDER": 1},
        {"name": "审核", "time_limit_days": 10, "ORDER": 2},
    ]
    response = client.post(
        reverse("item-edit", args=[food.pk]),
        form_data(food, reason="按新办法调整材料", materials=[*rows, new], steps=steps),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    food.refresh_from_db()
    now = [m.name for m in food.materials.all()]
    assert names[1] not in now
    # Rows in their new order; the new row, without a number, last.
    assert now == [*names[2:], names[0], "食品安全承诺书"]
    assert [s.name for s in food.steps.all()] == ["受理", "审核"]
    page = client.get(reverse("item-versions", args=[food.pk])).content.decode()
    assert "食品安全承诺书" in page and names[1] in page


def test_a_material_error_shows_on_that_row(client, food, catalog_admin):
    client.force_login(catalog_admin)
    rows = _material_rows(food)
    bad = {"name": "其他材料", "required": True}
    response = client.post(
        reverse("item-edit", args=[food.pk]), form_data(food, materials=[*rows, bad])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-field="materials-{len(rows)}-name"' in page
    food.refresh_from_db()
    assert food.version == 1


def test_blank_forms_are_uploaded_and_kept_when_not_uploaded_again(
    client, food, catalog_admin, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(catalog_admin)
    rows = _material_rows(food)
    data = form_data(food, reason="上传空表", materials=rows)
    data["materials-0-blank_form"] = SimpleUploadedFile("申请书.docx", b"blank")
    assert client.post(reverse("item-edit", args=[food.pk]), data).status_code == 302
    first = food.materials.order_by("position").first()
    assert first.blank_form and first.blank_form.read() == b"blank"
    # Rename it without uploading again: the file stays with the row.
    rows = _material_rows(food)
    rows[0]["name"] = "食品经营许可申请书"
    response = client.post(
        reverse("item-edit", args=[food.pk]),
        form_data(food, reason="规范材料名称", materials=rows),
    )
    assert response.status_code == 302
    renamed = food.materials.get(name="食品经营许可申请书")
    assert renamed.blank_form.name == first.blank_form.name
    # And removed on request.
    rows = _material_rows(food)
    data = form_data(food, reason="删除过期空表", materials=rows)
    data["materials-0-blank_form_clear"] = "on"
    assert client.post(reverse("item-edit", args=[food.pk]), data).status_code == 302
    assert not food.materials.get(name="食品经营许可申请书").blank_form


def test_a_new_item_starts_at_version_one(client, demo_catalog, catalog_admin):
    client.force_login(catalog_admin)
    department = demo_catalog["dept"]
    data = form_data(
        None,
        reason="新增事项",
        name="测试新增事项",
        department=department.pk,
        case_type="promised",
        promised_limit_days=5,
        assist_tiers=["county", "town"],
        materials=[{"name": "申请表", "required": True}],
        steps=[{"name": "受理"}],
    )
    response = client.post(reverse("item-create"), data)
    assert response.status_code == 302
    item = Item.objects.get(name="测试新增事项")
    assert item.version == 1 and item.department == department
    assert item.assist_tiers == "county;town"
    assert [m.name for m in item.materials.all()] == ["申请表"]
    assert item.versions.get().reason == "新增事项"


# Coverage and the points' catalogs -------------------------------------------------------


def test_coverage_lists_the_points_below_target_first(client, demo_catalog, catalog_admin):
    CoverageTarget.objects.update_or_create(level="village", defaults={"minimum": 50})
    CoverageTarget.objects.update_or_create(level="town", defaults={"minimum": 1})
    client.force_login(catalog_admin)
    page = client.get(reverse("catalog-coverage")).content.decode()
    rows = re.findall(r'<tr class="([^"]*)" data-unit="([^"]+)" data-short="(\d+)">', page)
    codes = [code for _cls, code, _short in rows]
    expected = {u.code for u in [demo_catalog["county"], *demo_catalog["towns"]]}
    expected |= {u.code for u in demo_catalog["villages"]}
    assert set(codes) == expected
    for cls, _code, short in rows:
        assert ("table-danger" in cls) == (short != "0")
    shorts = [short != "0" for _cls, _code, short in rows]
    assert shorts == sorted(shorts, reverse=True)  # below target first
    village_items = sum(1 for i in Item.objects.filter(is_active=True) if i.offered_at("village"))
    assert any(short != "0" for *_x, short in rows) == (village_items < 50)


def test_coverage_is_scoped(client, demo_catalog):
    manager = UserFactory(unit=demo_catalog["towns"][1], role=Role.MANAGER)
    client.force_login(manager)
    page = client.get(reverse("catalog-coverage")).content.decode()
    codes = set(re.findall(r'data-unit="([^"]+)"', page))
    assert codes == {"C2", "C2-1", "C2-2"}


def test_a_manager_adds_and_withdraws_items_at_a_point_with_a_reason(client, demo_catalog, food):
    village = demo_catalog["villages"][0]
    manager = UserFactory(unit=demo_catalog["towns"][0], role=Role.MANAGER)
    client.force_login(manager)
    url = reverse("point-catalog", args=[village.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="offer-add"' in page
    assert f'data-item="{food.pk}"' not in page  # a county item

    refused = client.post(url, {"action": "add", "add-item": food.pk, "add-reason": ""})
    assert refused.status_code == 200 and not PointOffer.objects.exists()
    response = client.post(
        url, {"action": "add", "add-item": food.pk, "add-reason": "村代办员经培训可代办"}
    )
    assert response.status_code == 302
    assert food in selectors.items_offered(unit=village)
    page = client.get(url).content.decode()
    assert f'data-item="{food.pk}"' in page and "村代办员经培训可代办" in page

    response = client.post(
        url, {"action": "remove", "remove-item": food.pk, "remove-reason": "人员调整暂停代办"}
    )
    assert response.status_code == 302
    assert food not in selectors.items_offered(unit=village)
    assert PointOffer.objects.get(unit=village, item=food).reason == "人员调整暂停代办"


def test_points_outside_the_managers_area_are_404_and_readers_cannot_change(
    client, demo_catalog, food
):
    village = demo_catalog["villages"][0]  # in town 1
    client.force_login(UserFactory(unit=demo_catalog["towns"][1], role=Role.MANAGER))
    url = reverse("point-catalog", args=[village.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            url, {"action": "add", "add-item": food.pk, "add-reason": "越权添加"}
        ).status_code
        == 404
    )
    # The village's own agent may look, not change.
    client.force_login(UserFactory(unit=village, role=Role.AGENT))
    page = client.get(url).content.decode()
    assert 'data-testid="offer-add"' not in page
    assert (
        client.post(
            url, {"action": "add", "add-item": food.pk, "add-reason": "越权添加"}
        ).status_code
        == 403
    )
    assert not PointOffer.objects.exists()
    # A department is not a service point.
    client.force_login(UserFactory(unit=demo_catalog["county"], role=Role.CENTRE_ADMIN))
    assert client.get(reverse("point-catalog", args=[demo_catalog["dept"].pk])).status_code == 404
