"""Coverage targets in the admin (configurable per tier); the catalog itself is edited on its
staff pages, where every change needs a reason."""

from django.contrib import admin

from bangban.catalog import services
from bangban.catalog.models import CoverageTarget
from bangban.org.admin import ScopedAdmin


@admin.register(CoverageTarget)
class CoverageTargetAdmin(ScopedAdmin):
    list_display = ["level", "minimum"]

    def get_queryset(self, request):
        return CoverageTarget.objects.all()

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["level"]

    def apply(self, request, instance, data):
        return services.coverage_target_set(
            actor=request.user, level=instance.level, minimum=data["minimum"]
        )
