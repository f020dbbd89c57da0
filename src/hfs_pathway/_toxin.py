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


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle values for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def benefit_has_shortened(cycles: Sequence[BotoxCycle], epoch_start: int, guideline: Guideline) -> bool:
    """The last N cycles with a known duration each lasted the drop percentage or more below the
    median of up to M earlier cycles (at least the minimum number of earlier cycles needed)."""
    n = guideline.waning_consecutive_cycles
    timed = [(i, c.benefit_duration_days) for i, c in enumerate(cycles) if c.benefit_duration_days is not None]
    if len(timed) < n + guideline.waning_baseline_min_cycles:
        return False
    recent, earlier = timed[-n:], timed[:-n][-guideline.waning_baseline_max_cycles :]
    if recent[0][0] < epoch_start:
        return False
    baseline = median([d for _, d in earlier])
    if baseline <= 0:
        return False
    ceiling = baseline * (100 - guideline.waning_drop_percent) / 100
    return all(d <= ceiling for _, d in recent)


def waning_reason(cycles: Sequence[BotoxCycle], epoch_start: int, guideline: Guideline) -> WaningReason | None:
    """Why the toxin benefit is waning, judged on the current plan's cycles, or ``None``.

    Only cycles of the current plan (since the patient entered the toxin stage or the plan was last
    adjusted) count as the "recent" ones, so an adjustment is given its own chance before the same
    old cycles send the patient straight back to ``waning_response``.
    """
    n = guideline.waning_consecutive_cycles
    current = cycles[epoch_start:]
    intervals = [c.interval_days for c in current if c.interval_days is not None]
    if len(intervals) >= n and all(i < guideline.min_reinjection_interval_days for i in intervals[-n:]):
        return WaningReason.SHORTENING_INTERVALS
    if benefit_has_shortened(cycles, epoch_start, guideline):
        return WaningReason.SHORTENING_INTERVALS
    k = guideline.primary_non_response_cycles
    classified = [c for c in cycles if c.response_class is not None]
    if (
        epoch_start == 0
        and len(classified) == k
        and all(c.response_class is ResponseClass.NO_RESPONSE for c in classified)
    ):
        return WaningReason.PRIMARY_NON_RESPONSE
    current_classified = [c for c in current if c.response_class is not None]
    if len(current_classified) >= n and all(c.response_class in _POOR for c in current_classified[-n:]):
        return WaningReason.INSUFFICIENT_RESPONSE
    window = [c for c in current if c.response_class is not None][-guideline.poorly_tolerated_window_cycles :]
    if sum(c.poorly_tolerated for c in window) >= guideline.poorly_tolerated_min_cycles:
        return WaningReason.POORLY_TOLERATED
    return None


WANING_TEXT = {
    WaningReason.SHORTENING_INTERVALS: "the benefit between injections is shortening",
    WaningReason.INSUFFICIENT_RESPONSE: "the recent cycles each gave an insufficient response",
    WaningReason.PRIMARY_NON_RESPONSE: "the first cycles gave no response at all",
    WaningReason.POORLY_TOLERATED: "recent cycles had significant side effects",
}
