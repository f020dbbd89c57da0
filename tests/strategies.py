"""Hypothesis strategies for hemifacial spasm care: plausible clinic events, and events that must be refused.

Plausible events follow the clinic's rhythm: each is drawn for the patient's current stage and record (the
last visit, the last injection, the operation date), dated a plausible gap after the previous event, with every
field taken from the vocabularies of the clinical contract (spec §2) and consistent with the others (no vessel
without a conflict, a toxin benefit never longer than the time since the injection, ...).

Bad events are paired with the error the contract says they earn: an unknown type, an unknown field, a value out
of range or of the wrong type ("yes" for a yes/no answer) is ``InvalidEvent``; an event dated before the previous
one is ``OutOfOrder``; an event the stage does not accept is ``EventNotAllowed``; a referral for MVD without a
recent risk assessment or without consent is ``CheckpointNotSatisfied`` at the checkpoint.

The vocabularies are written out here from the spec on purpose: the tests check the library against the
contract, not against itself.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from hfs_pathway import (
    HFS_PATHWAY,
    CheckpointNotSatisfied,
    EventNotAllowed,
    InvalidEvent,
    OutOfOrder,
    Pathway,
    PathwayError,
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


@st.composite
def presentation_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "side": draw(mostly("left", ("right", "bilateral"), 3)),
        "onset_region": draw(mostly("periocular", ("lower_face", "other"))),
        "clinical_impression": draw(
            st.sampled_from(OTHER_IMPRESSIONS)
            if draw(rarely_true(8))
            else mostly("hemifacial_spasm", ("uncertain",), 4)
        ),
    }
    for name in (*PRESENTATION_FINDINGS, *PRESENTATION_HISTORY):
        if draw(rarely_true(3)):
            fields[name] = draw(rarely_true(4))
    for name in ("persists_in_sleep", "other_babinski_sign"):
        if draw(rarely_true(2)):
            fields[name] = draw(st.none() | st.booleans())
    if draw(st.booleans()):
        earliest = max(ctx.birth_date or dt.date(1900, 1, 1), on - days(365 * 40))
        fields["symptom_onset_date"] = draw(st.dates(earliest, on)).isoformat()
    fields.update(draw(st.fixed_dictionaries({}, optional={**severity_fields(), "note": notes()})))
    fields.update(workup.presentation_extras(draw))
    return fields


@st.composite
def imaging_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    modality = draw(mostly("mri", ("ct",), 4))
    finding = draw(st.sampled_from(("neurovascular_conflict",) * 6 + ("no_abnormality",) * 2 + SECONDARY_FINDINGS))
    fields: dict[str, Any] = {"modality": modality, "finding": finding}
    if modality == "mri" and draw(st.booleans()):
        fields["high_resolution_t2"] = draw(st.booleans())
    for name in ("angiography", "contrast"):
        if draw(st.booleans()):
            fields[name] = draw(st.booleans())
    if finding == "neurovascular_conflict" and draw(mostly_true(2)):
        fields["offending_vessel"] = draw(mostly("aica", VESSELS[1:], 3))
    return workup.imaging_extras(draw, ctx, fields)


def secondary_outcome_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"outcome": mostly("spasm_persists", SECONDARY_OUTCOMES[1:], 3)})


def treatment_decision_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "option": mostly("botulinum_toxin", ("surgical_evaluation", "oral_medication", "observation"), 3),
            "shared_decision": mostly_true(),
        },
        optional={"note": notes()},
    )


def medication_started_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"drug": st.sampled_from(DRUGS), "dose_mg_per_day": numbers(0.5, 2400)},
        optional={"hla_b1502_tested": st.booleans()},
    )


def medication_review_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "response": mostly("good", MEDICATION_RESPONSES[1:], 2),
            "adverse_effects": mostly("none", MEDICATION_EFFECTS[1:], 2),
        }
    )


USUAL_UNITS = {
    "onabotulinumtoxinA": (5, 90),
    "abobotulinumtoxinA": (20, 260),
    "incobotulinumtoxinA": (5, 90),
    "rimabotulinumtoxinB": (250, 5000),
}
"""Doses drawn per product: mostly in the usual range, sometimes above it."""


@st.composite
def injection_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    product = draw(mostly("onabotulinumtoxinA", PRODUCTS[1:], 3))
    fields: dict[str, Any] = {"product": product, "total_units": draw(numbers(*USUAL_UNITS[product]))}
    if draw(st.booleans()):
        fields["sites"] = draw(st.integers(1, 12))
    return fields


@st.composite
def response_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    """A response whose benefit never lasted longer than the time since the injection."""
    elapsed = (on - ctx.last_injection).days if ctx.last_injection is not None else 365
    fields: dict[str, Any] = {"peak_improvement_percent": draw(numbers(0, 100))}
    benefit = None
    if draw(mostly_true(4)):
        benefit = draw(st.integers(0, max(0, min(elapsed, 365))))
        fields["benefit_duration_days"] = benefit
    if draw(rarely_true(2)):
        fields["onset_days"] = draw(st.integers(0, min(60, 60 if benefit is None else benefit)))
    effects = draw(st.lists(st.sampled_from(TOXIN_EFFECTS), unique=True, max_size=2))
    if effects:
        fields["adverse_effects"] = effects
        fields["adverse_effect_severity"] = draw(st.sampled_from(("mild", "significant")))
    elif draw(st.booleans()):
        fields["adverse_effect_severity"] = "none"
    if draw(rarely_true(3)):
        fields["benefit_ongoing"] = True  # recorded at the 28-day review, before the benefit wore off
    return fields


def plan_adjusted_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"adjustment": st.sampled_from(ADJUSTMENTS)})


@st.composite
def risk_assessment_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "asa_class": draw(st.sampled_from((1, 1, 2, 2, 2, 3, 3, 4, 5))),
        "diabetes": draw(rarely_true(3)),
        "hypertension": draw(rarely_true(2)),
        "anticoagulation": draw(rarely_true(3)),
        "prior_posterior_fossa_surgery": draw(rarely_true(6)),
        "baseline_audiometry_done": draw(mostly_true(2)),
    }
    if fields["anticoagulation"] and draw(mostly_true(2)):
        fields["anticoagulation_can_pause"] = draw(mostly_true(2))
    return fields


@st.composite
def risk_benefit_decision_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    decision = draw(mostly("refer_for_mvd", ("continue_conservative",), 3))
    fields: dict[str, Any] = {
        "decision": decision,
        "patient_informed": draw(mostly_true(8)),
        "patient_consents": draw(mostly_true(5)) if decision == "refer_for_mvd" else draw(st.booleans()),
    }
    if decision == "continue_conservative":
        fields["next_option"] = draw(st.sampled_from(CONSERVATIVE_OPTIONS))
    elif draw(st.booleans()):
        fields["override_reason"] = draw(
            st.sampled_from(("patient's informed choice after counselling", "disabling spasm", "MDT agreed"))
        )
    return fields


@st.composite
def mvd_performed_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    """After a referral or as an early redo, now and then marked outside_pathway; from any other stage the
    operation was done elsewhere, so it is marked outside_pathway (R2.13-R2.15)."""
    fields = draw(
        st.fixed_dictionaries(
            {}, optional={"lsr_resolved": st.booleans(), "offending_vessel": st.sampled_from(VESSELS)}
        )
    )
    if ctx.stage not in (Stage.MVD_REFERRAL, Stage.POST_MVD) or draw(rarely_true(6)):
        fields["outside_pathway"] = True
    return fields


def recurrence_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={"note": notes()})


def referral_closed_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"reason": st.sampled_from(REFERRAL_CLOSED_REASONS)})


def post_mvd_review_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    complication = st.fixed_dictionaries({"type": st.sampled_from(COMPLICATIONS), "permanent": rarely_true(2)})
    return st.fixed_dictionaries(
        {"spasm": mostly("resolved", SPASM_OUTCOMES[1:], 2)},
        optional={"complications": st.lists(complication, max_size=2)},
    )


def red_flag_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"finding": st.sampled_from(RED_FLAGS)})


def review_visit_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"wants_treatment": st.booleans()}, optional={**severity_fields(), "note": notes()})


def exit_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"reason": st.sampled_from(EXIT_REASONS)})


FIELDS: dict[str, FieldStrategy] = {
    "presentation": presentation_fields,
    "imaging_result": imaging_fields,
    "secondary_cause_outcome": secondary_outcome_fields,
    "treatment_decision": treatment_decision_fields,
    "medication_started": medication_started_fields,
    "medication_review": medication_review_fields,
    "botox_injection": injection_fields,
    "botox_response": response_fields,
    "botox_plan_adjusted": plan_adjusted_fields,
    "surgical_risk_assessment": risk_assessment_fields,
    "risk_benefit_decision": risk_benefit_decision_fields,
    "mvd_performed": mvd_performed_fields,
    "referral_closed": referral_closed_fields,
    "post_mvd_review": post_mvd_review_fields,
    "red_flag": red_flag_fields,
    "review_visit": review_visit_fields,
    "pathway_exit": exit_fields,
    "recurrence": recurrence_fields,
    **workup.FIELDS,
}


# Plausible events -----------------------------------------------------------------------------------------------


@st.composite
def event_of_type(draw: st.DrawFn, ctx: Context, event_type: str, on: dt.date | None = None) -> Event:
    """A plausible ``event_type`` event for this context, dated ``on`` or a plausible gap after the last one."""
    day = on if on is not None else draw(event_dates(ctx, event_type))
    fields = draw(FIELDS[event_type](ctx, day))
    return {"type": event_type, "date": day.isoformat(), **fields}


USUAL_NEXT: dict[Stage, tuple[str, ...]] = {
    Stage.PRESENTATION: ("presentation",),
    Stage.IMAGING: ("imaging_result",),
    Stage.SECONDARY_CAUSE: ("secondary_cause_outcome",),
    Stage.TREATMENT_SELECTION: ("treatment_decision",),
    Stage.OBSERVATION: ("review_visit",),
    Stage.ORAL_MEDICATION: ("medication_started", "medication_review"),
    Stage.BOTULINUM_TOXIN: ("botox_injection", "botox_response"),
    Stage.WANING_RESPONSE: ("botox_plan_adjusted", "treatment_decision"),
    Stage.SURGICAL_EVALUATION: ("surgical_risk_assessment", "risk_benefit_decision"),
    Stage.MVD_REFERRAL: ("mvd_performed",),
    Stage.POST_MVD: ("post_mvd_review",),
}
"""What the clinic usually records next at each stage; other accepted events happen now and then."""


def care_plan(ctx: Context) -> tuple[str, ...]:
    """The plausible event types, each repeated by how often a clinic records it next (leaving care is rare)."""
    usual = set(USUAL_NEXT.get(ctx.stage, ()))
    if ctx.stage is Stage.BOTULINUM_TOXIN:
        usual = {"botox_response"} if ctx.awaiting_response else {"botox_injection"}
    if ctx.stage is Stage.ORAL_MEDICATION:
        usual = {"medication_review"} if ctx.medication_started else {"medication_started"}
    if ctx.stage is Stage.SURGICAL_EVALUATION:
        usual = {"risk_benefit_decision"} if ctx.risk_date is not None else {"surgical_risk_assessment"}
    types = ctx.plausible_types()
    common = [t for t in types if t in usual] * 4
    rare = [t for t in types if t not in usual]
    # Hypothesis favours the first and last choices: keep the usual events there, the rare ones between.
    return tuple(common + rare + common) if common else tuple(rare)


def next_event(pathway: Pathway, event_type: str | None = None) -> Strategy[Event]:
    """A plausible next event for this patient: of ``event_type``, or what the stage usually calls for next
    (now and then another event the stage accepts: a red flag, a change of plan, leaving care)."""
    ctx = Context.of(pathway)
    if event_type is not None:
        return event_of_type(ctx, event_type)
    plan = care_plan(ctx)
    if not plan:
        return st.nothing()
    return st.sampled_from(plan).flatmap(lambda t: event_of_type(ctx, t))


@st.composite
def wandering_cases(draw: st.DrawFn, max_events: int = 20) -> dict[str, Any]:
    """A whole case, ``{"patient", "events"}``, following the usual course of care wherever it leads."""
    patient = draw(patients())
    pathway = Pathway.start(patient)
    events: list[Event] = []
    for _ in range(draw(st.integers(0, max_events))):
        if pathway.final:
            break
        event = draw(next_event(pathway))
        try:
            pathway.apply(event)
        except PathwayError:
            continue  # e.g. a referral the checkpoint refuses: the clinic does not record it
        events.append(event)
    return {"patient": patient, "events": events}


NON_FINAL_STAGES = tuple(s for s in Stage if s not in FINAL_STAGES)


def _forward_path(source: Stage, target: Stage) -> list[Any] | None:
    """The fewest moves from ``source`` to ``target`` along the usual course of care: not through a return to a
    stage a red flag interrupted (those moves depend on the story, not on the event)."""
    moves: dict[Stage, list[Any]] = {}
    for edge in HFS_PATHWAY.edges():
        if edge.source is not edge.dest and not edge.route.resumes:
            moves.setdefault(edge.source, []).append(edge)
    came: dict[Stage, Any] = {}
    frontier, seen = [source], {source}
    while frontier:
        following = []
        for stage in frontier:
            for edge in moves.get(stage, ()):
                if edge.dest in seen:
                    continue
                seen.add(edge.dest)
                came[edge.dest] = edge
                following.append(edge.dest)
        frontier = following
    if target not in came:
        return None
    path = [came[target]]
    while path[0].source is not source:
        path.insert(0, came[path[0].source])
    return path


def _towards(ctx: Context, target: Stage) -> tuple[str, Stage] | None:
    """The event type of the next move on the shortest way to ``target``, and the stage it should lead to."""
    if ctx.stage is target or ctx.stage in FINAL_STAGES:
        return None
    if target is Stage.POST_MVD and ctx.stage is not Stage.MVD_REFERRAL:
        # Surgery through the checkpoint, not by the shorter way of an operation done outside the pathway.
        target = Stage.MVD_REFERRAL
    path = _forward_path(ctx.stage, target)
    if not path:
        return None
    event_type, dest = path[0].event.value, path[0].dest
    if event_type in ("botox_injection", "botox_response"):
        event_type = "botox_response" if ctx.awaiting_response else "botox_injection"
    if event_type == "medication_review" and not ctx.medication_started:
        event_type = "medication_started"
    if event_type == "risk_benefit_decision" and dest is Stage.MVD_REFERRAL:
        assessed, last = ctx.risk_date, ctx.last_date
        if assessed is None or last is None or (last - assessed).days > 120:
            event_type = "surgical_risk_assessment"  # the checkpoint needs a recent one
    return event_type, dest


def _steer(event: Event, dest: Stage) -> Event:
    """Choose the answers that take ``event`` where the story is heading; the rest stays as drawn."""
    kind = event["type"]
    if kind == "treatment_decision":
        return {**event, "option": dest.value}
    if kind == "review_visit" and dest is Stage.TREATMENT_SELECTION:
        return {**event, "wants_treatment": True}
    if kind == "risk_benefit_decision":
        base = {"type": kind, "date": event["date"], "patient_informed": True}
        if dest is Stage.MVD_REFERRAL:
            reason = {"override_reason": event["override_reason"]} if "override_reason" in event else {}
            return {**base, "decision": "refer_for_mvd", "patient_consents": True, **reason}
        return {**base, "decision": "continue_conservative", "patient_consents": False, "next_option": dest.value}
    return event


@st.composite
def guided_cases(draw: st.DrawFn, target: Stage | None = None, max_events: int = 30) -> dict[str, Any]:
    """A case heading for ``target`` (drawn when not given) along the shortest way the definition allows, with
    every detail drawn as usual: imaging may still show a tumour, a referral may still be refused and retried,
    the patient may still leave. Used to start stories deep in the pathway (after surgery, with waning toxin)."""
    patient = draw(patients())
    goal = target if target is not None else draw(st.sampled_from(NON_FINAL_STAGES))
    pathway = Pathway.start(patient)
    events: list[Event] = []
    for _ in range(max_events):
        ctx = Context.of(pathway)
        move = _towards(ctx, goal)
        if move is None:
            break
        event_type, dest = move
        event = _steer(draw(event_of_type(ctx, event_type)), dest)
        try:
            pathway.apply(event)
        except PathwayError:
            continue
        events.append(event)
    return {"patient": patient, "events": events}


def plausible_cases(max_events: int = 20) -> Strategy[dict[str, Any]]:
    """A whole case the pathway accepts event after event: wandering along the usual course of care, or heading
    for a stage deep in the pathway."""
    return st.one_of(wandering_cases(max_events), guided_cases(max_events=max_events))


# Bad events -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadEvent:
    """An event that must be refused, the error class the contract gives it, and why."""

    event: Any
    error: type[PathwayError]
    why: str
    unmet: tuple[str, ...] = ()
    """For a refused referral: checkpoint codes that must be among the unmet ones."""


UNKNOWN_TYPES = ("botox_injectoin", "Presentation", "mri", "surgery", "", "imaging result", "follow_up")
UNKNOWN_FIELDS = ("colour", "units", "dose", "severity", "comment", "datum", "Date", "sites_count")
BAD_DATES = ("2025-02-30", "2025-13-01", "06/01/2025", "2025-1-6", "2025-01-06T09:30:00", "yesterday", "")

OUT_OF_RANGE: dict[str, tuple[tuple[str, Any], ...]] = {
    "presentation": (
        ("jrs_severity", 5),
        ("jrs_severity", -1),
        ("smc_grade", 0),
        ("hfs7", 29),
        ("side", "up"),
        ("clinical_impression", "hfs"),
    ),
    "imaging_result": (("modality", "pet"), ("finding", "cyst"), ("offending_vessel", "basilar")),
    "secondary_cause_outcome": (("outcome", "cured"),),
    "treatment_decision": (("option", "surgery"), ("option", "mvd")),
    "medication_started": (("dose_mg_per_day", 0), ("dose_mg_per_day", -200), ("drug", "aspirin")),
    "medication_review": (("response", "excellent"), ("adverse_effects", "severe")),
    "botox_injection": (
        ("total_units", 0),
        ("total_units", -20),
        ("total_units", 5001),
        ("sites", 0),
        ("product", "botox"),
    ),
    "botox_response": (
        ("peak_improvement_percent", 101),
        ("peak_improvement_percent", -1),
        ("benefit_duration_days", 366),
        ("benefit_duration_days", -3),
        ("onset_days", 61),
        ("adverse_effect_severity", "severe"),
    ),
    "botox_plan_adjusted": (("adjustment", "double_dose"),),
    "surgical_risk_assessment": (("asa_class", 0), ("asa_class", 6)),
    "risk_benefit_decision": (("decision", "operate"), ("next_option", "surgery")),
    "mvd_performed": (("offending_vessel", "basilar"),),
    "referral_closed": (("reason", "lost"),),
    "post_mvd_review": (("spasm", "cured"), ("complications", [{"type": "tinnitus", "permanent": True}])),
    "red_flag": (("finding", "headache"),),
    "review_visit": (("jrs_frequency", 5), ("hfs7", -1)),
    "pathway_exit": (("reason", "bored"),),
    "recurrence": (("note", "x" * 4001),),
    **workup.OUT_OF_RANGE,
}
"""A value outside the contract's range or vocabulary, for a field of each event type."""

