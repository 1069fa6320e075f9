"""The front desk of the workbench, under /cases/ (namespace "desk")."""

from django.urls import path

from bangban.cases import views_desk

app_name = "desk"

urlpatterns = [
    path("register/", views_desk.register, name="register"),
    path("register/check/<str:field>/", views_desk.register_check, name="register-check"),
    path("register/items/", views_desk.register_items, name="register-items"),
    path("consultations/", views_desk.consultations, name="consultations"),
    path("meetings/", views_desk.meetings, name="meetings"),
    path("worklog/", views_desk.worklog, name="worklog"),
]
