"""Django admin for centre administrators, limited to their own tree. Saving goes through the
services so that admin edits are validated and leave events like any other change."""

from django import forms
from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from bangban.core.errors import ApplicationError
from bangban.org import services
from bangban.org.models import (
    EIGHT_HAVES,
    Agent,
    PersonnelChange,
    Role,
    StaffingMinimum,
    Unit,
    User,
)
from bangban.org.scoping import scope_by_unit

ADMIN_ROLES = {Role.CENTRE_ADMIN, Role.SYSADMIN}


class ScopedAdmin(admin.ModelAdmin):
    """Visible to centre and system administrators; rows limited to the user's subtree (an
    out-of-scope id answers 404, as everywhere); nothing is ever deleted."""

    path_field = "unit__path"

    def _is_admin(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or user.role in ADMIN_ROLES)

    def has_module_permission(self, request):
        return self._is_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._is_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_admin(request)

    def has_add_permission(self, request):
        return self._is_admin(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, self.path_field)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django's admin redirects with "does not exist"; like every other face of the
        # platform, an object out of scope is simply not found.
        raise Http404

    def apply(self, request, instance, data):
        """Write through the service; return the saved object."""
        raise NotImplementedError

    def get_form(self, request, obj=None, **kwargs):
        # The service runs in the form's clean(), inside the admin's transaction, so that a
        # refusal shows as a form error and nothing is half-saved.
        base = super().get_form(request, obj, **kwargs)
        model_admin = self

        class ServiceForm(base):
            def clean(self):
                data = super().clean()
                if self.errors:
                    return data
                existing = self.instance if self.instance.pk else None
                try:
                    self.instance = model_admin.apply(request, existing, data)
                except ApplicationError as exc:
                    self.add_error(exc.field if exc.field in self.fields else None, exc.message)
                return data

        return ServiceForm

    def save_model(self, request, obj, form, change):
        """Already saved by the service in the form's clean()."""


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    path_field = "path"
    list_display = ["name", "code", "level", "parent", "phone", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]
    fieldsets = [
        (None, {"fields": ["name", "code", "level", "parent", "path", "is_active"]}),
        (
            _("Contact and hours"),
            {"fields": ["address", "phone", "opening_hours", "lunch_hours", "weekend_hours"]},
        ),
        (
            _("Eight-haves checklist"),
            {"fields": [field for field, _label in EIGHT_HAVES]},
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Code, level and place in the tree are fixed once created: paths and history hang on them.
        return ["path", "code", "level", "parent"] if obj else ["path"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = scope_by_unit(Unit.objects.all(), request.user, "path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def apply(self, request, instance, data):
        details = {f: data[f] for f in services.UNIT_DETAIL_FIELDS if f in data}
        if instance is not None:
            return services.unit_update(actor=request.user, unit=instance, **details)
        return services.unit_create(
            actor=request.user,
            code=data["code"],
            level=data["level"],
            parent=data["parent"],
            **details,
        )


@admin.register(Agent)
class AgentAdmin(ScopedAdmin):
    list_display = [
        "name",
        "unit",
        "post",
        "service_kind",
        "employment",
        "on_duty",
        "active_from",
        "active_until",
    ]
    list_filter = ["post", "service_kind", "employment", "on_duty", "unit__level"]
    search_fields = ["name", "unit__name"]
    fields = [
        "unit",
        "name",
        "id_number",
        "phone",
        "public_phone",
        "email",
        "photo",
        "employment",
        "service_kind",
        "post",
        "service_hours",
        "on_duty",
        "active_from",
    ]
    list_select_related = ["unit"]

    def get_readonly_fields(self, request, obj=None):
        return ["unit", "active_from"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            kwargs["queryset"] = scope_by_unit(Unit.objects.all(), request.user, "path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def apply(self, request, instance, data):
        details = {f: data[f] for f in [*services.AGENT_DETAIL_FIELDS, "photo"] if f in data}
        if instance is not None:
            return services.agent_update(
                actor=request.user,
                agent=instance,
                id_number=data["id_number"],
                phone=data["phone"],
                **details,
            )
        name = details.pop("name")
        return services.agent_create(
            actor=request.user,
            unit=data["unit"],
            name=name,
            id_number=data["id_number"],
            phone=data["phone"],
            active_from=data.get("active_from"),
            **details,
        )


@admin.register(PersonnelChange)
class PersonnelChangeAdmin(ScopedAdmin):
    """Read here; registered through the staff page, which applies the 3-day rule."""

    list_display = ["unit", "previous_agent", "post", "new_agent", "effective_date", "recorded_by"]
    list_select_related = ["unit", "previous_agent", "new_agent", "recorded_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StaffingMinimum)
class StaffingMinimumAdmin(ScopedAdmin):
    list_display = ["level", "minimum"]

    def get_queryset(self, request):
        return StaffingMinimum.objects.all()

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["level"]

    def apply(self, request, instance, data):
        return services.staffing_minimum_set(
            actor=request.user, level=instance.level, minimum=data["minimum"]
        )


class UserCreateForm(forms.ModelForm):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ["username", "full_name", "role", "unit"]


@admin.register(User)
class UserAdmin(ScopedAdmin):
    """Accounts of the administrator's tree. Passwords are set when the account is created
    (and must pass the password rules); accounts are switched off, never deleted."""

    list_display = ["username", "full_name", "role", "unit", "is_active", "is_demo", "last_login"]
    list_filter = ["role", "is_active", "is_demo"]
    search_fields = ["username", "full_name"]
    list_select_related = ["unit"]
    add_form = UserCreateForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["username", "full_name", "role", "unit", "password"]
        return ["username", "full_name", "role", "unit", "is_active", "is_demo", "last_login"]

    def get_readonly_fields(self, request, obj=None):
        return ["username", "is_demo", "last_login"] if obj else []

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            kwargs["queryset"] = scope_by_unit(Unit.objects.all(), request.user, "path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        # Users without a unit (applicants, supervisors) belong to no tree: system
        # administrators see them; centre administrators see their tree's staff.
        return scope_by_unit(User.objects.all(), request.user, "unit__path")

    def apply(self, request, instance, data):
        if instance is not None:
            return services.user_update(
                actor=request.user,
                user=instance,
                **{f: data[f] for f in services.USER_DETAIL_FIELDS if f in data},
            )
        return services.user_create(
            actor=request.user,
            username=data["username"],
            password=data["password"],
            role=data["role"],
            unit=data["unit"],
            full_name=data["full_name"],
        )
