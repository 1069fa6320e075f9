"""Staff pages of the outbox, under /notify/."""

from django.urls import path

from bangban.notify import views

app_name = "notify"

urlpatterns = [
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:pk>/resend/", views.outbox_resend_view, name="outbox-resend"),
]
