"""The MVD risk-benefit checkpoint (spec §3, surgical_evaluation and mvd_referral): what it recommends,
the verdict and its modifiers, the counselling figures, and the conditions a referral must meet."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from hfs_pathway import (
    CheckpointNotSatisfied,
    InvalidEvent,
    Severity,
    Stage,
    Verdict,
    load_case,
    requirements_for,
)
from hfs_pathway._change import Change
from hfs_pathway._events import RiskBenefitDecision
from hfs_pathway._hfs import HFS_PATHWAY
from hfs_pathway._pathway import Pathway
from hfs_pathway._surgery import checkpoint_conditions
from hfs_pathway.cohort._synth import synthetic_cases
from tests.builder import CaseBuilder, alerts, last_index, rec_codes

D = dt.timedelta


def at_checkpoint_after(imaging: Callable[[CaseBuilder], CaseBuilder], **patient: Any) -> CaseBuilder:
    """Presentation, the given imaging, a decision for surgical evaluation, two weeks on."""
    story = imaging(CaseBuilder(**patient).presentation().after(21))
    return story.after(14).decide("surgical_evaluation").after(14)


def after_secondary_cause(b: CaseBuilder) -> CaseBuilder:
    """A tumour was found and managed, but the spasm persists: back to treatment selection."""
    story = b.presentation().after(21).mri(finding="tumour").after(90)
    return story.event("secondary_cause_outcome", outcome="spasm_persists")


# Recommendations at the checkpoint ----------------------------------------------------------------------


def test_checkpoint_asks_for_risk_assessment_audiometry_and_discussion() -> None:
    """Before any assessment: assess_surgical_risk, obtain_audiometry and shared_decision_discussion."""
    evaluation = CaseBuilder().to_surgical_evaluation().evaluate()
    assert evaluation.stage is Stage.SURGICAL_EVALUATION
    assert set(rec_codes(evaluation)) == {"assess_surgical_risk", "obtain_audiometry", "shared_decision_discussion"}
    assert evaluation.risk_benefit is None


def test_audiometry_is_asked_for_until_it_is_done() -> None:
    """An assessment without baseline audiometry keeps obtain_audiometry; with it, only the discussion remains."""
    without = CaseBuilder().to_surgical_evaluation().risk_assessment(baseline_audiometry_done=False).evaluate()
    assert set(rec_codes(without)) == {"obtain_audiometry", "shared_decision_discussion"}
    done = CaseBuilder().to_surgical_evaluation().risk_assessment().evaluate()
    assert rec_codes(done) == ["shared_decision_discussion"]


def test_expired_risk_assessment_is_asked_for_again() -> None:
    """The assessment is valid 180 days; after that assess_surgical_risk is recommended again."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment()
    assessed = story.today
    assert "assess_surgical_risk" not in rec_codes(story.evaluate(assessed + D(days=180)))
    assert "assess_surgical_risk" in rec_codes(story.evaluate(assessed + D(days=181)))


# Verdict -------------------------------------------------------------------------------------------------


def test_healthy_patient_with_a_conflict_on_mri_has_a_favourable_verdict() -> None:
    """No modifier applies: favourable, valid 180 days, dated and indexed by the assessment."""
    story = CaseBuilder(birth_date="1965-03-02").to_surgical_evaluation().risk_assessment(asa_class=2)
    risk = story.pathway().risk_benefit
    assert risk is not None
    assert risk.verdict is Verdict.FAVOURABLE
    assert risk.modifiers == ()
    assert risk.event_index == last_index(story)
    assert risk.date == story.today
    assert risk.valid_until == story.today + D(days=180)
    assert risk.audiometry_done is True


def _mri(**fields: Any) -> Callable[[CaseBuilder], CaseBuilder]:
    return lambda b: b.mri(**fields)


def _ct(b: CaseBuilder) -> CaseBuilder:
    """CT angiography showing a conflict: CT only, but a conflict was seen."""
    return b.ct(finding="neurovascular_conflict")


