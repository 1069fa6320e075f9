"""Excel import and export of the catalog (under /catalog/excel/)."""

from django.urls import path

from bangban.catalog import views_excel

urlpatterns = [
    path("", views_excel.excel_page, name="catalog-excel"),
    path("export/", views_excel.catalog_export, name="catalog-export"),
    path("import/", views_excel.catalog_import, name="catalog-import"),
    path("import/<int:pk>/", views_excel.import_job, name="catalog-import-job"),
    path("import/<int:pk>/report/", views_excel.import_report, name="catalog-import-report"),
]
