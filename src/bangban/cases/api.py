"""JSON API of cases (办件) for integrators: the ledger, each case with everything recorded on
it, and every workflow action, with the same rules as the staff pages because both call the
same services.

Each action is a POST on `/cases/{id}/<action>/` whose body names the case `revision` the
client read. The answer is the case as it is afterwards; an action the workflow does not allow
now answers 409 with the reason, so does a stale revision; bad input answers 400 with the field
at fault, a role that may not act 403, and a case outside the caller's area 404, exactly as a
case that does not exist. Personal identifiers are masked in every answer."""

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from bangban.cases import selectors, services
from bangban.cases.deadlines import DUE_SOON_DAYS, Warning
from bangban.cases.models import (
    ApplicantType,
    Case,
    CaseItem,
    CaseLog,
    Category,
    Channel,
    Consultation,
    Decision,
    Deficiency,
    DeliveryMethod,
    Ground,
    Handover,
    HandoverLine,
    Incident,
    Kind,
    Meeting,
    Message,
    Milestone,
    Notice,
    Party,
    Plan,
    ProxyScope,
    RatingLevel,
    RatingSource,
    RequestedBy,
    Task,
)
from bangban.cases.workflow import OPEN, RULE_OF, Action, State, allowed_actions
from bangban.catalog.api import BundleRefSerializer
from bangban.catalog.models import Bundle, Item
from bangban.core.api import Key, KeysetPagination
from bangban.core.calendar import add_working_days
from bangban.core.errors import NotFound, ValidationFailed
from bangban.core.masking import mask_id_number, mask_phone
from bangban.org.models import Agent, Unit

# --- shared pieces -----------------------------------------------------------------------------


def _name(user) -> str | None:
    if user is None:
        return None
    return user.full_name or user.get_username()


def _first_error(errors: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str] | None:
    """The first message in DRF's nested errors, with the path of the value at fault."""
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            found = _first_error(value, (*path, str(key)))
            if found:
                return found
        return None
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, Mapping | list):
                found = _first_error(value, (*path, str(index)))
                if found:
                    return found
            elif value:
                return path, str(value)
        return None
    return path, str(errors)


def _invalid(errors: Mapping[str, Any]) -> ValidationFailed:
    """Serializer errors as the one domain error, so that they read like the services' own: a
    Chinese message naming the field (`lines.1.copies`), the field, and every message."""
    path, message = _first_error(errors) or ((), str(errors))
    if not path or path[0] == api_settings.NON_FIELD_ERRORS_KEY:
        return ValidationFailed(message, extra={"errors": errors})
    return ValidationFailed(
        _("Field “%(field)s”: %(message)s") % {"field": ".".join(path), "message": message},
        field=path[0],
        extra={"errors": errors},
    )


def _valid(
    serializer_class: type[serializers.Serializer], data: Any, request: Request
) -> dict[str, Any]:
    serializer = serializer_class(data=data, context={"request": request})
    if not serializer.is_valid():
        raise _invalid(serializer.errors)
    return dict(serializer.validated_data)


# Nothing the platform records happened before it existed. The bound also keeps out the years
# in which the local zone's offset has seconds (Asia/Shanghai before 1901: +08:05:43), which
# no ISO 8601 date-time can write, so an answer could not state the moment it was given.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class AwareDateTimeField(serializers.DateTimeField):
    """A moment with its time zone. A back-entered step happened at a definite moment, so a bare
    local time is refused rather than read in the server's zone."""

    default_error_messages = {
        "naive": gettext_lazy("Give the time with its time zone."),
        "too_early": gettext_lazy("The time cannot be before the year 2000."),
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        if value < EARLIEST:
            self.fail("too_early")
        return super().enforce_timezone(value)


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know: a misspelt optional field (`occured_at`) would otherwise
    be dropped, and the step recorded differently from what the client meant."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: [_("This field is not part of this request.")] for key in unknown}
                )
        return super().to_internal_value(data)


def _text(help_text: str = "", **kwargs: Any) -> serializers.CharField:
    """A text the service checks itself: a blank one reaches it and gets its own message."""
    return serializers.CharField(allow_blank=True, help_text=help_text, **kwargs)


def _optional_text(help_text: str = "") -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text)


# --- serializers: what is read -----------------------------------------------------------------


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name"]


class AgentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agent
        fields = ["id", "name"]


class ItemRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name"]


class CaseItemSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="item_id", help_text="The catalog item's id.")
    name = serializers.CharField(source="item.name")
    version = serializers.IntegerField(
        source="item_version.number", help_text="The guide's version the case was registered on."
    )

    class Meta:
        model = CaseItem
        fields = ["id", "name", "version"]


def warning_level(today: date) -> Callable[[str, date | None], str | None]:
    """The warning level of an open case from its state and stored due date, by the same rule
    as the list's `warning` filter. The working-day count is made once, and only if a row
    needs it, so a list costs the same queries however long it is."""
    soon: list[date] = []

    def level(state: str, due_date: date | None) -> str | None:
        if state not in OPEN or due_date is None:
            return None
        if due_date < today:
            return Warning.OVERDUE
        if not soon:
            soon.append(add_working_days(today, DUE_SOON_DAYS).due_date)
        return Warning.DUE_SOON if due_date <= soon[0] else Warning.NORMAL

    return level


def warning_of(today: date) -> Callable[[Case], str | None]:
    """`warning_level` for a case."""
    level = warning_level(today)
    return lambda case: level(case.state, case.due_date)


