"""Botulinum toxin cycles (spec §3): classifying each response, the interval and dose warnings, the
four reasons for a waning response, plan adjustment, and the review clock."""

from __future__ import annotations

import datetime as dt

import pytest

from hfs_pathway import (
    EventNotAllowed,
    Guideline,
    InvalidEvent,
    ResponseClass,
    Severity,
    Stage,
)
from tests.builder import CaseBuilder, alerts, last_index, rec, rec_codes

D = dt.timedelta
SIGNIFICANT = {"adverse_effects": ["ptosis"], "adverse_effect_severity": "significant"}
MILD = {"adverse_effects": ["ptosis"], "adverse_effect_severity": "mild"}


def assert_waning(story: CaseBuilder, reason: str) -> None:
    """The last event moved the patient to waning_response with one alert naming the reason."""
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.WANING_RESPONSE
    last = evaluation.history[-1]
    assert (last.index, last.from_stage, last.to_stage) == (
        last_index(story),
        Stage.BOTULINUM_TOXIN,
        Stage.WANING_RESPONSE,
    )
    found = alerts(evaluation, "waning_response")
    assert len(found) == 1
    assert found[0].event_index == last_index(story)
    assert found[0].severity is Severity.WARNING
    assert reason in found[0].text
    assert {"adjust_botox_plan", "evaluate_for_mvd"} <= set(rec_codes(evaluation))


def assert_still_on_toxin(story: CaseBuilder) -> None:
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.BOTULINUM_TOXIN
    assert alerts(evaluation, "waning_response") == []


# Response classification ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peak", "benefit", "expected"),
    [
        (24.9, 90, ResponseClass.NO_RESPONSE),
        (25, 90, ResponseClass.INSUFFICIENT),
        (49.9, 90, ResponseClass.INSUFFICIENT),
        (50, 90, ResponseClass.ADEQUATE),
        (80, 56, ResponseClass.INSUFFICIENT),
        (80, 57, ResponseClass.ADEQUATE),
        (80, None, ResponseClass.ADEQUATE),
        (10, None, ResponseClass.NO_RESPONSE),
    ],
)
def test_response_class_boundaries(peak: float, benefit: int | None, expected: ResponseClass) -> None:
    """no_response under 25% peak; insufficient under 50% or benefit <= 56 days; else adequate."""
    story = CaseBuilder().to_toxin().inject().after(100).respond(peak=peak, benefit=benefit)
    (cycle,) = story.pathway().botox_cycles
    assert cycle.response_class is expected
    assert cycle.response_index == last_index(story)
    assert cycle.peak_improvement_percent == peak
    assert cycle.benefit_duration_days == benefit


# Interval and dose ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("interval", "fires"), [(83, True), (84, False), (120, False)])
def test_reinjection_interval_too_short_fires_exactly_under_84_days(interval: int, fires: bool) -> None:
    """An injection under 84 days after the previous one raises reinjection_interval_too_short."""
    story = CaseBuilder().to_toxin().inject().after(interval).inject()
    evaluation = story.evaluate()
    assert evaluation.botox_cycles[1].interval_days == interval
    found = alerts(evaluation, "reinjection_interval_too_short")
    if fires:
        assert len(found) == 1
        assert found[0].event_index == last_index(story)
        assert found[0].severity is Severity.WARNING
    else:
        assert found == []
    assert evaluation.stage is Stage.BOTULINUM_TOXIN


@pytest.mark.parametrize(
    ("product", "limit"),
    [("onabotulinumtoxinA", 70), ("abobotulinumtoxinA", 200), ("incobotulinumtoxinA", 70)],
)
def test_dose_above_usual_range_per_product(product: str, limit: float) -> None:
    """total_units above the product's usual maximum raises dose_above_usual_range; at the limit it does not."""
    at_limit = CaseBuilder().to_toxin().inject(units=limit, product=product).evaluate()
    assert alerts(at_limit, "dose_above_usual_range") == []
    story = CaseBuilder().to_toxin().inject(units=limit + 0.5, product=product)
    found = alerts(story.evaluate(), "dose_above_usual_range")
    assert len(found) == 1
    assert found[0].event_index == last_index(story)
    assert found[0].severity is Severity.WARNING