CAUTION_CASES: list[tuple[str, Callable[[CaseBuilder], CaseBuilder], dict[str, Any]]] = [
    ("asa_class", _mri(), {"asa_class": 3}),
    ("diabetes", _mri(), {"diabetes": True}),
    ("hypertension", _mri(), {"hypertension": True}),
    ("vertebral_artery_offender", _mri(offending_vessel="vertebral"), {}),
    ("prior_posterior_fossa_surgery", _mri(), {"prior_posterior_fossa_surgery": True}),
    ("anticoagulation", _mri(), {"anticoagulation": True, "anticoagulation_can_pause": True}),
    ("anticoagulation", _mri(), {"anticoagulation": True}),
    ("no_conflict_on_imaging", _mri(finding="no_abnormality"), {}),
    ("ct_only_imaging", _ct, {}),
]


@pytest.mark.parametrize(
    ("modifier", "imaging", "fields"),
    CAUTION_CASES,
    ids=[
        "asa_3",
        "diabetes",
        "hypertension",
        "vertebral_offender",
        "prior_posterior_fossa_surgery",
        "anticoagulation_can_pause",
        "anticoagulation_pause_unknown",
        "no_conflict",
        "ct_only",
    ],
)
def test_each_modifier_alone_gives_a_caution_verdict(
    modifier: str, imaging: Callable[[CaseBuilder], CaseBuilder], fields: dict[str, Any]
) -> None:
    """A single modifier, and nothing else, gives the verdict caution naming that modifier."""
    story = at_checkpoint_after(imaging, birth_date="1965-03-02").risk_assessment(**fields)
    risk = story.pathway().risk_benefit
    assert risk is not None
    assert risk.verdict is Verdict.CAUTION
    assert [m.code for m in risk.modifiers] == [modifier]


@pytest.mark.parametrize(
    ("assessed_on", "verdict", "modifiers"),
    [("2025-03-02", Verdict.CAUTION, ["older_age"]), ("2025-03-01", Verdict.FAVOURABLE, [])],
    ids=["60_at_assessment", "59_at_assessment"],
)
def test_age_60_at_the_assessment_is_a_modifier(assessed_on: str, verdict: Verdict, modifiers: list[str]) -> None:
    """Age 60 or more on the day of the assessment adds older_age (hearing); 59 does not."""
    story = CaseBuilder(birth_date="1965-03-02").to_surgical_evaluation().on(assessed_on).risk_assessment()
    risk = story.pathway().risk_benefit
    assert risk is not None
    assert risk.verdict is verdict
    assert [m.code for m in risk.modifiers] == modifiers


def test_age_alone_is_never_a_contraindication() -> None:
    """An otherwise healthy 85-year-old gets caution (older_age), never unfavourable."""
    story = CaseBuilder(birth_date="1940-01-01").to_surgical_evaluation().risk_assessment(asa_class=1)
    risk = story.pathway().risk_benefit
    assert risk is not None
    assert risk.verdict is Verdict.CAUTION
    assert [m.code for m in risk.modifiers] == ["older_age"]


@pytest.mark.parametrize(
    "fields",
    [{"asa_class": 4}, {"asa_class": 5}, {"anticoagulation": True, "anticoagulation_can_pause": False}],
    ids=["asa_4", "asa_5", "anticoagulation_cannot_pause"],
)
def test_high_asa_class_or_unpausable_anticoagulation_is_unfavourable(fields: dict[str, Any]) -> None:
    """ASA 4 or more, or anticoagulation that cannot pause, makes the verdict unfavourable."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment(**fields)
    evaluation = story.evaluate()
    assert evaluation.risk_benefit is not None
    assert evaluation.risk_benefit.verdict is Verdict.UNFAVOURABLE
    assert [a.event_index for a in alerts(evaluation, "surgical_risk_unfavourable")] == [last_index(story)]


def test_risk_benefit_figures_match_the_guideline() -> None:
    """The counselling figures are those of spec §3, with revision 2's permanent facial palsy (0.9-2%) and
    stroke or brainstem ischaemia (0.1-0.3%) (R2.8)."""
    risk = CaseBuilder().to_surgical_evaluation().risk_assessment().pathway().risk_benefit
    assert risk is not None
    benefits = {b.code: (b.percent_low, b.percent_high) for b in risk.benefits}
    assert benefits["complete_relief"] == (85.0, 91.0)
    assert benefits["delayed_relief"] == (25.0, 33.0)
    low, high = benefits["recurrence_5_years"]
    assert 2.5 <= low <= high <= 3.5
    risks = {r.code: (r.percent_low, r.percent_high, r.permanent) for r in risk.risks}
    assert risks == {
        "hearing_loss": (2.0, 3.0, True),
        "facial_palsy": (0.9, 2.0, True),
        "facial_palsy_transient": (6.0, 10.0, False),
        "csf_leak": (1.4, 3.0, False),
        "lower_cranial_nerve": (0.5, 1.0, True),
        "stroke": (0.1, 0.3, True),
        "death": (0.1, 0.1, True),
    }
    assert all(r.evidence for r in risk.risks)


# The referral checkpoint ------------------------------------------------------------------------------------


def test_referral_within_180_days_of_the_assessment_passes() -> None:
    """Informed consent and an assessment exactly 180 days before: mvd_referral, no override alert."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(180).refer()
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.MVD_REFERRAL
    last = evaluation.history[-1]
    assert (last.index, last.from_stage, last.to_stage) == (
        last_index(story),
        Stage.SURGICAL_EVALUATION,
        Stage.MVD_REFERRAL,
    )
    assert alerts(evaluation, "checkpoint_override") == []


