"""Calendar arithmetic in the clinic's terms: whole days, calendar months, age in years."""

from __future__ import annotations

import datetime as dt
import functools


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
    # The birthday not yet reached this year, compared field by field rather than as two (month, day) tuples:
    # building and comparing the tuples costs as much again, on every presentation and risk assessment.
    month, birth_month = on.month, birth_date.month
    before_birthday = month < birth_month or (month == birth_month and on.day < birth_date.day)
    return on.year - birth_date.year - before_birthday


@functools.cache
def days(n: int) -> dt.timedelta:
    """``n`` days, made once per number of days: a ``timedelta(days=n)`` costs five times looking one up, and the
    rules and the advice add a guideline's number of days to a date on most events and evaluations."""
    return dt.timedelta(days=n)


class _DateTexts(dict[dt.date, str]):
    """``date -> date.isoformat()``, each made once: an evaluation writes a dozen dates or more, a cohort has few
    distinct ones, and a dictionary look-up costs a sixth of ``isoformat``."""

    def __missing__(self, date: dt.date) -> str:
        if len(self) >= _MOST_DATE_TEXTS:
            self.clear()  # bounded, whatever the span of the dates seen
        text = self[date] = date.isoformat()
        return text


_MOST_DATE_TEXTS = 100_000
DATE_TEXT = _DateTexts()
"""``DATE_TEXT[date]`` is ``date.isoformat()``, made once per date (for dates; a ``datetime`` has its own text)."""
