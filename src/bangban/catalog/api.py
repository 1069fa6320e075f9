"""JSON API of the catalog: anyone reads the items (with full guides and their change register)
and the bundles; centre and system administrators create and change items through the
services, which validate, require a reason, keep a version and log the change.

Items are never deleted (DELETE and PUT answer 405): they are withdrawn with
`{"is_active": false, "reason": "..."}`."""

import re
from collections.abc import Mapping
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from bangban.catalog import selectors, services
from bangban.catalog.fields import ITEM_COLUMNS, MATERIAL_COLUMNS, STEP_COLUMNS
from bangban.catalog.models import (
    Bundle,
    BundleMember,
    CaseType,
    Item,
    ItemVersion,
    Material,
    ProcessStep,
)
from bangban.catalog.search import search_item_ids
from bangban.core.errors import ApplicationError, ValidationFailed
from bangban.org.models import Level, Unit

ITEM_FIELDS = [c.field for c in ITEM_COLUMNS]
MATERIAL_FIELDS = [c.field for c in MATERIAL_COLUMNS]
STEP_FIELDS = [c.field for c in STEP_COLUMNS]
MAX_PAGE_SIZE = 500  # as core.api.Pagination; the messages say 500 too


def can_edit_catalog(user) -> bool:
    return bool(user and user.is_authenticated and user.role in services.CATALOG_ROLES)


