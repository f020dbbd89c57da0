"""Which alerts belong to the present and which are history (R2.11, R2.14 "Active", R2.15 "Active, per alert").

Every alert code has one rule here, :data:`ALERT_ACTIVE_WHILE`, and :func:`mark_active` applies them when a
pathway is evaluated. Marking never removes an alert: an alert that is history stays in the evaluation with
``active`` false, so nothing recorded is lost when the pathway moves on.

The rules, in the contract's words:

``condition_holds``
    Time-based alerts (``event_index`` null) are computed as of the evaluation date only while their condition
    holds, so they are active whenever they are listed.
``workup_open``
    Work-up alerts: until the diagnostic work-up is closed or declined with informed refusal
    (``Record.workup_open``).
``drug_course``
    Drug alerts: while that drug's course is current, i.e. the ``medication_started`` that raised them (or that
    the raising event belongs to) is the latest one and the patient is still in that stay in
    ``oral_medication``. A drug alert raised by a ``botox_injection`` (pregnancy) follows the toxin-cycle rule.
``toxin_cycle``
    Toxin-cycle alerts: until the next injection.
``next_review``
    What one review after surgery found (``delayed_resolution_possible``, ``early_recurrence``): during the stay,
    until the next ``post_mvd_review`` says how the spasm is now. This is the stay rule made narrower, as the
    contract does for ``contact_neurosurgery`` ("until the next post_mvd_review"): a post-MVD stay lasts two years,
    and "delayed cure is still possible" from the 3-month review is not current once a later review found the
    spasm resolved.
``stage_stay``
    Every other alert: during the stay in the stage that raised it. An alert raised by the event that entered
    the current stage belongs to the current stay.

A final stage ends every course and every cycle: there, drug and toxin-cycle alerts are history (a discharged
patient's last injection is not "current"). Work-up alerts follow ``Record.workup_open`` alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from ._results import Alert, HistoryEntry
from ._vocabulary import EventType, Stage


class ActiveWhile(StrEnum):
    """How long an alert stays active (see :data:`ALERT_ACTIVE_WHILE`)."""

    CONDITION_HOLDS = "condition_holds"
    """Time-based: computed as of the evaluation date only while its condition holds."""
    WORKUP_OPEN = "workup_open"
    """Until the diagnostic work-up is closed or declined with informed refusal."""
    DRUG_COURSE = "drug_course"
    """While the oral drug's course that raised it is current."""
    TOXIN_CYCLE = "toxin_cycle"
    """Until the next botulinum toxin injection."""
    NEXT_REVIEW = "next_review"
    """During the stay, until the next review after surgery."""
    STAGE_STAY = "stage_stay"
    """During the stay in the stage that raised it."""


_T, _W, _D, _C, _R, _S = (
    ActiveWhile.CONDITION_HOLDS,
    ActiveWhile.WORKUP_OPEN,
    ActiveWhile.DRUG_COURSE,
    ActiveWhile.TOXIN_CYCLE,
    ActiveWhile.NEXT_REVIEW,
    ActiveWhile.STAGE_STAY,
)

ALERT_ACTIVE_WHILE: dict[str, ActiveWhile] = {
    # The diagnostic work-up (R2.1-R2.3, R2.14, R2.15)
    "red_flag_secondary_hfs": _W,
    "contrast_mri_indicated": _W,
    "imaging_workup_incomplete": _W,
    "urgent_imaging_overdue": _W,
    "imaging_finding_not_coded": _W,
    "imaging_booked_late": _W,
    "emergency_assessment": _S,
    "young_onset": _S,
    "bilateral_symptoms": _S,
    "atypical_onset": _S,
    "alternative_diagnosis": _S,
    "ct_only_imaging": _S,
    "ct_limits": _S,
    "contrast_withheld": _S,
    "imaging_declined": _S,
    "no_nvc_on_imaging": _S,
    "secondary_cause_on_imaging": _S,
    "imaging_overdue": _T,
    # Oral drugs (R2.7, R2.15)
    "hla_b1502_screen_required": _D,
    "hla_b1502_screen_advised": _D,
    "hla_b1502_positive": _D,
    "dose_above_label_maximum": _D,
    "pregnancy_drug_review": _D,
    "enzyme_inducer_contraception": _D,
    # Botulinum toxin (R2.5, R2.6, R2.15)
    "reinjection_interval_too_short": _C,
    "dose_above_usual_range": _C,
    "distant_spread_suspected": _C,
    "local_diffusion_suspected": _C,
    "waning_response": _S,
    "response_assessment_overdue": _T,
    # The checkpoint, surgery and after (R2.8, R2.9, R2.13)
    "surgical_risk_unfavourable": _S,
    "checkpoint_override": _S,
    "mvd_outside_checkpoint": _S,
    "delayed_resolution_possible": _R,
    "early_recurrence": _R,
    "mvd_complication": _S,
    "referral_overdue": _T,
    # Gaps and scheduled reviews (R2.10)
    "review_overdue": _T,
    "follow_up_overdue": _T,
}
"""Every alert code the contract names, old and new, and how long it stays active."""

