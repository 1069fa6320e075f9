"""The workbench (工作台), under /cases/."""

from django.urls import path

from bangban.cases import views, views_bookings, views_photos

app_name = "cases"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("<int:pk>/", views.case_page, name="detail"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    path(
        "<int:pk>/deficiencies/<int:deficiency_pk>/receive/",
        views.deficiency_receive,
        name="deficiency-receive",
    ),
    path(
        "<int:pk>/incidents/<int:incident_pk>/resolve/",
        views.incident_resolve,
        name="incident-resolve",
    ),
    path("bookings/", views_bookings.bookings, name="bookings"),
    path("bookings/<int:pk>/close/", views_bookings.booking_close, name="booking-close"),
    path("<int:pk>/photos/<int:photo_pk>/", views_photos.case_photo, name="photo"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/unread/", views.notifications_unread, name="notifications-unread"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
]