WRONG_TYPES: dict[str, tuple[tuple[str, Any], ...]] = {
    "presentation": (("tonic_contraction", "yes"), ("facial_weakness", 1), ("hfs7", "12"), ("side", 1)),
    "imaging_result": (("contrast", "yes"), ("angiography", "true"), ("finding", ["tumour"])),
    "secondary_cause_outcome": (("outcome", True),),
    "treatment_decision": (("shared_decision", "yes"), ("shared_decision", 1), ("option", None)),
    "medication_started": (("dose_mg_per_day", "400"), ("hla_b1502_tested", "no")),
    "medication_review": (("response", 3),),
    "botox_injection": (("total_units", "20"), ("sites", 2.5), ("sites", True)),
    "botox_response": (("peak_improvement_percent", "70"), ("adverse_effects", "ptosis"), ("onset_days", 3.5)),
    "botox_plan_adjusted": (("adjustment", {"dose": "up"}),),
    "surgical_risk_assessment": (("diabetes", "no"), ("asa_class", "2"), ("baseline_audiometry_done", 0)),
    "risk_benefit_decision": (("patient_consents", "yes"), ("patient_informed", "true"), ("override_reason", 7)),
    "mvd_performed": (("lsr_resolved", "yes"),),
    "referral_closed": (("reason", False),),
    "post_mvd_review": (("complications", "none"), ("complications", [{"type": "csf_leak", "permanent": "no"}])),
    "red_flag": (("finding", 4),),
    "review_visit": (("wants_treatment", "yes"), ("wants_treatment", "no"), ("wants_treatment", None)),
    "pathway_exit": (("reason", None),),
    "recurrence": (("note", 12),),
    **workup.WRONG_TYPES,
}
"""A value of the wrong JSON type (``"yes"`` for a yes/no answer, ``"20"`` for a number)."""


