"""Signing in, reading the user's unit with the user. Nearly every staff request scopes what it
reads by the user's unit (its path), so loading the unit lazily costs one more database round
trip on every page and API call; these read both in one query."""

from django.contrib.auth.backends import ModelBackend
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from bangban.org.models import User


class UnitModelBackend(ModelBackend):
    """Django's model backend; the session's user comes with their unit."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("unit").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class UnitTokenAuthentication(TokenAuthentication):
    """DRF's token authentication; the token's user comes with their unit."""

    invalid_message = _("Invalid token.")
    inactive_message = _("User inactive or deleted.")

    def authenticate_credentials(self, key):
        # `get`, not `first`: the key is the primary key, and `first` would order by it.
        try:
            token = Token.objects.select_related("user", "user__unit").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(self.invalid_message) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(self.inactive_message)
        return (token.user, token)
