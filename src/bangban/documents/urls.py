from django.urls import path

from bangban.documents import views, views_archive, views_flowchart

app_name = "documents"

urlpatterns = [
    path("cases/<int:pk>/<slug:kind>.pdf", views.form_file, name="form-pdf"),
    path("cases/<int:pk>/<slug:kind>.docx", views.form_file, {"fmt": "docx"}, name="form-docx"),
    path(
        "cases/<int:pk>/<slug:kind>/<slug:subject>.pdf",
        views.form_file,
        name="form-subject-pdf",
    ),
    path("records/<int:pk>/", views.document_file, name="record"),
    path("records/<int:pk>/scans/", views.scan_upload, name="scan-upload"),
    path("scans/<int:pk>/", views.scan_file, name="scan"),
    path("cases/<int:pk>/archive/", views_archive.archive_case_export, name="archive-case"),
    path("archives/", views_archive.archive_page, name="archives"),
    path("archives/<int:pk>/", views_archive.archive_export, name="archive-export"),
    path("archives/<int:pk>/download/", views_archive.archive_download, name="archive-download"),
    path("flowcharts/<slug:kind>.pdf", views_flowchart.flowchart_pdf, name="flowchart-pdf"),
]
