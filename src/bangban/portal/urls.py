from django.urls import path

from bangban.portal import views

urlpatterns = [
    path("roster/", views.roster_index, name="roster-index"),
    path("roster/<str:code>/", views.roster, name="roster"),
]
