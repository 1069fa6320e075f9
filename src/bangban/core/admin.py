"""Admin of the shared kernel: the working-day calendar and the (read-only) event log.

Calendar days are saved through `calendar_day_set`, so an administrator's override is checked
and leaves an event like any other change. Years are read-only here: a year becomes covered only
by importing its whole schedule (`bangban calendar-import`), never by editing single days.
"""

from django.contrib import admin
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from bangban.core.models import CalendarDay, CalendarYear, Event
from bangban.core.services import calendar_day_set, can_manage_calendar


def _is_sysadmin(user) -> bool:
    return user.is_active and getattr(user, "role", None) == "sysadmin"


class CalendarAdminMixin:
    """Seen and changed by calendar managers (by role, like the rest of the admin; Django's own
    model permissions still let others view); nothing deleted, since a removed row would
    silently change past due dates."""

    def has_module_permission(self, request):
        return can_manage_calendar(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return can_manage_calendar(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return can_manage_calendar(request.user)

    def has_change_permission(self, request, obj=None):
        return can_manage_calendar(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAdminMixin, admin.ModelAdmin):
    list_display = ["year", "source", "created_at"]
    search_fields = ["source"]
    readonly_fields = ["year", "source", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAdminMixin, admin.ModelAdmin):
    list_display = ["date", "weekday", "is_working_day", "kind", "name", "source", "updated_at"]
    list_filter = [YearFilter, "kind", "is_working_day"]
    search_fields = ["name", "source"]
    date_hierarchy = "date"
    fields = ["date", "is_working_day", "name", "source", "kind", "updated_at"]
    ordering = ["-date"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return WEEKDAYS[obj.date.weekday()] if obj.date else ""

    def get_readonly_fields(self, request, obj=None):
        # The kind follows from the date and the flag; the date of an existing row is fixed
        # (changing it would be a different day: add that one instead).
        return ["date", "kind", "updated_at"] if obj else ["kind", "updated_at"]

    def save_model(self, request, obj, form, change):
        day = calendar_day_set(
            actor=request.user,
            date=obj.date,
            is_working_day=obj.is_working_day,
            name=obj.name,
            source=obj.source,
        )
        # The admin goes on to log and redirect with `obj`: make it the saved row.
        obj.pk, obj.kind, obj.updated_at = day.pk, day.kind, day.updated_at
        obj._state.adding = False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The audit trail, for system administrators (and whoever Django's permissions allow):
    read-only, as the chain requires."""

    list_display = ["seq", "occurred_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_id", "action"]
    date_hierarchy = "occurred_at"

    def has_module_permission(self, request):
        return _is_sysadmin(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return _is_sysadmin(request.user) or super().has_view_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Event._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
