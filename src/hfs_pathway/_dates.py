"""Calendar arithmetic in the clinic's terms: whole days, calendar months, age in years."""

from __future__ import annotations

import datetime as dt


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    if start.day <= 28:  # every month has it: no clamping to try (the usual case, and the rules run per event)
        return dt.date(year, month, start.day)
    for day in (start.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Age in completed years on a date."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
