import pytest

from bangban.catalog.models import Bundle, Item, ItemVersion, Material
from bangban.core.events import events_verify

pytestmark = pytest.mark.django_db


def test_the_real_data_loads_through_the_services(demo_catalog):
    assert Item.objects.count() == 156
    assert Material.objects.count() == 136
    assert Bundle.objects.count() == 8
    # Every item starts at version 1, with its reason on record.
    assert ItemVersion.objects.filter(number=1).count() == 156
    assert events_verify().ok


def test_values_from_the_data(demo_catalog):
    company = Item.objects.get(code="511A0064100070")
    assert company.name == "公司设立登记"
    assert company.item_type == "licensing"
    assert company.department.name == "县行政审批服务局"
    assert company.assist_tiers == "county" and company.proxy_tiers == "county"
    food = Item.objects.get(name="食品(含保健食品)经营许可核发")
    assert food.promised_limit_days == 20  # "20" in the data
    assert food.materials.count() >= 5
    # Inferred values ("承诺件*") are taken without their star.
    assert food.case_type == "promised"
    # The data's README: 15 items reach the village tier, 30 the town tier.
    reach = [i for i in Item.objects.all() if i.offered_at("village")]
    assert len(reach) == 15
    assert len([i for i in Item.objects.all() if i.offered_at("town")]) == 30


def test_bundles_link_catalog_items(demo_catalog):
    retirement = Bundle.objects.get(name="退休一件事")
    names = list(retirement.members.values_list("item__name", flat=True))
    assert "企业职工基本养老保险正常退休申请" in names
    assert all(member.item_id for member in retirement.members.all())
