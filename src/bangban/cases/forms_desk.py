"""Forms of the front desk: registration (000 annexes 1 and 2), consultations, coordination
meetings and work-log notes. They check what can be checked without the database — required
fields for the chosen applicant type, ID numbers, credit codes and phones with the core
validators — so that every mistake shows at once; the services stay the authority."""

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from bangban.cases import selectors
from bangban.cases.models import (
    ApplicantType,
    Case,
    Category,
    Channel,
    Consultation,
    Kind,
    Meeting,
    ProxyScope,
    WorkNote,
)
from bangban.catalog.models import Bundle, Item
from bangban.core.errors import NotFound, ValidationFailed
from bangban.core.identifiers import validate_credit_code, validate_id_number, validate_phone
from bangban.org.forms import BootstrapMixin

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# Case numbers in a list: commas (ASCII or Chinese), enumeration commas, semicolons, spaces.
NUMBER_SEPARATORS = re.compile(r"[,，、;；\s]+")

# The flags of the projects served one-on-one (000 §二(一)1).
KEY_PROJECT_FLAGS = [
    ("key", _("Provincial, city or county annual key project")),
    ("livelihood", _("Annual people's-livelihood project chosen by vote")),
    ("investment", _("Signed investment-promotion project")),
    ("construction", _("Key construction project")),
]

# Which fields belong to which registration form; the rest are common to both.
PERSON_FIELDS = ("id_number",)
ENTERPRISE_FIELDS = (
    "credit_code",
    "credit_code_override_reason",
    "legal_representative",
    "project_name",
    "project_location",
    "investment",
    "key_project",
)
REQUIRED_BY_TYPE = {
    ApplicantType.PERSON: ("id_number",),
    ApplicantType.ENTERPRISE: ("credit_code", "legal_representative"),
}
# A service names the override reason of a credit code by the validator's own name.
SERVICE_FIELDS = {"override_reason": "credit_code_override_reason"}


def label(model: type[Model], field: str):
    """The model field's own (translated) name, as a form label."""
    return capfirst(model._meta.get_field(field).verbose_name)


def datetime_local(**attrs: Any) -> forms.DateTimeInput:
    return forms.DateTimeInput(format=DATETIME_LOCAL, attrs={"type": "datetime-local", **attrs})


class DeskForm(BootstrapMixin, forms.Form):
    def service_error(self, exc: ValidationFailed) -> None:
        """Show a service's refusal at the field it names, or above the form."""
        field = SERVICE_FIELDS.get(exc.field or "", exc.field)
        self.add_error(field if field in self.fields else None, exc.message)

    def focus_first_error(self, default: str) -> str:
        """Put the cursor where the agent has to look: the first field in error, else the
        first field to type in. Returns the field, for inputs that are not the field's own
        widget (the item search box stands for the hidden item fields)."""
        target = next((name for name in self.fields if name in self.errors), default)
        widget = self.fields[target].widget
        if not widget.is_hidden:
            widget.attrs["autofocus"] = True
        return target


