from django.urls import path

from bangban.portal import views, views_catalog

urlpatterns = [
    path("roster/", views.roster_index, name="roster-index"),
    path("roster/<str:code>/", views.roster, name="roster"),
    path("items/", views_catalog.catalog_search, name="catalog-search"),
    path("items/<int:pk>/", views_catalog.guide, name="guide"),
    path("bundles/<int:pk>/", views_catalog.bundle_guide, name="bundle-guide"),
    path(
        "materials/<int:pk>/<str:kind>/",
        views_catalog.material_file,
        name="material-file",
    ),
]
