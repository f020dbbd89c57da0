"""Presentation and imaging (spec §3, revision 2): who enters the pathway, which tier of imaging the first visit
calls for, what the scan decides, when the scan is due, and how a red flag sends the patient back to imaging and,
after a clear study, back where they were. The finer rules of the work-up are in test_workup.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from hfs_pathway import EventNotAllowed, Severity, Stage
from tests.builder import CaseBuilder, alerts, rec, rec_codes

D = dt.timedelta


# Presentation: who enters the pathway ------------------------------------------------------------

ALTERNATIVE_IMPRESSIONS = [
    "blepharospasm",
    "post_facial_palsy_synkinesis",
    "facial_myokymia",
    "tic",
    "functional",
    "hemimasticatory_spasm",
    "focal_seizure",
    "other",
]

URGENT_FIELDS = [
    "facial_weakness",
    "facial_numbness",
    "hearing_loss",
    "other_cranial_nerve_signs",
    "long_tract_or_cerebellar_signs",
    "rapid_progression",
]
"""R2.1, R2.15: a new or progressive deficit or a fast course: urgent contrast MRI within 14 days."""

CONTRAST_FIELDS = [
    "tonic_contraction",
    "multiple_sclerosis",
    "prior_posterior_fossa_or_parotid_lesion",
    "facial_trauma",
    "prior_facial_palsy",
    "facial_pain",
    "head_neck_or_skin_cancer_history",
]
"""R2.1, R2.15: features that favour a secondary cause without being emergencies: contrast MRI within 30 days."""


@pytest.mark.parametrize("impression", ["hemifacial_spasm", "uncertain"])
def test_suspected_hemifacial_spasm_is_sent_for_imaging(impression: str) -> None:
    """Hemifacial spasm, certain or suspected, goes to imaging before anything else."""
    story = CaseBuilder().presentation(clinical_impression=impression)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.IMAGING
    assert not evaluation.final
    assert [(h.index, h.from_stage, h.to_stage) for h in evaluation.history] == [(0, Stage.PRESENTATION, Stage.IMAGING)]
    assert alerts(evaluation, "alternative_diagnosis") == []


@pytest.mark.parametrize("impression", ALTERNATIVE_IMPRESSIONS)
def test_another_diagnosis_leaves_the_pathway_with_an_alert(impression: str) -> None:
    """Any other clinical impression without an urgent red flag exits the pathway, with the alert
    alternative_diagnosis (a warning since revision 2)."""
    evaluation = CaseBuilder().presentation(clinical_impression=impression).evaluate()
    assert evaluation.stage is Stage.EXITED
    assert evaluation.final
    found = alerts(evaluation, "alternative_diagnosis")
    assert len(found) == 1
    assert found[0].event_index == 0
    assert found[0].severity is Severity.WARNING
    assert found[0].date == dt.date(2025, 1, 6)
    assert evaluation.recommendations == ()


# Presentation: red flags --------------------------------------------------------------------------


@pytest.mark.parametrize("field", URGENT_FIELDS)
def test_each_urgent_finding_at_presentation_asks_for_urgent_contrast_mri_in_14_days(field: str) -> None:
    """Each urgent finding raises red_flag_secondary_hfs (critical) and orders urgent_contrast_mri due 14 days on."""
    story = CaseBuilder().presentation(**{field: True})
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.IMAGING
    found = alerts(evaluation, "red_flag_secondary_hfs")
    assert len(found) == 1
    assert found[0].severity is Severity.CRITICAL
    assert found[0].event_index == 0
    codes = rec_codes(evaluation)
    assert codes[0] == "urgent_contrast_mri"
    assert "order_mri" not in codes
    assert "order_contrast_mri" not in codes
    assert rec(evaluation, "urgent_contrast_mri").due == story.today + D(days=14)
    assert alerts(evaluation, "contrast_mri_indicated") == []


@pytest.mark.parametrize("field", CONTRAST_FIELDS)
def test_each_contrast_feature_at_presentation_asks_for_contrast_mri_in_30_days(field: str) -> None:
    """Each contrast-tier feature raises contrast_mri_indicated (warning) and orders order_contrast_mri due 30 days
    on; none raises the critical red flag (hemifacial spasm itself is clonic and/or tonic)."""
    story = CaseBuilder().presentation(**{field: True})
    evaluation = story.evaluate()
    found = alerts(evaluation, "contrast_mri_indicated")
    assert len(found) == 1
    assert found[0].severity is Severity.WARNING
    assert alerts(evaluation, "red_flag_secondary_hfs") == []
    assert rec(evaluation, "order_contrast_mri").due == story.today + D(days=30)
    assert "urgent_contrast_mri" not in rec_codes(evaluation)
    assert "order_mri" not in rec_codes(evaluation)


def test_typical_presentation_without_red_flags_orders_a_routine_mri() -> None:
    """No red flag: no red_flag_secondary_hfs alert, and a routine order_mri rather than an urgent one."""
    story = CaseBuilder().presentation(persists_in_sleep=True, other_babinski_sign=True)
    evaluation = story.evaluate()
    assert alerts(evaluation, "red_flag_secondary_hfs") == []
    assert alerts(evaluation, "contrast_mri_indicated") == []
    assert "urgent_contrast_mri" not in rec_codes(evaluation)
    assert "order_contrast_mri" not in rec_codes(evaluation)
    assert rec(evaluation, "order_mri").due == story.today + D(days=30)


# Presentation: age at onset, side, region ------------------------------------------------------------


@pytest.mark.parametrize(
    ("onset", "young"),
    [("2005-03-01", True), ("2005-03-02", False)],
    ids=["onset_the_day_before_40th_birthday", "onset_on_40th_birthday"],
)
def test_young_onset_is_judged_from_the_symptom_onset_date(onset: str, young: bool) -> None:
    """Onset at 39 (from symptom_onset_date) raises young_onset (info since revision 2) and puts the patient in the
    contrast tier; onset at exactly 40 does neither."""
    evaluation = CaseBuilder(birth_date="1965-03-02").presentation(symptom_onset_date=onset).evaluate()
    found = alerts(evaluation, "young_onset")
    if young:
        assert len(found) == 1
        assert found[0].severity is Severity.INFO
        assert found[0].event_index == 0
        assert "order_contrast_mri" in rec_codes(evaluation)
    else:
        assert found == []
        assert "order_mri" in rec_codes(evaluation)


@pytest.mark.parametrize(
    ("birth_date", "young"),
    [("1985-01-07", True), ("1985-01-06", False)],
    ids=["39_at_presentation", "40_at_presentation"],
)
def test_young_onset_falls_back_to_the_presentation_date(birth_date: str, young: bool) -> None:
    """Without a symptom onset date, the age at the presentation (2025-01-06) decides."""
    evaluation = CaseBuilder(birth_date=birth_date).presentation().evaluate()
    assert len(alerts(evaluation, "young_onset")) == (1 if young else 0)


def test_symptom_onset_date_takes_precedence_over_the_presentation_date() -> None:
    """Spasm began at 39 in a patient now 44: the onset age, not today's age, counts."""
    evaluation = CaseBuilder(birth_date="1980-06-01").presentation(symptom_onset_date="2019-06-01").evaluate()
    assert len(alerts(evaluation, "young_onset")) == 1


