"""The imaging work-up of revision 2 (R2.1-R2.3, R2.14, R2.15), rule by rule at its boundaries: the tiers, the due
dates, what closes a tier, a finding recorded later, booking and declining, and red flags at every point of care."""

from __future__ import annotations

import datetime as dt

import pytest

from hfs_pathway import CheckpointNotSatisfied, EventNotAllowed, ImagingResult, InvalidEvent, Severity, Stage
from hfs_pathway._dates import add_months
from hfs_pathway._guideline import default_guideline
from hfs_pathway._workup import (
    PresentationFeatures,
    Workup,
    WorkupStatus,
    WorkupTier,
    open_workup,
    presentation_features,
)
from tests.builder import CaseBuilder, alerts, rec, rec_codes

D = dt.timedelta
ORDERS = ("order_mri", "order_contrast_mri", "urgent_contrast_mri", "record_imaging_finding")


def orders(evaluation: object) -> list[str]:
    """The imaging orders among the recommendations (at most one is ever outstanding)."""
    return [c for c in rec_codes(evaluation) if c in ORDERS]  # type: ignore[arg-type]


# Tiers --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "tier"),
    [
        ({"facial_weakness": True}, "urgent_contrast_mri"),
        ({"facial_weakness": True, "deficits_stable": True}, "order_contrast_mri"),
        ({"hearing_loss": True, "deficits_stable": True}, "order_contrast_mri"),
        ({"facial_weakness": True, "prior_facial_palsy": True}, "order_contrast_mri"),
        ({"facial_weakness": True, "prior_facial_palsy": True, "rapid_progression": True}, "urgent_contrast_mri"),
        ({"facial_numbness": True, "prior_facial_palsy": True}, "urgent_contrast_mri"),
        ({"long_tract_or_cerebellar_signs": True}, "urgent_contrast_mri"),
        ({"acute_onset": True, "hearing_loss": True}, "urgent_contrast_mri"),
        ({"tonic_contraction": True}, "order_contrast_mri"),
        ({"facial_pain": True}, "order_contrast_mri"),
        ({"head_neck_or_skin_cancer_history": True}, "order_contrast_mri"),
        ({"hearing_loss": None}, "order_contrast_mri"),
        ({}, "order_mri"),
    ],
    ids=[
        "weakness",
        "stable_weakness",
        "stable_hearing_loss",
        "weakness_explained_by_palsy",
        "progressive_weakness_despite_palsy",
        "palsy_explains_weakness_only",
        "long_tract_signs",
        "acute_hearing_loss",
        "tonic",
        "facial_pain",
        "cancer_history",
        "hearing_not_examined",
        "typical",
    ],
)
def test_the_presentation_decides_the_tier(fields: dict[str, object], tier: str) -> None:
    """Urgent means new or progressive; stable or explained deficits, tonic spasm, trigeminal pain, a cancer history
    or a finding not examined are contrast tier; nothing of the kind is routine (R2.1, R2.14, R2.15)."""
    evaluation = CaseBuilder().presentation(**fields).evaluate()
    assert orders(evaluation) == [tier]


@pytest.mark.parametrize(
    ("birth_date", "order"),
    [("2007-01-07", "urgent_contrast_mri"), ("2007-01-06", "order_contrast_mri")],
    ids=["17_at_presentation", "18_at_presentation"],
)
def test_a_child_is_urgent_and_childhood_onset_in_an_adult_is_contrast_tier(birth_date: str, order: str) -> None:
    """Under 18 at the presentation (2025-01-06): urgent; 18 with onset at 10: contrast tier (R2.15)."""
    story = CaseBuilder(birth_date=birth_date).presentation(symptom_onset_date="2017-01-10")
    evaluation = story.evaluate()
    assert orders(evaluation) == [order]
    assert len(alerts(evaluation, "red_flag_secondary_hfs")) == (order == "urgent_contrast_mri")


@pytest.mark.parametrize(("days", "overdue"), [(14, False), (15, True)])
def test_urgent_mri_is_due_at_14_days_and_overdue_on_day_15(days: int, overdue: bool) -> None:
    """urgent_contrast_mri is due 14 days after the presentation; urgent_imaging_overdue (critical, time-based)
    fires from day 15 and names the due date."""
    story = CaseBuilder().presentation(hearing_loss=True)
    evaluation = story.evaluate(story.today + D(days=days))
    assert rec(evaluation, "urgent_contrast_mri").due == story.today + D(days=14)
    found = alerts(evaluation, "urgent_imaging_overdue")
    assert len(found) == overdue
    if overdue:
        assert found[0].severity is Severity.CRITICAL
        assert found[0].event_index is None
        assert "2025-01-20" in found[0].text