def _any_type_event(ctx: Context, on: dt.date) -> Strategy[Event]:
    types = ctx.plausible_types() or EVENT_TYPES
    return st.sampled_from(types).flatmap(lambda t: event_of_type(ctx, t, on))


def _next_date(ctx: Context) -> Strategy[dt.date]:
    if ctx.last_date is None:
        return st.dates(*FIRST_VISITS)
    last = ctx.last_date
    return st.integers(0, 60).map(lambda n: last + days(n))


@st.composite
def _unknown_type(draw: st.DrawFn, ctx: Context) -> BadEvent:
    day = draw(_next_date(ctx))
    kind = draw(st.sampled_from(UNKNOWN_TYPES) | st.integers() | st.none() | st.just(["presentation"]))
    event = {"type": kind, "date": day.isoformat()}
    if draw(st.booleans()):
        del event["type"]
    return BadEvent(event, InvalidEvent, "unknown or missing event type")


@st.composite
def _unknown_field(draw: st.DrawFn, ctx: Context) -> BadEvent:
    event = draw(_any_type_event(ctx, draw(_next_date(ctx))))
    name = draw(st.sampled_from(UNKNOWN_FIELDS))
    event[name] = draw(st.sampled_from((True, 20, "left", None)))
    return BadEvent(event, InvalidEvent, f"unknown field {name!r}")


