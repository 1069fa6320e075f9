from django.urls import path

from bangban.org import views

urlpatterns = [
    path("", views.home, name="home"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    path("agents/", views.agent_list, name="agent-list"),
    path("agents/<int:pk>/", views.agent_detail, name="agent-detail"),
    path("agents/<int:pk>/reveal/<str:field>/", views.agent_reveal, name="agent-reveal"),
    path("personnel-changes/", views.personnel_change_list, name="personnel-change-list"),
    path("personnel-changes/new/", views.personnel_change_create, name="personnel-change-create"),
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/new/", views.activity_create, name="activity-create"),
    path("activities/<int:pk>/", views.activity_detail, name="activity-detail"),
]
