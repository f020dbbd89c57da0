"""Choosing a treatment, observation and oral medication (spec §3)."""

from __future__ import annotations

from hfs_pathway._change import Change
from hfs_pathway._definition import Condition, EventRule, Requirement, Route
from hfs_pathway._events import MedicationReview, MedicationStarted
from hfs_pathway._vocabulary import MedicationAdverseEffects, MedicationResponse, TreatmentOption

from .common import ACTIVE_STAGES, E, S
from .drugs import medication_checks

# Enum members read on every review, looked up once: on Python 3.11 reading a member off its class goes through
# EnumType.__getattr__, several times the cost of reading a module name.
_GOOD = MedicationResponse.GOOD
_INTOLERABLE = MedicationAdverseEffects.INTOLERABLE

# Treatment choices ------------------------------------------------------------------------------


def _option_is(option: TreatmentOption) -> Condition:
    # The member itself is compared (``is``): cheaper than comparing strings, in up to three guards per decision.
    return Condition(
        f"option_{option.value}",
        f"the option chosen is {option.value.replace('_', ' ')}",
        lambda c: c.event.option is option,
    )


def enter_observation(c: Change) -> None:
    c.after.last_review = None


def enter_oral_medication(c: Change) -> None:
    c.after.medication = None
    c.after.last_review = None


# Oral medication ----------------------------------------------------------------------------------


def _medication_started_effect(c: Change) -> None:
    m: MedicationStarted = c.event
    c.after.medication = m
    medication_checks(c)


def _medication_works(c: Change) -> bool:
    r: MedicationReview = c.event
    return r.response is _GOOD and r.adverse_effects is not _INTOLERABLE


def _review_effect(c: Change) -> None:
    c.after.last_review = c.event.date


TREATMENT_DECISION = EventRule(
    E.TREATMENT_DECISION,
    ACTIVE_STAGES,
    description="The option chosen with the patient; the pathway moves to the stage it names.",
    routes=(
        Route(
            S.OBSERVATION,
            "The patient chose no active treatment.",
            when=_option_is(TreatmentOption.OBSERVATION),
            evidence=("R59",),
        ),
        Route(
            S.ORAL_MEDICATION,
            "An oral drug suits mild spasm, a patient declining injections, or a bridge.",
            when=_option_is(TreatmentOption.ORAL_MEDICATION),
            evidence=("R58", "R56"),
        ),
        Route(
            S.BOTULINUM_TOXIN,
            "Botulinum toxin is the first-line symptomatic treatment.",
            when=_option_is(TreatmentOption.BOTULINUM_TOXIN),
            evidence=("R35", "R104"),
        ),
        Route(
            S.SURGICAL_EVALUATION,
            "Surgery is considered only through the risk-benefit checkpoint.",
            evidence=("R103", "R105"),
            otherwise="the option chosen is surgical evaluation",
        ),
    ),
)

MEDICATION_STARTED = EventRule(
    E.MEDICATION_STARTED,
    (S.ORAL_MEDICATION,),
    description="An oral drug is started.",
    effect=_medication_started_effect,
    routes=(Route(None, "The trial of the drug begins."),),
)

MEDICATION_REVIEW = EventRule(
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
)

REVIEW_VISIT = EventRule(
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
)
