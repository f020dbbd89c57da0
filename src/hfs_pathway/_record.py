"""The facts derived from a patient's accepted events: a fold over the history, kept up to date as
each event is accepted, so that rules read what they need without rescanning the history.

The history entries and the alerts raised by events are not part of the record: they only ever grow, so
the pathway keeps them in its own append-only lists. A record holds only what a rule may replace, and
copying it costs the same at the first event and at the ten-thousandth.
"""

from __future__ import annotations

import datetime as dt
from types import FunctionType
from typing import TYPE_CHECKING, Final, TypeAlias

from ._events import BotoxResponse, ImagingResult, MedicationStarted, Presentation
from ._results import BotoxCycle, RiskBenefitAssessment
from ._vocabulary import SpasmOutcome, Stage, WaningReason

if TYPE_CHECKING:
    from ._workup import Workup

PlanTally: TypeAlias = tuple[int, int, int]
"""Running counts over the responses recorded in the current toxin plan, kept in the record so that the waning
tests (``_toxin``) after a response read three numbers instead of walking back through the cycles: ``(poor, short,
poorly_tolerated)``, how many of the latest responses in a row were insufficient or absent, how many of the
latest known benefit durations in a row lasted under the minimum reinjection interval, and how many responses
were poorly tolerated. A response to a cycle from before the plan counts for nothing: the plan's waning is
judged on its own cycles."""

NO_PLAN_RESPONSES: PlanTally = (0, 0, 0)
"""The tally of a plan with no response recorded yet."""


def _compiled() -> bool:
    # A function compiled by mypyc is a built-in function object, not a Python function.
    return not isinstance(_compiled, FunctionType)


COMPILED: Final = _compiled()
"""Whether the replay core runs compiled: a wheel built with ``HFS_PATHWAY_COMPILE`` (see ``hatch_build.py`` and
docs/performance.md) compiles this module, the change, the replay step and the rules with mypyc."""


class Record:
    """Everything the rules need to know about the history so far.

    A record is only ever changed on a private copy while an event is being considered; the copy
    replaces the pathway's record only once the event is accepted.
    """

    def __init__(self) -> None:
        self.stage: Stage = Stage.PRESENTATION
        self.stage_entered: dt.date | None = None
        self.last_date: dt.date | None = None
        self.presentation: Presentation | None = None
        self.imaging_clock: dt.date | None = None
        self.imaging: ImagingResult | None = None
        """The latest study (with its finding as coded later, when it was recorded as not coded)."""
        self.studies: tuple[ImagingResult, ...] = ()
        """Every study on record, in order, each with its finding as coded so far."""
        self.any_mri = False
        self.any_dedicated_mri = False
        """An MRI with high-resolution T2 is on record."""
        self.any_imaging = False
        self.workup: Workup | None = None
        """The imaging work-up in force (see ``_workup``); ``None`` before the presentation."""
        self.interrupted: Stage | None = None
        """The stage a red flag interrupted: a study without a secondary cause returns the patient there."""
        self.neurosurgery_contact: tuple[int, dt.date | None] | None = None
        """A red flag recorded as a complication soon after surgery: its event index, and the date of the last
        review after surgery when it was recorded (contact_neurosurgery stands until a later review)."""
        self.medication: MedicationStarted | None = None
        self.last_review: dt.date | None = None
        self.cycles: tuple[BotoxCycle, ...] = ()
        self.responses: tuple[BotoxCycle, ...] = ()
        """The cycles whose response is recorded, in order (the same objects as in ``cycles``)."""
        self.durations: tuple[tuple[int, int], ...] = ()
        """``(cycle number, benefit days)`` of the responses that recorded how long the benefit lasted."""
        self.plan_start = 0
        """How many cycles came before the current toxin plan (cycle ``number > plan_start`` is in it)."""
        self.waning_reason: WaningReason | None = None
        self.ongoing_response: BotoxResponse | None = None
        """The latest injection's response while its benefit was still ongoing (a later response completes it)."""
        self.plan_tally: PlanTally = NO_PLAN_RESPONSES
        """Running counts over the current plan's responses, which the waning tests read: the latest poor
        responses in a row, the latest final benefit durations in a row under the minimum reinjection interval,
        and the poorly tolerated responses (``PlanTally``)."""
        self.tally_before_ongoing: PlanTally = NO_PLAN_RESPONSES
        """``plan_tally`` as it stood before ``ongoing_response`` was recorded: a completing response replaces
        that entry, so its counts start again from here."""
        self.risk: RiskBenefitAssessment | None = None
        self.mvd_date: dt.date | None = None
        self.last_post_mvd_review: dt.date | None = None
        self.last_post_mvd_outcome: SpasmOutcome | None = None
        self.mvd_unsuccessful = False
        self.referral_date: dt.date | None = None
        """When the current referral for MVD was made (entering ``mvd_referral``)."""
        self.discharged_from: Stage | None = None
        """The stage the patient was discharged from (``secondary_cause`` or ``post_mvd``)."""
        self.recurrence_date: dt.date | None = None
        """When spasm was recorded as recurring after discharge (the ``recurrence`` event)."""

    @property
    def workup_open(self) -> bool:
        """True while the work-up the tier requires is neither closed nor declined with informed refusal."""
        workup = self.workup
        return workup is not None and workup.is_open

    def copy(self) -> Record:
        """A copy to change: every field holds an immutable value (dates, tuples, frozen models), so a shallow
        copy is a full copy."""
        if COMPILED:
            # A native class has no instance dictionary: its fields are copied one by one (a C assignment
            # each). ``tests/test_compiled_core.py`` checks that every field is copied.
            clone = Record()
            clone.stage = self.stage
            clone.stage_entered = self.stage_entered
            clone.last_date = self.last_date
            clone.presentation = self.presentation
            clone.imaging_clock = self.imaging_clock
            clone.imaging = self.imaging
            clone.studies = self.studies
            clone.any_mri = self.any_mri
            clone.any_dedicated_mri = self.any_dedicated_mri
            clone.any_imaging = self.any_imaging
            clone.workup = self.workup
            clone.interrupted = self.interrupted
            clone.neurosurgery_contact = self.neurosurgery_contact
            clone.medication = self.medication
            clone.last_review = self.last_review
            clone.cycles = self.cycles
            clone.responses = self.responses
            clone.durations = self.durations
            clone.plan_start = self.plan_start
            clone.waning_reason = self.waning_reason
            clone.ongoing_response = self.ongoing_response
            clone.plan_tally = self.plan_tally
            clone.tally_before_ongoing = self.tally_before_ongoing
            clone.risk = self.risk
            clone.mvd_date = self.mvd_date
            clone.last_post_mvd_review = self.last_post_mvd_review
            clone.last_post_mvd_outcome = self.last_post_mvd_outcome
            clone.mvd_unsuccessful = self.mvd_unsuccessful
            clone.referral_date = self.referral_date
            clone.discharged_from = self.discharged_from
            clone.recurrence_date = self.recurrence_date
            return clone
        # A plain instance dictionary makes the copy one C-level dict copy.
        clone = Record.__new__(Record)
        clone.__dict__ = self.__dict__.copy()
        return clone
