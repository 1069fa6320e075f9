from django.urls import path

from bangban.feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("obstacles/<int:pk>/", views.obstacle_detail, name="obstacle"),
]
