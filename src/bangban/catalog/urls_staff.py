"""Staff pages of the catalog, under /catalog/."""

from django.urls import path

from bangban.catalog import views

urlpatterns = [
    path("", views.catalog_list, name="catalog-list"),
    path("items/new/", views.item_create, name="item-create"),
    path("items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("items/<int:pk>/versions/", views.item_versions, name="item-versions"),
    path("items/<int:pk>/versions/<int:number>/", views.item_version, name="item-version"),
    path("coverage/", views.coverage, name="catalog-coverage"),
    path("points/<int:pk>/", views.point_catalog, name="point-catalog"),
]
