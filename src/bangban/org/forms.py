from django import forms
from django.utils.translation import gettext_lazy as _

from bangban.core.text import TextCheckMixin
from bangban.org.models import Activity, Agent, Attendance, Unit


class BootstrapMixin(TextCheckMixin):
    """Gives every widget Bootstrap's class (the CSP forbids inline styling), and
    no control character in any text (core/text.py)."""

    def style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class PersonnelChangeForm(BootstrapMixin, forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    previous_agent = forms.ModelChoiceField(
        label=_("Agent before the change"), queryset=Agent.objects.none(), required=False
    )
    post = forms.CharField(label=_("Post"), max_length=64)
    name = forms.CharField(label=_("New agent's name"), max_length=64, required=False)
    id_number = forms.CharField(label=_("New agent's ID number"), max_length=18, required=False)
    phone = forms.CharField(label=_("New agent's mobile phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("New agent's e-mail"), required=False)
    effective_date = forms.DateField(
        label=_("Date of taking up the post"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, units, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["previous_agent"].queryset = agents
        self.style_widgets()


class ActivityForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    unit = forms.ModelChoiceField(label=_("Organising unit"), queryset=Unit.objects.none())
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    present = forms.ModelMultipleChoiceField(
        label=_("Present"),
        queryset=Agent.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    absent = forms.ModelMultipleChoiceField(
        label=_("Absent"),
        queryset=Agent.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, units, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["present"].queryset = agents
        self.fields["absent"].queryset = agents
        self.style_widgets()

    def clean(self):
        data = super().clean()
        both = set(data.get("present") or []) & set(data.get("absent") or [])
        if both:
            raise forms.ValidationError(_("An agent cannot be both present and absent."))
        return data

    def attendance(self) -> dict[int, str]:
        marks = {a.pk: Attendance.Status.PRESENT for a in self.cleaned_data["present"]}
        marks |= {a.pk: Attendance.Status.ABSENT for a in self.cleaned_data["absent"]}
        return marks
