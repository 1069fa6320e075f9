"""Staff pages of the catalog (under /catalog/)."""

from django.urls import include, path

urlpatterns = [
    path("excel/", include("bangban.catalog.urls_excel")),
    path("", include("bangban.catalog.urls_staff")),
]
