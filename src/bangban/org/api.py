"""JSON API of units and agents: read-only lists scoped to the caller, and the logged reveal."""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from bangban.core.errors import ValidationFailed
from bangban.core.masking import mask_id_number, mask_phone
from bangban.org import selectors, services
from bangban.org.models import Agent, Level, Unit


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Null for a county."
    )
    eight_haves = serializers.SerializerMethodField()

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "level",
            "parent",
            "path",
            "address",
            "phone",
            "opening_hours",
            "lunch_hours",
            "weekend_hours",
            "is_active",
            "eight_haves",
        ]

    def get_eight_haves(self, unit: Unit) -> dict[str, bool]:
        return {field: ok for field, _label, ok in unit.eight_haves()}


class AgentSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    id_number = serializers.SerializerMethodField(help_text="Masked; use the reveal action.")
    phone = serializers.SerializerMethodField(help_text="Masked; use the reveal action.")

    class Meta:
        model = Agent
        fields = [
            "id",
            "name",
            "unit",
            "unit_name",
            "id_number",
            "phone",
            "public_phone",
            "email",
            "employment",
            "service_kind",
            "post",
            "service_hours",
            "on_duty",
            "active_from",
            "active_until",
        ]

    def get_id_number(self, agent: Agent) -> str:
        return mask_id_number(agent.id_number)

    def get_phone(self, agent: Agent) -> str:
        return mask_phone(agent.phone)


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    # Ids are numbers: anything else matches no route (a JSON 404), not a failing lookup.
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        qs = selectors.units_visible(actor=self.request.user)
        level = self.request.query_params.get("level")
        if level:
            # Only a level there is: any other text went to the database as it came, and one
            # holding a NUL character made PostgreSQL fail (500).
            if level not in Level.values:
                raise ValidationFailed(
                    _("The level (level) must be one of: %(levels)s.")
                    % {"levels": ", ".join(Level.values)},
                    field="level",
                )
            qs = qs.filter(level=level)
        return qs.order_by("path")

    @extend_schema(parameters=[OpenApiParameter("level", str, enum=Level.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class AgentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AgentSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        # A NUL character is in no name, and PostgreSQL refuses it in a query (it was a 500).
        search = self.request.query_params.get("q", "").replace("\x00", "")[:50]
        return selectors.agents_visible(actor=self.request.user, search=search)

    def get_object(self):
        # Past agents too: the personnel change register links to them.
        return selectors.agent_get(actor=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(parameters=[OpenApiParameter("q", str, description="name or unit")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=inline_serializer(
            "RevealRequest", {"field": serializers.ChoiceField(["id_number", "phone"])}
        ),
        responses=inline_serializer(
            "RevealResponse", {"field": serializers.CharField(), "value": serializers.CharField()}
        ),
        description="Show one unmasked personal value. Every call is logged as an event.",
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        agent = self.get_object()
        # A JSON body need not be an object (`true`, `[1]`): that asks for no field (it was a 500).
        body = request.data if isinstance(request.data, Mapping) else {}
        field = str(body.get("field", ""))
        value = services.personal_data_reveal(
            actor=request.user, agent=agent, field=field, ip_address=request.META.get("REMOTE_ADDR")
        )
        return Response({"field": field, "value": value})