@st.composite
def _out_of_range(draw: st.DrawFn, ctx: Context) -> BadEvent:
    event = draw(_any_type_event(ctx, draw(_next_date(ctx))))
    name, value = draw(st.sampled_from(OUT_OF_RANGE[event["type"]]))
    event[name] = value
    return BadEvent(event, InvalidEvent, f"{name} out of range: {value!r}")


@st.composite
def _wrong_type(draw: st.DrawFn, ctx: Context) -> BadEvent:
    event = draw(_any_type_event(ctx, draw(_next_date(ctx))))
    name, value = draw(st.sampled_from(WRONG_TYPES[event["type"]]))
    event[name] = value
    return BadEvent(event, InvalidEvent, f"{name} of the wrong type: {value!r}")


@st.composite
def _bad_date(draw: st.DrawFn, ctx: Context) -> BadEvent:
    event = draw(_any_type_event(ctx, draw(_next_date(ctx))))
    event["date"] = draw(st.sampled_from(BAD_DATES) | st.integers(20000101, 20301231) | st.none())
    if draw(rarely_true(4)):
        del event["date"]
    return BadEvent(event, InvalidEvent, "missing or malformed date")


@st.composite
def _missing_field(draw: st.DrawFn, ctx: Context) -> BadEvent:
    candidates = [t for t in (ctx.plausible_types() or EVENT_TYPES) if REQUIRED_FIELDS[t]]
    event_type = draw(st.sampled_from(candidates or ["presentation"]))
    event = draw(event_of_type(ctx, event_type, draw(_next_date(ctx))))
    del event[draw(st.sampled_from(sorted(REQUIRED_FIELDS[event_type])))]
    return BadEvent(event, InvalidEvent, "a required field is missing")


