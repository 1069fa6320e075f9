from django.urls import path

from bangban.core.api_views import DueDateView

urlpatterns = [
    path("due-date", DueDateView.as_view(), name="calendar-due-date"),
]
