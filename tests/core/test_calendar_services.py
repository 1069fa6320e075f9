"""Calendar writes: an administrator's override of one day, and a year's import."""

from datetime import date

import pytest

from bangban.core.calendar import CalendarNotCovered, add_working_days, is_working_day
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.events import events_verify
from bangban.core.models import CalendarDay, CalendarYear, Event
from bangban.core.services import calendar_day_set, calendar_year_import
from bangban.org.models import User

pytestmark = pytest.mark.django_db

D = date
PASSWORD = "Test@Pass2026"

# 2099 is a clearly fictional schedule, far from any real one.
FICTIONAL_2099 = [
    (D(2099, 1, 1), False, "虚构元旦（测试用）"),  # Thursday
    (D(2099, 1, 2), False, "虚构元旦（测试用）"),  # Friday
    (D(2099, 1, 3), False, "虚构元旦（测试用）"),  # Saturday
    (D(2099, 1, 10), True, "虚构元旦调休上班（测试用）"),  # Saturday
]


@pytest.fixture
def admin_user():
    return User.objects.create_user(username="cal-admin", password=PASSWORD, role="sysadmin")


@pytest.fixture
def centre_admin():
    return User.objects.create_user(username="centre", password=PASSWORD, role="centre_admin")


@pytest.fixture
def agent():
    return User.objects.create_user(username="agent", password=PASSWORD, role="agent")


def test_override_of_a_day_changes_the_due_date_and_leaves_an_event(admin_user):
    # Fri 6 Mar 2026 + 1 = Mon 9 Mar, until 9 Mar is declared a day off.
    assert add_working_days(D(2026, 3, 6), 1).due_date == D(2026, 3, 9)
    day = calendar_day_set(
        actor=admin_user,
        date=D(2026, 3, 9),
        is_working_day=False,
        name="临时闭馆",
        source="县政府通知（测试）",
    )
    assert day.kind == CalendarDay.Kind.HOLIDAY
    assert add_working_days(D(2026, 3, 6), 1).due_date == D(2026, 3, 10)
    event = Event.objects.get(action="calendar_day.set")
    assert event.actor == admin_user
    assert event.object_type == "core.calendarday"
    assert event.object_id == str(day.pk)
    assert event.before is None
    assert event.after == {
        "date": "2026-03-09",
        "is_working_day": False,
        "kind": "holiday",
        "name": "临时闭馆",
        "source": "县政府通知（测试）",
    }
    assert events_verify().ok


def test_override_of_a_seeded_day_records_before_and_after(centre_admin):
    calendar_day_set(
        actor=centre_admin,
        date=D(2026, 2, 14),
        is_working_day=False,
        name="春节",
        source="测试更正",
    )
    row = CalendarDay.objects.get(date=D(2026, 2, 14))
    assert (row.is_working_day, row.kind, row.source) == (False, "rest_day", "测试更正")
    event = Event.objects.get(action="calendar_day.set")
    assert event.before["is_working_day"] is True
    assert event.before["kind"] == "adjusted_workday"
    assert event.after["is_working_day"] is False
    # Fri 13 Feb + 1: Sat 14 is no longer a working day, the holiday follows: Tue 24 Feb.
    assert add_working_days(D(2026, 2, 13), 1).due_date == D(2026, 2, 24)


@pytest.mark.parametrize(
    ("day", "working", "kind"),
    [
        (D(2026, 3, 7), True, "adjusted_workday"),  # Saturday
        (D(2026, 3, 9), False, "holiday"),  # Monday
        (D(2026, 2, 16), True, "workday"),  # Monday, was a holiday
        (D(2026, 2, 14), False, "rest_day"),  # Saturday, was an adjusted working day
    ],
)
def test_kind_follows_from_the_date_and_the_flag(admin_user, day, working, kind):
    row = calendar_day_set(
        actor=admin_user, date=day, is_working_day=working, name="", source="测试"
    )
    assert row.kind == kind
    assert is_working_day(day) is working


@pytest.mark.parametrize("source", ["", "   ", None])
def test_a_source_is_required(admin_user, source):
    with pytest.raises(ValidationFailed) as info:
        calendar_day_set(
            actor=admin_user, date=D(2026, 3, 9), is_working_day=False, name="x", source=source
        )
    assert info.value.field == "source"
    assert not CalendarDay.objects.filter(date=D(2026, 3, 9)).exists()
    assert not Event.objects.filter(action="calendar_day.set").exists()