@pytest.mark.parametrize(
    ("days", "decision", "unmet"),
    [
        (181, {}, ("recent_risk_assessment",)),
        (7, {"patient_consents": False}, ("patient_consents",)),
        (7, {"patient_informed": False}, ("patient_informed",)),
        (
            181,
            {"patient_informed": False, "patient_consents": False},
            (
                "recent_risk_assessment",
                "patient_informed",
                "patient_consents",
            ),
        ),
    ],
    ids=["assessment_181_days_old", "no_consent", "not_informed", "all_three"],
)
def test_referral_refused_names_each_unmet_condition(
    days: int, decision: dict[str, Any], unmet: tuple[str, ...]
) -> None:
    """A referral that misses a checkpoint condition is refused with checkpoint_not_satisfied listing it."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(days).refer(**decision)
    with pytest.raises(CheckpointNotSatisfied) as info:
        story.pathway()
    assert info.value.code == "checkpoint_not_satisfied"
    assert info.value.event_index == last_index(story)
    assert set(info.value.unmet) == set(unmet)
    assert len(info.value.unmet) == len(unmet)


def test_every_unmet_condition_is_listed_at_once() -> None:
    """CT only, no assessment, not informed, no consent: all four conditions are named together."""
    story = at_checkpoint_after(_ct).refer(patient_informed=False, patient_consents=False)
    with pytest.raises(CheckpointNotSatisfied) as info:
        story.pathway()
    assert sorted(info.value.unmet) == sorted(
        ["recent_risk_assessment", "patient_informed", "patient_consents", "override_reason"]
    )


def test_referral_without_any_assessment_is_refused() -> None:
    """No surgical risk assessment at all: recent_risk_assessment is unmet."""
    story = CaseBuilder().to_surgical_evaluation().refer()
    with pytest.raises(CheckpointNotSatisfied) as info:
        story.pathway()
    assert tuple(info.value.unmet) == ("recent_risk_assessment",)


OVERRIDE_CASES: dict[str, Callable[[], CaseBuilder]] = {
    "unfavourable_verdict": lambda: CaseBuilder().to_surgical_evaluation().risk_assessment(asa_class=4),
    "ct_only_imaging": lambda: at_checkpoint_after(_ct).risk_assessment(),
    "latest_imaging_secondary_cause": lambda: (
        after_secondary_cause(CaseBuilder()).after(7).decide("surgical_evaluation").after(7).risk_assessment()
    ),
}


@pytest.mark.parametrize("case", list(OVERRIDE_CASES))
def test_override_reason_is_needed_and_then_accepted(case: str) -> None:
    """Unfavourable verdict, CT-only imaging or a secondary cause on the latest imaging: refused without an
    override_reason; with one, referred and flagged with checkpoint_override."""
    refused = OVERRIDE_CASES[case]().after(7).refer()
    assert OVERRIDE_CASES[case]().pathway().stage is Stage.SURGICAL_EVALUATION
    with pytest.raises(CheckpointNotSatisfied) as info:
        refused.pathway()
    assert tuple(info.value.unmet) == ("override_reason",)

    story = OVERRIDE_CASES[case]().after(7).refer(override_reason="Disabling spasm; patient accepts the risks.")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.MVD_REFERRAL
    found = alerts(evaluation, "checkpoint_override")
    assert len(found) == 1
    assert found[0].event_index == last_index(story)
    assert found[0].severity is Severity.WARNING
    assert "Disabling spasm" in found[0].text


def test_secondary_cause_reached_surgical_evaluation_via_spasm_persists() -> None:
    """The secondary-cause override case really reaches the checkpoint through secondary_cause."""
    story = after_secondary_cause(CaseBuilder()).after(7).decide("surgical_evaluation")
    stages = [h.to_stage for h in story.pathway().history]
    assert stages == [Stage.IMAGING, Stage.SECONDARY_CAUSE, Stage.TREATMENT_SELECTION, Stage.SURGICAL_EVALUATION]


def test_clear_mri_after_a_red_flag_lifts_the_secondary_cause_override() -> None:
    """Only the latest imaging counts: a new contrast MRI with a conflict closes the urgent work-up, so the referral
    needs no override."""
    story = after_secondary_cause(CaseBuilder()).after(7).red_flag("facial_numbness").after(14).mri(contrast=True)
    story.after(7).decide("surgical_evaluation").after(7).risk_assessment().after(7).refer()
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.MVD_REFERRAL
    assert alerts(evaluation, "checkpoint_override") == []


def test_mri_without_contrast_after_a_red_flag_needs_an_override() -> None:
    """Invariant 1 (revision 2): a non-contrast MRI after an urgent red flag leaves the work-up incomplete, so the
    checkpoint refuses a referral without an override reason and passes it with one."""
    story = after_secondary_cause(CaseBuilder()).after(7).red_flag("facial_numbness").after(14).mri()
    story.after(7).decide("surgical_evaluation").after(7).risk_assessment().after(7).refer()
    with pytest.raises(CheckpointNotSatisfied) as info:
        story.pathway()
    assert tuple(info.value.unmet) == ("override_reason",)
    assert "urgent imaging work-up is incomplete" in info.value.message
    story.events[-1]["override_reason"] = "MDT review of the non-contrast study; contrast allergy"
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.MVD_REFERRAL
    assert "urgent imaging work-up is incomplete" in alerts(evaluation, "checkpoint_override")[0].text


def test_caution_verdict_needs_no_override() -> None:
    """A caution verdict (hypertension) is referred without an override reason."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment(hypertension=True).after(7).refer()
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.MVD_REFERRAL
    assert alerts(evaluation, "checkpoint_override") == []


