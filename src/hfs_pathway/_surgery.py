"""The risk-benefit checkpoint before microvascular decompression (spec §3, surgical_evaluation).

Pure functions: a surgical risk assessment plus what is known of the patient gives a verdict, the
modifiers behind it and the counselling figures; the checkpoint lists which of its conditions a
referral does not meet. Age alone is never a contraindication [R69][R70].
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from ._dates import age_on
from ._events import ImagingResult, RiskBenefitDecision, SurgicalRiskAssessment
from ._guideline import Guideline, PercentRange
from ._results import RiskBenefitAssessment, RiskFigure, RiskModifier
from ._vocabulary import ImagingFinding, RiskBenefitChoice, Verdict, Vessel
from ._workup import Workup, override_reasons

_BENEFITS = (
    ("complete_relief", "Complete relief of spasm", "mvd_complete_relief", None),
    ("delayed_relief", "Relief that comes only weeks to months after surgery", "mvd_delayed_relief", None),
    ("recurrence_5_years", "Recurrence within 5 years after initial success", "mvd_recurrence_5_years", None),
)
_RISKS = (
    ("hearing_loss", "Permanent hearing loss on the operated side", "risk_hearing_loss_permanent", True),
    ("facial_palsy", "Permanent facial palsy", "risk_facial_palsy_permanent", True),
    ("facial_palsy_transient", "Transient facial palsy", "risk_facial_palsy_transient", False),
    ("csf_leak", "Cerebrospinal fluid leak", "risk_csf_leak", False),
    ("lower_cranial_nerve", "Permanent lower cranial nerve deficit", "risk_lower_cranial_nerve", True),
    ("stroke", "Stroke or brainstem ischaemia", "risk_stroke", True),
    ("death", "Death", "risk_death", True),
)


_FIGURES: dict[int, tuple[Guideline, tuple[RiskFigure, ...], tuple[RiskFigure, ...]]] = {}


def _counselling_figures(guideline: Guideline) -> tuple[tuple[RiskFigure, ...], tuple[RiskFigure, ...]]:
    """The benefit and risk figures of a guideline, built once per guideline object."""
    cached = _FIGURES.get(id(guideline))
    if cached is None or cached[0] is not guideline:
        cached = (guideline, _figures(_BENEFITS, guideline), _figures(_RISKS, guideline))
        _FIGURES[id(guideline)] = cached
    return cached[1], cached[2]


def _figures(table: tuple[tuple[str, str, str, bool | None], ...], guideline: Guideline) -> tuple[RiskFigure, ...]:
    figures = []
    for code, text, parameter, permanent in table:
        value: PercentRange = getattr(guideline, parameter)
        evidence = guideline.evidence_for(parameter)
        figures.append(RiskFigure(code, text, float(value.low), float(value.high), permanent, evidence))
    return tuple(figures)


def assess_risk(
    assessment: SurgicalRiskAssessment,
    index: int,
    *,
    imaging: ImagingResult | None,
    any_mri: bool,
    birth_date: dt.date | None,
    guideline: Guideline,
    prior_mvd: dt.date | None = None,
    dedicated_mri: bool = True,
) -> RiskBenefitAssessment:
    """Turn a surgical risk assessment into the checkpoint's verdict, modifiers and figures.

    ``prior_mvd`` is the date of an earlier decompression on record: the operation would be a redo, which is
    posterior fossa surgery whatever the assessment says (R2.8).
    """
    g = guideline
    modifiers: list[RiskModifier] = []

    def add(code: str, text: str, *evidence: str) -> None:
        modifiers.append(RiskModifier(code, text, evidence))

    if assessment.asa_class >= g.asa_caution_class:
        add("asa_class", f"ASA class {assessment.asa_class}: more adverse events and longer stays", "R120")
    if assessment.diabetes:
        add("diabetes", "Diabetes: more readmissions after surgery", "R120")
    if assessment.hypertension:
        add("hypertension", "Hypertension: more late recurrence", "R122")
    if imaging is not None and imaging.offending_vessel is Vessel.VERTEBRAL:
        add(
            "vertebral_artery_offender",
            "Vertebral artery offender: more hearing and lower cranial nerve deficits",
            "R119",
            "R28",
        )
    if birth_date is not None and age_on(birth_date, assessment.date) >= g.older_age_hearing_years:
        add(
            "older_age",
            f"Age {g.older_age_hearing_years} or more: more ear and hearing complications; "
            "age alone is not a contraindication",
            "R68",
            "R69",
            "R70",
        )
    if assessment.prior_posterior_fossa_surgery or prior_mvd is not None:
        add(
            "prior_posterior_fossa_surgery",
            "Previous posterior fossa surgery: higher complication rates",
            "R105",
            "R118",
        )
    if prior_mvd is not None:
        add(
            "redo_mvd",
            f"A second decompression (the first on {prior_mvd.isoformat()}): more complications than a first "
            "operation, and less often successful unless done early",
            "R105",
            "R118",
        )
    if assessment.anticoagulation:
        if assessment.anticoagulation_can_pause is False:
            add("anticoagulation", "Anticoagulation that cannot be paused for surgery")
        elif assessment.anticoagulation_can_pause is None:
            add("anticoagulation", "Anticoagulation: whether it can be paused is not recorded")
        else:
            add("anticoagulation", "Anticoagulation: needs a peri-operative plan to pause it")
    if imaging is not None and imaging.finding is ImagingFinding.NO_ABNORMALITY:
        add(
            "no_conflict_on_imaging",
            "No conflict seen on imaging: surgery can still help, but less predictably",
            "R113",
            "R112",
        )
    if imaging is not None and not any_mri:
        add("ct_only_imaging", "Only CT imaging: the conflict and small lesions cannot be judged", "R21", "R115")
    elif not dedicated_mri:
        add(
            "no_dedicated_mri",
            "No MRI with high-resolution T2 on record: the offending vessel cannot be planned for",
            "R9",
            "R10",
        )

    if assessment.asa_class >= g.asa_unfavourable_class:
        verdict, reason = Verdict.UNFAVOURABLE, f"ASA class {assessment.asa_class} ({g.asa_unfavourable_class} or more)"
    elif assessment.anticoagulation and assessment.anticoagulation_can_pause is False:
        verdict, reason = Verdict.UNFAVOURABLE, "anticoagulation cannot be paused"
    elif modifiers:
        verdict, reason = Verdict.CAUTION, "modifiers apply: " + ", ".join(m.code for m in modifiers)
    else:
        verdict, reason = Verdict.FAVOURABLE, "no modifier applies"

    benefits, risks = _counselling_figures(g)
    return RiskBenefitAssessment(
        verdict=verdict,
        verdict_reason=reason,
        modifiers=tuple(modifiers),
        benefits=benefits,
        risks=risks,
        evidence=("R26", "R27", "R105", "R76", "R122", "R118", "R119", "R120", "R68", "R69", "R70"),
        date=assessment.date,
        event_index=index,
        valid_until=assessment.date + dt.timedelta(days=g.risk_assessment_validity_days),
        audiometry_done=assessment.baseline_audiometry_done,
    )


class CheckpointCondition(NamedTuple):
    """One condition of the checkpoint and whether it holds."""

    code: str
    text: str
    met: bool


def override_needed(
    risk: RiskBenefitAssessment | None,
    imaging: ImagingResult | None,
    any_mri: bool,
    workup: Workup | None = None,
) -> list[str]:
    """Why a referral would need a recorded override reason (empty when it does not)."""
    reasons = []
    if risk is not None and risk.verdict is Verdict.UNFAVOURABLE:
        reasons.append("the risk-benefit verdict is unfavourable")
    if imaging is not None and not any_mri:
        reasons.append("only CT imaging was done")
    if imaging is not None and imaging.finding.is_secondary_cause:
        reasons.append(f"the latest imaging showed a secondary cause ({imaging.finding.value})")
    reasons += override_reasons(workup, None if imaging is None else imaging.finding)
    return reasons


def checkpoint_conditions(
    decision: RiskBenefitDecision | None,
    on: dt.date,
    *,
    risk: RiskBenefitAssessment | None,
    imaging: ImagingResult | None,
    any_mri: bool,
    workup: Workup | None = None,
) -> list[CheckpointCondition]:
    """Every condition a referral for MVD must meet on a date, met or not.

    With no decision given (``None``), the patient's own answers (informed, consents, override) are
    reported as not yet met: they are what a referral still needs.
    """
    valid = risk is not None and on <= risk.valid_until
    # The assessment is named by its event index and age, not its date: a refusal repeats only what
    # the caller passed in for that call.
    age = "" if risk is None else f" (the last one, event {risk.event_index}, is {(on - risk.date).days} days old)"
    conditions = [
        CheckpointCondition(
            "recent_risk_assessment",
            "a surgical risk assessment recorded within the validity period" + age,
            valid,
        ),
        CheckpointCondition(
            "patient_informed",
            "the patient was informed of benefits and risks",
            bool(decision and decision.patient_informed),
        ),
        CheckpointCondition(
            "patient_consents", "the patient consents to referral", bool(decision and decision.patient_consents)
        ),
    ]
    needs = override_needed(risk, imaging, any_mri, workup)
    if needs:
        given = decision is not None and decision.override_reason is not None
        conditions.append(
            CheckpointCondition("override_reason", "an override reason, because " + " and ".join(needs), given)
        )
    return conditions


def refers(decision: RiskBenefitDecision) -> bool:
    return decision.decision is RiskBenefitChoice.REFER_FOR_MVD
