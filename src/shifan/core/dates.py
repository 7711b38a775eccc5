"""Dates as the province's documents and messages write them."""

from datetime import date, datetime

from django.utils import timezone


def chinese_date(day: date) -> str:
    """Return a date as official documents write it: 2024年12月20日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def local_moment(moment: datetime) -> str:
    """Return an aware moment as messages write a deadline: 2024-05-31 17:00, Beijing time."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
