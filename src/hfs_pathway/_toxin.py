"""Botulinum toxin rules: classifying each cycle and detecting waning benefit (spec §3).

Pure functions of the cycles so far and the guideline. Evidence: the label's definition of an
insufficient response (benefit of 8 weeks or less) and its tolerance warning for intervals under
3 months [R45]; antibody risk with short intervals [R49]; surgery once toxin fails or is poorly
tolerated [R72][R104].
"""

from __future__ import annotations

from collections.abc import Sequence

from ._events import BotoxResponse
from ._guideline import Guideline
from ._results import BotoxCycle
from ._vocabulary import ResponseClass, ToxinAdverseEffect, WaningReason

_POOR = (ResponseClass.INSUFFICIENT, ResponseClass.NO_RESPONSE)
_NO_RESPONSE = ResponseClass.NO_RESPONSE


def classify_response(response: BotoxResponse, guideline: Guideline) -> ResponseClass:
    """``no_response`` under the no-response peak; ``insufficient`` when benefit lasted the
    insufficient-benefit days or fewer, or peaked under the insufficient peak; else ``adequate``.

    A benefit still ongoing when recorded (R2.5) has no final duration: the cycle is classed by its peak
    alone, so a response recorded at the 28-day review never counts as short (R2.14)."""
    peak = response.peak_improvement_percent
    if peak < guideline.no_response_peak_percent:
        return ResponseClass.NO_RESPONSE
    duration = None if response.benefit_ongoing else response.benefit_duration_days
    if peak < guideline.insufficient_peak_percent or (
        duration is not None and duration <= guideline.insufficient_benefit_days
    ):
        return ResponseClass.INSUFFICIENT
    return ResponseClass.ADEQUATE


def benefit_has_shortened(durations: Sequence[tuple[int, int]], plan_start: int, guideline: Guideline) -> bool:
    """The last N cycles with a known duration (all in the current plan) each lasted the drop
    percentage or more below the median of up to M earlier cycles with a known duration (at least
    the minimum number of earlier cycles is needed), and each lasted under the minimum reinjection
    interval: a benefit that still lasts 12 weeks is not waning (R2.6, R2.15).

    ``durations`` are ``(cycle number, benefit days)`` of the cycles whose benefit duration is known
    (a duration recorded while the benefit was still ongoing is a lower bound and is left out).
    """
    n = guideline.waning_consecutive_cycles
    if len(durations) < n + guideline.waning_baseline_min_cycles or durations[-n][0] <= plan_start:
        return False
    recent = durations[-n:]
    # The floor first: it needs no baseline, and a benefit that lasts the minimum interval is the usual case.
    floor = guideline.min_reinjection_interval_days
    for _, days in recent:
        if days >= floor:
            return False
    # The median is written out: this runs after every recorded response.
    earlier = sorted([days for _, days in durations[-n - guideline.waning_baseline_max_cycles : -n]])
    middle = len(earlier) // 2
    baseline = earlier[middle] if len(earlier) % 2 else (earlier[middle - 1] + earlier[middle]) / 2
    ceiling = baseline * (100 - guideline.waning_drop_percent) / 100
    for _, days in recent:
        if days > ceiling:
            return False
    return baseline > 0


def intervals_shortening(cycles: Sequence[BotoxCycle], plan_start: int, guideline: Guideline) -> bool:
    """The last N injections of the current plan each came under the minimum interval after the one before."""
    n = guideline.waning_consecutive_cycles
    end = len(cycles)
    if end - plan_start < n:
        return False
    for i in range(end - n, end):
        interval = cycles[i].interval_days
        if interval is None or interval >= guideline.min_reinjection_interval_days:
            return False
    return True


