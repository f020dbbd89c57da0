"""Botulinum toxin cycles and waning benefit (spec §3)."""

from __future__ import annotations

from hfs_pathway._definition import Change, Condition, EventRule, Requirement, Route
from hfs_pathway._drugs import TOXIN_LABELS
from hfs_pathway._events import BotoxInjection, BotoxResponse
from hfs_pathway._results import BotoxCycle
from hfs_pathway._toxin import (
    DISTANT_SPREAD_EFFECTS,
    WANING_TEXT,
    classify_response,
    intervals_shortening,
    response_waning_reason,
)
from hfs_pathway._vocabulary import AdverseEffectSeverity, ToxinAdverseEffect, WaningReason

from .common import E, S
from .drugs import pregnancy_review

_new_tuple = tuple.__new__
"""Builds a cycle from all its fields at once, without the named tuple's keyword-and-default constructor:
one is built after every injection and every response."""


def enter_toxin(c: Change) -> None:
    c.after.plan_start = len(c.after.cycles)
    c.after.waning_reason = None


# Botulinum toxin ----------------------------------------------------------------------------------


def _injection_effect(c: Change) -> None:
    inj: BotoxInjection = c.event
    g = c.guideline
    a = c.after
    previous = a.cycles[-1].injection_date if a.cycles else None
    interval = None if previous is None else (inj.date - previous).days
    cycle = _new_tuple(
        BotoxCycle,
        (len(a.cycles) + 1, c.index, inj.date, inj.product, inj.total_units, interval, *_NO_RESPONSE_YET),
    )
    a.cycles = (*a.cycles, cycle)
    a.ongoing_response = None
    if interval is not None and interval < g.min_reinjection_interval_days:
        c.alert(
            "reinjection_interval_too_short",
            f"Injection {interval} days after the previous one; the minimum interval is "
            f"{g.min_reinjection_interval_days} days.",
        )
    limit = g.usual_max_units.limit(inj.product)
    if limit is not None and inj.total_units > limit:
        c.alert(
            "dose_above_usual_range",
            f"{inj.total_units:g} units of {inj.product.value} is above the usual {limit:g} units per session.",
        )
    if inj.pregnant:
        pregnancy_review(c, TOXIN_LABELS[inj.product], "Injected")
    # A bridging injection after surgery is not part of a toxin plan: waning is judged only on toxin.
    # Only the interval test can change with an injection; the response tests gave no reason before it.
    if c.before.stage is S.BOTULINUM_TOXIN and intervals_shortening(a.cycles, a.plan_start, g):
        a.waning_reason = WaningReason.SHORTENING_INTERVALS


_INJECTION_FIELDS = BotoxCycle._fields.index("response_index")
"""The cycle's fields known at the injection; the rest come with its response."""
_NO_RESPONSE_YET = tuple(BotoxCycle._field_defaults[f] for f in BotoxCycle._fields[_INJECTION_FIELDS:])
"""The response fields of a cycle whose response is not recorded yet: the named tuple's defaults."""


def _awaiting_response(c: Change) -> bool:
    """The latest injection has no response yet, or only one recorded while its benefit was ongoing."""
    cycles = c.before.cycles
    return bool(cycles) and (cycles[-1].response_index is None or c.before.ongoing_response is not None)


def _benefit_within_elapsed(c: Change) -> bool:
    r: BotoxResponse = c.event
    cycles = c.before.cycles
    if r.benefit_duration_days is None or not cycles:
        return True
    return r.benefit_duration_days <= (r.date - cycles[-1].injection_date).days


def _benefit_message(c: Change) -> str:
    # Name the injection by its event index: its date was given in an earlier call, not in this one.
    r: BotoxResponse = c.event
    injection = c.before.cycles[-1]
    elapsed = (r.date - injection.injection_date).days
    return (
        f"benefit_duration_days is {r.benefit_duration_days}, but only {elapsed} days have passed since the "
        f"injection it answers (event {injection.injection_index})"
    )


_SEVERITY_RANK = {AdverseEffectSeverity.NONE: 0, AdverseEffectSeverity.MILD: 1, AdverseEffectSeverity.SIGNIFICANT: 2}


def _completed(first: BotoxResponse | None, r: BotoxResponse) -> BotoxResponse:
    """The response as it now stands: a completing response replaces the first's values, and the adverse
    effects of both are kept, with the worse severity (R2.5, R2.15)."""
    if first is None:
        return r
    effects = tuple(dict.fromkeys((*first.adverse_effects, *r.adverse_effects)))
    severity = max(first.adverse_effect_severity, r.adverse_effect_severity, key=_SEVERITY_RANK.__getitem__)
    return r.model_copy(update={"adverse_effects": effects, "adverse_effect_severity": severity})