@pytest.mark.parametrize(("days", "overdue"), [(90, False), (91, True)])
def test_a_contrast_tier_order_is_due_at_30_days_with_the_routine_overdue_alert(days: int, overdue: bool) -> None:
    story = CaseBuilder().presentation(tonic_contraction=True)
    evaluation = story.evaluate(story.today + D(days=days))
    assert rec(evaluation, "order_contrast_mri").due == story.today + D(days=30)
    assert len(alerts(evaluation, "imaging_overdue")) == overdue
    assert alerts(evaluation, "urgent_imaging_overdue") == []


def test_an_acute_deficit_needs_assessment_the_same_day() -> None:
    """acute_onset raises emergency_assessment (critical) and recommends it, due the same day, until something
    else is recorded; the urgent MRI stays ordered."""
    story = CaseBuilder().presentation(hearing_loss=True, acute_onset=True)
    evaluation = story.evaluate(story.today + D(days=2))
    assert [a.severity for a in alerts(evaluation, "emergency_assessment")] == [Severity.CRITICAL]
    assert rec(evaluation, "emergency_assessment").due == story.today
    assert rec_codes(evaluation)[:2] == ["emergency_assessment", "urgent_contrast_mri"]
    story.after(3).event("imaging_booked", booked_for=(story.today + D(days=5)).isoformat())
    assert "emergency_assessment" not in rec_codes(story.evaluate())


@pytest.mark.parametrize(
    ("fields", "patient", "missing"),
    [
        ({"facial_numbness": None}, {}, "facial numbness"),
        ({"onset_region": "unknown"}, {}, "where the spasm began"),
        ({}, {"birth_date": None}, "birth date"),
    ],
    ids=["finding_not_examined", "onset_region_unknown", "no_birth_date"],
)
def test_what_the_record_does_not_say_is_asked_for(
    fields: dict[str, object], patient: dict[str, object], missing: str
) -> None:
    """A finding not examined, an unknown onset region or a missing birth date recommends document_presentation
    while in imaging or treatment_selection, and not once treatment has started (R2.13, R2.15)."""
    story = CaseBuilder(**patient).presentation(**fields)  # type: ignore[arg-type]
    assert missing in rec(story.evaluate(), "document_presentation").text
    story.after(20).mri(contrast=True)
    assert "document_presentation" in rec_codes(story.evaluate())
    story.after(7).decide("botulinum_toxin")
    assert "document_presentation" not in rec_codes(story.evaluate())


def test_a_finding_not_examined_is_not_a_normal_finding() -> None:
    """null puts the patient at least in the contrast tier; false does not."""
    assert orders(CaseBuilder().presentation(other_cranial_nerve_signs=None).evaluate()) == ["order_contrast_mri"]
    assert orders(CaseBuilder().presentation(other_cranial_nerve_signs=False).evaluate()) == ["order_mri"]


@pytest.mark.parametrize(("fields", "stage"), [({"facial_numbness": True}, Stage.IMAGING), ({}, Stage.EXITED)])
def test_another_impression_with_an_urgent_red_flag_is_imaged_first(fields: dict[str, object], stage: Stage) -> None:
    """A focal seizure with a cranial nerve sign goes to imaging (alternative_diagnosis, warning), and leaves later
    by pathway_exit; without an urgent red flag it exits at once (R2.1)."""
    evaluation = CaseBuilder().presentation(clinical_impression="focal_seizure", **fields).evaluate()
    assert evaluation.stage is stage
    assert [a.severity for a in alerts(evaluation, "alternative_diagnosis")] == [Severity.WARNING]
    if stage is Stage.IMAGING:
        assert orders(evaluation) == ["urgent_contrast_mri"]


# Closing the work-up -----------------------------------------------------------------------------------------------


