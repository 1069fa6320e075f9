"""Writes of the catalog. Every change to an item is a new version (事项变动登记) with who,
when, why and a readable diff; bundles, point offers and coverage targets leave events."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from bangban.catalog.fields import ITEM_COLUMNS, MATERIAL_COLUMNS, STEP_COLUMNS
from bangban.catalog.models import (
    Bundle,
    BundleMember,
    CoverageTarget,
    Item,
    ItemVersion,
    Material,
    PointOffer,
    ProcessStep,
)
from bangban.catalog.validation import (
    Departments,
    clean_item,
    clean_material,
    clean_step,
    cross_check,
)
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.org.models import Level, Role, Unit
from bangban.org.scoping import MANAGING_ROLES, in_scope

CATALOG_ROLES = {Role.CENTRE_ADMIN, Role.SYSADMIN}
# 001 annex 5: an item is high-frequency when it averages 20 or more completions a month.
HIGH_FREQUENCY_MONTHLY = 20
MATERIAL_FIELDS = [c.field for c in MATERIAL_COLUMNS] + ["blank_form", "sample"]
STEP_FIELDS = [c.field for c in STEP_COLUMNS]


def require_catalog_editor(actor) -> None:
    if actor is None:
        return
    if actor.role == Role.SUPERVISOR:
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))
    if actor.role not in CATALOG_ROLES:
        raise PermissionDenied(_("Only centre administrators can change the catalog."))


def _first_error(errors: Mapping[str, str], prefix: str = "") -> None:
    if errors:
        field, message = next(iter(errors.items()))
        raise ValidationFailed(message, field=f"{prefix}{field}")


def _clean_rows(rows: Sequence[Mapping[str, Any]], cleaner, prefix: str) -> list[dict[str, Any]]:
    result = []
    for index, row in enumerate(rows):
        clean, errors = cleaner(row)
        _first_error(errors, f"{prefix}-{index}-")
        for extra in ("blank_form", "sample"):
            if extra in row:
                clean[extra] = row[extra]
        result.append(clean)
    return result


def item_snapshot(item: Item) -> dict[str, Any]:
    """The whole guide as plain data: what a version keeps."""
    data = {}
    for column in ITEM_COLUMNS:
        value = getattr(item, column.field)
        data[column.field] = value.name if column.field == "department" and value else value
    data["department_code"] = item.department.code if item.department_id else None
    data["materials"] = [
        {
            f: (str(getattr(m, f)) if f in ("blank_form", "sample") else getattr(m, f))
            for f in MATERIAL_FIELDS
        }
        for m in item.materials.all()
    ]
    data["steps"] = [{f: getattr(s, f) for f in STEP_FIELDS} for s in item.steps.all()]
    return data


def item_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Readable changes: one line per changed guide element, material or step, by its label."""
    before = before or {}
    lines: list[dict[str, Any]] = []
    for column in ITEM_COLUMNS:
        old, new = before.get(column.field), after.get(column.field)
        if old != new and not (old in (None, "") and new in (None, "")):
            lines.append({"field": column.header, "before": old, "after": new})
    for key, label, name_field in (
        ("materials", "申请材料", "name"),
        ("steps", "办理流程", "name"),
    ):
        old_rows = {r[name_field]: r for r in before.get(key, [])}
        new_rows = {r[name_field]: r for r in after.get(key, [])}
        for name in new_rows.keys() - old_rows.keys():
            lines.append({"field": label, "before": None, "after": name})
        for name in old_rows.keys() - new_rows.keys():
            lines.append({"field": label, "before": name, "after": None})
        for name in new_rows.keys() & old_rows.keys():
            if old_rows[name] != new_rows[name]:
                lines.append(
                    {"field": f"{label}：{name}", "before": old_rows[name], "after": new_rows[name]}
                )
        if [r[name_field] for r in before.get(key, [])] != [
            r[name_field] for r in after.get(key, [])
        ] and not any(line["field"].startswith(label) for line in lines):
            lines.append(
                {"field": f"{label}（顺序）", "before": list(old_rows), "after": list(new_rows)}
            )
    return lines


def _replace_rows(item: Item, materials: list[dict] | None, steps: list[dict] | None) -> None:
    if materials is not None:
        # A material keeps its blank form and sample unless the change replaces them.
        files = {m.name: (m.blank_form, m.sample) for m in item.materials.all()}
        for row in materials:
            old_form, old_sample = files.get(row["name"], ("", ""))
            row.setdefault("blank_form", old_form)
            row.setdefault("sample", old_sample)
        # These rows are the current guide only; the versions keep every past list.
        item.materials.all().delete()
        Material.objects.bulk_create(
            Material(item=item, position=i, **row) for i, row in enumerate(materials)
        )
    if steps is not None:
        item.steps.all().delete()
        ProcessStep.objects.bulk_create(
            ProcessStep(item=item, position=i, **row) for i, row in enumerate(steps)
        )


