"""The pathway keeps its waning verdict up to date incrementally (after an injection only the interval
test is re-run, after a response only the response tests). These properties check that shortcut
against a full recomputation over every cycle of the current plan."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from hfs_pathway import Stage, default_guideline
from hfs_pathway._toxin import waning_reason
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
    if record.stage is Stage.BOTULINUM_TOXIN:
        assert record.waning_reason is None
        assert full is None
    else:
        assert record.stage is Stage.WANING_RESPONSE
        assert record.waning_reason is full
        assert pathway.alerts[-1].code == "waning_response"  # type: ignore[attr-defined]
        assert full is not None
        assert full.value in pathway.alerts[-1].text  # type: ignore[attr-defined]