REQUIRED_FIELDS: dict[str, frozenset[str]] = {
    "presentation": frozenset({"side", "onset_region", "clinical_impression"}),
    "imaging_result": frozenset({"modality", "finding"}),
    "secondary_cause_outcome": frozenset({"outcome"}),
    "treatment_decision": frozenset({"option", "shared_decision"}),
    "medication_started": frozenset({"drug", "dose_mg_per_day"}),
    "medication_review": frozenset({"response", "adverse_effects"}),
    "botox_injection": frozenset({"product", "total_units"}),
    "botox_response": frozenset({"peak_improvement_percent"}),
    "botox_plan_adjusted": frozenset({"adjustment"}),
    "surgical_risk_assessment": frozenset(
        {
            "asa_class",
            "diabetes",
            "hypertension",
            "anticoagulation",
            "prior_posterior_fossa_surgery",
            "baseline_audiometry_done",
        }
    ),
    "risk_benefit_decision": frozenset({"decision", "patient_informed", "patient_consents"}),
    "mvd_performed": frozenset(),
    "referral_closed": frozenset({"reason"}),
    "post_mvd_review": frozenset({"spasm"}),
    "red_flag": frozenset({"finding"}),
    "review_visit": frozenset({"wants_treatment"}),
    "pathway_exit": frozenset({"reason"}),
    "recurrence": frozenset(),
    **workup.REQUIRED_FIELDS,
}
"""The fields of spec §2 without which an event is incomplete."""