def test_no_dose_limit_for_rimabotulinumtoxin_b() -> None:
    """rimabotulinumtoxinB has no usual maximum in the guideline, so no dose alert at any dose."""
    evaluation = CaseBuilder().to_toxin().inject(units=5000, product="rimabotulinumtoxinB").evaluate()
    assert alerts(evaluation, "dose_above_usual_range") == []


def test_each_guideline_gives_its_own_interval_and_dose_alerts_when_guidelines_alternate() -> None:
    """The toxin parameters are read once per guideline object: pathways under two guidelines that differ only
    in them, replayed in turn, each warn by their own guideline's figures."""
    stricter = Guideline.from_mapping(
        {"parameters": {"min_reinjection_interval_days": 100, "usual_max_units": {"onabotulinumtoxinA": 50}}}
    )
    for _ in range(2):
        for guideline, short_intervals, high_doses in ((stricter, 1, 2), (None, 0, 0)):
            story = CaseBuilder(guideline=guideline).to_toxin().inject(units=60).after(90).inject(units=60)
            evaluation = story.evaluate()
            assert len(alerts(evaluation, "reinjection_interval_too_short")) == short_intervals
            assert len(alerts(evaluation, "dose_above_usual_range")) == high_doses


def test_the_toxin_terms_kept_per_guideline_stay_bounded_when_many_guidelines_are_loaded() -> None:
    from hfs_pathway import default_guideline
    from hfs_pathway._toxin import _TERMS_KEPT, TERMS, toxin_terms

    base = default_guideline()
    guidelines = [base.model_copy(update={"min_reinjection_interval_days": 60 + i}) for i in range(3 * _TERMS_KEPT)]
    for g in guidelines:
        terms = toxin_terms(g)
        assert terms.guideline is g
        assert toxin_terms(g) is terms
        assert terms.min_reinjection_interval_days == g.min_reinjection_interval_days
        assert len(TERMS) <= _TERMS_KEPT


# Waning response: shortening ------------------------------------------------------------------------------


def test_two_short_intervals_in_a_row_mean_waning() -> None:
    """Injections asked for every 83 days twice running -> waning_response (shortening_intervals only)."""
    story = CaseBuilder().to_toxin().inject().after(83).inject().after(83).inject()
    assert_waning(story, "shortening_intervals")
    assert "shortening_benefit" not in alerts(story.evaluate(), "waning_response")[0].text


def test_two_intervals_of_exactly_84_days_are_not_waning() -> None:
    """84 days is the minimum interval itself, not under it."""
    assert_still_on_toxin(CaseBuilder().to_toxin().inject().after(84).inject().after(84).inject())


def test_one_short_interval_is_not_waning() -> None:
    """A single short interval followed by a normal one does not mean waning."""
    story = CaseBuilder().to_toxin().inject().after(80).inject().after(90).inject()
    assert_still_on_toxin(story)


def _baseline(story: CaseBuilder, *benefits: int) -> CaseBuilder:
    for benefit in benefits:
        story.cycle(benefit=benefit, interval=120)
    return story


def test_benefit_falling_30_percent_below_the_median_means_waning() -> None:
    """Three cycles of 100 days, then two of 70 (30% below the median, under 84 days): waning after the second
    short one, named shortening_benefit (not shortening_intervals: the injections were 120 days apart)."""
    story = _baseline(CaseBuilder().to_toxin(), 100, 100, 100, 70)
    assert_still_on_toxin(story)
    story.inject().after(70).respond(benefit=70)
    assert_waning(story, "shortening_benefit")
    assert "shortening_intervals" not in alerts(story.evaluate(), "waning_response")[0].text


