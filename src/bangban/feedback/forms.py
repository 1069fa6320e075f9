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


# The investigation, rectifications and callbacks (issue 7) ------------------------------------

SATISFACTION_CHOICES = [
    ("", _("Choose…")),
    (5, _("Very satisfied")),
    (4, _("Satisfied")),
    (3, _("Fairly satisfied")),
    (2, _("Dissatisfied")),
    (1, _("Very dissatisfied")),
]


class _Styled(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()


class RouteForm(_Styled):
    unit = UnitChoiceField(label=_("Unit to investigate"), queryset=Unit.objects.none())

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class ConcludeForm(_Styled):
    substantiated = forms.TypedChoiceField(
        label=_("Conclusion"),
        choices=[("", _("Choose…")), ("yes", _("Substantiated")), ("no", _("Not substantiated"))],
        coerce=lambda value: value == "yes",
    )
    finding_category = forms.ChoiceField(
        label=_("Category found"), choices=[("", _("Choose…")), *Category.choices]
    )
    finding = forms.CharField(
        label=_("Finding"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class HotlineForm(ComplaintForm):
    """A complaint passed on by the 12345 hotline, typed in by staff."""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class RectificationRecordForm(_Styled):
    finding_category = forms.ChoiceField(
        label=_("Problem found"), choices=[("", _("Choose…")), *Category.choices]
    )
    finding = forms.CharField(
        label=_("Finding"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    action_taken = forms.CharField(
        label=_("Action taken"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = MultipleFileField(
        label=_("Evidence (PDF, JPG or PNG)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    late_reason = forms.CharField(
        label=_("Reason for the delay (required after the due date)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_due_on = forms.DateField(
        label=_("New due date (required after the due date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ExtendForm(_Styled):
    late_reason = forms.CharField(
        label=_("Why it cannot be finished in time"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_due_on = forms.DateField(
        label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class CallForm(_Styled):
    reached = forms.TypedChoiceField(
        label=_("Reached the applicant"),
        choices=[("yes", _("Yes")), ("no", _("No, not reached"))],
        coerce=lambda value: value == "yes",
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
    )
    remarks = forms.CharField(
        label=_("Remarks"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SampleForm(_Styled):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    size = forms.IntegerField(label=_("Sample size"), min_value=1, max_value=500)
    seed = forms.IntegerField(
        label=_("Seed (leave empty for a random one; enter a recorded one to repeat a draw)"),
        required=False,
        min_value=0,
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