def test_no_young_onset_alert_without_a_birth_date() -> None:
    """The age at onset is unknown without a birth date, so young_onset never fires."""
    evaluation = CaseBuilder(birth_date=None).presentation(symptom_onset_date="2024-01-01").evaluate()
    assert alerts(evaluation, "young_onset") == []
    assert evaluation.stage is Stage.IMAGING


@pytest.mark.parametrize(("side", "expected"), [("bilateral", 1), ("left", 0), ("right", 0)])
def test_bilateral_spasm_raises_bilateral_symptoms(side: str, expected: int) -> None:
    """Spasm on both sides raises bilateral_symptoms (info; contrast_mri_indicated sums it up)."""
    evaluation = CaseBuilder().presentation(side=side).evaluate()
    found = alerts(evaluation, "bilateral_symptoms")
    assert len(found) == expected
    assert len(alerts(evaluation, "contrast_mri_indicated")) == expected
    if expected:
        assert found[0].severity is Severity.INFO
        assert found[0].event_index == 0


@pytest.mark.parametrize(("region", "expected"), [("lower_face", 1), ("periocular", 0), ("other", 0)])
def test_lower_face_onset_raises_atypical_onset(region: str, expected: int) -> None:
    """Spasm that began in the lower face raises atypical_onset (info; contrast_mri_indicated sums it up)."""
    evaluation = CaseBuilder().presentation(onset_region=region).evaluate()
    found = alerts(evaluation, "atypical_onset")
    assert len(found) == expected
    assert len(alerts(evaluation, "contrast_mri_indicated")) == expected
    if expected:
        assert found[0].severity is Severity.INFO


