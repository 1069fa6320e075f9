"""The product's URLs plus the framework floor: a bare DRF list over the same case table with
the same filter, order and page size as the measured case-list API — no scoping, no
permission logic, plain fields."""

from django.urls import path
from rest_framework import generics, permissions, serializers
from rest_framework.pagination import PageNumberPagination

from bangban.cases.models import Case
from bangban.config.urls import urlpatterns as product


class FloorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["id", "number", "state", "kind", "channel", "applicant_name", "due_date"]


class FloorPage(PageNumberPagination):
    page_size = 50


class FloorList(generics.ListAPIView):
    serializer_class = FloorSerializer
    pagination_class = FloorPage
    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    def get_queryset(self):
        params = self.request.query_params
        queryset = Case.objects.all()
        if params.get("state"):
            queryset = queryset.filter(state=params["state"])
        if params.get("channel"):
            queryset = queryset.filter(channel=params["channel"])
        return queryset.order_by("-special_group", "due_date", "-registered_at", "pk")


urlpatterns = [path("bench/floor/cases/", FloorList.as_view()), *product]
