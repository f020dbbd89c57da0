"""Botulinum toxin cycles and waning benefit (spec §3)."""

from __future__ import annotations

from hfs_pathway._definition import Change, Condition, EventRule, Requirement, Route
from hfs_pathway._events import BotoxInjection, BotoxResponse
from hfs_pathway._results import BotoxCycle
from hfs_pathway._toxin import WANING_TEXT, classify_response, intervals_shortening, response_waning_reason
from hfs_pathway._vocabulary import AdverseEffectSeverity, WaningReason

from .common import E, S


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
    a.cycles = (*a.cycles, BotoxCycle(len(a.cycles) + 1, c.index, inj.date, inj.product, inj.total_units, interval))
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
    # Only the interval test can change with an injection; the response tests gave no reason before it.
    if intervals_shortening(a.cycles, a.plan_start, g):
        a.waning_reason = WaningReason.SHORTENING_INTERVALS


def _awaiting_response(c: Change) -> bool:
    cycles = c.before.cycles
    return bool(cycles) and cycles[-1].response_index is None


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


def _response_effect(c: Change) -> None:
    r: BotoxResponse = c.event
    a = c.after
    last = a.cycles[-1]
    cycle = BotoxCycle(
        last.number,
        last.injection_index,
        last.injection_date,
        last.product,
        last.total_units,
        last.interval_days,
        c.index,
        classify_response(r, c.guideline),
        r.peak_improvement_percent,
        r.benefit_duration_days,
        r.adverse_effect_severity is AdverseEffectSeverity.SIGNIFICANT,
    )
    a.cycles = (*a.cycles[:-1], cycle)
    a.responses = (*a.responses, cycle)
    if r.benefit_duration_days is not None:
        a.durations = (*a.durations, (cycle.number, r.benefit_duration_days))
    # Only the response tests can change with a response; the interval test gave no reason before it.
    a.waning_reason = response_waning_reason(a.responses, a.durations, a.plan_start, c.guideline)


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
    (S.BOTULINUM_TOXIN,),
    description="One injection session; its interval and dose are checked, and waning is looked for.",
    effect=_injection_effect,
    routes=(
        Route(
            S.WANING_RESPONSE,
            "Shortening, insufficient, absent or poorly tolerated benefit calls for a new plan.",
            when=Condition("waning", "the toxin benefit is waning", _is_waning),
            evidence=("R45", "R72", "R104"),
            alert=_waning_alert,
        ),
        Route(None, "Toxin cycles continue."),
    ),
)

BOTOX_RESPONSE = EventRule(
    E.BOTOX_RESPONSE,
    (S.BOTULINUM_TOXIN,),
    description="The response to the latest injection, recorded once it is known.",
    requires=(
        Requirement(
            Condition(
                "injection_awaiting_response",
                "an injection whose response has not been recorded yet",
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
            evidence=("R45", "R72", "R104"),
            alert=_waning_alert,
        ),
        Route(None, "Toxin cycles continue."),
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
