"""Rectification of bad ratings (差评整改): opened by a bad rating from staff or the public, due
in working days on the official calendar, recorded with evidence, extended with a reason and a
date, closed by a satisfied callback — end to end through the HTTP client."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from freezegun import freeze_time

from bangban.cases import services as case_services
from bangban.cases.models import Notification
from bangban.cases.tokens import rating_token
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.models import CalendarYear, Event
from bangban.feedback import followup, selectors
from bangban.feedback.models import Rectification, RectificationState
from bangban.notify.models import Kind, OutboxMessage
from bangban.org.models import Role
from tests.factories import UserFactory

from .conftest import png

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
# Wednesday 30 September 2026: then the National Day holiday (1–7 October), Thursday 8 and
# Friday 9, Saturday 10 October (an adjusted working day, 调休上班), Sunday 11 off, Monday 12 and
# Tuesday 13. Five working days after the 30th: 13 October.
RATED = datetime(2026, 9, 30, 10, 0, tzinfo=TZ)
DUE = date(2026, 10, 13)


def rate(point, case, level, **kw):
    return case_services.rating_record(
        actor=point.agent, case=case, revision=case.revision, level=level, **kw
    )


def bad_case(point, level=2):
    with freeze_time(RATED):
        case = point.case()
        rate(point, case, level, comment="窗口人员态度差")
    return case, Rectification.objects.get(case=case)


def test_a_bad_staff_rating_opens_one_rectification_due_in_five_working_days(point):
    case, rectification = bad_case(point, level=2)
    assert Rectification.objects.count() == 1
    assert rectification.unit == point.unit and rectification.rating == case.rating
    assert rectification.state == RectificationState.OPEN
    assert rectification.due_on == DUE and rectification.due_note == ""
    assert Event.objects.filter(action="rectification.open").count() == 1
    # The unit's manager is told in the app and by text message.
    assert Notification.objects.filter(recipient=point.manager, case=case).exists()
    message = OutboxMessage.objects.get(kind=Kind.RECTIFICATION_DUE)
    assert message.subject == case.number


def test_a_very_bad_public_rating_opens_one_too(point):
    with freeze_time(RATED):
        case = point.case()
        case_services.rating_record_public(token=rating_token(case), level=1)
    rectification = Rectification.objects.get()
    assert rectification.case == case and rectification.due_on == DUE
    assert rectification.rating.level == 1


@pytest.mark.parametrize("level", [3, 4, 5])
def test_a_good_or_fair_rating_opens_none(point, level):
    rate(point, point.case(), level)
    assert not Rectification.objects.exists()


def test_a_declined_rating_opens_none(point):
    case = point.case()
    case_services.rating_record(actor=point.agent, case=case, revision=case.revision, declined=True)
    assert not Rectification.objects.exists()


def test_the_days_are_a_setting(point, settings):
    settings.BANGBAN_RECTIFICATION_DAYS = 2
    _case, rectification = bad_case(point)
    assert rectification.due_on == date(2026, 10, 9)


def test_without_the_calendar_it_opens_with_a_note_and_no_date(point):
    case = point.case()
    CalendarYear.objects.all().delete()
    rate(point, case, 2)
    rectification = Rectification.objects.get()
    assert rectification.due_on is None and "calendar-import" in rectification.due_note


def _record(client, rectification, **extra):
    data = {
        "op": "record",
        "finding_category": "attitude",
        "finding": "窗口人员未耐心解释",
        "action_taken": "批评教育并当面致歉",
        "evidence": png(),
    }
    return client.post(reverse("feedback:rectification", args=[rectification.pk]), data | extra)


def test_record_then_a_satisfied_callback_closes_it(client, point):
    _case, rectification = bad_case(point)
    client.force_login(point.manager)
    page = client.get(reverse("feedback:rectification", args=[rectification.pk]))
    assert page.status_code == 200 and 'data-testid="record-form"' in page.content.decode()
    assert 'data-testid="callback-form"' not in page.content.decode()

    with freeze_time(datetime(2026, 10, 12, 9, 0, tzinfo=TZ)):
        response = _record(client, rectification)
    assert response.status_code == 302
    # (The session saved under the frozen clock has expired by the real one.)
    client.force_login(point.manager)
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.DONE
    assert rectification.finding_category == "attitude" and rectification.done_by == point.manager
    evidence = rectification.evidence.get()
    assert evidence.content_type == "image/png" and len(evidence.sha256) == 64
    opened = client.get(
        reverse("feedback:rectification-evidence", args=[rectification.pk, evidence.pk])
    )
    assert opened.status_code == 200 and opened["Content-Type"] == "image/png"

    # The manager cannot make the callback: the centre does.
    refused = client.post(
        reverse("feedback:rectification", args=[rectification.pk]),
        {"op": "callback", "reached": "yes", "satisfaction": "5"},
    )
    assert refused.status_code == 403

    client.force_login(point.admin)
    response = client.post(
        reverse("feedback:rectification", args=[rectification.pk]),
        {"op": "callback", "reached": "yes", "satisfaction": "4", "remarks": "已满意"},
    )
    assert response.status_code == 302
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.CLOSED and rectification.closed_at
    callback = rectification.callbacks.get()
    assert callback.satisfaction == 4 and callback.called_by == point.admin
    assert callback.sample is None
    actions = list(
        Event.objects.filter(action__startswith="rectification.").values_list("action", flat=True)
    )
    assert sorted(actions) == [
        "rectification.callback",
        "rectification.open",
        "rectification.record",
    ]


def test_finishing_late_needs_a_reason_and_a_new_date(client, point):
    _case, rectification = bad_case(point)
    client.force_login(point.manager)
    late = datetime(2026, 10, 15, 9, 0, tzinfo=TZ)  # two days after the 13th
    with freeze_time(late):
        refused = _record(client, rectification)
        assert refused.status_code == 400
        assert "late_reason" in refused.context["record_form"].errors
        rectification.refresh_from_db()
        assert rectification.state == RectificationState.OPEN
        assert not rectification.evidence.exists()
        # Overdue on the list and in the summary.
        listing = client.get(reverse("feedback:rectifications"), {"overdue": "1"})
        assert listing.context["page"].paginator.count == 1
        assert listing.context["summary"][0].overdue == 1

        # A reason without a date is still refused.
        refused = _record(client, rectification, late_reason="当事人出差")
        assert refused.status_code == 400
        assert "new_due_on" in refused.context["record_form"].errors

        accepted = _record(
            client, rectification, late_reason="当事人出差，无法当面致歉", new_due_on="2026-10-16"
        )
    assert accepted.status_code == 302
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.DONE
    assert rectification.late_reason == "当事人出差，无法当面致歉"
    assert rectification.new_due_on == date(2026, 10, 16) and rectification.due_on == DUE
    event = Event.objects.get(action="rectification.record")
    assert event.after["late"] is True


def test_an_extension_asked_before_the_due_date(point):
    _case, rectification = bad_case(point)
    with freeze_time(datetime(2026, 10, 9, 9, 0, tzinfo=TZ)):
        with pytest.raises(ValidationFailed) as refused:
            followup.rectification_extend(
                actor=point.manager,
                rectification=rectification,
                late_reason="需要调取监控",
                new_due_on=date(2026, 10, 12),  # not after the current due date
            )
        assert refused.value.field == "new_due_on"
        followup.rectification_extend(
            actor=point.manager,
            rectification=rectification,
            late_reason="需要调取监控",
            new_due_on=date(2026, 10, 20),
        )
    rectification.refresh_from_db()
    assert rectification.effective_due_on == date(2026, 10, 20)
    # After the old date but before the new one, recording needs no further reason.
    with freeze_time(datetime(2026, 10, 19, 9, 0, tzinfo=TZ)):
        assert not rectification.is_overdue(date(2026, 10, 19))
        followup.rectification_record(
            actor=point.manager,
            rectification=rectification,
            finding_category="delay",
            finding="查明",
            action_taken="整改",
            evidence=[png()],
        )
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.DONE


def test_a_dissatisfied_callback_reopens_it_with_a_new_due_date(client, point):
    _case, rectification = bad_case(point)
    with freeze_time(datetime(2026, 10, 12, 9, 0, tzinfo=TZ)):
        followup.rectification_record(
            actor=point.manager,
            rectification=rectification,
            finding_category="attitude",
            finding="查明",
            action_taken="致歉",
            evidence=[png()],
        )
    client.force_login(point.admin)
    # Not reached: recorded, still waiting for the callback.
    with freeze_time(datetime(2026, 10, 13, 9, 0, tzinfo=TZ)):
        client.post(
            reverse("feedback:rectification", args=[rectification.pk]),
            {"op": "callback", "reached": "no"},
        )
        rectification.refresh_from_db()
        assert rectification.state == RectificationState.DONE
        # Reached and still dissatisfied: back to open, due five working days from today.
        response = client.post(
            reverse("feedback:rectification", args=[rectification.pk]),
            {"op": "callback", "reached": "yes", "satisfaction": "2", "remarks": "仍不满意"},
        )
    assert response.status_code == 302
    client.force_login(point.admin)
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.OPEN and rectification.reopened == 1
    assert rectification.due_on == date(2026, 10, 20) and rectification.new_due_on is None
    assert rectification.callbacks.count() == 2
    # The managers are told again.
    assert OutboxMessage.objects.filter(kind=Kind.RECTIFICATION_DUE).count() == 2
    # Reached without a level is refused.
    with freeze_time(datetime(2026, 10, 14, 9, 0, tzinfo=TZ)):
        followup.rectification_record(
            actor=point.manager,
            rectification=rectification,
            finding_category="attitude",
            finding="再次查明",
            action_taken="上门致歉",
        )
    bad = client.post(
        reverse("feedback:rectification", args=[rectification.pk]),
        {"op": "callback", "reached": "yes", "satisfaction": ""},
    )
    assert bad.status_code == 400


def _set(rectification, *, state, category="", opened=None, closed=None):
    rectification.state = state
    rectification.finding_category = category
    if opened:
        rectification.opened_at = opened
    rectification.closed_at = closed
    rectification.save()


def test_rates_overdue_and_double_zero_on_a_small_set(point):
    other = type(point)()  # a second village point
    third = type(point)()
    at = lambda m, d: datetime(2026, m, d, 10, 0, tzinfo=TZ)  # noqa: E731
    with freeze_time(RATED):
        a1, a2, a3 = (point.case() for _ in range(3))
        b1, b2 = (other.case() for _ in range(2))
        c1 = third.case()
        for case in (a1, a2, a3):
            rate(point, case, 2)
        for case in (b1, b2):
            rate(other, case, 1)
        rate(third, c1, 2)
    by_case = {r.case_id: r for r in Rectification.objects.all()}
    # Unit A: one closed, one done awaiting the callback, one open and overdue.
    _set(by_case[a1.pk], state="closed", category="attitude", closed=at(10, 5))
    _set(by_case[a2.pk], state="done", category="delay")
    # Unit B: both closed, but the second found the same problem as the first after the first
    # had been closed: the problem came back.
    _set(by_case[b1.pk], state="closed", category="delay", opened=at(3, 1), closed=at(3, 10))
    _set(by_case[b2.pk], state="closed", category="delay", opened=at(6, 1), closed=at(6, 10))
    # Unit C: its one bad rating rectified and closed.
    _set(by_case[c1.pk], state="closed", category="gifts", closed=at(10, 9))

    admin = point.admin
    supervisor = UserFactory(role=Role.SUPERVISOR, unit=None)
    for actor in (admin, supervisor):
        rows = {
            s.unit: s
            for s in selectors.rectification_summary(
                actor=actor,
                since=date(2026, 1, 1),
                until=date(2026, 12, 31),
                today=date(2026, 11, 1),
            )
        }
        if actor is admin:
            # The centre admin of the first county sees its own units only.
            assert set(rows) == {point.unit}
            continue
        a, b, c = rows[point.unit], rows[other.unit], rows[third.unit]
        assert (a.opened, a.closed, a.overdue, a.rate) == (3, 1, 1, 1 / 3)
        assert not a.ratings_cleared and a.problems_cleared and not a.double_zero
        assert (b.opened, b.closed, b.overdue, b.rate) == (2, 2, 0, 1.0)
        assert b.ratings_cleared and b.recurring == ["delay"] and not b.double_zero
        assert (c.rate, c.double_zero) == (1.0, True)
    # A point manager sees their own unit's row only.
    rows = selectors.rectification_summary(
        actor=other.manager, since=date(2026, 1, 1), until=date(2026, 12, 31)
    )
    assert [s.unit for s in rows] == [other.unit]


def test_who_may_see_and_change(client, point):
    _case, rectification = bad_case(point)
    url = reverse("feedback:rectification", args=[rectification.pk])
    agent = point.agent
    client.force_login(agent)
    assert client.get(reverse("feedback:rectifications")).status_code == 403
    outsider = type(point)().manager
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    supervisor = UserFactory(role=Role.SUPERVISOR, unit=None)
    client.force_login(supervisor)
    assert client.get(url).status_code == 200
    assert client.post(url, {"op": "record"}).status_code == 403
    with pytest.raises(PermissionDenied):
        followup.rectification_record(
            actor=supervisor,
            rectification=rectification,
            finding_category="attitude",
            finding="x",
            action_taken="y",
            evidence=[png()],
        )
    with pytest.raises(PermissionDenied):
        followup.rectification_extend(
            actor=outsider, rectification=rectification, late_reason="x", new_due_on=DUE
        )
    # The list links from the complaints page.
    client.force_login(point.admin)
    text = client.get(reverse("feedback:list")).content.decode()
    assert reverse("feedback:rectifications") in text and reverse("feedback:samples") in text


def test_evidence_is_checked_by_content(point):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _case, rectification = bad_case(point)
    fake = SimpleUploadedFile("photo.png", b"#!/bin/sh\necho hi\n", content_type="image/png")
    with freeze_time(datetime(2026, 10, 9, 9, 0, tzinfo=TZ)):
        for evidence in ([fake], []):
            with pytest.raises(ValidationFailed) as refused:
                followup.rectification_record(
                    actor=point.manager,
                    rectification=rectification,
                    finding_category="attitude",
                    finding="查明",
                    action_taken="致歉",
                    evidence=evidence,
                )
            assert refused.value.field == "evidence"
