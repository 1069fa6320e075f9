"""Signing in reads the user's unit with the user (org.authentication): one query, for the
session and for an API token, and the usual refusals."""

import pytest
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from bangban.org.authentication import UnitModelBackend, UnitTokenAuthentication
from bangban.org.models import Level
from tests.factories import TEST_PASSWORD, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return UserFactory(unit=UnitFactory(level=Level.TOWN), role="agent")


def test_the_session_user_comes_with_the_unit(agent, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = UnitModelBackend().get_user(agent.pk)
        assert user.unit.path == agent.unit.path
    agent.is_active = False
    agent.save()
    assert UnitModelBackend().get_user(agent.pk) is None
    assert UnitModelBackend().get_user(987654) is None


def test_a_password_login_uses_it(agent, client):
    credentials = {"username": agent.username, "password": TEST_PASSWORD}
    response = client.post(reverse("login"), credentials)
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "bangban.org.authentication.UnitModelBackend"


def test_the_token_user_comes_with_the_unit(agent, django_assert_num_queries):
    token = Token.objects.create(user=agent)
    with django_assert_num_queries(1):
        user, found = UnitTokenAuthentication().authenticate_credentials(token.key)
        assert (user.unit.path, found) == (agent.unit.path, token)


def test_a_wrong_or_inactive_token_is_refused_in_chinese(agent):
    with pytest.raises(exceptions.AuthenticationFailed) as wrong:
        UnitTokenAuthentication().authenticate_credentials("0" * 40)
    assert str(wrong.value.detail) == "认证令牌无效。"
    token = Token.objects.create(user=agent)
    agent.is_active = False
    agent.save()
    with pytest.raises(exceptions.AuthenticationFailed) as inactive:
        UnitTokenAuthentication().authenticate_credentials(token.key)
    assert str(inactive.value.detail) == "用户未激活或者已删除。"


def _values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


@pytest.mark.parametrize("with_unit", [True, False])
def test_the_token_read_gives_what_the_orm_gives(agent, with_unit):
    """The one SELECT built from the models' metadata (token_with_user) yields the same three
    instances, value for value, as the ORM's select_related: times with their time zone,
    booleans as booleans, and no unit for a user without one."""
    from django.utils import timezone

    from bangban.org.authentication import token_with_user

    if not with_unit:
        agent.unit = None
        agent.role = "admin"
    agent.last_login = timezone.now()
    agent.save()
    token = Token.objects.create(user=agent)
    read = token_with_user(token.key)
    orm = Token.objects.select_related("user", "user__unit").get(key=token.key)
    assert _values(read) == _values(orm)
    assert _values(read.user) == _values(orm.user)
    assert read.user.last_login.tzinfo is not None and read.created.tzinfo is not None
    assert read.user.is_active is True and read.user.is_demo is False
    if with_unit:
        assert _values(read.user.unit) == _values(orm.user.unit)
    else:
        assert read.user.unit is None
    assert read._state.adding is False and read.user._state.adding is False
    assert token_with_user("0" * 40) is None


def test_the_token_select_is_built_once_and_binds_the_key(agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bangban.org.authentication import _token_select, token_with_user

    token = Token.objects.create(user=agent)
    _token_select.cache_clear()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            token_with_user(token.key)
    assert (_token_select.cache_info().misses, _token_select.cache_info().hits) == (1, 2)
    assert len(queries) == 3
    # The key is bound, never written into the text that is built once.
    assert token.key not in _token_select(connection.vendor)[0]