def test_bad_values_are_refused(admin_user):
    with pytest.raises(ValidationFailed):
        calendar_day_set(
            actor=admin_user, date="2026-03-09", is_working_day=False, name="", source="s"
        )
    with pytest.raises(ValidationFailed):
        calendar_day_set(
            actor=admin_user, date=D(2026, 3, 9), is_working_day="no", name="", source="s"
        )
    with pytest.raises(ValidationFailed):
        calendar_day_set(
            actor=admin_user, date=D(2026, 3, 9), is_working_day=False, name="长" * 65, source="s"
        )


def test_a_plain_user_may_not_change_the_calendar(agent):
    with pytest.raises(PermissionDenied):
        calendar_day_set(
            actor=agent, date=D(2026, 3, 9), is_working_day=False, name="x", source="s"
        )
    with pytest.raises(PermissionDenied):
        calendar_year_import(actor=agent, year=2099, rows=FICTIONAL_2099, source="s")
    assert not CalendarYear.objects.filter(year=2099).exists()
    assert not CalendarDay.objects.filter(date=D(2026, 3, 9)).exists()
    assert not Event.objects.exists()


def test_a_superuser_without_an_administrator_role_may_not_either():
    boss = User.objects.create_superuser(username="root", password=PASSWORD, role="agent")
    with pytest.raises(PermissionDenied):
        calendar_day_set(actor=boss, date=D(2026, 3, 9), is_working_day=False, name="x", source="s")


def test_setting_a_day_does_not_cover_its_year(admin_user):
    calendar_day_set(
        actor=admin_user, date=D(2099, 1, 1), is_working_day=False, name="虚构", source="s"
    )
    with pytest.raises(CalendarNotCovered):
        is_working_day(D(2099, 1, 1))


def test_year_import_covers_the_year(admin_user):
    with pytest.raises(CalendarNotCovered):
        add_working_days(D(2099, 1, 1), 1)
    year = calendar_year_import(
        actor=admin_user, year=2099, rows=FICTIONAL_2099, source="虚构文号（测试）"
    )
    assert (year.year, year.source) == (2099, "虚构文号（测试）")
    assert CalendarDay.objects.filter(date__year=2099).count() == 4
    assert CalendarDay.objects.get(date=D(2099, 1, 10)).kind == "adjusted_workday"
    assert CalendarDay.objects.get(date=D(2099, 1, 3)).kind == "rest_day"
    # Thu 1 Jan; 2, 3 off; Sun 4; Mon 5 .. Fri 9 =1..5; Sat 10 (adjusted) =6.
    assert add_working_days(D(2099, 1, 1), 1).due_date == D(2099, 1, 5)
    assert add_working_days(D(2099, 1, 1), 6).due_date == D(2099, 1, 10)
    event = Event.objects.get(action="calendar_year.import")
    assert event.object_type == "core.calendaryear"
    assert event.before == {"year": 2099, "source": None, "days": []}
    assert event.after["source"] == "虚构文号（测试）"
    assert event.after["days"][0] == ["2099-01-01", False, "虚构元旦（测试用）"]
    assert Event.objects.count() == 1


def test_reimport_replaces_the_years_days(admin_user):
    calendar_year_import(actor=admin_user, year=2099, rows=FICTIONAL_2099, source="第一版")
    corrected = [*FICTIONAL_2099[:2], (D(2099, 1, 5), False, "虚构补假（测试用）")]
    calendar_year_import(actor=admin_user, year=2099, rows=corrected, source="更正版")
    assert list(CalendarDay.objects.filter(date__year=2099).values_list("date", "source")) == [
        (D(2099, 1, 1), "更正版"),
        (D(2099, 1, 2), "更正版"),
        (D(2099, 1, 5), "更正版"),
    ]
    assert CalendarYear.objects.get(year=2099).source == "更正版"
    second = Event.objects.filter(action="calendar_year.import").order_by("seq").last()
    assert second.before["source"] == "第一版"
    assert len(second.before["days"]) == 4
    assert len(second.after["days"]) == 3
    # Other years are untouched.
    assert CalendarDay.objects.filter(date=D(2026, 2, 16)).exists()


