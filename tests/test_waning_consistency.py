"""The pathway keeps its waning verdict up to date incrementally (after an injection only the interval
test is re-run, after a response only the response tests). These properties check that shortcut
against a full recomputation over every cycle of the current plan."""

from __future__ import annotations

import datetime as dt
import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from hfs_pathway import BotoxCycle, Guideline, ResponseClass, Stage, WaningReason, default_guideline
from hfs_pathway._toxin import (
    benefit_has_shortened,
    count_responses,
    intervals_shortening,
    recorded_responses,
    response_waning_reason,
    toxin_terms,
    waning_counts,
    waning_reason,
)
from hfs_pathway._vocabulary import ToxinProduct
from tests.builder import CaseBuilder

CYCLE = st.tuples(
    st.integers(min_value=40, max_value=140),  # days from this injection to the next
    st.integers(min_value=0, max_value=100),  # peak improvement
    st.one_of(st.none(), st.integers(min_value=20, max_value=130)),  # benefit duration
    st.sampled_from(["none", "mild", "significant"]),
    st.booleans(),  # is the response recorded?
    st.booleans(),  # adjust the plan after this cycle?
    st.booleans(),  # first recorded at the 28-day review, benefit still ongoing, then completed?
)


@given(st.lists(CYCLE, min_size=1, max_size=9))
def test_incremental_waning_matches_a_full_recomputation(
    cycles: list[tuple[int, int, int | None, str, bool, bool, bool]],
) -> None:
    """While on toxin, no waning reason is pending; on leaving, the reason is the full recomputation's. Responses
    recorded while the benefit is ongoing and completed later (R2.5) are checked the same way."""
    guideline = default_guideline()
    story = CaseBuilder().to_toxin()
    pathway = story.pathway()
    for gap, peak, duration, severity, responded, adjust, ongoing_first in cycles:
        if pathway.stage is Stage.WANING_RESPONSE:
            pathway.apply(
                {"type": "botox_plan_adjusted", "date": story.today.isoformat(), "adjustment": "change_sites"}
            )
        injected = story.today
        pathway.apply(
            {
                "type": "botox_injection",
                "date": injected.isoformat(),
                "product": "onabotulinumtoxinA",
                "total_units": 20,
            }
        )
        _check(pathway, guideline)
        recorded_ongoing = responded and ongoing_first and gap > 28 and pathway.stage is Stage.BOTULINUM_TOXIN
        if recorded_ongoing:
            pathway.apply(
                {
                    "type": "botox_response",
                    "date": (injected + dt.timedelta(days=28)).isoformat(),
                    "peak_improvement_percent": peak,
                    "benefit_duration_days": 28,
                    "benefit_ongoing": True,
                }
            )
            _check(pathway, guideline)
        if responded and pathway.stage is Stage.BOTULINUM_TOXIN:
            elapsed = max(min(gap, duration if duration is not None else gap), 28 if recorded_ongoing else 0)
            response: dict[str, object] = {
                "type": "botox_response",
                "date": (injected + dt.timedelta(days=elapsed)).isoformat(),
                "peak_improvement_percent": peak,
            }
            if duration is not None:
                response["benefit_duration_days"] = min(duration, elapsed)
            if severity != "none":
                response["adverse_effects"] = ["ptosis"]
                response["adverse_effect_severity"] = severity
            pathway.apply(response)
            _check(pathway, guideline)
        story.on(injected + dt.timedelta(days=gap))
        if adjust and pathway.stage is Stage.BOTULINUM_TOXIN:
            pathway.apply(
                {"type": "botox_plan_adjusted", "date": story.today.isoformat(), "adjustment": "increase_dose"}
            )


