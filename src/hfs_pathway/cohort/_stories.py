"""The synthetic stories: one per branch of the pathway, with its share of a cohort (:data:`STORIES`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._story import DRUGS, MIMICS, UNITS, Story

# The stories ---------------------------------------------------------------------------------------------------
# Each writes the events and returns (expected stage, the largest gap in days between the last event and as_of).


def _referred(s: Story) -> tuple[str, int]:
    return "presentation", 60  # referred, not yet seen: no events


def _awaiting_imaging(s: Story) -> tuple[str, int]:
    s.present()
    return "imaging", 150


def _alternative_diagnosis(s: Story) -> tuple[str, int]:
    s.present(s.rng.choice(MIMICS))
    return "exited", 400


def _secondary_cause(s: Story) -> tuple[str, int]:
    s.present()
    s.image(s.rng.choice(("tumour", "demyelination", "vascular_malformation", "other_structural")), mri=True)
    roll = s.rng.random()
    if roll < 0.5:
        return "secondary_cause", 120
    s.wait(60, 365)
    outcome, stage = (
        ("spasm_persists", "treatment_selection")
        if roll < 0.75
        else ("resolved", "discharged")
        if roll < 0.9
        else ("managed_elsewhere", "exited")
    )
    s.add("secondary_cause_outcome", outcome=outcome)
    return stage, 90


def _treatment_selection(s: Story) -> tuple[str, int]:
    s.opening()
    return "treatment_selection", 90


def _observation(s: Story) -> tuple[str, int]:
    s.opening("observation")
    reviews = s.rng.randint(0, 3)
    for i in range(reviews):
        s.wait(150, 200)
        wants = i == reviews - 1 and s.rng.random() < 0.15
        s.add("review_visit", wants_treatment=wants, jrs_severity=s.rng.randint(0, 2))
        if wants:
            return "treatment_selection", 60
    return "observation", 300


def _oral_medication(s: Story) -> tuple[str, int]:
    rng = s.rng
    s.opening("oral_medication")
    if rng.random() < 0.15:
        return "oral_medication", 30  # the drug is yet to be started
    s.wait(0, 14)
    drug, low, high = rng.choice(DRUGS)
    fields: dict[str, Any] = {"drug": drug, "dose_mg_per_day": rng.randint(low, high)}
    if drug == "carbamazepine" and s.patient.get("asian_ancestry") and rng.random() < 0.6:
        fields["hla_b1502_tested"] = True
    s.add("medication_started", **fields)
    for i in range(rng.randint(0, 3)):
        s.wait(50, 120)
        if i > 0 and rng.random() < 0.25:
            s.add(
                "medication_review",
                response=rng.choice(("partial", "none")),
                adverse_effects=rng.choice(("none", "tolerable", "intolerable")),
            )
            return "treatment_selection", 60
        s.add("medication_review", response="good", adverse_effects=rng.choice(("none", "tolerable")))
    return "oral_medication", 150


def _toxin_first(s: Story) -> tuple[str, int]:
    s.opening("botulinum_toxin")
    return "botulinum_toxin", 60


def _toxin_steady(s: Story) -> tuple[str, int]:
    rng = s.rng
    s.opening("botulinum_toxin")
    s.wait(0, 21)
    if rng.random() < 0.03:
        s.units = s.units_max * 2  # above the usual range: dose_above_usual_range
    s.cycles(rng.randint(0, 10), short_once=rng.random() < 0.05)
    if rng.random() < 0.5:
        s.inject()  # the last injection, awaiting its response
        return "botulinum_toxin", 200
    if rng.random() < 0.3:
        s.wait(14, 42)
        s.add("review_visit", wants_treatment=False, jrs_severity=rng.randint(0, 2))
    return "botulinum_toxin", 90


def _waning(s: Story) -> tuple[str, int]:
    s.opening("botulinum_toxin")
    s.cycles(s.rng.randint(1, 5), 2)
    return "waning_response", 90


def _plan_adjusted(s: Story) -> tuple[str, int]:
    rng = s.rng
    s.opening("botulinum_toxin")
    s.cycles(rng.randint(2, 3), 2)
    s.wait(0, 14)
    adjustment = rng.choice(("increase_dose", "change_sites", "switch_product"))
    s.add("botox_plan_adjusted", adjustment=adjustment)
    if adjustment == "increase_dose":
        s.units = min(s.units + rng.randint(2, 10), s.units_max)
    elif adjustment == "switch_product":
        s.product = "incobotulinumtoxinA" if s.product == "onabotulinumtoxinA" else "onabotulinumtoxinA"
        s.units = rng.randint(*UNITS[s.product])
    s.wait(0, 14)
    s.cycles(rng.randint(1, 4))
    return "botulinum_toxin", 90


def _checkpoint(s: Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.to_checkpoint()
    if s.rng.random() < 0.6:
        s.assess(unfavourable=s.rng.random() < 0.15)
        return "surgical_evaluation", 240
    return "surgical_evaluation", 90


def _conservative(s: Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.to_checkpoint()
    s.assess(unfavourable=s.rng.random() < 0.3)
    s.wait(7, 60)
    s.add(
        "risk_benefit_decision",
        decision="continue_conservative",
        patient_informed=True,
        patient_consents=False,
        next_option="botulinum_toxin",
    )
    s.wait(0, 30)
    s.cycles(s.rng.randint(0, 2))
    return "botulinum_toxin", 90


def _mvd_referral(s: Story) -> tuple[str, int]:
    # Some patients decline the contrast their presentation calls for: the referral then records an override reason.
    s.opening("botulinum_toxin", mri=True, skip_contrast=s.rng.random() < 0.2)
    s.refer()
    if s.rng.random() < 0.15:
        s.wait(30, 120)
        s.add("referral_closed", reason=s.rng.choice(("surgeon_declined", "patient_declined")))
        return "treatment_selection", 60
    return "mvd_referral", 150


def _post_mvd(s: Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.operate()
    months = (3, 6, 12)[: s.rng.randint(0, 3)]
    s.reviews_after_surgery(months, bridging=s.rng.random() < 0.15)  # toxin while delayed cure is awaited
    return "post_mvd", 200


def _discharged(s: Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.operate()
    s.reviews_after_surgery((3, 6, 12, 24))
    if s.rng.random() < 0.15:  # the spasm returns years after the pathway was complete (R2.9)
        s.wait(90, 1500)
        s.add("recurrence")
        return "treatment_selection", 90
    return "discharged", 365


def _recurrence(s: Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.operate()
    s.reviews_after_surgery((3, 6, 15), last="recurred")
    return "treatment_selection", 90


def _red_flag(s: Story) -> tuple[str, int]:
    s.opening("botulinum_toxin")
    s.cycles(s.rng.randint(1, 4))
    s.wait(7, 60)
    s.add(
        "red_flag",
        finding=s.rng.choice(
            ("facial_weakness", "facial_numbness", "hearing_loss", "other_cranial_nerve_signs", "rapid_progression")
        ),
    )
    return "imaging", 120


def _exited(s: Story) -> tuple[str, int]:
    rng = s.rng
    s.opening(rng.choice(("botulinum_toxin", "oral_medication", "observation")))
    if s.events[-1][2].get("option") == "botulinum_toxin":
        s.cycles(rng.randint(0, 4))
    s.wait(30, 365)
    s.add(
        "pathway_exit",
        reason=rng.choice(
            ("lost_to_follow_up", "lost_to_follow_up", "transferred", "deceased", "patient_declined_care")
        ),
    )
    return "exited", 365


STORIES: dict[str, tuple[float, Callable[[Story], tuple[str, int]]]] = {
    "referred": (0.01, _referred),
    "awaiting_imaging": (0.04, _awaiting_imaging),
    "alternative_diagnosis": (0.02, _alternative_diagnosis),
    "secondary_cause": (0.02, _secondary_cause),
    "treatment_selection": (0.03, _treatment_selection),
    "observation": (0.05, _observation),
    "oral_medication": (0.05, _oral_medication),
    "toxin_first": (0.03, _toxin_first),
    "toxin_steady": (0.29, _toxin_steady),
    "waning": (0.07, _waning),
    "plan_adjusted": (0.07, _plan_adjusted),
    "checkpoint": (0.07, _checkpoint),
    "conservative": (0.02, _conservative),
    "mvd_referral": (0.04, _mvd_referral),
    "post_mvd": (0.08, _post_mvd),
    "discharged": (0.06, _discharged),
    "recurrence": (0.01, _recurrence),
    "red_flag": (0.02, _red_flag),
    "exited": (0.02, _exited),
}
"""Story name -> (share of the cohort, writer). The shares add up to 1."""
