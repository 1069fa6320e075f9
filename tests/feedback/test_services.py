"""Complaints and "办不成事" tickets: submission, answers, the checks, the events, the tracking
code, and the reply due date on the official calendar."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.models import Event
from bangban.feedback import services
from bangban.feedback.models import CODE_ALPHABET, Complaint, Obstacle, State
from bangban.org.models import Level, Role
from tests.cases.factories import case_in_state
from tests.factories import UnitFactory, UserFactory, county_tree

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTACT = {"contact_name": "王大爷", "contact_phone": "139 1234 5678"}


def _complaint(**overrides) -> Complaint:
    values = {
        "category": "illegal_fees",
        "description": "窗口要求另交200元加急费，没有收据。",
        **CONTACT,
    }
    return services.complaint_submit(**(values | overrides))


def _obstacle(**overrides) -> Obstacle:
    values = {
        "matter": "办理养老保险待遇资格认证",
        "description": "跑了两次都说系统不通，让下周再来。",
        **CONTACT,
    }
    return services.obstacle_submit(**(values | overrides))


def _at(year, month, day, hour=10):
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


# Submitting ----------------------------------------------------------------------------------


def test_a_complaint_is_received_with_a_code_and_one_event():
    tree = county_tree()
    village = tree["villages"][0]
    complaint = _complaint(unit=village, ip_address="10.0.0.9")
    complaint.refresh_from_db()
    assert complaint.state == State.RECEIVED
    assert complaint.category == "illegal_fees"
    assert complaint.unit == village
    assert complaint.contact_name == "王大爷"
    assert complaint.contact_phone == "13912345678"  # normalised
    events = Event.objects.filter(object_type="feedback.complaint", object_id=str(complaint.pk))
    assert [e.action for e in events] == ["complaint.submit"]
    event = events.get()
    assert event.actor is None and event.actor_label == "public"
    assert event.unit_path == village.path
    assert event.ip_address == "10.0.0.9"
    assert event.after["code"] == complaint.code and event.after["category"] == "illegal_fees"
    # Personal data never goes into the event log.
    assert "王大爷" not in str(event.after) and "5678" not in str(event.after)


def test_contact_is_encrypted_at_rest():
    complaint = _complaint()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contact_name, contact_phone FROM feedback_complaint WHERE id = %s",
            [complaint.pk],
        )
        name, phone = cursor.fetchone()
    assert "王" not in name and "13912345678" not in phone


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"category": "bribery"}, "category", ""),
        ({"category": ""}, "category", ""),
        ({"description": "   "}, "description", ""),
        ({"description": "太慢"}, "description", "5"),
        ({"description": "长" * 2001}, "description", "2000"),
        ({"contact_name": ""}, "contact_name", ""),
        ({"contact_phone": ""}, "contact_phone", ""),
        ({"contact_phone": "12345"}, "contact_phone", ""),
        ({"case_number": "X" * 65}, "case_number", "64"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_stored(overrides, field, fragment):
    with pytest.raises(ValidationFailed) as refused:
        _complaint(**overrides)
    assert refused.value.field == field
    # A sentence for the citizen (Chinese once the catalogue has it), not a code.
    assert len(refused.value.message) > 5
    assert fragment in refused.value.message
    assert not Complaint.objects.exists()
    assert not Event.objects.filter(action="complaint.submit").exists()


def test_an_inactive_unit_or_a_region_is_refused():
    region = UnitFactory(level=Level.REGION)
    closed = UnitFactory(level=Level.COUNTY, is_active=False)
    for unit in (region, closed):
        with pytest.raises(ValidationFailed) as refused:
            _complaint(unit=unit)
        assert refused.value.field == "unit"
    assert not Complaint.objects.exists()


def test_a_case_number_links_the_case_and_its_unit_an_unknown_one_is_kept_as_typed():
    case = case_in_state("registered")
    linked = _complaint(case_number=f" {case.number} ")
    assert linked.case == case and linked.case_number == case.number
    assert linked.unit == case.unit
    unknown = _complaint(case_number="BB-NOPE-1")
    assert unknown.case is None and unknown.case_number == "BB-NOPE-1" and unknown.unit is None


# Tracking codes ------------------------------------------------------------------------------


def test_tracking_codes_are_long_random_and_unambiguous():
    codes = {services.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 10 and set(code) <= set(CODE_ALPHABET)
    # None of the look-alike characters.
    assert not set("01ILO") & set(CODE_ALPHABET)
    # Every symbol turns up at every position: no fixed prefix, sequence or date in the code.
    for position in range(10):
        assert len({c[position] for c in codes}) == len(CODE_ALPHABET)


def test_codes_use_the_secure_random_source(monkeypatch):
    drawn = []

    def choice(seq):
        drawn.append(seq)
        return seq[0]

    monkeypatch.setattr(services.secrets, "choice", choice)
    assert services.new_code() == "2" * 10
    assert len(drawn) == 10


def test_a_code_collision_draws_again(monkeypatch):
    first = _complaint()
    codes = iter([first.code, "ABCDEFGH23"])
    monkeypatch.setattr(services, "new_code", lambda: next(codes))
    second = _complaint()
    assert second.code == "ABCDEFGH23"
    assert Complaint.objects.count() == 2


# Answers -------------------------------------------------------------------------------------


def test_a_manager_answers_a_complaint_about_their_area_once():
    tree = county_tree()
    manager = UserFactory(role=Role.MANAGER, unit=tree["towns"][0])
    complaint = _complaint(unit=tree["villages"][0])
    services.complaint_answer(actor=manager, complaint=complaint, answer="已核实，退还费用。")
    complaint.refresh_from_db()
    assert complaint.state == State.ANSWERED
    assert complaint.answer == "已核实，退还费用。"
    assert complaint.answered_by == manager and complaint.answered_at is not None
    event = Event.objects.get(action="complaint.answer")
    assert event.actor == manager
    assert event.before == {"state": "received"} and event.after["state"] == "answered"
    with pytest.raises(Conflict):
        services.complaint_answer(actor=manager, complaint=complaint, answer="再答一次")
    assert Event.objects.filter(action="complaint.answer").count() == 1


def test_who_may_answer():
    tree = county_tree()
    complaint = _complaint(unit=tree["villages"][0])
    other_manager = UserFactory(role=Role.MANAGER, unit=tree["towns"][1])
    supervisor = UserFactory(role=Role.SUPERVISOR, unit=None)
    agent = UserFactory(role=Role.AGENT, unit=tree["villages"][0])
    for actor in (other_manager, supervisor, agent, None):
        with pytest.raises(PermissionDenied):
            services.complaint_answer(actor=actor, complaint=complaint, answer="答复")
    admin = UserFactory(role=Role.CENTRE_ADMIN, unit=tree["county"])
    unitless = _complaint()
    services.complaint_answer(actor=admin, complaint=unitless, answer="已转相关部门。")
    assert Complaint.objects.get(pk=unitless.pk).state == State.ANSWERED
    assert Complaint.objects.get(pk=complaint.pk).state == State.RECEIVED


def test_an_empty_answer_is_refused():
    tree = county_tree()
    admin = UserFactory(role=Role.CENTRE_ADMIN, unit=tree["county"])
    complaint = _complaint()
    with pytest.raises(ValidationFailed) as refused:
        services.complaint_answer(actor=admin, complaint=complaint, answer="  ")
    assert refused.value.field == "answer"
    assert Complaint.objects.get(pk=complaint.pk).state == State.RECEIVED


# "办不成事" tickets and the reply due date --------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        (date(2026, 3, 3), date(2026, 3, 4)),  # Tuesday → Wednesday
        (date(2026, 3, 6), date(2026, 3, 9)),  # Friday → Monday
        (date(2026, 3, 7), date(2026, 3, 9)),  # Saturday → Monday
        # Friday before the Spring Festival: Saturday 14 February is an adjusted working day.
        (date(2026, 2, 13), date(2026, 2, 14)),
        # The eve of Labour Day (1–5 May off) → Wednesday 6 May.
        (date(2026, 4, 30), date(2026, 5, 6)),
    ],
)
def test_reply_due_is_one_working_day_on_the_official_calendar(submitted, due):
    assert services.reply_due(submitted).due_date == due
    assert services.reply_due(submitted).note == ""


def test_reply_due_is_empty_with_a_note_when_the_calendar_stops():
    # The last day of the last covered year: the next day lies in 2027, not entered yet.
    result = services.reply_due(date(2026, 12, 31))
    assert result.due_date is None
    assert "2027" in result.note


def test_an_obstacle_ticket_gets_its_due_date_and_one_event(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: _at(2026, 3, 6, 16))  # a Friday afternoon
    tree = county_tree()
    obstacle = _obstacle(unit=tree["towns"][0])
    obstacle.refresh_from_db()
    assert obstacle.due_date == date(2026, 3, 9)
    assert obstacle.state == State.RECEIVED and len(obstacle.code) == 10
    event = Event.objects.get(object_type="feedback.obstacle")
    assert event.action == "obstacle.submit"
    assert event.after["due_date"] == "2026-03-09" and event.after["due_note"] == ""


def test_a_ticket_late_in_the_day_counts_from_the_local_date(monkeypatch):
    # Thursday 23:00 in China is 15:00 UTC: the local date (Thursday) counts → due Friday.
    monkeypatch.setattr(timezone, "now", lambda: _at(2026, 3, 5, 23).astimezone(UTC))
    assert _obstacle().due_date == date(2026, 3, 6)


def test_an_obstacle_ticket_is_accepted_without_a_calendar(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: _at(2026, 12, 31, 9))
    obstacle = _obstacle()
    assert obstacle.pk and obstacle.due_date is None
    event = Event.objects.get(action="obstacle.submit")
    assert event.after["due_date"] is None and "2027" in event.after["due_note"]


def test_obstacle_bad_input_stores_nothing():
    for overrides, field in [
        ({"matter": ""}, "matter"),
        ({"matter": "事" * 201}, "matter"),
        ({"description": ""}, "description"),
        ({"contact_phone": "abc"}, "contact_phone"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            _obstacle(**overrides)
        assert refused.value.field == field
    assert not Obstacle.objects.exists() and not Event.objects.exists()


def test_an_obstacle_reply():
    tree = county_tree()
    admin = UserFactory(role=Role.CENTRE_ADMIN, unit=tree["county"])
    obstacle = _obstacle(unit=tree["villages"][2])
    services.obstacle_reply(actor=admin, obstacle=obstacle, answer="已协调，明天上午请来办理。")
    obstacle.refresh_from_db()
    assert obstacle.state == State.ANSWERED and obstacle.answered_by == admin
    assert Event.objects.filter(action="obstacle.reply").count() == 1
