"""Public JSON API of the shared kernel: the due date of a time limit in working days."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bangban.core.calendar import MAX_WORKING_DAYS, add_working_days, explain
from bangban.core.errors import ValidationFailed


class DueDateQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        input_formats=["iso-8601"],
        help_text="The starting day (the day of acceptance, not counted), YYYY-MM-DD.",
        error_messages={
            "required": _("Give the starting date (start) as YYYY-MM-DD."),
            "invalid": _("The starting date (start) must be a date written as YYYY-MM-DD."),
            "null": _("Give the starting date (start) as YYYY-MM-DD."),
        },
    )
    working_days = serializers.IntegerField(
        min_value=0,
        max_value=MAX_WORKING_DAYS,
        help_text="The time limit in working days (0 means the starting day itself).",
        error_messages={
            "required": _("Give the number of working days (working_days)."),
            "invalid": _("The number of working days (working_days) must be a whole number."),
            "min_value": _("The number of working days (working_days) cannot be negative."),
            "max_value": _(
                "The number of working days (working_days) cannot be more than {max_value}."
            ),
            "max_string_length": _(
                "The number of working days (working_days) must be a whole number."
            ),
        },
    )


class DatedNameSerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()


class DueDateExplanationSerializer(serializers.Serializer):
    skipped_holidays = DatedNameSerializer(many=True)
    adjusted_workdays_counted = DatedNameSerializer(many=True)
    skipped_weekend_days = serializers.IntegerField()
    text = serializers.CharField()


class DueDateSerializer(serializers.Serializer):
    start = serializers.DateField()
    working_days = serializers.IntegerField()
    due_date = serializers.DateField()
    explanation = DueDateExplanationSerializer()


class DueDateErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="The message for the user (Chinese).")
    code = serializers.CharField(help_text="ValidationFailed or CalendarNotCovered.")
    field = serializers.CharField(required=False, help_text="The query parameter at fault.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Every message, by query parameter.",
    )
    year = serializers.IntegerField(required=False, help_text="The year not yet covered.")


class DueDateView(APIView):
    """Open to anyone (the public portal shows applicants their promised dates), read-only and
    without a session, so it needs neither login nor CSRF token."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        operation_id="calendar_due_date",
        summary="Due date of a time limit in working days",
        description=(
            "Counts `working_days` working days after `start` (the starting day is not "
            "counted; a start on a day off counts from the next working day), skipping legal "
            "holidays and weekends and counting adjusted working days (调休上班). A date in a "
            "year whose schedule has not been entered answers 400: the date is never guessed."
        ),
        parameters=[
            OpenApiParameter(
                "start",
                OpenApiTypes.DATE,
                OpenApiParameter.QUERY,
                required=True,
                description="The starting day, YYYY-MM-DD (not counted).",
            ),
            OpenApiParameter(
                "working_days",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                required=True,
                description=f"The time limit in working days, 0 to {MAX_WORKING_DAYS}.",
            ),
        ],
        responses={
            200: DueDateSerializer,
            400: OpenApiResponse(
                DueDateErrorSerializer, description="Bad query or year not covered."
            ),
        },
        tags=["calendar"],
    )
    def get(self, request: Request) -> Response:
        query = DueDateQuerySerializer(data=request.query_params)
        if not query.is_valid():
            errors = query.errors
            first = next(iter(errors.values()))[0]
            raise ValidationFailed(str(first), field=next(iter(errors)), extra={"errors": errors})
        due = add_working_days(query.validated_data["start"], query.validated_data["working_days"])
        body = {
            "start": due.start,
            "working_days": due.working_days,
            "due_date": due.due_date,
            "explanation": {
                "skipped_holidays": [{"date": d, "name": n} for d, n in due.skipped_holidays],
                "adjusted_workdays_counted": [
                    {"date": d, "name": n} for d, n in due.adjusted_workdays
                ],
                "skipped_weekend_days": due.skipped_weekends,
                "text": explain(due),
            },
        }
        return Response(DueDateSerializer(body).data)