class RegistrationForm(DeskForm):
    applicant_type = forms.ChoiceField(
        label=label(Case, "applicant_type"),
        choices=ApplicantType.choices,
        initial=ApplicantType.PERSON,
        widget=forms.RadioSelect,
    )
    applicant_name = forms.CharField(label=label(Case, "applicant_name"), max_length=100)
    id_number = forms.CharField(label=label(Case, "id_number"), max_length=30, required=False)
    credit_code = forms.CharField(label=label(Case, "credit_code"), max_length=30, required=False)
    credit_code_override_reason = forms.CharField(
        label=_("Reason for accepting this code"), max_length=200, required=False
    )
    legal_representative = forms.CharField(
        label=label(Case, "legal_representative"), max_length=64, required=False
    )
    phone = forms.CharField(label=label(Case, "phone"), max_length=30)
    address = forms.CharField(label=label(Case, "address"), max_length=200, required=False)
    project_name = forms.CharField(
        label=label(Case, "project_name"), max_length=200, required=False
    )
    project_location = forms.CharField(
        label=label(Case, "project_location"), max_length=200, required=False
    )
    investment = forms.DecimalField(
        label=label(Case, "investment"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
    )
    key_project = forms.MultipleChoiceField(
        label=label(Case, "key_project"),
        choices=KEY_PROJECT_FLAGS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Asked of persons too: both can be on the credit blacklist that makes a request ineligible.
    applicant_dishonest = forms.BooleanField(
        label=_("On the credit blacklist (dishonest enterprise or person)"), required=False
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Items"),
        queryset=Item.objects.filter(is_active=True),
        required=False,
        widget=forms.MultipleHiddenInput,
    )
    bundle = forms.ModelChoiceField(
        label=_("Bundle"),
        queryset=Bundle.objects.filter(is_active=True),
        required=False,
        widget=forms.HiddenInput,
    )
    kind = forms.ChoiceField(
        label=label(Case, "kind"),
        choices=Kind.choices,
        initial=Kind.ASSIST,
        widget=forms.RadioSelect,
    )
    proxy_scope = forms.ChoiceField(
        label=label(Case, "proxy_scope"),
        choices=ProxyScope.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    channel = forms.ChoiceField(
        label=label(Case, "channel"), choices=Channel.choices, initial=Channel.WINDOW
    )
    category = forms.ChoiceField(
        label=label(Case, "category"), choices=Category.choices, initial=Category.PERSONAL
    )
    special_group = forms.BooleanField(label=label(Case, "special_group"), required=False)
    consultation = forms.ModelChoiceField(
        queryset=Consultation.objects.none(), required=False, widget=forms.HiddenInput
    )
    occurred_at = forms.DateTimeField(
        label=_("Registration actually took place at"), required=False, widget=datetime_local()
    )
    back_entry_reason = forms.CharField(
        label=_("Reason for the back-entry"), max_length=200, required=False
    )

    def __init__(self, *args, consultations: QuerySet[Consultation], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultation"].queryset = consultations
        # The credit code's override reason is asked for only once its check has failed.
        self.override_needed = False
        self.style_widgets()
        for name in (
            "applicant_type",
            "kind",
            "proxy_scope",
            "applicant_dishonest",
            "special_group",
        ):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        for name in ("id_number", "credit_code", "phone"):
            # Checked as typed (valid or what is wrong); POSTed with this one value only.
            self.fields[name].widget.attrs.update(
                {
                    "autocomplete": "off",
                    "spellcheck": "false",
                    "hx-post": reverse("desk:register-check", args=[name]),
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": f"#{name}-check",
                    "hx-params": name,
                    "hx-sync": "this:replace",
                    "aria-describedby": f"{name}-check",
                }
            )
        self.fields["id_number"].widget.attrs["inputmode"] = "text"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        self.fields["investment"].widget.attrs["inputmode"] = "decimal"

    def choice(self, name: str) -> str:
        """The submitted (or initial) value of a switch, which decides what the page shows."""
        return str(self[name].value() or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        applicant_type = data.get("applicant_type")
        if applicant_type is None:
            return data
        # The other form's inputs stay on the page (switching back keeps them) but are not
        # part of this registration.
        others = ENTERPRISE_FIELDS if applicant_type == ApplicantType.PERSON else PERSON_FIELDS
        for name in others:
            data[name] = self.fields[name].clean(None)
            self._errors.pop(name, None)
        for name in REQUIRED_BY_TYPE[applicant_type]:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, forms.Field.default_error_messages["required"])
        self._check_identifiers(data)
        if not data.get("items") and not data.get("bundle") and "items" not in self.errors:
            self.add_error("items", _("Choose at least one item."))
        if data.get("back_entry_reason") and not data.get("occurred_at"):
            self.add_error("occurred_at", _("Give the time the registration took place."))
        return data

    def _check_identifiers(self, data: dict[str, Any]) -> None:
        checks = [("phone", validate_phone), ("id_number", validate_id_number)]
        for name, validate in checks:
            if data.get(name):
                try:
                    data[name] = validate(data[name], field=name)
                except ValidationFailed as exc:
                    self.add_error(name, exc.message)
        if data.get("credit_code"):
            try:
                data["credit_code"] = validate_credit_code(
                    data["credit_code"],
                    override_reason=data.get("credit_code_override_reason", ""),
                    reason_field="credit_code_override_reason",
                ).value
            except ValidationFailed as exc:
                self.override_needed = bool(exc.extra.get("overridable")) or (
                    exc.field == "credit_code_override_reason"
                )
                self.add_error(exc.field, exc.message)

    def show_override(self) -> bool:
        return self.override_needed or bool(self.choice("credit_code_override_reason"))

    def show_back_entry(self) -> bool:
        return any(
            self.choice(name) or name in self.errors
            for name in ("occurred_at", "back_entry_reason")
        )

    def picked_item_ids(self) -> list[int]:
        """The chosen items' ids in the order they were picked (submitted or prefilled)."""
        values = self["items"].value() or []
        ids = [getattr(value, "pk", value) for value in values]
        return [int(pk) for pk in ids if str(pk).isdigit()]

    def picked_bundle_id(self) -> int | None:
        value = self["bundle"].value()
        value = getattr(value, "pk", value)
        return int(value) if str(value or "").isdigit() else None

    def ordered_items(self) -> list[Item]:
        order = {pk: n for n, pk in enumerate(self.picked_item_ids())}
        return sorted(self.cleaned_data["items"], key=lambda item: order.get(item.pk, 0))

    def applicant(self) -> dict[str, Any]:
        """The applicant's part of the registration form, as `case_register` takes it."""
        data = self.cleaned_data
        flags = dict(KEY_PROJECT_FLAGS)
        return {
            "applicant_name": data["applicant_name"],
            "id_number": data["id_number"],
            "phone": data["phone"],
            "address": data["address"],
            "legal_representative": data["legal_representative"],
            "project_name": data["project_name"],
            "project_location": data["project_location"],
            "investment": data["investment"],
            # Kept as the form words them: the registration form prints them as they are.
            "key_project": "、".join(str(flags[key]) for key in data["key_project"]),
            "applicant_dishonest": data["applicant_dishonest"],
        }


class ConsultationForm(DeskForm):
    channel = forms.ChoiceField(
        label=label(Consultation, "channel"), choices=Channel.choices, initial=Channel.WINDOW
    )
    asker = forms.CharField(label=label(Consultation, "asker"), max_length=100)
    phone = forms.CharField(label=label(Consultation, "phone"), max_length=30, required=False)
    topic = forms.CharField(label=label(Consultation, "topic"), max_length=200)
    item = forms.ModelChoiceField(
        label=_("Item asked about"), queryset=Item.objects.none(), required=False
    )
    answer = forms.CharField(
        label=label(Consultation, "answer"), widget=forms.Textarea(attrs={"rows": 3})
    )
    occurred_at = forms.DateTimeField(
        label=label(Consultation, "occurred_at"),
        required=False,
        widget=datetime_local(),
        help_text=_("Leave empty for now."),
    )

    def __init__(self, *args, items: QuerySet[Item], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.style_widgets()


class MeetingForm(DeskForm):
    kind = forms.ChoiceField(label=label(Meeting, "kind"), choices=Meeting.Kind.choices)
    held_at = forms.DateTimeField(label=label(Meeting, "held_at"), widget=datetime_local())
    attendees = forms.CharField(
        label=label(Meeting, "attendees"), widget=forms.Textarea(attrs={"rows": 2})
    )
    issues = forms.CharField(
        label=label(Meeting, "issues"), widget=forms.Textarea(attrs={"rows": 3})
    )
    decisions = forms.CharField(
        label=label(Meeting, "decisions"), widget=forms.Textarea(attrs={"rows": 3})
    )
    case_numbers = forms.CharField(
        label=_("Cases discussed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Case numbers, separated by commas or one per line."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.style_widgets()

    def clean_case_numbers(self) -> list[Case]:
        text = self.cleaned_data["case_numbers"]
        numbers = list(dict.fromkeys(n for n in NUMBER_SEPARATORS.split(text) if n))
        cases, unknown = [], []
        for number in numbers:
            try:
                cases.append(selectors.case_by_number(actor=self.actor, number=number))
            except NotFound:
                unknown.append(number)
        if unknown:
            raise forms.ValidationError(
                _("No case in your area has the number %(numbers)s."),
                params={"numbers": "、".join(unknown)},
            )
        return cases


class WorkNoteForm(DeskForm):
    text = forms.CharField(label=label(WorkNote, "text"), widget=forms.Textarea(attrs={"rows": 2}))
    case_number = forms.CharField(label=_("Case number (optional)"), max_length=64, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.style_widgets()

    def clean_case_number(self) -> Case | None:
        number = self.cleaned_data["case_number"].strip()
        if not number:
            return None
        try:
            return selectors.case_by_number(actor=self.actor, number=number)
        except NotFound as exc:
            raise forms.ValidationError(exc.message) from exc