def test_import_is_all_or_nothing_and_names_the_rows(admin_user):
    rows = [
        *FICTIONAL_2099,
        (D(2098, 12, 31), False, "错年"),  # row 5
        (D(2099, 1, 2), False, "重复"),  # row 6
        ("2099-02-01", False, "不是日期"),  # row 7
        (D(2099, 2, 2), "否", "标志不对"),  # row 8
    ]
    with pytest.raises(ValidationFailed) as info:
        calendar_year_import(actor=admin_user, year=2099, rows=rows, source="s")
    assert info.value.extra["rows"] == [5, 6, 7, 8]
    for number in ("5", "6", "7", "8"):
        assert number in info.value.message
    assert not CalendarYear.objects.filter(year=2099).exists()
    assert not CalendarDay.objects.filter(date__year=2099).exists()
    assert not Event.objects.exists()


def test_import_row_numbers_can_follow_a_files_lines(admin_user):
    rows = [FICTIONAL_2099[0], (D(2100, 1, 1), False, "错年")]
    with pytest.raises(ValidationFailed) as info:
        calendar_year_import(actor=admin_user, year=2099, rows=rows, source="s", first_row_number=2)
    assert info.value.extra["rows"] == [3]


def test_import_refuses_an_empty_schedule_and_a_missing_source(admin_user):
    with pytest.raises(ValidationFailed):
        calendar_year_import(actor=admin_user, year=2099, rows=[], source="s")
    with pytest.raises(ValidationFailed) as info:
        calendar_year_import(actor=admin_user, year=2099, rows=FICTIONAL_2099, source=" ")
    assert info.value.field == "source"
    with pytest.raises(ValidationFailed) as info:
        calendar_year_import(actor=admin_user, year="2099", rows=FICTIONAL_2099, source="s")
    assert info.value.field == "year"
    assert not CalendarYear.objects.filter(year=2099).exists()


def test_admin_edit_goes_through_the_service(client):
    staff = User.objects.create_user(
        username="cal-staff", password=PASSWORD, role="sysadmin", is_staff=True
    )
    client.force_login(staff)
    response = client.post(
        "/admin/core/calendarday/add/",
        {
            "date": "2026-03-09",
            "is_working_day": "",
            "name": "临时闭馆",
            "source": "县政府通知（测试）",
        },
    )
    assert response.status_code == 302, response.content
    row = CalendarDay.objects.get(date=D(2026, 3, 9))
    assert (row.is_working_day, row.kind, row.name) == (False, "holiday", "临时闭馆")
    event = Event.objects.get(action="calendar_day.set")
    assert event.actor == staff
    # Changing a seeded day keeps its date and records before/after.
    seeded = CalendarDay.objects.get(date=D(2026, 2, 14))
    response = client.post(
        f"/admin/core/calendarday/{seeded.pk}/change/",
        {"is_working_day": "", "name": "春节", "source": "测试更正"},
    )
    assert response.status_code == 302, response.content
    seeded.refresh_from_db()
    assert (seeded.is_working_day, seeded.kind) == (False, "rest_day")
    assert Event.objects.filter(action="calendar_day.set").count() == 2
    assert add_working_days(D(2026, 2, 13), 1).due_date == D(2026, 2, 24)
    for url in (
        "/admin/core/calendarday/?year=2026&kind=holiday",
        "/admin/core/calendaryear/",
        "/admin/core/event/?action=calendar_day.set",
        f"/admin/core/event/{event.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    # Nothing can be deleted, years and events not edited.
    assert client.get(f"/admin/core/calendarday/{seeded.pk}/delete/").status_code == 403
    assert client.get("/admin/core/calendaryear/add/").status_code == 403
    assert client.get("/admin/core/event/add/").status_code == 403


def test_admin_is_read_only_for_other_staff(client):
    staff = User.objects.create_user(
        username="agent-staff", password=PASSWORD, role="agent", is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    assert client.get("/admin/core/calendarday/add/").status_code == 403
    seeded = CalendarDay.objects.get(date=D(2026, 2, 14))
    response = client.post(
        f"/admin/core/calendarday/{seeded.pk}/change/",
        {"is_working_day": "", "name": "春节", "source": "x"},
    )
    assert response.status_code == 403
    assert CalendarDay.objects.get(date=D(2026, 2, 14)).is_working_day is True
