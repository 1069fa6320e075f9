"""Forms of the catalog's staff pages. They only shape the input: the services check it (and
say which field is wrong), so the rules live in one place, `catalog.validation`."""

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from bangban.catalog.fields import ITEM_COLUMNS
from bangban.catalog.models import CaseType, Item, ItemType, Material, Target
from bangban.core.text import TextCheckMixin
from bangban.org.models import Level, Unit

# The guide elements of 002 第十二条 and the catalog's own fields, labelled as a guide page and
# the item form show them (the public guide imports these too: one wording everywhere).
LABELS = {
    "code": _("Item code"),
    "name": _("Item name"),
    "item_type": _("Item type"),
    "department": _("Implementing department"),
    "implementing_body": _("Implementing body"),
    "case_type": _("Case type"),
    "statutory_limit_days": _("Statutory time limit"),
    "promised_limit_days": _("Promised time limit"),
    "exercise_level": _("Exercise level"),
    "target": _("Service target"),
    "legal_basis": _("Legal basis"),
    "conditions": _("Conditions"),
    "materials": _("Application materials"),
    "fees": _("Fees"),
    "process": _("Process"),
    "result": _("Result"),
    "address": _("Where to apply"),
    "hours": _("Office hours"),
    "consultation_phone": _("Enquiries"),
    "complaint_channel": _("Supervision and complaints"),
    "assist_tiers": _("Assisted at"),
    "proxy_tiers": _("Proxied at"),
    "in_four_level_list": _("In the provincial 四级四同 list"),
    "on_integrated_platform": _("Handled on the integrated platform"),
    "at_most_one_visit": _("At most one visit"),
    "is_high_frequency": _("High-frequency item"),
    "aliases": _("Everyday phrasings"),
    "is_active": _("In the catalog"),
}

# The 18 elements, in the order of 002 第十二条.
GUIDE_ELEMENTS = [
    "name",
    "item_type",
    "implementing_body",
    "case_type",
    "statutory_limit_days",
    "promised_limit_days",
    "exercise_level",
    "target",
    "legal_basis",
    "conditions",
    "materials",
    "fees",
    "process",
    "result",
    "address",
    "hours",
    "consultation_phone",
    "complaint_channel",
]

TIER_CHOICES = [
    (Level.COUNTY, _("County")),
    (Level.TOWN, _("Town")),
    (Level.VILLAGE, _("Village")),
]

MATERIAL_LABELS = {
    "name": _("Material name"),
    "form": _("Original or copy"),
    "copies": _("Copies"),
    "required": _("Required"),
    "basis": _("Basis"),
    "source_channel": _("Source channel"),
    "collection": _("How it is collected"),
    "acceptance_standard": _("Acceptance standard"),
    "notes": _("Notes"),
    "blank_form": _("Blank form"),
    "sample": _("Sample"),
}

STEP_LABELS = {
    "name": _("Step"),
    "time_limit_days": _("Time limit (working days)"),
    "standard": _("Review standard"),
    "result": _("Step result"),
}


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class BootstrapMixin(TextCheckMixin):
    """Bootstrap's classes on every widget (the CSP forbids inline styling), and
    no control character in any text (core/text.py)."""

    def style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif isinstance(widget, forms.HiddenInput):
                continue
            else:
                widget.attrs.setdefault("class", "form-control")


def _text(name: str, *, max_length: int | None = None, rows: int = 0, required=False):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(
        label=LABELS.get(name, name),
        max_length=max_length,
        required=required,
        widget=widget,
        strip=True,
    )


def _days(name: str):
    return forms.IntegerField(label=LABELS[name], min_value=0, max_value=3650, required=False)


