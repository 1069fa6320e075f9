import pytest

from bangban.catalog import selectors, services
from bangban.catalog.models import Item
from bangban.org.models import Role
from tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_points_offer_their_tiers_items_plus_additions_minus_removals(demo_catalog, catalog_admin):
    village = demo_catalog["villages"][0]
    offered = set(selectors.items_offered(unit=village))
    assert offered == {i for i in Item.objects.all() if i.offered_at("village")}
    county_only = Item.objects.get(code="511A0064100070")
    village_item = next(iter(offered))
    manager = UserFactory(unit=demo_catalog["towns"][0], role=Role.MANAGER)
    services.point_offer_set(
        actor=manager, unit=village, item=county_only, offered=True, reason="村代办员经培训可代办"
    )
    services.point_offer_set(
        actor=manager, unit=village, item=village_item, offered=False, reason="暂无人员"
    )
    now = set(selectors.items_offered(unit=village))
    assert now == (offered | {county_only}) - {village_item}
    assert village in selectors.points_offering(item=county_only)
    assert village not in selectors.points_offering(item=village_item)


def test_point_offers_are_scoped(demo_catalog):
    manager = UserFactory(unit=demo_catalog["towns"][1], role=Role.MANAGER)
    from bangban.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.point_offer_set(
            actor=manager,
            unit=demo_catalog["villages"][0],
            item=Item.objects.first(),
            offered=True,
            reason="越权",
        )


def test_coverage_against_targets(demo_catalog, catalog_admin, django_assert_max_num_queries):
    outlet = UnitFactory(
        name="农商银行网点", code="C1-B", level="outlet", parent=demo_catalog["towns"][0]
    )
    with django_assert_max_num_queries(4):
        rows = {row.unit.code: row for row in selectors.coverage(actor=catalog_admin)}
    assert rows["C1"].offered == 30 and rows["C1"].target == 80 and rows["C1"].short_by == 50
    assert rows["C1-1"].offered == 15 and rows["C1-1"].target == 50
    # An outlet follows the catalog of the point it belongs to.
    assert rows[outlet.code].offered == 30
    services.coverage_target_set(actor=catalog_admin, level="village", minimum=10)
    rows = {row.unit.code: row for row in selectors.coverage(actor=catalog_admin)}
    assert rows["C1-1"].short_by == 0


def test_coverage_is_scoped_to_the_actor(demo_catalog):
    manager = UserFactory(unit=demo_catalog["towns"][0], role=Role.MANAGER)
    codes = {row.unit.code for row in selectors.coverage(actor=manager)}
    assert codes == {"C1", "C1-1", "C1-2"}


def test_coverage_targets_are_edited_in_the_admin(client, demo_catalog, catalog_admin):
    from django.urls import reverse

    from bangban.catalog.models import CoverageTarget
    from bangban.core.models import Event

    client.force_login(catalog_admin)
    target = CoverageTarget.objects.get(level="town")
    response = client.post(
        reverse("admin:catalog_coveragetarget_change", args=[target.pk]), {"minimum": 30}
    )
    assert response.status_code == 302
    assert CoverageTarget.objects.get(level="town").minimum == 30
    assert Event.objects.filter(action="coverage_target.set").exists()
    rows = {row.unit.code: row for row in selectors.coverage(actor=catalog_admin)}
    assert rows["C1"].short_by == 0
