"""Working-day reads against the real 2026 schedule (国务院办公厅关于2026年部分节假日安排的通知),
as seeded by migration 0003 from chinese-calendar. Expected due dates are worked out by hand
from the schedule below, not by calling the code under test."""

from datetime import date

import chinese_calendar
import pytest

from bangban.core.calendar import (
    MAX_WORKING_DAYS,
    CalendarNotCovered,
    add_working_days,
    explain,
    is_working_day,
    working_days_between,
    working_days_from,
)
from bangban.core.errors import ValidationFailed
from bangban.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = date

# The 2026 schedule these tests rely on. Checked against the package (and so against the
# migration's source) by the first test, so a package upgrade that changes it fails loudly here.
HOLIDAYS_2026 = {
    "New Year's Day": [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)],
    "Spring Festival": [D(2026, 2, day) for day in range(15, 24)],
    "Labour Day": [D(2026, 5, day) for day in range(1, 6)],
    "Mid-autumn Festival": [D(2026, 9, 25), D(2026, 9, 26), D(2026, 9, 27)],
    "National Day": [D(2026, 10, day) for day in range(1, 8)],
}
WORKDAYS_2026 = {
    D(2026, 1, 4): "New Year's Day",  # Sunday
    D(2026, 2, 14): "Spring Festival",  # Saturday
    D(2026, 2, 28): "Spring Festival",  # Saturday
    D(2026, 5, 9): "Labour Day",  # Saturday
    D(2026, 9, 20): "National Day",  # Sunday
    D(2026, 10, 10): "National Day",  # Saturday
}


def test_the_schedule_used_here_is_the_packages():
    for value, days in HOLIDAYS_2026.items():
        for day in days:
            assert chinese_calendar.holidays[day] == value, day
    # Labour Day: 9 May is the only adjusted working day (not 26 April or 10 May).
    assert D(2026, 4, 26) not in chinese_calendar.workdays
    assert D(2026, 5, 10) not in chinese_calendar.workdays
    for day, value in WORKDAYS_2026.items():
        assert chinese_calendar.workdays[day] == value, day
        assert day.weekday() >= 5
    # Nothing else around the spans used below.
    assert D(2026, 4, 30) not in chinese_calendar.holidays
    assert D(2026, 5, 6) not in chinese_calendar.holidays
    assert D(2026, 10, 8) not in chinese_calendar.holidays
    assert D(2026, 9, 19) not in chinese_calendar.workdays


def test_seed_covers_exactly_the_packages_years_and_days():
    package_years = {d.year for d in chinese_calendar.holidays}
    assert set(CalendarYear.objects.values_list("year", flat=True)) == package_years
    assert min(package_years) == 2004
    assert max(package_years) == 2026
    assert CalendarYear.objects.get(year=2026).source == (
        "chinese-calendar 1.11 (国务院办公厅节假日安排)"
    )
    assert CalendarDay.objects.count() == len(chinese_calendar.holidays) + len(
        chinese_calendar.workdays
    )


def test_seeded_rows_carry_chinese_names_and_kinds():
    def row(day):
        return CalendarDay.objects.values_list("is_working_day", "kind", "name").get(date=day)

    assert row(D(2026, 2, 16)) == (False, "holiday", "春节")
    # A weekend day inside the span keeps the holiday's name; its kind is a rest day.
    assert row(D(2026, 2, 15)) == (False, "rest_day", "春节")
    assert row(D(2026, 2, 14)) == (True, "adjusted_workday", "春节调休上班")
    assert row(D(2026, 5, 1)) == (False, "holiday", "劳动节")
    assert row(D(2026, 10, 1)) == (False, "holiday", "国庆节")
    assert row(D(2026, 1, 1)) == (False, "holiday", "元旦")
    assert row(D(2026, 4, 6)) == (False, "holiday", "清明节")
    assert row(D(2026, 6, 19)) == (False, "holiday", "端午节")
    assert row(D(2026, 9, 25)) == (False, "holiday", "中秋节")
    assert row(D(2015, 9, 3)) == (False, "holiday", "抗战胜利70周年纪念日")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 2, 13), True),  # Friday
        (D(2026, 2, 14), True),  # Saturday, adjusted working day
        (D(2026, 2, 15), False),  # Sunday in the Spring Festival
        (D(2026, 2, 16), False),  # Monday in the Spring Festival
        (D(2026, 2, 23), False),  # Monday, last day of the Spring Festival
        (D(2026, 2, 24), True),
        (D(2026, 3, 7), False),  # ordinary Saturday
        (D(2026, 3, 9), True),  # ordinary Monday
        (D(2026, 1, 4), True),  # Sunday, adjusted working day
        (D(2026, 10, 10), True),
    ],
)
def test_is_working_day(day, expected):
    assert is_working_day(day) is expected