@st.composite
def _out_of_order(draw: st.DrawFn, ctx: Context) -> BadEvent:
    assert ctx.last_date is not None
    day = ctx.last_date - days(draw(st.integers(1, 400)))
    event = draw(_any_type_event(ctx, day))
    return BadEvent(event, OutOfOrder, "dated before the previous event")


@st.composite
def _not_accepted(draw: st.DrawFn, ctx: Context) -> BadEvent:
    refused = [t for t in EVENT_TYPES if t not in ctx.accepted]
    event_type = draw(st.sampled_from(refused))
    event = draw(event_of_type(ctx, event_type, draw(_next_date(ctx))))
    return BadEvent(event, EventNotAllowed, f"{event_type} is not accepted at {ctx.stage.value}")


@st.composite
def _referral_without_checkpoint(draw: st.DrawFn, ctx: Context) -> BadEvent:
    """A referral for MVD without consent, or without any risk assessment within 180 days."""
    day = draw(_next_date(ctx))
    assessed = ctx.risk_date is not None and (day - ctx.risk_date).days <= RISK_ASSESSMENT_VALIDITY_DAYS
    informed = draw(st.booleans())
    consents = draw(st.booleans()) if not assessed else False
    event: Event = {
        "type": "risk_benefit_decision",
        "date": day.isoformat(),
        "decision": "refer_for_mvd",
        "patient_informed": informed,
        "patient_consents": consents,
    }
    if draw(st.booleans()):
        event["override_reason"] = "the patient insists"
    unmet = (() if assessed else ("recent_risk_assessment",)) + (() if consents else ("patient_consents",))
    unmet += () if informed else ("patient_informed",)
    if ctx.stage is Stage.SURGICAL_EVALUATION:
        return BadEvent(event, CheckpointNotSatisfied, "referral without the checkpoint", unmet)
    return BadEvent(event, EventNotAllowed, f"referral outside the checkpoint, at {ctx.stage.value}")


