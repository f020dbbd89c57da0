"""Toxin courses as clinics record them (revision 2, R2.5, R2.6, R2.15): responses recorded while the benefit
is still ongoing and completed later, responses recorded after the patient moved to waning_response, what a
waning response recommends, side effects that suggest spread of the toxin, and bridging injections after
surgery."""

from __future__ import annotations

import datetime as dt

import pytest

from hfs_pathway import EventNotAllowed, ResponseClass, Severity, Stage
from tests.builder import CaseBuilder, alerts, last_index, rec, rec_codes

D = dt.timedelta


def _ongoing(story: CaseBuilder, peak: float = 80, at: int = 28, **fields: object) -> CaseBuilder:
    """An injection and its response at the 28-day review, the benefit still ongoing."""
    return story.inject().after(at).respond(peak=peak, benefit=at, benefit_ongoing=True, **fields)


# Ongoing responses -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peak", "expected"),
    [
        (24, ResponseClass.NO_RESPONSE),
        (25, ResponseClass.INSUFFICIENT),
        (49, ResponseClass.INSUFFICIENT),
        (50, ResponseClass.ADEQUATE),
    ],
)
def test_an_ongoing_cycle_is_classed_by_its_peak_alone(peak: float, expected: ResponseClass) -> None:
    """A response recorded at 28 days with the benefit ongoing: its 28 days are a lower bound, never an
    insufficient duration; the class follows the peak alone (R2.14)."""
    story = _ongoing(CaseBuilder().to_toxin(), peak=peak)
    (cycle,) = story.pathway().botox_cycles
    assert cycle.response_class is expected
    assert cycle.benefit_ongoing is True
    assert cycle.benefit_duration_days == 28


def test_two_excellent_cycles_recorded_at_the_28_day_review_are_not_insufficient() -> None:
    """The review found in revision 1: two cycles recorded at the library's own 28-day prompt were called
    insufficient and led to "evaluate for MVD". With benefit_ongoing they stay adequate, on toxin."""
    story = _ongoing(CaseBuilder().to_toxin(), peak=90).after(70)
    _ongoing(story, peak=90)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.BOTULINUM_TOXIN
    assert [c.response_class for c in evaluation.botox_cycles] == [ResponseClass.ADEQUATE] * 2
    assert alerts(evaluation, "waning_response") == []
    assert "evaluate_for_mvd" not in rec_codes(evaluation)


def test_ongoing_durations_do_not_count_for_shortening_benefit() -> None:
    """Three 100-day cycles, then two recorded ongoing at 28 days: no shortening_benefit (lower bounds)."""
    story = CaseBuilder().to_toxin()
    for _ in range(3):
        story.cycle(benefit=100, interval=120)
    _ongoing(story).after(92)
    _ongoing(story)
    assert story.pathway().stage is Stage.BOTULINUM_TOXIN


def test_a_response_left_ongoing_does_not_break_a_run_of_shortened_cycles() -> None:
    """Three 100-day cycles, one of 60 days, then one recorded only while its benefit was ongoing (at 90 days, a
    lower bound) and never completed, then another of 60 days: the two 60-day cycles are the last two known
    durations, so the benefit has shortened."""
    story = CaseBuilder().to_toxin()
    for benefit in (100, 100, 100, 60):
        story.cycle(benefit=benefit, interval=120)
    story.inject().after(90).respond(peak=80, benefit=90, benefit_ongoing=True).after(30)
    assert story.pathway().stage is Stage.BOTULINUM_TOXIN
    story.inject().after(60).respond(benefit=60)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.WANING_RESPONSE
    assert "shortening_benefit" in alerts(evaluation, "waning_response")[0].text


def test_a_later_response_completes_an_ongoing_one() -> None:
    """Ongoing at 28 days, then completed at 100 days (95 days of benefit): the completing response's values
    replace the first's, the cycle is no longer ongoing, and its index is the completing event's."""
    story = _ongoing(CaseBuilder().to_toxin(), peak=60).after(72).respond(peak=85, benefit=95)
    (cycle,) = story.pathway().botox_cycles
    assert (cycle.peak_improvement_percent, cycle.benefit_duration_days) == (85, 95)
    assert cycle.benefit_ongoing is False
    assert cycle.response_class is ResponseClass.ADEQUATE
    assert cycle.response_index == last_index(story)


def test_a_completed_short_benefit_counts_as_insufficient() -> None:
    """Ongoing at 28 days, then completed: the benefit lasted only 50 days, so the cycle is insufficient."""
    story = _ongoing(CaseBuilder().to_toxin()).after(40).respond(peak=80, benefit=50)
    (cycle,) = story.pathway().botox_cycles
    assert cycle.response_class is ResponseClass.INSUFFICIENT


def test_completing_responses_count_for_waning() -> None:
    """Two cycles completed at 50 days of benefit are insufficient twice -> waning_response on the second
    completion."""
    story = _ongoing(CaseBuilder().to_toxin()).after(30).respond(peak=80, benefit=50).after(40)
    _ongoing(story).after(30).respond(peak=80, benefit=50)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.WANING_RESPONSE
    assert "insufficient_response" in alerts(evaluation, "waning_response")[0].text
    assert evaluation.history[-1].index == last_index(story)


