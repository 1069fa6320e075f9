from django.urls import path

from bangban.feedback import views, views_followup

app_name = "feedback"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("complaints/<int:pk>/route/", views_followup.complaint_route, name="complaint-route"),
    path(
        "complaints/<int:pk>/conclude/",
        views_followup.complaint_conclude,
        name="complaint-conclude",
    ),
    path("complaints/hotline/", views_followup.complaint_hotline, name="complaint-hotline"),
    path("obstacles/<int:pk>/", views.obstacle_detail, name="obstacle"),
    path("rectifications/", views_followup.rectification_list, name="rectifications"),
    path("rectifications/<int:pk>/", views_followup.rectification_detail, name="rectification"),
    path(
        "rectifications/<int:pk>/evidence/<int:evidence_pk>/",
        views_followup.evidence_open,
        name="rectification-evidence",
    ),
    path("callbacks/", views_followup.sample_list, name="samples"),
    path("callbacks/<int:pk>/", views_followup.sample_detail, name="sample"),
]
