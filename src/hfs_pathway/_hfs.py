"""The hemifacial spasm pathway (spec §1-§3), written once as data.

Stages, the events each accepts, the requirements that refuse an event, the routes it may take and
the effects it has on the derived record. Everything else (the state machine, diagrams, tables,
explanations) is generated from :data:`HFS_PATHWAY`.
"""

from __future__ import annotations

import datetime as dt

from ._dates import add_months, age_on
from ._definition import Change, Condition, EventRule, PathwayDefinition, Requirement, Route, StageInfo
from ._events import (
    BotoxInjection,
    BotoxResponse,
    ImagingResult,
    MedicationReview,
    MedicationStarted,
    PostMvdReview,
    Presentation,
    RiskBenefitDecision,
)
from ._results import BotoxCycle
from ._surgery import assess_risk, checkpoint_conditions, override_needed, refers
from ._toxin import WANING_TEXT, classify_response, intervals_shortening, response_waning_reason
from ._vocabulary import (
    AdverseEffectSeverity,
    ClinicalImpression,
    Drug,
    EventType,
    ExitReason,
    ImagingFinding,
    MedicationAdverseEffects,
    MedicationResponse,
    Modality,
    OnsetRegion,
    RiskBenefitChoice,
    SecondaryCauseOutcome,
    Side,
    SpasmOutcome,
    Stage,
    Verdict,
    WaningReason,
)

S = Stage
E = EventType

ACTIVE_STAGES = (
    S.TREATMENT_SELECTION,
    S.OBSERVATION,
    S.ORAL_MEDICATION,
    S.BOTULINUM_TOXIN,
    S.WANING_RESPONSE,
)
"""Stages in which a treatment decision can be taken."""


# Presentation ------------------------------------------------------------------------------------

RED_FLAG_FIELDS = (
    ("facial_weakness", "facial weakness"),
    ("facial_numbness", "facial numbness"),
    ("hearing_loss", "hearing loss"),
    ("other_cranial_nerve_signs", "other cranial nerve signs"),
    ("tonic_contraction", "tonic contraction"),
    ("multiple_sclerosis", "multiple sclerosis"),
    ("prior_posterior_fossa_or_parotid_lesion", "a previous posterior fossa or parotid lesion"),
)


def onset_age(presentation: Presentation, birth_date: dt.date | None) -> int | None:
    """Age at onset: from the symptom onset date when recorded, else the presentation date."""
    if birth_date is None:
        return None
    return age_on(birth_date, presentation.symptom_onset_date or presentation.date)


def _presentation_effect(c: Change) -> None:
    p: Presentation = c.event
    a = c.after
    a.presentation = p
    a.imaging_clock = p.date
    flags = tuple(text for name, text in RED_FLAG_FIELDS if getattr(p, name))
    a.red_flags = flags
    a.urgent_imaging = bool(flags)
    if flags:
        c.alert("red_flag_secondary_hfs", "Red flags at presentation: " + ", ".join(flags) + ".")
    age = onset_age(p, c.patient.birth_date)
    if age is not None and age < c.guideline.young_onset_age_years:
        c.alert("young_onset", f"Spasm began at age {age}, before {c.guideline.young_onset_age_years}.")
    if p.side is Side.BILATERAL:
        c.alert("bilateral_symptoms", "Spasm is reported on both sides of the face.")
    if p.onset_region is OnsetRegion.LOWER_FACE:
        c.alert("atypical_onset", "Spasm began in the lower face rather than around the eye.")


def _impression_is_hfs(c: Change) -> bool:
    impression = c.event.clinical_impression
    return impression in (ClinicalImpression.HEMIFACIAL_SPASM, ClinicalImpression.UNCERTAIN)


def _alternative_diagnosis(c: Change) -> None:
    impression = c.event.clinical_impression.value.replace("_", " ")
    c.alert("alternative_diagnosis", f"The clinical impression is {impression}, not hemifacial spasm.")


