"""Supervision pages, under /supervision/."""

from django.urls import path

from bangban.supervision import views

app_name = "supervision"

urlpatterns = [
    path("ledger/", views.ledger_page, name="ledger"),
    path("ledger/<int:pk>/", views.ledger_export, name="ledger-export"),
    path("ledger/<int:pk>/download/", views.ledger_download, name="ledger-download"),
]
