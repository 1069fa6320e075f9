"""Staff pages of the catalog: the list, item editing with the change register (事项变动登记表,
001 annex 5), coverage of the points against their targets, and each point's own catalog."""

import re
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from bangban.catalog import selectors, services
from bangban.catalog.fields import CHOICE_TEXT, ITEM_COLUMNS, MATERIAL_COLUMNS, STEP_COLUMNS
from bangban.catalog.forms import (
    LABELS,
    MATERIAL_LABELS,
    STEP_LABELS,
    TIER_CHOICES,
    CatalogFilterForm,
    ItemForm,
    MaterialFormSet,
    PointOfferForm,
    StepFormSet,
)
from bangban.catalog.models import Item, ItemVersion, PointOffer
from bangban.catalog.search import search_item_ids
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.org import selectors as org_selectors
from bangban.org.scoping import MANAGING_ROLES
from bangban.org.views import _form_error, staff_required

PAGE_SIZE = 50
SEARCH_LIMIT = 500
# "materials-2-name": the row and field of a service's error about a material or a step.
ROW_FIELD = re.compile(r"^(materials|steps)-(\d+)-(\w+)$")


def _can_edit(user) -> bool:
    return user.role in services.CATALOG_ROLES


# The list ----------------------------------------------------------------------------------


@staff_required
def catalog_list(request: HttpRequest) -> HttpResponse:
    form = CatalogFilterForm(request.GET or None)
    items = Item.objects.select_related("department").order_by("name", "pk")
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    if filters.get("department"):
        items = items.filter(department=filters["department"])
    if filters.get("tier"):
        tier = filters["tier"]
        items = items.filter(Q(assist_tiers__contains=tier) | Q(proxy_tiers__contains=tier))
    if filters.get("case_type"):
        items = items.filter(case_type=filters["case_type"])
    if filters.get("active") == "yes":
        items = items.filter(is_active=True)
    elif filters.get("active") == "no":
        items = items.filter(is_active=False)
    query = filters.get("q", "")
    if query:
        ranked = search_item_ids(query, limit=SEARCH_LIMIT)
        rank = {pk: n for n, pk in enumerate(ranked)}
        rows = sorted(items.filter(pk__in=ranked), key=lambda i: rank[i.pk])
    else:
        rows = items
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    tiers = dict(TIER_CHOICES)
    for item in page.object_list:
        item.assist_text = "、".join(str(tiers[t]) for t in item.tiers("assist") if t in tiers)
        item.proxy_text = "、".join(str(tiers[t]) for t in item.tiers("proxy") if t in tiers)
    return render(
        request,
        "catalog/item_list.html",
        {"form": form, "page": page, "can_edit": _can_edit(request.user), "labels": LABELS},
    )


# Editing -----------------------------------------------------------------------------------


def _material_initial(item: Item) -> list[dict]:
    return [
        {
            **{f: getattr(m, f) for f in MaterialFormSet.form.ROW_FIELDS},
            "blank_form": m.blank_form.name or None,
            "sample": m.sample.name or None,
            "pk": m.pk,
            "ORDER": n + 1,
        }
        for n, m in enumerate(item.materials.all())
    ]


def _step_initial(item: Item) -> list[dict]:
    return [
        {**{f: getattr(s, f) for f in StepFormSet.form.ROW_FIELDS}, "ORDER": n + 1}
        for n, s in enumerate(item.steps.all())
    ]


def _rows(formset) -> tuple[list[dict], list]:
    """The kept rows in their new order, and the form each came from (to put a service's
    error about row N on the right form)."""
    forms = formset.ordered_forms
    return [f.row() for f in forms], forms


def _show_error(exc: ValidationFailed, form, row_forms: dict[str, list]) -> None:
    match = ROW_FIELD.match(exc.field or "")
    if match:
        kind, index, field = match[1], int(match[2]), match[3]
        forms = row_forms.get(kind, [])
        if index < len(forms):
            target = forms[index]
            target.add_error(field if field in target.fields else None, exc.message)
            return
    _form_error(form, exc)


