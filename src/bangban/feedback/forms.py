from django import forms
from django.utils.translation import gettext_lazy as _

from bangban.core.errors import ValidationFailed
from bangban.core.identifiers import validate_phone
from bangban.feedback.models import Category
from bangban.feedback.services import (
    ANSWER_MAX,
    DESCRIPTION_MAX,
    MATTER_MAX,
    NAME_MAX,
)
from bangban.org.forms import BootstrapMixin
from bangban.org.models import Unit


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        # Indent by tier: a long list of villages reads as the tree it is.
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class _TicketForm(BootstrapMixin, forms.Form):
    """The fields a complaint and a "办不成事" ticket share. The services check everything
    again; the form keeps what was typed when they refuse it."""

    unit = UnitChoiceField(
        label=_("Service point or department concerned (optional)"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("Not sure / none"),
    )
    case_number = forms.CharField(
        label=_("Case number, if you have one (optional)"), max_length=64, required=False
    )
    description = forms.CharField(
        label=_("What happened"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=NAME_MAX)
    contact_phone = forms.CharField(
        label=_("Your phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.style_widgets()

    def clean_contact_phone(self) -> str:
        # Checked here as well as in the service, so that every mistake shows at once.
        try:
            return validate_phone(self.cleaned_data["contact_phone"], field="contact_phone")
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc


class ComplaintForm(_TicketForm):
    category = forms.ChoiceField(
        label=_("What is the complaint about"),
        choices=[("", _("Choose…")), *Category.choices],
    )
    field_order = [
        "category",
        "unit",
        "case_number",
        "description",
        "contact_name",
        "contact_phone",
    ]


class ObstacleForm(_TicketForm):
    matter = forms.CharField(label=_("What you tried to get done"), max_length=MATTER_MAX)
    field_order = [
        "matter",
        "unit",
        "case_number",
        "description",
        "contact_name",
        "contact_phone",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].label = _("Why it could not be done")


class AnswerForm(BootstrapMixin, forms.Form):
    answer = forms.CharField(
        label=_("Answer"), max_length=ANSWER_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()