class ReadOrCatalogEdit(BasePermission):
    """Reading is open to everyone; writing needs a centre or system administrator. The
    service's own check words the refusal (supervisors are told they can only read)."""

    reads_open = True  # so the schema declares no 403 for reading (core.api_schema)

    def has_permission(self, request: Request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not (request.user and request.user.is_authenticated):
            return False  # 401: log in first
        try:
            services.require_catalog_editor(request.user)
        except ApplicationError as refusal:
            # Answered, not raised: DRF also asks this when describing the API (OPTIONS).
            self.message = refusal.message
            return False
        return True


# --- serializers: what is read -----------------------------------------------------------------


class DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["code", "name"]


@extend_schema_field(
    {"type": "array", "items": {"type": "string"}, "description": "county, town, village"}
)
class TiersField(serializers.Field):
    """ "county;town" as ["county", "town"]."""

    def to_representation(self, value: str) -> list[str]:
        return [tier for tier in value.split(";") if tier]


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class LinesField(serializers.Field):
    """Values kept one a line (items) or separated by ";" (bundles) as a list."""

    def to_representation(self, value: str) -> list[str]:
        return [part.strip() for part in re.split(r"[\n;；]", value) if part.strip()]


class ItemSummarySerializer(serializers.ModelSerializer):
    department = DepartmentRefSerializer(read_only=True)
    item_type_label = serializers.CharField(source="get_item_type_display", read_only=True)
    case_type_label = serializers.CharField(source="get_case_type_display", read_only=True)
    target_label = serializers.CharField(source="get_target_display", read_only=True)
    assist_tiers = TiersField(read_only=True)
    proxy_tiers = TiersField(read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "code",
            "name",
            "item_type",
            "item_type_label",
            "department",
            "implementing_body",
            "case_type",
            "case_type_label",
            "statutory_limit_days",
            "promised_limit_days",
            "target",
            "target_label",
            "assist_tiers",
            "proxy_tiers",
            "at_most_one_visit",
            "is_high_frequency",
            "version",
        ]


class MaterialSerializer(serializers.ModelSerializer):
    form_label = serializers.CharField(source="get_form_display", read_only=True)
    blank_form = serializers.SerializerMethodField(help_text="Download URL, or null.")
    sample = serializers.SerializerMethodField(help_text="Download URL, or null.")

    class Meta:
        model = Material
        fields = ["position", *MATERIAL_FIELDS, "form_label", "blank_form", "sample"]

    def _url(self, material: Material, kind: str) -> str | None:
        if not getattr(material, kind):
            return None
        # The public portal serves the files (only the agents' photos are under /media/); it is
        # named, not imported, so the layers stay as they are.
        url = reverse("material-file", args=[material.pk, kind])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_blank_form(self, material: Material) -> str | None:
        return self._url(material, "blank_form")

    def get_sample(self, material: Material) -> str | None:
        return self._url(material, "sample")


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessStep
        fields = ["position", *STEP_FIELDS]


class BundleRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bundle
        fields = ["id", "name"]


class ItemDetailSerializer(ItemSummarySerializer):
    """The whole guide (the 18 elements of 002 第十二条 and the catalog's own fields)."""

    aliases = LinesField(read_only=True)
    materials = MaterialSerializer(many=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    bundles = serializers.SerializerMethodField()

    class Meta(ItemSummarySerializer.Meta):
        fields = [
            *ItemSummarySerializer.Meta.fields,
            *[f for f in ITEM_FIELDS if f not in ItemSummarySerializer.Meta.fields],
            "updated_at",
            "materials",
            "steps",
            "bundles",
        ]

    @extend_schema_field(BundleRefSerializer(many=True))
    def get_bundles(self, item: Item) -> list[dict[str, Any]]:
        return [{"id": m.bundle_id, "name": m.bundle.name} for m in item.bundle_memberships.all()]


class ItemVersionSerializer(serializers.ModelSerializer):
    changed_by = serializers.SerializerMethodField()

    class Meta:
        model = ItemVersion
        fields = ["number", "changed_at", "changed_by", "reason", "diff"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_changed_by(self, version: ItemVersion) -> str | None:
        """The person's name; null for the system (an import, the demo data)."""
        user = version.changed_by
        if user is None:
            return None
        return user.full_name or user.get_username()


class ItemVersionDetailSerializer(ItemVersionSerializer):
    class Meta(ItemVersionSerializer.Meta):
        fields = [*ItemVersionSerializer.Meta.fields, "snapshot"]


class BundleMemberSerializer(serializers.ModelSerializer):
    item = serializers.SerializerMethodField(help_text="The catalog item's id, or null.")

    class Meta:
        model = BundleMember
        fields = ["position", "name", "item"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_item(self, member: BundleMember) -> int | None:
        # A member withdrawn from the catalog is still listed by name, without a link.
        return member.item_id if member.item_id and member.item.is_active else None


class BundleSerializer(serializers.ModelSerializer):
    lead_department = DepartmentRefSerializer(read_only=True)
    aliases = LinesField(read_only=True)
    members = BundleMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Bundle
        fields = ["id", "name", "lead_department", "description", "aliases", "members"]


class CatalogErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="The message for the user (Chinese).")
    code = serializers.CharField(required=False, help_text="ValidationFailed, PermissionDenied…")
    field = serializers.CharField(required=False, help_text="The field or parameter at fault.")


# --- serializers: what is written and asked ----------------------------------------------------


class MaterialWriteSerializer(serializers.Serializer):
    name = serializers.CharField()
    form = serializers.ChoiceField(Material.Form.choices, required=False)
    copies = serializers.IntegerField(required=False, allow_null=True)
    required = serializers.BooleanField(required=False)
    basis = serializers.CharField(required=False)
    source_channel = serializers.CharField(required=False)
    collection = serializers.CharField(required=False)
    acceptance_standard = serializers.CharField(required=False)
    notes = serializers.CharField(required=False)


class StepWriteSerializer(serializers.Serializer):
    name = serializers.CharField()
    time_limit_days = serializers.IntegerField(required=False, allow_null=True)
    standard = serializers.CharField(required=False)
    result = serializers.CharField(required=False)


class ItemWriteSerializer(serializers.Serializer):
    """The body of POST and PATCH, for the schema. The services validate it (the same rules as
    the staff form and the Excel import), so that every way in says the same things."""

    reason = serializers.CharField(help_text="Why the item is created or changed (required).")
    code = serializers.CharField(required=False, help_text="National item code (事项编码).")
    name = serializers.CharField(required=False, help_text="Required when creating.")
    item_type = serializers.CharField(
        required=False, help_text="licensing, payment, … (or the Chinese label: 行政许可)."
    )
    department = serializers.CharField(
        required=False, allow_null=True, help_text="The department's unit code or name."
    )
    implementing_body = serializers.CharField(required=False)
    case_type = serializers.CharField(required=False, help_text="immediate or promised.")
    statutory_limit_days = serializers.IntegerField(required=False, allow_null=True)
    promised_limit_days = serializers.IntegerField(required=False, allow_null=True)
    exercise_level = serializers.CharField(required=False)
    target = serializers.CharField(
        required=False, help_text="person, organisation or both. Required when creating."
    )
    legal_basis = serializers.CharField(required=False)
    conditions = serializers.CharField(required=False)
    fees = serializers.CharField(required=False)
    result = serializers.CharField(required=False)
    address = serializers.CharField(required=False)
    hours = serializers.CharField(required=False)
    consultation_phone = serializers.CharField(required=False)
    complaint_channel = serializers.CharField(required=False)
    assist_tiers = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="county, town, village."
    )
    proxy_tiers = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="county, town, village."
    )
    in_four_level_list = serializers.BooleanField(required=False)
    on_integrated_platform = serializers.BooleanField(required=False)
    at_most_one_visit = serializers.BooleanField(required=False)
    aliases = serializers.ListField(child=serializers.CharField(), required=False)
    is_active = serializers.BooleanField(
        required=False, help_text="false withdraws the item from the catalog."
    )
    materials = MaterialWriteSerializer(
        many=True, required=False, help_text="Replaces the whole list when given."
    )
    steps = StepWriteSerializer(
        many=True, required=False, help_text="Replaces the whole list when given."
    )


def _invalid(errors: Mapping[str, Any]) -> ValidationFailed:
    field, messages = next(iter(errors.items()))
    message = messages[0] if isinstance(messages, list) else messages
    return ValidationFailed(str(message), field=field, extra={"errors": errors})


class ItemListQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True)
    department = serializers.CharField(required=False, allow_blank=True)
    tier = serializers.ChoiceField(
        [Level.COUNTY, Level.TOWN, Level.VILLAGE],
        required=False,
        allow_blank=True,
        error_messages={
            "invalid_choice": gettext_lazy("The tier (tier) must be county, town or village.")
        },
    )
    case_type = serializers.ChoiceField(
        CaseType.choices,
        required=False,
        allow_blank=True,
        error_messages={
            "invalid_choice": gettext_lazy(
                "The case type (case_type) must be immediate or promised."
            )
        },
    )
    page = serializers.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": gettext_lazy("The page (page) must be a whole number from 1."),
            "min_value": gettext_lazy("The page (page) must be a whole number from 1."),
            "max_string_length": gettext_lazy("The page (page) must be a whole number from 1."),
        },
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        error_messages={
            key: gettext_lazy("The page size (page_size) must be a whole number from 1 to 500.")
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )

    def validate_department(self, value: str) -> Unit | None:
        if not value:
            return None
        unit = Unit.objects.filter(level=Level.DEPARTMENT, code=value).first()
        if unit is None:
            raise serializers.ValidationError(_("Unknown department %(name)s.") % {"name": value})
        return unit


