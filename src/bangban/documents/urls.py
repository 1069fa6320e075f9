from django.urls import path

from bangban.documents import views

app_name = "documents"

urlpatterns = [
    path("cases/<int:pk>/<slug:kind>.pdf", views.form_pdf, name="form-pdf"),
]
