"""The working-day calendar: the State Council's holidays, 调休 workdays, overrides, uncovered years."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shifan.publicity.workdays import (
    HOLIDAY,
    WORKDAY,
    covered_years,
    is_working_day,
    notice_end,
    skipped_days,
    statutory_holidays,
    uncovered_years,
    working_days_between,
)

NO_OVERRIDES: dict[date, str] = {}


def test_the_package_covers_the_recent_years_and_not_2027():
    assert {2024, 2025, 2026} <= set(covered_years())
    assert 2027 not in covered_years()


def test_national_day_2024_holidays_and_weekend_workdays():
    assert not is_working_day(date(2024, 9, 28), NO_OVERRIDES)  # an ordinary Saturday
    assert is_working_day(date(2024, 9, 29), NO_OVERRIDES)  # Sunday worked in lieu
    for day in range(1, 8):
        assert not is_working_day(date(2024, 10, day), NO_OVERRIDES)
    assert is_working_day(date(2024, 10, 12), NO_OVERRIDES)  # Saturday worked in lieu


def test_seven_working_days_across_national_day_2024():
    # 9/27 Fri, 9/29 Sun (调休), 9/30 Mon, then 10/8, 10/9, 10/10, 10/11 after the holiday.
    assert notice_end(date(2024, 9, 27), 7, NO_OVERRIDES) == date(2024, 10, 11)
    assert working_days_between(date(2024, 9, 27), date(2024, 10, 11), NO_OVERRIDES) == [
        date(2024, 9, 27),
        date(2024, 9, 29),
        date(2024, 9, 30),
        date(2024, 10, 8),
        date(2024, 10, 9),
        date(2024, 10, 10),
        date(2024, 10, 11),
    ]


def test_spring_festival_2025_ends_on_the_saturday_worked_in_lieu():
    assert is_working_day(date(2025, 1, 26), NO_OVERRIDES)
    assert is_working_day(date(2025, 2, 8), NO_OVERRIDES)
    assert not any(is_working_day(date(2025, 1, 28) + timedelta(days=n), NO_OVERRIDES) for n in range(8))
    # 1/24 Fri, 1/26 Sun (调休), 1/27 Mon, then 2/5, 2/6, 2/7 and 2/8 Sat (调休).
    assert notice_end(date(2025, 1, 24), 5, NO_OVERRIDES) == date(2025, 2, 6)
    assert notice_end(date(2025, 1, 24), 7, NO_OVERRIDES) == date(2025, 2, 8)


def test_a_start_on_a_holiday_counts_from_the_next_working_day():
    assert notice_end(date(2024, 10, 1), 1, NO_OVERRIDES) == date(2024, 10, 8)
    assert notice_end(date(2024, 10, 1), 3, NO_OVERRIDES) == date(2024, 10, 10)
    assert notice_end(date(2025, 1, 30), 5, NO_OVERRIDES) == date(2025, 2, 10)


def test_a_start_on_a_weekend_workday_counts_that_day():
    assert notice_end(date(2024, 10, 12), 1, NO_OVERRIDES) == date(2024, 10, 12)


def test_an_uncovered_year_counts_monday_to_friday_and_is_reported():
    # 2026-12-28 is a Monday; 2027-01-01 is a Friday the package knows nothing about.
    assert notice_end(date(2026, 12, 28), 5, NO_OVERRIDES) == date(2027, 1, 1)
    assert not is_working_day(date(2027, 1, 2), NO_OVERRIDES)
    assert uncovered_years(date(2026, 12, 28), date(2027, 1, 1), set()) == [2027]
    assert uncovered_years(date(2026, 1, 1), date(2026, 12, 31), set()) == []


def test_an_override_shifts_the_end_but_only_a_mark_covers_the_year():
    overrides = {date(2027, 1, 1): HOLIDAY}
    assert notice_end(date(2026, 12, 28), 5, overrides) == date(2027, 1, 4)
    # One override (元旦) says nothing about 春节: the year stays uncovered until marked complete.
    assert uncovered_years(date(2026, 12, 28), date(2027, 1, 4), set()) == [2027]
    assert uncovered_years(date(2026, 12, 28), date(2027, 1, 4), {2027}) == []
    assert uncovered_years(date(2027, 1, 4), date(2028, 1, 10), {2027}) == [2028]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_the_statutory_holidays_proposed_are_holidays_where_the_package_knows_the_year(year):
    proposed = statutory_holidays(year)
    names = [name for _day, name in proposed]
    assert names.count("春节") == 4
    assert names.count("劳动节") == 2
    assert names.count("国庆节") == 3
    assert {"元旦", "清明节", "端午节", "中秋节"} <= set(names)
    # 2024 still had 春节 from the first lunar day, not New Year's Eve (2025 revision of the law).
    lunar_eve = [day for day, name in proposed if name == "春节"][0]
    for day, _name in proposed:
        if year == 2024 and day == lunar_eve:
            continue
        assert not is_working_day(day, NO_OVERRIDES), (day, _name)


def test_the_statutory_holidays_of_2027_follow_the_lunar_calendar_and_the_solar_term():
    days = dict(statutory_holidays(2027))
    assert days[date(2027, 2, 5)] == "春节"  # 除夕; 正月初一 is 6 February 2027
    assert days[date(2027, 2, 8)] == "春节"
    assert days[date(2027, 4, 5)] == "清明节"
    assert days[date(2027, 6, 9)] == "端午节"
    assert days[date(2027, 9, 15)] == "中秋节"
    with pytest.raises(ValueError, match="year out of range"):
        statutory_holidays(2100)


def test_an_override_wins_over_the_package():
    assert notice_end(date(2024, 9, 27), 7, {date(2024, 10, 8): HOLIDAY}) == date(2024, 10, 12)
    assert notice_end(date(2024, 9, 27), 7, {date(2024, 10, 7): WORKDAY}) == date(2024, 10, 10)
    assert not is_working_day(date(2024, 9, 29), {date(2024, 9, 29): HOLIDAY})
    assert is_working_day(date(2024, 9, 28), {date(2024, 9, 28): WORKDAY})


def test_skipped_days_say_why():
    skipped = skipped_days(
        date(2024, 9, 27), date(2024, 10, 12), {date(2024, 10, 8): HOLIDAY}, {date(2024, 10, 8): "省内调整"}
    )
    reasons = {item.day: item.reason for item in skipped}
    assert reasons[date(2024, 9, 28)] == "周末"
    assert reasons[date(2024, 10, 1)] == "法定节假日：国庆节"
    assert reasons[date(2024, 10, 5)] == "法定节假日：国庆节"
    assert reasons[date(2024, 10, 8)] == "节假日调整：省内调整"
    assert date(2024, 9, 29) not in reasons
    assert date(2024, 10, 12) not in reasons
    assert skipped_days(date(2027, 1, 1), date(2027, 1, 3), NO_OVERRIDES)[0].reason == "周末"


def test_a_notice_lasts_at_least_one_working_day():
    with pytest.raises(ValueError, match="at least one"):
        notice_end(date(2024, 9, 27), 0, NO_OVERRIDES)


days = st.dates(min_value=date(2023, 1, 1), max_value=date(2028, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    start=days,
    working_days=st.integers(1, 30),
    overrides=st.dictionaries(days, st.sampled_from([HOLIDAY, WORKDAY]), max_size=40),
)
def test_notice_end_is_the_nth_working_day(start, working_days, overrides):
    end = notice_end(start, working_days, overrides)
    assert end >= start
    assert is_working_day(end, overrides)
    assert len(working_days_between(start, end, overrides)) == working_days
    assert (
        len(working_days_between(start, end, overrides)) + len(skipped_days(start, end, overrides))
        == (end - start).days + 1
    )
