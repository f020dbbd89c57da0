"""Gaps in care (R2.10, R2.15) and secondary hemifacial spasm treated as what it is (R2.4).

When care simply stops, ``follow_up_overdue`` (warning, time-based) fires once the last event is older than the
stage allows; observation, imaging, the referral and follow-up after surgery keep their own overdue alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from hfs_pathway import Guideline, Severity, Stage
from tests.builder import CaseBuilder, alerts, rec, rec_codes

D = dt.timedelta

GAPS: dict[Stage, tuple[int, Callable[[], CaseBuilder]]] = {
    Stage.TREATMENT_SELECTION: (90, lambda: CaseBuilder().to_treatment_selection()),
    Stage.WANING_RESPONSE: (90, lambda: CaseBuilder().to_toxin().cycle(peak=40).cycle(peak=40)),
    Stage.SURGICAL_EVALUATION: (180, lambda: CaseBuilder().to_surgical_evaluation()),
    Stage.SECONDARY_CAUSE: (365, lambda: CaseBuilder().presentation().after(10).mri(finding="tumour")),
    Stage.BOTULINUM_TOXIN: (270, lambda: CaseBuilder().to_toxin().inject().after(90).respond()),
    Stage.ORAL_MEDICATION: (180, lambda: CaseBuilder().to_treatment_selection().after(7).decide("oral_medication")),
}


@pytest.mark.parametrize("stage", list(GAPS), ids=str)
def test_follow_up_overdue_fires_once_the_gap_is_exceeded(stage: Stage) -> None:
    """No event for exactly the allowed gap: nothing; one day more: follow_up_overdue (warning, time-based,
    naming the gap)."""
    gap, opening = GAPS[stage]
    story = opening()
    evaluation = story.evaluate()
    assert evaluation.stage is stage
    last = story.pathway().events[-1].date
    assert alerts(story.evaluate(last + D(days=gap)), "follow_up_overdue") == []
    late = last + D(days=gap + 1)
    found = alerts(story.evaluate(late), "follow_up_overdue")
    assert [(a.severity, a.event_index, a.date) for a in found] == [(Severity.WARNING, None, late)]
    assert str(gap + 1) in found[0].text
    assert last.isoformat() in found[0].text


def test_a_patient_on_toxin_who_stopped_coming_is_seen_as_a_gap() -> None:
    """No injection for three years: follow_up_overdue."""
    story = CaseBuilder().to_toxin().cycle().cycle()
    found = alerts(story.evaluate(story.today + D(days=3 * 365)), "follow_up_overdue")
    assert len(found) == 1


def test_each_gap_is_a_guideline_parameter() -> None:
    clinic = Guideline.from_mapping({"parameters": {"follow_up_treatment_selection_days": 30}})
    story = CaseBuilder(guideline=clinic).to_treatment_selection()
    assert len(alerts(story.evaluate(story.today + D(days=31)), "follow_up_overdue")) == 1
    assert alerts(story.evaluate(story.today + D(days=30)), "follow_up_overdue") == []


OWN_ALERTS: dict[Stage, Callable[[], CaseBuilder]] = {
    Stage.IMAGING: lambda: CaseBuilder().presentation(),
    Stage.OBSERVATION: lambda: CaseBuilder().to_treatment_selection().after(7).decide("observation"),
    Stage.MVD_REFERRAL: lambda: CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer(),
    Stage.POST_MVD: lambda: CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer().operate(),
}


@pytest.mark.parametrize("stage", list(OWN_ALERTS), ids=str)
def test_stages_with_their_own_overdue_alerts_get_no_follow_up_overdue(stage: Stage) -> None:
    story = OWN_ALERTS[stage]()
    assert story.pathway().stage is stage
    assert alerts(story.evaluate(story.today + D(days=1000)), "follow_up_overdue") == []


def test_final_stages_have_no_gap() -> None:
    story = CaseBuilder().to_treatment_selection().after(3).leave()
    assert alerts(story.evaluate(story.today + D(days=1000)), "follow_up_overdue") == []


# Secondary hemifacial spasm (R2.4) ------------------------------------------------------------------------------


def _after_secondary_cause() -> CaseBuilder:
    story = CaseBuilder().presentation().after(10).mri(finding="tumour", contrast=True).after(90)
    return story.event("secondary_cause_outcome", outcome="spasm_persists")


def test_spasm_persisting_after_a_secondary_cause_is_not_offered_mvd() -> None:
    """After secondary_cause spasm_persists: symptomatic options only, the toxin offer says the spasm persists
    after the cause was managed, and discuss_mvd is not offered (R2.4)."""
    evaluation = _after_secondary_cause().evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    codes = rec_codes(evaluation)
    assert "discuss_mvd" not in codes
    assert codes[0] == "offer_botulinum_toxin"
    text = rec(evaluation, "offer_botulinum_toxin").text
    assert "persists" in text
    assert "tumour" in text


def test_discuss_mvd_returns_once_new_imaging_shows_no_secondary_cause() -> None:
    """Only the latest imaging counts: after a red flag and a clear MRI, MVD can be discussed again."""
    story = _after_secondary_cause().after(10).red_flag("facial_numbness").after(10)
    story.mri(contrast=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    assert "discuss_mvd" in rec_codes(evaluation)