def _onset_after_birth(c: Change) -> bool:
    p: Presentation = c.event
    birth = c.patient.birth_date
    return birth is None or p.symptom_onset_date is None or p.symptom_onset_date >= birth


# Imaging -----------------------------------------------------------------------------------------


def _imaging_effect(c: Change) -> None:
    r: ImagingResult = c.event
    a = c.after
    a.imaging = r
    a.any_imaging = True
    a.any_mri = a.any_mri or r.modality is Modality.MRI
    if r.modality is Modality.CT:
        c.alert("ct_only_imaging", "The imaging was CT, which cannot show the nerve and vessel; MRI is preferred.")
    if r.finding is ImagingFinding.NO_ABNORMALITY:
        c.alert("no_nvc_on_imaging", "No neurovascular conflict was seen; this is not a contraindication to MVD.")
    if r.finding.is_secondary_cause:
        c.alert("secondary_cause_on_imaging", f"Imaging shows {r.finding.value.replace('_', ' ')}.")


def _secondary_finding(c: Change) -> bool:
    finding: ImagingFinding = c.event.finding
    return finding.is_secondary_cause


# Treatment choices ------------------------------------------------------------------------------


def _option_is(option: str) -> Condition:
    return Condition(
        f"option_{option}",
        f"the option chosen is {option.replace('_', ' ')}",
        lambda c: c.event.option == option,
    )


def _enter_observation(c: Change) -> None:
    c.after.last_review = None


def _enter_oral_medication(c: Change) -> None:
    c.after.medication = None
    c.after.last_review = None


def _enter_toxin(c: Change) -> None:
    c.after.plan_start = len(c.after.cycles)
    c.after.waning_reason = None


def _enter_imaging(c: Change) -> None:
    c.after.imaging_clock = c.event.date


# Oral medication ----------------------------------------------------------------------------------


def _medication_started_effect(c: Change) -> None:
    m: MedicationStarted = c.event
    c.after.medication = m
    if m.drug is Drug.CARBAMAZEPINE and c.patient.asian_ancestry and not m.hla_b1502_tested:
        c.alert(
            "hla_b1502_screen_required",
            "Carbamazepine in a patient of Asian ancestry without a recorded HLA-B*1502 test.",
        )


def _medication_works(c: Change) -> bool:
    r: MedicationReview = c.event
    return r.response is MedicationResponse.GOOD and r.adverse_effects is not MedicationAdverseEffects.INTOLERABLE


def _review_effect(c: Change) -> None:
    c.after.last_review = c.event.date


# Botulinum toxin ----------------------------------------------------------------------------------


def _injection_effect(c: Change) -> None:
    inj: BotoxInjection = c.event
    g = c.guideline
    a = c.after
    previous = a.cycles[-1].injection_date if a.cycles else None
    interval = None if previous is None else (inj.date - previous).days
    a.cycles = (*a.cycles, BotoxCycle(len(a.cycles) + 1, c.index, inj.date, inj.product, inj.total_units, interval))
    if interval is not None and interval < g.min_reinjection_interval_days:
        c.alert(
            "reinjection_interval_too_short",
            f"Injection {interval} days after the previous one; the minimum interval is "
            f"{g.min_reinjection_interval_days} days.",
        )
    limit = g.usual_max_units.limit(inj.product)
    if limit is not None and inj.total_units > limit:
        c.alert(
            "dose_above_usual_range",
            f"{inj.total_units:g} units of {inj.product.value} is above the usual {limit:g} units per session.",
        )
    # Only the interval test can change with an injection; the response tests gave no reason before it.
    if intervals_shortening(a.cycles, a.plan_start, g):
        a.waning_reason = WaningReason.SHORTENING_INTERVALS


def _awaiting_response(c: Change) -> bool:
    cycles = c.before.cycles
    return bool(cycles) and cycles[-1].response_index is None


