"""Assessment pages, under /assessment/."""

from django.urls import path

from bangban.assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>/", views.year_page, name="year"),
    path("<int:year>/ranking.pdf", views.ranking_pdf, name="ranking-pdf"),
    path("<int:year>/ranking.xlsx", views.ranking_xlsx, name="ranking-xlsx"),
    path("<int:year>/towns/<int:pk>/", views.town_page, name="town"),
    path("<int:year>/towns/<int:pk>/sheet.pdf", views.sheet_pdf, name="sheet-pdf"),
    path("<int:year>/towns/<int:pk>/sheet.xlsx", views.sheet_xlsx, name="sheet-xlsx"),
    path("findings/", views.findings, name="findings"),
    path("findings/<int:pk>/evidence/", views.finding_evidence, name="finding-evidence"),
    path("findings/<int:pk>/withdraw/", views.finding_withdraw, name="finding-withdraw"),
]
