"""Surgery and after it, as revision 2 reads them (R2.8, R2.9, R2.13-R2.15): a redo MVD judged as a redo, the
referral that is followed up, bridging toxin while a delayed cure is awaited, recurrence years after
discharge, an early second operation, and operations done outside the pathway's checkpoint."""

from __future__ import annotations

import datetime as dt

import pytest

from hfs_pathway import EventNotAllowed, Severity, Stage, Verdict
from tests.builder import CaseBuilder, alerts, last_index, rec, rec_codes

SURGERY = dt.date(2025, 8, 31)
MONTH_24 = dt.date(2027, 8, 31)
D = dt.timedelta


def operated() -> CaseBuilder:
    """Checkpoint passed (favourable), referred, operated on 31 August 2025."""
    return CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer().on(SURGERY).operate()


def discharged() -> CaseBuilder:
    """Operated, resolved at 12 and 24 months: discharged on 31 August 2027."""
    return operated().on("2026-08-31").post_mvd("resolved").on(MONTH_24).post_mvd("resolved")


# Redo MVD -----------------------------------------------------------------------------------------------


def test_a_redo_is_judged_as_posterior_fossa_surgery_whatever_the_assessment_says() -> None:
    """After a first operation failed, a new assessment that says no prior posterior fossa surgery still gets
    prior_posterior_fossa_surgery and redo_mvd (caution), citing the redo evidence (R2.8)."""
    story = operated().on("2026-09-10").post_mvd("unchanged").after(14).decide("surgical_evaluation")
    story.after(14).risk_assessment(prior_posterior_fossa_surgery=False)
    story.patient["birth_date"] = "1975-01-01"  # under 60: no age modifier
    risk = story.pathway().risk_benefit
    assert risk is not None
    assert risk.verdict is Verdict.CAUTION
    codes = [m.code for m in risk.modifiers]
    assert codes == ["prior_posterior_fossa_surgery", "redo_mvd"]
    redo = risk.modifiers[1]
    assert set(redo.evidence) == {"R105", "R118"}
    assert SURGERY.isoformat() in redo.text


def test_a_first_operation_has_no_redo_modifier() -> None:
    risk = CaseBuilder().to_surgical_evaluation().risk_assessment().pathway().risk_benefit
    assert risk is not None
    assert [m.code for m in risk.modifiers] == []


# The referral ---------------------------------------------------------------------------------------------------


def _referred() -> CaseBuilder:
    return CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).on("2025-03-03").refer()


def test_once_referred_the_recommendation_says_when_and_asks_to_confirm_the_appointment() -> None:
    evaluation = _referred().evaluate("2025-04-01")
    referral = rec(evaluation, "refer_for_mvd")
    assert "2025-03-03" in referral.text
    assert "appointment" in referral.text


@pytest.mark.parametrize(("days", "overdue"), [(180, False), (181, True)])
def test_referral_overdue_after_180_days_without_an_outcome(days: int, overdue: bool) -> None:
    """referral_overdue (warning, time-based) more than 180 days after the referral with no operation or
    closed referral (R2.8)."""
    as_of = dt.date(2025, 3, 3) + D(days=days)
    found = alerts(_referred().evaluate(as_of), "referral_overdue")
    if overdue:
        assert [(a.severity, a.event_index, a.date) for a in found] == [(Severity.WARNING, None, as_of)]
    else:
        assert found == []


def test_no_referral_overdue_once_operated_or_closed() -> None:
    operated_story = _referred().after(200).operate()
    assert alerts(operated_story.evaluate(operated_story.today + D(days=30)), "referral_overdue") == []
    closed = _referred().after(200).event("referral_closed", reason="surgeon_declined")
    assert alerts(closed.evaluate(), "referral_overdue") == []


# Bridging toxin after surgery --------------------------------------------------------------------------------


