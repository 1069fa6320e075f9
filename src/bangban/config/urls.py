from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import obtain_auth_token

from bangban.core.health import healthz
from bangban.core.middleware import with_inline_styles

# An address under /api/ that no route matches answers in the API's JSON shape.
handler404 = "bangban.core.api.not_found"

api_v1 = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        with_inline_styles(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("calendar/", include("bangban.core.api_urls")),
    path("", include("bangban.org.api_urls")),
    path("", include("bangban.catalog.api_urls")),
    path("", include("bangban.cases.api_urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include(api_v1)),
    path("public/", include("bangban.portal.urls")),
    path("catalog/", include("bangban.catalog.urls")),
    path("cases/", include("bangban.cases.urls_desk")),
    path("cases/", include("bangban.cases.urls")),
    path("documents/", include("bangban.documents.urls")),
    path("supervision/", include("bangban.supervision.urls")),
    path("assessment/", include("bangban.assessment.urls")),
    path("feedback/", include("bangban.feedback.urls")),
    path("notify/", include("bangban.notify.urls")),
    path("help/", include("bangban.manual.urls")),
    # Agents' photos are published on the public roster. A large deployment lets nginx serve
    # MEDIA_ROOT/agents/ (and nothing else of MEDIA_ROOT) instead (docs/operations.md, nginx).
    re_path(r"^media/(?P<path>agents/[\w.-]+)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include("bangban.org.urls")),
]
