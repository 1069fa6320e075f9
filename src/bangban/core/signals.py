"""Logins, logouts and failed logins are events too (等保 audit requirement)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from bangban.core.events import event_record


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
