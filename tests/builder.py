"""A small fluent builder for clinical stories in tests.

    story = CaseBuilder(birth_date="1965-03-02").on("2025-01-06").presentation()
    story.after(20).mri().after(7).decide("botulinum_toxin").after(3).inject(units=20)
    evaluation = story.evaluate(as_of="2025-03-01")

Each step appends one event dict dated at the builder's current date; ``after(days)`` moves the date
on. ``pathway()`` replays the events, so a refused event raises the library's own error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from hfs_pathway import Alert, Evaluation, Guideline, Pathway, Recommendation, load_case


def _date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


class CaseBuilder:
    def __init__(
        self,
        patient_id: str = "p1",
        *,
        birth_date: str | None = "1965-03-02",
        guideline: Guideline | None = None,
        **patient: Any,
    ) -> None:
        self.patient: dict[str, Any] = {"id": patient_id, **patient}
        if birth_date is not None:
            self.patient["birth_date"] = birth_date
        self.events: list[dict[str, Any]] = []
        self.today = dt.date(2025, 1, 6)
        self.guideline = guideline

    # Time -----------------------------------------------------------------------------------------
    def on(self, date: str | dt.date) -> Self:
        self.today = _date(date)
        return self

    def after(self, days: int = 0, *, weeks: int = 0) -> Self:
        self.today += dt.timedelta(days=days + 7 * weeks)
        return self

    def event(self, type_: str, **fields: Any) -> Self:
        self.events.append({"type": type_, "date": self.today.isoformat(), **fields})
        return self

    # Clinical steps --------------------------------------------------------------------------------
    def presentation(self, **fields: Any) -> Self:
        base = {"side": "left", "onset_region": "periocular", "clinical_impression": "hemifacial_spasm"}
        return self.event("presentation", **{**base, **fields})

    def mri(self, finding: str = "neurovascular_conflict", **fields: Any) -> Self:
        base: dict[str, Any] = {"modality": "mri", "high_resolution_t2": True, "angiography": True, "finding": finding}
        if finding == "neurovascular_conflict" and "offending_vessel" not in fields:
            base["offending_vessel"] = "aica"
        return self.event("imaging_result", **{**base, **fields})

    def ct(self, finding: str = "no_abnormality", **fields: Any) -> Self:
        return self.event("imaging_result", **{"modality": "ct", "finding": finding, **fields})

    def decide(self, option: str, shared_decision: bool = True) -> Self:
        return self.event("treatment_decision", option=option, shared_decision=shared_decision)

    def start_drug(self, drug: str = "carbamazepine", dose: float = 400, **fields: Any) -> Self:
        return self.event("medication_started", drug=drug, dose_mg_per_day=dose, **fields)

    def review_drug(self, response: str = "good", adverse_effects: str = "none") -> Self:
        return self.event("medication_review", response=response, adverse_effects=adverse_effects)

    def inject(self, units: float = 20, product: str = "onabotulinumtoxinA", **fields: Any) -> Self:
        return self.event("botox_injection", product=product, total_units=units, **fields)

    def respond(self, peak: float = 70, benefit: int | None = 90, **fields: Any) -> Self:
        data: dict[str, Any] = {"peak_improvement_percent": peak, **fields}
        if benefit is not None:
            data["benefit_duration_days"] = benefit
        return self.event("botox_response", **data)

    def cycle(
        self, *, peak: float = 70, benefit: int = 90, interval: int = 98, units: float = 20, **response: Any
    ) -> Self:
        """An injection, then its response ``benefit`` days later, then time up to ``interval`` days after it."""
        self.inject(units=units)
        self.after(benefit).respond(peak=peak, benefit=benefit, **response)
        return self.after(max(interval - benefit, 0))

    def adjust(self, adjustment: str = "increase_dose") -> Self:
        return self.event("botox_plan_adjusted", adjustment=adjustment)

    def risk_assessment(self, **fields: Any) -> Self:
        base = {
            "asa_class": 2,
            "diabetes": False,
            "hypertension": False,
            "anticoagulation": False,
            "prior_posterior_fossa_surgery": False,
            "baseline_audiometry_done": True,
        }
        return self.event("surgical_risk_assessment", **{**base, **fields})

    def refer(self, **fields: Any) -> Self:
        base = {"decision": "refer_for_mvd", "patient_informed": True, "patient_consents": True}
        return self.event("risk_benefit_decision", **{**base, **fields})

    def continue_conservative(self, next_option: str = "botulinum_toxin", **fields: Any) -> Self:
        base = {"decision": "continue_conservative", "patient_informed": True, "patient_consents": False}
        return self.event("risk_benefit_decision", **{**base, "next_option": next_option, **fields})

    def operate(self, **fields: Any) -> Self:
        return self.event("mvd_performed", **fields)

    def post_mvd(self, spasm: str = "resolved", complications: list[dict[str, Any]] | None = None) -> Self:
        return self.event("post_mvd_review", spasm=spasm, complications=complications or [])

    def red_flag(self, finding: str = "facial_weakness") -> Self:
        return self.event("red_flag", finding=finding)

    def review(self, wants_treatment: bool = False, **fields: Any) -> Self:
        return self.event("review_visit", wants_treatment=wants_treatment, **fields)

    def leave(self, reason: str = "lost_to_follow_up") -> Self:
        return self.event("pathway_exit", reason=reason)

    # Ready-made openings -------------------------------------------------------------------------
    def to_treatment_selection(self) -> Self:
        return self.presentation().after(21).mri()

    def to_toxin(self) -> Self:
        return self.to_treatment_selection().after(14).decide("botulinum_toxin").after(7)

    def to_surgical_evaluation(self) -> Self:
        return self.to_treatment_selection().after(14).decide("surgical_evaluation").after(14)

    # Results -----------------------------------------------------------------------------------------
    def case(self) -> dict[str, Any]:
        return {"patient": dict(self.patient), "events": [dict(e) for e in self.events]}

    def pathway(self, engine: str = "table") -> Pathway:
        return Pathway.replay(load_case(self.case()), guideline=self.guideline, engine=engine)  # type: ignore[arg-type]

    def evaluate(self, as_of: str | dt.date | None = None) -> Evaluation:
        return self.pathway().evaluate(_date(as_of) if as_of is not None else self.today)


# Reading results ---------------------------------------------------------------------------------------


def rec_codes(evaluation: Evaluation) -> list[str]:
    """The codes of the recommendations, in order."""
    return [r.code for r in evaluation.recommendations]


def rec(evaluation: Evaluation, code: str) -> Recommendation:
    """The one recommendation with ``code`` (fails the test when there is none, or more than one)."""
    matches = [r for r in evaluation.recommendations if r.code == code]
    assert len(matches) == 1, f"expected one {code} in {rec_codes(evaluation)}"
    return matches[0]


def alerts(evaluation: Evaluation, code: str) -> list[Alert]:
    """Every alert with ``code``."""
    return [a for a in evaluation.alerts if a.code == code]


def last_index(story: CaseBuilder) -> int:
    """The event index of the story's latest event."""
    return len(story.events) - 1
