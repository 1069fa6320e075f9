"""Supervision pages, under /supervision/."""

from django.urls import path

from bangban.supervision import views, views_dashboard, views_monthly

app_name = "supervision"

urlpatterns = [
    path("ledger/", views.ledger_page, name="ledger"),
    path("ledger/<int:pk>/", views.ledger_export, name="ledger-export"),
    path("ledger/<int:pk>/download/", views.ledger_download, name="ledger-download"),
    path("monthly/", views_monthly.monthly_page, name="monthly"),
    path("monthly/<int:pk>/report.pdf", views_monthly.monthly_pdf, name="monthly-pdf"),
    path("monthly/<int:pk>/report.xlsx", views_monthly.monthly_xlsx, name="monthly-xlsx"),
    path("dashboard/", views_dashboard.dashboard_page, name="dashboard"),
    path("dashboard/cases/", views_dashboard.dashboard_cases, name="dashboard-cases"),
    path("overdue/", views_dashboard.overdue_board, name="overdue"),
]
