"""Presentation, secondary causes and red flags: the start of the diagnostic work-up (spec §3, revision 2
R2.1, R2.3, R2.14, R2.15). The imaging events that carry the work-up on are in ``imaging``."""

from __future__ import annotations

from hfs_pathway._change import Change
from hfs_pathway._definition import Condition, EventRule, Requirement, Route
from hfs_pathway._events import Presentation, RedFlag
from hfs_pathway._vocabulary import (
    ClinicalImpression,
    RedFlagFinding,
    SecondaryCauseOutcome,
    Stage,
)
from hfs_pathway._workup import WorkupTier, open_workup, presentation_features, red_flag_tier

from .common import CARE_STAGES, E, S

INTERRUPTIBLE = (*CARE_STAGES, S.DISCHARGED)
"""Stages a red flag can interrupt (the patient goes to ``imaging``)."""

RESUMED_AT = {S.MVD_REFERRAL: S.SURGICAL_EVALUATION}
"""A referral interrupted by a red flag goes back through the checkpoint with the new imaging (invariant 1: the
referral stage is only ever entered through the checkpoint)."""

RETURN_STAGES = tuple(
    stage for stage in INTERRUPTIBLE if stage is not S.TREATMENT_SELECTION and stage not in RESUMED_AT
)
"""Stages a clear study (or an informed refusal) returns the patient to after a red flag interrupted them: a red
flag in ``treatment_selection`` returns there by the default route, one in ``mvd_referral`` at ``RESUMED_AT``."""


# Members read on every presentation or red flag, bound to module names once for speed (see the note in
# ``_workup``: an ``Enum.MEMBER`` look-up costs about 100 ns under Python 3.11).
_HFS_IMPRESSIONS = (ClinicalImpression.HEMIFACIAL_SPASM, ClinicalImpression.UNCERTAIN)
_IMAGING, _POST_MVD, _URGENT = S.IMAGING, S.POST_MVD, WorkupTier.URGENT

# Presentation ------------------------------------------------------------------------------------


def _impression_is_hfs(c: Change) -> bool:
    return c.event.clinical_impression in _HFS_IMPRESSIONS


def _urgent_at_presentation(c: Change) -> bool:
    # The effect opened the work-up at the tier the presentation's features set (an urgent one whatever the
    # impression): read it there rather than sort the features again.
    workup = c.after.workup
    return workup is not None and workup.tier is _URGENT


def _presentation_effect(c: Change) -> None:
    p: Presentation = c.event
    a, g = c.after, c.guideline
    date = p.date
    a.presentation = p
    a.imaging_clock = date
    # The features unpacked once (a named tuple's field read by name is slow), the impression tested inline.
    urgent, contrast, acute, age, tier, bilateral, lower_face_onset = presentation_features(p, c.patient.birth_date, g)
    enters = p.clinical_impression in _HFS_IMPRESSIONS or bool(urgent)
    if urgent:
        text = "Urgent contrast-enhanced MRI: " + ", ".join(urgent) + "."
        if contrast:
            text += " Other features favouring a secondary cause: " + ", ".join(contrast) + "."
        c.alert("red_flag_secondary_hfs", text)
    elif contrast and enters:
        c.alert("contrast_mri_indicated", "Contrast-enhanced MRI is indicated: " + ", ".join(contrast) + ".")
    if acute:
        c.alert("emergency_assessment", "A deficit began within days: arrange specialist assessment today.")
    if enters:
        a.workup = open_workup(None, tier, date, urgent or contrast, g, acute=acute)
    if age is not None and age < g.young_onset_age_years:
        c.alert("young_onset", f"Spasm began at age {age}, before {g.young_onset_age_years}.")
    if bilateral:
        c.alert("bilateral_symptoms", "Spasm is reported on both sides of the face.")
    if lower_face_onset:
        c.alert("atypical_onset", "Spasm began in the lower face rather than around the eye.")


def _impression(c: Change) -> str:
    return str(c.event.clinical_impression.value.replace("_", " "))


def _alternative_diagnosis(c: Change) -> None:
    c.alert("alternative_diagnosis", f"The clinical impression is {_impression(c)}, not hemifacial spasm.")


def _alternative_diagnosis_imaged(c: Change) -> None:
    c.alert(
        "alternative_diagnosis",
        f"The clinical impression is {_impression(c)}, not hemifacial spasm, but an urgent red flag is imaged first; "
        "the patient leaves the pathway afterwards (pathway_exit, alternative_diagnosis).",
    )


def _onset_after_birth(c: Change) -> bool:
    p: Presentation = c.event
    birth, onset = c.patient.birth_date, p.symptom_onset_date  # each read once (a model's attribute read is slow)
    return birth is None or onset is None or onset >= birth


# Red flags ---------------------------------------------------------------------------------------------

_COMPLICATION_FINDINGS = (RedFlagFinding.FACIAL_WEAKNESS, RedFlagFinding.HEARING_LOSS)


