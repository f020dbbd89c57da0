"""The risk-benefit checkpoint, the referral and follow-up after microvascular decompression (spec §3)."""

from __future__ import annotations

from collections.abc import Callable

from hfs_pathway._change import Change
from hfs_pathway._dates import add_months
from hfs_pathway._definition import Condition, EventRule, Requirement, Route
from hfs_pathway._events import MvdPerformed, PostMvdReview, RiskBenefitDecision
from hfs_pathway._surgery import (
    assess_risk,
    assessment_current,
    checkpoint_conditions,
    override_given_or_not_needed,
    override_needed,
)
from hfs_pathway._vocabulary import RiskBenefitChoice, Severity, SpasmOutcome, Verdict
from hfs_pathway._workup import WorkupTier, require_imaging

from .common import ACTIVE_STAGES, E, S

# Enum members read on every event are looked up once, here: on Python 3.11 reading a member off its class goes
# through EnumType.__getattr__, several times the cost of reading a module name.
_REFER_FOR_MVD = RiskBenefitChoice.REFER_FOR_MVD
_UNFAVOURABLE = Verdict.UNFAVOURABLE
_RESOLVED = SpasmOutcome.RESOLVED
_RECURRED = SpasmOutcome.RECURRED
_PERSISTING = frozenset({SpasmOutcome.IMPROVED, SpasmOutcome.UNCHANGED})
_REFERRED_OR_OPERATED = frozenset({S.MVD_REFERRAL, S.POST_MVD})
_SECONDARY_CAUSE = S.SECONDARY_CAUSE

# Risk-benefit checkpoint ----------------------------------------------------------------------------


def _risk_effect(c: Change) -> None:
    a = c.after
    risk = assess_risk(
        c.event,
        c.index,
        imaging=a.imaging,
        any_mri=a.any_mri,
        birth_date=c.patient.birth_date,
        guideline=c.guideline,
        prior_mvd=a.mvd_date,
        dedicated_mri=a.any_dedicated_mri,
    )
    a.risk = risk
    if risk.verdict is _UNFAVOURABLE:
        c.alert("surgical_risk_unfavourable", f"The risk-benefit verdict is unfavourable: {risk.verdict_reason}.")


def _checkpoint_requirement(code: str, description: str, holds: Callable[[Change], bool]) -> Requirement:
    """The checkpoint's condition ``code`` (one of :func:`checkpoint_conditions`) as a requirement of a referral.

    ``holds`` tests that one condition of a decision on the record before it, as ``checkpoint_conditions`` words
    it: each requirement tests only its own condition instead of listing all of them (the refusal message,
    built only when a referral is refused, lists them all)."""
    return Requirement(
        Condition(code, description, holds, ("R105",)),
        error="checkpoint_not_satisfied",
        message=_checkpoint_refusal,
    )


# The checkpoint's four conditions. Only a referral passes through the checkpoint, so each holds at once for a
# decision to continue conservative care (``refers``, read inline: four tests run per decision, each one call).


def _assessment_is_current(c: Change) -> bool:
    decision: RiskBenefitDecision = c.event
    return decision.decision is not _REFER_FOR_MVD or assessment_current(c.before.risk, decision.date)


def _patient_informed(c: Change) -> bool:
    decision: RiskBenefitDecision = c.event
    return decision.decision is not _REFER_FOR_MVD or decision.patient_informed


def _patient_consents(c: Change) -> bool:
    decision: RiskBenefitDecision = c.event
    return decision.decision is not _REFER_FOR_MVD or decision.patient_consents


def _override_given_or_not_needed(c: Change) -> bool:
    decision: RiskBenefitDecision = c.event
    if decision.decision is not _REFER_FOR_MVD:
        return True
    b = c.before
    return override_given_or_not_needed(decision, b.risk, b.imaging, b.any_mri, b.workup)


def _checkpoint_refusal(c: Change) -> str:
    decision: RiskBenefitDecision = c.event
    b = c.before
    conditions = checkpoint_conditions(
        decision, decision.date, risk=b.risk, imaging=b.imaging, any_mri=b.any_mri, workup=b.workup
    )
    return "referral for microvascular decompression is refused by the risk-benefit checkpoint; still needed: " + (
        "; ".join(cond.text for cond in conditions if not cond.met)
    )


def _override_alert(c: Change) -> None:
    decision: RiskBenefitDecision = c.event
    if decision.override_reason is None:
        # A referral without a reason got here only because it needs none (the override_reason requirement):
        # nothing to say, and nothing to work out again.
        return
    b = c.before
    needs = override_needed(b.risk, b.imaging, b.any_mri, b.workup)
    if needs:
        c.alert(
            "checkpoint_override",
            "Referred although " + " and ".join(needs) + f"; recorded reason: {decision.override_reason}",
        )


def _conservative(option: str) -> Condition:
    return Condition(
        f"continue_with_{option}",
        f"the patient continues with {option.replace('_', ' ')}",
        lambda c: c.event.next_option is not None and c.event.next_option == option,
    )