@pytest.mark.parametrize(
    ("option", "stage"),
    [
        ("observation", Stage.OBSERVATION),
        ("oral_medication", Stage.ORAL_MEDICATION),
        ("botulinum_toxin", Stage.BOTULINUM_TOXIN),
    ],
)
def test_continuing_conservative_care_moves_to_the_chosen_option(option: str, stage: Stage) -> None:
    """continue_conservative -> the next_option stage, with or without an assessment."""
    story = CaseBuilder().to_surgical_evaluation().continue_conservative(option)
    assert story.pathway().stage is stage
    assessed = (
        CaseBuilder().to_surgical_evaluation().risk_assessment(asa_class=4).after(3).continue_conservative(option)
    )
    assert assessed.pathway().history[-1].to_stage is stage


def test_continue_conservative_without_next_option_is_invalid() -> None:
    """next_option is required with continue_conservative."""
    story = (
        CaseBuilder()
        .to_surgical_evaluation()
        .event("risk_benefit_decision", decision="continue_conservative", patient_informed=True, patient_consents=False)
    )
    with pytest.raises(InvalidEvent) as info:
        story.pathway()
    assert info.value.event_index == last_index(story)


def test_refused_referral_changes_nothing() -> None:
    """A refused referral leaves stage, history, alerts, events and risk_benefit exactly as they were."""
    pathway = CaseBuilder().to_surgical_evaluation().risk_assessment(asa_class=4).pathway()
    before = (pathway.stage, pathway.history, pathway.alerts, pathway.events, pathway.risk_benefit)
    with pytest.raises(CheckpointNotSatisfied):
        pathway.apply(
            {
                "type": "risk_benefit_decision",
                "date": "2025-03-03",
                "decision": "refer_for_mvd",
                "patient_informed": True,
                "patient_consents": False,
            }
        )
    assert (pathway.stage, pathway.history, pathway.alerts, pathway.events, pathway.risk_benefit) == before
    assert pathway.stage is Stage.SURGICAL_EVALUATION


