"""Rating from the signed link: five levels and a comment, once per case; a bad or expired
token and a second attempt get a polite page, never a 500."""

import pytest
from django.urls import reverse

from bangban.cases.models import Rating, RatingSource
from bangban.cases.tokens import rating_token
from bangban.cases.workflow import State
from tests.cases.factories import case_in_state

pytestmark = pytest.mark.django_db


def _url(case, token=None) -> str:
    return f"{reverse('portal-rate', args=[case.number])}?t={token or rating_token(case)}"


def test_rate_once_through_the_link(client):
    case = case_in_state(State.DELIVERED)
    assert client.get(_url(case)).status_code == 200
    response = client.post(_url(case), {"level": "5", "comment": "很好", "t": rating_token(case)})
    assert response.status_code == 200
    rating = Rating.objects.get(case=case)
    assert rating.level == 5 and rating.comment == "很好" and rating.source == RatingSource.LINK
    case.refresh_from_db()
    assert case.log.filter(action="rate").exists()
    again = client.post(_url(case), {"level": "1", "t": rating_token(case)})
    assert again.status_code == 409
    assert 'data-testid="rate-message"' in again.content.decode()
    assert Rating.objects.get(case=case).level == 5
    assert client.get(_url(case)).status_code == 409


def test_qr_source(client):
    case = case_in_state(State.DELIVERED)
    client.post(_url(case) + "&via=qr", {"level": "4", "t": rating_token(case), "via": "qr"})
    assert Rating.objects.get(case=case).source == RatingSource.QR


def test_bad_and_expired_tokens_are_refused_politely(client, settings):
    case = case_in_state(State.DELIVERED)
    assert client.get(_url(case, "forged:token")).status_code == 400
    other = case_in_state(State.DELIVERED)
    assert client.get(_url(case, rating_token(other))).status_code == 400
    settings.BANGBAN_RATING_LINK_DAYS = -1
    response = client.get(_url(case))
    assert response.status_code == 400
    assert 'data-testid="rate-message"' in response.content.decode()
    assert not Rating.objects.exists()


def test_a_level_must_be_chosen(client):
    case = case_in_state(State.DELIVERED)
    response = client.post(_url(case), {"level": "9", "t": rating_token(case)})
    assert response.status_code == 400
    assert not Rating.objects.exists()


def test_an_open_case_cannot_be_rated_yet(client):
    case = case_in_state(State.IN_PROGRESS)
    response = client.post(_url(case), {"level": "5", "t": rating_token(case)})
    assert response.status_code == 409
    assert not Rating.objects.exists()