def _benefit_within_elapsed(c: Change) -> bool:
    r: BotoxResponse = c.event
    cycles = c.before.cycles
    if r.benefit_duration_days is None or not cycles:
        return True
    return r.benefit_duration_days <= (r.date - cycles[-1].injection_date).days


def _benefit_message(c: Change) -> str:
    # Name the injection by its event index: its date was given in an earlier call, not in this one.
    r: BotoxResponse = c.event
    injection = c.before.cycles[-1]
    elapsed = (r.date - injection.injection_date).days
    return (
        f"benefit_duration_days is {r.benefit_duration_days}, but only {elapsed} days have passed since the "
        f"injection it answers (event {injection.injection_index})"
    )


def _response_effect(c: Change) -> None:
    r: BotoxResponse = c.event
    a = c.after
    last = a.cycles[-1]
    cycle = BotoxCycle(
        last.number,
        last.injection_index,
        last.injection_date,
        last.product,
        last.total_units,
        last.interval_days,
        c.index,
        classify_response(r, c.guideline),
        r.peak_improvement_percent,
        r.benefit_duration_days,
        r.adverse_effect_severity is AdverseEffectSeverity.SIGNIFICANT,
    )
    a.cycles = (*a.cycles[:-1], cycle)
    a.responses = (*a.responses, cycle)
    if r.benefit_duration_days is not None:
        a.durations = (*a.durations, (cycle.number, r.benefit_duration_days))
    # Only the response tests can change with a response; the interval test gave no reason before it.
    a.waning_reason = response_waning_reason(a.responses, a.durations, a.plan_start, c.guideline)


def _is_waning(c: Change) -> bool:
    return c.after.waning_reason is not None


def _waning_alert(c: Change) -> None:
    reason = c.after.waning_reason
    if reason is not None:
        c.alert("waning_response", f"Waning response ({reason.value}): {WANING_TEXT[reason]}.")


def _plan_adjusted_effect(c: Change) -> None:
    _enter_toxin(c)


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
    )
    a.risk = risk
    if risk.verdict is Verdict.UNFAVOURABLE:
        c.alert("surgical_risk_unfavourable", f"The risk-benefit verdict is unfavourable: {risk.verdict_reason}.")


def _checkpoint_requirement(code: str, description: str) -> Requirement:
    def test(c: Change) -> bool:
        decision: RiskBenefitDecision = c.event
        if not refers(decision):
            return True
        b = c.before
        conditions = checkpoint_conditions(decision, decision.date, risk=b.risk, imaging=b.imaging, any_mri=b.any_mri)
        return all(cond.met for cond in conditions if cond.code == code)

    return Requirement(
        Condition(code, description, test, ("R105",)),
        error="checkpoint_not_satisfied",
        message=_checkpoint_refusal,
    )


def _checkpoint_refusal(c: Change) -> str:
    decision: RiskBenefitDecision = c.event
    b = c.before
    conditions = checkpoint_conditions(decision, decision.date, risk=b.risk, imaging=b.imaging, any_mri=b.any_mri)
    return "referral for microvascular decompression is refused by the risk-benefit checkpoint; still needed: " + (
        "; ".join(cond.text for cond in conditions if not cond.met)
    )


def _override_alert(c: Change) -> None:
    decision: RiskBenefitDecision = c.event
    b = c.before
    needs = override_needed(b.risk, b.imaging, b.any_mri)
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


def _mvd_effect(c: Change) -> None:
    a = c.after
    a.mvd_date = c.event.date
    a.last_post_mvd_review = None
    a.last_post_mvd_outcome = None
    a.mvd_unsuccessful = False


def _months_after_surgery_reached(c: Change, months: int) -> bool:
    surgery = c.before.mvd_date
    return surgery is not None and c.event.date >= add_months(surgery, months)