def _record_version(*, actor, item: Item, reason: str, before: dict | None) -> ItemVersion | None:
    item = (
        Item.objects.prefetch_related("materials", "steps")
        .select_related("department")
        .get(pk=item.pk)
    )
    after = item_snapshot(item)
    diff = item_diff(before, after)
    if before is not None and not diff:
        return None
    number = 1 if before is None else item.version + 1
    version = ItemVersion.objects.create(
        item=item, number=number, snapshot=after, diff=diff, reason=reason, changed_by=actor
    )
    Item.objects.filter(pk=item.pk).update(version=number, current_version=version)
    event_record(
        actor=actor,
        action="item.create" if before is None else "item.update",
        obj=item,
        after={"version": number, "reason": reason, "changes": [line["field"] for line in diff]},
    )
    return version


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed(_("Give the reason for this change."), field="reason")
    return reason


@transaction.atomic
def item_create(
    *,
    actor,
    reason: str,
    data: Mapping[str, Any],
    materials: Sequence[Mapping[str, Any]] = (),
    steps: Sequence[Mapping[str, Any]] = (),
    departments: Departments | None = None,
) -> Item:
    require_catalog_editor(actor)
    reason = _require_reason(reason)
    clean, errors = clean_item(data, departments=departments)
    _first_error(errors)
    if clean.get("code") and Item.objects.filter(code=clean["code"]).exists():
        raise ValidationFailed(
            _("Item code %(code)s is already in the catalog.") % {"code": clean["code"]},
            field="code",
        )
    if not clean.get("implementing_body") and clean.get("department"):
        clean["implementing_body"] = clean["department"].name
    item = Item.objects.create(**clean)
    _replace_rows(
        item,
        _clean_rows(materials, clean_material, "materials"),
        _clean_rows(steps, clean_step, "steps"),
    )
    _record_version(actor=actor, item=item, reason=reason, before=None)
    item.refresh_from_db()
    return item


@transaction.atomic
def item_update(
    *,
    actor,
    item: Item,
    reason: str,
    data: Mapping[str, Any] | None = None,
    materials: Sequence[Mapping[str, Any]] | None = None,
    steps: Sequence[Mapping[str, Any]] | None = None,
    departments: Departments | None = None,
) -> Item:
    """Change an item's guide; saves a new version when anything changed (and nothing when
    nothing did, so a re-import of unchanged data leaves no trace)."""
    require_catalog_editor(actor)
    reason = _require_reason(reason)
    item = (
        Item.objects.select_for_update(of=("self",))
        .select_related("department")
        .prefetch_related("materials", "steps")
        .get(pk=item.pk)
    )
    before = item_snapshot(item)
    clean, errors = clean_item(data or {}, departments=departments, partial=True)
    _first_error(errors)
    code = clean.get("code")
    if code and Item.objects.filter(code=code).exclude(pk=item.pk).exists():
        raise ValidationFailed(
            _("Item code %(code)s is already in the catalog.") % {"code": code}, field="code"
        )
    for field, value in clean.items():
        setattr(item, field, value)
    _first_error(cross_check({c.field: getattr(item, c.field) for c in ITEM_COLUMNS}))
    item.save()
    _replace_rows(
        item,
        None if materials is None else _clean_rows(materials, clean_material, "materials"),
        None if steps is None else _clean_rows(steps, clean_step, "steps"),
    )
    _record_version(actor=actor, item=item, reason=reason, before=before)
    item.refresh_from_db()
    return item