class CaseSummarySerializer(serializers.ModelSerializer):
    """A case as a row of the ledger, from the case itself: the detail's base, and the answer of
    an action that takes the case out of the caller's area. The list writes the same keys with
    `CaseRowSerializer`."""

    state_label = serializers.CharField(source="get_state_display")
    kind_label = serializers.CharField(source="get_kind_display")
    channel_label = serializers.CharField(source="get_channel_display")
    category_label = serializers.CharField(source="get_category_display")
    unit = UnitRefSerializer()
    agent = AgentRefSerializer(allow_null=True)
    bundle = BundleRefSerializer(allow_null=True)
    id_number = serializers.SerializerMethodField(help_text="Masked.")
    phone = serializers.SerializerMethodField(help_text="Masked.")
    items = serializers.SerializerMethodField()
    warning = serializers.SerializerMethodField(
        help_text="normal, due_soon or overdue for an open case with a due date; else null."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "state",
            "state_label",
            "kind",
            "kind_label",
            "proxy_scope",
            "channel",
            "channel_label",
            "category",
            "category_label",
            "special_group",
            "unit",
            "agent",
            "bundle",
            "applicant_type",
            "applicant_name",
            "id_number",
            "phone",
            "items",
            "registered_at",
            "accepted_on",
            "due_date",
            "warning",
            "revision",
        ]

    def get_id_number(self, case: Case) -> str:
        return mask_id_number(case.id_number)

    def get_phone(self, case: Case) -> str:
        return mask_phone(case.phone)

    @extend_schema_field(ItemRefSerializer(many=True))
    def get_items(self, case: Case) -> list[dict[str, Any]]:
        return [{"id": row.item_id, "name": row.item.name} for row in case.items.all()]

    @extend_schema_field(serializers.ChoiceField(Warning.choices, allow_null=True))
    def get_warning(self, case: Case) -> str | None:
        return self.context["warning_of"](case)


# Writes a moment as every DateTimeField of the API does (in the local zone, ISO 8601); one
# instance, because `self.fields` would copy every declared field of the row serializer.
_MOMENT = serializers.DateTimeField()