@pytest.mark.parametrize(
    ("fields", "emg", "movement_disorders"),
    [
        ({"clinical_impression": "uncertain"}, True, True),
        ({"prior_facial_palsy": True}, True, False),
        ({"side": "bilateral"}, False, True),
        ({}, False, False),
    ],
    ids=["uncertain", "prior_facial_palsy", "bilateral", "typical"],
)
def test_emg_and_movement_disorder_referral_for_doubtful_cases(
    fields: dict[str, object], emg: bool, movement_disorders: bool
) -> None:
    """Uncertain impression or prior facial palsy -> consider_emg;
    uncertain impression or bilateral spasm -> refer_movement_disorders."""
    codes = rec_codes(CaseBuilder().presentation(**fields).evaluate())
    assert ("consider_emg" in codes) is emg
    assert ("refer_movement_disorders" in codes) is movement_disorders


# Imaging ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finding", "specialty"),
    [
        ("tumour", "neurosurgery"),
        ("demyelination", "neurology"),
        ("vascular_malformation", "vascular"),
        ("other_structural", "neurosurgery"),
    ],
)
def test_secondary_cause_on_mri_goes_to_its_specialty(finding: str, specialty: str) -> None:
    """A structural or demyelinating cause leads to secondary_cause, recommending refer_secondary_cause
    that names the specialty; never straight to treatment."""
    story = CaseBuilder().presentation().after(10).mri(finding=finding)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.SECONDARY_CAUSE
    assert evaluation.history[-1].from_stage is Stage.IMAGING
    referral = rec(evaluation, "refer_secondary_cause")
    assert specialty in referral.text.lower()
    assert "offer_botulinum_toxin" not in rec_codes(evaluation)


def test_secondary_cause_on_ct_also_goes_to_secondary_cause() -> None:
    """The modality does not matter: a tumour on CT still leads to secondary_cause."""
    evaluation = CaseBuilder().presentation().after(10).ct(finding="tumour").evaluate()
    assert evaluation.stage is Stage.SECONDARY_CAUSE
    assert len(alerts(evaluation, "ct_only_imaging")) == 1


@pytest.mark.parametrize("finding", ["neurovascular_conflict", "no_abnormality"])
def test_conflict_or_normal_mri_establishes_primary_hfs(finding: str) -> None:
    """A neurovascular conflict, or no abnormality, leads to treatment_selection."""
    evaluation = CaseBuilder().presentation().after(10).mri(finding=finding).evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    assert evaluation.history[-1].index == 1
    assert alerts(evaluation, "ct_only_imaging") == []


def test_ct_imaging_raises_ct_only_imaging() -> None:
    """CT cannot show the conflict: ct_only_imaging (warning) from the imaging event; no_nvc_on_imaging is not raised
    for CT (R2.2), and the routine work-up stays open (order_mri, imaging_workup_incomplete as a warning)."""
    evaluation = CaseBuilder().presentation().after(10).ct().evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    found = alerts(evaluation, "ct_only_imaging")
    assert len(found) == 1
    assert found[0].event_index == 1
    assert found[0].severity is Severity.WARNING
    assert "cannot show a neurovascular conflict" in found[0].text
    assert alerts(evaluation, "no_nvc_on_imaging") == []
    assert [a.severity for a in alerts(evaluation, "imaging_workup_incomplete")] == [Severity.WARNING]
    assert rec_codes(evaluation)[0] == "order_mri"


