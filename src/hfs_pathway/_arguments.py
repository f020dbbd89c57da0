"""Arguments of the public functions checked at the door: dates and stage names.

A wrong argument raises :class:`~hfs_pathway.InvalidArgument` naming what was expected, never a bare
``TypeError`` from deep inside a comparison.
"""

from __future__ import annotations

import datetime as dt

from ._errors import InvalidArgument
from ._vocabulary import Stage
from ._words import did_you_mean


def as_date(value: object, what: str = "the evaluation date") -> dt.date:
    """``value`` as a calendar date: a ``date``; a ``datetime`` (its own date, as written, whatever its time
    zone); or an ISO string, ``"2024-03-01"`` or ``"2024-03-01T09:30"`` (its date part)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        if len(text) > 10 and text[10] in "T ":
            try:
                return dt.datetime.fromisoformat(text).date()
            except ValueError:
                pass
        shown = repr(value) if len(value) <= 40 else "the text given"
        raise InvalidArgument(f"{what} {shown} is not a valid date written YYYY-MM-DD")
    raise InvalidArgument(
        f"{what} must be a date, a datetime or an ISO date string (YYYY-MM-DD), not {type(value).__name__}"
    )


def as_stage(value: object) -> Stage:
    """``value`` as a stage of the pathway: a :class:`Stage` or its value (``"mvd_referral"``)."""
    if isinstance(value, Stage):
        return value
    known = [s.value for s in Stage]
    if isinstance(value, str) and value in known:
        return Stage(value)
    hint = did_you_mean(value, known) if isinstance(value, str) else ""
    raise InvalidArgument(f"{value!r} is not a stage of the pathway{hint}; stages: {', '.join(known)}")
