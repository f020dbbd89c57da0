"""An event under consideration: what the rules read and write while the pathway considers one event.

This module is compiled with mypyc in a wheel (see ``hatch_build.py``), with the record and the rules: ``Change``
is then a native class, whose fields compiled rules read and write directly.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ._catalog import ALERTS
from ._results import Alert
from ._vocabulary import Severity

if TYPE_CHECKING:
    from ._case import Patient
    from ._definition import Route
    from ._events import Event
    from ._guideline import Guideline
    from ._record import Record

_new_tuple = tuple.__new__


class Change:
    """An event under consideration: the record before it, a private copy being updated, and the
    alerts it raises. Guards and requirements read it; effects write to ``after`` and ``alerts``."""

    __slots__ = ("after", "alerts", "before", "event", "guideline", "index", "patient", "route")

    def __init__(
        self,
        event: Event | None,
        index: int,
        before: Record,
        patient: Patient,
        guideline: Guideline,
        *,
        after: Record | None = None,
    ) -> None:
        # Typed ``Any``: each rule's functions know their event's model and annotate it where they read it.
        # (A pathway makes its change with no event and ``after=before``, and fills both in for each event.)
        self.event: Any = event
        self.index = index
        self.before = before
        self.after = before.copy() if after is None else after
        self.patient = patient
        self.guideline = guideline
        self.alerts: list[Alert] = []
        self.route: Route | None = None

    def alert(
        self,
        code: str,
        text: str,
        *,
        date: dt.date | None = None,
        severity: Severity | None = None,
        evidence: tuple[str, ...] = (),
    ) -> None:
        """Raise the catalogued alert ``code`` with a case-specific ``text``.

        ``severity`` replaces the catalogued one for alerts whose urgency depends on the case (the catalogue
        names the highest; e.g. an HLA-B*1502-positive result is critical with carbamazepine, a warning with
        phenytoin). ``evidence`` adds the sources particular to the case (the label of the drug concerned) in
        front of the catalogued ones.
        """
        kind = ALERTS[code]
        # Built from its fields in order with one C call (the named tuple's constructor is a Python function):
        # tests/test_output_contract.py checks each field by name.
        self.alerts.append(
            _new_tuple(
                Alert,
                (
                    code,
                    severity or kind.severity,
                    text,
                    kind.rationale,
                    (*evidence, *(e for e in kind.evidence if e not in evidence)) if evidence else kind.evidence,
                    date or self.event.date,
                    self.index,  # event_index
                    True,  # active: marked when the pathway's alerts are read
                ),
            )
        )