class ItemForm(BootstrapMixin, forms.Form):
    """Every field of an item's guide, and the reason for the change (事项变动登记)."""

    code = _text("code", max_length=64)
    name = _text("name", max_length=200, required=True)
    item_type = forms.ChoiceField(
        label=LABELS["item_type"], choices=_blank(ItemType.choices), required=False
    )
    department = forms.ModelChoiceField(
        label=LABELS["department"], queryset=Unit.objects.none(), required=False
    )
    implementing_body = _text("implementing_body", max_length=200)
    case_type = forms.ChoiceField(
        label=LABELS["case_type"], choices=_blank(CaseType.choices), required=False
    )
    statutory_limit_days = _days("statutory_limit_days")
    promised_limit_days = _days("promised_limit_days")
    exercise_level = _text("exercise_level", max_length=64)
    target = forms.ChoiceField(label=LABELS["target"], choices=Target.choices)
    legal_basis = _text("legal_basis", rows=3)
    conditions = _text("conditions", rows=3)
    fees = _text("fees", rows=2)
    result = _text("result", max_length=200)
    address = _text("address", max_length=200)
    hours = _text("hours", max_length=200)
    consultation_phone = _text("consultation_phone", max_length=64)
    complaint_channel = _text("complaint_channel", max_length=200)
    assist_tiers = forms.MultipleChoiceField(
        label=LABELS["assist_tiers"],
        choices=TIER_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    proxy_tiers = forms.MultipleChoiceField(
        label=LABELS["proxy_tiers"],
        choices=TIER_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    in_four_level_list = forms.BooleanField(label=LABELS["in_four_level_list"], required=False)
    on_integrated_platform = forms.BooleanField(
        label=LABELS["on_integrated_platform"], required=False
    )
    at_most_one_visit = forms.BooleanField(label=LABELS["at_most_one_visit"], required=False)
    aliases = forms.CharField(
        label=LABELS["aliases"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, as people say it, e.g. 开饭店."),
    )
    is_active = forms.BooleanField(label=LABELS["is_active"], required=False, initial=True)
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the item change register with your name and the time."),
    )

    # The fields handed to the services as the item's data (everything but the reason).
    DATA_FIELDS = [column.field for column in ITEM_COLUMNS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Unit.objects.filter(level=Level.DEPARTMENT).order_by(
            "path"
        )
        self.style_widgets()

    @classmethod
    def initial_for(cls, item: Item) -> dict:
        initial = {name: getattr(item, name) for name in cls.DATA_FIELDS}
        initial["department"] = item.department_id
        initial["assist_tiers"] = item.tiers("assist")
        initial["proxy_tiers"] = item.tiers("proxy")
        return initial

    def item_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.DATA_FIELDS}

    def guide_fields(self):
        """The fields in groups, for the template: (legend, [bound fields])."""
        groups = [
            (_("Basic information"), ["code", "name", "item_type", "department"]),
            (_("Guide"), self.DATA_FIELDS[4:18]),
            (
                _("Catalog"),
                [
                    "assist_tiers",
                    "proxy_tiers",
                    "in_four_level_list",
                    "on_integrated_platform",
                    "at_most_one_visit",
                    "aliases",
                    "is_active",
                ],
            ),
        ]
        return [(legend, [self[name] for name in names]) for legend, names in groups]


class MaterialForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=MATERIAL_LABELS["name"], max_length=200)
    form = forms.ChoiceField(
        label=MATERIAL_LABELS["form"], choices=_blank(Material.Form.choices), required=False
    )
    copies = forms.IntegerField(
        label=MATERIAL_LABELS["copies"], min_value=0, max_value=3650, required=False
    )
    required = forms.BooleanField(label=MATERIAL_LABELS["required"], required=False, initial=True)
    basis = forms.CharField(
        label=MATERIAL_LABELS["basis"], required=False, widget=forms.Textarea(attrs={"rows": 1})
    )
    source_channel = forms.CharField(
        label=MATERIAL_LABELS["source_channel"], max_length=200, required=False
    )
    collection = forms.CharField(
        label=MATERIAL_LABELS["collection"], max_length=200, required=False
    )
    acceptance_standard = forms.CharField(
        label=MATERIAL_LABELS["acceptance_standard"],
        required=False,
        widget=forms.Textarea(attrs={"rows": 1}),
    )
    notes = forms.CharField(
        label=MATERIAL_LABELS["notes"], required=False, widget=forms.Textarea(attrs={"rows": 1})
    )
    blank_form = forms.FileField(label=MATERIAL_LABELS["blank_form"], required=False)
    blank_form_clear = forms.BooleanField(label=_("Remove the blank form"), required=False)
    sample = forms.FileField(label=MATERIAL_LABELS["sample"], required=False)
    sample_clear = forms.BooleanField(label=_("Remove the sample"), required=False)

    ROW_FIELDS = [
        "name",
        "form",
        "copies",
        "required",
        "basis",
        "source_channel",
        "collection",
        "acceptance_standard",
        "notes",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def row(self) -> dict:
        """The material as the services take it. A file goes in only when uploaded (or
        removed); otherwise the service keeps the one the material had."""
        data = {f: self.cleaned_data[f] for f in self.ROW_FIELDS}
        for field in ("blank_form", "sample"):
            # (FileField.clean returns the initial file when nothing was uploaded.)
            upload = self.cleaned_data.get(field)
            if isinstance(upload, UploadedFile):
                data[field] = upload
            elif self.cleaned_data.get(f"{field}_clear"):
                data[field] = ""
            elif self.initial.get(field):
                # Kept by the row it was edited from, even when the material was renamed.
                data[field] = str(self.initial[field])
        return data


class StepForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=STEP_LABELS["name"], max_length=100)
    time_limit_days = forms.IntegerField(
        label=STEP_LABELS["time_limit_days"], min_value=0, max_value=3650, required=False
    )
    standard = forms.CharField(
        label=STEP_LABELS["standard"], required=False, widget=forms.Textarea(attrs={"rows": 1})
    )
    result = forms.CharField(label=STEP_LABELS["result"], max_length=200, required=False)

    ROW_FIELDS = ["name", "time_limit_days", "standard", "result"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def row(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.ROW_FIELDS}


class StyledFormSet(forms.BaseFormSet):
    """Bootstrap's classes on the formset's own ORDER and DELETE fields too."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "ORDER" in form.fields:
            form.fields["ORDER"].widget.attrs.setdefault("class", "form-control")
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs.setdefault("class", "form-check-input")


MaterialFormSet = forms.formset_factory(
    MaterialForm,
    formset=StyledFormSet,
    extra=2,
    can_delete=True,
    can_order=True,
    max_num=200,
    validate_max=True,
)
StepFormSet = forms.formset_factory(
    StepForm,
    formset=StyledFormSet,
    extra=1,
    can_delete=True,
    can_order=True,
    max_num=50,
    validate_max=True,
)


class PointOfferForm(BootstrapMixin, forms.Form):
    """A point adds an item its tier does not offer, or withdraws one it does."""

    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.style_widgets()


class CatalogFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Unit.objects.none(), required=False
    )
    tier = forms.ChoiceField(label=_("Tier"), choices=_blank(TIER_CHOICES), required=False)
    case_type = forms.ChoiceField(
        label=LABELS["case_type"], choices=_blank(CaseType.choices), required=False
    )
    active = forms.ChoiceField(
        label=LABELS["is_active"],
        choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Unit.objects.filter(level=Level.DEPARTMENT).order_by(
            "path"
        )
        self.style_widgets()
