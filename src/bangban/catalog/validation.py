"""Reading and checking item, material and step values, from a form, the API or a spreadsheet
cell alike. Every problem is collected with its field, so an import can report them all."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from bangban.catalog.fields import (
    CHOICE_ALIASES,
    CHOICE_TEXT,
    FALSE_TEXT,
    ITEM_COLUMNS,
    MATERIAL_COLUMNS,
    STEP_COLUMNS,
    TIER_TEXT,
    TRUE_TEXT,
    Column,
)
from bangban.catalog.models import TIERS
from bangban.org.models import Level, Unit

# Yes/no columns that mean "yes" when left empty: an item is in the catalog and a material is
# required unless the sheet says otherwise.
DEFAULT_TRUE = {"is_active", "required"}

# Words that make a vague catch-all material (002 第十三条(一) forbids them).
VAGUE_MATERIALS = ("其他材料", "其它材料", "有关材料", "相关材料", "其他相关材料")


class Departments:
    """Department units by name and by code, loaded once for a whole import."""

    def __init__(self):
        units = Unit.objects.filter(level=Level.DEPARTMENT)
        self.by_code: dict[str, Unit] = {unit.code: unit for unit in units}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in units:
            self.by_name.setdefault(unit.name, []).append(unit)

    def get(self, key: str) -> Unit | None:
        """The department of that code, or of that name when only one has it; a name two
        departments share is refused rather than guessed."""
        key = key.strip()
        if key in self.by_code:
            return self.by_code[key]
        named = self.by_name.get(key, [])
        if len(named) > 1:
            raise ValueError(
                _("Several departments are named %(name)s: use the department's code.")
                % {"name": key}
            )
        return named[0] if named else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # A trailing "*" marks an inferred value in the research data; the value itself stands.
    return str(value).strip().removesuffix("*").strip()


def _parse(column: Column, value: Any, departments: Departments | None) -> Any:
    """The clean value, or raise ValueError with the user's message."""
    if column.kind == "int":
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise ValueError(_("Enter a whole number of working days."))
        if isinstance(value, int):
            number = value
        else:
            text = _text(value)
            if not text:
                return None
            try:
                number = int(float(text)) if float(text).is_integer() else None
            except ValueError:
                number = None
            if number is None:
                raise ValueError(_("Enter a whole number of working days."))
        if not 0 <= number <= 3650:
            raise ValueError(_("Enter a number from 0 to 3650."))
        return number
    if column.kind == "bool":
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text == "":
            return column.field in DEFAULT_TRUE
        if text in TRUE_TEXT:
            return True
        if text in FALSE_TEXT:
            return False
        raise ValueError(_("Enter 是 or 否."))
    if column.kind == "choice":
        text = _text(value)
        if not text:
            return ""
        choices = CHOICE_TEXT[column.field]
        if text in choices:
            return text
        for code, label in choices.items():
            if text == label:
                return code
        alias = CHOICE_ALIASES.get(column.field, {}).get(text)
        if alias:
            return alias
        raise ValueError(
            _("Unknown value %(value)s; use one of: %(choices)s.")
            % {"value": text, "choices": "、".join(choices.values())}
        )
    if column.kind == "tiers":
        if isinstance(value, list | tuple | set):
            parts = [str(p) for p in value]
        else:
            parts = [p for p in _text(value).replace("；", ";").replace("、", ";").split(";")]
        tiers = set()
        by_text = {text: level for level, text in TIER_TEXT.items()}
        for part in (p.strip().removesuffix("*") for p in parts):
            if not part:
                continue
            level = part if part in TIERS else by_text.get(part)
            if level is None:
                raise ValueError(
                    _("Unknown tier %(value)s; use 县, 乡 or 村 separated by ;.") % {"value": part}
                )
            tiers.add(level)
        return ";".join(t for t in TIERS if t in tiers)
    if column.kind == "department":
        if isinstance(value, Unit) or value is None:
            if value is not None and value.level != Level.DEPARTMENT:
                raise ValueError(_("%(name)s is not a department.") % {"name": value.name})
            return value
        text = _text(value)
        if not text:
            return None
        unit = (departments or Departments()).get(text)
        if unit is None:
            raise ValueError(_("Unknown department %(name)s.") % {"name": text})
        return unit
    if column.kind == "lines":
        if isinstance(value, list | tuple):
            lines = [str(v) for v in value]
        else:
            lines = _text(value).replace("；", "\n").replace(";", "\n").splitlines()
        seen: list[str] = []
        for line in (line.strip() for line in lines):
            if line and line not in seen:
                seen.append(line)
        return "\n".join(seen)
    text = _text(value)
    if column.max_length and len(text) > column.max_length:
        raise ValueError(
            _("At most %(max)d characters, not %(count)d.")
            % {"max": column.max_length, "count": len(text)}
        )
    return text


def _clean(
    columns: list[Column],
    data: Mapping[str, Any],
    departments: Departments | None,
    *,
    partial: bool,
) -> tuple[dict[str, Any], dict[str, str]]:
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for column in columns:
        if column.field not in data:
            if column.required and not partial:
                errors[column.field] = _("This field is required.")
            continue
        try:
            value = _parse(column, data[column.field], departments)
        except ValueError as exc:
            errors[column.field] = str(exc)
            continue
        if column.required and value in ("", None):
            errors[column.field] = _("This field is required.")
            continue
        clean[column.field] = value
    return clean, errors


def clean_item(
    data: Mapping[str, Any], *, departments: Departments | None = None, partial: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    clean, errors = _clean(ITEM_COLUMNS, data, departments, partial=partial)
    if not partial:
        errors = cross_check(clean) | errors
    return clean, errors


def cross_check(values: Mapping[str, Any]) -> dict[str, str]:
    """Rules between fields, on an item's complete values (after a partial change is merged)."""
    errors = {}
    statutory, promised = values.get("statutory_limit_days"), values.get("promised_limit_days")
    if statutory is not None and promised is not None and promised > statutory:
        errors["promised_limit_days"] = _(
            "The promised time limit cannot be longer than the statutory one."
        )
    if values.get("case_type") == "immediate" and promised:
        errors["case_type"] = _("An immediate item is done on the spot: its promised limit is 0.")
    return errors


def clean_material(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    clean, errors = _clean(MATERIAL_COLUMNS, data, None, partial=False)
    if clean.get("name", "").strip() in VAGUE_MATERIALS:
        errors["name"] = _(
            "Name the material precisely: catch-alls such as 其他材料 are not allowed."
        )
    return clean, errors


def clean_step(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    return _clean(STEP_COLUMNS, data, None, partial=False)
