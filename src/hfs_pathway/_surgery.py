"""The risk-benefit checkpoint before microvascular decompression (spec §3, surgical_evaluation).

Pure functions: a surgical risk assessment plus what is known of the patient gives a verdict, the
modifiers behind it and the counselling figures; the checkpoint lists which of its conditions a
referral does not meet. Age alone is never a contraindication [R69][R70].
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

from ._dates import age_on
from ._events import ImagingResult, RiskBenefitDecision, SurgicalRiskAssessment
from ._guideline import Guideline, PercentRange
from ._per_guideline import PerGuideline
from ._results import RiskBenefitAssessment, RiskFigure, RiskModifier
from ._vocabulary import SECONDARY_CAUSE_FINDINGS, ImagingFinding, RiskBenefitChoice, Verdict, Vessel
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


class _GuidelineTerms(NamedTuple):
    """What an assessment takes from a guideline that is the same for every patient, built once per guideline."""

    guideline: Guideline
    benefits: tuple[RiskFigure, ...]
    risks: tuple[RiskFigure, ...]
    validity: dt.timedelta
    """How long an assessment stays valid (``risk_assessment_validity_days``)."""
    older_age: RiskModifier


def _build_terms(guideline: Guideline) -> _GuidelineTerms:
    return _GuidelineTerms(
        guideline,
        _figures(_BENEFITS, guideline),
        _figures(_RISKS, guideline),
        dt.timedelta(days=guideline.risk_assessment_validity_days),
        RiskModifier(
            "older_age",
            f"Age {guideline.older_age_hearing_years} or more: more ear and hearing complications; "
            "age alone is not a contraindication",
            ("R68", "R69", "R70"),
        ),
    )


_guideline_terms: PerGuideline[_GuidelineTerms] = PerGuideline(_build_terms)
"""The counselling figures, validity and age modifier of a guideline, built once per guideline object."""
_TERMS = _guideline_terms.by_id
_TERMS_KEPT = PerGuideline.KEPT


def _figures(table: tuple[tuple[str, str, str, bool | None], ...], guideline: Guideline) -> tuple[RiskFigure, ...]:
    figures = []
    for code, text, parameter, permanent in table:
        value: PercentRange = getattr(guideline, parameter)
        evidence = guideline.evidence_for(parameter)
        figures.append(RiskFigure(code, text, float(value.low), float(value.high), permanent, evidence))
    return tuple(figures)


# The modifiers whose words do not depend on the patient, built once: an assessment lists these same (immutable)
# objects, so assessing risk costs attribute reads and list appends rather than building each modifier anew.
_DIABETES = RiskModifier("diabetes", "Diabetes: more readmissions after surgery", ("R120",))
_HYPERTENSION = RiskModifier("hypertension", "Hypertension: more late recurrence", ("R122",))
_VERTEBRAL_OFFENDER = RiskModifier(
    "vertebral_artery_offender",
    "Vertebral artery offender: more hearing and lower cranial nerve deficits",
    ("R119", "R28"),
)
_PRIOR_POSTERIOR_FOSSA_SURGERY = RiskModifier(
    "prior_posterior_fossa_surgery",
    "Previous posterior fossa surgery: higher complication rates",
    ("R105", "R118"),
)
_ANTICOAGULATION_CANNOT_PAUSE = RiskModifier("anticoagulation", "Anticoagulation that cannot be paused for surgery", ())
_ANTICOAGULATION_PAUSE_UNKNOWN = RiskModifier(
    "anticoagulation", "Anticoagulation: whether it can be paused is not recorded", ()
)
_ANTICOAGULATION_TO_PAUSE = RiskModifier(
    "anticoagulation", "Anticoagulation: needs a peri-operative plan to pause it", ()
)
_NO_CONFLICT_ON_IMAGING = RiskModifier(
    "no_conflict_on_imaging",
    "No conflict seen on imaging: surgery can still help, but less predictably",
    ("R113", "R112"),
)
_CT_ONLY_IMAGING = RiskModifier(
    "ct_only_imaging", "Only CT imaging: the conflict and small lesions cannot be judged", ("R21", "R115")
)
_NO_DEDICATED_MRI = RiskModifier(
    "no_dedicated_mri",
    "No MRI with high-resolution T2 on record: the offending vessel cannot be planned for",
    ("R9", "R10"),
)


@functools.cache
def _asa_modifier(asa: int) -> RiskModifier:
    # Built once per ASA class (there are five), like the modifiers above: its words depend on nothing else.
    return RiskModifier("asa_class", f"ASA class {asa}: more adverse events and longer stays", ("R120",))


# Enum members read on every assessment, looked up once: on Python 3.11 reading a member off its class goes
# through EnumType.__getattr__, several times the cost of reading a module name.
_VERTEBRAL = Vessel.VERTEBRAL
_NO_ABNORMALITY = ImagingFinding.NO_ABNORMALITY
_FAVOURABLE, _CAUTION, _UNFAVOURABLE = Verdict.FAVOURABLE, Verdict.CAUTION, Verdict.UNFAVOURABLE
_REFER_FOR_MVD = RiskBenefitChoice.REFER_FOR_MVD
_ASSESSMENT_EVIDENCE = ("R26", "R27", "R105", "R76", "R122", "R118", "R119", "R120", "R68", "R69", "R70")
_new_tuple = tuple.__new__
"""Builds a named tuple from a plain tuple of its fields in one C call (its constructor is a Python function)."""


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
    terms = _guideline_terms(g)
    # Fields read more than once are read once (a model's attribute read is slow).
    asa, date, anticoagulation = assessment.asa_class, assessment.date, assessment.anticoagulation
    modifiers: list[RiskModifier] = []
    add = modifiers.append

    if asa >= g.asa_caution_class:
        add(_asa_modifier(asa))
    if assessment.diabetes:
        add(_DIABETES)
    if assessment.hypertension:
        add(_HYPERTENSION)
    if imaging is not None and imaging.offending_vessel is _VERTEBRAL:
        add(_VERTEBRAL_OFFENDER)
    if birth_date is not None and age_on(birth_date, date) >= g.older_age_hearing_years:
        add(terms.older_age)  # age alone is never a contraindication [R69][R70]: a modifier, not a verdict
    if assessment.prior_posterior_fossa_surgery or prior_mvd is not None:
        add(_PRIOR_POSTERIOR_FOSSA_SURGERY)
    if prior_mvd is not None:
        add(
            RiskModifier(
                "redo_mvd",
                f"A second decompression (the first on {prior_mvd.isoformat()}): more complications than a first "
                "operation, and less often successful unless done early",
                ("R105", "R118"),
            )
        )
    anticoagulation_cannot_pause = anticoagulation and assessment.anticoagulation_can_pause is False
    if anticoagulation:
        if anticoagulation_cannot_pause:
            add(_ANTICOAGULATION_CANNOT_PAUSE)
        elif assessment.anticoagulation_can_pause is None:
            add(_ANTICOAGULATION_PAUSE_UNKNOWN)
        else:
            add(_ANTICOAGULATION_TO_PAUSE)
    if imaging is not None and imaging.finding is _NO_ABNORMALITY:
        add(_NO_CONFLICT_ON_IMAGING)
    if imaging is not None and not any_mri:
        add(_CT_ONLY_IMAGING)
    elif not dedicated_mri:
        add(_NO_DEDICATED_MRI)

    if asa >= g.asa_unfavourable_class:
        verdict, reason = _UNFAVOURABLE, f"ASA class {asa} ({g.asa_unfavourable_class} or more)"
    elif anticoagulation_cannot_pause:
        verdict, reason = _UNFAVOURABLE, "anticoagulation cannot be paused"
    elif modifiers:
        verdict, reason = _CAUTION, "modifiers apply: " + ", ".join([m.code for m in modifiers])
    else:
        verdict, reason = _FAVOURABLE, "no modifier applies"

    # Built from its fields in order, in one C call (the keyword constructor costs three times as much).
    return _new_tuple(
        RiskBenefitAssessment,
        (
            verdict,
            reason,  # verdict_reason
            tuple(modifiers),
            terms.benefits,
            terms.risks,
            _ASSESSMENT_EVIDENCE,
            date,
            index,  # event_index
            date + terms.validity,  # valid_until
            assessment.baseline_audiometry_done,  # audiometry_done
        ),
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
    if risk is not None and risk.verdict is _UNFAVOURABLE:
        reasons.append("the risk-benefit verdict is unfavourable")
    finding = None
    if imaging is not None:
        finding = imaging.finding  # read once: a model's attribute read is slow
        if not any_mri:
            reasons.append("only CT imaging was done")
        if finding in SECONDARY_CAUSE_FINDINGS:  # ``is_secondary_cause`` without the property call, per referral
            reasons.append(f"the latest imaging showed a secondary cause ({finding.value})")
    reasons += override_reasons(workup, finding)
    return reasons


def assessment_current(risk: RiskBenefitAssessment | None, on: dt.date) -> bool:
    """A surgical risk assessment is on record and still valid on ``on`` (the checkpoint's first condition)."""
    return risk is not None and on <= risk.valid_until


def override_given_or_not_needed(
    decision: RiskBenefitDecision,
    risk: RiskBenefitAssessment | None,
    imaging: ImagingResult | None,
    any_mri: bool,
    workup: Workup | None = None,
) -> bool:
    """The checkpoint's override condition holds for a decision: it gives a reason, or it needs none.

    The reason is looked at first, so a referral that gives one does not work out why it needed one."""
    return decision.override_reason is not None or not override_needed(risk, imaging, any_mri, workup)


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
    valid = assessment_current(risk, on)
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
    return decision.decision is _REFER_FOR_MVD
