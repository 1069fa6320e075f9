"""Forms of the workbench: the queue filters, and one form per workflow action. An action form
only shapes the input for its service — the service checks it and names the field at fault,
and `show_error` puts that message at the field — so the rules stay in the services."""

from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.db.models import Count, Max, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bangban.cases.deadlines import Warning
from bangban.cases.models import (
    Case,
    Category,
    Channel,
    Decision,
    DeliveryMethod,
    Ground,
    Milestone,
    Party,
    RatingLevel,
    RatingSource,
    RequestedBy,
    Task,
)
from bangban.cases.selectors import CaseFilters
from bangban.cases.workflow import State
from bangban.catalog.forms import BootstrapMixin
from bangban.catalog.models import Item
from bangban.core.errors import ValidationFailed
from bangban.core.widgets import VersionedSelect
from bangban.org.models import Agent, Level, Role, Unit

# What <input type="datetime-local"> sends and shows.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# The levels a case can be transferred to (the services' POINT_LEVELS).
POINT_LEVELS = (Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.OUTLET)


def _any(choices) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label, *, max_length: int = 200, required: bool = True, rows: int = 0):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget)


def catalog_stamp() -> tuple[int, int | None, datetime | None]:
    """Changes whenever the item filter's list can: an item added (count, highest id), deleted
    (count) or renamed (`updated_at`, set on every save). One aggregate query over the
    catalog, instead of reading and writing out all its items."""
    stamp = Item.objects.order_by().aggregate(
        count=Count("pk"), last=Max("pk"), changed=Max("updated_at")
    )
    return stamp["count"], stamp["last"], stamp["changed"]