def test_benefit_falling_less_than_30_percent_is_not_waning() -> None:
    """Two cycles of 71 days after a median of 100 are under a 30% drop: no waning."""
    story = _baseline(CaseBuilder().to_toxin(), 100, 100, 100, 71, 71)
    assert_still_on_toxin(story)
    assert [c.benefit_duration_days for c in story.pathway().botox_cycles] == [100, 100, 100, 71, 71]


def test_shortened_benefit_needs_at_least_two_earlier_cycles() -> None:
    """One 100-day cycle is no baseline: two later 60-day cycles do not count as waning, but with two earlier
    100-day cycles they do."""
    assert_still_on_toxin(_baseline(CaseBuilder().to_toxin(), 100, 60, 60))
    assert_waning(_baseline(CaseBuilder().to_toxin(), 100, 100, 60, 60), "shortening_benefit")


def test_shortened_benefit_compares_with_the_three_most_recent_earlier_cycles() -> None:
    """The baseline is the median of up to 3 earlier cycles: after 60, 60, 60, 100, 100, 100 the baseline is 100
    (all six would give 80), so two 70-day cycles count as waning."""
    story = _baseline(CaseBuilder().to_toxin(), 60, 60, 60, 100, 100, 100, 70)
    assert_still_on_toxin(story)
    story.inject().after(70).respond(benefit=70)
    assert_waning(story, "shortening_benefit")


@pytest.mark.parametrize(("benefit", "waning"), [(83, True), (84, False), (100, False)])
def test_a_benefit_that_still_lasts_12_weeks_is_not_waning(benefit: int, waning: bool) -> None:
    """After a median of 150 days, two cycles of 100 days are a 33% drop but still last 12 weeks: no waning
    (R2.6). The floor is the minimum reinjection interval: 83 days is under it, 84 is not."""
    story = _baseline(CaseBuilder().to_toxin(), 150, 150, 150, benefit, benefit)
    if waning:
        assert story.pathway().stage is Stage.WANING_RESPONSE
        assert "shortening_benefit" in alerts(story.evaluate(), "waning_response")[0].text
    else:
        assert_still_on_toxin(story)


def test_the_12_week_floor_of_shortening_benefit_is_the_minimum_interval_parameter() -> None:
    """With min_reinjection_interval_days set to 70, two 80-day cycles after a median of 150 are not waning;
    with the default 84 they are (R2.15: the floor is that parameter itself)."""
    clinic = Guideline.from_mapping({"parameters": {"min_reinjection_interval_days": 70}})
    shorter_floor = _baseline(CaseBuilder(guideline=clinic).to_toxin(), 150, 150, 150, 80, 80)
    assert_still_on_toxin(shorter_floor)
    default = _baseline(CaseBuilder().to_toxin(), 150, 150, 150, 80, 80)
    assert default.pathway().stage is Stage.WANING_RESPONSE


# Waning response: poor or absent response, tolerability ---------------------------------------------------


def test_two_insufficient_cycles_mean_waning() -> None:
    """The last 2 cycles each insufficient -> waning_response (insufficient_response)."""
    story = CaseBuilder().to_toxin().cycle(peak=40)
    assert_still_on_toxin(story)
    story.inject().after(90).respond(peak=40)
    assert_waning(story, "insufficient_response")


def test_two_cycles_with_benefit_of_eight_weeks_or_less_mean_waning() -> None:
    """Benefit of 50 days twice (good peak) is insufficient twice -> insufficient_response."""
    story = CaseBuilder().to_toxin().cycle(benefit=50, interval=98).inject().after(50).respond(benefit=50)
    assert_waning(story, "insufficient_response")


def test_no_response_then_insufficient_is_insufficient_response() -> None:
    """No response then an insufficient response: both poor, not both absent -> insufficient_response."""
    story = CaseBuilder().to_toxin().cycle(peak=10).inject().after(90).respond(peak=40)
    assert_waning(story, "insufficient_response")


def test_insufficient_cycles_separated_by_a_good_one_are_not_waning() -> None:
    """Insufficient, adequate, insufficient: the last 2 are not both poor."""
    assert_still_on_toxin(CaseBuilder().to_toxin().cycle(peak=40).cycle(peak=80).cycle(peak=40))