def _post_mvd_effect(c: Change) -> None:
    r: PostMvdReview = c.event
    a = c.after
    a.last_post_mvd_review = r.date
    a.last_post_mvd_outcome = r.spasm
    g = c.guideline
    if r.complications:
        listed = ", ".join(
            f"{x.type.value.replace('_', ' ')} ({'permanent' if x.permanent else 'transient'})" for x in r.complications
        )
        c.alert("mvd_complication", f"Complications after surgery: {listed}.")
    early = not _months_after_surgery_reached(c, g.post_mvd_failure_months)
    if r.spasm in (SpasmOutcome.IMPROVED, SpasmOutcome.UNCHANGED) and early:
        c.alert(
            "delayed_resolution_possible",
            f"Spasm {r.spasm.value} before {g.post_mvd_failure_months} months after surgery; delayed cure is common.",
        )
    if r.spasm is SpasmOutcome.RECURRED or (r.spasm is not SpasmOutcome.RESOLVED and not early):
        a.mvd_unsuccessful = True


def _cured(c: Change) -> bool:
    r: PostMvdReview = c.event
    return (
        r.spasm is SpasmOutcome.RESOLVED
        and _months_after_surgery_reached(c, c.guideline.post_mvd_discharge_months)
        and c.before.last_post_mvd_outcome is not SpasmOutcome.RECURRED
    )


def _mvd_unsuccessful(c: Change) -> bool:
    return c.after.mvd_unsuccessful


# Anywhere -------------------------------------------------------------------------------------------


def _red_flag_effect(c: Change) -> None:
    finding = c.event.finding.value.replace("_", " ")
    a = c.after
    a.red_flags = (*a.red_flags, finding)
    a.urgent_imaging = True
    c.alert("red_flag_secondary_hfs", f"New red flag: {finding}. Urgent contrast-enhanced MRI is needed.")


def _exit_effect(c: Change) -> None:
    if c.event.reason is ExitReason.ALTERNATIVE_DIAGNOSIS:
        c.alert("alternative_diagnosis", "The patient left the pathway with an alternative diagnosis.")


def _secondary_outcome_is(outcome: SecondaryCauseOutcome) -> Condition:
    return Condition(
        f"outcome_{outcome.value}",
        f"the outcome is {outcome.value.replace('_', ' ')}",
        lambda c: c.event.outcome is outcome,
    )


STAGES = (
    StageInfo(S.PRESENTATION, "Referred with facial twitching; history and examination to be recorded.", initial=True),
    StageInfo(S.IMAGING, "MRI is requested or awaited.", on_enter=_enter_imaging),
    StageInfo(S.SECONDARY_CAUSE, "Imaging showed a structural or demyelinating cause, managed by its specialty."),
    StageInfo(
        S.TREATMENT_SELECTION,
        "Primary hemifacial spasm is established; the next option is chosen with the patient.",
    ),
    StageInfo(S.OBSERVATION, "No active treatment, by choice.", on_enter=_enter_observation),
    StageInfo(S.ORAL_MEDICATION, "Trial or maintenance of an oral drug.", on_enter=_enter_oral_medication),
    StageInfo(S.BOTULINUM_TOXIN, "Botulinum toxin injection cycles.", on_enter=_enter_toxin),
    StageInfo(
        S.WANING_RESPONSE,
        "Toxin benefit is shortening, insufficient or poorly tolerated: adjust the plan or evaluate surgery.",
    ),
    StageInfo(S.SURGICAL_EVALUATION, "The risk-benefit checkpoint for microvascular decompression."),
    StageInfo(S.MVD_REFERRAL, "Referred to neurosurgery for microvascular decompression, awaiting surgery."),
    StageInfo(S.POST_MVD, "Follow-up after microvascular decompression."),
    StageInfo(S.DISCHARGED, "Spasm resolved; the pathway is complete.", final=True),
    StageInfo(
        S.EXITED, "Left the pathway: another diagnosis, declined care, lost, transferred or deceased.", final=True
    ),
)
"""Every stage of the contract, in pathway order, with what it means and what entering it resets."""