def _item_form_page(request: HttpRequest, item: Item | None) -> HttpResponse:
    services.require_catalog_editor(request.user)
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    initial = ItemForm.initial_for(item) if item else {"is_active": True}
    form = ItemForm(data, initial=initial)
    materials = MaterialFormSet(
        data, files, prefix="materials", initial=_material_initial(item) if item else None
    )
    steps = StepFormSet(data, prefix="steps", initial=_step_initial(item) if item else None)
    # Every form validated (not `and`): each shows its own errors at once.
    if request.method == "POST" and all([form.is_valid(), materials.is_valid(), steps.is_valid()]):
        material_rows, material_forms = _rows(materials)
        step_rows, step_forms = _rows(steps)
        arguments = {
            "actor": request.user,
            "reason": form.cleaned_data["reason"],
            "data": form.item_data(),
            "materials": material_rows,
            "steps": step_rows,
        }
        try:
            if item is None:
                saved = services.item_create(**arguments)
            else:
                before = item.version
                saved = services.item_update(item=item, **arguments)
        except ValidationFailed as exc:
            _show_error(exc, form, {"materials": material_forms, "steps": step_forms})
        else:
            if item is None:
                messages.success(request, _("The item was added to the catalog (version 1)."))
            elif saved.version == before:
                messages.info(request, _("Nothing was changed, so no new version was saved."))
            else:
                messages.success(request, _("Saved as version %(n)s.") % {"n": saved.version})
            return redirect("item-versions", pk=saved.pk)
    if request.method == "POST" and (materials.total_error_count() or steps.total_error_count()):
        form.add_error(None, _("Some materials or steps need attention: see below."))
    return render(
        request,
        "catalog/item_form.html",
        {"form": form, "materials": materials, "steps": steps, "item": item},
    )


@staff_required
def item_create(request: HttpRequest) -> HttpResponse:
    return _item_form_page(request, None)


@staff_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get(pk=pk, active_only=False)
    return _item_form_page(request, item)


# The change register -----------------------------------------------------------------------

CHOICE_HEADERS = {c.header: c.field for c in ITEM_COLUMNS if c.field in CHOICE_TEXT}
TIER_HEADERS = {c.header for c in ITEM_COLUMNS if c.kind == "tiers"}
ROW_HEADERS = {c.field: c.header for c in [*MATERIAL_COLUMNS, *STEP_COLUMNS]}
ROW_HEADERS |= {"blank_form": "空表", "sample": "样表"}


