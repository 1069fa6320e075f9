"""The public catalog: search, the guide of each item (办事指南, 002 第十二条) with its QR code
(第十四条), the bundles (一件事一次办), and the materials' blank forms and samples."""

import re
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import PurePosixPath

from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.catalog import selectors
from bangban.catalog.forms import GUIDE_ELEMENTS, LABELS, MATERIAL_LABELS, STEP_LABELS, TIER_CHOICES
from bangban.catalog.models import CaseType, Item, Material
from bangban.catalog.search import search_catalog
from bangban.core.calendar import CalendarNotCovered, add_working_days, format_date
from bangban.org import selectors as org_selectors
from bangban.org.models import Agent, Level, Unit
from bangban.portal.qr import qr_svg

SEARCH_LIMIT = 30
# The first telephone number in a consultation text ("咨询电话：0914-6321001"), for tap-to-call.
PHONE = re.compile(r"\+?\d[\d-]{5,}\d")


def catalog_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    context: dict = {"q": query}
    if query:
        hits = search_catalog(query, limit=SEARCH_LIMIT)
        items = {
            i.pk: i
            for i in selectors.items_active().filter(
                pk__in=[h.pk for h in hits if h.kind == "item"]
            )
        }
        results = []
        for hit in hits:
            if hit.kind == "item":
                item = items.get(hit.pk)
                if item is None:
                    continue
                url = reverse("guide", args=[hit.pk])
                detail = item.department.name if item.department_id else item.implementing_body
            else:
                url, detail = reverse("bundle-guide", args=[hit.pk]), _("Bundle: apply once")
            results.append({"hit": hit, "url": url, "detail": detail})
        context["results"] = results
    else:
        # Items without a department (published by another body) come last, on every database.
        active = selectors.items_active().order_by(
            F("department__path").asc(nulls_last=True), "name", "pk"
        )
        groups = [
            {
                "title": department.name if department else _("Other implementing bodies"),
                "items": list(members),
            }
            for department, members in groupby(active, key=lambda i: i.department)
        ]
        context["groups"] = groups
        context["bundles"] = selectors.bundles_active()
    return render(request, "portal/catalog_search.html", context)


@dataclass
class PointBlock:
    """A point on the guide page; a town's villages are folded under it."""

    unit: Unit | None
    title: str
    agents: list[Agent] = field(default_factory=list)
    villages: list[tuple[Unit, list[Agent]]] = field(default_factory=list)


def _agents_by_unit(units: list[Unit]) -> dict[int, list[Agent]]:
    """The public rosters of the listed points, grouped by point (one query)."""
    agents = (
        org_selectors.rosters_public(units=units)
        .only("pk", "name", "public_phone", "service_hours", "unit_id")
        .order_by("unit_id", "name", "pk")
    )
    result: dict[int, list[Agent]] = {}
    for agent in agents:
        result.setdefault(agent.unit_id, []).append(agent)
    return result


def _point_blocks(item: Item) -> tuple[list[PointBlock], int]:
    """County and town points in full; villages grouped under their town (there may be
    hundreds). Two queries whatever the number of points."""
    units = list(selectors.points_offering(item=item))
    agents = _agents_by_unit(units)
    blocks: list[PointBlock] = []
    by_town: dict[int, PointBlock] = {}
    for unit in units:
        if unit.level == Level.VILLAGE:
            block = by_town.get(unit.parent_id)
            if block is None:
                # The town itself does not offer the item; its villages still need a heading.
                parent = unit.parent
                block = PointBlock(unit=None, title=parent.name if parent else "")
                by_town[unit.parent_id] = block
                blocks.append(block)
            block.villages.append((unit, agents.get(unit.pk, [])))
        else:
            block = PointBlock(unit=unit, title=unit.name, agents=agents.get(unit.pk, []))
            if unit.level == Level.TOWN:
                by_town[unit.pk] = block
            blocks.append(block)
    return blocks, len(units)


def _expected(item: Item) -> dict:
    """The promised limit counted from today on the working-day calendar."""
    days = item.promised_limit_days
    if item.case_type == CaseType.IMMEDIATE or days == 0:
        return {"kind": "immediate"}
    if days is None:
        return {"kind": "unpublished"}
    try:
        due = add_working_days(timezone.localdate(), days)
    except CalendarNotCovered as exc:
        # The public is told what it needs; the administrators' instructions stay in the staff
        # pages and the API.
        message = _(
            "The official holiday schedule of %(year)s has not been entered yet; the time limit "
            "is %(days)s working days, and weekends and holidays are not counted."
        ) % {"year": exc.year, "days": days}
        return {"kind": "uncovered", "message": message, "days": days}
    return {"kind": "due", "date": format_date(due.due_date), "days": days}


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _days_text(days: int | None) -> str:
    if days is None:
        return ""
    return _("%(days)s working days") % {"days": days}


