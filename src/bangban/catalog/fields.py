"""The guide's fields in one place: their order, their labels, and how they are read from text.

The labels double as the Excel column names (a file format, so they are fixed Chinese text, not
translated): those of 001 annex 5 where it names the column, the guide elements of 002 第十二条
otherwise."""

from dataclasses import dataclass

from bangban.catalog.models import CaseType, ItemType, Material, Target
from bangban.org.models import Level


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str = "text"  # text | int | bool | choice | tiers | department | lines
    required: bool = False
    max_length: int | None = None


ITEM_COLUMNS = [
    Column("code", "事项编码", max_length=64),
    Column("name", "业务办理项目名称", required=True, max_length=200),
    Column("item_type", "事项类型", "choice"),
    Column("department", "实施部门", "department"),
    Column("implementing_body", "实施主体", max_length=200),
    Column("case_type", "办件类型", "choice"),
    Column("statutory_limit_days", "法定办理时限（工作日）", "int"),
    Column("promised_limit_days", "承诺办理时限（工作日）", "int"),
    Column("exercise_level", "行使层级", max_length=64),
    Column("target", "服务对象", "choice", required=True),
    Column("legal_basis", "设定依据"),
    Column("conditions", "申请条件"),
    Column("fees", "收费信息"),
    Column("result", "审批结果", max_length=200),
    Column("address", "办理地址", max_length=200),
    Column("hours", "办理时间", max_length=200),
    Column("consultation_phone", "咨询方式", max_length=64),
    Column("complaint_channel", "监督投诉方式", max_length=200),
    Column("assist_tiers", "帮办层级", "tiers"),
    Column("proxy_tiers", "代办层级", "tiers"),
    Column("in_four_level_list", "是否列入省“四级四同”清单", "bool"),
    Column("on_integrated_platform", "事项是否在一体化平台办理", "bool"),
    Column("at_most_one_visit", "是否最多跑一次办理", "bool"),
    Column("aliases", "常用说法", "lines"),
    Column("is_active", "是否在清单内", "bool"),
]

MATERIAL_COLUMNS = [
    Column("name", "材料名称", required=True, max_length=200),
    Column("form", "材料类型", "choice"),
    Column("copies", "份数", "int"),
    Column("required", "是否必要", "bool"),
    Column("basis", "材料依据"),
    Column("source_channel", "来源渠道", max_length=200),
    Column("collection", "收取方式", max_length=200),
    Column("acceptance_standard", "受理标准"),
    Column("notes", "备注"),
]

STEP_COLUMNS = [
    Column("name", "环节名称", required=True, max_length=100),
    Column("time_limit_days", "环节时限（工作日）", "int"),
    Column("standard", "审查标准"),
    Column("result", "环节结果", max_length=200),
]

# How choices read in Chinese, both ways. Fixed text for the same reason as the headers.
CHOICE_TEXT: dict[str, dict[str, str]] = {
    "item_type": {
        ItemType.LICENSING: "行政许可",
        ItemType.PAYMENT: "行政给付",
        ItemType.CONFIRMATION: "行政确认",
        ItemType.ADJUDICATION: "行政裁决",
        ItemType.LEVY: "行政征收",
        ItemType.REWARD: "行政奖励",
        ItemType.OTHER_POWER: "其他行政权力",
        ItemType.PUBLIC_SERVICE: "公共服务",
    },
    "case_type": {CaseType.IMMEDIATE: "即办件", CaseType.PROMISED: "承诺件"},
    "target": {Target.PERSON: "自然人", Target.ORGANISATION: "法人", Target.BOTH: "自然人;法人"},
    "form": {
        Material.Form.ORIGINAL: "原件",
        Material.Form.COPY: "复印件",
        Material.Form.ORIGINAL_AND_COPY: "原件和复印件",
        Material.Form.ELECTRONIC: "电子材料",
    },
}
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "target": {
        "法人;自然人": Target.BOTH,
        "自然人、法人": Target.BOTH,
        "个人": Target.PERSON,
        "企业": Target.ORGANISATION,
        "法人或其他组织": Target.ORGANISATION,
    },
    "form": {"原件及复印件": Material.Form.ORIGINAL_AND_COPY, "电子": Material.Form.ELECTRONIC},
}
TIER_TEXT = {Level.COUNTY: "县", Level.TOWN: "乡", Level.VILLAGE: "村"}
TRUE_TEXT = {"是", "1", "true", "y", "yes", "必要"}
FALSE_TEXT = {"否", "0", "false", "n", "no", "非必要", ""}

# The workbook of the whole catalog (Excel import and export): its sheets, the column that ties a
# material or step row to its item (the item's code, or its name when it has none), and the
# bundle sheet's columns.
SHEET_ITEMS = "事项"
SHEET_MATERIALS = "申请材料"
SHEET_STEPS = "办理流程"
SHEET_BUNDLES = "一件事"
ITEM_KEY_HEADER = "事项编码或名称"
BUNDLE_COLUMNS = [
    Column("name", "一件事名称", required=True, max_length=200),
    Column("lead_department", "牵头部门", "department"),
    Column("members", "联办事项", "lines", required=True),
    Column("description", "说明"),
    Column("aliases", "常用说法", "lines"),
]
# How a list (aliases, bundle members) is written in one cell; the reader also takes ; and one
# item per line.
LIST_SEPARATOR = "；"


def format_value(column: Column, value: object) -> str | int | None:
    """A stored value as a workbook cell: the reverse of reading it, so that an exported sheet
    reads back to the same values. Empty values are empty cells."""
    if value is None or value == "":
        return None
    if column.kind == "int":
        return int(value)  # type: ignore[call-overload]
    if column.kind == "bool":
        return "是" if value else "否"
    if column.kind == "choice":
        return CHOICE_TEXT[column.field].get(str(value), str(value))
    if column.kind == "tiers":
        return ";".join(TIER_TEXT.get(t, t) for t in str(value).split(";") if t)
    if column.kind == "department":
        return getattr(value, "name", None) or str(value)
    if column.kind == "lines":
        lines = value if isinstance(value, list | tuple) else str(value).splitlines()
        return LIST_SEPARATOR.join(line.strip() for line in lines if line.strip()) or None
    return str(value)
