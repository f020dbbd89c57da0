"""Calendar arithmetic: months added the clinic's way, checked against the calendar module."""

from __future__ import annotations

import calendar
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from hfs_pathway._dates import add_months, age_on


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2150, 12, 31)), st.integers(-600, 600))
def test_adding_months_keeps_the_day_or_clamps_it_to_the_last_day_of_the_month(start: dt.date, months: int) -> None:
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    expected = dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
    assert add_months(start, months) == expected


def test_the_end_of_a_long_month_clamps() -> None:
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2023, 1, 31), 1) == dt.date(2023, 2, 28)
    assert add_months(dt.date(2024, 3, 31), -1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 8, 31), 1) == dt.date(2024, 9, 30)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), st.integers(0, 120))
def test_age_is_the_number_of_birthdays_passed(birth: dt.date, years: int) -> None:
    on = add_months(birth, 12 * years)
    assert age_on(birth, on) == years - (1 if (birth.month, birth.day) == (2, 29) and on.day == 28 else 0)