def test_first_two_cycles_without_any_response_are_primary_non_response() -> None:
    """The first 2 cycles both no_response -> waning_response (primary_non_response)."""
    story = CaseBuilder().to_toxin().cycle(peak=10).inject().after(90).respond(peak=5)
    assert_waning(story, "primary_non_response")
    assert "insufficient_response" not in alerts(story.evaluate(), "waning_response")[0].text


def test_two_of_three_poorly_tolerated_cycles_mean_waning() -> None:
    """Significant adverse effects in 2 of the last 3 cycles -> waning_response (poorly_tolerated)."""
    story = CaseBuilder().to_toxin().cycle(**SIGNIFICANT).cycle()
    assert_still_on_toxin(story)
    story.inject().after(90).respond(**SIGNIFICANT)
    assert_waning(story, "poorly_tolerated")
    assert [c.poorly_tolerated for c in story.pathway().botox_cycles] == [True, False, True]


def test_mild_side_effects_do_not_count_as_poorly_tolerated() -> None:
    """Only significant adverse effects make a cycle poorly tolerated."""
    story = CaseBuilder().to_toxin().cycle(**MILD).cycle(**MILD).cycle(**SIGNIFICANT)
    assert_still_on_toxin(story)


def test_poorly_tolerated_cycles_outside_the_last_three_do_not_count() -> None:
    """Significant, then three well-tolerated cycles, then significant: only 1 of the last 3."""
    story = CaseBuilder().to_toxin().cycle(**SIGNIFICANT).cycle().cycle().cycle(**SIGNIFICANT)
    assert_still_on_toxin(story)


# Responses that are refused -----------------------------------------------------------------------------------


def test_response_without_any_injection_is_refused() -> None:
    """A botox_response needs an injection awaiting its response."""
    story = CaseBuilder().to_toxin().respond(benefit=None)
    with pytest.raises(EventNotAllowed) as info:
        story.pathway()
    assert info.value.event_index == last_index(story)
    assert info.value.stage == "botulinum_toxin"
    assert info.value.event_type == "botox_response"


def test_second_response_for_the_same_injection_is_refused() -> None:
    """Each injection has one response."""
    story = CaseBuilder().to_toxin().inject().after(90).respond().after(5).respond()
    with pytest.raises(EventNotAllowed) as info:
        story.pathway()
    assert info.value.event_index == last_index(story)


def test_benefit_longer_than_the_time_since_the_injection_is_invalid() -> None:
    """benefit_duration_days may not exceed the days since the injection (equal is fine)."""
    exact = CaseBuilder().to_toxin().inject().after(60).respond(benefit=60)
    assert exact.pathway().botox_cycles[0].benefit_duration_days == 60
    story = CaseBuilder().to_toxin().inject().after(60).respond(benefit=61)
    with pytest.raises(InvalidEvent) as info:
        story.pathway()
    assert info.value.code == "invalid_event"
    assert info.value.event_index == last_index(story)


# Plan adjustment ---------------------------------------------------------------------------------------------


def test_adjusted_plan_returns_to_toxin_and_gets_its_own_cycles() -> None:
    """botox_plan_adjusted -> botulinum_toxin; one more insufficient cycle does not send it straight back,
    a second insufficient cycle of the new plan does."""
    story = CaseBuilder().to_toxin().cycle(peak=40).cycle(peak=40)
    first_waning = last_index(story)
    story.after(1).adjust("increase_dose")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.BOTULINUM_TOXIN
    last = evaluation.history[-1]
    assert (last.event, last.from_stage, last.to_stage) == (
        "botox_plan_adjusted",
        Stage.WANING_RESPONSE,
        Stage.BOTULINUM_TOXIN,
    )
    story.after(10).inject(units=30)
    assert story.pathway().stage is Stage.BOTULINUM_TOXIN
    story.after(90).respond(peak=40)
    assert story.pathway().stage is Stage.BOTULINUM_TOXIN
    story.after(10).inject(units=30).after(90).respond(peak=40)
    pathway = story.pathway()
    assert pathway.stage is Stage.WANING_RESPONSE
    assert [a.event_index for a in pathway.alerts if a.code == "waning_response"] == [first_waning, last_index(story)]


