"""Logins, logouts and failed logins are events too (等保 audit requirement); calendar writes
refresh the calendar snapshot."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from bangban.core.calendar import calendar_changed
from bangban.core.events import event_record
from bangban.core.models import CalendarDay, CalendarYear


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def _unit_path(user) -> str:
    return getattr(user, "unit_path", "") or ""


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    event_record(
        actor=user,
        action="auth.login",
        object_type="auth.user",
        object_id=user.pk,
        unit_path=_unit_path(user),
        ip_address=_ip(request),
    )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    event_record(
        actor=user,
        action="auth.logout",
        object_type="auth.user",
        object_id=user.pk,
        unit_path=_unit_path(user),
        ip_address=_ip(request),
    )


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Only the user name is kept, never the password that was tried.
    event_record(
        actor=None,
        action="auth.login_failed",
        object_type="auth.user",
        actor_label=str(credentials.get("username", ""))[:150],
        ip_address=_ip(request),
    )


# The working-day calendar is read from an in-process snapshot (core.calendar): any write
# forgets it, in this process at once, after the commit again (a reader inside the writing
# transaction may have reloaded it meanwhile).
def _calendar_written(sender, **kwargs):
    calendar_changed()
    transaction.on_commit(calendar_changed)


for _model in (CalendarDay, CalendarYear):
    post_save.connect(_calendar_written, sender=_model, dispatch_uid=f"calendar-{_model.__name__}")
    post_delete.connect(
        _calendar_written, sender=_model, dispatch_uid=f"calendar-del-{_model.__name__}"
    )
