"""等保 level-3 basics: lockout, password rules, idle timeout, headers, login events."""

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from bangban.core.middleware import SessionRefreshMiddleware
from bangban.core.models import Event
from tests.cases.api_helpers import HAN
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_failures_lock_the_account_even_for_the_right_password(client):
    user = UserFactory(unit=None, role="supervisor")
    for _ in range(4):
        response = login(client, user.username, "wrong-Pass1")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    response = login(client, user.username, "wrong-Pass1")
    assert response.status_code == 429
    response = login(client, user.username, TEST_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "30" in response.content.decode()
    assert Event.objects.filter(action="auth.login_failed", actor_label=user.username).count() >= 5


def test_lockout_is_per_account_and_lifts_after_30_minutes(client, settings):
    locked, other = (
        UserFactory(unit=None, role="supervisor"),
        UserFactory(unit=None, role="supervisor"),
    )
    for _ in range(5):
        login(client, locked.username, "wrong-Pass1")
    assert login(client, other.username, TEST_PASSWORD).status_code == 302
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60


def test_successful_login_and_logout_are_events(client):
    user = UserFactory(unit=None, role="supervisor")
    assert login(client, user.username, TEST_PASSWORD).status_code == 302
    client.post(reverse("logout"))
    actions = list(Event.objects.filter(actor=user).values_list("action", flat=True))
    assert actions == ["auth.login", "auth.logout"]


def test_failed_login_shows_a_chinese_message(client):
    response = login(client, "nobody", "wrong-Pass1")
    assert "请输入一个正确的" in response.content.decode()


@pytest.mark.parametrize(
    "password",
    ["Ab1!", "abcdefgh", "abcd1234", "ABCDabcd", "qwertyuiop"],
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", ["Zhang#2026x", "county-Admin9", "Qc2026West"])
def test_three_character_classes_pass(password):
    validate_password(password)


def test_passwords_are_hashed_with_argon2():
    user = UserFactory(unit=None, role="supervisor")
    assert user.password.startswith("argon2")


def test_idle_timeout_is_30_minutes_and_renewed_by_activity():
    assert settings.SESSION_COOKIE_AGE == 1800
    # Renewed at most once a minute, not written on every request: test_session_refresh.py.
    assert "bangban.core.middleware.SessionRefreshMiddleware" in settings.MIDDLEWARE


def test_secure_headers_and_csp(client):
    response = client.get(reverse("login"))
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_forms_require_csrf(client):
    csrf_client = client.__class__(enforce_csrf_checks=True)
    response = csrf_client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_pages_need_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert client.get("/api/v1/agents/").status_code in (401, 403)


def test_token_authentication(client):
    user = UserFactory(unit=None, role="supervisor")
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api = client.__class__(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/units/").status_code == 200
    bad = client.post("/api/v1/auth/token/", {"username": user.username, "password": "nope"})
    assert bad.status_code == 400
    assert "无法" in str(bad.json())


def test_openapi_schema_and_local_docs(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    body = schema.content.decode()
    assert "/api/v1/agents/" in body and "/api/v1/calendar/due-date" in body
    docs = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()


def test_idle_session_expires_and_activity_renews_it(client):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    user = UserFactory(unit=None, role="supervisor")
    login(client, user.username, TEST_PASSWORD)
    key = client.session.session_key
    # 25 idle minutes: the last renewal 25 minutes back (activity renews at most once a
    # minute), 5 minutes left.
    session = client.session
    session[SessionRefreshMiddleware.KEY] -= 25 * 60
    session.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get(reverse("home")).status_code == 200
    renewed = Session.objects.get(pk=key).expire_date - timezone.now()
    assert timedelta(minutes=29) < renewed <= timedelta(minutes=30)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_api_errors_are_json_with_chinese_messages_never_500(client):
    user = UserFactory(unit=None, role="supervisor")
    client.force_login(user)
    missing = client.get("/api/v1/agents/999999/")
    assert missing.status_code == 404 and missing.json()["detail"] == "未找到。"
    bad_page = client.get("/api/v1/units/", {"page": "abc"})
    # A page number that is not one is a bad request on `page`, in Chinese (core.api).
    assert bad_page.status_code == 400 and bad_page.json()["field"] == "page"
    assert HAN.search(bad_page.json()["detail"])
    assert client.get("/api/v1/units/", {"page_size": "x"}).status_code == 200
    reveal = client.post("/api/v1/agents/999999/reveal/", {"field": "phone"})
    assert reveal.status_code == 404


def test_supervisor_cannot_write_through_the_api(client):
    from tests.factories import AgentFactory

    agent = AgentFactory()
    client.force_login(UserFactory(unit=None, role="supervisor"))
    assert client.post("/api/v1/agents/", {"name": "x"}).status_code == 405
    assert client.patch(f"/api/v1/agents/{agent.pk}/", {"name": "x"}).status_code == 405
