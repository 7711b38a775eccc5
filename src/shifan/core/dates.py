"""Dates as the province's documents and messages write them."""

import re
from datetime import date, datetime

from django.utils import timezone


def chinese_date(day: date) -> str:
    """Return a date as official documents write it: 2024年12月20日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


_DAY_RE = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*\Z")


def no_such_day(text: str) -> bool:
    """Return whether text names a year, a month 1–12 and a day 1–31 that the calendar lacks (2027-02-30)."""
    match = _DAY_RE.match(text)
    if match is None:
        return False
    year, month, day = (int(part) for part in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    try:
        date(year, month, day)
    except ValueError:
        return True
    return False


def local_moment(moment: datetime) -> str:
    """Return an aware moment as messages write a deadline: 2024-05-31 17:00, Beijing time."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