def _precondition_refusals(ctx: Context) -> list[tuple[str, type[PathwayError], str]]:
    """Events of an accepted type whose precondition (spec §2, "accepted in") is unmet now."""
    options: list[tuple[str, type[PathwayError], str]] = []
    if ctx.stage is Stage.BOTULINUM_TOXIN and not ctx.awaiting_response:
        options.append(("botox_response", EventNotAllowed, "a response with no injection awaiting one"))
    if ctx.stage is Stage.ORAL_MEDICATION and not ctx.medication_started:
        options.append(("medication_review", EventNotAllowed, "a drug review before any drug was started"))
    if (
        ctx.stage is Stage.BOTULINUM_TOXIN
        and ctx.awaiting_response
        and ctx.last_date is not None
        and ctx.last_injection is not None
        and (ctx.last_date - ctx.last_injection).days < 300
    ):
        options.append(("benefit_too_long", InvalidEvent, "a benefit longer than the time since the injection"))
    return options


@st.composite
def _unmet_precondition(draw: st.DrawFn, ctx: Context) -> BadEvent:
    """A response with no injection awaiting one, a drug review before a drug, a benefit longer than elapsed."""
    day = draw(_next_date(ctx))
    event_type, error, why = draw(st.sampled_from(_precondition_refusals(ctx)))
    if event_type == "benefit_too_long":
        assert ctx.last_injection is not None
        elapsed = (day - ctx.last_injection).days  # under 365: the last event is under 300 days after it
        event = {
            "type": "botox_response",
            "date": day.isoformat(),
            "peak_improvement_percent": draw(numbers(0, 100)),
            "benefit_duration_days": draw(st.integers(elapsed + 1, 365)),
        }
        return BadEvent(event, error, why)
    return BadEvent(draw(event_of_type(ctx, event_type, day)), error, why)


def bad_events(pathway: Pathway) -> Strategy[BadEvent]:
    """An event this pathway must refuse now, with the error class it must be refused with."""
    ctx = Context.of(pathway)
    kinds: list[Strategy[BadEvent]] = [
        _unknown_type(ctx),
        _unknown_field(ctx),
        _out_of_range(ctx),
        _wrong_type(ctx),
        _bad_date(ctx),
        _missing_field(ctx),
        _referral_without_checkpoint(ctx),
    ]
    if ctx.last_date is not None:
        kinds.append(_out_of_order(ctx))
    if len(ctx.accepted) < len(EVENT_TYPES):
        kinds.append(_not_accepted(ctx))
    if _precondition_refusals(ctx):
        kinds.append(_unmet_precondition(ctx))
    return st.one_of(kinds)
