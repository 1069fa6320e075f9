"""Booking a slot: the slots follow the point's hours (lunch hour and weekend appointments
included, holidays excluded), a full slot is not offered, unreadable hours say "call"."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone

from bangban.cases import hours
from bangban.cases.models import Booking
from bangban.cases.selectors import bookings_for_unit
from bangban.cases.services import booking_make, slots_available
from bangban.core.errors import Conflict, ValidationFailed
from bangban.org.demo_data import VILLAGE_WEEKEND_HOURS
from bangban.org.models import Role
from tests.factories import UserFactory
from tests.portal import public_helpers
from tests.portal.public_helpers import (
    PHONE,
    last_code,
    make_world,
    messages,
)

pytestmark = pytest.mark.django_db
sms = public_helpers.sms  # the fixture


def _times(unit, day: date) -> list[str]:
    found = hours.slots(unit, first=day, days=1, minutes=30)
    return [f"{timezone.localtime(s.start):%H:%M}" for s in found]


def test_slots_follow_the_hours_and_the_calendar():
    village = make_world()["village"]
    monday = _times(village, date(2026, 11, 23))
    # 8:30-12:00, the lunch hour 12:00-14:30 by appointment, 14:30-18:00.
    assert monday[0] == "08:30" and "12:00" in monday and "14:00" in monday
    assert monday[-1] == "17:30" and len(monday) == 19
    # Saturday morning appointments only; Sunday closed.
    assert _times(village, date(2026, 11, 28)) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]
    assert _times(village, date(2026, 11, 29)) == []
    # National Day (a Thursday) is a holiday.
    assert _times(village, date(2026, 10, 1)) == []


def test_unreadable_hours_offer_no_slot_and_say_call():
    village = make_world()["villages"][1]
    village.opening_hours = "请电话联系"
    village.weekend_hours = VILLAGE_WEEKEND_HOURS
    village.save()
    found = hours.hours_of(village)
    assert not found.bookable and found.unreadable == ("opening_hours", "weekend_hours")
    assert hours.slots(village, first=date(2026, 11, 23), days=7, minutes=30) == []


def test_a_full_slot_is_not_offered(settings, sms):
    settings.BANGBAN_BOOKING_SLOT_CAPACITY = 2
    world = make_world()
    offered = slots_available(world["village"])
    assert offered, "the point offers slots in the coming days"
    key = offered[0].slot.key
    for n, phone in enumerate(["13900000001", "13900000002"]):
        booking_make(
            phone=phone,
            unit=world["village"],
            item=world["item"],
            slot=key,
            applicant_name=f"申请人{n}",
        )
    assert key not in [o.slot.key for o in slots_available(world["village"])]
    with pytest.raises(Conflict):
        booking_make(
            phone=PHONE, unit=world["village"], item=world["item"], slot=key, applicant_name="迟到"
        )


def test_a_slot_outside_the_hours_is_refused(sms):
    world = make_world()
    with pytest.raises(ValidationFailed):
        booking_make(
            phone=PHONE,
            unit=world["village"],
            item=world["item"],
            slot="203001010300",
            applicant_name="张三",
        )


def test_booking_through_the_pages(client, sms, django_capture_on_commit_callbacks):
    world = make_world()
    client.post(reverse("portal-book"), {"item": world["item"].pk, "unit": world["village"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal-verify"), {"step": "send", "phone": PHONE})
    response = client.post(
        reverse("portal-verify"), {"step": "verify", "phone": PHONE, "code": last_code(sms)}
    )
    assert response["Location"] == reverse("portal-book-details")
    page = client.get(response["Location"]).content.decode()
    key = slots_available(world["village"])[0].slot.key
    assert f'value="{key}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal-book-details"),
            {
                "slot": key,
                "applicant_name": "王大爷",
                "special_group": "1",
                "home_visit": "1",
                "address": "第1镇1村",
            },
        )
    assert response.status_code == 302, response.content.decode()[:1500]
    booking = Booking.objects.get()
    assert booking.home_visit and booking.phone == PHONE
    assert booking.code in client.get(response["Location"]).content.decode()
    confirmed = messages(sms, "booking_confirmed")
    assert [m["params"]["code"] for m in confirmed] == [booking.code]
    # The point's staff see it on the day's list.
    day = timezone.localtime(booking.start).date()
    assert list(bookings_for_unit(actor=world["agent"], day=day)) == [booking]
    client.force_login(world["agent"])
    staff = client.get(reverse("cases:bookings"), {"day": day.isoformat()}).content.decode()
    assert booking.code in staff and "139****5678" in staff


def test_home_visit_needs_an_address(sms):
    world = make_world()
    key = slots_available(world["village"])[0].slot.key
    with pytest.raises(ValidationFailed):
        booking_make(
            phone=PHONE,
            unit=world["village"],
            item=world["item"],
            slot=key,
            applicant_name="王大爷",
            special_group=True,
            home_visit=True,
        )


def test_slot_keys_are_local_times():
    village = make_world()["village"]
    first = hours.slots(village, first=date(2026, 11, 23), days=1, minutes=30)[0]
    assert first.key == "202611230830"
    assert timezone.localtime(first.start).time() == time(8, 30)
    assert (
        hours.slot_of(
            village,
            "202611230830",
            minutes=30,
            days=7,
            after=timezone.make_aware(datetime(2026, 11, 22, 20, 0)),
        )
        == first
    )


def test_the_point_closes_a_booking_once(client, sms):
    world = make_world()
    key = slots_available(world["village"])[0].slot.key
    booking = booking_make(
        phone=PHONE, unit=world["village"], item=world["item"], slot=key, applicant_name="张三"
    )
    url = reverse("cases:booking-close", args=[booking.pk])
    # Another village's agent may not close it.
    client.force_login(UserFactory(unit=world["villages"][2], role=Role.AGENT))
    assert client.post(url, {"state": "served"}).status_code == 403
    client.force_login(world["agent"])
    day = timezone.localtime(booking.start).date()
    page = client.get(reverse("cases:bookings"), {"day": day.isoformat()}).content.decode()
    assert f'action="{url}"' in page
    response = client.post(url, {"state": "served"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.state == Booking.State.SERVED
    # Closed once: a second click (or the other button) is refused, nothing changes.
    assert client.post(url, {"state": "cancelled"}).status_code == 409
    assert client.post(url, {"state": "nonsense"}).status_code == 400
    booking.refresh_from_db()
    assert booking.state == Booking.State.SERVED