@transaction.atomic
def bundle_save(
    *,
    actor,
    name: str,
    members: Sequence[str | Item],
    lead_department: Unit | None = None,
    description: str = "",
    aliases: str = "",
    bundle: Bundle | None = None,
) -> Bundle:
    """Create or change a bundle. Members are items, or names of items the plan lists that the
    catalog does not hold (matched by exact name when they appear)."""
    require_catalog_editor(actor)
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Enter the bundle's name."), field="name")
    if len(members) < 2:
        raise ValidationFailed(_("A bundle joins at least two items."), field="members")
    if lead_department is not None and lead_department.level != Level.DEPARTMENT:
        raise ValidationFailed(_("The lead must be a department."), field="lead_department")
    clash = Bundle.objects.filter(name=name).exclude(pk=bundle.pk if bundle else None)
    if clash.exists():
        raise ValidationFailed(_("A bundle of this name exists."), field="name")
    fields = {
        "name": name,
        "lead_department": lead_department,
        "description": description,
        "aliases": aliases,
    }
    by_name = {
        i.name: i for i in Item.objects.filter(name__in=[m for m in members if isinstance(m, str)])
    }
    wanted = []
    for member in members:
        item = member if isinstance(member, Item) else by_name.get(member.strip())
        wanted.append((item.name if item else member.strip(), item.pk if item else None))
    if bundle is None:
        bundle, before = Bundle.objects.create(**fields), None
    else:
        bundle = Bundle.objects.select_for_update().get(pk=bundle.pk)
        current = list(bundle.members.order_by("position", "pk").values_list("name", "item_id"))
        stored = {f: getattr(bundle, f) for f in ("name", "description", "aliases")}
        stored["lead_department"] = bundle.lead_department_id
        given = fields | {"lead_department": lead_department.pk if lead_department else None}
        if current == wanted and stored == given:
            return bundle  # saving what is already there leaves no trace
        before = {"name": bundle.name, "members": [name for name, _pk in current]}
        for field, value in fields.items():
            setattr(bundle, field, value)
        bundle.save()
        # Member rows describe the current bundle only; the event keeps the list it replaced.
        bundle.members.all().delete()
    rows = [
        BundleMember(bundle=bundle, position=position, name=name, item_id=item_id)
        for position, (name, item_id) in enumerate(wanted)
    ]
    BundleMember.objects.bulk_create(rows)
    event_record(
        actor=actor,
        action="bundle.save",
        obj=bundle,
        before=before,
        after={
            "name": name,
            "members": [r.name for r in rows],
            "lead_department": lead_department.code if lead_department else None,
        },
    )
    return bundle


@transaction.atomic
def point_offer_set(*, actor, unit: Unit, item: Item, offered: bool, reason: str) -> PointOffer:
    """A point adds an item its tier does not offer, or withdraws one it does."""
    if actor is not None:
        if actor.role not in MANAGING_ROLES:
            raise PermissionDenied(_("Only point managers and administrators can do this."))
        if not in_scope(actor, unit):
            raise PermissionDenied(_("This unit is outside your area."))
    if unit.level not in (Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.OUTLET):
        raise ValidationFailed(_("Only service points offer items."), field="unit")
    reason = _require_reason(reason)
    offer, created = PointOffer.objects.select_for_update().get_or_create(
        unit=unit, item=item, defaults={"offered": offered, "reason": reason, "changed_by": actor}
    )
    before = None if created else {"offered": offer.offered, "reason": offer.reason}
    offer.offered, offer.reason, offer.changed_by = offered, reason, actor
    offer.save()
    event_record(
        actor=actor,
        action="point_offer.set",
        obj=offer,
        before=before,
        after={"unit": unit.code, "item": item.pk, "offered": offered, "reason": reason},
    )
    return offer


@transaction.atomic
def coverage_target_set(*, actor, level: str, minimum: int) -> CoverageTarget:
    require_catalog_editor(actor)
    if level not in (Level.COUNTY, Level.TOWN, Level.VILLAGE):
        raise ValidationFailed(_("Unknown unit level."), field="level")
    if not 0 <= minimum <= 9999:
        raise ValidationFailed(_("Enter a number from 0 to 9999."), field="minimum")
    target, created = CoverageTarget.objects.select_for_update().get_or_create(
        level=level, defaults={"minimum": minimum}
    )
    before = None if created else {"minimum": target.minimum}
    target.minimum = minimum
    target.save()
    event_record(
        actor=actor,
        action="coverage_target.set",
        obj=target,
        before=before,
        after={"level": level, "minimum": minimum},
    )
    return target


def is_high_frequency(monthly_completions: Sequence[int]) -> bool:
    """001 annex 5: high-frequency means a monthly average of 20 or more completed cases."""
    months = len(monthly_completions)
    return months > 0 and sum(monthly_completions) >= HIGH_FREQUENCY_MONTHLY * months


@transaction.atomic
def items_refresh_high_frequency(
    *, actor, monthly_completions: Mapping[int, Sequence[int]]
) -> list[int]:
    """Set each item's high-frequency flag from its completions per month (item id → counts over
    the same months; an item absent from the mapping had none). Returns the ids that changed."""
    require_catalog_editor(actor)
    flags = {pk: is_high_frequency(counts) for pk, counts in monthly_completions.items()}
    changed = []
    for item in Item.objects.select_for_update().only("pk", "is_high_frequency"):
        flag = flags.get(item.pk, False)
        if item.is_high_frequency != flag:
            changed.append(item.pk)
            Item.objects.filter(pk=item.pk).update(is_high_frequency=flag)
    if changed:
        event_record(
            actor=actor,
            action="item.high_frequency",
            object_type="catalog.item",
            after={"changed": changed},
        )
    return changed
