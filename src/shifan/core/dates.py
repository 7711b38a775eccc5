"""Dates as the province's documents and messages write them."""

from datetime import date


def chinese_date(day: date) -> str:
    """Return a date as official documents write it: 2024年12月20日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"