def test_a_bridging_injection_after_surgery_stays_in_follow_up() -> None:
    """botox_injection is accepted in post_mvd and does not move the stage; the interval rule still applies."""
    story = operated().on("2025-10-15").inject().on("2025-12-20").inject()
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    assert [h.to_stage for h in evaluation.history[-2:]] == [Stage.POST_MVD, Stage.POST_MVD]
    assert [a.event_index for a in alerts(evaluation, "reinjection_interval_too_short")] == [last_index(story)]
    assert alerts(evaluation, "waning_response") == []
    assert "post_mvd_review" in rec_codes(evaluation)


@pytest.mark.parametrize(("days", "discharged_"), [(119, False), (120, True)])
def test_a_resolved_review_within_120_days_of_a_bridging_injection_does_not_discharge(
    days: int, discharged_: bool
) -> None:
    """Resolved at 24 months is a discharge only 120 days or more after the last bridging injection (R2.15)."""
    story = operated().on("2026-02-28").post_mvd("improved").on(MONTH_24 - D(days=days)).inject()
    story.on(MONTH_24).post_mvd("resolved")
    stage = story.pathway().stage
    assert stage is (Stage.DISCHARGED if discharged_ else Stage.POST_MVD)


def test_after_a_masked_review_a_later_resolved_review_discharges() -> None:
    story = operated().on("2027-06-01").inject().on(MONTH_24).post_mvd("resolved")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    review = rec(evaluation, "post_mvd_review")
    assert "bridging" in review.text
    assert review.due == dt.date(2027, 9, 29)  # 120 days after the injection
    story.on("2027-10-01").post_mvd("resolved")
    assert story.pathway().stage is Stage.DISCHARGED


def test_a_toxin_injection_before_surgery_does_not_mask_a_review() -> None:
    story = CaseBuilder().to_toxin().inject().after(30).decide("surgical_evaluation").after(7)
    story.risk_assessment().after(7).refer().on(SURGERY).operate()
    story.on("2026-08-31").post_mvd("resolved").on(MONTH_24).post_mvd("resolved")
    assert story.pathway().stage is Stage.DISCHARGED


# Recurrence after discharge -----------------------------------------------------------------------------------


def test_recurrence_after_discharge_returns_to_treatment_selection_imaging_first() -> None:
    """recurrence from discharged -> treatment_selection with order_mri listed before consider_redo_mvd
    (R2.9, R2.15); the MRI is due 30 days after the recurrence."""
    story = discharged().on("2030-05-01").event("recurrence", note="Left eye twitching again.")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    assert not evaluation.final
    last = evaluation.history[-1]
    assert (last.event, last.from_stage, last.to_stage) == ("recurrence", Stage.DISCHARGED, Stage.TREATMENT_SELECTION)
    codes = rec_codes(evaluation)
    assert codes.index("order_mri") < codes.index("consider_redo_mvd")
    assert rec(evaluation, "order_mri").due == dt.date(2030, 5, 31)


def test_the_mri_after_a_recurrence_is_not_asked_for_once_done() -> None:
    story = discharged().on("2030-05-01").event("recurrence").after(20).decide("surgical_evaluation")
    assert "order_mri" not in rec_codes(story.evaluate())


def test_recurrence_after_a_resolved_secondary_cause_goes_back_to_imaging() -> None:
    """When the discharge followed the treatment of a secondary cause, a recurrence goes to imaging (the cause
    may have come back), not to treatment selection (R2.14)."""
    story = CaseBuilder().presentation().after(10).mri(finding="tumour", contrast=True).after(120)
    story.event("secondary_cause_outcome", outcome="resolved").on("2029-01-10").event("recurrence")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.IMAGING
    assert evaluation.history[-1].from_stage is Stage.DISCHARGED


# An early second operation; operations outside the pathway --------------------------------------------------


def test_an_early_redo_in_follow_up_restarts_the_review_schedule() -> None:
    """mvd_performed is accepted in post_mvd (an early redo): the stage stays and reviews run from the redo."""
    story = operated().on("2025-09-05").operate()
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    assert rec(evaluation, "post_mvd_review").due == dt.date(2025, 12, 5)
    assert alerts(evaluation, "mvd_outside_checkpoint") == []


