"""The working-day calendar of public notice periods (公示期), without the database.

A day is a working day by, in order: the province's override of that day (`CalendarOverride`,
passed in as a mapping of day to "holiday" or "workday"); the State Council's holiday
arrangement as shipped in the `chinese_calendar` package, which knows the weekends worked in
lieu (调休上班); for years the package does not cover yet, Monday to Friday. The package is
updated once a year after the State Council publishes the next year's arrangement, usually in
November, so a notice running into the next year may meet an uncovered year: `uncovered_years`
names those, so that opening the notice can warn.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar
from chinese_calendar import constants
from lunardate import LunarDate

# The values of `publicity.models.DayKind`, repeated so that this module needs no Django.
HOLIDAY = "holiday"
WORKDAY = "workday"

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SkippedDay:
    """A day inside a notice period that does not count, and why."""

    day: date
    reason: str


@cache
def covered_years() -> range:
    """Return the years the holiday package knows the State Council's arrangement for."""
    # The package checks its range the same way: from the first to the last year it lists.
    years = [day.year for day in constants.holidays]
    return range(min(years), max(years) + 1)


def is_working_day(day: date, overrides: Mapping[date, str]) -> bool:
    """Return whether `day` counts as a working day of a notice period."""
    kind = overrides.get(day)
    if kind is not None:
        return kind == WORKDAY
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def notice_end(start: date, working_days: int, overrides: Mapping[date, str]) -> date:
    """Return the `working_days`-th working day counting from `start` inclusive.

    When `start` itself is not a working day the count begins at the next working day.
    """
    if working_days < 1:
        raise ValueError("A notice lasts at least one working day.")
    day = start
    counted = 0
    while True:
        if is_working_day(day, overrides):
            counted += 1
            if counted == working_days:
                return day
        day += ONE_DAY


def working_days_between(start: date, end: date, overrides: Mapping[date, str]) -> list[date]:
    """Return the working days in [start, end], in order."""
    return [day for day in _days(start, end) if is_working_day(day, overrides)]


def skipped_days(
    start: date, end: date, overrides: Mapping[date, str], notes: Mapping[date, str] | None = None
) -> list[SkippedDay]:
    """Return the days in [start, end] that do not count, each with the reason in Chinese.

    `notes` gives the overrides' notes, shown as the reason of the days they make holidays.
    """
    return [
        SkippedDay(day, _reason_off(day, overrides, notes or {}))
        for day in _days(start, end)
        if not is_working_day(day, overrides)
    ]


def uncovered_years(start: date, end: date, complete_years: Collection[int]) -> list[int]:
    """Return the years in [start, end] that neither the package covers nor the province marked complete.

    Coverage is per year and explicit: overrides entered for a year do not cover it until the
    province marks the year's arrangement complete (`CalendarYear`). In an uncovered year the
    public holidays not entered yet are missing, so a notice period over it may end too early.
    """
    covered = covered_years()
    return [
        year for year in range(start.year, end.year + 1) if year not in covered and year not in complete_years
    ]


def statutory_holidays(year: int) -> list[tuple[date, str]]:
    """Return the statutory public holidays of a year (全国年节及纪念日放假办法, 2025 revision).

    元旦 1 January; 春节 the lunar New Year's Eve and the first three lunar days; 清明 the day of
    the solar term; 劳动节 1–2 May; 端午 the fifth of the fifth lunar month; 中秋 the fifteenth of
    the eighth; 国庆 1–3 October. These are the days off by law only: the State Council's notice
    adds the bridging days and the weekends worked in lieu, so they are proposals to confirm.
    Raise ValueError for a year outside the lunar table (1901–2099).
    """
    new_year = LunarDate(year, 1, 1).to_solar_date()
    qingming = [
        day
        for day, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        if name == "清明"
    ]
    days = [(date(year, 1, 1), "元旦")]
    days += [(new_year + timedelta(days=offset), "春节") for offset in range(-1, 3)]
    days += [(qingming[0], "清明节")] if qingming else []
    days += [(date(year, 5, 1), "劳动节"), (date(year, 5, 2), "劳动节")]
    days += [
        (LunarDate(year, 5, 5).to_solar_date(), "端午节"),
        (LunarDate(year, 8, 15).to_solar_date(), "中秋节"),
    ]
    days += [(date(year, 10, day), "国庆节") for day in (1, 2, 3)]
    return sorted(days)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def _reason_off(day: date, overrides: Mapping[date, str], notes: Mapping[date, str]) -> str:
    if day in overrides:
        return f"节假日调整：{notes.get(day) or '休息日'}"
    if day.year in covered_years():
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if on_holiday and name is not None:
            return f"法定节假日：{_holiday_name(name)}"
    return "周末"


def _holiday_name(english: str) -> str:
    try:
        return str(constants.Holiday(english).chinese)
    except ValueError:
        return english
