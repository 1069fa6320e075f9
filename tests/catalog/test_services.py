import pytest

from bangban.catalog import services
from bangban.catalog.models import Bundle, Item, ItemVersion, Material
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.models import Event
from bangban.org.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GUIDE = {
    "code": "TEST0001",
    "name": "测试许可",
    "item_type": "行政许可",
    "department": "县市场监督管理局",
    "case_type": "承诺件",
    "statutory_limit_days": "20",
    "promised_limit_days": 10,
    "target": "法人",
    "assist_tiers": "县;乡",
    "proxy_tiers": ["county"],
    "aliases": "开小店；开门店",
}
MATERIALS = [
    {"name": "申请书", "form": "原件", "copies": 1, "required": "是"},
    {"name": "营业执照", "form": "复印件", "required": "否"},
]


def test_create_makes_version_one_with_every_value(catalog_admin):
    item = services.item_create(
        actor=catalog_admin, reason="新增事项", data=GUIDE, materials=MATERIALS
    )
    assert item.version == 1
    assert (
        item.item_type == "licensing"
        and item.case_type == "promised"
        and item.target == "organisation"
    )
    assert item.statutory_limit_days == 20 and item.promised_limit_days == 10
    assert item.assist_tiers == "county;town" and item.proxy_tiers == "county"
    assert item.aliases == "开小店\n开门店"
    assert item.implementing_body == "县市场监督管理局"
    assert [m.name for m in item.materials.all()] == ["申请书", "营业执照"]
    assert not item.materials.get(name="营业执照").required
    version = item.versions.get()
    assert version.reason == "新增事项" and version.changed_by == catalog_admin
    assert version.snapshot["materials"][0]["name"] == "申请书"
    assert Event.objects.filter(action="item.create", object_id=str(item.pk)).count() == 1


def test_update_versions_with_a_readable_diff_and_keeps_old_versions(catalog_admin):
    item = services.item_create(
        actor=catalog_admin, reason="新增事项", data=GUIDE, materials=MATERIALS
    )
    services.item_update(
        actor=catalog_admin,
        item=item,
        reason="压缩承诺时限",
        data={"promised_limit_days": 5},
        materials=[*MATERIALS, {"name": "法定代表人身份证", "form": "原件"}],
    )
    item.refresh_from_db()
    assert item.version == 2 and item.promised_limit_days == 5
    new = item.versions.get(number=2)
    # The item points at its current version (what registration records for the case).
    assert item.current_version == new
    fields = {line["field"] for line in new.diff}
    assert fields == {"承诺办理时限（工作日）", "申请材料"}
    assert {"field": "承诺办理时限（工作日）", "before": 10, "after": 5} in new.diff
    old = item.versions.get(number=1)
    assert old.snapshot["promised_limit_days"] == 10
    assert len(old.snapshot["materials"]) == 2


def test_an_update_that_changes_nothing_makes_no_version(catalog_admin):
    item = services.item_create(
        actor=catalog_admin, reason="新增事项", data=GUIDE, materials=MATERIALS
    )
    events = Event.objects.count()
    services.item_update(
        actor=catalog_admin, item=item, reason="重新导入", data=GUIDE, materials=MATERIALS
    )
    assert ItemVersion.objects.filter(item=item).count() == 1
    assert Event.objects.count() == events


def test_a_reason_is_required_and_bad_values_change_nothing(catalog_admin):
    with pytest.raises(ValidationFailed) as no_reason:
        services.item_create(actor=catalog_admin, reason=" ", data=GUIDE)
    assert no_reason.value.field == "reason"
    item = services.item_create(actor=catalog_admin, reason="新增", data=GUIDE)
    for bad, field in [
        ({"promised_limit_days": "十"}, "promised_limit_days"),
        ({"department": "不存在的局"}, "department"),
        ({"item_type": "行政许可证"}, "item_type"),
        ({"name": ""}, "name"),
        ({"promised_limit_days": 30}, "promised_limit_days"),  # longer than the statutory 20
    ]:
        with pytest.raises(ValidationFailed) as refused:
            services.item_update(actor=catalog_admin, item=item, reason="修改", data=bad)
        assert refused.value.field == field
    with pytest.raises(ValidationFailed) as vague:
        services.item_update(
            actor=catalog_admin, item=item, reason="修改", materials=[{"name": "其他材料"}]
        )
    assert vague.value.field == "materials-0-name"
    item.refresh_from_db()
    assert item.version == 1 and item.promised_limit_days == 10


