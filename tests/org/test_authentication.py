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