# After surgery ---------------------------------------------------------------------------------------


def enter_referral(c: Change) -> None:
    c.after.referral_date = c.event.date


OUTSIDE_PATHWAY_STAGES = (*ACTIVE_STAGES, S.SURGICAL_EVALUATION)
"""Stages from which an operation done outside the pathway's checkpoint is recorded (R2.14, R2.15)."""
_OUTSIDE_PATHWAY = frozenset(OUTSIDE_PATHWAY_STAGES)  # the same stages, for a hashed membership test per event


def _mvd_allowed(c: Change) -> bool:
    m: MvdPerformed = c.event
    return bool(c.before.stage in _REFERRED_OR_OPERATED or m.outside_pathway)


def _mvd_effect(c: Change) -> None:
    a = c.after
    a.mvd_date = c.event.date
    a.last_post_mvd_review = None
    a.last_post_mvd_outcome = None
    a.mvd_unsuccessful = False
    a.referral_date = None
    if c.before.stage in _OUTSIDE_PATHWAY:
        # Recorded from a stage without a passed checkpoint: it only gets here with outside_pathway.
        workup_open = c.before.workup_open
        text = "The operation was done outside this pathway; its risk-benefit checkpoint is not on record."
        if workup_open:
            text += " The imaging work-up was still incomplete: a secondary cause had not been excluded."
        c.alert("mvd_outside_checkpoint", text, severity=Severity.WARNING if workup_open else None)


def _months_after_surgery_reached(c: Change, months: int) -> bool:
    surgery = c.before.mvd_date
    return surgery is not None and c.event.date >= add_months(surgery, months)


def _post_mvd_effect(c: Change) -> None:
    r: PostMvdReview = c.event
    a = c.after
    spasm = r.spasm  # read once: a model's attribute read is slow
    a.last_post_mvd_review = r.date
    a.last_post_mvd_outcome = spasm
    g = c.guideline
    complications = r.complications
    if complications:
        listed = ", ".join(
            f"{x.type.value.replace('_', ' ')} ({'permanent' if x.permanent else 'transient'})" for x in complications
        )
        c.alert("mvd_complication", f"Complications after surgery: {listed}.")
    if spasm is _RESOLVED:
        return  # whether it is a cure depends on how long after surgery (the route's guard, ``_cured``)
    failure_months = g.post_mvd_failure_months
    if _months_after_surgery_reached(c, failure_months):
        a.mvd_unsuccessful = True
    elif spasm in _PERSISTING:
        c.alert(
            "delayed_resolution_possible",
            f"Spasm {spasm.value} before {failure_months} months after surgery; delayed cure is common.",
        )
    elif spasm is _RECURRED:
        c.alert(
            "early_recurrence",
            f"Spasm returned before {failure_months} months after surgery; it may still resolve.",
        )


def _masked_by_bridging_toxin(c: Change) -> bool:
    """A toxin injection given after surgery still acts on the review's date, so the review cannot show that
    the spasm itself has resolved (R2.15)."""
    surgery = c.before.mvd_date
    cycles = c.before.cycles
    if surgery is None or not cycles or cycles[-1].injection_date < surgery:
        return False
    review: PostMvdReview = c.event
    return (review.date - cycles[-1].injection_date).days < c.guideline.bridging_toxin_effect_days


def _cured(c: Change) -> bool:
    r: PostMvdReview = c.event
    return (
        r.spasm is _RESOLVED
        and _months_after_surgery_reached(c, c.guideline.post_mvd_discharge_months)
        and not _masked_by_bridging_toxin(c)
    )


def _mvd_unsuccessful(c: Change) -> bool:
    return c.after.mvd_unsuccessful


def _recurrence_effect(c: Change) -> None:
    a = c.after
    a.recurrence_date = c.event.date
    # Recurrence after a decompression on record makes a second one an option (R2.9).
    a.mvd_unsuccessful = a.mvd_date is not None
    if _after_secondary_cause(c):
        # The cause may have recurred: contrast MRI before anything else (R2.14), due from today.
        require_imaging(a, WorkupTier.CONTRAST, c.event.date, "spasm recurred after a secondary cause", c.guideline)
        a.imaging_clock = c.event.date


def enter_discharged(c: Change) -> None:
    c.after.discharged_from = c.before.stage


def _after_secondary_cause(c: Change) -> bool:
    return c.before.discharged_from is _SECONDARY_CAUSE


SURGICAL_RISK_ASSESSMENT = EventRule(
    E.SURGICAL_RISK_ASSESSMENT,
    (S.SURGICAL_EVALUATION,),
    description="The pre-operative risk assessment, which yields the risk-benefit verdict.",
    effect=_risk_effect,
    routes=(Route(None, "The assessment informs the decision.", evidence=("R120", "R105")),),
)