def test_duplicate_codes_are_refused(catalog_admin):
    services.item_create(actor=catalog_admin, reason="新增", data=GUIDE)
    with pytest.raises(ValidationFailed) as duplicate:
        services.item_create(actor=catalog_admin, reason="新增", data=GUIDE | {"name": "另一个"})
    assert duplicate.value.field == "code"


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER, Role.SUPERVISOR, Role.LIAISON])
def test_only_centre_administrators_edit_the_catalog(county_with_departments, role):
    actor = UserFactory(unit=county_with_departments["county"], role=role)
    with pytest.raises(PermissionDenied):
        services.item_create(actor=actor, reason="新增", data=GUIDE)
    assert not Item.objects.exists()


def test_material_files_survive_an_edit_that_does_not_replace_them(catalog_admin):
    from django.core.files.base import ContentFile

    item = services.item_create(actor=catalog_admin, reason="新增", data=GUIDE, materials=MATERIALS)
    form = ContentFile(b"%PDF-1.4 blank", name="shenqingshu.pdf")
    services.item_update(
        actor=catalog_admin,
        item=item,
        reason="上传空表",
        materials=[MATERIALS[0] | {"blank_form": form}, MATERIALS[1]],
    )
    assert Material.objects.get(item=item, name="申请书").blank_form.name
    services.item_update(
        actor=catalog_admin,
        item=item,
        reason="改份数",
        materials=[MATERIALS[0] | {"copies": 2}, MATERIALS[1]],
    )
    kept = Material.objects.get(item=item, name="申请书")
    assert kept.copies == 2 and kept.blank_form.name.endswith(".pdf")


def test_bundle_links_items_by_name(catalog_admin):
    first = services.item_create(actor=catalog_admin, reason="新增", data=GUIDE)
    bundle = services.bundle_save(
        actor=catalog_admin,
        name="开店一件事",
        members=[first, "印章刻制"],
        lead_department=first.department,
    )
    members = list(bundle.members.all())
    assert [m.name for m in members] == ["测试许可", "印章刻制"]
    assert members[0].item == first and members[1].item is None
    with pytest.raises(ValidationFailed):
        services.bundle_save(actor=catalog_admin, name="单项", members=["x"])
    assert Bundle.objects.count() == 1


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        ([20, 20, 20], True),
        ([40, 0, 20], True),
        ([19, 20, 20], False),
        ([], False),
        ([0] * 12, False),
    ],
)
def test_high_frequency_is_a_monthly_average_of_twenty(months, expected):
    assert services.is_high_frequency(months) is expected


def test_high_frequency_flags_follow_the_completions(demo_catalog, catalog_admin):
    # Flags typed in a spreadsheet mean nothing: the data's 是* is not loaded.
    assert not Item.objects.filter(is_high_frequency=True).exists()
    items = list(Item.objects.order_by("pk")[:3])
    completions = {items[0].pk: [25, 30, 18], items[1].pk: [5, 6, 7]}
    changed = services.items_refresh_high_frequency(
        actor=catalog_admin, monthly_completions=completions
    )
    assert changed == [items[0].pk]
    assert Item.objects.filter(is_high_frequency=True).get() == items[0]
    assert services.items_refresh_high_frequency(actor=catalog_admin, monthly_completions={}) == [
        items[0].pk
    ]


def test_saving_an_unchanged_bundle_leaves_no_trace(catalog_admin):
    first = services.item_create(actor=catalog_admin, reason="新增", data=GUIDE)
    bundle = services.bundle_save(
        actor=catalog_admin, name="开店一件事", members=[first, "印章刻制"]
    )
    events = Event.objects.count()
    services.bundle_save(
        actor=catalog_admin, name="开店一件事", members=["测试许可", "印章刻制"], bundle=bundle
    )
    assert Event.objects.count() == events
    services.bundle_save(
        actor=catalog_admin, name="开店一件事", members=["测试许可", "公章刻制"], bundle=bundle
    )
    event = Event.objects.filter(action="bundle.save").last()
    assert event.before["members"] == ["测试许可", "印章刻制"]
    assert event.after["members"] == ["测试许可", "公章刻制"]


def test_a_department_name_two_departments_share_is_not_guessed(
    catalog_admin, county_with_departments
):
    from tests.factories import UnitFactory

    UnitFactory(
        name="县市场监督管理局",
        code="C-sj2",
        level="department",
        parent=county_with_departments["county"],
    )
    with pytest.raises(ValidationFailed) as ambiguous:
        services.item_create(actor=catalog_admin, reason="新增", data=GUIDE)
    assert ambiguous.value.field == "department"
    item = services.item_create(
        actor=catalog_admin, reason="新增", data=GUIDE | {"department": "C-sj2"}
    )
    assert item.department.code == "C-sj2"