def test_a_conflict_reported_on_ct_is_accepted_with_a_correction() -> None:
    """A CT reported as showing a conflict is accepted, but ct_only_imaging says CT cannot show one."""
    evaluation = CaseBuilder().presentation().after(10).ct(finding="neurovascular_conflict").evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    assert "CT cannot show one" in alerts(evaluation, "ct_only_imaging")[0].text


def test_normal_mri_raises_no_nvc_on_imaging_but_conflict_does_not() -> None:
    """no_abnormality raises no_nvc_on_imaging (info, not a contraindication); a conflict raises nothing."""
    normal = CaseBuilder().presentation().after(10).mri(finding="no_abnormality").evaluate()
    found = alerts(normal, "no_nvc_on_imaging")
    assert len(found) == 1
    assert found[0].severity is Severity.INFO
    assert found[0].event_index == 1
    conflict = CaseBuilder().presentation().after(10).mri().evaluate()
    assert alerts(conflict, "no_nvc_on_imaging") == []


# Imaging: time -----------------------------------------------------------------------------------------


def test_mri_is_due_30_days_after_presentation() -> None:
    """order_mri carries a due date 30 days after the presentation, whatever the evaluation date."""
    story = CaseBuilder().on("2025-01-06").presentation()
    assert rec(story.evaluate("2025-01-20"), "order_mri").due == dt.date(2025, 2, 5)
    assert rec(story.evaluate("2025-03-01"), "order_mri").due == dt.date(2025, 2, 5)


@pytest.mark.parametrize(("days", "overdue"), [(90, False), (91, True)])
def test_imaging_overdue_after_more_than_90_days(days: int, overdue: bool) -> None:
    """imaging_overdue fires once more than 90 days have passed since presentation with no result."""
    story = CaseBuilder().presentation()
    as_of = story.today + D(days=days)
    found = alerts(story.evaluate(as_of), "imaging_overdue")
    if overdue:
        assert len(found) == 1
        assert found[0].event_index is None
        assert found[0].date == as_of
        assert found[0].severity is Severity.WARNING
    else:
        assert found == []


def test_no_imaging_overdue_once_the_result_is_in() -> None:
    """A recorded result ends the imaging clock."""
    story = CaseBuilder().presentation().after(80).mri()
    assert alerts(story.evaluate(story.today + D(days=200)), "imaging_overdue") == []


# Red flag during care ---------------------------------------------------------------------------------


def _treatment_selection(b: CaseBuilder) -> CaseBuilder:
    return b.to_treatment_selection()


def _observation(b: CaseBuilder) -> CaseBuilder:
    return b.to_treatment_selection().after(7).decide("observation")


def _oral_medication(b: CaseBuilder) -> CaseBuilder:
    return b.to_treatment_selection().after(7).decide("oral_medication").after(1).start_drug()


def _botulinum_toxin(b: CaseBuilder) -> CaseBuilder:
    return b.to_toxin().inject()


def _waning_response(b: CaseBuilder) -> CaseBuilder:
    return b.to_toxin().cycle(peak=40).cycle(peak=40)


def _surgical_evaluation(b: CaseBuilder) -> CaseBuilder:
    return b.to_surgical_evaluation().risk_assessment()


def _mvd_referral(b: CaseBuilder) -> CaseBuilder:
    return b.to_surgical_evaluation().risk_assessment().after(7).refer()


RED_FLAG_STAGES: dict[Stage, Callable[[CaseBuilder], CaseBuilder]] = {
    Stage.TREATMENT_SELECTION: _treatment_selection,
    Stage.OBSERVATION: _observation,
    Stage.ORAL_MEDICATION: _oral_medication,
    Stage.BOTULINUM_TOXIN: _botulinum_toxin,
    Stage.WANING_RESPONSE: _waning_response,
    Stage.SURGICAL_EVALUATION: _surgical_evaluation,
    Stage.MVD_REFERRAL: _mvd_referral,
}