def test_a_non_contrast_mri_after_an_urgent_finding_moves_on_but_leaves_the_order_standing() -> None:
    """R2.2: the stage moves on, imaging_workup_incomplete is critical, and urgent_contrast_mri stays first among the
    recommendations of every later stage until a contrast MRI is recorded."""
    story = CaseBuilder().presentation(facial_numbness=True).after(10).mri()
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    assert [a.severity for a in alerts(evaluation, "imaging_workup_incomplete")] == [Severity.CRITICAL]
    assert rec_codes(evaluation)[0] == "urgent_contrast_mri"
    story.after(7).decide("botulinum_toxin").after(1).inject()
    assert orders(story.evaluate()) == ["urgent_contrast_mri"]
    assert len(alerts(story.evaluate(), "urgent_imaging_overdue")) == 1
    story.after(20).mri(contrast=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.BOTULINUM_TOXIN
    assert orders(evaluation) == []
    assert alerts(evaluation, "urgent_imaging_overdue") == []


def test_a_non_contrast_mri_in_the_contrast_tier_is_a_warning() -> None:
    story = CaseBuilder().presentation(multiple_sclerosis=True).after(10).mri()
    evaluation = story.evaluate()
    assert [a.severity for a in alerts(evaluation, "imaging_workup_incomplete")] == [Severity.WARNING]
    assert orders(evaluation) == ["order_contrast_mri"]


@pytest.mark.parametrize(
    ("presentation", "study", "closes", "warning"),
    [
        ({}, {"mri_not_possible": "device"}, True, "ct_limits"),
        ({}, {"mri_not_possible": "claustrophobia"}, False, None),
        ({}, {}, False, None),
        ({"tonic_contraction": True}, {"mri_not_possible": "device"}, False, None),
        ({"tonic_contraction": True}, {"mri_not_possible": "other", "contrast": True}, True, "ct_limits"),
        ({"hearing_loss": True}, {"mri_not_possible": "device", "contrast": True}, True, "ct_limits"),
    ],
    ids=[
        "routine_device",
        "routine_claustrophobia",
        "routine_no_reason",
        "contrast_tier_plain_ct",
        "contrast_tier_contrast_ct",
        "urgent_contrast_ct",
    ],
)
def test_ct_closes_a_tier_only_when_mri_is_not_possible(
    presentation: dict[str, object], study: dict[str, object], closes: bool, warning: str | None
) -> None:
    """R2.14, R2.15: CT closes the routine tier when MRI is not possible (not for claustrophobia), and the contrast
    and urgent tiers only with contrast; a CT that closes a tier raises ct_limits; ct_only_imaging is still raised."""
    story = CaseBuilder().presentation(**presentation).after(10).ct(**study)
    evaluation = story.evaluate()
    assert (orders(evaluation) == []) is closes
    assert len(alerts(evaluation, "ct_limits")) == (warning == "ct_limits")
    assert len(alerts(evaluation, "imaging_workup_incomplete")) == (not closes)
    assert len(alerts(evaluation, "ct_only_imaging")) == 1
    assert ("consider_sedated_or_open_mri" in rec_codes(evaluation)) is (
        study.get("mri_not_possible") == "claustrophobia"
    )


@pytest.mark.parametrize(
    ("presentation", "warns"), [({"tonic_contraction": True}, False), ({"hearing_loss": True}, True)]
)
def test_contrast_withheld_closes_the_contrast_tier_quietly_and_the_urgent_tier_with_a_warning(
    presentation: dict[str, object], warns: bool
) -> None:
    story = CaseBuilder().presentation(**presentation).after(10).mri(contrast_withheld="renal_impairment")
    evaluation = story.evaluate()
    assert orders(evaluation) == []
    assert alerts(evaluation, "imaging_workup_incomplete") == []
    assert len(alerts(evaluation, "contrast_withheld")) == warns


def test_a_study_not_coded_is_not_reordered_but_its_finding_is_asked_for() -> None:
    """R2.2, R2.15: a contrast MRI whose finding is not coded moves on, raises imaging_finding_not_coded, and the
    outstanding recommendation is record_imaging_finding (not a new urgent MRI); the checkpoint needs an override
    until the finding is recorded, and recording it closes the work-up."""
    story = CaseBuilder().presentation(hearing_loss=True).after(10).mri(finding="not_coded", contrast=True)
    study_date = story.today
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    assert [a.severity for a in alerts(evaluation, "imaging_finding_not_coded")] == [Severity.WARNING]
    assert orders(evaluation) == ["record_imaging_finding"]
    assert study_date.isoformat() in rec(evaluation, "record_imaging_finding").text
    story.after(7).decide("surgical_evaluation").after(7).risk_assessment().after(7).refer()
    with pytest.raises(CheckpointNotSatisfied, match="finding of the latest imaging is not recorded"):
        story.pathway()
    story.events.pop()
    story.event("imaging_finding_recorded", study_date=study_date.isoformat(), finding="neurovascular_conflict")
    story.refer()
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.MVD_REFERRAL
    assert alerts(evaluation, "checkpoint_override") == []
    assert orders(evaluation) == []


def test_a_not_coded_study_of_the_wrong_kind_leaves_the_order_standing() -> None:
    story = CaseBuilder().presentation(hearing_loss=True).after(10).mri(finding="not_coded")
    assert orders(story.evaluate()) == ["urgent_contrast_mri"]


def test_a_finding_recorded_later_can_show_a_secondary_cause() -> None:
    story = CaseBuilder().presentation().after(10).mri(finding="not_coded")
    study = story.today.isoformat()
    story.after(7).decide("botulinum_toxin").after(30).event(
        "imaging_finding_recorded", study_date=study, finding="tumour"
    )
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.SECONDARY_CAUSE
    assert len(alerts(evaluation, "secondary_cause_on_imaging")) == 1


def test_once_closed_a_later_not_coded_study_does_not_reopen_the_work_up() -> None:
    story = CaseBuilder().presentation(hearing_loss=True).after(10).mri(contrast=True)
    story.after(30).mri(finding="not_coded")
    evaluation = story.evaluate()
    assert orders(evaluation) == []
    assert len(alerts(evaluation, "imaging_finding_not_coded")) == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"study_date": "2025-01-15", "finding": "no_abnormality"}, EventNotAllowed),
        ({"study_date": "2025-01-16", "finding": "not_coded"}, InvalidEvent),
        ({"study_date": "2025-03-01", "finding": "no_abnormality"}, InvalidEvent),
    ],
    ids=["no_uncoded_study_that_day", "not_coded_again", "study_after_the_record"],
)
def test_a_finding_must_code_an_uncoded_study_on_record(fields: dict[str, object], error: type[Exception]) -> None:
    story = CaseBuilder().presentation().after(10).mri(finding="not_coded").after(7)
    story.event("imaging_finding_recorded", **fields)
    with pytest.raises(error):
        story.pathway()