class CaseFilterForm(BootstrapMixin, forms.Form):
    """The filters above every queue. Sent with GET, so a filtered list is a link."""

    q = forms.CharField(label=_("Case number or applicant"), max_length=100, required=False)
    state = forms.ChoiceField(
        label=_("State"), choices=_any(State.choices), required=False, widget=VersionedSelect
    )
    item = forms.ModelChoiceField(
        label=_("Item"),
        # The filter shows names only: not reading 150 full guides on every workbench page.
        queryset=Item.objects.only("pk", "name").order_by("name", "pk"),
        required=False,
        empty_label=_("All"),
        # The whole catalog, on every workbench page: written once per catalog stamp.
        widget=VersionedSelect(version=catalog_stamp),
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=_any(Category.choices), required=False, widget=VersionedSelect
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_any(Channel.choices), required=False, widget=VersionedSelect
    )
    warning = forms.ChoiceField(
        label=_("Warning"), choices=_any(Warning.choices), required=False, widget=VersionedSelect
    )
    registered_from = forms.DateField(
        label=_("Registered from"), required=False, widget=_date_input()
    )
    registered_to = forms.DateField(label=_("Registered to"), required=False, widget=_date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("registered_from"), data.get("registered_to")
        if first and last and first > last:
            self.add_error("registered_to", _("The end date is before the start date."))
        return data

    def filters(self) -> CaseFilters:
        """The selectors' filters; call after is_valid()."""
        data = self.cleaned_data
        return CaseFilters(
            state=data.get("state") or "",
            item=data["item"].pk if data.get("item") else None,
            category=data.get("category") or "",
            channel=data.get("channel") or "",
            warning=data.get("warning") or "",
            registered_from=data.get("registered_from"),
            registered_to=data.get("registered_to"),
            q=(data.get("q") or "").strip(),
        )


# Repeatable rows ---------------------------------------------------------------------------


class RowForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_widgets()


class MissingRow(RowForm):
    name = _text(_("Missing material"))
    how = _text(_("How to obtain it"), max_length=300)


class ToleratedRow(RowForm):
    material = _text(_("Deficient material"))
    due_on = forms.DateField(label=_("To be handed in by"), widget=_date_input())


class HandoverLineRow(RowForm):
    material = _text(_("Material"))
    copies = forms.IntegerField(label=_("Copies"), min_value=1, max_value=999, initial=1)
    original = forms.BooleanField(label=_("Original"), required=False)


class MilestoneRow(RowForm):
    title = _text(_("Milestone"))
    due_on = forms.DateField(label=_("Due on"), widget=_date_input())


# The action forms --------------------------------------------------------------------------


class ActionForm(BootstrapMixin, forms.Form):
    """What every action form carries: the case revision the user was looking at (so that a
    change somebody else made meanwhile is refused instead of overwritten) and, where the
    service takes them, the back-entry time and reason (补录, work done on paper earlier)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    BACK_ENTRY_FIELDS: ClassVar[tuple[str, ...]] = ("occurred_at", "back_entry_reason")
    # The service's keyword arguments that are plain fields of the form.
    service_fields: ClassVar[tuple[str, ...]] = ()
    # A list the service takes (missing materials, handover lines, …): the row form, and the
    # argument's name, which is also the field the service names when a row is wrong.
    rows_form: ClassVar[type[RowForm] | None] = None
    rows_argument: ClassVar[str] = ""
    rows_legend: ClassVar[Promise | str] = ""

    def __init__(
        self,
        data=None,
        *,
        case: Case,
        user,
        back_entry: bool,
        initial: dict[str, Any] | None = None,
    ):
        super().__init__(data, initial={"revision": case.revision, **(initial or {})})
        self.case, self.user = case, user
        if back_entry:
            # A naive datetime-local value is read in the current time zone, the project's
            # TIME_ZONE (Asia/Shanghai): the time on the paper form.
            self.fields["occurred_at"] = forms.DateTimeField(
                label=_("When it happened"),
                required=False,
                input_formats=[DATETIME_LOCAL],
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
            )
            self.fields["back_entry_reason"] = _text(
                _("Why it is entered after the fact"), required=False
            )
        self.rows = None
        if self.rows_form is not None:
            formset = forms.formset_factory(
                self.rows_form, extra=2, min_num=1, validate_min=True, max_num=100
            )
            self.rows = formset(data, prefix=self.rows_argument)
        self.rows_errors: list[str] = []
        self.setup()
        self.style_widgets()

    def setup(self) -> None:
        """Choices that depend on the case or the user."""

    def main_fields(self) -> list[forms.BoundField]:
        return [f for f in self.visible_fields() if f.name not in self.BACK_ENTRY_FIELDS]

    def back_entry_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.BACK_ENTRY_FIELDS if name in self.fields]

    def back_entry_open(self) -> bool:
        """Keep the 补录 section open when it was used or has an error."""
        return any(f.errors or f.value() for f in self.back_entry_fields())

    def is_valid(self) -> bool:
        # Both validated (not `and`): each shows its own errors at once.
        return all([super().is_valid(), self.rows.is_valid() if self.rows is not None else True])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("back_entry_reason") and not data.get("occurred_at"):
            self.add_error("occurred_at", _("Give the time it happened."))
        return data

    def row_values(self) -> list[dict[str, Any]]:
        # Blank extra rows clean to {} and are left out.
        if self.rows is None:
            return []
        return [f.cleaned_data for f in self.rows.forms if f.cleaned_data]

    def values(self) -> dict[str, Any]:
        """The action's own arguments."""
        values = {name: self.cleaned_data[name] for name in self.service_fields}
        if self.rows is not None:
            values[self.rows_argument] = self.row_values()
        return values

    def arguments(self) -> dict[str, Any]:
        """The service's keyword arguments besides the actor and the case."""
        arguments = {"revision": self.cleaned_data["revision"], **self.values()}
        if self.cleaned_data.get("occurred_at"):
            arguments["occurred_at"] = self.cleaned_data["occurred_at"]
            arguments["back_entry_reason"] = self.cleaned_data["back_entry_reason"]
        return arguments

    def show_error(self, exc: ValidationFailed) -> None:
        """A service's refusal, at the field it names."""
        if self.rows is not None and exc.field == self.rows_argument:
            self.rows_errors.append(exc.message)
        elif exc.field in self.fields:
            self.add_error(exc.field, exc.message)
        else:
            self.add_error(None, exc.message)


class PlainForm(ActionForm):
    """An action with nothing to enter but, perhaps, when it happened."""


class ReasonForm(ActionForm):
    # Not the catalog's "Reason" (变动原因): here it is the reason stated on the case.
    reason = _text(pgettext_lazy("case action", "Reason"), max_length=500, rows=3)
    service_fields = ("reason",)


class NoticeForm(ActionForm):
    deadline = forms.DateField(label=_("Supplement by"), widget=_date_input())
    service_fields = ("deadline",)
    rows_form = MissingRow
    rows_argument = "missing"
    rows_legend = _("Missing materials")


class ToleratedAcceptForm(ActionForm):
    rows_form = ToleratedRow
    rows_argument = "tolerated"
    rows_legend = _("Deficient materials, to follow")


def _agents(case: Case) -> QuerySet[Agent]:
    return Agent.objects.filter(unit_id=case.unit_id, active_until__isnull=True).order_by("name")


class AgreementForm(ActionForm):
    applicant_signatory = _text(_("Signed for the applicant by"), max_length=100)
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=Agent.objects.none(), required=False)
    agent_phone = _text(_("Agent's contact phone"), max_length=32, required=False)
    terms = _text(_("Agreed duties and terms"), max_length=2000, required=False, rows=3)
    service_fields = ("applicant_signatory", "agent", "agent_phone", "terms")

    def setup(self) -> None:
        self.fields["agent"].queryset = _agents(self.case)
        self.fields["agent"].initial = self.case.agent_id
        self.fields["agent_phone"].help_text = _("Left empty: the agent's public phone.")


class AssignForm(ActionForm):
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=Agent.objects.none())
    service_fields = ("agent",)

    def setup(self) -> None:
        self.fields["agent"].queryset = _agents(self.case)