def _readable(value: Any, *, choice: str | None = None, tiers: bool = False) -> str:
    """A register cell: the value as the catalog's own Excel writes it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if choice:
        return CHOICE_TEXT.get(choice, {}).get(value, str(value))
    if tiers:
        names = dict(TIER_CHOICES)
        return "、".join(str(names.get(t, t)) for t in str(value).split(";") if t)
    if isinstance(value, list):
        return "、".join(_readable(v) for v in value)
    if isinstance(value, dict):
        parts = []
        for key, v in value.items():
            text = _readable(v, choice="form" if key == "form" else None)
            if text:
                parts.append(f"{ROW_HEADERS.get(key, key)}：{text}")
        return "；".join(parts)
    return str(value)


def _diff_rows(diff: list[dict]) -> list[dict]:
    rows = []
    for line in diff:
        field = line.get("field", "")
        before, after = line.get("before"), line.get("after")
        choice = CHOICE_HEADERS.get(field)
        tiers = field in TIER_HEADERS
        if isinstance(before, dict) and isinstance(after, dict):
            # A changed material or step: only what changed in it.
            keys = [k for k in after if before.get(k) != after.get(k)]
            before = {k: before.get(k) for k in keys}
            after = {k: after.get(k) for k in keys}
        rows.append(
            {
                "field": field,
                "before": _readable(before, choice=choice, tiers=tiers),
                "after": _readable(after, choice=choice, tiers=tiers),
            }
        )
    return rows


@staff_required
def item_versions(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get(pk=pk, active_only=False)
    versions = list(item.versions.select_related("changed_by").order_by("-number"))
    for version in versions:
        version.rows = _diff_rows(version.diff)
    return render(
        request,
        "catalog/item_versions.html",
        {"item": item, "versions": versions, "can_edit": _can_edit(request.user)},
    )


@staff_required
def item_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    item = selectors.item_get(pk=pk, active_only=False)
    version = get_object_or_404(
        ItemVersion.objects.select_related("changed_by"), item=item, number=number
    )
    snapshot = version.snapshot
    fields = []
    for column in ITEM_COLUMNS:
        fields.append(
            {
                "label": LABELS.get(column.field, column.header),
                "value": _readable(
                    snapshot.get(column.field),
                    choice=column.field if column.field in CHOICE_TEXT else None,
                    tiers=column.kind == "tiers",
                ),
            }
        )
    material_columns = [
        (c.field, MATERIAL_LABELS.get(c.field, c.header)) for c in MATERIAL_COLUMNS
    ] + [("blank_form", MATERIAL_LABELS["blank_form"]), ("sample", MATERIAL_LABELS["sample"])]
    materials = [
        [
            _readable(row.get(field), choice="form" if field == "form" else None)
            for field, _label in material_columns
        ]
        for row in snapshot.get("materials", [])
    ]
    step_columns = [(c.field, STEP_LABELS.get(c.field, c.header)) for c in STEP_COLUMNS]
    steps = [
        [_readable(row.get(f)) for f, _label in step_columns] for row in snapshot.get("steps", [])
    ]
    return render(
        request,
        "catalog/item_version.html",
        {
            "item": item,
            "version": version,
            "fields": fields,
            "material_columns": [label for _f, label in material_columns],
            "materials": materials,
            "step_columns": [label for _f, label in step_columns],
            "steps": steps,
            "is_current": version.number == item.version,
        },
    )


# Coverage and each point's catalog ---------------------------------------------------------


@staff_required
def coverage(request: HttpRequest) -> HttpResponse:
    rows = selectors.coverage(actor=request.user)
    rows.sort(key=lambda c: (c.short_by == 0, c.unit.path))
    short = [c for c in rows if c.short_by]
    by_level: dict[str, dict] = {level: {} for level in selectors.POINT_LEVELS}
    for c in rows:
        level = by_level.setdefault(c.unit.level, {})
        if not level:
            level |= {"label": c.unit.get_level_display(), "points": 0, "short": 0}
            level["target"] = c.target
        level["points"] += 1
        level["short"] += bool(c.short_by)
    return render(
        request,
        "catalog/coverage.html",
        {"rows": rows, "short_count": len(short), "levels": [v for v in by_level.values() if v]},
    )


def _point(request: HttpRequest, pk: int):
    unit = org_selectors.unit_get(actor=request.user, pk=pk)
    if unit.level not in selectors.POINT_LEVELS:
        raise Http404
    return unit


@staff_required
def point_catalog(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _point(request, pk)
    offered = selectors.items_offered(unit=unit)
    can_manage = request.user.role in MANAGING_ROLES
    choices = {
        "add": selectors.items_active().exclude(pk__in=offered.values("pk")),
        "remove": offered,
    }
    forms = (
        {action: PointOfferForm(items=qs, prefix=action) for action, qs in choices.items()}
        if can_manage
        else {}
    )
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Only point managers and administrators can do this."))
        action = request.POST.get("action", "")
        if action not in choices:
            raise ValidationFailed(_("Choose whether to add or to withdraw an item."))
        form = forms[action] = PointOfferForm(request.POST, items=choices[action], prefix=action)
        if form.is_valid():
            item = form.cleaned_data["item"]
            try:
                services.point_offer_set(
                    actor=request.user,
                    unit=unit,
                    item=item,
                    offered=action == "add",
                    reason=form.cleaned_data["reason"],
                )
            except ValidationFailed as exc:
                _form_error(form, exc)
            else:
                text = (
                    _("%(item)s is now offered here.")
                    if action == "add"
                    else _("%(item)s is no longer offered here.")
                )
                messages.success(request, text % {"item": item.name})
                return redirect("point-catalog", pk=unit.pk)
    changes = (
        PointOffer.objects.filter(unit=unit)
        .select_related("item", "changed_by")
        .order_by("-changed_at")
    )
    return render(
        request,
        "catalog/point_catalog.html",
        {
            "unit": unit,
            "items": list(offered),
            "changes": changes,
            "add_form": forms.get("add"),
            "remove_form": forms.get("remove"),
        },
    )
