from django.urls import path, re_path

from bangban.manual import views

app_name = "manual"

urlpatterns = [
    path("", views.index, name="index"),
    re_path(r"^pdf/(?P<name>[a-z-]+)\.pdf$", views.pdf, name="pdf"),
    re_path(r"^img/(?P<name>[a-z0-9-]+)\.png$", views.image, name="image"),
    # Slugs are file stems, the English ones under en/ (en/admin) and the quick guides under
    # quick/.
    re_path(r"^(?P<slug>(?:(?:en|quick)/)?[a-z]+)/$", views.chapter, name="chapter"),
]