def test_postoperative_change_is_only_a_finding_after_surgery() -> None:
    with pytest.raises(InvalidEvent, match="postoperative change"):
        CaseBuilder().presentation().after(10).mri(finding="postoperative_change").pathway()


# Booking and declining ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("presentation", "booked_after", "late", "severity"),
    [
        ({"hearing_loss": True}, 14, False, None),
        ({"hearing_loss": True}, 15, True, Severity.CRITICAL),
        ({}, 30, False, None),
        ({}, 31, True, Severity.WARNING),
    ],
)
def test_a_booking_after_the_due_date_is_flagged(
    presentation: dict[str, object], booked_after: int, late: bool, severity: Severity | None
) -> None:
    """imaging_booked shows the booked date on the order; booked after the due date raises imaging_booked_late,
    critical for the urgent tier (R2.15)."""
    story = CaseBuilder().presentation(**presentation)
    booked_for = story.today + D(days=booked_after)
    story.after(2).event("imaging_booked", booked_for=booked_for.isoformat())
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.IMAGING
    assert f"booked for {booked_for.isoformat()}" in rec(evaluation, orders(evaluation)[0]).text
    assert [a.severity for a in alerts(evaluation, "imaging_booked_late")] == ([severity] if late else [])


def test_a_booking_is_refused_outside_imaging_and_before_its_own_date() -> None:
    with pytest.raises(EventNotAllowed):
        CaseBuilder().to_treatment_selection().after(1).event("imaging_booked", booked_for="2025-03-01").pathway()
    with pytest.raises(InvalidEvent, match="booked_for"):
        CaseBuilder().presentation().after(3).event("imaging_booked", booked_for="2025-01-08").pathway()