def test_is_working_day_refuses_an_uncovered_year_naming_it():
    with pytest.raises(CalendarNotCovered) as info:
        is_working_day(D(2027, 1, 4))
    assert info.value.year == 2027
    assert "2027" in info.value.message
    assert "calendar-import" in info.value.message
    assert isinstance(info.value, ValidationFailed)
    assert info.value.status_code == 400


def test_spring_festival_2026():
    # Fri 13 Feb; Sat 14 (adjusted) =1; 15-23 holiday; 24, 25, 26, 27 =2..5; Sat 28 (adjusted)
    # =6; Sun 1 Mar skipped; 2, 3, 4, 5 Mar =7..10.
    due = add_working_days(D(2026, 2, 13), 10)
    assert due.due_date == D(2026, 3, 5)
    assert due.start == D(2026, 2, 13)
    assert due.working_days == 10
    assert due.skipped_holidays == [(D(2026, 2, day), "春节") for day in range(15, 24)]
    assert due.adjusted_workdays == [
        (D(2026, 2, 14), "春节调休上班"),
        (D(2026, 2, 28), "春节调休上班"),
    ]
    assert due.skipped_weekends == 1


def test_one_working_day_across_a_holiday():
    # Thu 30 Apr; 1-5 May Labour Day; Wed 6 May.
    due = add_working_days(D(2026, 4, 30), 1)
    assert due.due_date == D(2026, 5, 6)
    assert [d for d, _name in due.skipped_holidays] == [D(2026, 5, day) for day in range(1, 6)]
    assert due.skipped_weekends == 0
    # Sat 14 Feb itself is the next working day after Fri 13 Feb.
    assert add_working_days(D(2026, 2, 13), 1).due_date == D(2026, 2, 14)
    # Starting on the adjusted Saturday: the whole Spring Festival follows.
    assert add_working_days(D(2026, 2, 14), 1).due_date == D(2026, 2, 24)


def test_labour_day_2026():
    # 6, 7, 8 May =1..3; Sat 9 (adjusted) =4; Sun 10 skipped; Mon 11 =5.
    due = add_working_days(D(2026, 4, 30), 5)
    assert due.due_date == D(2026, 5, 11)
    assert due.adjusted_workdays == [(D(2026, 5, 9), "劳动节调休上班")]
    assert due.skipped_weekends == 1


def test_national_day_and_mid_autumn_2026():
    # Fri 18 Sep; Sat 19 skipped; Sun 20 (adjusted) =1; 21-24 =2..5; 25-27 Mid-autumn;
    # 28-30 =6..8; 1-7 Oct National Day; Thu 8, Fri 9 =9, 10.
    due = add_working_days(D(2026, 9, 18), 10)
    assert due.due_date == D(2026, 10, 9)
    assert due.adjusted_workdays == [(D(2026, 9, 20), "国庆节调休上班")]
    assert due.skipped_weekends == 1
    assert [name for _d, name in due.skipped_holidays] == ["中秋节"] * 3 + ["国庆节"] * 7
    # Wed 30 Sep; 8, 9 Oct =1, 2; Sat 10 Oct (adjusted) =3.
    assert add_working_days(D(2026, 9, 30), 3).due_date == D(2026, 10, 10)


def test_new_year_2026_from_the_last_day_of_2025():
    # Wed 31 Dec 2025; 1-3 Jan holiday; Sun 4 Jan (adjusted) =1; Mon 5 Jan =2.
    assert add_working_days(D(2025, 12, 31), 1).due_date == D(2026, 1, 4)
    assert add_working_days(D(2025, 12, 31), 2).due_date == D(2026, 1, 5)


