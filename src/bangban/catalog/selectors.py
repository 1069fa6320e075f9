"""Reads of the catalog. The catalog itself is public; what a point offers follows from its
tier and its own additions and removals."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from bangban.catalog.models import Bundle, BundleMember, CoverageTarget, Item, PointOffer
from bangban.org.models import Level, Unit
from bangban.org.scoping import scope_by_unit

POINT_LEVELS = (Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.OUTLET)


def tier_of(unit: Unit) -> str:
    """The tier whose catalog a point follows: an outlet serves like the point it belongs to."""
    if unit.level == Level.OUTLET and unit.parent_id:
        return unit.parent.level
    return unit.level


def tier_q(level: str) -> Q:
    """Items assisted or proxied at a tier."""
    return Q(assist_tiers__contains=level) | Q(proxy_tiers__contains=level)


def items_active() -> QuerySet[Item]:
    return Item.objects.filter(is_active=True).select_related("department")


def item_get(*, pk: int, active_only: bool = True) -> Item:
    qs = Item.objects.select_related("department").prefetch_related("materials", "steps")
    if active_only:
        qs = qs.filter(is_active=True)
    return get_object_or_404(qs, pk=pk)


def items_offered(*, unit: Unit) -> QuerySet[Item]:
    """What a point offers: its tier's items, plus its additions, minus its removals."""
    offers = PointOffer.objects.filter(unit=unit)
    added = offers.filter(offered=True).values("item_id")
    removed = offers.filter(offered=False).values("item_id")
    return (
        items_active()
        .filter(tier_q(tier_of(unit)) | Q(pk__in=added))
        .exclude(pk__in=removed)
        .order_by("name", "pk")
    )


def points_offering(*, item: Item) -> QuerySet[Unit]:
    """The active service points that offer an item, in tree order."""
    tiers = set(item.tiers("assist")) | set(item.tiers("proxy"))
    offers = PointOffer.objects.filter(item=item)
    by_tier = Q(level__in=tiers) | Q(level=Level.OUTLET, parent__level__in=tiers)
    return (
        Unit.objects.filter(is_active=True, level__in=POINT_LEVELS)
        .filter(by_tier | Q(pk__in=offers.filter(offered=True).values("unit_id")))
        .exclude(pk__in=offers.filter(offered=False).values("unit_id"))
        .select_related("parent")
        .order_by("path")
    )


@dataclass(frozen=True)
class Coverage:
    unit: Unit
    offered: int
    target: int

    @property
    def short_by(self) -> int:
        return max(0, self.target - self.offered)


def coverage(*, actor) -> list[Coverage]:
    """Items offered by every point the actor may see, against its tier's target. Counted with
    three queries whatever the number of points."""
    units = list(
        scope_by_unit(Unit.objects.filter(level__in=POINT_LEVELS, is_active=True), actor, "path")
        .select_related("parent")
        .order_by("path")
    )
    targets = dict(CoverageTarget.objects.values_list("level", "minimum"))
    active = list(items_active().values_list("pk", "assist_tiers", "proxy_tiers"))
    tier_items: dict[str, set[int]] = {
        level: set() for level in (Level.COUNTY, Level.TOWN, Level.VILLAGE)
    }
    for pk, assist, proxy in active:
        for level in set(assist.split(";")) | set(proxy.split(";")):
            if level in tier_items:
                tier_items[level].add(pk)
    active_ids = {pk for pk, _a, _p in active}
    by_pk = {unit.pk: unit for unit in units}
    delta: Counter[int] = Counter()
    for unit_id, item_id, offered in PointOffer.objects.filter(
        unit__in=units, item_id__in=active_ids
    ).values_list("unit_id", "item_id", "offered"):
        tier_set = tier_items.get(tier_of(by_pk[unit_id]), set())
        if offered and item_id not in tier_set:
            delta[unit_id] += 1
        elif not offered and item_id in tier_set:
            delta[unit_id] -= 1
    result = []
    for unit in units:
        tier = tier_of(unit)
        count = len(tier_items.get(tier, ())) + delta[unit.pk]
        result.append(Coverage(unit=unit, offered=count, target=targets.get(tier, 0)))
    return result


def bundles_active() -> QuerySet[Bundle]:
    return (
        Bundle.objects.filter(is_active=True)
        .select_related("lead_department")
        .prefetch_related(Prefetch("members", queryset=BundleMember.objects.select_related("item")))
    )