class HandoverForm(ActionForm):
    giver = forms.ChoiceField(
        label=_("Handed over by (party)"),
        choices=[c for c in Party.choices if c[0] != Party.LOST],
    )
    receiver = forms.ChoiceField(
        label=_("Received by (party)"), choices=Party.choices, initial=Party.AGENT
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Unit.objects.none(), required=False
    )
    giver_signatory = _text(_("Signed by the one handing over"), max_length=100)
    receiver_signatory = _text(_("Signed by the one receiving"), max_length=100, required=False)
    note = _text(_("Note (for a loss: what happened)"), max_length=500, required=False, rows=2)
    service_fields = (
        "giver",
        "receiver",
        "department",
        "giver_signatory",
        "receiver_signatory",
        "note",
    )
    rows_form = HandoverLineRow
    rows_argument = "lines"
    rows_legend = _("Materials handed over")

    def setup(self) -> None:
        # The departments of the case's own county (the top of its unit's path).
        top = "/".join(self.case.unit.path.split("/")[:2]) + "/"
        self.fields["department"].queryset = Unit.objects.filter(
            level=Level.DEPARTMENT, is_active=True, path__startswith=top
        ).order_by("name")
        self.fields["department"].help_text = _("Only when a department hands over or receives.")


class TaskChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Task) -> str:
        return f"{obj.item.name} · {obj.department.name}"


class TaskForm(ActionForm):
    """Submit the application to a department: a task not submitted yet."""

    task = TaskChoiceField(label=_("Department task"), queryset=Task.objects.none())
    service_fields = ("task",)

    def tasks(self) -> QuerySet[Task]:
        return self.case.tasks.filter(decision="", submitted_at__isnull=True)

    def setup(self) -> None:
        self.fields["task"].queryset = self.tasks().select_related("item", "department")


class UrgeForm(TaskForm):
    note = _text(_("Note"), max_length=300, required=False)
    service_fields = ("task", "note")

    def tasks(self) -> QuerySet[Task]:
        return self.case.tasks.filter(decision="")


class DecideForm(TaskForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices)
    result = _text(_("Result documents (when approved)"), max_length=500, required=False)
    reason = _text(_("Reason (when not approved)"), max_length=2000, required=False, rows=3)
    service_fields = ("task", "decision", "result", "reason")

    def tasks(self) -> QuerySet[Task]:
        tasks = self.case.tasks.filter(decision="")
        if self.user.role == Role.LIAISON:
            # A liaison decides for their own department only.
            tasks = tasks.filter(department__path__startswith=self.user.unit.path)
        return tasks


class PlanForm(ActionForm):
    agreed_with = _text(_("Agreed with"), max_length=100)
    service_fields = ("agreed_with",)
    rows_form = MilestoneRow
    rows_argument = "milestones"
    rows_legend = _("Milestones")


class MilestoneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Milestone) -> str:
        return f"{obj.title}（{obj.due_on:%Y-%m-%d}）"


class ProgressForm(ActionForm):
    milestone = MilestoneChoiceField(
        label=_("Milestone reached"), queryset=Milestone.objects.none()
    )
    service_fields = ("milestone",)

    def setup(self) -> None:
        self.fields["milestone"].queryset = Milestone.objects.filter(
            plan__case=self.case, plan__superseded=False, done_on__isnull=True
        )


class MessageForm(ActionForm):
    text = _text(_("Message"), max_length=2000, rows=4)
    service_fields = ("text",)


class TransferForm(ActionForm):
    unit = forms.ModelChoiceField(label=_("Transfer to"), queryset=Unit.objects.none())
    # Not the catalog's "Reason" (变动原因): here it is the reason stated on the case.
    reason = _text(pgettext_lazy("case action", "Reason"), max_length=500, rows=3)
    service_fields = ("unit", "reason")

    def setup(self) -> None:
        self.fields["unit"].queryset = (
            Unit.objects.filter(level__in=POINT_LEVELS, is_active=True)
            .exclude(pk=self.case.unit_id)
            .order_by("path")
        )


class CompleteForm(ActionForm):
    results = _text(_("Results"), max_length=2000, rows=3)
    signed_by = _text(_("Completion notice signed by"), max_length=100, required=False)
    service_fields = ("results", "signed_by")

    def setup(self) -> None:
        self.fields["signed_by"].help_text = _("Left empty: signed at delivery.")


class DeliverForm(ActionForm):
    method = forms.ChoiceField(label=_("Delivery method"), choices=DeliveryMethod.choices)
    receiver = _text(_("Received by"), max_length=100)
    tracking_number = _text(_("Postal tracking number"), max_length=40, required=False)
    service_fields = ("method", "receiver", "tracking_number")


class TerminateForm(ActionForm):
    requested_by = forms.ChoiceField(label=_("Requested by"), choices=RequestedBy.choices)
    ground = forms.ChoiceField(label=_("Ground"), choices=Ground.choices)
    reason = _text(_("Explanation"), max_length=2000, rows=3)
    service_fields = ("requested_by", "ground", "reason")


class RateForm(ActionForm):
    level = forms.TypedChoiceField(
        label=_("Rating"),
        choices=[("", "—"), *RatingLevel.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    comment = _text(_("Comment"), max_length=2000, required=False, rows=3)
    declined = forms.BooleanField(label=_("The applicant declined to rate"), required=False)
    source = forms.ChoiceField(label=_("Rated via"), choices=RatingSource.choices)
    service_fields = ("level", "comment", "declined", "source")
