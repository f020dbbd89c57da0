"""Presentation, imaging, secondary causes and red flags: the diagnostic work-up (spec §3)."""

from __future__ import annotations

import datetime as dt

from hfs_pathway._dates import age_on
from hfs_pathway._definition import Change, Condition, EventRule, Requirement, Route
from hfs_pathway._events import ImagingResult, Presentation
from hfs_pathway._vocabulary import (
    ClinicalImpression,
    ImagingFinding,
    Modality,
    OnsetRegion,
    SecondaryCauseOutcome,
    Side,
)

from .common import E, S

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
    a.workup_open = False  # revision 1's reading: any imaging result completes the work-up
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


def enter_imaging(c: Change) -> None:
    c.after.imaging_clock = c.event.date
    c.after.workup_open = True


def _red_flag_effect(c: Change) -> None:
    finding = c.event.finding.value.replace("_", " ")
    a = c.after
    a.red_flags = (*a.red_flags, finding)
    a.urgent_imaging = True
    c.alert("red_flag_secondary_hfs", f"New red flag: {finding}. Urgent contrast-enhanced MRI is needed.")


def _secondary_outcome_is(outcome: SecondaryCauseOutcome) -> Condition:
    return Condition(
        f"outcome_{outcome.value}",
        f"the outcome is {outcome.value.replace('_', ' ')}",
        lambda c: c.event.outcome is outcome,
    )


PRESENTATION = EventRule(
    E.PRESENTATION,
    (S.PRESENTATION,),
    description="The first assessment; its impression decides whether the patient enters the pathway.",
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
            S.EXITED,
            "Another diagnosis explains the movements; its own pathway applies.",
            evidence=("R16", "R20"),
            alert=_alternative_diagnosis,
            otherwise="any other clinical impression",
        ),
    ),
)

IMAGING_RESULT = EventRule(
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
)
