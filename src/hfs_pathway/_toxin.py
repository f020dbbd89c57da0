"""Botulinum toxin rules: counting the plan's responses and detecting waning benefit (spec §3); each cycle is
classified where its response is recorded (``_rules.toxin``).

Pure functions of the cycles so far and the guideline. Evidence: the label's definition of an
insufficient response (benefit of 8 weeks or less) and its tolerance warning for intervals under
3 months [R45]; antibody risk with short intervals [R49]; surgery once toxin fails or is poorly
tolerated [R72][R104].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from ._guideline import Guideline
from ._per_guideline import PerGuideline
from ._record import NO_PLAN_RESPONSES, PlanTally
from ._results import BotoxCycle
from ._vocabulary import ResponseClass, ToxinAdverseEffect, ToxinProduct, WaningReason

# The classes read once here: a member read through its enum class costs about 40 ns (Python 3.11), and these are
# read after every recorded response.
_INSUFFICIENT = ResponseClass.INSUFFICIENT
_NO_RESPONSE = ResponseClass.NO_RESPONSE
_POOR = (_INSUFFICIENT, _NO_RESPONSE)


class ToxinTerms:
    """The guideline's toxin parameters as plain attributes, under the guideline's own names, so that the
    functions below take either the guideline or these terms.

    Written for speed: the toxin rules read several parameters after every injection and response, and an
    attribute of a pydantic model (the guideline) costs about 23 ns to read against about 7 ns for a slotted
    object. Built once per guideline object (``toxin_terms``)."""

    __slots__ = (
        "guideline",
        "insufficient_benefit_days",
        "insufficient_peak_percent",
        "min_reinjection_interval_days",
        "no_response_peak_percent",
        "poorly_tolerated_min_cycles",
        "poorly_tolerated_window_cycles",
        "primary_non_response_cycles",
        "usual_max_units",
        "waning_baseline_max_cycles",
        "waning_baseline_min_cycles",
        "waning_consecutive_cycles",
        "waning_counts",
        "waning_drop_percent",
    )

    def __init__(self, guideline: Guideline) -> None:
        g = guideline
        self.guideline = g
        """The guideline the terms were read from: holding it keeps its ``id`` from being reused while the terms
        are cached under it."""
        self.min_reinjection_interval_days = g.min_reinjection_interval_days
        self.insufficient_benefit_days = g.insufficient_benefit_days
        self.insufficient_peak_percent = g.insufficient_peak_percent
        self.no_response_peak_percent = g.no_response_peak_percent
        self.waning_drop_percent = g.waning_drop_percent
        self.waning_baseline_max_cycles = g.waning_baseline_max_cycles
        self.waning_baseline_min_cycles = g.waning_baseline_min_cycles
        self.waning_consecutive_cycles = g.waning_consecutive_cycles
        self.poorly_tolerated_window_cycles = g.poorly_tolerated_window_cycles
        self.poorly_tolerated_min_cycles = g.poorly_tolerated_min_cycles
        self.primary_non_response_cycles = g.primary_non_response_cycles
        limits = g.usual_max_units
        self.usual_max_units: dict[ToxinProduct, float | None] = {p: limits.limit(p) for p in ToxinProduct}
        """The upper end of the usual units per session of each product (``ToxinDoseLimits.limit``)."""
        self.waning_counts = waning_counts(g)
        """The least counts of a plan's tally at which a response can show waning (``waning_counts``)."""


Terms: TypeAlias = Guideline | ToxinTerms
"""What the functions below read the parameters from: the guideline, or its toxin terms (faster to read)."""

toxin_terms: PerGuideline[ToxinTerms] = PerGuideline(ToxinTerms)
"""The toxin terms of a guideline, built once per guideline object: ``toxin_terms(guideline)``."""
TERMS = toxin_terms.by_id
_TERMS_KEPT = PerGuideline.KEPT


def waning_counts(guideline: Terms) -> PlanTally:
    """The least count of each kind in a plan's tally (``PlanTally``) at which ``response_waning_reason`` can
    find a reason: while every count is below its least, none of its tests applies, whatever the cycles.

    Each test there reads its count first: an insufficient response needs ``poor`` to reach the consecutive
    cycles, a shortened benefit needs ``short`` to, and poor tolerance needs ``poorly_tolerated`` to reach the
    minimum number of poorly tolerated cycles. Primary non-response needs the plan's first responses, all
    absent, so ``poor`` is then the number of those responses. The toxin rule reads these counts to skip the call
    after most responses (tests/test_waning_consistency.py checks that no reason is found below them).
    """
    n = guideline.waning_consecutive_cycles
    return (min(n, guideline.primary_non_response_cycles), n, guideline.poorly_tolerated_min_cycles)