NON_FINAL = tuple(info.stage for info in STAGES if not info.final)
"""Stages a patient can still leave (every stage accepts ``pathway_exit`` but the final ones)."""


HFS_PATHWAY = PathwayDefinition(
    name="hemifacial-spasm",
    version="1.0",
    stages=STAGES,
    rules=(
        EventRule(
            E.PRESENTATION,
            (S.PRESENTATION,),
            description="The first assessment; its impression decides whether the patient enters the pathway.",
            requires=(
                Requirement(
                    Condition(
                        "onset_after_birth", "the symptom onset date is not before the birth date", _onset_after_birth
                    ),
                    error="invalid_event",
                ),
            ),
            effect=_presentation_effect,
            routes=(
                Route(
                    S.IMAGING,
                    "Hemifacial spasm, certain or suspected, is imaged before any treatment.",
                    when=Condition(
                        "impression_hfs_or_uncertain",
                        "the clinical impression is hemifacial spasm or uncertain",
                        _impression_is_hfs,
                    ),
                    evidence=("R58", "R106", "R9"),
                ),
                Route(
                    S.EXITED,
                    "Another diagnosis explains the movements; its own pathway applies.",
                    evidence=("R16", "R20"),
                    alert=_alternative_diagnosis,
                    otherwise="any other clinical impression",
                ),
            ),
        ),
        EventRule(
            E.IMAGING_RESULT,
            (S.IMAGING,),
            description="The imaging result separates secondary causes from primary hemifacial spasm.",
            effect=_imaging_effect,
            routes=(
                Route(
                    S.SECONDARY_CAUSE,
                    "A structural or demyelinating cause is managed by its specialty first.",
                    when=Condition(
                        "secondary_cause_found",
                        "imaging shows a tumour, demyelination, vascular malformation or other structural cause",
                        _secondary_finding,
                    ),
                    evidence=("R9", "R135", "R159"),
                ),
                Route(
                    S.TREATMENT_SELECTION,
                    "A conflict, or no abnormality, establishes primary hemifacial spasm.",
                    evidence=("R9", "R113"),
                    otherwise="imaging shows a neurovascular conflict or no abnormality",
                ),
            ),
        ),
        EventRule(
            E.SECONDARY_CAUSE_OUTCOME,
            (S.SECONDARY_CAUSE,),
            description="What became of the spasm once the cause was managed.",
            routes=(
                Route(
                    S.TREATMENT_SELECTION,
                    "Spasm that persists is treated on its own account.",
                    when=_secondary_outcome_is(SecondaryCauseOutcome.SPASM_PERSISTS),
                    evidence=("R43",),
                ),
                Route(
                    S.DISCHARGED,
                    "Treating the cause relieved the spasm.",
                    when=_secondary_outcome_is(SecondaryCauseOutcome.RESOLVED),
                    evidence=("R159",),
                ),
                Route(
                    S.EXITED,
                    "Care continues with the specialty managing the cause.",
                    otherwise="the outcome is managed elsewhere",
                ),
            ),
        ),
        EventRule(
            E.TREATMENT_DECISION,
            ACTIVE_STAGES,
            description="The option chosen with the patient; the pathway moves to the stage it names.",
            routes=(
                Route(
                    S.OBSERVATION,
                    "The patient chose no active treatment.",
                    when=_option_is("observation"),
                    evidence=("R59",),
                ),
                Route(
                    S.ORAL_MEDICATION,
                    "An oral drug suits mild spasm, a patient declining injections, or a bridge.",
                    when=_option_is("oral_medication"),
                    evidence=("R58", "R56"),
                ),
                Route(
                    S.BOTULINUM_TOXIN,
                    "Botulinum toxin is the first-line symptomatic treatment.",
                    when=_option_is("botulinum_toxin"),
                    evidence=("R35", "R104"),
                ),
                Route(
                    S.SURGICAL_EVALUATION,
                    "Surgery is considered only through the risk-benefit checkpoint.",
                    evidence=("R103", "R105"),
                    otherwise="the option chosen is surgical evaluation",
                ),
            ),
        ),
        EventRule(
            E.MEDICATION_STARTED,
            (S.ORAL_MEDICATION,),
            description="An oral drug is started.",
            effect=_medication_started_effect,
            routes=(Route(None, "The trial of the drug begins."),),
        ),
        EventRule(
            E.MEDICATION_REVIEW,
            (S.ORAL_MEDICATION,),
            description="The oral drug's effect and tolerability are reviewed.",
            requires=(
                Requirement(
                    Condition(
                        "medication_started",
                        "an oral drug started in this course of oral treatment",
                        lambda c: c.before.medication is not None,
                    ),
                ),
            ),
            effect=_review_effect,
            routes=(
                Route(
                    None,
                    "A good response without intolerable effects continues.",
                    when=Condition(
                        "medication_works", "the response is good and side effects are tolerable", _medication_works
                    ),
                    evidence=("R24",),
                ),
                Route(
                    S.TREATMENT_SELECTION,
                    "A partial or absent response, or intolerable effects, calls for another option, usually toxin.",
                    evidence=("R58", "R35"),
                    otherwise="the response is partial or none, or side effects are intolerable",
                ),
            ),
        ),
        EventRule(
            E.BOTOX_INJECTION,
            (S.BOTULINUM_TOXIN,),
            description="One injection session; its interval and dose are checked, and waning is looked for.",
            effect=_injection_effect,
            routes=(
                Route(
                    S.WANING_RESPONSE,
                    "Shortening, insufficient, absent or poorly tolerated benefit calls for a new plan.",
                    when=Condition("waning", "the toxin benefit is waning", _is_waning),
                    evidence=("R45", "R72", "R104"),
                    alert=_waning_alert,
                ),
                Route(None, "Toxin cycles continue."),
            ),
        ),
        EventRule(
            E.BOTOX_RESPONSE,
            (S.BOTULINUM_TOXIN,),
            description="The response to the latest injection, recorded once it is known.",
            requires=(
                Requirement(
                    Condition(
                        "injection_awaiting_response",
                        "an injection whose response has not been recorded yet",
                        _awaiting_response,
                    ),
                ),
                Requirement(
                    Condition(
                        "benefit_within_elapsed_time",
                        "a benefit duration no longer than the time since the injection",
                        _benefit_within_elapsed,
                    ),
                    error="invalid_event",
                    message=_benefit_message,
                ),
            ),
            effect=_response_effect,
            routes=(
                Route(
                    S.WANING_RESPONSE,
                    "Insufficient, absent, shortening or poorly tolerated benefit calls for a new plan.",
                    when=Condition("waning", "the toxin benefit is waning", _is_waning),
                    evidence=("R45", "R72", "R104"),
                    alert=_waning_alert,
                ),
                Route(None, "Toxin cycles continue."),
            ),
        ),
        EventRule(
            E.BOTOX_PLAN_ADJUSTED,
            (S.WANING_RESPONSE, S.BOTULINUM_TOXIN),
            description="Dose, sites or product changed; the new plan gets its own cycles.",
            effect=_plan_adjusted_effect,
            routes=(
                Route(
                    S.BOTULINUM_TOXIN,
                    "A higher dose, other sites or another product often restores the response.",
                    evidence=("R45", "R50", "R22"),
                ),
            ),
        ),
        EventRule(
            E.SURGICAL_RISK_ASSESSMENT,
            (S.SURGICAL_EVALUATION,),
            description="The pre-operative risk assessment, which yields the risk-benefit verdict.",
            effect=_risk_effect,
            routes=(Route(None, "The assessment informs the decision.", evidence=("R120", "R105")),),
        ),
        EventRule(
            E.RISK_BENEFIT_DECISION,
            (S.SURGICAL_EVALUATION,),
            description="Refer for surgery through the checkpoint, or continue conservative care.",
            requires=(
                _checkpoint_requirement(
                    "recent_risk_assessment", "a surgical risk assessment was recorded within the validity period"
                ),
                _checkpoint_requirement("patient_informed", "the patient was informed of the benefits and risks"),
                _checkpoint_requirement("patient_consents", "the patient consents to the referral"),
                _checkpoint_requirement(
                    "override_reason",
                    "an override reason is given when the verdict is unfavourable, imaging was CT only, "
                    "or the latest imaging showed a secondary cause",
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
                        lambda c: c.event.decision is RiskBenefitChoice.REFER_FOR_MVD,
                    ),
                    evidence=("R105", "R72", "R104"),
                    alert=_override_alert,
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
        ),
        EventRule(
            E.MVD_PERFORMED,
            (S.MVD_REFERRAL,),
            description="The operation took place.",
            effect=_mvd_effect,
            routes=(Route(S.POST_MVD, "Follow-up after surgery begins.", evidence=("R73", "R123")),),
        ),
        EventRule(
            E.REFERRAL_CLOSED,
            (S.MVD_REFERRAL,),
            description="The referral ended without surgery.",
            routes=(Route(S.TREATMENT_SELECTION, "Without surgery, another option is chosen."),),
        ),
        EventRule(
            E.POST_MVD_REVIEW,
            (S.POST_MVD,),
            description="A scheduled review after surgery.",
            effect=_post_mvd_effect,
            routes=(
                Route(
                    S.DISCHARGED,
                    "Resolved spasm two years after surgery rarely recurs.",
                    when=Condition("cured", "spasm resolved at a review 24 months or more after surgery", _cured),
                    evidence=("R123", "R118"),
                ),
                Route(
                    S.TREATMENT_SELECTION,
                    "Recurrence, or spasm that persists a year after surgery, needs a new plan; a second "
                    "decompression is one option.",
                    when=Condition(
                        "mvd_unsuccessful",
                        "spasm recurred, or is only improved or unchanged 12 months or more after surgery",
                        _mvd_unsuccessful,
                    ),
                    evidence=("R124", "R118", "R73"),
                ),
                Route(None, "Follow-up continues; delayed cure is common in the first year.", evidence=("R73", "R74")),
            ),
        ),
        EventRule(
            E.RED_FLAG,
            (
                S.TREATMENT_SELECTION,
                S.OBSERVATION,
                S.ORAL_MEDICATION,
                S.BOTULINUM_TOXIN,
                S.WANING_RESPONSE,
                S.SURGICAL_EVALUATION,
                S.MVD_REFERRAL,
            ),
            description="A new sign that suggests a secondary cause.",
            effect=_red_flag_effect,
            routes=(
                Route(
                    S.IMAGING,
                    "A new red flag sends the patient back to urgent imaging.",
                    evidence=("R133", "R134", "R145b"),
                ),
            ),
        ),
        EventRule(
            E.REVIEW_VISIT,
            (S.OBSERVATION, S.ORAL_MEDICATION, S.BOTULINUM_TOXIN, S.POST_MVD),
            description="A routine review.",
            effect=_review_effect,
            routes=(
                Route(
                    S.TREATMENT_SELECTION,
                    "A patient under observation who now wants treatment chooses an option.",
                    when=Condition(
                        "wants_treatment",
                        "the patient wants treatment",
                        lambda c: c.event.wants_treatment,
                    ),
                    sources=(S.OBSERVATION,),
                ),
                Route(None, "Care continues as planned."),
            ),
        ),
        EventRule(
            E.PATHWAY_EXIT,
            NON_FINAL,
            description="The patient leaves the pathway.",
            effect=_exit_effect,
            routes=(Route(S.EXITED, "The patient left the pathway."),),
        ),
    ),
)
"""The hemifacial spasm pathway of the clinical contract."""