def _response_effect(c: Change) -> None:
    r: BotoxResponse = c.event
    a = c.after
    first = c.before.ongoing_response
    merged = _completed(first, r)
    ongoing = merged.benefit_ongoing
    cycle = _new_tuple(
        BotoxCycle,
        (
            *a.cycles[-1][:_INJECTION_FIELDS],
            c.index,
            classify_response(merged, c.guideline),
            merged.peak_improvement_percent,
            merged.benefit_duration_days,
            merged.adverse_effect_severity is AdverseEffectSeverity.SIGNIFICANT,
            ongoing,
        ),
    )
    a.cycles = (*a.cycles[:-1], cycle)
    if first is not None:
        # A completing response replaces the cycle's earlier entry (always the last one).
        a.responses = (*a.responses[:-1], cycle)
        if a.durations and a.durations[-1][0] == cycle.number:
            a.durations = a.durations[:-1]
    else:
        a.responses = (*a.responses, cycle)
    if merged.benefit_duration_days is not None and not ongoing:
        a.durations = (*a.durations, (cycle.number, merged.benefit_duration_days))
    a.ongoing_response = merged if ongoing else None
    if r.adverse_effects:
        _spread_alerts(c, first, r)
    # Only the response tests can change with a response; the interval test gave no reason before it.
    # In waning_response a response completes the table without reopening the verdict already reached.
    if c.before.stage is S.BOTULINUM_TOXIN:
        a.waning_reason = response_waning_reason(a.responses, a.durations, a.plan_start, c.guideline)


def _spread_alerts(c: Change, first: BotoxResponse | None, r: BotoxResponse) -> None:
    """Effects away from the injected muscles suggest distant spread of the toxin; diplopia alone suggests
    local diffusion to the eye muscles [R157][R45]. Only effects not already reported for the cycle count."""
    new = [e for e in r.adverse_effects if first is None or e not in first.adverse_effects]
    distant = [e for e in new if e in DISTANT_SPREAD_EFFECTS]
    if distant:
        listed = ", ".join(e.value.replace("_", " ") for e in distant)
        c.alert("distant_spread_suspected", f"After the injection of {c.before.cycles[-1].injection_date}: {listed}.")
        return
    earlier = first.adverse_effects if first is not None else ()
    if ToxinAdverseEffect.DIPLOPIA in new and not any(e in DISTANT_SPREAD_EFFECTS for e in earlier):
        c.alert(
            "local_diffusion_suspected",
            f"Double vision after the injection of {c.before.cycles[-1].injection_date}: review the periocular "
            "injection sites.",
        )


def _is_waning(c: Change) -> bool:
    return c.after.waning_reason is not None


def _waning_alert(c: Change) -> None:
    reason = c.after.waning_reason
    if reason is not None:
        c.alert("waning_response", f"Waning response ({reason.value}): {WANING_TEXT[reason]}.")


def _plan_adjusted_effect(c: Change) -> None:
    enter_toxin(c)


BOTOX_INJECTION = EventRule(
    E.BOTOX_INJECTION,
    (S.BOTULINUM_TOXIN, S.POST_MVD),
    description=(
        "One injection session; its interval and dose are checked, and waning is looked for. After surgery it "
        "bridges the wait for a delayed cure."
    ),
    effect=_injection_effect,
    routes=(
        Route(
            S.WANING_RESPONSE,
            "Shortening, insufficient, absent or poorly tolerated benefit calls for a new plan.",
            when=Condition("waning", "the toxin benefit is waning", _is_waning),
            sources=(S.BOTULINUM_TOXIN,),
            evidence=("R45", "R72", "R104"),
            alert=_waning_alert,
        ),
        Route(
            None,
            "A bridging injection while a delayed cure after surgery is awaited; follow-up continues.",
            sources=(S.POST_MVD,),
            evidence=("R73", "R74", "R76"),
        ),
        Route(None, "Toxin cycles continue.", sources=(S.BOTULINUM_TOXIN,)),
    ),
)

BOTOX_RESPONSE = EventRule(
    E.BOTOX_RESPONSE,
    (S.BOTULINUM_TOXIN, S.WANING_RESPONSE),
    description=(
        "The response to the latest injection, recorded once it is known; one recorded while the benefit was "
        "still ongoing is completed by a later one."
    ),
    requires=(
        Requirement(
            Condition(
                "injection_awaiting_response",
                "an injection whose response has not been recorded yet, or was recorded while the benefit was "
                "still ongoing",
                _awaiting_response,
            ),
        ),
        Requirement(
            Condition(
                "benefit_within_elapsed_time",
                "a benefit duration no longer than the time since the injection",
                _benefit_within_elapsed,
            ),
            error="invalid_event",
            message=_benefit_message,
        ),
    ),
    effect=_response_effect,
    routes=(
        Route(
            S.WANING_RESPONSE,
            "Insufficient, absent, shortening or poorly tolerated benefit calls for a new plan.",
            when=Condition("waning", "the toxin benefit is waning", _is_waning),
            sources=(S.BOTULINUM_TOXIN,),
            evidence=("R45", "R72", "R104"),
            alert=_waning_alert,
        ),
        Route(None, "Toxin cycles continue.", sources=(S.BOTULINUM_TOXIN,)),
        Route(
            None,
            "The response completes the cycle table; the new plan is still to be chosen.",
            sources=(S.WANING_RESPONSE,),
        ),
    ),
)

BOTOX_PLAN_ADJUSTED = EventRule(
    E.BOTOX_PLAN_ADJUSTED,
    (S.WANING_RESPONSE, S.BOTULINUM_TOXIN),
    description="Dose, sites or product changed; the new plan gets its own cycles.",
    effect=_plan_adjusted_effect,
    routes=(
        Route(
            S.BOTULINUM_TOXIN,
            "A higher dose, other sites or another product often restores the response.",
            evidence=("R45", "R50", "R22"),
        ),
    ),
)
