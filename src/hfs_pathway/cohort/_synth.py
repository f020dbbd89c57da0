"""Synthetic cohorts: clinically plausible cases across every branch of the pathway, the same for a seed.

Each case follows one *story* (a branch of the pathway), drawn with the weights in :data:`STORIES`; the story's
times, findings and responses are drawn from the distributions documented in ``docs/cohort.md``. Every case
ends on or before the evaluation date ``as_of``, a story-specific gap before it, so that some patients are due
or overdue on that date and others are not. Dates are built as day offsets from the presentation and placed on
the calendar at the end. The generator uses only ``random.Random(seed)``, so the same ``n``, ``seed`` and
``as_of`` give the same cases, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

DEFAULT_SEED = 20250101
DEFAULT_AS_OF = dt.date(2026, 1, 1)

# Total units per session: usual ranges by product (the guideline's usual maxima are 70, 200 and 70).
_UNITS = {"onabotulinumtoxinA": (12, 45), "incobotulinumtoxinA": (12, 45), "abobotulinumtoxinA": (50, 160)}
_PRODUCTS = ("onabotulinumtoxinA", "onabotulinumtoxinA", "incobotulinumtoxinA", "abobotulinumtoxinA")
_VESSELS = ("aica", "aica", "aica", "pica", "pica", "vertebral", "vein", "multiple")
_RED_FLAG_FIELDS = (
    "facial_weakness",
    "facial_numbness",
    "hearing_loss",
    "other_cranial_nerve_signs",
    "tonic_contraction",
)
_MIMICS = (
    "blepharospasm",
    "post_facial_palsy_synkinesis",
    "facial_myokymia",
    "tic",
    "functional",
    "hemimasticatory_spasm",
)
_DRUGS = (
    ("carbamazepine", 200, 800),
    ("carbamazepine", 200, 800),
    ("clonazepam", 1, 4),
    ("gabapentin", 600, 1800),
    ("oxcarbazepine", 300, 1200),
    ("baclofen", 15, 60),
    ("levetiracetam", 500, 2000),
)
_MONTH = 31  # days per month when placing reviews "m months after surgery": never earlier than the calendar month


class SyntheticCase(NamedTuple):
    """One generated case, the story it follows and the stage its events lead to."""

    case: dict[str, Any]
    story: str
    expected_stage: str


class _Story:
    """One patient's events, written in order as day offsets from the presentation (day 0)."""

    def __init__(self, rng: random.Random, patient_id: str) -> None:
        self.rng = rng
        self.day = 0
        self.events: list[tuple[int, str, dict[str, Any]]] = []
        self.age = min(90, max(25, round(rng.gauss(57, 12))))
        self.patient: dict[str, Any] = {
            "id": patient_id,
            "sex": rng.choice(("female", "female", "female", "male", "male")),
        }
        if rng.random() < 0.2:
            self.patient["asian_ancestry"] = rng.random() < 0.5
        self.product = rng.choice(_PRODUCTS)
        low, high = _UNITS[self.product]
        self.units = rng.randint(low, (low + high) // 2)
        self.units_max = high
        self.base_benefit = rng.randint(75, 100)
        self.injected: int | None = None
        self.vessel: str | None = None
        self.onset = -rng.randint(90, 1100)

    def wait(self, low: int, high: int) -> None:
        self.day += self.rng.randint(low, high)

    def add(self, kind: str, **fields: Any) -> None:
        self.events.append((self.day, kind, fields))

    # Opening -------------------------------------------------------------------------------------------
    def present(self, impression: str = "hemifacial_spasm") -> None:
        rng = self.rng
        fields: dict[str, Any] = {
            "side": "bilateral" if rng.random() < 0.02 else rng.choice(("left", "right")),
            "onset_region": "lower_face" if rng.random() < 0.03 else "periocular",
            "clinical_impression": impression
            if impression != "hemifacial_spasm" or rng.random() >= 0.08
            else "uncertain",
            "jrs_severity": rng.randint(1, 4),
            "jrs_frequency": rng.randint(1, 4),
            "smc_grade": rng.randint(1, 3),
        }
        if rng.random() < 0.04:
            fields[rng.choice(_RED_FLAG_FIELDS)] = True
        if rng.random() < 0.05:
            fields["prior_facial_palsy"] = True
        if rng.random() < 0.5:
            fields["hfs7"] = rng.randint(4, 22)
        self.add("presentation", **fields)

    def image(self, finding: str | None = None, *, mri: bool = False) -> None:
        rng = self.rng
        self.wait(7, 45)
        modality = "mri" if mri or rng.random() >= 0.03 else "ct"
        if finding is None:
            finding = "neurovascular_conflict" if rng.random() < 0.85 else "no_abnormality"
        fields: dict[str, Any] = {"modality": modality, "finding": finding}
        if modality == "mri":
            fields["high_resolution_t2"] = True
            fields["angiography"] = rng.random() < 0.7
        if finding == "neurovascular_conflict":
            self.vessel = rng.choice(_VESSELS)
            fields["offending_vessel"] = self.vessel
        self.add("imaging_result", **fields)

    def decide(self, option: str) -> None:
        self.wait(7, 35)
        self.add("treatment_decision", option=option, shared_decision=True)

    def opening(self, option: str | None = None, *, mri: bool = False) -> None:
        self.present()
        self.image(mri=mri)
        if option is not None:
            self.decide(option)

    # Toxin ---------------------------------------------------------------------------------------------
    def inject(self) -> None:
        fields: dict[str, Any] = {"product": self.product, "total_units": self.units, "sites": self.rng.randint(3, 7)}
        self.add("botox_injection", **fields)
        self.injected = self.day

    def respond(self, *, good: bool = True, interval: int | None = None) -> None:
        """The response to the last injection, recorded at the next visit (84-120 days after it by default)."""
        rng = self.rng
        assert self.injected is not None
        interval = interval or rng.randint(84, 120)
        if good:
            peak = rng.randint(12, 19) * 5
            benefit = min(self.base_benefit + rng.randint(-10, 10), interval)
        else:
            peak = rng.randint(7, 13) * 5
            benefit = rng.randint(35, 56)
        fields: dict[str, Any] = {
            "peak_improvement_percent": peak,
            "benefit_duration_days": benefit,
            "onset_days": rng.randint(2, 10),
        }
        if rng.random() < 0.12:
            fields["adverse_effects"] = [rng.choice(("ptosis", "dry_eye", "facial_weakness"))]
            fields["adverse_effect_severity"] = "mild"
        self.day = self.injected + interval
        self.add("botox_response", **fields)

    def cycles(self, good: int, bad: int = 0, *, short_once: bool = False) -> None:
        short_at = self.rng.randrange(good) if short_once and good > 1 else -1
        for i in range(good):
            self.inject()
            self.respond(interval=self.rng.randint(62, 80) if i == short_at else None)
        for _ in range(bad):
            self.inject()
            self.respond(good=False)

    # Surgery ---------------------------------------------------------------------------------------------
    def assess(self, *, unfavourable: bool = False) -> None:
        rng = self.rng
        self.wait(14, 60)
        anticoagulation = rng.random() < 0.1
        fields: dict[str, Any] = {
            "asa_class": 4 if unfavourable else rng.choice((1, 2, 2, 2, 3)),
            "diabetes": rng.random() < 0.15,
            "hypertension": rng.random() < 0.3,
            "anticoagulation": anticoagulation,
            "prior_posterior_fossa_surgery": False,
            "baseline_audiometry_done": rng.random() < 0.9,
        }
        if anticoagulation:
            fields["anticoagulation_can_pause"] = True
        self.add("surgical_risk_assessment", **fields)

    def to_checkpoint(self) -> None:
        self.cycles(self.rng.randint(2, 5), 2)  # two insufficient cycles: waning_response
        self.wait(0, 30)
        self.add("treatment_decision", option="surgical_evaluation", shared_decision=True)

    def refer(self) -> None:
        self.to_checkpoint()
        self.assess()
        self.wait(7, 60)
        self.add("risk_benefit_decision", decision="refer_for_mvd", patient_informed=True, patient_consents=True)

    def operate(self) -> None:
        self.refer()
        self.wait(30, 150)
        fields: dict[str, Any] = {"lsr_resolved": self.rng.random() < 0.8}
        if self.vessel is not None:
            fields["offending_vessel"] = self.vessel
        self.add("mvd_performed", **fields)

    def reviews_after_surgery(self, months: tuple[int, ...], last: str = "resolved") -> None:
        rng = self.rng
        surgery = self.day
        for i, m in enumerate(months):
            self.day = max(self.day, surgery + m * _MONTH + rng.randint(0, 21))
            spasm = "improved" if m < 6 and rng.random() < 0.3 else "resolved"
            if i == len(months) - 1:
                spasm = last if last != "resolved" else spasm if m < 12 else "resolved"
            complications: list[dict[str, Any]] = []
            if m == 3 and rng.random() < 0.1:
                complications.append(
                    {"type": rng.choice(("facial_palsy", "hearing_loss", "csf_leak")), "permanent": rng.random() < 0.2}
                )
            self.add("post_mvd_review", spasm=spasm, complications=complications)

    # Output ------------------------------------------------------------------------------------------------
    def case(self, as_of: dt.date, gap: int) -> dict[str, Any]:
        """The case on the calendar: the last event ``gap`` days before ``as_of``."""
        last = self.events[-1][0] if self.events else 0
        anchor = as_of.toordinal() - gap - last
        iso = _iso
        birth = anchor - self.age * 365 - self.rng.randint(0, 364)
        patient = dict(self.patient)
        patient["birth_date"] = iso(birth)
        events = []
        for day, kind, fields in self.events:
            event: dict[str, Any] = {"type": kind, "date": iso(anchor + day)}
            if kind == "presentation":
                event["symptom_onset_date"] = iso(anchor + self.onset)
            event.update(fields)
            events.append(event)
        return {"patient": patient, "events": events}


def _iso(ordinal: int) -> str:
    return dt.date.fromordinal(ordinal).isoformat()


# The stories ---------------------------------------------------------------------------------------------------
# Each writes the events and returns (expected stage, the largest gap in days between the last event and as_of).


def _referred(s: _Story) -> tuple[str, int]:
    return "presentation", 60  # referred, not yet seen: no events


def _awaiting_imaging(s: _Story) -> tuple[str, int]:
    s.present()
    return "imaging", 150


def _alternative_diagnosis(s: _Story) -> tuple[str, int]:
    s.present(s.rng.choice(_MIMICS))
    return "exited", 400


def _secondary_cause(s: _Story) -> tuple[str, int]:
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


def _treatment_selection(s: _Story) -> tuple[str, int]:
    s.opening()
    return "treatment_selection", 90


def _observation(s: _Story) -> tuple[str, int]:
    s.opening("observation")
    reviews = s.rng.randint(0, 3)
    for i in range(reviews):
        s.wait(150, 200)
        wants = i == reviews - 1 and s.rng.random() < 0.15
        s.add("review_visit", wants_treatment=wants, jrs_severity=s.rng.randint(0, 2))
        if wants:
            return "treatment_selection", 60
    return "observation", 300


def _oral_medication(s: _Story) -> tuple[str, int]:
    rng = s.rng
    s.opening("oral_medication")
    if rng.random() < 0.15:
        return "oral_medication", 30  # the drug is yet to be started
    s.wait(0, 14)
    drug, low, high = rng.choice(_DRUGS)
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


def _toxin_first(s: _Story) -> tuple[str, int]:
    s.opening("botulinum_toxin")
    return "botulinum_toxin", 60


def _toxin_steady(s: _Story) -> tuple[str, int]:
    rng = s.rng
    s.opening("botulinum_toxin")
    s.wait(0, 21)
    if rng.random() < 0.03:
        s.units = s.units_max * 2  # above the usual range: dose_above_usual_range
    s.cycles(rng.randint(0, 10), short_once=rng.random() < 0.05)
    if rng.random() < 0.5:
        s.inject()  # the last injection, awaiting its response
        return "botulinum_toxin", 150
    if rng.random() < 0.3:
        s.wait(14, 42)
        s.add("review_visit", wants_treatment=False, jrs_severity=rng.randint(0, 2))
    return "botulinum_toxin", 90


def _waning(s: _Story) -> tuple[str, int]:
    s.opening("botulinum_toxin")
    s.cycles(s.rng.randint(1, 5), 2)
    return "waning_response", 90


def _plan_adjusted(s: _Story) -> tuple[str, int]:
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
        s.units = rng.randint(*_UNITS[s.product])
    s.wait(0, 14)
    s.cycles(rng.randint(1, 4))
    return "botulinum_toxin", 90


def _checkpoint(s: _Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.to_checkpoint()
    if s.rng.random() < 0.6:
        s.assess(unfavourable=s.rng.random() < 0.15)
        return "surgical_evaluation", 240
    return "surgical_evaluation", 90


def _conservative(s: _Story) -> tuple[str, int]:
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


def _mvd_referral(s: _Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.refer()
    if s.rng.random() < 0.15:
        s.wait(30, 120)
        s.add("referral_closed", reason=s.rng.choice(("surgeon_declined", "patient_declined")))
        return "treatment_selection", 60
    return "mvd_referral", 150


def _post_mvd(s: _Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.operate()
    months = (3, 6, 12)[: s.rng.randint(0, 3)]
    s.reviews_after_surgery(months)
    return "post_mvd", 200


def _discharged(s: _Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.operate()
    s.reviews_after_surgery((3, 6, 12, 24))
    return "discharged", 365


def _recurrence(s: _Story) -> tuple[str, int]:
    s.opening("botulinum_toxin", mri=True)
    s.operate()
    s.reviews_after_surgery((3, 6, 15), last="recurred")
    return "treatment_selection", 90


def _red_flag(s: _Story) -> tuple[str, int]:
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


def _exited(s: _Story) -> tuple[str, int]:
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


STORIES: dict[str, tuple[float, Callable[[_Story], tuple[str, int]]]] = {
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


def synthetic_cases(n: int, seed: int = DEFAULT_SEED, as_of: dt.date = DEFAULT_AS_OF) -> Iterator[SyntheticCase]:
    """``n`` synthetic cases, one at a time (a million need no more memory than one), all ending by ``as_of``."""
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    names = list(STORIES)
    thresholds = []
    total = 0.0
    for name in names:
        total += STORIES[name][0]
        thresholds.append(total)
    import bisect

    for i in range(n):
        story = _Story(rng, f"syn-{seed}-{i:07d}")
        name = names[min(bisect.bisect(thresholds, rng.random() * total), len(names) - 1)]
        expected, max_gap = STORIES[name][1](story)
        gap = rng.randint(0, max_gap)
        yield SyntheticCase(story.case(as_of, gap), name, expected)


def write_synthetic(
    target: str | Path | IO[bytes], n: int, seed: int = DEFAULT_SEED, as_of: dt.date = DEFAULT_AS_OF
) -> int:
    """Write ``n`` synthetic cases as NDJSON (one case per line) to a path or a binary file; returns ``n``."""
    from . import _json

    if isinstance(target, (str, Path)):
        with Path(target).open("wb") as f:
            return write_synthetic(f, n, seed, as_of)
    dumps = _json.dumps
    batch: list[bytes] = []
    for item in synthetic_cases(n, seed, as_of):
        batch.append(dumps(item.case))
        if len(batch) >= 4096:
            target.write(b"\n".join(batch) + b"\n")
            batch.clear()
    if batch:
        target.write(b"\n".join(batch) + b"\n")
    return n