def _check(pathway: object, guideline: object) -> None:
    record = pathway._record  # type: ignore[attr-defined]
    full = waning_reason(record.cycles, record.plan_start, guideline)  # type: ignore[arg-type]
    # The running counts are those of the responses on record, counted from the start of the plan; before an
    # ongoing response, those of the entries before it (a completing response starts again from there).
    responses = record.responses
    assert record.plan_tally == count_responses(responses, record.plan_start, guideline)  # type: ignore[arg-type]
    if record.ongoing_response is not None:
        before = count_responses(responses[:-1], record.plan_start, guideline)  # type: ignore[arg-type]
        assert record.tally_before_ongoing == before
    if record.stage is Stage.BOTULINUM_TOXIN:
        assert record.waning_reason is None
        assert full is None
    else:
        assert record.stage is Stage.WANING_RESPONSE
        assert record.waning_reason is full
        assert pathway.alerts[-1].code == "waning_response"  # type: ignore[attr-defined]
        assert full is not None
        assert full.value in pathway.alerts[-1].text  # type: ignore[attr-defined]


# The running counts against the walk they replace ----------------------------------------------------------


@st.composite
def guidelines(draw: st.DrawFn) -> Guideline:
    window = draw(st.integers(min_value=1, max_value=4))
    baseline_min = draw(st.integers(min_value=1, max_value=3))
    return _guideline(
        min_reinjection_interval_days=draw(st.sampled_from([84, 60, 100])),
        waning_drop_percent=draw(st.sampled_from([30, 10, 50])),
        waning_baseline_min_cycles=baseline_min,
        waning_baseline_max_cycles=draw(st.integers(min_value=baseline_min, max_value=4)),
        waning_consecutive_cycles=draw(st.integers(min_value=1, max_value=3)),
        poorly_tolerated_window_cycles=window,
        poorly_tolerated_min_cycles=draw(st.integers(min_value=1, max_value=window)),
        primary_non_response_cycles=draw(st.integers(min_value=1, max_value=3)),
    )


@functools.cache
def _guideline(**parameters: int) -> Guideline:
    return Guideline(**parameters)  # type: ignore[arg-type]  # the toxin parameters, all whole numbers


# A cycle table, its days counted from the guideline's minimum interval: an interval (mostly no shorter, so
# that a run of short intervals rarely decides before the response tests) and the response, if any.
ROW = st.tuples(
    st.integers(min_value=-3, max_value=60),
    st.one_of(
        st.tuples(
            st.sampled_from([ResponseClass.ADEQUATE] * 4 + [ResponseClass.INSUFFICIENT, ResponseClass.NO_RESPONSE]),
            st.one_of(  # benefit duration: shorter or longer than the minimum interval, just around it, or unknown
                st.integers(min_value=-80, max_value=-1),
                st.integers(min_value=0, max_value=120),
                st.sampled_from([-1, 0, 1]),
                st.none(),
            ),
            st.sampled_from([False, False, True]),  # poorly tolerated
            st.sampled_from([False, False, True]),  # benefit still ongoing when recorded
        ),
        st.none(),  # no response recorded for this cycle
    ),
)


def _cycle_table(
    rows: list[tuple[int, tuple[ResponseClass, int | None, bool, bool] | None]], floor: int
) -> list[BotoxCycle]:
    cycles = []
    for number, (interval, response) in enumerate(rows, 1):
        cycle = BotoxCycle(
            number,
            number,
            dt.date(2024, 1, 1),
            ToxinProduct.ONABOTULINUMTOXINA,
            20.0,
            None if number == 1 else floor + interval,
        )
        if response is not None:
            response_class, duration, poorly_tolerated, ongoing = response
            cycle = cycle._replace(
                response_index=number,
                response_class=response_class,
                peak_improvement_percent=50.0,
                benefit_duration_days=None if duration is None else max(0, floor + duration),
                poorly_tolerated=poorly_tolerated,
                benefit_ongoing=ongoing,
            )
        cycles.append(cycle)
    return cycles