def test_a_completing_response_merges_the_side_effects() -> None:
    """Significant ptosis at 28 days, none reported at completion: the cycle keeps the significant side effect
    (union of effects, worst severity), so it counts as poorly tolerated."""
    first = {"adverse_effects": ["ptosis"], "adverse_effect_severity": "significant"}
    story = _ongoing(CaseBuilder().to_toxin(), **first).after(62).respond(peak=80, benefit=90)
    (cycle,) = story.pathway().botox_cycles
    assert cycle.poorly_tolerated is True


def test_only_an_ongoing_response_can_be_completed() -> None:
    """A second response for the same injection is refused when the first was not ongoing, and a third when
    the second completed it."""
    done = CaseBuilder().to_toxin().inject().after(90).respond().after(5).respond()
    with pytest.raises(EventNotAllowed) as info:
        done.pathway()
    assert info.value.event_index == last_index(done)
    twice = _ongoing(CaseBuilder().to_toxin()).after(60).respond(benefit=88).after(5).respond(benefit=90)
    with pytest.raises(EventNotAllowed):
        twice.pathway()


def test_a_new_injection_closes_an_ongoing_response() -> None:
    """Once the next injection is given, the earlier ongoing response can no longer be completed: a response
    now answers the new injection."""
    story = _ongoing(CaseBuilder().to_toxin()).after(70).inject().after(90).respond(peak=70, benefit=85)
    first, second = story.pathway().botox_cycles
    assert first.benefit_ongoing is True
    assert second.response_index == last_index(story)


def test_the_response_review_asks_for_the_peak_and_whether_the_benefit_is_ongoing() -> None:
    """assess_botox_response (due 28 days) asks for the peak and whether the benefit is ongoing; after an
    ongoing response it asks for the duration once the benefit wears off, with no due date."""
    story = CaseBuilder().to_toxin().inject()
    waiting = rec(story.evaluate(), "assess_botox_response")
    assert waiting.due == story.today + D(days=28)
    assert "peak" in waiting.text
    assert "ongoing" in waiting.text
    story.after(28).respond(peak=80, benefit=28, benefit_ongoing=True)
    completing = rec(story.evaluate(), "assess_botox_response")
    assert completing.due is None
    assert "how long it lasted" in completing.text


# Responses in waning_response --------------------------------------------------------------------------------


def test_a_response_recorded_in_waning_response_completes_the_table_and_stays() -> None:
    """Two short intervals send the patient to waning_response at the injection; the response to that injection
    is accepted there, fills the cycle and does not move the stage (R2.5)."""
    story = CaseBuilder().to_toxin().inject().after(80).inject().after(80).inject()
    assert story.pathway().stage is Stage.WANING_RESPONSE
    assert "assess_botox_response" in rec_codes(story.evaluate())
    story.after(30).respond(peak=60, benefit=30, benefit_ongoing=True).after(40).respond(peak=60, benefit=65)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.WANING_RESPONSE
    assert [h.to_stage for h in evaluation.history[-2:]] == [Stage.WANING_RESPONSE] * 2
    assert evaluation.botox_cycles[-1].benefit_duration_days == 65
    assert len(alerts(evaluation, "waning_response")) == 1
    assert "assess_botox_response" not in rec_codes(evaluation)


def test_a_second_response_in_waning_response_is_refused_when_the_first_was_complete() -> None:
    story = CaseBuilder().to_toxin().cycle(peak=40).cycle(peak=40)
    assert story.pathway().stage is Stage.WANING_RESPONSE
    story.after(3).respond(peak=40, benefit=60)
    with pytest.raises(EventNotAllowed) as info:
        story.pathway()
    assert info.value.stage == "waning_response"


# What a waning response recommends -------------------------------------------------------------------------------


def test_primary_non_response_asks_to_review_the_diagnosis_before_surgery() -> None:
    """primary_non_response recommends review_diagnosis_and_technique, listed before evaluate_for_mvd."""
    story = CaseBuilder().to_toxin().cycle(peak=10).inject().after(90).respond(peak=5)
    codes = rec_codes(story.evaluate())
    assert "review_diagnosis_and_technique" in codes
    assert codes.index("review_diagnosis_and_technique") < codes.index("evaluate_for_mvd")
    assert "review_toxin_resistance" not in codes


@pytest.mark.parametrize(("adequate_before", "recommended"), [(1, False), (2, True), (3, True)])
def test_insufficient_response_after_two_good_cycles_suggests_toxin_resistance(
    adequate_before: int, recommended: bool
) -> None:
    """Two insufficient cycles after at least two earlier adequate ones recommend review_toxin_resistance before
    evaluate_for_mvd; after only one adequate cycle they do not (R2.15)."""
    story = CaseBuilder().to_toxin()
    for _ in range(adequate_before):
        story.cycle(peak=80)
    story.cycle(peak=40).cycle(peak=40)
    evaluation = story.evaluate()
    assert "insufficient_response" in alerts(evaluation, "waning_response")[0].text
    codes = rec_codes(evaluation)
    assert ("review_toxin_resistance" in codes) is recommended
    if recommended:
        assert codes.index("review_toxin_resistance") < codes.index("evaluate_for_mvd")
    assert "review_diagnosis_and_technique" not in codes