class CaseRowSerializer(serializers.Serializer):
    """A row of the ledger list: the same keys as `CaseSummarySerializer`, built in one pass
    from the plain values `selectors.case_rows` reads.

    The declared fields document the row (the schema reads them); `to_representation` fills it
    directly, because model instances for every case, unit, agent and item and DRF's
    field-by-field walk (a nested serializer each for the unit, agent and bundle, a method call
    per label) cost more than the page's SQL at 50 to 500 rows. The identifiers are the masked
    forms stored at registration: a row decrypts nothing. Context: `warning_level`, and
    `item_list`, the case's items (`selectors.case_rows`)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.ChoiceField(State.choices)
    state_label = serializers.CharField()
    kind = serializers.ChoiceField(Kind.choices)
    kind_label = serializers.CharField()
    proxy_scope = serializers.ChoiceField(ProxyScope.choices, allow_blank=True)
    channel = serializers.ChoiceField(Channel.choices)
    channel_label = serializers.CharField()
    category = serializers.ChoiceField(Category.choices)
    category_label = serializers.CharField()
    special_group = serializers.BooleanField(help_text="Green channel: sorts first.")
    unit = UnitRefSerializer()
    agent = AgentRefSerializer(allow_null=True)
    bundle = BundleRefSerializer(allow_null=True)
    applicant_type = serializers.ChoiceField(ApplicantType.choices)
    applicant_name = serializers.CharField()
    id_number = serializers.CharField(help_text="Masked.")
    phone = serializers.CharField(help_text="Masked.")
    items = ItemRefSerializer(many=True)
    registered_at = serializers.DateTimeField()
    accepted_on = serializers.DateField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    warning = serializers.ChoiceField(
        Warning.choices,
        allow_null=True,
        help_text="normal, due_soon or overdue for an open case with a due date; else null.",
    )
    revision = serializers.IntegerField()

    def _labels(self) -> dict[str, dict[str, str]]:
        """The choices' labels in the request's language, made once per list, not per row."""
        labels = getattr(self, "_label_cache", None)
        if labels is None:
            labels = {
                name: {value: str(label) for value, label in choices}
                for name, choices in (
                    ("state", State.choices),
                    ("kind", Kind.choices),
                    ("channel", Channel.choices),
                    ("category", Category.choices),
                )
            }
            self._label_cache = labels
        return labels

    def to_representation(self, row: dict[str, Any]) -> dict[str, Any]:
        labels = self._labels()
        state, kind, channel, category = row["state"], row["kind"], row["channel"], row["category"]
        agent_id, bundle_id = row["agent_id"], row["bundle_id"]
        accepted_on, due_date = row["accepted_on"], row["due_date"]
        return {
            "id": row["id"],
            "number": row["number"],
            "state": state,
            "state_label": labels["state"].get(state, state),
            "kind": kind,
            "kind_label": labels["kind"].get(kind, kind),
            "proxy_scope": row["proxy_scope"],
            "channel": channel,
            "channel_label": labels["channel"].get(channel, channel),
            "category": category,
            "category_label": labels["category"].get(category, category),
            "special_group": row["special_group"],
            "unit": {"id": row["unit_id"], "code": row["unit__code"], "name": row["unit__name"]},
            "agent": {"id": agent_id, "name": row["agent__name"]} if agent_id else None,
            "bundle": {"id": bundle_id, "name": row["bundle__name"]} if bundle_id else None,
            "applicant_type": row["applicant_type"],
            "applicant_name": row["applicant_name"],
            "id_number": row["id_number_masked"],
            "phone": row["phone_masked"],
            "items": row["item_list"],
            "registered_at": _MOMENT.to_representation(row["registered_at"]),
            "accepted_on": accepted_on.isoformat() if accepted_on else None,
            "due_date": due_date.isoformat() if due_date else None,
            "warning": self.context["warning_level"](state, due_date),
            "revision": row["revision"],
        }


class DeadlineSerializer(serializers.Serializer):
    due_date = serializers.DateField(allow_null=True)
    remaining = serializers.IntegerField(
        allow_null=True,
        help_text="Working days left after today (negative once overdue); null unless open.",
    )
    warning = serializers.ChoiceField(Warning.choices, allow_null=True)
    warning_label = serializers.CharField(allow_null=True)
    explanation = serializers.CharField(help_text="How the due date was reached (Chinese).")


class TaskSerializer(serializers.ModelSerializer):
    item = ItemRefSerializer()
    department = UnitRefSerializer()
    decision_label = serializers.CharField(source="get_decision_display")
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "item",
            "department",
            "lead",
            "limit_days",
            "due_date",
            "submitted_at",
            "urged",
            "last_urged_at",
            "decision",
            "decision_label",
            "decision_reason",
            "result",
            "decided_at",
            "decided_by",
        ]

    def get_decided_by(self, task: Task) -> str | None:
        return _name(task.decided_by)


class HoldingSerializer(serializers.Serializer):
    party = serializers.ChoiceField(Party.choices)
    holder = serializers.CharField(help_text="Who holds it, in words (a department by name).")
    department = serializers.IntegerField(source="department_id", allow_null=True)
    material = serializers.CharField()
    copies = serializers.IntegerField()


class HandoverLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandoverLine
        fields = ["material", "copies", "original"]


class HandoverSerializer(serializers.ModelSerializer):
    department = UnitRefSerializer(allow_null=True)
    lines = HandoverLineSerializer(many=True)

    class Meta:
        model = Handover
        fields = [
            "id",
            "giver",
            "receiver",
            "department",
            "giver_signatory",
            "receiver_signatory",
            "occurred_at",
            "note",
            "lines",
        ]


class MissingMaterialSerializer(StrictSerializer):
    name = _text("The missing material.")
    how = _text("How to obtain it.")


class NoticeSerializer(serializers.ModelSerializer):
    missing = MissingMaterialSerializer(many=True)

    class Meta:
        model = Notice
        fields = ["number", "missing", "deadline", "issued_at"]


class DeficiencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Deficiency
        fields = ["id", "material", "due_on", "received_on"]


class IncidentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "description", "opened_at", "resolved_at", "resolution"]


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    author_unit = UnitRefSerializer()

    class Meta:
        model = Message
        fields = ["id", "author", "author_unit", "text", "sent_at"]

    def get_author(self, message: Message) -> str | None:
        return _name(message.author)


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "due_on", "done_on"]


class PlanSerializer(serializers.ModelSerializer):
    milestones = MilestoneSerializer(many=True)

    class Meta:
        model = Plan
        fields = ["id", "agreed_with", "agreed_on", "milestones"]


def _log_label(action_value: str) -> str:
    # Registration opens the timeline; every other line is a workflow action.
    if action_value in Action.values:
        return str(Action(action_value).label)
    return _("Registration")


class TimelineSerializer(serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    back_entry = serializers.BooleanField(
        help_text="Entered after the fact (补录): it happened at occurred_at, was recorded at "
        "recorded_at, and back_entry_reason says why."
    )

    class Meta:
        model = CaseLog
        fields = [
            "action",
            "action_label",
            "occurred_at",
            "recorded_at",
            "actor",
            "summary",
            "back_entry",
            "back_entry_reason",
        ]

    def get_action_label(self, entry: CaseLog) -> str:
        return _log_label(entry.action)

    def get_actor(self, entry: CaseLog) -> str | None:
        return _name(entry.actor)


class CaseDetailSerializer(CaseSummarySerializer):
    """The case page (a `CasePage`) and the actions the workflow allows now."""

    joint_unit = UnitRefSerializer(allow_null=True)
    created_by = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(
        help_text="The workflow actions allowed now (the caller's role may still be refused)."
    )
    deadline = serializers.SerializerMethodField()
    # The page's parts are attributes of the `CasePage` being serialized.
    items = CaseItemSerializer(many=True, read_only=True)
    tasks = TaskSerializer(many=True, read_only=True)
    holdings = HoldingSerializer(
        many=True, read_only=True, help_text="Who holds which material now."
    )
    handovers = HandoverSerializer(many=True, read_only=True)
    notices = NoticeSerializer(many=True, read_only=True)
    deficiencies = DeficiencySerializer(many=True, read_only=True)
    incidents = IncidentSerializer(many=True, read_only=True)
    messages = MessageSerializer(many=True, read_only=True)
    plan = PlanSerializer(allow_null=True, read_only=True)
    timeline = TimelineSerializer(many=True, read_only=True)

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "joint_unit",
            "address",
            "credit_code",
            "legal_representative",
            "project_name",
            "project_location",
            "investment",
            "key_project",
            "applicant_dishonest",
            "limit_days",
            "paused_since",
            "paused_working_days",
            "agreement_signed_at",
            "supervised_at",
            "completed_on",
            "closed_at",
            "returned",
            "archived_at",
            "created_by",
            "allowed_actions",
            "deadline",
            "tasks",
            "holdings",
            "handovers",
            "notices",
            "deficiencies",
            "incidents",
            "messages",
            "plan",
            "timeline",
        ]

    def _part(self, key: str) -> Any:
        return getattr(self.instance, key)

    def get_created_by(self, case: Case) -> str | None:
        return _name(case.created_by)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Action.choices)))
    def get_allowed_actions(self, case: Case) -> list[str]:
        return [allowed.value for allowed in allowed_actions(case)]

    @extend_schema_field(serializers.ChoiceField(Warning.choices, allow_null=True))
    def get_warning(self, case: Case) -> str | None:
        explained = self._part("deadline").deadline
        return explained.warning.value if explained else None

    @extend_schema_field(DeadlineSerializer)
    def get_deadline(self, case: Case) -> dict[str, Any]:
        explained = self._part("deadline")
        known = explained.deadline
        return {
            "due_date": case.due_date,
            "remaining": known.remaining if known else None,
            "warning": known.warning.value if known else None,
            "warning_label": str(known.warning.label) if known else None,
            "explanation": explained.text,
        }


class ArchiveCheckSerializer(serializers.Serializer):
    complete = serializers.BooleanField()
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="What the case archive still lacks (Chinese)."
    )


class ConsultationSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer()
    channel_label = serializers.CharField(source="get_channel_display")
    phone = serializers.SerializerMethodField(help_text="Masked.")
    item = ItemRefSerializer(allow_null=True)
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = Consultation
        fields = [
            "id",
            "unit",
            "channel",
            "channel_label",
            "asker",
            "phone",
            "item",
            "topic",
            "answer",
            "occurred_at",
            "recorded_by",
            "case",
        ]

    def get_phone(self, consultation: Consultation) -> str:
        return mask_phone(consultation.phone)

    def get_recorded_by(self, consultation: Consultation) -> str | None:
        return _name(consultation.recorded_by)


class CaseRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["id", "number"]


class MeetingSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer()
    kind_label = serializers.CharField(source="get_kind_display")
    cases = CaseRefSerializer(many=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "unit",
            "kind",
            "kind_label",
            "held_at",
            "attendees",
            "issues",
            "decisions",
            "cases",
        ]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="The message for the user (Chinese).")
    code = serializers.CharField(help_text="ValidationFailed, PermissionDenied, NotFound, Conflict")
    field = serializers.CharField(required=False, help_text="The field at fault (400).")
    errors = serializers.JSONField(required=False, help_text="Every message, by field (400).")
    action = serializers.CharField(
        required=False, help_text="The workflow action refused (409 from the workflow)."
    )


# --- serializers: what is written --------------------------------------------------------------


class RevisionSerializer(StrictSerializer):
    revision = serializers.IntegerField(
        min_value=0,
        help_text="The case's revision as the client read it; if the case has changed since, "
        "the action is refused with 409.",
    )


class CaseStepSerializer(RevisionSerializer):
    """An action that may be entered after the fact (补录)."""

    occurred_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When it happened, if earlier than now (补录), with its time zone. Needs "
        "back_entry_reason; limited to the back-entry window.",
    )
    back_entry_reason = _optional_text("Why the step is entered after the fact.")


class ToleratedSerializer(StrictSerializer):
    material = _text("The deficient material.")
    due_on = serializers.DateField(help_text="When it is to follow.")


class AcceptSerializer(CaseStepSerializer):
    tolerated = ToleratedSerializer(
        many=True,
        required=False,
        help_text="Deficient materials accepted now (容缺受理), each due by a date.",
    )


class NoticeIssueSerializer(CaseStepSerializer):
    missing = MissingMaterialSerializer(many=True, help_text="Every material missing now.")
    deadline = serializers.DateField(help_text="Supplement by this date.")


class ReasonStepSerializer(CaseStepSerializer):
    reason = _text("Required.")


class ReasonSerializer(RevisionSerializer):
    reason = _text("Required.")


class AgreementSerializer(CaseStepSerializer):
    applicant_signatory = _text("Who signed for the applicant.")
    agent = serializers.PrimaryKeyRelatedField(
        queryset=Agent.objects.select_related("unit"),
        required=False,
        allow_null=True,
        help_text="The signing agent's id; the case's agent when left out.",
    )
    agent_phone = _optional_text("The agent's contact phone; the roster's when left out.")
    terms = _optional_text("Agreed duties and terms.")


class AssignSerializer(RevisionSerializer):
    agent = serializers.PrimaryKeyRelatedField(
        queryset=Agent.objects.all(), help_text="An agent of the case's unit."
    )


class LineSerializer(StrictSerializer):
    material = _text()
    copies = serializers.IntegerField()
    original = serializers.BooleanField(required=False)


class HandoverRecordSerializer(CaseStepSerializer):
    giver = serializers.ChoiceField(Party.choices)
    receiver = serializers.ChoiceField(Party.choices, help_text="lost records a loss.")
    department = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        help_text="The department's unit id, when one of the parties is a department.",
    )
    lines = LineSerializer(many=True)
    giver_signatory = _text()
    receiver_signatory = _optional_text("Required unless the material was lost.")
    note = _optional_text("Required for a loss: what happened.")


class TaskDecideSerializer(CaseStepSerializer):
    decision = serializers.ChoiceField(Decision.choices)
    reason = _optional_text("Required when not approved.")
    result = _optional_text("The result documents; required when approved.")


class UrgeSerializer(RevisionSerializer):
    note = _optional_text()


class MilestoneInSerializer(StrictSerializer):
    title = _text()
    due_on = serializers.DateField()


class PlanAgreeSerializer(CaseStepSerializer):
    agreed_with = _text("Who agreed the plan for the applicant.")
    milestones = MilestoneInSerializer(many=True)


class MessagePostSerializer(RevisionSerializer):
    text = _text()


class TransferSerializer(ReasonSerializer):
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), help_text="The service point that takes the case over."
    )


class CompleteSerializer(CaseStepSerializer):
    results = _text("The results.")
    signed_by = _optional_text("Who signed the completion notice, if signed now.")


class DeliverSerializer(CaseStepSerializer):
    method = serializers.ChoiceField(DeliveryMethod.choices)
    receiver = _text("Who received the results.")
    tracking_number = _optional_text("Required for free postal delivery.")


class TerminateSerializer(ReasonStepSerializer):
    requested_by = serializers.ChoiceField(RequestedBy.choices)
    ground = serializers.ChoiceField(Ground.choices)


class RatingSerializer(CaseStepSerializer):
    level = serializers.ChoiceField(
        RatingLevel.choices, required=False, allow_null=True, help_text="5 (best) to 1."
    )
    comment = _optional_text()
    declined = serializers.BooleanField(
        required=False, help_text="The applicant declined to rate (no level then)."
    )
    source = serializers.ChoiceField(RatingSource.choices, required=False)


def _unit_or_own(attrs: dict[str, Any], request: Request) -> dict[str, Any]:
    unit = attrs.get("unit") or request.user.unit
    if unit is None:
        raise serializers.ValidationError({"unit": [_("Choose a service point.")]})
    return attrs | {"unit": unit}


UNIT_OR_OWN_HELP = "The unit's id; the caller's own unit when left out."
APPLICANT_FIELDS = (
    "applicant_name",
    "id_number",
    "phone",
    "address",
    "legal_representative",
    "project_name",
    "project_location",
    "investment",
    "key_project",
    "applicant_dishonest",
)


class CaseRegisterSerializer(StrictSerializer):
    """The registration form (000 annex 1 for persons, annex 2 for enterprises and projects)."""

    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, help_text=UNIT_OR_OWN_HELP
    )
    kind = serializers.ChoiceField(Kind.choices)
    proxy_scope = serializers.ChoiceField(
        ProxyScope.choices, required=False, allow_blank=True, help_text="Required for proxy."
    )
    channel = serializers.ChoiceField(Channel.choices)
    category = serializers.ChoiceField(Category.choices)
    special_group = serializers.BooleanField(required=False, help_text="Green channel.")
    items = serializers.PrimaryKeyRelatedField(
        queryset=Item.objects.all(),
        many=True,
        required=False,
        help_text="Catalog item ids; or give a bundle.",
    )
    bundle = serializers.PrimaryKeyRelatedField(
        queryset=Bundle.objects.all(), required=False, allow_null=True
    )
    agent = serializers.PrimaryKeyRelatedField(
        queryset=Agent.objects.all(),
        required=False,
        allow_null=True,
        help_text="The agent of the unit who takes the case; the registering agent by default.",
    )
    consultation = serializers.PrimaryKeyRelatedField(
        queryset=Consultation.objects.none(),
        required=False,
        allow_null=True,
        help_text="The logged consultation this case comes from.",
    )
    applicant_type = serializers.ChoiceField(ApplicantType.choices)
    applicant_name = _text(max_length=100)
    id_number = _optional_text("Required for a person.")
    phone = _text()
    address = _optional_text()
    legal_representative = _optional_text("Required for an enterprise.")
    project_name = _optional_text()
    project_location = _optional_text()
    investment = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="In 10,000 yuan.",
    )
    key_project = _optional_text()
    applicant_dishonest = serializers.BooleanField(required=False)
    credit_code = _optional_text("Unified social credit code; required for an enterprise.")
    credit_code_override_reason = _optional_text("Why a code failing its check is kept.")
    occurred_at = AwareDateTimeField(
        required=False, allow_null=True, help_text="When it was registered, if earlier (补录)."
    )
    back_entry_reason = _optional_text("Why the registration is entered after the fact.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["consultation"].queryset = selectors.consultations_visible(
                actor=request.user
            )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The service's arguments: the applicant's fields in one mapping, and the unit."""
        attrs = _unit_or_own(attrs, self.context["request"])
        attrs["applicant"] = {key: attrs.pop(key) for key in APPLICANT_FIELDS if key in attrs}
        return attrs


