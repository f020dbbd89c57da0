"""Events that must be refused, each paired with the error the contract gives it (see ``tests.strategies``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from hfs_pathway import (
    CheckpointNotSatisfied,
    EventNotAllowed,
    InvalidEvent,
    OutOfOrder,
    Pathway,
    PathwayError,
    Stage,
)
from tests import strategies_workup as workup
from tests.strategies_base import (
    EVENT_TYPES,
    FIRST_VISITS,
    RISK_ASSESSMENT_VALIDITY_DAYS,
    Context,
    Event,
    Strategy,
    days,
    numbers,
    rarely_true,
)
from tests.strategies_cases import event_of_type

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
