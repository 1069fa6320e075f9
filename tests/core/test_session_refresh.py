"""The 30-minute idle timeout (等保 level 3) is renewed by activity at most once a minute
(SessionRefreshMiddleware), not by a session write on every request."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bangban.core.middleware import SessionRefreshMiddleware
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


class Clock:
    """timezone.now() moved forward at will: what the session backend and the middleware read."""

    def __init__(self, monkeypatch):
        self.offset = timedelta()
        real_now = timezone.now
        monkeypatch.setattr("django.utils.timezone.now", lambda: real_now() + self.offset)

    def advance(self, **kwargs) -> None:
        self.offset += timedelta(**kwargs)

    def now(self):
        return timezone.now()


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def signed_in(client):
    user = UserFactory(unit=None, role="supervisor")
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def expiry(client):
    return Session.objects.get(pk=client.session.session_key).expire_date


def test_the_middleware_replaces_saving_the_session_on_every_request():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    middleware = settings.MIDDLEWARE
    refresh = "bangban.core.middleware.SessionRefreshMiddleware"
    # Inside SessionMiddleware, which saves what the refresh marks on the way out.
    assert middleware.index(refresh) > middleware.index(
        "django.contrib.sessions.middleware.SessionMiddleware"
    )
    assert SessionRefreshMiddleware.REFRESH_SECONDS == 60


def test_requests_within_a_minute_do_not_write_the_session(signed_in, clock):
    first = expiry(signed_in)
    clock.advance(seconds=30)
    with CaptureQueriesContext(connection) as queries:
        assert signed_in.get(reverse("home")).status_code == 200
    writes = [
        q["sql"] for q in queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]
    ]
    assert writes == []
    assert expiry(signed_in) == first


def test_activity_after_a_minute_renews_the_timeout(signed_in, clock):
    clock.advance(minutes=20)
    assert signed_in.get(reverse("home")).status_code == 200
    renewed = expiry(signed_in) - clock.now()
    assert timedelta(minutes=29) < renewed <= timedelta(minutes=30)
    # Twenty more minutes: alive, because the activity above renewed it.
    clock.advance(minutes=20)
    assert signed_in.get(reverse("home")).status_code == 200


def test_a_session_ends_at_most_30_minutes_after_the_last_request(signed_in, clock):
    # Requests every 50 seconds renew it only every other time, yet it never lapses.
    for _ in range(6):
        clock.advance(seconds=50)
        assert signed_in.get(reverse("home")).status_code == 200
    # Idle from here: alive just under 29 minutes on (the last renewal was at most a minute
    # ago), gone after 30.
    clock.advance(minutes=28, seconds=50)
    assert signed_in.get(reverse("home")).status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = signed_in.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_clock_set_back_renews_rather_than_waits(signed_in, clock):
    clock.advance(minutes=-10)
    signed_in.get(reverse("home"))
    renewed = expiry(signed_in) - clock.now()
    assert timedelta(minutes=29) < renewed <= timedelta(minutes=30)


def test_anonymous_visitors_get_no_session(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()


def test_a_stale_cookie_creates_no_session(client):
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    client.get(reverse("login"))
    assert not Session.objects.exists()


def test_logout_is_not_undone_by_the_refresh(signed_in, clock):
    clock.advance(minutes=5)
    signed_in.post(reverse("logout"))
    assert not Session.objects.exists()
    response = signed_in.get(reverse("home"))
    assert response.status_code == 302
