"""Botulinum toxin cycles and waning benefit (spec §3)."""

from __future__ import annotations

import datetime as dt

from hfs_pathway._change import Change
from hfs_pathway._definition import Condition, EventRule, Requirement, Route
from hfs_pathway._drugs import TOXIN_LABELS
from hfs_pathway._events import BotoxInjection, BotoxResponse
from hfs_pathway._record import NO_PLAN_RESPONSES
from hfs_pathway._results import BotoxCycle
from hfs_pathway._toxin import (
    DISTANT_SPREAD_EFFECTS,
    WANING_TEXT,
    count_response,
    intervals_shortening,
    response_waning_reason,
    toxin_terms,
)
from hfs_pathway._vocabulary import AdverseEffectSeverity, ResponseClass, ToxinAdverseEffect, ToxinProduct, WaningReason

from .common import E, S
from .drugs import pregnancy_review

_new_tuple = tuple.__new__
"""Builds a cycle from all its fields at once, without the named tuple's keyword-and-default constructor:
one is built after every injection and every response."""

# Tuples are extended here by concatenation (``t + (x,)``) rather than unpacking (``(*t, x)``, which Python 3.11
# builds through a list), for speed: RUF005 is silenced on those lines.

# Members read once here: a member read through its enum class costs about 40 ns (Python 3.11), and these are
# read on every injection and response.
_TOXIN = S.BOTULINUM_TOXIN
_SIGNIFICANT = AdverseEffectSeverity.SIGNIFICANT
_DIPLOPIA = ToxinAdverseEffect.DIPLOPIA
_ADEQUATE = ResponseClass.ADEQUATE
_INSUFFICIENT = ResponseClass.INSUFFICIENT
_NO_RESPONSE = ResponseClass.NO_RESPONSE


def enter_toxin(c: Change) -> None:
    a = c.after
    a.plan_start = len(a.cycles)
    a.waning_reason = None
    a.plan_tally = a.tally_before_ongoing = NO_PLAN_RESPONSES


# Botulinum toxin ----------------------------------------------------------------------------------


def _injection_effect(c: Change) -> None:
    inj: BotoxInjection = c.event
    g = c.guideline
    # The guideline's toxin terms: those used last, without a call, when they are this guideline's (this runs
    # for every injection).
    latest = toxin_terms.latest
    t = latest[1] if latest is not None and latest[0] is g else toxin_terms(g)
    a = c.after
    cycles = a.cycles
    # The injection's fields are read from its dictionary, for speed (as in ``_response_effect``).
    fields = inj.__dict__
    date: dt.date = fields["date"]
    product: ToxinProduct = fields["product"]
    units: int | float = fields["total_units"]  # as written: compiled, a ``float`` local would make 71 71.0
    interval = (date - cycles[-1].injection_date).days if cycles else None
    known = (len(cycles) + 1, c.index, date, product, units, interval)
    cycle = _new_tuple(BotoxCycle, known + _NO_RESPONSE_YET)
    a.cycles = cycles + (cycle,)  # noqa: RUF005
    a.ongoing_response = None
    minimum = t.min_reinjection_interval_days
    too_soon = interval is not None and interval < minimum
    if too_soon:
        c.alert(
            "reinjection_interval_too_short",
            f"Injection {interval} days after the previous one; the minimum interval is {minimum} days.",
        )
    limit = t.usual_max_units[product]
    if limit is not None and units > limit:
        c.alert(
            "dose_above_usual_range",
            f"{units:g} units of {product.value} is above the usual {limit:g} units per session.",
        )
    if fields["pregnant"]:
        pregnancy_review(c, TOXIN_LABELS[product], "Injected")
    # A bridging injection after surgery is not part of a toxin plan: waning is judged only on toxin.
    # Only the interval test can change with an injection, the response tests gave no reason before it, and
    # only an injection that itself came too soon can end a run of short intervals.
    if too_soon and c.before.stage is _TOXIN and intervals_shortening(a.cycles, a.plan_start, t):
        a.waning_reason = WaningReason.SHORTENING_INTERVALS


_INJECTION_FIELDS = BotoxCycle._fields.index("response_index")
"""The cycle's fields known at the injection; the rest come with its response."""
_NO_RESPONSE_YET = tuple(BotoxCycle._field_defaults[f] for f in BotoxCycle._fields[_INJECTION_FIELDS:])
"""The response fields of a cycle whose response is not recorded yet: the named tuple's defaults."""


def _awaiting_response(c: Change) -> bool:
    """The latest injection has no response yet, or only one recorded while its benefit was ongoing."""
    cycles = c.before.cycles
    if not cycles:
        return False
    return cycles[-1].response_index is None or c.before.ongoing_response is not None


def _benefit_within_elapsed(c: Change) -> bool:
    r: BotoxResponse = c.event
    days = r.benefit_duration_days
    cycles = c.before.cycles
    if days is None or not cycles:
        return True
    return days <= (r.date - cycles[-1].injection_date).days


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


def _worse_severity(first: BotoxResponse, r: BotoxResponse) -> AdverseEffectSeverity:
    return max(first.adverse_effect_severity, r.adverse_effect_severity, key=_SEVERITY_RANK.__getitem__)