def test_adjusted_plan_after_short_benefit_is_not_sent_back_by_old_cycles() -> None:
    """After waning on shortened benefit, one more short cycle of the new plan stays on toxin."""
    story = _baseline(CaseBuilder().to_toxin(), 100, 100, 100, 70, 70)
    assert story.pathway().stage is Stage.WANING_RESPONSE
    story.adjust("switch_product").inject(units=100, product="abobotulinumtoxinA").after(70).respond(benefit=70)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.BOTULINUM_TOXIN
    assert len(alerts(evaluation, "waning_response")) == 1


def test_plan_can_be_adjusted_while_on_toxin() -> None:
    """botox_plan_adjusted is also accepted in botulinum_toxin and stays there."""
    story = CaseBuilder().to_toxin().cycle().adjust("change_sites")
    last = story.pathway().history[-1]
    assert (last.from_stage, last.to_stage) == (Stage.BOTULINUM_TOXIN, Stage.BOTULINUM_TOXIN)


def test_adjusting_the_plan_on_toxin_starts_a_new_plan() -> None:
    """One insufficient cycle, a plan adjustment on toxin, then one more insufficient cycle: the new plan has
    only one poor cycle, so no waning yet."""
    story = CaseBuilder().to_toxin().cycle(peak=40).adjust("increase_dose").cycle(peak=40, units=30)
    assert_still_on_toxin(story)


# The review clock ---------------------------------------------------------------------------------------------


def test_first_injection_is_recommended_on_entering_toxin() -> None:
    """With no injection yet, botulinum_toxin recommends first_botox_injection."""
    codes = rec_codes(CaseBuilder().to_toxin().evaluate())
    assert "first_botox_injection" in codes
    assert "next_injection_window" not in codes


def test_response_review_and_next_injection_are_timed_from_the_injection() -> None:
    """assess_botox_response is due 28 days after the injection; next_injection_window opens at 84 days."""
    story = CaseBuilder().to_toxin().inject()
    injected = story.today
    evaluation = story.evaluate(injected + D(days=10))
    assert rec(evaluation, "assess_botox_response").due == injected + D(days=28)
    assert rec(evaluation, "next_injection_window").due == injected + D(days=84)
    story.after(90).respond()
    after_response = story.evaluate()
    assert "assess_botox_response" not in rec_codes(after_response)
    assert rec(after_response, "next_injection_window").due == injected + D(days=84)


def test_next_injection_window_runs_from_the_latest_injection() -> None:
    """After a second injection, the window opens 84 days after it."""
    story = CaseBuilder().to_toxin().cycle(interval=100).inject()
    assert rec(story.evaluate(), "next_injection_window").due == story.today + D(days=84)


@pytest.mark.parametrize(("days", "overdue"), [(112, False), (150, False), (151, True)])
def test_response_assessment_overdue_after_150_days(days: int, overdue: bool) -> None:
    """response_assessment_overdue fires more than 150 days after an injection without a response, so a stable
    patient on 4-monthly cycles (112 days) is not warned before the next injection (R2.5)."""
    story = CaseBuilder().to_toxin().inject()
    as_of = story.today + D(days=days)
    found = alerts(story.evaluate(as_of), "response_assessment_overdue")
    if overdue:
        assert len(found) == 1
        assert found[0].event_index is None
        assert found[0].date == as_of
    else:
        assert found == []


def test_no_response_assessment_overdue_once_recorded() -> None:
    """A recorded response stops the overdue clock."""
    story = CaseBuilder().to_toxin().inject().after(90).respond()
    assert alerts(story.evaluate(story.today + D(days=200)), "response_assessment_overdue") == []
