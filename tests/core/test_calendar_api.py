"""GET /api/v1/calendar/due-date: open to anyone, 400 (never 500) on bad input or an uncovered
year, and a couple of queries whatever the span."""

from datetime import date

import pytest
from django.urls import reverse

from bangban.core.services import calendar_day_set
from bangban.org.models import User

pytestmark = pytest.mark.django_db


def get(client, **params):
    return client.get(reverse("calendar-due-date"), params)


def test_route():
    assert reverse("calendar-due-date") == "/api/v1/calendar/due-date"


def test_spring_festival_due_date_with_its_explanation(client):
    response = get(client, start="2026-02-13", working_days=10)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["start"] == "2026-02-13"
    assert body["working_days"] == 10
    assert body["due_date"] == "2026-03-05"
    explanation = body["explanation"]
    assert explanation["skipped_holidays"] == [
        {"date": f"2026-02-{day}", "name": "春节"} for day in range(15, 24)
    ]
    assert explanation["adjusted_workdays_counted"] == [
        {"date": "2026-02-14", "name": "春节调休上班"},
        {"date": "2026-02-28", "name": "春节调休上班"},
    ]
    assert explanation["skipped_weekend_days"] == 1
    assert "春节" in explanation["text"]


def test_anonymous_without_csrf(client):
    # A POST-free, session-free endpoint: an anonymous client with CSRF checks on gets through.
    from django.test import Client

    response = get(Client(enforce_csrf_checks=True), start="2026-03-07", working_days=0)
    assert response.status_code == 200
    assert response.json()["due_date"] == "2026-03-07"


def test_start_on_saturday_and_one_day_across_a_holiday(client):
    assert get(client, start="2026-03-07", working_days=1).json()["due_date"] == "2026-03-09"
    assert get(client, start="2026-04-30", working_days=1).json()["due_date"] == "2026-05-06"
    assert get(client, start="2026-09-30", working_days=3).json()["due_date"] == "2026-10-10"


def test_a_span_into_2027_is_refused_naming_the_year(client):
    response = get(client, start="2026-12-20", working_days=30)
    assert response.status_code == 400
    body = response.json()
    assert "2027" in body["detail"]
    assert body["code"] == "CalendarNotCovered"
    assert body["year"] == 2027


def test_a_2027_start_is_refused(client):
    response = get(client, start="2027-03-01", working_days=0)
    assert response.status_code == 400
    assert "2027" in response.json()["detail"]
    assert "calendar-import" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-02-30", "working_days": 1}, "start"),
        ({"start": "13/02/2026", "working_days": 1}, "start"),
        ({"start": "", "working_days": 1}, "start"),
        ({"working_days": 1}, "start"),
        ({"start": "2026-02-13"}, "working_days"),
        ({"start": "2026-02-13", "working_days": "ten"}, "working_days"),
        ({"start": "2026-02-13", "working_days": "-1"}, "working_days"),
        ({"start": "2026-02-13", "working_days": "3651"}, "working_days"),
        ({"start": "2026-02-13", "working_days": "9" * 40}, "working_days"),
        ({"start": "99999-01-01", "working_days": 1}, "start"),
    ],
)
def test_bad_queries_answer_400(client, params, field):
    response = get(client, **params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field
    assert body["detail"]
    assert field in body["errors"]


def test_the_last_covered_day_does_not_overflow(client):
    assert get(client, start="9999-12-31", working_days=1).status_code == 400


def test_admin_override_shows_in_the_answer(client):
    admin = User.objects.create_user(username="a", password="Test@Pass2026", role="sysadmin")
    assert get(client, start="2026-03-06", working_days=1).json()["due_date"] == "2026-03-09"
    calendar_day_set(
        actor=admin, date=date(2026, 3, 9), is_working_day=False, name="临时闭馆", source="测试"
    )
    body = get(client, start="2026-03-06", working_days=1).json()
    assert body["due_date"] == "2026-03-10"
    assert body["explanation"]["skipped_holidays"] == [{"date": "2026-03-09", "name": "临时闭馆"}]


def test_query_count_is_small_for_a_long_span(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = get(client, start="2024-01-02", working_days=500)
    assert response.status_code == 200
    assert response.json()["due_date"] == "2026-01-05"


def test_documented_in_the_schema(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/calendar/due-date"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"start", "working_days"}
    assert "200" in operation["responses"]
    assert "400" in operation["responses"]