def test_an_informed_refusal_ends_the_order_and_asks_for_an_override_at_the_checkpoint() -> None:
    """R2.15: informed imaging_declined in imaging moves to treatment_selection; the order is no longer recommended,
    imaging_declined (warning) is raised, and a referral needs an override."""
    story = CaseBuilder().presentation(hearing_loss=True).after(5).event("imaging_declined", informed=True)
    evaluation = story.evaluate(story.today + D(days=40))
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    assert orders(evaluation) == []
    assert alerts(evaluation, "urgent_imaging_overdue") == []
    assert [a.severity for a in alerts(evaluation, "imaging_declined")] == [Severity.WARNING]
    story.after(7).decide("surgical_evaluation").after(7).risk_assessment().after(7).refer()
    with pytest.raises(CheckpointNotSatisfied, match="imaging work-up was declined"):
        story.pathway()
    story.events[-1]["override_reason"] = "informed refusal of MRI; surgery wanted"
    assert story.evaluate().stage is Stage.MVD_REFERRAL


def test_an_uninformed_refusal_leaves_the_order_standing() -> None:
    story = CaseBuilder().presentation(hearing_loss=True).after(5).event("imaging_declined", informed=False)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.IMAGING
    assert orders(evaluation) == ["urgent_contrast_mri"]
    assert "informed refusal is not recorded" in alerts(evaluation, "imaging_declined")[0].text


def test_nothing_to_decline_once_the_work_up_is_closed() -> None:
    story = CaseBuilder().to_treatment_selection().after(3).event("imaging_declined", informed=True)
    with pytest.raises(EventNotAllowed, match="outstanding"):
        story.pathway()


# Red flags ----------------------------------------------------------------------------------------------------------


def test_a_red_flag_while_imaging_is_awaited_upgrades_the_order_from_the_red_flag() -> None:
    """R2.3: a routine order becomes urgent_contrast_mri due 14 days after the red flag; a second urgent red flag
    never moves that date later; a tonic red flag raises contrast_mri_indicated, not the critical red flag."""
    story = CaseBuilder().presentation().after(20).red_flag("facial_numbness")
    first = story.today
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.IMAGING
    assert rec(evaluation, "urgent_contrast_mri").due == first + D(days=14)
    story.after(5).red_flag("hearing_loss").after(2).red_flag("tonic_contraction")
    evaluation = story.evaluate()
    assert rec(evaluation, "urgent_contrast_mri").due == first + D(days=14)
    assert len(alerts(evaluation, "red_flag_secondary_hfs")) == 2
    assert len(alerts(evaluation, "contrast_mri_indicated")) == 1


def test_a_tonic_red_flag_during_care_is_contrast_tier() -> None:
    story = CaseBuilder().to_toxin().inject().after(30).red_flag("tonic_contraction")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.IMAGING
    assert orders(evaluation) == ["order_contrast_mri"]
    assert rec(evaluation, "order_contrast_mri").due == story.today + D(days=30)
    assert alerts(evaluation, "red_flag_secondary_hfs") == []


def test_only_a_study_after_the_red_flag_closes_its_work_up() -> None:
    """A not-coded contrast MRI from before the red flag cannot close it, even once coded."""
    story = CaseBuilder().presentation().after(10).mri(finding="not_coded", contrast=True)
    study = story.today.isoformat()
    story.after(7).decide("botulinum_toxin").after(5).red_flag("hearing_loss")
    story.after(3).event("imaging_finding_recorded", study_date=study, finding="neurovascular_conflict")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.IMAGING
    assert orders(evaluation) == ["urgent_contrast_mri"]