def test_benefit_that_became_insufficient_after_good_cycles_is_named_insufficient_not_shortened() -> None:
    """Three 100-day cycles, then two of 50 days: the benefit both shortened (30% below the median, under 12
    weeks) and became insufficient (8 weeks or less). It is named insufficient_response, so the review for
    toxin resistance that follows earlier adequate cycles is not hidden behind shortening_benefit (R2.15)."""
    story = CaseBuilder().to_toxin()
    for _ in range(3):
        story.cycle(peak=80, benefit=100, interval=120)
    story.cycle(peak=80, benefit=50, interval=120).cycle(peak=80, benefit=50, interval=120)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.WANING_RESPONSE
    (waning,) = alerts(evaluation, "waning_response")
    assert "insufficient_response" in waning.text
    assert "shortening_benefit" not in waning.text
    assert "review_toxin_resistance" in rec_codes(evaluation)


# Side effects that suggest spread -----------------------------------------------------------------------------


@pytest.mark.parametrize("effect", ["dysphagia", "breathing_difficulty", "dysphonia", "generalised_weakness"])
@pytest.mark.parametrize("severity", ["mild", "significant"])
def test_one_cycle_with_a_distant_effect_raises_distant_spread_at_once(effect: str, severity: str) -> None:
    """A single cycle with dysphagia, breathing difficulty, dysphonia or generalised weakness, even mild, raises
    distant_spread_suspected (critical) on that response; the stage is not changed by it."""
    story = CaseBuilder().to_toxin().inject().after(30)
    story.respond(benefit=30, benefit_ongoing=True, adverse_effects=[effect], adverse_effect_severity=severity)
    evaluation = story.evaluate()
    found = alerts(evaluation, "distant_spread_suspected")
    assert [(a.severity, a.event_index) for a in found] == [(Severity.CRITICAL, last_index(story))]
    assert effect.replace("_", " ") in found[0].text
    assert alerts(evaluation, "local_diffusion_suspected") == []
    assert evaluation.stage is Stage.BOTULINUM_TOXIN


def test_diplopia_alone_is_local_diffusion_not_distant_spread() -> None:
    """Diplopia without a distant effect raises local_diffusion_suspected (warning) asking to review the sites."""
    story = CaseBuilder().to_toxin().inject().after(30)
    story.respond(
        benefit=30, benefit_ongoing=True, adverse_effects=["ptosis", "diplopia"], adverse_effect_severity="significant"
    )
    evaluation = story.evaluate()
    found = alerts(evaluation, "local_diffusion_suspected")
    assert [(a.severity, a.event_index) for a in found] == [(Severity.WARNING, last_index(story))]
    assert "injection sites" in found[0].text
    assert alerts(evaluation, "distant_spread_suspected") == []


def test_diplopia_with_dysphagia_is_distant_spread_only() -> None:
    story = CaseBuilder().to_toxin().inject().after(30)
    story.respond(
        benefit=30, benefit_ongoing=True, adverse_effects=["diplopia", "dysphagia"], adverse_effect_severity="mild"
    )
    evaluation = story.evaluate()
    assert len(alerts(evaluation, "distant_spread_suspected")) == 1
    assert alerts(evaluation, "local_diffusion_suspected") == []


def test_other_local_effects_raise_no_spread_alert() -> None:
    story = CaseBuilder().to_toxin().inject().after(30)
    story.respond(
        benefit=30,
        benefit_ongoing=True,
        adverse_effects=["ptosis", "lagophthalmos", "dry_eye"],
        adverse_effect_severity="significant",
    )
    evaluation = story.evaluate()
    assert alerts(evaluation, "distant_spread_suspected") == []
    assert alerts(evaluation, "local_diffusion_suspected") == []


def test_a_completing_response_raises_spread_only_for_new_effects() -> None:
    """Dysphagia at 28 days raises the alert once; repeating it at completion does not raise it again, a new
    breathing difficulty does."""
    story = _ongoing(CaseBuilder().to_toxin(), adverse_effects=["dysphagia"], adverse_effect_severity="mild")
    story.after(60).respond(peak=80, benefit=85, adverse_effects=["dysphagia"], adverse_effect_severity="mild")
    assert len(alerts(story.evaluate(), "distant_spread_suspected")) == 1
    again = _ongoing(CaseBuilder().to_toxin(), adverse_effects=["dysphagia"], adverse_effect_severity="mild")
    again.after(60).respond(
        peak=80, benefit=85, adverse_effects=["breathing_difficulty"], adverse_effect_severity="significant"
    )
    found = alerts(again.evaluate(), "distant_spread_suspected")
    assert [a.event_index for a in found] == [last_index(again) - 1, last_index(again)]