_DEFAULT = ActiveWhile.STAGE_STAY
_WORKUP_OPEN, _DRUG_COURSE, _TOXIN_CYCLE, _NEXT_REVIEW = _W, _D, _C, _R


def active_while(code: str) -> ActiveWhile:
    """The rule of one alert code (an unknown code is read as ``stage_stay``; the tests keep the table whole)."""
    return ALERT_ACTIVE_WHILE.get(code, _DEFAULT)


class _Clock:
    """What the rules need from the history, each read in a backward pass only when a rule asks for it.

    Most alerts need only the start of the current stay, which a short backward scan finds (it stops at the
    latest change of stage); the latest injection, drug start and review after surgery are looked up only for
    the few alerts whose rules name them. Work-up and time-based alerts read no history at all.
    """

    __slots__ = ("_latest", "_stay_start", "final", "history", "stage", "workup_open")

    def __init__(self, history: Sequence[HistoryEntry], stage: Stage, workup_open: bool, final: bool) -> None:
        self.history = history
        self.final = final
        self.stage = stage
        self.workup_open = workup_open
        self._stay_start = -1
        self._latest: dict[str, int] = {}

    @property
    def stay_start(self) -> int:
        """The index of the event that entered the current stage (0 when the pathway never moved)."""
        if self._stay_start < 0:
            self._stay_start = 0
            # Entries unpacked: a named tuple's field read by name is slow, and the scan crosses a course's events.
            for index, _, _, from_stage, to_stage, _ in reversed(self.history):
                if from_stage is not to_stage:
                    self._stay_start = index
                    break
        return self._stay_start

    def latest(self, event: str) -> int:
        """The index of the latest accepted event of this type, or -1."""
        found = self._latest.get(event)
        if found is None:
            found = -1
            for index, _, entry_event, _, _, _ in reversed(self.history):  # unpacked, as in ``stay_start``
                if entry_event == event:
                    found = index
                    break
            self._latest[event] = found
        return found

    def is_active(self, code: str, index: int | None) -> bool:
        """Whether the alert with this code, raised by the event at ``index`` (``None``: by time), is active."""
        rule = ALERT_ACTIVE_WHILE.get(code, _DEFAULT)
        # The rules compared with module names, not ``ActiveWhile.MEMBER``: an enum member's look-up on its class
        # costs a call of ``EnumType.__getattr__`` under Python 3.11, for every alert of every evaluation.
        if rule is _WORKUP_OPEN:
            return self.workup_open
        if index is None:
            return True  # time-based: listed only while its condition holds on the evaluation date
        if rule is _TOXIN_CYCLE:
            return self._cycle_current(index)
        if rule is _DRUG_COURSE:
            history = self.history
            if index < len(history) and history[index].event == _INJECTION:
                return self._cycle_current(index)
            return self._course_current(index)
        if rule is _NEXT_REVIEW:
            return index >= self.stay_start and self.latest(_REVIEW) <= index
        return index >= self.stay_start

    def _cycle_current(self, index: int) -> bool:
        return not self.final and self.latest(_INJECTION) <= index

    def _course_current(self, index: int) -> bool:
        # The alert's course is the latest drug started at or before the raising event: it is current when no
        # drug was started after it and the patient is still in the oral_medication stay it began in.
        if self.final or self.stage is not Stage.ORAL_MEDICATION:
            return False
        medication = self.latest(_MEDICATION)
        return 0 <= medication <= index and medication >= self.stay_start


# The event types the rules look up, as plain strings: ``HistoryEntry.event`` is a ``str``, and comparing two
# plain strings skips the enum's reflected comparison.
_INJECTION = EventType.BOTOX_INJECTION.value
_MEDICATION = EventType.MEDICATION_STARTED.value
_REVIEW = EventType.POST_MVD_REVIEW.value


def mark_active(
    alerts: Iterable[Alert], history: Sequence[HistoryEntry], stage: Stage, workup_open: bool, final: bool
) -> tuple[Alert, ...]:
    """Every alert, in the same order, with ``active`` set by its code's rule for a pathway whose accepted
    events made ``history`` and left it in ``stage`` (``final`` when that stage is final), its work-up open or not.
    """
    alerts = tuple(alerts)
    if not alerts:
        return alerts  # most cases: nothing to mark, and no history to read
    is_active = _Clock(history, stage, workup_open, final).is_active
    marked = []
    for alert in alerts:
        # The fields read by unpacking: a named tuple's field read by name is slow, per alert per evaluation.
        code, severity, text, rationale, evidence, date, index, was_active = alert
        active = is_active(code, index)
        if was_active is active:
            marked.append(alert)
        else:
            # What ``_replace(active=active)`` does, as one C call without its Python-level calls (an alert that
            # is history is remade on every evaluation of a long course).
            marked.append(_new_tuple(Alert, (code, severity, text, rationale, evidence, date, index, active)))
    return tuple(marked)


_new_tuple = tuple.__new__
