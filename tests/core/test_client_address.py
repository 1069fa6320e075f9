"""The client's address behind a reverse proxy (core.middleware.ClientAddressMiddleware): taken
from X-Real-IP only when the request comes from a trusted proxy, so that the per-address
limits and the audit events see the citizen, and a client cannot pick its own address."""

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from bangban.core.errors import TooManyRequests
from bangban.core.middleware import ClientAddressMiddleware
from bangban.core.models import Event
from bangban.core.ratelimit import client_ip, ratelimit_hit

pytestmark = pytest.mark.django_db


def failed_login_ip(client: Client, **headers) -> str | None:
    client.post(reverse("login"), {"username": "nobody", "password": "wrong-Pass1"}, **headers)
    return Event.objects.filter(action="auth.login_failed").latest("seq").ip_address


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.BANGBAN_TRUSTED_PROXIES = []
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert failed_login_ip(client, HTTP_X_REAL_IP="203.0.113.7") == "127.0.0.1"


def test_a_trusted_proxy_gives_the_clients_address(settings):
    settings.BANGBAN_TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert failed_login_ip(client, HTTP_X_REAL_IP="203.0.113.7") == "203.0.113.7"
    assert failed_login_ip(client, HTTP_X_REAL_IP="2001:db8::1") == "2001:db8::1"


@pytest.mark.parametrize("header", ["", "not-an-address", "203.0.113.7, 10.0.0.1", "1.2.3.4\x00"])
def test_a_missing_or_bad_header_leaves_the_proxys_address(settings, header):
    settings.BANGBAN_TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert failed_login_ip(client, HTTP_X_REAL_IP=header) == "127.0.0.1"


def test_a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address(settings):
    settings.BANGBAN_TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="198.51.100.20")
    assert failed_login_ip(client, HTTP_X_REAL_IP="203.0.113.7") == "198.51.100.20"


def test_the_per_address_limit_counts_each_citizen_behind_the_proxy(settings):
    """Two citizens behind one nginx are counted apart: the first reaching the limit does not
    lock out the second."""
    settings.BANGBAN_TRUSTED_PROXIES = ["127.0.0.1"]
    seen = []

    def view(request):
        seen.append(client_ip(request))
        try:
            ratelimit_hit("portal-post", client_ip(request), limit=1, window=60)
        except TooManyRequests:
            return HttpResponse(status=429)
        return HttpResponse("ok")

    middleware = ClientAddressMiddleware(view)
    factory = RequestFactory(REMOTE_ADDR="127.0.0.1")
    first = [middleware(factory.get("/", HTTP_X_REAL_IP="203.0.113.7")) for _ in range(2)]
    second = middleware(factory.get("/", HTTP_X_REAL_IP="203.0.113.8"))
    assert [r.status_code for r in first] == [200, 429]
    assert second.status_code == 200
    assert seen == ["203.0.113.7", "203.0.113.7", "203.0.113.8"]