class ConsultationLogSerializer(StrictSerializer):
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, help_text=UNIT_OR_OWN_HELP
    )
    channel = serializers.ChoiceField(Channel.choices)
    asker = _text()
    phone = _optional_text()
    item = serializers.PrimaryKeyRelatedField(
        queryset=Item.objects.all(), required=False, allow_null=True
    )
    topic = _text()
    answer = _text()
    occurred_at = AwareDateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _unit_or_own(attrs, self.context["request"])


class MeetingRecordSerializer(StrictSerializer):
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, help_text=UNIT_OR_OWN_HELP
    )
    kind = serializers.ChoiceField(Meeting.Kind.choices)
    held_at = AwareDateTimeField()
    attendees = _text()
    issues = _text()
    decisions = _text()
    cases = serializers.PrimaryKeyRelatedField(
        queryset=Case.objects.none(),
        many=True,
        required=False,
        help_text="Ids of the cases discussed (each in the caller's area).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["cases"].child_relation.queryset = selectors.cases_visible(
                actor=request.user
            )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _unit_or_own(attrs, self.context["request"])


class CaseListQuerySerializer(serializers.Serializer):
    """The list's filters. Not strict: the paginator's and the renderer's parameters (`cursor`,
    `page_size`, `format`) share the query string."""

    queue = serializers.ChoiceField(
        selectors.QUEUES, required=False, help_text="A workbench queue; all by default."
    )
    state = serializers.ChoiceField(State.choices, required=False, allow_blank=True)
    item = serializers.IntegerField(required=False, help_text="A catalog item's id.")
    category = serializers.ChoiceField(Category.choices, required=False, allow_blank=True)
    channel = serializers.ChoiceField(Channel.choices, required=False, allow_blank=True)
    warning = serializers.ChoiceField(Warning.choices, required=False, allow_blank=True)
    registered_from = serializers.DateField(required=False)
    registered_to = serializers.DateField(required=False)
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Case number or applicant."
    )


