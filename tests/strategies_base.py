"""The vocabularies of the clinical contract, example events, the context the next event depends on, small building
blocks, patients and dates (see ``tests.strategies``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from hfs_pathway import (
    Pathway,
    Stage,
)
from hfs_pathway._dates import add_months
from tests import strategies_workup as workup

Event = dict[str, Any]
Strategy = st.SearchStrategy

# The contract's vocabularies (spec §2) ------------------------------------------------------------------------

EVENT_TYPES = (
    "presentation",
    "imaging_result",
    "secondary_cause_outcome",
    "treatment_decision",
    "medication_started",
    "medication_review",
    "botox_injection",
    "botox_response",
    "botox_plan_adjusted",
    "surgical_risk_assessment",
    "risk_benefit_decision",
    "mvd_performed",
    "referral_closed",
    "post_mvd_review",
    "red_flag",
    "review_visit",
    "pathway_exit",
    "recurrence",
    *workup.WORKUP_EVENT_TYPES,
)
SIDES = ("left", "right", "bilateral")
ONSET_REGIONS = ("periocular", "lower_face", "other")
HFS_IMPRESSIONS = ("hemifacial_spasm", "uncertain")
OTHER_IMPRESSIONS = (
    "blepharospasm",
    "post_facial_palsy_synkinesis",
    "facial_myokymia",
    "tic",
    "functional",
    "hemimasticatory_spasm",
    "focal_seizure",
    "other",
)
PRESENTATION_FINDINGS = ("tonic_contraction", "facial_weakness", "facial_numbness", "hearing_loss")
PRESENTATION_FINDINGS += ("other_cranial_nerve_signs",)
PRESENTATION_HISTORY = ("prior_facial_palsy", "facial_trauma", "multiple_sclerosis")
PRESENTATION_HISTORY += ("prior_posterior_fossa_or_parotid_lesion",)
MODALITIES = ("mri", "ct")
PRIMARY_FINDINGS = ("neurovascular_conflict", "no_abnormality")
SECONDARY_FINDINGS = ("tumour", "demyelination", "vascular_malformation", "other_structural")
VESSELS = ("aica", "pica", "vertebral", "vein", "multiple", "unknown")
SECONDARY_OUTCOMES = ("spasm_persists", "resolved", "managed_elsewhere")
TREATMENT_OPTIONS = ("observation", "oral_medication", "botulinum_toxin", "surgical_evaluation")
CONSERVATIVE_OPTIONS = ("observation", "oral_medication", "botulinum_toxin")
DRUGS = ("carbamazepine", "oxcarbazepine", "clonazepam", "gabapentin", "baclofen", "levetiracetam", "phenytoin")
DRUGS += ("other",)
MEDICATION_RESPONSES = ("good", "partial", "none")
MEDICATION_EFFECTS = ("none", "tolerable", "intolerable")
PRODUCTS = ("onabotulinumtoxinA", "abobotulinumtoxinA", "incobotulinumtoxinA", "rimabotulinumtoxinB")
TOXIN_EFFECTS = ("ptosis", "facial_weakness", "diplopia", "lagophthalmos", "dry_eye", "dysphagia", "other")
ADJUSTMENTS = ("increase_dose", "change_sites", "switch_product")
SPASM_OUTCOMES = ("resolved", "improved", "unchanged", "recurred")
COMPLICATIONS = ("hearing_loss", "facial_palsy", "csf_leak", "lower_cranial_nerve", "stroke", "meningitis", "other")
RED_FLAGS = ("facial_weakness", "facial_numbness", "hearing_loss", "other_cranial_nerve_signs", "tonic_contraction")
RED_FLAGS += ("rapid_progression",)
EXIT_REASONS = ("patient_declined_care", "lost_to_follow_up", "transferred", "deceased", "alternative_diagnosis")
REFERRAL_CLOSED_REASONS = ("surgeon_declined", "patient_declined")
SEXES = ("female", "male", "other", "unknown")
CLINICAL_VOCABULARY = tuple(
    sorted(
        {
            *SIDES,
            *ONSET_REGIONS,
            *HFS_IMPRESSIONS,
            *OTHER_IMPRESSIONS,
            *MODALITIES,
            *PRIMARY_FINDINGS,
            *SECONDARY_FINDINGS,
            *VESSELS,
            *SECONDARY_OUTCOMES,
            *TREATMENT_OPTIONS,
            *DRUGS,
            *MEDICATION_RESPONSES,
            *MEDICATION_EFFECTS,
            *PRODUCTS,
            *TOXIN_EFFECTS,
            *ADJUSTMENTS,
            *SPASM_OUTCOMES,
            *COMPLICATIONS,
            *RED_FLAGS,
            *EXIT_REASONS,
            *REFERRAL_CLOSED_REASONS,
            *SEXES,
            "refer_for_mvd",
            "continue_conservative",
            "mild",
            "significant",
            *workup.WORKUP_VOCABULARY,
        }
    )
)
"""Every coded value of spec §2, for fuzzing."""

FINAL_STAGES = frozenset({Stage.DISCHARGED, Stage.EXITED})
TREATMENT_STAGES = frozenset(
    {
        Stage.OBSERVATION,
        Stage.ORAL_MEDICATION,
        Stage.BOTULINUM_TOXIN,
        Stage.WANING_RESPONSE,
        Stage.SURGICAL_EVALUATION,
        Stage.MVD_REFERRAL,
        Stage.POST_MVD,
    }
)
"""The stages of spec §4.2: none may be reached before an accepted imaging result."""

MIN_REINJECTION_INTERVAL_DAYS = 84
RISK_ASSESSMENT_VALIDITY_DAYS = 180

FIRST_VISITS = (dt.date(2016, 1, 1), dt.date(2030, 12, 31))
"""Presentation dates are drawn from here; birth dates end well before, so every visit follows birth."""
BIRTH_DATES = (dt.date(1925, 1, 1), dt.date(2008, 12, 31))
START = dt.date(2024, 1, 8)
"""The presentation date of the fixed, hand-written stories."""

# Examples of every event, valid on their own (the date is added when used) ----------------------------------

EXAMPLE_FIELDS: dict[str, dict[str, Any]] = {
    "presentation": {"side": "left", "onset_region": "periocular", "clinical_impression": "hemifacial_spasm"},
    "imaging_result": {
        "modality": "mri",
        "high_resolution_t2": True,
        "finding": "neurovascular_conflict",
        "offending_vessel": "aica",
    },
    "secondary_cause_outcome": {"outcome": "spasm_persists"},
    "treatment_decision": {"option": "botulinum_toxin", "shared_decision": True},
    "medication_started": {"drug": "clonazepam", "dose_mg_per_day": 1},
    "medication_review": {"response": "good", "adverse_effects": "none"},
    "botox_injection": {"product": "onabotulinumtoxinA", "total_units": 20},
    "botox_response": {"peak_improvement_percent": 70},
    "botox_plan_adjusted": {"adjustment": "increase_dose"},
    "surgical_risk_assessment": {
        "asa_class": 2,
        "diabetes": False,
        "hypertension": False,
        "anticoagulation": False,
        "prior_posterior_fossa_surgery": False,
        "baseline_audiometry_done": True,
    },
    "risk_benefit_decision": {"decision": "refer_for_mvd", "patient_informed": True, "patient_consents": True},
    "mvd_performed": {},
    "referral_closed": {"reason": "patient_declined"},
    "post_mvd_review": {"spasm": "resolved", "complications": []},
    "red_flag": {"finding": "hearing_loss"},
    "review_visit": {"wants_treatment": False},
    "pathway_exit": {"reason": "transferred"},
    "recurrence": {},
    **workup.EXAMPLE_FIELDS,
}


def example_event(event_type: str, on: dt.date) -> Event:
    """A valid event of ``event_type`` dated ``on``."""
    return {"type": event_type, "date": on.isoformat(), **EXAMPLE_FIELDS[event_type]}


# What the next event depends on -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a clinician knows before the next visit, read from the pathway's public face."""

    stage: Stage
    accepted: tuple[str, ...]
    last_date: dt.date | None
    birth_date: dt.date | None
    last_injection: dt.date | None
    awaiting_response: bool
    medication_started: bool
    mvd_date: dt.date | None
    risk_date: dt.date | None
    uncoded_studies: tuple[dt.date, ...] = ()
    """Studies on record whose finding is not coded yet (imaging_finding_recorded can code them)."""
    order_outstanding: bool = False
    """An imaging order is outstanding (it can be booked or declined)."""

    @classmethod
    def of(cls, pathway: Pathway) -> Context:
        events = pathway.events
        cycles = pathway.botox_cycles
        entered_oral = max(
            (h.index for h in pathway.history if h.to_stage is Stage.ORAL_MEDICATION and h.from_stage != h.to_stage),
            default=-1,
        )
        started = any(e.type == "medication_started" for e in events[entered_oral + 1 :])
        surgeries = [e.date for e in events if e.type == "mvd_performed"]
        risk = pathway.risk_benefit
        outstanding = False
        if events and not pathway.final:
            codes = {r.code for r in pathway.evaluate(events[-1].date).recommendations}
            outstanding = bool(codes & workup.ORDER_CODES)
        return cls(
            stage=pathway.stage,
            accepted=pathway.accepted_events(),
            last_date=events[-1].date if events else None,
            birth_date=pathway.patient.birth_date,
            last_injection=cycles[-1].injection_date if cycles else None,
            awaiting_response=bool(cycles) and (cycles[-1].response_index is None or cycles[-1].benefit_ongoing),
            medication_started=started,
            mvd_date=surgeries[-1] if surgeries else None,
            risk_date=None if risk is None else risk.date,
            uncoded_studies=workup.uncoded_studies(events),
            order_outstanding=outstanding,
        )

    def plausible_types(self) -> tuple[str, ...]:
        """The accepted event types whose precondition holds (a response needs an injection awaiting one)."""
        types = []
        for event_type in self.accepted:
            if event_type == "botox_response" and not self.awaiting_response:
                continue
            if event_type == "medication_review" and not self.medication_started:
                continue
            if event_type == "imaging_finding_recorded" and not self.uncoded_studies:
                continue
            if event_type in ("imaging_booked", "imaging_declined") and not self.order_outstanding:
                continue
            types.append(event_type)
        return tuple(types)


