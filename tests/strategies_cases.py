"""Plausible events and whole cases: the table of field strategies, what the clinic records next, wandering and guided
cases (see ``tests.strategies``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from hfs_pathway import (
    HFS_PATHWAY,
    Pathway,
    PathwayError,
    Stage,
)
from tests import strategies_workup as workup
from tests.strategies_base import FINAL_STAGES, Context, Event, FieldStrategy, Strategy, event_dates, patients
from tests.strategies_surgery import (
    mvd_performed_fields,
    post_mvd_review_fields,
    recurrence_fields,
    referral_closed_fields,
    risk_assessment_fields,
    risk_benefit_decision_fields,
)
from tests.strategies_toxin import injection_fields, plan_adjusted_fields, response_fields
from tests.strategies_treatment import (
    exit_fields,
    imaging_fields,
    medication_review_fields,
    medication_started_fields,
    presentation_fields,
    red_flag_fields,
    review_visit_fields,
    secondary_outcome_fields,
    treatment_decision_fields,
)

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
