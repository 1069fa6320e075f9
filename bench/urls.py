"""The product's URLs plus the framework floor: a bare DRF list over the same case table with
the same filter, order and page size as the measured case-list API — no scoping, no
permission logic, plain fields."""

from django.urls import path
from rest_framework import generics, permissions, serializers
from rest_framework.pagination import CursorPagination

from bangban.cases.models import Case
from bangban.config.urls import urlpatterns as product


class FloorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["id", "number", "state", "kind", "channel", "applicant_name", "due_date"]


FLOOR_ORDER_COLUMNS = ("special_group", "due_date", "registered_at")


class FloorPage(CursorPagination):
    """DRF's own cursor pagination over the API's ordering. The API pages by keyset and counts
    nothing; a page-number floor would COUNT the filtered set on every request (most of its
    time over a million rows) and flatter the ratio. DRF's paginator, not ours, so that the
    floor owes nothing to the code it measures: its first page is the same ORDER BY … LIMIT."""

    page_size = 50
    ordering = ("-special_group", "due_date", "-registered_at", "pk")


class FloorList(generics.ListAPIView):
    serializer_class = FloorSerializer
    pagination_class = FloorPage
    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    def get_queryset(self):
        params = self.request.query_params
        # Only the columns it shows and pages by, as the API reads only its own: loading the
        # rest would decrypt two identifiers a row that neither list returns, and raise the
        # floor. (The cursor reads every row's first ordering column.)
        queryset = Case.objects.only(*FloorSerializer.Meta.fields, *FLOOR_ORDER_COLUMNS)
        if params.get("state"):
            queryset = queryset.filter(state=params["state"])
        if params.get("channel"):
            queryset = queryset.filter(channel=params["channel"])
        return queryset


urlpatterns = [path("bench/floor/cases/", FloorList.as_view()), *product]