# Small building blocks ----------------------------------------------------------------------------------------


def mostly(common: Any, rare: Sequence[Any], weight: int = 6) -> Strategy[Any]:
    """``common`` about ``weight`` times as often as each ``rare`` value; shrinks towards ``common``.

    Hypothesis favours the first and last choices, so ``common`` is placed at both ends.
    """
    half = max(1, weight // 2)
    return st.sampled_from((common,) * half + tuple(rare) + (common,) * (weight - half))


def rarely_true(weight: int = 6) -> Strategy[bool]:
    return mostly(False, (True,), weight)


def mostly_true(weight: int = 6) -> Strategy[bool]:
    return mostly(True, (False,), weight)


def notes() -> Strategy[str]:
    return st.text(max_size=30)


def numbers(low: float, high: float) -> Strategy[float]:
    """A whole or decimal number in ``[low, high]``, as a clinician would write it."""
    whole = st.integers(math.ceil(low), math.floor(high))
    return st.one_of(whole, st.floats(low, high, allow_nan=False, allow_infinity=False))


def severity_fields() -> dict[str, Strategy[Any]]:
    return {
        "jrs_severity": st.integers(0, 4),
        "jrs_frequency": st.integers(0, 4),
        "smc_grade": st.integers(1, 4),
        "hfs7": st.integers(0, 28),
    }


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


# Patients -----------------------------------------------------------------------------------------------------


def patients() -> Strategy[dict[str, Any]]:
    """A patient record: an opaque id and, sometimes, birth date, sex and Asian ancestry."""
    return st.fixed_dictionaries(
        {"id": st.text(min_size=1, max_size=12)},
        optional={
            "birth_date": st.dates(*BIRTH_DATES).map(dt.date.isoformat),
            "sex": st.sampled_from(SEXES),
            "asian_ancestry": st.booleans(),
        },
    )


# Dates ----------------------------------------------------------------------------------------------------------

GAPS: dict[str, tuple[int, int]] = {
    "imaging_result": (0, 90),
    "secondary_cause_outcome": (14, 365),
    "treatment_decision": (0, 60),
    "medication_started": (0, 14),
    "medication_review": (14, 120),
    "botox_injection": (0, 30),
    "botox_response": (14, 120),
    "botox_plan_adjusted": (0, 30),
    "surgical_risk_assessment": (0, 60),
    "mvd_performed": (14, 180),
    "referral_closed": (14, 180),
    "post_mvd_review": (30, 240),
    "red_flag": (0, 180),
    "review_visit": (14, 200),
    "pathway_exit": (0, 365),
    "presentation": (0, 30),
    "recurrence": (30, 2000),
    **workup.GAPS,
}
"""Plausible days between the previous event and this one, by event type."""


def event_dates(ctx: Context, event_type: str) -> Strategy[dt.date]:
    """A plausible date for the next event: never before the previous one, spaced as in a real clinic."""
    last = ctx.last_date
    if last is None:
        return st.dates(*FIRST_VISITS)
    injected = ctx.last_injection
    if event_type == "botox_injection" and injected is not None:
        # Usually 12-20 weeks after the last injection, sometimes earlier than the label allows.
        interval = st.one_of(st.integers(MIN_REINJECTION_INTERVAL_DAYS, 150), st.integers(21, 90))
        return interval.map(lambda n: max(last, injected + days(n)))
    if event_type == "botox_response" and injected is not None:
        return st.integers(14, 150).map(lambda n: max(last, injected + days(n)))
    if event_type == "post_mvd_review" and ctx.mvd_date is not None:
        surgery = ctx.mvd_date
        due = st.tuples(st.sampled_from((3, 6, 12, 24, 30)), st.integers(0, 28))
        return due.map(lambda mj: max(last, add_months(surgery, mj[0]) + days(mj[1])))
    if event_type == "risk_benefit_decision":
        # Mostly soon after the assessment; sometimes long enough for it to have expired.
        return st.one_of(st.integers(0, 60), st.integers(150, 240)).map(lambda n: last + days(n))
    low, high = GAPS[event_type]
    return st.integers(low, high).map(lambda n: last + days(n))


# Fields of each event type --------------------------------------------------------------------------------------

FieldStrategy = Callable[[Context, dt.date], Strategy[dict[str, Any]]]