def _tiers_text(item: Item, kind: str) -> str:
    names = dict(TIER_CHOICES)
    return "、".join(str(names[t]) for t in item.tiers(kind) if t in names)


def guide_elements(item: Item, *, materials: int, steps: int) -> list[dict]:
    """The 18 elements of 002 第十二条 in order: (key, label, text). Materials and process are
    tables of their own further down; their rows here point to them."""
    values = {
        "name": item.name,
        "item_type": item.get_item_type_display() if item.item_type else "",
        "implementing_body": item.implementing_body
        or (item.department.name if item.department_id else ""),
        "case_type": item.get_case_type_display() if item.case_type else "",
        "statutory_limit_days": _days_text(item.statutory_limit_days),
        "promised_limit_days": _days_text(item.promised_limit_days),
        "exercise_level": item.exercise_level,
        "target": item.get_target_display() if item.target else "",
        "legal_basis": item.legal_basis,
        "conditions": item.conditions,
        "materials": _("%(count)s materials, listed below") % {"count": materials}
        if materials
        else "",
        "fees": item.fees,
        "process": _("%(count)s steps, listed below") % {"count": steps} if steps else "",
        "result": item.result,
        "address": item.address,
        "hours": item.hours,
        "consultation_phone": item.consultation_phone,
        "complaint_channel": item.complaint_channel,
    }
    anchors = {"materials": "#materials", "process": "#process"}
    phone = PHONE.search(item.consultation_phone)
    return [
        {
            "key": key,
            "label": LABELS[key],
            "value": values[key],
            "anchor": anchors.get(key),
            "tel": phone[0] if key == "consultation_phone" and phone else None,
        }
        for key in GUIDE_ELEMENTS
    ]


def guide(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get(pk=pk)
    materials = list(item.materials.all())
    steps = list(item.steps.all())
    blocks, point_count = _point_blocks(item)
    bundles = [
        m.bundle
        for m in item.bundle_memberships.filter(bundle__is_active=True)
        .select_related("bundle")
        .order_by("bundle__name")
    ]
    url = request.build_absolute_uri(reverse("guide", args=[item.pk]))
    catalog_flags = [
        (LABELS["assist_tiers"], _tiers_text(item, "assist")),
        (LABELS["proxy_tiers"], _tiers_text(item, "proxy")),
        (LABELS["in_four_level_list"], _yes_no(item.in_four_level_list)),
        (LABELS["on_integrated_platform"], _yes_no(item.on_integrated_platform)),
        (LABELS["at_most_one_visit"], _yes_no(item.at_most_one_visit)),
        (LABELS["is_high_frequency"], _yes_no(item.is_high_frequency)),
    ]
    return render(
        request,
        "portal/guide.html",
        {
            "item": item,
            "elements": guide_elements(item, materials=len(materials), steps=len(steps)),
            "catalog_flags": catalog_flags,
            "materials": materials,
            "material_labels": MATERIAL_LABELS,
            "steps": steps,
            "step_labels": STEP_LABELS,
            "bundles": bundles,
            "blocks": blocks,
            "point_count": point_count,
            "expected": _expected(item),
            "page_url": url,
            "qr": qr_svg(url, label=_("QR code of this guide: %(url)s") % {"url": url}),
            "print_view": request.GET.get("print") == "1",
        },
    )


def bundle_guide(request: HttpRequest, pk: int) -> HttpResponse:
    bundle = get_object_or_404(selectors.bundles_active(), pk=pk)
    members = [
        {"name": m.name, "item": m.item if m.item_id and m.item.is_active else None}
        for m in bundle.members.all()
    ]
    url = request.build_absolute_uri(reverse("bundle-guide", args=[bundle.pk]))
    return render(
        request,
        "portal/bundle_guide.html",
        {
            "bundle": bundle,
            "members": members,
            "page_url": url,
            "qr": qr_svg(url, label=_("QR code of this page: %(url)s") % {"url": url}),
        },
    )


def material_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """A material's blank form or sample, for download. Served here because only the
    agents' photos are published under /media/."""
    if kind not in ("blank_form", "sample"):
        raise Http404
    material = get_object_or_404(
        Material.objects.select_related("item").filter(item__is_active=True), pk=pk
    )
    file = getattr(material, kind)
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=PurePosixPath(file.name).name)