def _completed(first: BotoxResponse, r: BotoxResponse) -> BotoxResponse:
    """The response as it now stands: a completing response replaces the first's values, and the adverse
    effects of both are kept, with the worse severity (R2.5, R2.15)."""
    effects = tuple(dict.fromkeys((*first.adverse_effects, *r.adverse_effects)))
    return r.model_copy(update={"adverse_effects": effects, "adverse_effect_severity": _worse_severity(first, r)})


def _response_effect(c: Change) -> None:
    r: BotoxResponse = c.event
    a = c.after
    g = c.guideline
    # The guideline's toxin terms: those used last, without a call, when they are this guideline's (this runs
    # for every response).
    latest = toxin_terms.latest
    t = latest[1] if latest is not None and latest[0] is g else toxin_terms(g)
    first = a.ongoing_response
    # A completing response replaces the first's values and keeps the worse severity (see ``_completed``). The
    # cycle reads only those values: the merged response (a model copy, about 1.5 us) is built only when it is
    # kept as ongoing again.
    # The response's fields are read from its dictionary, for speed: an attribute of a pydantic model costs about
    # 20 ns to read, an item of a dictionary about 5 ns.
    fields = r.__dict__
    severity = fields["adverse_effect_severity"] if first is None else _worse_severity(first, r)
    peak: int | float = fields["peak_improvement_percent"]  # as written (see ``units`` above)
    days: int | None = fields["benefit_duration_days"]
    ongoing: bool = fields["benefit_ongoing"]
    final_days = None if ongoing else days
    # The response class: no_response under the no-response peak; insufficient when the benefit lasted the
    # insufficient-benefit days or fewer, or peaked under the insufficient peak; else adequate. A benefit still
    # ongoing when recorded (R2.5) has no final duration: the cycle is classed by its peak alone, so a response
    # recorded at the 28-day review never counts as short (R2.14).
    if peak < t.no_response_peak_percent:
        response_class = _NO_RESPONSE
    elif peak < t.insufficient_peak_percent or (final_days is not None and final_days <= t.insufficient_benefit_days):
        response_class = _INSUFFICIENT
    else:
        response_class = _ADEQUATE
    poorly_tolerated = severity is _SIGNIFICANT
    cycles = a.cycles
    injection = cycles[-1]
    number = injection.number
    cycle = _new_tuple(
        BotoxCycle,
        injection[:_INJECTION_FIELDS] + (c.index, response_class, peak, days, poorly_tolerated, ongoing),  # noqa: RUF005
    )
    a.cycles = cycles[:-1] + (cycle,)  # noqa: RUF005
    if first is None:
        a.responses = a.responses + (cycle,)  # noqa: RUF005
        tally = a.plan_tally
    else:
        # A completing response replaces the cycle's earlier entry (always the last one), and the plan's
        # counts start again from before that entry. The earlier entry, being ongoing, added no duration.
        a.responses = a.responses[:-1] + (cycle,)  # noqa: RUF005
        tally = a.tally_before_ongoing
    if ongoing:
        a.tally_before_ongoing = tally
        a.ongoing_response = r if first is None else _completed(first, r)
    elif days is not None:
        a.ongoing_response = None
        a.durations = a.durations + ((number, days),)  # noqa: RUF005
    else:
        a.ongoing_response = None
    plan_start = a.plan_start
    a.plan_tally = tally = count_response(tally, cycle, plan_start, t)
    poor, short, tolerated = tally
    if fields["adverse_effects"]:
        _spread_alerts(c, first, r)
    # Only the response tests can change with a response; the interval test gave no reason before it.
    # In waning_response a response completes the table without reopening the verdict already reached.
    if c.before.stage is _TOXIN:
        # While every count of the tally is below its least in ``waning_counts``, no response test applies:
        # the call is skipped then (most responses; this runs after every response).
        least_poor, least_short, least_tolerated = t.waning_counts
        if poor >= least_poor or short >= least_short or tolerated >= least_tolerated:
            a.waning_reason = response_waning_reason(a.responses, a.durations, tally, plan_start, t)
        else:
            a.waning_reason = None


def _spread_alerts(c: Change, first: BotoxResponse | None, r: BotoxResponse) -> None:
    """Effects away from the injected muscles suggest distant spread of the toxin; diplopia alone suggests
    local diffusion to the eye muscles [R157][R45]. Only effects not already reported for the cycle count."""
    effects = r.adverse_effects
    if _DIPLOPIA not in effects and DISTANT_SPREAD_EFFECTS.isdisjoint(effects):
        return  # only effects at the injected muscles (the usual case): nothing to look for
    earlier = first.adverse_effects if first is not None else ()
    new = [e for e in effects if e not in earlier]
    distant = [e for e in new if e in DISTANT_SPREAD_EFFECTS]
    if distant:
        listed = ", ".join(e.value.replace("_", " ") for e in distant)
        c.alert("distant_spread_suspected", f"After the injection of {c.before.cycles[-1].injection_date}: {listed}.")
        return
    if _DIPLOPIA in new and DISTANT_SPREAD_EFFECTS.isdisjoint(earlier):
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