def response_waning_reason(
    responses: Sequence[BotoxCycle], durations: Sequence[tuple[int, int]], plan_start: int, guideline: Guideline
) -> WaningReason | None:
    """The waning reasons that depend on recorded responses, most specific first.

    ``responses`` are the cycles with a recorded response, in order, and ``durations`` the
    ``(number, days)`` of those with a known benefit duration; each test reads only the last few, so
    the cost does not grow with the history.

    Order: primary non-response, then an insufficient response, then a shortened benefit, then poor
    tolerance. Cycles that became insufficient after good ones usually also count as shortened (their
    benefit fell below 8 weeks); naming them insufficient keeps the advice that belongs to that reading
    (a review for toxin resistance after earlier adequate cycles, R2.15) instead of hiding it.
    """
    g = guideline
    count = len(responses)
    k = g.primary_non_response_cycles
    if plan_start == 0 and count == k and responses[-1].number == k:
        for cycle in responses:
            if cycle.response_class is not _NO_RESPONSE:
                break
        else:
            return WaningReason.PRIMARY_NON_RESPONSE
    n = g.waning_consecutive_cycles
    window = g.poorly_tolerated_window_cycles
    poor = tolerated_badly = 0
    for seen, cycle in enumerate(reversed(responses[-max(n, window) :]), 1):
        if cycle.number <= plan_start:
            break
        if seen <= n and cycle.response_class in _POOR:
            poor += 1
        if seen <= window and cycle.poorly_tolerated:
            tolerated_badly += 1
    if poor >= n:
        return WaningReason.INSUFFICIENT_RESPONSE
    if benefit_has_shortened(durations, plan_start, g):
        return WaningReason.SHORTENING_BENEFIT
    if tolerated_badly >= g.poorly_tolerated_min_cycles:
        return WaningReason.POORLY_TOLERATED
    return None


def waning_reason(cycles: Sequence[BotoxCycle], plan_start: int, guideline: Guideline) -> WaningReason | None:
    """Why the toxin benefit is waning, judged on the current plan's cycles, or ``None``.

    Only cycles of the current plan (``number > plan_start``: since the patient entered the toxin
    stage or the plan was last adjusted) count as the "recent" ones, so an adjustment is given its own
    chance before the same old cycles send the patient straight back to ``waning_response``. Reasons
    are checked in the order of the contract, the more specific first where two could apply.

    The pathway calls the two halves separately: an injection can only change the interval test, and
    a response only the response tests (a new plan starts with no recorded response of its own).
    """
    if intervals_shortening(cycles, plan_start, guideline):
        return WaningReason.SHORTENING_INTERVALS
    responses = [c for c in cycles if c.response_class is not None]
    durations = [
        (c.number, c.benefit_duration_days)
        for c in responses
        if c.benefit_duration_days is not None and not c.benefit_ongoing
    ]
    return response_waning_reason(responses, durations, plan_start, guideline)


def earlier_adequate_cycles(responses: Sequence[BotoxCycle], guideline: Guideline) -> int:
    """How many cycles before the last N responded cycles were adequate (for toxin resistance, R2.15)."""
    n = guideline.waning_consecutive_cycles
    return sum(1 for c in responses[:-n] if c.response_class is ResponseClass.ADEQUATE)


DISTANT_SPREAD_EFFECTS = frozenset(
    {
        ToxinAdverseEffect.DYSPHAGIA,
        ToxinAdverseEffect.BREATHING_DIFFICULTY,
        ToxinAdverseEffect.DYSPHONIA,
        ToxinAdverseEffect.GENERALISED_WEAKNESS,
    }
)
"""Effects away from the injected muscles that the toxin labels' boxed warning names as spread of toxin effect."""


WANING_TEXT = {
    WaningReason.SHORTENING_INTERVALS: (
        "the intervals between injections have shortened: the recent injections each came sooner than the "
        "minimum interval"
    ),
    WaningReason.SHORTENING_BENEFIT: (
        "the duration of benefit has shortened: the recent cycles each lasted well below the patient's earlier "
        "cycles and under 12 weeks"
    ),
    WaningReason.INSUFFICIENT_RESPONSE: "the recent cycles each gave too little or too short a benefit",
    WaningReason.PRIMARY_NON_RESPONSE: "the first cycles each gave little or no benefit",
    WaningReason.POORLY_TOLERATED: "recent cycles had significant side effects",
}