RISK_BENEFIT_DECISION = EventRule(
    E.RISK_BENEFIT_DECISION,
    (S.SURGICAL_EVALUATION,),
    description="Refer for surgery through the checkpoint, or continue conservative care.",
    requires=(
        _checkpoint_requirement(
            "recent_risk_assessment",
            "a surgical risk assessment was recorded within the validity period",
            _assessment_is_current,
        ),
        _checkpoint_requirement(
            "patient_informed", "the patient was informed of the benefits and risks", _patient_informed
        ),
        _checkpoint_requirement("patient_consents", "the patient consents to the referral", _patient_consents),
        _checkpoint_requirement(
            "override_reason",
            "an override reason is given when the verdict is unfavourable, imaging was CT only, the latest "
            "imaging showed a secondary cause or is not coded, or the imaging work-up is incomplete or declined",
            _override_given_or_not_needed,
        ),
    ),
    routes=(
        Route(
            S.MVD_REFERRAL,
            "Referral once the checkpoint is satisfied: recent risk assessment, informed consent, and "
            "a recorded reason for any override.",
            when=Condition(
                "refer_for_mvd",
                "the decision is to refer for MVD",
                lambda c: c.event.decision is _REFER_FOR_MVD,
            ),
            evidence=("R105", "R72", "R104"),
            alert=_override_alert,
            through_checkpoint=True,
        ),
        Route(S.OBSERVATION, "Conservative care continues by observation.", when=_conservative("observation")),
        Route(
            S.ORAL_MEDICATION,
            "Conservative care continues with an oral drug.",
            when=_conservative("oral_medication"),
        ),
        Route(
            S.BOTULINUM_TOXIN,
            "Conservative care continues with toxin.",
            otherwise="the patient continues with botulinum toxin",
        ),
    ),
)

MVD_PERFORMED = EventRule(
    E.MVD_PERFORMED,
    (S.MVD_REFERRAL, *OUTSIDE_PATHWAY_STAGES, S.POST_MVD),
    description=(
        "The operation took place: after a referral through the checkpoint, as an early second operation, or "
        "(marked outside_pathway) done elsewhere without this pathway's checkpoint."
    ),
    requires=(
        Requirement(
            Condition(
                "referred_or_outside_pathway",
                "a referral through the checkpoint, or an operation marked outside_pathway",
                _mvd_allowed,
            ),
        ),
    ),
    effect=_mvd_effect,
    routes=(
        Route(
            S.POST_MVD,
            "Follow-up after surgery begins.",
            sources=(S.MVD_REFERRAL,),
            evidence=("R73", "R118"),
        ),
        Route(
            None,
            "An early second operation: follow-up restarts from it.",
            sources=(S.POST_MVD,),
            evidence=("R77", "R118"),
        ),
        Route(
            S.POST_MVD,
            "An operation done outside the pathway is followed up like any other.",
            sources=OUTSIDE_PATHWAY_STAGES,
            evidence=("R73", "R105"),
        ),
    ),
)

REFERRAL_CLOSED = EventRule(
    E.REFERRAL_CLOSED,
    (S.MVD_REFERRAL,),
    description="The referral ended without surgery.",
    routes=(Route(S.TREATMENT_SELECTION, "Without surgery, another option is chosen."),),
)

POST_MVD_REVIEW = EventRule(
    E.POST_MVD_REVIEW,
    (S.POST_MVD,),
    description="A scheduled review after surgery.",
    effect=_post_mvd_effect,
    routes=(
        Route(
            S.DISCHARGED,
            "Resolved spasm two years after surgery rarely recurs.",
            when=Condition(
                "cured",
                "spasm resolved at a review 24 months or more after surgery, and no bridging toxin injection "
                "still acts on it",
                _cured,
            ),
            evidence=("R118", "R122"),
        ),
        Route(
            S.TREATMENT_SELECTION,
            "Spasm that recurred, or persists, a year or more after surgery needs a new plan; a second "
            "decompression is one option.",
            when=Condition(
                "mvd_unsuccessful",
                "spasm recurred, or is only improved or unchanged, 12 months or more after surgery",
                _mvd_unsuccessful,
            ),
            evidence=("R124", "R118", "R73"),
        ),
        Route(
            None,
            "Follow-up continues; delayed cure is common in the first year, and spasm that returns early may "
            "still resolve.",
            evidence=("R73", "R74", "R75"),
        ),
    ),
)

RECURRENCE = EventRule(
    E.RECURRENCE,
    (S.DISCHARGED,),
    description="The spasm came back after the pathway was complete.",
    effect=_recurrence_effect,
    routes=(
        Route(
            S.IMAGING,
            "The spasm had resolved with treatment of a secondary cause: the cause itself may have come back.",
            when=Condition(
                "discharged_after_secondary_cause",
                "the discharge followed the treatment of a secondary cause",
                _after_secondary_cause,
            ),
            evidence=("R159", "R135", "R9"),
        ),
        Route(
            S.TREATMENT_SELECTION,
            "Late recurrence after a successful decompression needs a new plan: imaging first, then the options, "
            "a second decompression among them.",
            evidence=("R122", "R124", "R118"),
            otherwise="the discharge followed surgery",
        ),
    ),
)
