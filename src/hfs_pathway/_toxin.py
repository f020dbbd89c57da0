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
from ._vocabulary import AdverseEffectSeverity, ResponseClass, WaningReason

_POOR = (ResponseClass.INSUFFICIENT, ResponseClass.NO_RESPONSE)
_NO_RESPONSE = ResponseClass.NO_RESPONSE


def classify_response(response: BotoxResponse, guideline: Guideline) -> ResponseClass:
    """``no_response`` under the no-response peak; ``insufficient`` when benefit lasted the
    insufficient-benefit days or fewer, or peaked under the insufficient peak; else ``adequate``."""
    peak = response.peak_improvement_percent
    if peak < guideline.no_response_peak_percent:
        return ResponseClass.NO_RESPONSE
    duration = response.benefit_duration_days
    if peak < guideline.insufficient_peak_percent or (
        duration is not None and duration <= guideline.insufficient_benefit_days
    ):
        return ResponseClass.INSUFFICIENT
    return ResponseClass.ADEQUATE


def is_poorly_tolerated(response: BotoxResponse) -> bool:
    return response.adverse_effect_severity is AdverseEffectSeverity.SIGNIFICANT


def median(values: Sequence[int]) -> float:
    """The middle value (the mean of the two middle values for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def benefit_has_shortened(cycles: Sequence[BotoxCycle], epoch_start: int, guideline: Guideline) -> bool:
    """The last N cycles with a known duration (all in the current plan) each lasted the drop
    percentage or more below the median of up to M earlier cycles with a known duration (at least
    the minimum number of earlier cycles is needed)."""
    n = guideline.waning_consecutive_cycles
    wanted = n + guideline.waning_baseline_max_cycles
    recent: list[int] = []
    earlier: list[int] = []
    for i in range(len(cycles) - 1, -1, -1):
        duration = cycles[i].benefit_duration_days
        if duration is None:
            continue
        if len(recent) < n:
            if i < epoch_start:
                return False
            recent.append(duration)
        else:
            earlier.append(duration)
            if len(recent) + len(earlier) == wanted:
                break
    if len(recent) < n or len(earlier) < guideline.waning_baseline_min_cycles:
        return False
    baseline = median(earlier)
    if baseline <= 0:
        return False
    ceiling = baseline * (100 - guideline.waning_drop_percent) / 100
    return all(d <= ceiling for d in recent)


def intervals_shortening(cycles: Sequence[BotoxCycle], epoch_start: int, guideline: Guideline) -> bool:
    """The last N injections of the current plan each came under the minimum interval after the one before."""
    n = guideline.waning_consecutive_cycles
    end = len(cycles)
    if end - epoch_start < n:
        return False
    for i in range(end - n, end):
        interval = cycles[i].interval_days
        if interval is None or interval >= guideline.min_reinjection_interval_days:
            return False
    return True


def response_waning_reason(cycles: Sequence[BotoxCycle], epoch_start: int, guideline: Guideline) -> WaningReason | None:
    """The waning reasons that depend on recorded responses, most specific first."""
    g = guideline
    if benefit_has_shortened(cycles, epoch_start, g):
        return WaningReason.SHORTENING_INTERVALS
    end = len(cycles)
    k = g.primary_non_response_cycles
    if (
        epoch_start == 0
        and end >= k
        and all(c.response_class is _NO_RESPONSE for c in cycles[:k])
        and all(c.response_class is None for c in cycles[k:])
    ):
        return WaningReason.PRIMARY_NON_RESPONSE
    n = g.waning_consecutive_cycles
    window = g.poorly_tolerated_window_cycles
    wanted = max(n, window)
    recent: list[BotoxCycle] = []
    for i in range(end - 1, epoch_start - 1, -1):
        if cycles[i].response_class is not None:
            recent.append(cycles[i])
            if len(recent) >= wanted:
                break
    if len(recent) >= n and all(c.response_class in _POOR for c in recent[:n]):
        return WaningReason.INSUFFICIENT_RESPONSE
    if sum(c.poorly_tolerated for c in recent[:window]) >= g.poorly_tolerated_min_cycles:
        return WaningReason.POORLY_TOLERATED
    return None


def waning_reason(cycles: Sequence[BotoxCycle], epoch_start: int, guideline: Guideline) -> WaningReason | None:
    """Why the toxin benefit is waning, judged on the current plan's cycles, or ``None``.

    Only cycles of the current plan (since the patient entered the toxin stage or the plan was last
    adjusted) count as the "recent" ones, so an adjustment is given its own chance before the same
    old cycles send the patient straight back to ``waning_response``. Reasons are checked in the
    order of the contract, the more specific first where two could apply.

    The pathway calls the two halves separately: an injection can only change the interval test, and
    a response only the response tests (a new plan starts with no recorded response of its own).
    """
    if intervals_shortening(cycles, epoch_start, guideline):
        return WaningReason.SHORTENING_INTERVALS
    return response_waning_reason(cycles, epoch_start, guideline)


WANING_TEXT = {
    WaningReason.SHORTENING_INTERVALS: "the benefit between injections is shortening",
    WaningReason.INSUFFICIENT_RESPONSE: "the recent cycles each gave an insufficient response",
    WaningReason.PRIMARY_NON_RESPONSE: "the first cycles gave no response at all",
    WaningReason.POORLY_TOLERATED: "recent cycles had significant side effects",
}