def _refuse_nul(value: Any, field: str) -> None:
    """A NUL character is no text a guide holds, and PostgreSQL refuses to store it (a 500)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValidationFailed(
            _("%(field)s cannot contain the NUL character.") % {"field": field}, field=field
        )
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _refuse_nul(inner, f"{field}-{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _refuse_nul(inner, f"{field}-{index}")


def _write_arguments(data: Any) -> dict[str, Any]:
    """The service's arguments from a request body. Only the shape is checked here; the
    values are the service's business."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(_("Send the item as a JSON object."))
    allowed = {*ITEM_FIELDS, "reason", "materials", "steps"}
    for key in data:
        if key not in allowed:
            raise ValidationFailed(
                _("%(field)s cannot be set here.") % {"field": key}, field=str(key)
            )
    for key, value in data.items():
        _refuse_nul(value, str(key))
    arguments: dict[str, Any] = {
        "reason": data.get("reason") if isinstance(data.get("reason"), str) else "",
        "data": {key: data[key] for key in ITEM_FIELDS if key in data},
    }
    for key, fields in (("materials", MATERIAL_FIELDS), ("steps", STEP_FIELDS)):
        if key not in data:
            continue
        rows = data[key]
        if not isinstance(rows, list) or not all(isinstance(row, Mapping) for row in rows):
            raise ValidationFailed(
                _("Send %(field)s as a list of objects.") % {"field": key}, field=key
            )
        for index, row in enumerate(rows):
            for name in row:
                if name not in fields:
                    raise ValidationFailed(
                        _("%(field)s cannot be set here.") % {"field": name},
                        field=f"{key}-{index}-{name}",
                    )
        arguments[key] = rows
    return arguments


# --- views -------------------------------------------------------------------------------------

# Reads need no login: the schema says so (drf-spectacular cannot tell from our permission).
READ_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}, {}]
ERRORS = {
    400: OpenApiResponse(
        CatalogErrorSerializer, description="Invalid data, with the field at fault."
    ),
    401: OpenApiResponse(CatalogErrorSerializer, description="Not logged in."),
    403: OpenApiResponse(CatalogErrorSerializer, description="Not a centre administrator."),
}