# --- views -------------------------------------------------------------------------------------

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid data, with the field at fault."),
    403: OpenApiResponse(ErrorSerializer, description="The caller's role may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such case in the caller's area."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="The workflow does not allow the action now, or the revision is stale.",
    ),
}
TASK_ID = OpenApiParameter("task_id", int, OpenApiParameter.PATH, description="A task's id.")
MILESTONE_ID = OpenApiParameter(
    "milestone_id", int, OpenApiParameter.PATH, description="A milestone's id."
)


def _rule_text(*actions: Action) -> str:
    """The workflow table's rule for the schema, so that the documentation cannot drift."""
    lines = []
    for one in actions:
        rule = RULE_OF[one]
        outcome = f"it becomes {rule.target.value}" if rule.target else "its state stays"
        lines.append(
            f"`{one.value}`: allowed when the case is {' or '.join(sorted(rule.sources))}; "
            + outcome
            + (f"; guards: {', '.join(g.name for g in rule.guards)}" if rule.guards else "")
            + ("; a reason is required" if rule.needs_reason else "")
            + "."
        )
    return "\n\n".join(lines)


def _documented(
    summary: str,
    request: type[serializers.Serializer],
    *actions: Action,
    created: bool = False,
    parameters: list[OpenApiParameter] | None = None,
    description: str = "",
) -> Callable:
    return extend_schema(
        summary=summary,
        description="\n\n".join(part for part in (description, _rule_text(*actions)) if part),
        request=request,
        responses={201 if created else 200: CaseDetailSerializer, **ERRORS},
        parameters=parameters,
        tags=["cases"],
    )