@settings(max_examples=500)
@given(guidelines(), st.lists(ROW, min_size=1, max_size=10), st.data())
def test_the_running_counts_give_the_verdict_of_a_walk_through_the_cycles(
    guideline: Guideline,
    rows: list[tuple[int, tuple[ResponseClass, int | None, bool, bool] | None]],
    data: st.DataObject,
) -> None:
    """Any cycle table, plan start and guideline: the waning reason read from the running counts is the one a
    walk back through the plan's cycles finds, as the rules were first written."""
    cycles = _cycle_table(rows, guideline.min_reinjection_interval_days)
    plan_start = data.draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=len(cycles))))
    assert waning_reason(cycles, plan_start, guideline) is _walked_waning_reason(cycles, plan_start, guideline)


@given(guidelines(), st.lists(ROW, min_size=1, max_size=10), st.data())
def test_no_response_test_finds_a_reason_while_every_count_is_below_its_least(
    guideline: Guideline,
    rows: list[tuple[int, tuple[ResponseClass, int | None, bool, bool] | None]],
    data: st.DataObject,
) -> None:
    """The toxin rule skips ``response_waning_reason`` while every count of the plan's tally is below its least
    in ``waning_counts``: no cycle table, plan start or guideline gives a reason then."""
    cycles = _cycle_table(rows, guideline.min_reinjection_interval_days)
    plan_start = data.draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=len(cycles))))
    responses, durations = recorded_responses(cycles)
    tally = count_responses(responses, plan_start, guideline)
    least = waning_counts(guideline)
    assert toxin_terms(guideline).waning_counts == least
    reason = response_waning_reason(responses, durations, tally, plan_start, guideline)
    if all(count < minimum for count, minimum in zip(tally, least, strict=True)):
        assert reason is None
    # And each reason found comes with its own count at or above its least.
    if reason is WaningReason.INSUFFICIENT_RESPONSE or reason is WaningReason.PRIMARY_NON_RESPONSE:
        assert tally[0] >= least[0]
    elif reason is WaningReason.SHORTENING_BENEFIT:
        assert tally[1] >= least[1]
    elif reason is WaningReason.POORLY_TOLERATED:
        assert tally[2] >= least[2]


def test_primary_non_response_is_not_skipped_when_it_needs_fewer_cycles_than_a_run_of_poor_ones() -> None:
    """Primary non-response can come before a run of poor responses is long enough: its least count is its own."""
    guideline = _guideline(primary_non_response_cycles=1, waning_consecutive_cycles=3)
    cycles = _cycle_table(
        [(0, (ResponseClass.NO_RESPONSE, None, False, False))], guideline.min_reinjection_interval_days
    )
    tally = count_responses(cycles, 0, guideline)
    assert tally == (1, 0, 0)
    assert waning_counts(guideline)[0] == 1
    assert response_waning_reason(cycles, [], tally, 0, guideline) is WaningReason.PRIMARY_NON_RESPONSE


def _walked_waning_reason(cycles: list[BotoxCycle], plan_start: int, g: Guideline) -> WaningReason | None:
    """The waning tests as first written: each walks back from the latest cycle to the plan's start."""
    if intervals_shortening(cycles, plan_start, g):
        return WaningReason.SHORTENING_INTERVALS
    responses = [c for c in cycles if c.response_class is not None]
    durations = [
        (c.number, c.benefit_duration_days)
        for c in responses
        if c.benefit_duration_days is not None and not c.benefit_ongoing
    ]
    k = g.primary_non_response_cycles
    if (
        plan_start == 0
        and len(responses) == k
        and responses[-1].number == k
        and all(c.response_class is ResponseClass.NO_RESPONSE for c in responses)
    ):
        return WaningReason.PRIMARY_NON_RESPONSE
    n = g.waning_consecutive_cycles
    window = g.poorly_tolerated_window_cycles
    poor = tolerated_badly = 0
    for seen, cycle in enumerate(reversed(responses[-max(n, window) :]), 1):
        if cycle.number <= plan_start:
            break
        if seen <= n and cycle.response_class in (ResponseClass.INSUFFICIENT, ResponseClass.NO_RESPONSE):
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