class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Item.objects.all()  # for the schema and the router; see get_queryset
    permission_classes = [ReadOrCatalogEdit]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = r"[0-9]+"

    def get_serializer_class(self):
        return ItemSummarySerializer if self.action == "list" else ItemDetailSerializer

    def get_queryset(self) -> QuerySet[Item]:
        if self.action == "list":
            return self._listed()
        qs = Item.objects.select_related("department").prefetch_related(
            "materials",
            "steps",
            Prefetch(
                "bundle_memberships",
                queryset=BundleMember.objects.filter(bundle__is_active=True)
                .select_related("bundle")
                .order_by("bundle__name", "pk"),
            ),
        )
        # A withdrawn item's guide is gone for the public; its editors still reach it (to
        # bring it back), and its versions stay readable to all.
        if not can_edit_catalog(self.request.user):
            qs = qs.filter(is_active=True)
        return qs

    def _listed(self) -> QuerySet[Item]:
        query = ItemListQuerySerializer(data=self.request.query_params)
        if not query.is_valid():
            raise _invalid(query.errors)
        params = query.validated_data
        qs = selectors.items_active()
        if params.get("department"):
            qs = qs.filter(department=params["department"])
        if params.get("tier"):
            tier = params["tier"]
            qs = qs.filter(selectors.tier_q(tier))
        if params.get("case_type"):
            qs = qs.filter(case_type=params["case_type"])
        if params.get("q"):
            ranked = search_item_ids(params["q"])
            if not ranked:
                return qs.none()
            rank = Case(
                *[When(pk=pk, then=Value(n)) for n, pk in enumerate(ranked)],
                output_field=IntegerField(),
            )
            return qs.filter(pk__in=ranked).order_by(rank, "pk")
        return qs.order_by("name", "pk")

    @extend_schema(
        summary="List the catalog's items",
        auth=READ_AUTH,
        description=(
            "Active items, paginated (`page`, `page_size`). With `q`, they are searched in "
            "Chinese (names, everyday phrasings, departments, materials; pinyin initials "
            "such as `spjy`) and come best first."
        ),
        parameters=[
            OpenApiParameter("q", str, description="Search words: 开饭店, 生孩子, spjy …"),
            OpenApiParameter("department", str, description="The department's unit code."),
            OpenApiParameter(
                "tier", str, enum=["county", "town", "village"], description="Offered at."
            ),
            OpenApiParameter("case_type", str, enum=["immediate", "promised"]),
            OpenApiParameter("page_size", int, description=f"1 to {MAX_PAGE_SIZE}."),
        ],
        responses={200: ItemSummarySerializer(many=True), 400: ERRORS[400]},
        tags=["catalog"],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="An item's full guide",
        auth=READ_AUTH,
        responses={200: ItemDetailSerializer, 404: OpenApiResponse(CatalogErrorSerializer)},
        tags=["catalog"],
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Add an item (centre administrators)",
        request=ItemWriteSerializer,
        responses={201: ItemDetailSerializer, **ERRORS},
        tags=["catalog"],
    )
    def create(self, request, *args, **kwargs):
        item = services.item_create(actor=request.user, **_write_arguments(request.data))
        return Response(self._detail(item.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an item (centre administrators)",
        description=(
            "Only the fields sent change; `materials` or `steps`, when sent, replace the "
            "whole list. `reason` is required. A change makes a new version; `is_active: "
            "false` withdraws the item."
        ),
        request=ItemWriteSerializer,
        responses={
            200: ItemDetailSerializer,
            **ERRORS,
            404: OpenApiResponse(CatalogErrorSerializer),
        },
        tags=["catalog"],
    )
    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        item = services.item_update(actor=request.user, item=item, **_write_arguments(request.data))
        return Response(self._detail(item.pk))

    def _detail(self, pk: int) -> dict[str, Any]:
        item = self.get_queryset().get(pk=pk)
        return ItemDetailSerializer(item, context=self.get_serializer_context()).data

    def _any_item(self) -> Item:
        """The item whatever its state: the change register of a withdrawn item stays open."""
        return get_object_or_404(Item.objects.only("pk"), pk=self.kwargs["pk"])

    @extend_schema(
        summary="The item's change register (事项变动登记), newest first",
        auth=READ_AUTH,
        responses={
            200: ItemVersionSerializer(many=True),
            404: OpenApiResponse(CatalogErrorSerializer),
        },
        tags=["catalog"],
    )
    @action(detail=True, methods=["get"], url_path="versions")
    def versions(self, request, pk=None):
        item = self._any_item()
        versions = (
            ItemVersion.objects.filter(item=item).select_related("changed_by").order_by("-number")
        )
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(ItemVersionSerializer(page, many=True).data)

    @extend_schema(
        summary="One version of the item's guide, as it was saved",
        auth=READ_AUTH,
        parameters=[OpenApiParameter("number", int, OpenApiParameter.PATH)],
        responses={200: ItemVersionDetailSerializer, 404: OpenApiResponse(CatalogErrorSerializer)},
        tags=["catalog"],
    )
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)")
    def version(self, request, pk=None, number=None):
        version = get_object_or_404(
            ItemVersion.objects.select_related("changed_by"), item_id=pk, number=number
        )
        return Response(ItemVersionDetailSerializer(version).data)


class BundleViewSet(viewsets.ReadOnlyModelViewSet):
    """一件事一次办: the bundles in the catalog, with their member items."""

    queryset = Bundle.objects.all()  # for the schema and the router; see get_queryset
    permission_classes = [AllowAny]
    serializer_class = BundleSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Bundle]:
        return selectors.bundles_active().order_by("name", "pk")

    @extend_schema(summary="List the bundles (一件事一次办)", tags=["catalog"])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One bundle", tags=["catalog"])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