def count_response(tally: PlanTally, cycle: BotoxCycle, plan_start: int, guideline: Terms) -> PlanTally:
    """The tally with one more response entry, ``cycle`` as its response now stands."""
    if cycle.number <= plan_start:
        return tally
    poor, short, poorly_tolerated = tally
    days = cycle.benefit_duration_days
    # Only a final duration counts: one recorded while the benefit was still ongoing is a lower bound.
    if days is not None and not cycle.benefit_ongoing:
        short = short + 1 if days < guideline.min_reinjection_interval_days else 0
    return (poor + 1 if cycle.response_class in _POOR else 0, short, poorly_tolerated + cycle.poorly_tolerated)


def count_responses(responses: Sequence[BotoxCycle], plan_start: int, guideline: Terms) -> PlanTally:
    """The tally of the current plan's responses, counted from the start (``responses`` in order)."""
    tally = NO_PLAN_RESPONSES
    for cycle in responses:
        tally = count_response(tally, cycle, plan_start, guideline)
    return tally


def benefit_has_shortened(durations: Sequence[tuple[int, int]], plan_start: int, guideline: Terms) -> bool:
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


def intervals_shortening(cycles: Sequence[BotoxCycle], plan_start: int, guideline: Terms) -> bool:
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
    responses: Sequence[BotoxCycle],
    durations: Sequence[tuple[int, int]],
    tally: PlanTally,
    plan_start: int,
    guideline: Terms,
) -> WaningReason | None:
    """The waning reasons that depend on recorded responses, most specific first.

    ``responses`` are the cycles with a recorded response, in order, ``durations`` the ``(number, days)``
    of those with a known benefit duration, and ``tally`` the running counts over the current plan's
    responses (``PlanTally``). Each test reads the counts first and looks at the last few cycles only
    when they allow the verdict, so the cost does not grow with the history.

    Order: primary non-response, then an insufficient response, then a shortened benefit, then poor
    tolerance. Cycles that became insufficient after good ones usually also count as shortened (their
    benefit fell below 8 weeks); naming them insufficient keeps the advice that belongs to that reading
    (a review for toxin resistance after earlier adequate cycles, R2.15) instead of hiding it.
    """
    g = guideline
    k = g.primary_non_response_cycles
    if plan_start == 0 and len(responses) == k and responses[-1].number == k:
        for cycle in responses:
            if cycle.response_class is not _NO_RESPONSE:
                break
        else:
            return WaningReason.PRIMARY_NON_RESPONSE
    n = g.waning_consecutive_cycles
    poor, short, poorly_tolerated = tally
    if poor >= n:
        return WaningReason.INSUFFICIENT_RESPONSE
    # Each recent cycle must also have lasted under the minimum interval: the run of such cycles comes first.
    if short >= n and benefit_has_shortened(durations, plan_start, g):
        return WaningReason.SHORTENING_BENEFIT
    # The plan's count first: its last few cycles cannot hold more poorly tolerated ones than the whole plan.
    minimum = g.poorly_tolerated_min_cycles
    if poorly_tolerated >= minimum and poorly_tolerated_cycles(responses, plan_start, g) >= minimum:
        return WaningReason.POORLY_TOLERATED
    return None


def poorly_tolerated_cycles(responses: Sequence[BotoxCycle], plan_start: int, guideline: Terms) -> int:
    """How many of the last few responses (the poor-tolerance window) of the current plan were poorly tolerated."""
    return sum(
        1
        for cycle in responses[-guideline.poorly_tolerated_window_cycles :]
        if cycle.number > plan_start and cycle.poorly_tolerated
    )


def waning_reason(cycles: Sequence[BotoxCycle], plan_start: int, guideline: Terms) -> WaningReason | None:
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
    responses, durations = recorded_responses(cycles)
    tally = count_responses(responses, plan_start, guideline)
    return response_waning_reason(responses, durations, tally, plan_start, guideline)


def recorded_responses(cycles: Sequence[BotoxCycle]) -> tuple[list[BotoxCycle], list[tuple[int, int]]]:
    """The cycles with a recorded response, and the ``(number, benefit days)`` of those whose benefit duration is
    known and final: what the pathway keeps as ``Record.responses`` and ``Record.durations``."""
    responses = [c for c in cycles if c.response_class is not None]
    durations = [
        (c.number, c.benefit_duration_days)
        for c in responses
        if c.benefit_duration_days is not None and not c.benefit_ongoing
    ]
    return responses, durations


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