def _complication_after_surgery(c: Change) -> bool:
    """New weakness or hearing loss soon after MVD is a complication of the operation (delayed palsy is common)."""
    surgery = c.before.mvd_date
    return (
        c.before.stage is _POST_MVD
        and surgery is not None
        and c.event.finding in _COMPLICATION_FINDINGS
        and (c.event.date - surgery).days <= c.guideline.post_mvd_complication_window_days
    )


def _red_flag_effect(c: Change) -> None:
    flag: RedFlag = c.event
    a, b, g = c.after, c.before, c.guideline
    finding = flag.finding.replace("_", " ")  # a StrEnum member is its value: no call of the ``value`` property
    if _complication_after_surgery(c):
        assert b.mvd_date is not None
        days = (flag.date - b.mvd_date).days
        a.neurosurgery_contact = (c.index, b.last_post_mvd_review)
        c.alert(
            "mvd_complication",
            f"New {finding} {days} days after surgery, recorded as a complication of the operation: contact the "
            "neurosurgical team.",
        )
        return
    tier = red_flag_tier(flag)
    a.workup = open_workup(a.workup, tier, flag.date, (f"new {finding}",), g, acute=flag.acute_onset)
    a.imaging_clock = flag.date
    if b.stage is not _IMAGING:
        a.interrupted = RESUMED_AT.get(b.stage, b.stage)
    due = a.workup.due.isoformat()
    if tier is _URGENT:
        c.alert("red_flag_secondary_hfs", f"New red flag: {finding}. Urgent contrast-enhanced MRI is needed by {due}.")
    else:
        c.alert("contrast_mri_indicated", f"New {finding}: contrast-enhanced MRI is indicated by {due}.")
    if flag.acute_onset:
        c.alert("emergency_assessment", f"New {finding} of acute onset: arrange specialist assessment today.")


def _secondary_outcome_is(outcome: SecondaryCauseOutcome) -> Condition:
    return Condition(
        f"outcome_{outcome.value}",
        f"the outcome is {outcome.value.replace('_', ' ')}",
        lambda c: c.event.outcome is outcome,
    )


def interrupted_is(stage: Stage, also: Condition | None = None) -> Condition:
    """The red flag that sent the patient to imaging interrupted ``stage`` (and ``also`` holds)."""
    where = stage.value.replace("_", " ")
    if also is None:
        return Condition(
            f"interrupted_{stage.value}", f"a red flag interrupted {where}", lambda c: c.before.interrupted is stage
        )
    return Condition(
        f"{also.name}_interrupted_{stage.value}",
        f"{also.description}, and a red flag interrupted {where}",
        lambda c: c.before.interrupted is stage and also.test(c),
    )


def return_routes(rationale: str, also: Condition | None = None) -> tuple[Route, ...]:
    """Routes from ``imaging`` back to the stage a red flag interrupted (R2.15)."""
    return tuple(
        Route(
            stage,
            rationale,
            when=interrupted_is(stage, also),
            sources=(S.IMAGING,),
            evidence=("R133", "R9"),
            resumes=True,
        )
        for stage in RETURN_STAGES
    )


PRESENTATION = EventRule(
    E.PRESENTATION,
    (S.PRESENTATION,),
    description="The first assessment; its impression and findings decide whether and how urgently to image.",
    requires=(
        Requirement(
            Condition("onset_after_birth", "the symptom onset date is not before the birth date", _onset_after_birth),
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
            S.IMAGING,
            "A red flag is never dropped without imaging, whatever the impression; the patient leaves afterwards.",
            when=Condition(
                "urgent_red_flag",
                "another impression, with an urgent red flag (a new or progressive deficit, a fast course, a child)",
                _urgent_at_presentation,
            ),
            evidence=("R133", "R145b", "R20"),
            alert=_alternative_diagnosis_imaged,
        ),
        Route(
            S.EXITED,
            "Another diagnosis explains the movements; its own pathway applies.",
            evidence=("R16", "R20"),
            alert=_alternative_diagnosis,
            otherwise="any other clinical impression, without an urgent red flag",
        ),
    ),
)

SECONDARY_CAUSE_OUTCOME = EventRule(
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
)

RED_FLAG = EventRule(
    E.RED_FLAG,
    (*INTERRUPTIBLE, S.IMAGING),
    description="A new sign that suggests a secondary cause, at any point of care.",
    effect=_red_flag_effect,
    routes=(
        Route(
            None,
            "New facial weakness or hearing loss within 30 days of MVD is a complication of the operation.",
            when=Condition(
                "complication_after_surgery",
                "new facial weakness or hearing loss within the complication window after MVD",
                _complication_after_surgery,
            ),
            sources=(S.POST_MVD,),
            evidence=("R70", "R26"),
        ),
        Route(
            None,
            "A red flag while imaging is awaited raises the order (the earliest urgent due date stands).",
            sources=(S.IMAGING,),
            evidence=("R133", "R145b"),
            otherwise="a red flag while imaging is awaited",
        ),
        Route(
            S.IMAGING,
            "A new red flag sends the patient back to imaging; a clear study returns them where they were.",
            sources=INTERRUPTIBLE,
            evidence=("R133", "R134", "R145b"),
            otherwise="any other red flag",
        ),
    ),
)