def test_start_on_a_saturday_counts_from_the_next_working_day():
    # Sat 7 Mar 2026; Sun 8 skipped; Mon 9, Tue 10, Wed 11.
    assert add_working_days(D(2026, 3, 7), 1).due_date == D(2026, 3, 9)
    due = add_working_days(D(2026, 3, 7), 3)
    assert due.due_date == D(2026, 3, 11)
    assert due.skipped_weekends == 1


def test_zero_working_days_is_the_same_day():
    due = add_working_days(D(2026, 3, 7), 0)
    assert due.due_date == D(2026, 3, 7)
    assert (due.skipped_holidays, due.adjusted_workdays, due.skipped_weekends) == ([], [], 0)
    assert add_working_days(D(2026, 2, 16), 0).due_date == D(2026, 2, 16)


def test_bad_counts_are_refused():
    with pytest.raises(ValidationFailed) as info:
        add_working_days(D(2026, 3, 9), -1)
    assert info.value.field == "working_days"
    with pytest.raises(ValidationFailed):
        add_working_days(D(2026, 3, 9), MAX_WORKING_DAYS + 1)
    with pytest.raises(ValidationFailed):
        add_working_days(D(2026, 3, 9), True)


def test_never_guesses_past_the_covered_years():
    # The start's own year must be covered, even for zero days.
    with pytest.raises(CalendarNotCovered) as info:
        add_working_days(D(2027, 1, 4), 0)
    assert info.value.year == 2027
    # A count that runs into 2027 is refused, not finished by the Monday-to-Friday rule.
    with pytest.raises(CalendarNotCovered) as info:
        add_working_days(D(2026, 12, 20), 30)
    assert info.value.year == 2027
    with pytest.raises(CalendarNotCovered) as info:
        add_working_days(D(2003, 12, 31), 1)
    assert info.value.year == 2003
    # Up to the last day of 2026 is fine: Thu 31 Dec 2026 is 1 working day after Wed 30 Dec.
    assert add_working_days(D(2026, 12, 30), 1).due_date == D(2026, 12, 31)
    with pytest.raises(CalendarNotCovered):
        add_working_days(D(2026, 12, 30), 2)


def test_a_long_count_uses_two_queries(django_assert_num_queries):
    with django_assert_num_queries(2):
        due = add_working_days(D(2024, 1, 2), 500)
    # 2024 has 251 working days (1 Jan is a holiday; after Tue 2 Jan: 250), 2025 has 248:
    # 498; then Sun 4 Jan 2026 (adjusted) =499 and Mon 5 Jan =500.
    assert due.due_date == D(2026, 1, 5)


def test_working_days_between():
    assert working_days_between(D(2026, 2, 13), D(2026, 3, 5)) == 10
    assert working_days_between(D(2026, 3, 5), D(2026, 2, 13)) == -10
    assert working_days_between(D(2026, 3, 5), D(2026, 3, 5)) == 0
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 7)) == 0
    with pytest.raises(CalendarNotCovered):
        working_days_between(D(2026, 12, 1), D(2027, 1, 10))


def test_explanation_names_the_holidays_and_adjusted_days():
    text = explain(add_working_days(D(2026, 2, 13), 10))
    assert "春节" in text
    assert "2026" in text
    assert "15" in text and "23" in text and "14" in text and "28" in text


def test_many_ends_are_counted_like_one_at_a_time_in_two_queries(django_assert_num_queries):
    start = date(2026, 9, 25)
    ends = [date(2026, 9, 1), date(2026, 9, 25), date(2026, 10, 9), date(2026, 10, 13)]
    ends += [date(2026, 2, 10), date(2026, 3, 2), date(2026, 12, 31)]
    with django_assert_num_queries(2):
        counts = working_days_from(start, ends)
    assert counts == {end: working_days_between(start, end) for end in ends}
    assert counts[date(2026, 10, 9)] == 5 and counts[date(2026, 9, 1)] < 0
    assert working_days_from(start, []) == {}