@pytest.mark.parametrize(
    "stage",
    [
        Stage.TREATMENT_SELECTION,
        Stage.OBSERVATION,
        Stage.ORAL_MEDICATION,
        Stage.BOTULINUM_TOXIN,
        Stage.WANING_RESPONSE,
        Stage.SURGICAL_EVALUATION,
    ],
    ids=str,
)
def test_an_operation_outside_the_pathway_is_recorded_from_treatment_stages(stage: Stage) -> None:
    """mvd_performed with outside_pathway -> post_mvd with mvd_outside_checkpoint (info when the work-up is
    closed), from every stage R2.14 lists; without outside_pathway it is refused there."""
    openings = {
        Stage.TREATMENT_SELECTION: lambda b: b.to_treatment_selection(),
        Stage.OBSERVATION: lambda b: b.to_treatment_selection().after(7).decide("observation"),
        Stage.ORAL_MEDICATION: lambda b: b.to_treatment_selection().after(7).decide("oral_medication"),
        Stage.BOTULINUM_TOXIN: lambda b: b.to_toxin().inject(),
        Stage.WANING_RESPONSE: lambda b: b.to_toxin().cycle(peak=40).cycle(peak=40),
        Stage.SURGICAL_EVALUATION: lambda b: b.to_surgical_evaluation(),
    }
    story = openings[stage](CaseBuilder()).after(30).operate(outside_pathway=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    assert (evaluation.history[-1].from_stage, evaluation.history[-1].to_stage) == (stage, Stage.POST_MVD)
    found = alerts(evaluation, "mvd_outside_checkpoint")
    assert [(a.severity, a.event_index) for a in found] == [(Severity.INFO, last_index(story))]
    refused = openings[stage](CaseBuilder()).after(30).operate()
    with pytest.raises(EventNotAllowed) as info:
        refused.pathway()
    assert info.value.stage == stage.value
    assert "outside_pathway" in info.value.message


@pytest.mark.parametrize("stage", ["presentation", "imaging", "secondary_cause"])
def test_no_operation_is_recorded_before_imaging_or_during_a_secondary_cause(stage: str) -> None:
    """Invariant 2 holds: an outside-pathway operation is not accepted before imaging, nor in secondary_cause."""
    story = CaseBuilder()
    if stage != "presentation":
        story.presentation()
    if stage == "secondary_cause":
        story.after(10).mri(finding="tumour")
    story.after(30).operate(outside_pathway=True)
    with pytest.raises(EventNotAllowed):
        story.pathway()


def test_an_operation_through_the_checkpoint_marked_outside_raises_nothing() -> None:
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer().after(30)
    story.operate(outside_pathway=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    assert alerts(evaluation, "mvd_outside_checkpoint") == []


# With the imaging work-up (R2.14, R2.15) -------------------------------------------------------------------------


def test_recurrence_after_a_resolved_secondary_cause_orders_a_contrast_mri() -> None:
    """The cause may have come back: the recurrence opens a contrast-tier work-up, so imaging recommends
    order_contrast_mri due 30 days after the recurrence, not a routine MRI."""
    story = CaseBuilder().presentation().after(10).mri(finding="tumour", contrast=True).after(120)
    story.event("secondary_cause_outcome", outcome="resolved").on("2029-01-10").event("recurrence")
    evaluation = story.evaluate("2029-01-20")
    assert evaluation.stage is Stage.IMAGING
    codes = rec_codes(evaluation)
    assert "order_contrast_mri" in codes
    assert "order_mri" not in codes
    assert rec(evaluation, "order_contrast_mri").due == dt.date(2029, 2, 9)


def test_an_operation_outside_the_pathway_with_the_work_up_still_open_is_a_warning() -> None:
    """mvd_outside_checkpoint is a warning while the work-up is open: here a contrast-tier presentation (facial
    trauma) imaged with CT only, which does not close it."""
    story = CaseBuilder().presentation(facial_trauma=True).after(20).ct().after(14).operate(outside_pathway=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    found = alerts(evaluation, "mvd_outside_checkpoint")
    assert [(a.severity, a.event_index) for a in found] == [(Severity.WARNING, last_index(story))]
    assert "work-up" in found[0].text