def test_risk_benefit_is_kept_after_the_pathway_moves_on() -> None:
    """The latest assessment stays in the evaluation after referral, surgery, and conservative care."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment(hypertension=True)
    assessed = story.pathway().risk_benefit
    story.after(7).refer().after(30).operate()
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    assert evaluation.risk_benefit == assessed
    assert evaluation.risk_benefit is not None
    assert evaluation.risk_benefit.verdict is Verdict.CAUTION
    conservative = CaseBuilder().to_surgical_evaluation().risk_assessment().after(3).continue_conservative()
    assert conservative.evaluate().risk_benefit is not None


# After referral ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audiometry", "expected"), [(True, ["refer_for_mvd"]), (False, ["refer_for_mvd", "obtain_audiometry"])]
)
def test_referral_stage_recommends_referral_and_audiometry_until_done(audiometry: bool, expected: list[str]) -> None:
    """mvd_referral recommends refer_for_mvd, and obtain_audiometry while baseline audiometry is outstanding."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment(baseline_audiometry_done=audiometry)
    evaluation = story.after(7).refer().evaluate()
    assert evaluation.stage is Stage.MVD_REFERRAL
    assert sorted(rec_codes(evaluation)) == sorted(expected)


@pytest.mark.parametrize("reason", ["surgeon_declined", "patient_declined"])
def test_closed_referral_returns_to_treatment_selection(reason: str) -> None:
    """referral_closed -> treatment_selection."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer().after(40)
    story.event("referral_closed", reason=reason)
    last = story.pathway().history[-1]
    assert (last.from_stage, last.to_stage) == (Stage.MVD_REFERRAL, Stage.TREATMENT_SELECTION)


# What still blocks a referral -------------------------------------------------------------------------------


def test_requirements_for_referral_from_treatment_selection() -> None:
    """From treatment_selection: the path goes through surgical_evaluation, and every condition is unmet."""
    pathway = CaseBuilder().to_treatment_selection().pathway()
    needs = requirements_for(pathway, "mvd_referral")
    assert needs.reachable
    assert needs.target is Stage.MVD_REFERRAL
    assert needs.stage is Stage.TREATMENT_SELECTION
    assert [(s.event, s.from_stage, s.to_stage) for s in needs.steps] == [
        ("treatment_decision", Stage.TREATMENT_SELECTION, Stage.SURGICAL_EVALUATION),
        ("risk_benefit_decision", Stage.SURGICAL_EVALUATION, Stage.MVD_REFERRAL),
    ]
    text = " | ".join(needs.unmet).lower()
    for words in ("risk assessment", "informed", "consent"):
        assert words in text
    assert "override" not in text
    assert needs.met == ()


def test_requirements_for_referral_names_the_checkpoint_still_to_reach() -> None:
    """A patient not yet at the checkpoint is told that reaching surgical_evaluation is still needed."""
    needs = requirements_for(CaseBuilder().to_treatment_selection().pathway(), "mvd_referral")
    assert any("surgical_evaluation" in u for u in needs.unmet)


def test_requirements_for_referral_after_a_recent_assessment() -> None:
    """A valid assessment is met; it lapses when asked 181 days later; CT-only imaging adds the override."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment()
    pathway = story.pathway()
    now = requirements_for(pathway, "mvd_referral")
    assert any("risk assessment" in m for m in now.met)
    assert not any("risk assessment" in u for u in now.unmet)
    later = requirements_for(pathway, "mvd_referral", as_of=story.today + D(days=181))
    assert any("risk assessment" in u for u in later.unmet)
    ct = requirements_for(at_checkpoint_after(_ct).risk_assessment().pathway(), "mvd_referral")
    assert any("override" in u for u in ct.unmet)