@pytest.mark.parametrize("stage", list(RED_FLAG_STAGES), ids=str)
def test_new_red_flag_sends_the_patient_back_to_urgent_imaging(stage: Stage) -> None:
    """A red_flag from any accepting stage -> imaging, red_flag_secondary_hfs (critical), urgent_contrast_mri
    due 14 days after the red flag, and urgent_imaging_overdue from day 15 (not day 14); the routine
    imaging_overdue does not fire for the urgent tier."""
    story = RED_FLAG_STAGES[stage](CaseBuilder())
    assert story.pathway().stage is stage
    story.after(100).red_flag("hearing_loss")
    flag_index = len(story.events) - 1
    flag_date = story.today
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.IMAGING
    assert (evaluation.history[-1].from_stage, evaluation.history[-1].to_stage) == (stage, Stage.IMAGING)
    flags = [a for a in alerts(evaluation, "red_flag_secondary_hfs") if a.event_index == flag_index]
    assert len(flags) == 1
    assert flags[0].severity is Severity.CRITICAL
    assert flags[0].date == flag_date
    assert rec(evaluation, "urgent_contrast_mri").due == flag_date + D(days=14)
    assert "order_mri" not in rec_codes(evaluation)
    assert alerts(story.evaluate(flag_date + D(days=14)), "urgent_imaging_overdue") == []
    overdue = alerts(story.evaluate(flag_date + D(days=15)), "urgent_imaging_overdue")
    assert [(a.severity, a.event_index) for a in overdue] == [(Severity.CRITICAL, None)]
    assert alerts(story.evaluate(flag_date + D(days=91)), "imaging_overdue") == []


@pytest.mark.parametrize("stage", [Stage.PRESENTATION, Stage.SECONDARY_CAUSE, Stage.EXITED], ids=str)
def test_red_flag_is_not_accepted_outside_its_stages(stage: Stage) -> None:
    """red_flag is accepted at every point of care from imaging on (R2.3) but not before the presentation, while a
    secondary cause is managed by its specialty, or after the patient left; there it is event_not_allowed."""
    openings: dict[Stage, Callable[[CaseBuilder], CaseBuilder]] = {
        Stage.PRESENTATION: lambda b: b,
        Stage.SECONDARY_CAUSE: lambda b: b.presentation().after(5).mri(finding="tumour"),
        Stage.EXITED: lambda b: b.presentation().after(5).leave(),
    }
    story = openings[stage](CaseBuilder())
    story.after(3).red_flag()
    with pytest.raises(EventNotAllowed) as info:
        story.pathway()
    assert info.value.event_index == len(story.events) - 1
    assert info.value.stage == stage.value


def test_after_a_red_flag_a_clear_mri_returns_to_where_the_patient_was() -> None:
    """Imaging after a red flag decides again: a study without a secondary cause returns the patient to the stage
    the red flag interrupted (R2.15), here toxin cycles."""
    story = _botulinum_toxin(CaseBuilder()).after(30).red_flag("facial_numbness").after(10).mri(contrast=True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.BOTULINUM_TOXIN
    assert [h.to_stage for h in evaluation.history[-2:]] == [Stage.IMAGING, Stage.BOTULINUM_TOXIN]
    assert "urgent_contrast_mri" not in rec_codes(evaluation)


# Secondary cause outcomes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "stage", "final"),
    [
        ("spasm_persists", Stage.TREATMENT_SELECTION, False),
        ("resolved", Stage.DISCHARGED, True),
        ("managed_elsewhere", Stage.EXITED, True),
    ],
)
def test_what_became_of_the_spasm_after_the_secondary_cause(outcome: str, stage: Stage, final: bool) -> None:
    """spasm_persists -> treatment_selection; resolved -> discharged (final); managed_elsewhere -> exited."""
    story = CaseBuilder().presentation().after(10).mri(finding="tumour").after(120)
    story.event("secondary_cause_outcome", outcome=outcome)
    evaluation = story.evaluate()
    assert evaluation.stage is stage
    assert evaluation.final is final
    last = evaluation.history[-1]
    assert (last.index, last.from_stage, last.to_stage) == (2, Stage.SECONDARY_CAUSE, stage)
    if final:
        assert evaluation.recommendations == ()
