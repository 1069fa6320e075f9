"""The demo catalogue: the real items, materials and bundles in `data/` (see its README), loaded
through the services onto the demo county's departments."""

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from bangban.catalog import services
from bangban.catalog.models import Bundle, Item
from bangban.catalog.validation import Departments

DATA = Path(__file__).parent / "data"
REASON = "载入演示事项清单（来源见 catalog/data/README.md）"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _bare(value: str) -> str:
    """The value without the research data's "inferred" star."""
    return value.strip().removesuffix("*").strip()


def _tiers(levels: str, modes: str, mode: str) -> str:
    """The tiers where an item is assisted (or proxied): its levels, if the mode applies."""
    if mode not in _bare(modes).replace("*", "").split(";"):
        return ""
    return ";".join(_bare(level) for level in levels.split(";") if _bare(level))


def aliases_by_item() -> dict[str, list[str]]:
    path = DATA / "aliases.csv"
    if not path.exists():
        return {}
    aliases: dict[str, list[str]] = {}
    for row in _rows("aliases.csv"):
        aliases.setdefault(row["item_name"], []).extend(
            a.strip() for a in row["aliases"].split(";") if a.strip()
        )
    return aliases


def item_data(row: dict[str, str], department_names: dict[str, str]) -> dict[str, object]:
    published = row["department"].strip()
    department = department_names.get(published, published)
    return {
        "code": row["code"],
        "name": row["name"],
        "item_type": row["item_type"],
        "department": department,
        "implementing_body": published if not department else "",
        "case_type": row["case_type"],
        "statutory_limit_days": row["statutory_limit_days"],
        "promised_limit_days": row["promised_limit_days"],
        "target": row["target"] or "自然人;法人",
        "fees": _bare(row["fees"]),
        "assist_tiers": _tiers(row["levels"], row["assist_or_proxy"], "帮办"),
        "proxy_tiers": _tiers(row["levels"], row["assist_or_proxy"], "代办"),
    }


def material_data(row: dict[str, str]) -> dict[str, object]:
    return {
        "name": row["material_name"],
        "form": row["original_or_copy"],
        "copies": row["copies"],
        "required": row["required"],
        "notes": row["notes"],
    }


@dataclass
class DemoCatalog:
    items: dict[str, Item]
    bundles: list[Bundle]


def load_catalog() -> DemoCatalog:
    """Load every item of the data files, with its materials and aliases, then the bundles.
    Departments must exist already (the demo county makes them)."""
    departments = Departments()
    names = {r["published_name"]: r["demo_department"] for r in _rows("departments.csv")}
    materials: dict[str, list[dict[str, object]]] = {}
    for row in _rows("materials.csv"):
        materials.setdefault(row["item_name"], []).append(material_data(row))
    aliases = aliases_by_item()
    items = {}
    linked: dict[str, list[str]] = {}
    for row in _rows("items.csv"):
        for bundle in filter(None, (b.strip() for b in row["bundle"].split(";"))):
            linked.setdefault(bundle, []).append(row["name"])
        data = item_data(row, names) | {"aliases": aliases.get(row["name"], [])}
        items[row["name"]] = services.item_create(
            actor=None,
            reason=REASON,
            data=data,
            materials=materials.get(row["name"], []),
            departments=departments,
        )
    bundles = []
    seen: set[str] = set()
    for row in _rows("bundles.csv"):
        name = row["bundle_name"]
        if name in seen:
            # Two localities' plans share a name (企业开办): tell them apart by the locality,
            # which the notes name first.
            name = f"{name}（{re.split('[；：（，]', row['notes'])[0]}方案）"
        # Members are the catalogue items the data links to the bundle; a plan whose items the
        # catalogue mostly does not hold lists them by the plan's own names.
        members = linked.pop(row["bundle_name"], [])
        if len(members) < 2:
            members = row["member_items"].split(";")
        plan = row["member_items"].replace(";", "、")
        seen.add(name)
        lead = departments.get(names.get(row["lead_department"], row["lead_department"]) or "")
        bundles.append(
            services.bundle_save(
                actor=None,
                name=name,
                lead_department=lead,
                description=f"{row['notes']}。方案所列联办事项：{plan}",
                aliases=";".join(aliases.get(row["bundle_name"], [])),
                members=[m for m in members if m.strip()],
            )
        )
    return DemoCatalog(items=items, bundles=bundles)
