"""One synthetic patient's story being written: events as day offsets from the presentation, then placed on the
calendar so that the last event falls a chosen gap before the evaluation date. The stories themselves are in
``_stories.py``; the distributions are documented in ``docs/cohort.md``."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

# Total units per session: usual ranges by product (the guideline's usual maxima are 70, 200 and 70).
UNITS = {"onabotulinumtoxinA": (12, 45), "incobotulinumtoxinA": (12, 45), "abobotulinumtoxinA": (50, 160)}
PRODUCTS = ("onabotulinumtoxinA", "onabotulinumtoxinA", "incobotulinumtoxinA", "abobotulinumtoxinA")
VESSELS = ("aica", "aica", "aica", "pica", "pica", "vertebral", "vein", "multiple")
RED_FLAG_FIELDS = (
    "facial_weakness",
    "facial_numbness",
    "hearing_loss",
    "other_cranial_nerve_signs",
    "tonic_contraction",
)
MIMICS = (
    "blepharospasm",
    "post_facial_palsy_synkinesis",
    "facial_myokymia",
    "tic",
    "functional",
    "hemimasticatory_spasm",
)
DRUGS = (
    ("carbamazepine", 200, 800),
    ("carbamazepine", 200, 800),
    ("clonazepam", 1, 4),
    ("gabapentin", 600, 1800),
    ("oxcarbazepine", 300, 1200),
    ("baclofen", 15, 60),
    ("levetiracetam", 500, 2000),
)
MIN_REINJECTION_INTERVAL = 84  # days: a bridging injection after surgery keeps the usual interval
MONTH = 31  # days per month when placing reviews "m months after surgery": never earlier than the calendar month


class Story:
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
        self.product = rng.choice(PRODUCTS)
        low, high = UNITS[self.product]
        self.units = rng.randint(low, (low + high) // 2)
        self.units_max = high
        self.base_benefit = rng.randint(75, 100)
        self.injected: int | None = None
        self.vessel: str | None = None
        self.onset = -rng.randint(90, 1100)
        self.needs_contrast = self.age < 44  # onset may be before 40: a contrast-tier feature
        self.workup_open = False  # a contrast-tier work-up closed by nothing better than an MRI without contrast

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
            flag = rng.choice(RED_FLAG_FIELDS)
            if impression == "hemifacial_spasm" or flag == "tonic_contraction":
                fields[flag] = True  # a mimic with a new deficit would be imaged first (R2.1), not a mimic story
        if rng.random() < 0.05:
            fields["prior_facial_palsy"] = True
        # A clinic orders contrast when any feature calls for it (spec revision 2, R2.1).
        self.needs_contrast = self.needs_contrast or any(
            fields.get(name) is True for name in (*RED_FLAG_FIELDS, "prior_facial_palsy")
        )
        self.needs_contrast = (
            self.needs_contrast or fields["side"] == "bilateral" or fields["onset_region"] != "periocular"
        )
        if rng.random() < 0.5:
            fields["hfs7"] = rng.randint(4, 22)
        self.add("presentation", **fields)

    def image(self, finding: str | None = None, *, mri: bool = False, skip_contrast: bool = False) -> None:
        """The first study. ``skip_contrast``: an MRI without contrast although the presentation calls for it, which
        leaves the work-up open (an override reason is then recorded at the checkpoint)."""
        rng = self.rng
        self.wait(7, 45)
        modality = "mri" if mri or rng.random() >= 0.03 else "ct"
        if finding is None:
            finding = "neurovascular_conflict" if rng.random() < 0.85 else "no_abnormality"
        fields: dict[str, Any] = {"modality": modality, "finding": finding}
        if modality == "mri":
            fields["high_resolution_t2"] = True
            fields["angiography"] = rng.random() < 0.7
        else:
            fields["mri_not_possible"] = "device"  # CT is done when MRI is not possible
        if self.needs_contrast and not (skip_contrast and modality == "mri"):
            fields["contrast"] = True
        self.workup_open = self.needs_contrast and "contrast" not in fields and modality == "mri"
        if finding == "neurovascular_conflict":
            self.vessel = rng.choice(VESSELS)
            fields["offending_vessel"] = self.vessel
        self.add("imaging_result", **fields)

    def decide(self, option: str) -> None:
        self.wait(7, 35)
        self.add("treatment_decision", option=option, shared_decision=True)

    def opening(self, option: str | None = None, *, mri: bool = False, skip_contrast: bool = False) -> None:
        self.present()
        self.image(mri=mri, skip_contrast=skip_contrast)
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
        if good and rng.random() < 0.1:
            # Recorded at the 28-day review while the benefit lasts, completed at the next visit (R2.5).
            self.day = self.injected + rng.randint(25, 35)
            self.add("botox_response", peak_improvement_percent=peak, benefit_ongoing=True)
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
        fields: dict[str, Any] = {"decision": "refer_for_mvd", "patient_informed": True, "patient_consents": True}
        if self.workup_open:
            fields["override_reason"] = "Contrast MRI declined by the patient; the MRI without contrast is typical."
        self.add("risk_benefit_decision", **fields)

    def operate(self) -> None:
        self.refer()
        self.wait(30, 150)
        fields: dict[str, Any] = {"lsr_resolved": self.rng.random() < 0.8}
        if self.vessel is not None:
            fields["offending_vessel"] = self.vessel
        self.add("mvd_performed", **fields)

    def reviews_after_surgery(self, months: tuple[int, ...], last: str = "resolved", *, bridging: bool = False) -> None:
        """Reviews ``months`` after surgery; ``bridging``: a toxin injection while delayed cure is awaited (R2.5)."""
        rng = self.rng
        surgery = self.day
        if bridging:
            since = self.day - self.injected if self.injected is not None else MIN_REINJECTION_INTERVAL
            low = max(14, MIN_REINJECTION_INTERVAL - since)
            self.wait(low, low + 60)
            self.inject()
        for i, m in enumerate(months):
            self.day = max(self.day, surgery + m * MONTH + rng.randint(0, 21))
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
