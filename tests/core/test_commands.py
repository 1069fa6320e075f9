"""`bangban calendar-import` and `bangban verify-events`."""

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.db import connection

from bangban.core.calendar import add_working_days
from bangban.core.events import event_record
from bangban.core.models import CalendarDay, CalendarYear, Event
from bangban.org.models import User

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "data" / "calendar-2099-fictional.csv"
PASSWORD = "Test@Pass2026"


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def admin_user():
    return User.objects.create_user(username="cal-admin", password=PASSWORD, role="centre_admin")


def write(tmp_path: Path, text: str, *, bom: bool = False) -> str:
    path = tmp_path / "calendar.csv"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return str(path)


def test_commands_are_found_by_their_hyphenated_names():
    commands = get_commands()
    assert commands["calendar-import"] == "bangban.core"
    assert commands["verify-events"] == "bangban.core"


def test_import_of_the_fictional_fixture(admin_user):
    code, out, err = run(
        "calendar-import", str(FIXTURE), "--source", "虚构文号（测试）", "--actor", "cal-admin"
    )
    assert code == 0, err
    assert "2099" in out
    assert CalendarYear.objects.get(year=2099).source == "虚构文号（测试）"
    assert CalendarDay.objects.filter(date__year=2099).count() == 4
    # Thu 1 Jan 2099; 2, 3 off; Sun 4; Mon 5.
    assert add_working_days(date(2099, 1, 1), 1).due_date == date(2099, 1, 5)
    assert Event.objects.filter(action="calendar_year.import", actor=admin_user).count() == 1


def test_import_with_a_bom_and_every_flag_spelling(admin_user, tmp_path):
    path = write(
        tmp_path,
        "date,is_working_day,name\n"
        "2099-01-01,0,a\n2099-01-02,false,b\n2099-01-05,否,c\n2099-01-06,休息,d\n"
        "2099-01-10,1,e\n2099-01-17,TRUE,f\n2099-01-24,是,g\n2099-01-31,上班,h\n",
        bom=True,
    )
    code, _out, err = run(
        "calendar-import", path, "--year", "2099", "--source", "s", "--actor", "cal-admin"
    )
    assert code == 0, err
    working = dict(
        CalendarDay.objects.filter(date__year=2099).values_list("date", "is_working_day")
    )
    assert [working[date(2099, 1, d)] for d in (1, 2, 5, 6)] == [False] * 4
    assert [working[date(2099, 1, d)] for d in (10, 17, 24, 31)] == [True] * 4


def test_a_bad_row_imports_nothing_and_names_the_lines(admin_user, tmp_path):
    path = write(
        tmp_path,
        "date,is_working_day,name\n"
        "2099-01-01,否,a\n"
        "2099-13-01,否,b\n"  # line 3: not a date
        "2099-01-03,也许,c\n"  # line 4: bad flag
        "2099-01-05,否\n",  # line 5: two columns
    )
    code, _out, err = run("calendar-import", path, "--source", "s", "--actor", "cal-admin")
    assert code == 1
    for line in ("3", "4", "5"):
        assert line in err
    assert not CalendarYear.objects.filter(year=2099).exists()
    assert not CalendarDay.objects.filter(date__year=2099).exists()
    assert not Event.objects.exists()


def test_rows_of_another_year_or_duplicates_import_nothing(admin_user, tmp_path):
    path = write(
        tmp_path,
        "date,is_working_day,name\n"
        "2099-01-01,否,a\n"
        "2100-01-01,否,b\n"  # line 3: another year
        "2099-01-01,否,c\n",  # line 4: duplicate
    )
    code, _out, err = run("calendar-import", path, "--source", "s", "--actor", "cal-admin")
    assert code == 1
    assert "3" in err and "4" in err
    assert not CalendarYear.objects.filter(year=2099).exists()
    assert not CalendarDay.objects.filter(date__year__in=[2099, 2100]).exists()
    # --year that does not match the file: every row is named.
    code, _out, err = run(
        "calendar-import", str(FIXTURE), "--year", "2098", "--source", "s", "--actor", "cal-admin"
    )
    assert code == 1
    assert "2、3、4、5" in err or "2, 3, 4, 5" in err
    assert not CalendarYear.objects.filter(year__in=[2098, 2099]).exists()


@pytest.mark.parametrize(
    "text",
    ["", "day,working,name\n2099-01-01,否,a\n", "date,is_working_day,name\n"],
)
def test_a_bad_header_or_an_empty_file_is_refused(admin_user, tmp_path, text):
    code, _out, err = run(
        "calendar-import", write(tmp_path, text), "--source", "s", "--actor", "cal-admin"
    )
    assert code == 1
    assert err
    assert not CalendarYear.objects.filter(year=2099).exists()


def test_a_missing_file_is_refused(admin_user, tmp_path):
    code, _out, err = run(
        "calendar-import", str(tmp_path / "nope.csv"), "--source", "s", "--actor", "cal-admin"
    )
    assert code == 1
    assert "nope.csv" in err


def test_the_actor_must_exist_and_be_an_administrator(tmp_path):
    User.objects.create_user(username="agent", password=PASSWORD, role="agent")
    code, _out, err = run("calendar-import", str(FIXTURE), "--source", "s", "--actor", "agent")
    assert code == 1
    code, _out, err = run("calendar-import", str(FIXTURE), "--source", "s", "--actor", "ghost")
    assert code == 1
    assert "ghost" in err
    assert not CalendarYear.objects.filter(year=2099).exists()


def test_verify_events_on_an_intact_chain():
    for i in range(3):
        event_record(actor=None, action="test.thing", object_id=i)
    code, out, _err = run("verify-events")
    assert code == 0
    assert "3" in out


def test_verify_events_on_an_empty_chain():
    code, out, _err = run("verify-events")
    assert code == 0
    assert "0" in out


@pytest.mark.parametrize(
    ("sql", "seq"),
    [
        ("UPDATE core_event SET action = 'forged' WHERE seq = 2", 2),
        ("DELETE FROM core_event WHERE seq = 2", 2),
        ("DELETE FROM core_event WHERE seq = 3", 3),
    ],
)
def test_verify_events_on_a_tampered_chain(sql, seq):
    for i in range(3):
        event_record(actor=None, action="test.thing", object_id=i)
    with connection.cursor() as cursor:
        cursor.execute(sql)
    code, _out, err = run("verify-events")
    assert code == 1
    assert str(seq) in err