def test_requirements_for_referral_from_a_final_stage() -> None:
    """An exited patient cannot reach mvd_referral."""
    pathway = CaseBuilder().to_treatment_selection().after(3).leave().pathway()
    needs = requirements_for(pathway, "mvd_referral")
    assert not needs.reachable
    assert needs.steps == ()


# The checkpoint's requirements and its list of conditions -----------------------------------------------


def test_each_checkpoint_requirement_agrees_with_the_list_of_conditions() -> None:
    """A referral's requirements each test one condition of the checkpoint on its own; checkpoint_conditions
    (behind the refusal message, requirements_for and the explanations) lists them all. At every surgical
    evaluation of 300 synthetic cases, for each combination of the patient's answers, an override reason or
    none, and a decision the same day or after the assessment has lapsed, both say the same."""
    rule = HFS_PATHWAY.rule("risk_benefit_decision")
    seen: set[tuple[str, bool]] = set()
    for synthetic in synthetic_cases(300, seed=23):
        case = load_case(synthetic.case)
        pathway = Pathway(case.patient)
        for index, event in enumerate(case.events):
            record = pathway._record
            if record.stage is Stage.SURGICAL_EVALUATION:
                for informed, consents, reason, days in itertools.product(
                    (True, False), (True, False), (None, "patient's choice"), (0, 400)
                ):
                    decision = RiskBenefitDecision(
                        date=event.date + D(days=days),
                        decision="refer_for_mvd",
                        patient_informed=informed,
                        patient_consents=consents,
                        override_reason=reason,
                    )
                    change = Change(decision, index, record, case.patient, pathway.guideline)
                    conditions = checkpoint_conditions(
                        decision,
                        decision.date,
                        risk=record.risk,
                        imaging=record.imaging,
                        any_mri=record.any_mri,
                        workup=record.workup,
                    )
                    for requirement in rule.requires:
                        code = requirement.condition.name
                        listed = all(c.met for c in conditions if c.code == code)
                        assert requirement.condition.test(change) is listed, (code, synthetic.story, index)
                        seen.add((code, listed))
            pathway.apply(event)
    # Every condition was seen both met and not met.
    assert seen == {(r.condition.name, met) for r in rule.requires for met in (True, False)}


def test_every_field_of_the_risk_benefit_assessment_holds_what_its_name_says() -> None:
    """The assessment is built from its fields in order (for speed): each one is checked by name here."""
    story = CaseBuilder(birth_date="1950-06-01").to_surgical_evaluation()
    story.risk_assessment(asa_class=3, hypertension=True, baseline_audiometry_done=False)
    pathway = story.pathway()
    risk = pathway.risk_benefit
    assert risk is not None
    assert risk.verdict is Verdict.CAUTION
    assert risk.verdict_reason == "modifiers apply: asa_class, hypertension, older_age"
    assert [m.code for m in risk.modifiers] == ["asa_class", "hypertension", "older_age"]
    assert [f.code for f in risk.benefits] == ["complete_relief", "delayed_relief", "recurrence_5_years"]
    assert [f.code for f in risk.risks][:2] == ["hearing_loss", "facial_palsy"]
    assert "R105" in risk.evidence
    assert risk.date == story.today
    assert risk.event_index == last_index(story)
    assert risk.valid_until == story.today + D(days=pathway.guideline.risk_assessment_validity_days)
    assert risk.audiometry_done is False


def test_the_terms_kept_per_guideline_stay_bounded_when_many_guidelines_are_loaded() -> None:
    from hfs_pathway import default_guideline
    from hfs_pathway._surgery import _TERMS, _TERMS_KEPT, _guideline_terms

    base = default_guideline()
    guidelines = [base.model_copy(update={"risk_assessment_validity_days": 100 + i}) for i in range(3 * _TERMS_KEPT)]
    for g in guidelines:
        terms = _guideline_terms(g)
        assert terms.guideline is g
        assert terms.validity.days == g.risk_assessment_validity_days
        assert len(_TERMS) <= _TERMS_KEPT
