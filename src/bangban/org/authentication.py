"""Signing in, reading the user's unit with the user. Nearly every staff request scopes what it
reads by the user's unit (its path), so loading the unit lazily costs one more database round
trip on every page and API call; these read both in one query."""

from functools import cache

from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from bangban.org.models import Unit, User


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
        token = token_with_user(key)
        if token is None:
            raise exceptions.AuthenticationFailed(self.invalid_message)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(self.inactive_message)
        return (token.user, token)


# The models read for a token, in the order of the SELECT's columns, with their table aliases.
_TOKEN_READ = ((Token, "t"), (User, "u"), (Unit, "n"))


@cache
def _token_select(vendor: str) -> tuple[str, list[tuple]]:
    """The SELECT of a token with its user and the user's unit, built once from the models'
    metadata, and how to make instances of each model from its columns: the attribute names
    and, for the columns that have any, the converters the ORM itself would apply (the
    database's, then the field's: a time zone, a decryption). Every API request authenticates,
    and `select_related(...).get()` compiled this statement again each time: about two thirds
    of the authentication's CPU (ADR 0007 §19). `vendor` keys the cache: the quoting and
    the converters are the connection's."""
    quote = connection.ops.quote_name

    def table(model):
        return quote(model._meta.db_table)

    def column(alias, model, name):
        return f"{alias}.{quote(model._meta.get_field(name).column)}"

    columns, parts = [], []
    for model, alias in _TOKEN_READ:
        fields = model._meta.concrete_fields
        columns += [column(alias, model, field.name) for field in fields]
        converting = []
        for index, field in enumerate(fields):
            expression = field.get_col(alias)
            converters = [
                *connection.ops.get_db_converters(expression),
                *expression.get_db_converters(connection),
            ]
            if converters:
                converting.append((index, expression, converters))
        names = [field.attname for field in fields]
        parts.append((model, names, names.index(model._meta.pk.attname), converting))
    # Only the models' own table and column names enter the text; the key is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {table(Token)} t "  # noqa: S608
        f"JOIN {table(User)} u ON {column('u', User, 'id')} = {column('t', Token, 'user')} "
        f"LEFT JOIN {table(Unit)} n ON {column('n', Unit, 'id')} = {column('u', User, 'unit')} "
        f"WHERE {column('t', Token, 'key')} = %s"
    )
    return sql, parts


def token_with_user(key: str) -> Token | None:
    """The token of `key` with its user, and the user with their unit (None for a user without
    one), read in one query; None when no token has this key."""
    sql, parts = _token_select(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model, names, key_index, converting in parts:
        values = list(row[start : start + len(names)])
        start += len(names)
        for index, expression, converters in converting:
            for converter in converters:
                values[index] = converter(values[index], expression, connection)
        # A user without a unit: the LEFT JOIN gave null for every column of the unit.
        found = values[key_index] is not None
        instances.append(model.from_db(connection.alias, names, values) if found else None)
    token, user, unit = instances
    user.unit = unit
    token.user = user
    return token