def test_a_red_flag_returns_a_toxin_patient_to_the_same_cycles() -> None:
    """R2.15: after a clear contrast MRI the patient is back in botulinum_toxin with the same cycles (the injection
    still awaits its response)."""
    story = CaseBuilder().to_toxin().inject().after(40).red_flag("facial_numbness").after(10).mri(contrast=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.BOTULINUM_TOXIN
    assert len(evaluation.botox_cycles) == 1
    assert "assess_botox_response" in rec_codes(evaluation)
    story.after(5).respond(peak=70, benefit=50)
    assert story.evaluate().botox_cycles[0].response_index == len(story.events) - 1


def test_a_red_flag_returns_a_post_mvd_patient_to_the_scheduled_reviews() -> None:
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer().after(30).operate()
    surgery = story.today
    story.after(45).red_flag("facial_numbness").after(10).mri(contrast=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    assert rec(evaluation, "post_mvd_review").due == add_months(surgery, 3)


def test_a_red_flag_during_a_referral_goes_back_through_the_checkpoint() -> None:
    """Invariant 1: mvd_referral is only entered through the checkpoint, so a clear study returns the patient to
    surgical_evaluation with the new imaging."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer()
    story.after(10).red_flag("hearing_loss").after(10).mri(contrast=True)
    assert story.evaluate().stage is Stage.SURGICAL_EVALUATION


def test_a_red_flag_after_discharge_is_imaged_and_a_clear_study_discharges_again() -> None:
    story = CaseBuilder().presentation().after(10).mri(finding="tumour").after(90)
    story.event("secondary_cause_outcome", outcome="resolved").after(400).red_flag("other_cranial_nerve_signs")
    assert story.evaluate().stage is Stage.IMAGING
    story.after(7).mri(contrast=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.DISCHARGED
    assert orders(evaluation) == []


@pytest.mark.parametrize(
    ("days", "finding", "stage"),
    [
        (30, "facial_weakness", Stage.POST_MVD),
        (30, "hearing_loss", Stage.POST_MVD),
        (31, "facial_weakness", Stage.IMAGING),
        (10, "facial_numbness", Stage.IMAGING),
    ],
)
def test_new_weakness_or_hearing_loss_within_30_days_of_mvd_is_a_complication(
    days: int, finding: str, stage: Stage
) -> None:
    """R2.15: within 30 days of surgery new weakness or hearing loss stays in post_mvd with mvd_complication and
    contact_neurosurgery (until the next review); from day 31, or for another sign, it is a red flag."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer().after(30).operate()
    story.after(days).red_flag(finding)
    evaluation = story.evaluate()
    assert evaluation.stage is stage
    complication = stage is Stage.POST_MVD
    assert ("contact_neurosurgery" in rec_codes(evaluation)) is complication
    assert bool([a for a in alerts(evaluation, "mvd_complication") if a.event_index == len(story.events) - 1]) is (
        complication
    )
    if complication:
        story.after(60).post_mvd("improved")
        assert "contact_neurosurgery" not in rec_codes(story.evaluate())


# The checkpoint -----------------------------------------------------------------------------------------------------


def test_no_dedicated_mri_is_a_caution_modifier_with_its_order() -> None:
    """R2.2: without an MRI with high-resolution T2, the no_dedicated_mri modifier makes the verdict caution and
    surgical_evaluation recommends order_dedicated_mri [R9][R10]."""
    story = CaseBuilder().presentation().after(10).mri(high_resolution_t2=False).after(7).decide("surgical_evaluation")
    story.after(7).risk_assessment()
    evaluation = story.evaluate()
    assert evaluation.risk_benefit is not None
    assert "no_dedicated_mri" in [m.code for m in evaluation.risk_benefit.modifiers]
    assert evaluation.risk_benefit.verdict.value == "caution"
    assert "order_dedicated_mri" in rec_codes(evaluation)
    dedicated = CaseBuilder().to_surgical_evaluation().risk_assessment().evaluate()
    assert "order_dedicated_mri" not in rec_codes(dedicated)
    assert dedicated.risk_benefit is not None
    assert dedicated.risk_benefit.verdict.value == "favourable"


def test_a_later_study_is_accepted_in_care_and_a_secondary_cause_still_leads_to_secondary_cause() -> None:
    story = CaseBuilder().to_toxin().inject().after(40).mri(finding="demyelination", contrast=True)
    assert story.evaluate().stage is Stage.SECONDARY_CAUSE
    story = CaseBuilder().to_toxin().inject().after(40).mri(finding="no_abnormality", contrast=True)
    assert story.evaluate().stage is Stage.BOTULINUM_TOXIN


def test_postoperative_change_after_surgery_is_not_a_secondary_cause() -> None:
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer().after(30).operate()
    story.after(60).mri(finding="postoperative_change", contrast=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    assert alerts(evaluation, "mvd_complication")[-1].event_index == len(story.events) - 1


RETURNS = {
    Stage.OBSERVATION: lambda b: b.to_treatment_selection().after(7).decide("observation"),
    Stage.ORAL_MEDICATION: lambda b: (
        b.to_treatment_selection().after(7).decide("oral_medication").after(1).start_drug()
    ),
    Stage.WANING_RESPONSE: lambda b: b.to_toxin().cycle(peak=40).cycle(peak=40),
    Stage.POST_MVD: lambda b: b.to_surgical_evaluation().risk_assessment().after(7).refer().after(30).operate(),
}


@pytest.mark.parametrize("stage", list(RETURNS), ids=str)
@pytest.mark.parametrize("how", ["clear_contrast_mri", "informed_refusal"])
def test_a_clear_study_or_an_informed_refusal_returns_the_patient_where_the_red_flag_found_them(
    stage: Stage, how: str
) -> None:
    """R2.15: the red flag remembers the stage it interrupted; a study without a secondary cause, or an informed
    refusal of imaging, returns the patient there (what entering that stage resets is kept)."""
    story = RETURNS[stage](CaseBuilder())
    assert story.pathway().stage is stage
    story.after(45).red_flag("facial_numbness").after(7)
    if how == "clear_contrast_mri":
        story.mri(contrast=True)
    else:
        story.event("imaging_declined", informed=True)
    evaluation = story.evaluate()
    assert evaluation.stage is stage
    assert evaluation.history[-1].from_stage is Stage.IMAGING
    assert orders(evaluation) == []
    if stage is Stage.ORAL_MEDICATION:
        story.after(20).review_drug()  # the drug started before the red flag is still the current course
        assert story.evaluate().stage is Stage.ORAL_MEDICATION


# Work-ups built for speed --------------------------------------------------------------------------------------


def test_a_work_up_built_as_a_plain_tuple_is_the_one_the_named_fields_describe() -> None:
    """The fresh and the closed work-up are built field by field for speed: they must equal what the named
    constructor and ``_replace`` build, field for field (a reordered field would fail here)."""
    day = dt.date(2025, 3, 4)
    g = default_guideline()
    fresh = open_workup(None, WorkupTier.URGENT, day, ("new hearing loss",), g, acute=True)
    assert type(fresh) is Workup
    assert fresh == Workup(WorkupTier.URGENT, day, day + D(g.urgent_imaging_due_days), ("new hearing loss",), acute=day)
    routine = open_workup(None, WorkupTier.ROUTINE, day, (), g)
    assert routine == Workup(WorkupTier.ROUTINE, day, day + D(g.mri_due_days), ())
    study = ImagingResult(date=day + D(3), modality="mri", contrast=True, finding="no_abnormality")
    worked_on = fresh._replace(incomplete=True, not_coded_study=day + D(1), booked_for=day + D(2), claustrophobia=True)
    closed = worked_on.closed(study)
    assert type(closed) is Workup
    assert closed == worked_on._replace(status=WorkupStatus.CLOSED, not_coded_study=None, closed_with=study)
    assert closed.closed_by == f"MRI with contrast on {study.date.isoformat()}"


def test_the_features_of_a_presentation_built_as_a_plain_tuple_are_the_named_fields() -> None:
    """A presentation's features are built field by field for speed: each named field must hold what its name
    says (a reordered field would fail here)."""
    from hfs_pathway._events import Presentation
    from hfs_pathway._vocabulary import OnsetRegion, Side

    g = default_guideline()
    p = Presentation(
        date="2025-03-04",
        symptom_onset_date="2024-09-01",
        side="left",
        onset_region="lower_face",
        clinical_impression="hemifacial_spasm",
        hearing_loss=True,
        acute_onset=True,
    )
    features = presentation_features(p, dt.date(1990, 5, 6), g)
    assert features.urgent == ("hearing loss", "a deficit of acute onset")
    assert features.contrast == ("onset at age 34, before 40", "onset in the lower face")
    assert features.acute is True
    assert features.onset_age == 34
    assert features.tier is WorkupTier.URGENT
    assert (features.bilateral, features.lower_face_onset) == (False, True)
    plain = presentation_features(p.model_copy(update={"hearing_loss": False, "acute_onset": False}), None, g)
    assert type(features) is type(plain) is PresentationFeatures
    assert (plain.urgent, plain.contrast) == ((), ("onset in the lower face",))
    assert (plain.acute, plain.onset_age) == (False, None)
    assert plain.tier is WorkupTier.CONTRAST
    both_sides = p.model_copy(update={"side": Side.BILATERAL, "onset_region": OnsetRegion.PERIOCULAR})
    features = presentation_features(both_sides, None, g)
    assert (features.bilateral, features.lower_face_onset) == (True, False)
