"""The worklist: one row per patient action, taken from an evaluation's recommendations and alerts.

Nothing here decides what a patient needs: the pathway's evaluation already says it (its recommendations,
their due dates, the alerts raised). The worklist only selects the actions that are open on the evaluation
date, attaches the severity of the alerts that concern them, and orders them by urgency.

Which actions are listed
    Every recommendation of a patient who is not in a final stage, unless it is a scheduled action whose due
    date is later than the evaluation date plus the horizon (``horizon_days``, default 0): a next injection
    window that opens next month, or a review due in the spring, is not work for today. Recommendations
    without a due date are open now, and so are those whose due date is a deadline rather than a date from
    which to act (:data:`DEADLINE_ACTIONS`: the MRI orders, to be done *by* their due date).

Severity of a row
    The highest of: the severity of a time-based alert that says this action is overdue
    (:data:`OVERDUE_ALERTS`: ``imaging_overdue`` for the MRI orders, ``response_assessment_overdue`` for the
    toxin response, ``review_overdue`` for the scheduled reviews, ...); the severity of every *active* alert
    raised by an event (``Alert.active``: an alert that is history, such as a red flag whose work-up is closed
    or a warning from an earlier stage, does not raise a row's severity); ``info`` otherwise.

Urgency order
    1. severity: critical, then warning, then info;
    2. days overdue, most first (an action without a due date counts as 0);
    3. due date, earliest first; actions without a due date after those with one;
    4. the case's position in the input, then the recommendation's position in the evaluation.
    The order is total, so the same cohort always gives the same file.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from hfs_pathway._results import Evaluation
from hfs_pathway._vocabulary import SEVERITIES_BY_URGENCY, Severity

COLUMNS = ("patient_id", "stage", "action", "due", "days_overdue", "severity")
"""The worklist CSV's columns, in order."""

OVERDUE_ALERTS: dict[str, tuple[str, ...]] = {
    "imaging_overdue": ("order_mri", "order_contrast_mri", "urgent_contrast_mri"),
    "urgent_imaging_overdue": ("urgent_contrast_mri",),
    "response_assessment_overdue": ("assess_botox_response",),
    "review_overdue": ("observation_review", "review_medication", "post_mvd_review"),
    "referral_overdue": ("refer_for_mvd",),
}
"""Time-based alert code -> the recommendation codes whose lateness it reports."""

DEADLINE_ACTIONS = frozenset({"order_mri", "order_contrast_mri", "urgent_contrast_mri", "emergency_assessment"})
"""Recommendation codes whose due date is a deadline: open from the moment they are recommended."""

_BY_RANK = SEVERITIES_BY_URGENCY
_RANK = {severity: rank for rank, severity in enumerate(_BY_RANK)}
_OVERDUE_FOR = {
    rec: tuple(alert for alert, recs in OVERDUE_ALERTS.items() if rec in recs)
    for recs in OVERDUE_ALERTS.values()
    for rec in recs
}
_MAX_DAYS = 99_999


class WorklistItem(NamedTuple):
    """One open action for one patient."""

    patient_id: str
    stage: str
    action: str
    """The recommendation's code."""
    due: dt.date | None
    days_overdue: int
    """Days since ``due`` on the evaluation date; 0 when not yet due or undated."""
    severity: Severity

    def csv_line(self) -> str:
        """The row as one CSV line (RFC 4180 quoting where needed), with its line break."""
        due = "" if self.due is None else self.due.isoformat()
        return f"{_csv_field(self.patient_id)},{self.stage},{self.action},{due},{self.days_overdue},{self.severity}\r\n"

    def urgency_key(self, case_number: int, position: int) -> str:
        """A fixed-width text key whose string order is the urgency order (see the module's description)."""
        due = "9999-12-31" if self.due is None else self.due.isoformat()
        overdue = _MAX_DAYS - min(self.days_overdue, _MAX_DAYS)
        return f"{_RANK[self.severity]}{overdue:05d}{due}{case_number:012d}{position:03d}"


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_field(text: str) -> str:
    # A spreadsheet would run a cell that starts like a formula: such an id gets a leading apostrophe.
    if text.startswith(_FORMULA_STARTS):
        text = "'" + text
    # Four ``in`` tests rather than a generator over the characters: this runs for every row of a cohort.
    if "," in text or '"' in text or "\r" in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def worklist_items(evaluation: Evaluation, *, horizon_days: int = 0) -> list[WorklistItem]:
    """The open actions of one evaluation, in the evaluation's own order (sort with :func:`urgency_order`)."""
    if evaluation.final or not evaluation.recommendations:
        return []
    as_of = evaluation.as_of
    until = as_of + dt.timedelta(days=horizon_days)
    stage_rank = 2
    overdue_rank: dict[str, int] = {}
    for alert in evaluation.alerts:
        if not alert.active:
            continue
        rank = _RANK[alert.severity]
        if alert.event_index is None:
            overdue_rank[alert.code] = min(rank, overdue_rank.get(alert.code, 2))
        elif rank < stage_rank:
            stage_rank = rank
    stage = evaluation.stage._value_  # the member's value without the enum's property
    items = []
    for rec in evaluation.recommendations:
        due = rec.due
        if due is not None and due > until and rec.code not in DEADLINE_ACTIONS:
            continue
        days = (as_of - due).days if due is not None and as_of > due else 0
        rank = stage_rank
        for overdue_code in _OVERDUE_FOR.get(rec.code, ()):
            if overdue_code in overdue_rank:
                rank = min(rank, overdue_rank[overdue_code])
        items.append(WorklistItem(evaluation.patient_id, stage, rec.code, due, days, _BY_RANK[rank]))
    return items


def urgency_order(items: list[tuple[int, int, WorklistItem]]) -> list[WorklistItem]:
    """Items given as ``(case_number, position, item)`` sorted most urgent first."""
    return [item for _, _, item in sorted(items, key=lambda t: t[2].urgency_key(t[0], t[1]))]