def _post(url_path: str, **kwargs: Any) -> Callable:
    return action(detail=True, methods=["post"], url_path=url_path, **kwargs)


class CaseListPagination(KeysetPagination):
    """The ledger's order, every column of it in the cursor: green channel first, then by due
    date (cases without one yet last), the latest registered first, and the id to break ties.
    The open-case queue index (`case_open_queue`) is built in this order."""

    ordering = (
        Key("special_group", descending=True),
        Key("due_date"),
        Key("registered_at", descending=True),
        Key("id"),
    )


class CaseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The ledger and the workflow. Reads go through the selectors, writes through the
    services; each action answers with the case as it is afterwards."""

    queryset = Case.objects.all()  # for the schema and the router; reads use the selectors
    serializer_class = CaseRowSerializer  # the list's; the other answers name theirs
    pagination_class = CaseListPagination
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Case, dict[str, Any]]:
        query = _valid(CaseListQuerySerializer, self.request.query_params, self.request)
        queue = query.pop("queue", "all")
        return selectors.case_rows(
            actor=self.request.user, queue=queue, filters=selectors.CaseFilters(**query)
        )

    def get_serializer_context(self) -> dict[str, Any]:
        today = timezone.localdate()
        return super().get_serializer_context() | {
            "warning_of": warning_of(today),
            "warning_level": warning_level(today),
        }

    def _detail(self, pk: int | str) -> dict[str, Any]:
        detail = selectors.case_detail(actor=self.request.user, pk=int(pk))
        return CaseDetailSerializer(
            selectors.CasePage(detail), context=self.get_serializer_context()
        ).data

    def _read(
        self, request: Request, pk: str, serializer_class: type[serializers.Serializer]
    ) -> tuple[Case, dict[str, Any]]:
        """The case in the caller's area (404 otherwise), and the valid body."""
        case = selectors.case_get(actor=request.user, pk=int(pk))
        return case, _valid(serializer_class, request.data, request)

    def _answer(self, case: Case, created: bool = False) -> Response:
        """The case after the step."""
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        try:
            return Response(self._detail(case.pk), status=code)
        except NotFound:
            # The action itself took the case out of the caller's area (a transfer): say where
            # it went rather than answer 404 for a step that succeeded.
            moved = Case.objects.select_related("unit", "agent", "bundle").get(pk=case.pk)
            summary = CaseSummarySerializer(moved, context=self.get_serializer_context())
            return Response(summary.data, status=code)

    def _task(self, case: Case, task_id: str) -> Task:
        task = Task.objects.filter(case=case, pk=int(task_id)).first()
        if task is None:
            raise NotFound(_("There is no such task on this case."))
        return task

    @extend_schema(
        summary="The ledger, scoped to the caller's area",
        description="Green channel first, then by due date (cases without one last), the "
        "latest registered first. Paged by cursor: follow the `next` and `previous` links "
        "(`page_size` up to 500); there is no total count. An altered cursor answers 400.",
        parameters=[CaseListQuerySerializer],
        responses={200: CaseRowSerializer(many=True), 400: ERRORS[400]},
        tags=["cases"],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.paginate_queryset(self.get_queryset())
        context = self.get_serializer_context()
        return self.get_paginated_response(CaseRowSerializer(rows, many=True, context=context).data)

    @extend_schema(
        summary="One case with everything recorded on it",
        responses={200: CaseDetailSerializer, 404: ERRORS[404]},
        tags=["cases"],
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._detail(pk))

    @extend_schema(
        summary="Register a case (台账登记)",
        description="Items by id, or a bundle. A back-entered registration gives occurred_at "
        "and back_entry_reason. Answers the new case's ledger row (the list's row) and its "
        "address in `Location`, where the whole case is read.",
        request=CaseRegisterSerializer,
        responses={201: CaseRowSerializer, **ERRORS},
        tags=["cases"],
    )
    def create(self, request: Request) -> Response:
        data = _valid(CaseRegisterSerializer, request.data, request)
        case = services.case_register(actor=request.user, **data)
        # The row, not the detail: a new case's detail holds nothing more a client registering
        # needs (reading and writing it back was half of a registration's cost), and the row
        # is what the service holds in memory, not read back (ADR 0007 §12).
        items = services.registered_items(items=data.get("items", ()), bundle=data.get("bundle"))
        row = CaseRowSerializer(
            selectors.case_row_of(case, items), context=self.get_serializer_context()
        ).data
        location = reverse("api-case-detail", args=[case.pk])
        return Response(row, status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(
        summary="What the case archive still lacks (一事一档)",
        responses={200: ArchiveCheckSerializer, 404: ERRORS[404]},
        tags=["cases"],
    )
    @action(detail=True, methods=["get"], url_path="archive-check")
    def archive_check(self, request: Request, pk: str) -> Response:
        missing = selectors.case_get(actor=request.user, pk=int(pk)).archive_missing
        return Response({"complete": not missing, "missing": list(missing)})

    @_documented("Issue a one-time notice", NoticeIssueSerializer, Action.ISSUE_NOTICE)
    @_post("issue-notice")
    def issue_notice(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, NoticeIssueSerializer)
        services.notice_issue(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Receive the supplement", CaseStepSerializer, Action.RECEIVE_SUPPLEMENT)
    @_post("receive-supplement")
    def receive_supplement(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, CaseStepSerializer)
        services.supplement_receive(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented(
        "Accept (受理), or accept with tolerated deficiencies (容缺受理)",
        AcceptSerializer,
        Action.ACCEPT,
        Action.ACCEPT_TOLERATED,
        description="With `tolerated`, the acceptance is `accept_tolerated`.",
    )
    @_post("accept")
    def accept(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, AcceptSerializer)
        services.case_accept(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Refuse (不予受理)", ReasonStepSerializer, Action.REFUSE)
    @_post("refuse")
    def refuse(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, ReasonStepSerializer)
        services.case_refuse(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Sign the delegation agreement", AgreementSerializer, Action.SIGN_AGREEMENT)
    @_post("sign-agreement")
    def sign_agreement(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, AgreementSerializer)
        services.agreement_sign(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Start the work", CaseStepSerializer, Action.START)
    @_post("start")
    def start(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, CaseStepSerializer)
        services.case_start(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Dispatch to an agent (managers)", AssignSerializer, Action.ASSIGN)
    @_post("assign")
    def assign(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, AssignSerializer)
        services.case_assign(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented(
        "Record a handover of materials",
        HandoverRecordSerializer,
        Action.RECORD_HANDOVER,
        created=True,
    )
    @_post("handovers")
    def handovers(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, HandoverRecordSerializer)
        services.handover_record(actor=request.user, case=case, **data)
        return self._answer(case, created=True)

    @_documented(
        "Submit a task to its department",
        CaseStepSerializer,
        Action.SUBMIT_TASK,
        parameters=[TASK_ID],
    )
    @_post(r"tasks/(?P<task_id>[0-9]+)/submit", url_name="task-submit")
    def task_submit(self, request: Request, pk: str, task_id: str) -> Response:
        case, data = self._read(request, pk, CaseStepSerializer)
        services.task_submit(actor=request.user, case=case, task=self._task(case, task_id), **data)
        return self._answer(case)

    @_documented(
        "Record the department's decision",
        TaskDecideSerializer,
        Action.DECIDE_TASK,
        parameters=[TASK_ID],
        description="By the department's liaison, or by the agent from the paper decision.",
    )
    @_post(r"tasks/(?P<task_id>[0-9]+)/decide", url_name="task-decide")
    def task_decide(self, request: Request, pk: str, task_id: str) -> Response:
        case, data = self._read(request, pk, TaskDecideSerializer)
        services.task_decide(actor=request.user, case=case, task=self._task(case, task_id), **data)
        return self._answer(case)

    @_documented("Urge the department", UrgeSerializer, Action.URGE, parameters=[TASK_ID])
    @_post(r"tasks/(?P<task_id>[0-9]+)/urge", url_name="task-urge")
    def task_urge(self, request: Request, pk: str, task_id: str) -> Response:
        case, data = self._read(request, pk, UrgeSerializer)
        services.task_urge(actor=request.user, case=case, task=self._task(case, task_id), **data)
        return self._answer(case)

    @_documented("Supervise (督办, managers)", ReasonSerializer, Action.SUPERVISE)
    @_post("supervise")
    def supervise(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, ReasonSerializer)
        services.case_supervise(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented(
        "Agree a plan with milestones",
        PlanAgreeSerializer,
        Action.PLAN,
        description="A new plan supersedes the current one.",
    )
    @_post("plan")
    def plan(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, PlanAgreeSerializer)
        services.plan_agree(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented(
        "Report a milestone of the plan done",
        CaseStepSerializer,
        Action.PROGRESS,
        parameters=[MILESTONE_ID],
    )
    @_post(r"milestones/(?P<milestone_id>[0-9]+)/done", url_name="milestone-done")
    def milestone_done(self, request: Request, pk: str, milestone_id: str) -> Response:
        case, data = self._read(request, pk, CaseStepSerializer)
        milestone = Milestone.objects.filter(plan__case=case, pk=int(milestone_id)).first()
        if milestone is None:
            raise NotFound(_("There is no such milestone on this case."))
        services.milestone_done(actor=request.user, case=case, milestone=milestone, **data)
        return self._answer(case)

    @_documented(
        "Post on the remote consultation thread (远程协办)",
        MessagePostSerializer,
        Action.REMOTE_CONSULT,
        created=True,
    )
    @_post("messages")
    def messages(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, MessagePostSerializer)
        services.message_post(actor=request.user, case=case, **data)
        return self._answer(case, created=True)

    @_documented(
        "Transfer to another service point (转办)",
        TransferSerializer,
        Action.TRANSFER,
        description="When the case leaves the caller's area, the answer is its ledger row only.",
    )
    @_post("transfer")
    def transfer(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, TransferSerializer)
        services.case_transfer(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Escalate to the upper tier (提请上级)", ReasonSerializer, Action.ESCALATE)
    @_post("escalate")
    def escalate(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, ReasonSerializer)
        services.case_escalate(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Pause (waiting for the applicant)", ReasonStepSerializer, Action.PAUSE)
    @_post("pause")
    def pause(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, ReasonStepSerializer)
        services.case_pause(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Resume", CaseStepSerializer, Action.RESUME)
    @_post("resume")
    def resume(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, CaseStepSerializer)
        services.case_resume(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Complete (办结)", CompleteSerializer, Action.COMPLETE)
    @_post("complete")
    def complete(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, CompleteSerializer)
        services.case_complete(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Deliver the results (送达)", DeliverSerializer, Action.DELIVER)
    @_post("deliver")
    def deliver(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, DeliverSerializer)
        services.case_deliver(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Terminate (终止)", TerminateSerializer, Action.TERMINATE)
    @_post("terminate")
    def terminate(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, TerminateSerializer)
        services.case_terminate(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Record the rating (好差评)", RatingSerializer, Action.RATE)
    @_post("rating")
    def rating(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, RatingSerializer)
        services.rating_record(actor=request.user, case=case, **data)
        return self._answer(case)

    @_documented("Archive and lock the case (一事一档)", RevisionSerializer, Action.ARCHIVE)
    @_post("archive")
    def archive(self, request: Request, pk: str) -> Response:
        case, data = self._read(request, pk, RevisionSerializer)
        services.case_archive(actor=request.user, case=case, **data)
        return self._answer(case)


class ConsultationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """咨询: every consultation logged, newest first, scoped to the caller's area."""

    queryset = Consultation.objects.all()  # for the schema; reads use the selectors
    serializer_class = ConsultationSerializer

    def get_queryset(self) -> QuerySet[Consultation]:
        return selectors.consultations_visible(actor=self.request.user).order_by(
            "-occurred_at", "-pk"
        )

    @extend_schema(summary="The consultations logged in the caller's area", tags=["cases"])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Log a consultation (咨询登记)",
        request=ConsultationLogSerializer,
        responses={201: ConsultationSerializer, **{k: ERRORS[k] for k in (400, 403)}},
        tags=["cases"],
    )
    def create(self, request: Request) -> Response:
        data = _valid(ConsultationLogSerializer, request.data, request)
        consultation = services.consultation_log(actor=request.user, **data)
        return Response(ConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)


class MeetingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Coordination meetings, newest first, scoped to the caller's area."""

    queryset = Meeting.objects.all()  # for the schema; reads use the selectors
    serializer_class = MeetingSerializer

    def get_queryset(self) -> QuerySet[Meeting]:
        return selectors.meetings_visible(actor=self.request.user).order_by("-held_at", "-pk")

    @extend_schema(summary="The coordination meetings in the caller's area", tags=["cases"])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Record a coordination meeting",
        request=MeetingRecordSerializer,
        responses={201: MeetingSerializer, **{k: ERRORS[k] for k in (400, 403)}},
        tags=["cases"],
    )
    def create(self, request: Request) -> Response:
        data = _valid(MeetingRecordSerializer, request.data, request)
        meeting = services.meeting_record(actor=request.user, **data)
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)
