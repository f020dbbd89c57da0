"""Choosing a treatment (spec §3): treatment decisions from every stage that takes them, what
treatment selection recommends, observation, and oral medication with its HLA-B*1502 safety check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from hfs_pathway import EventNotAllowed, Severity, Stage
from tests.builder import CaseBuilder, alerts, rec, rec_codes

D = dt.timedelta


def on_oral_medication(**patient: object) -> CaseBuilder:
    return CaseBuilder(**patient).to_treatment_selection().after(7).decide("oral_medication").after(3)  # type: ignore[arg-type]


# Treatment decisions ---------------------------------------------------------------------------------

DECISION_STAGES: dict[Stage, Callable[[CaseBuilder], CaseBuilder]] = {
    Stage.TREATMENT_SELECTION: lambda b: b.to_treatment_selection(),
    Stage.OBSERVATION: lambda b: b.to_treatment_selection().after(7).decide("observation"),
    Stage.ORAL_MEDICATION: lambda b: (
        b.to_treatment_selection().after(7).decide("oral_medication").after(1).start_drug()
    ),
    Stage.BOTULINUM_TOXIN: lambda b: b.to_toxin().inject(),
    Stage.WANING_RESPONSE: lambda b: b.to_toxin().cycle(peak=40).cycle(peak=40),
}
OPTIONS = {
    "observation": Stage.OBSERVATION,
    "oral_medication": Stage.ORAL_MEDICATION,
    "botulinum_toxin": Stage.BOTULINUM_TOXIN,
    "surgical_evaluation": Stage.SURGICAL_EVALUATION,
}


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("source", list(DECISION_STAGES), ids=str)
def test_treatment_decision_moves_to_the_stage_its_option_names(source: Stage, option: str) -> None:
    """treatment_decision moves to the option's stage from every stage that accepts it."""
    story = DECISION_STAGES[source](CaseBuilder())
    assert story.pathway().stage is source
    story.after(10).decide(option)
    pathway = story.pathway()
    last = pathway.history[-1]
    assert pathway.stage is OPTIONS[option]
    assert (last.index, last.event, last.from_stage, last.to_stage) == (
        len(story.events) - 1,
        "treatment_decision",
        source,
        OPTIONS[option],
    )


@pytest.mark.parametrize("stage", [Stage.IMAGING, Stage.SECONDARY_CAUSE], ids=str)
def test_no_treatment_decision_before_primary_hfs_is_established(stage: Stage) -> None:
    """Imaging and secondary_cause do not accept a treatment decision (no treatment before imaging)."""
    story = CaseBuilder().presentation()
    if stage is Stage.SECONDARY_CAUSE:
        story.after(5).mri(finding="demyelination")
    story.after(5).decide("botulinum_toxin")
    with pytest.raises(EventNotAllowed) as info:
        story.pathway()
    assert info.value.code == "event_not_allowed"
    assert info.value.stage == stage.value
    assert info.value.event_type == "treatment_decision"
    assert info.value.event_index == len(story.events) - 1


# Treatment selection ----------------------------------------------------------------------------------


def test_treatment_selection_offers_toxin_first_then_the_other_options() -> None:
    """treatment_selection recommends toxin first, then oral medication, observation and a discussion of MVD."""
    evaluation = CaseBuilder().to_treatment_selection().evaluate()
    codes = rec_codes(evaluation)
    assert codes[0] == "offer_botulinum_toxin"
    assert set(codes) == {"offer_botulinum_toxin", "offer_oral_medication", "offer_observation", "discuss_mvd"}
    assert "consider_redo_mvd" not in codes


def _after_mvd(b: CaseBuilder) -> CaseBuilder:
    return b.to_surgical_evaluation().risk_assessment().after(7).refer().after(30).operate()


@pytest.mark.parametrize(
    ("label", "story"),
    [
        ("persists_at_12_months", lambda b: _after_mvd(b).after(400).post_mvd("unchanged")),
        ("recurred", lambda b: _after_mvd(b).after(400).post_mvd("recurred")),
    ],
)
def test_redo_mvd_is_considered_after_mvd_failure_or_recurrence(
    label: str, story: Callable[[CaseBuilder], CaseBuilder]
) -> None:
    """After an MVD failure or recurrence, treatment_selection also recommends consider_redo_mvd."""
    evaluation = story(CaseBuilder()).evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION, label
    codes = rec_codes(evaluation)
    assert "consider_redo_mvd" in codes
    assert {"offer_botulinum_toxin", "discuss_mvd"} <= set(codes)


@pytest.mark.parametrize(
    "story",
    [
        lambda b: (
            b.to_surgical_evaluation()
            .risk_assessment()
            .after(7)
            .refer()
            .after(20)
            .event("referral_closed", reason="patient_declined")
        ),
        lambda b: on_oral_medication().start_drug().after(30).review_drug("none"),
        lambda b: (
            b.presentation()
            .after(5)
            .mri(finding="tumour")
            .after(60)
            .event("secondary_cause_outcome", outcome="spasm_persists")
        ),
    ],
    ids=["referral_closed_without_surgery", "medication_failed", "secondary_cause_spasm_persists"],
)
def test_no_redo_mvd_without_a_previous_operation(story: Callable[[CaseBuilder], CaseBuilder]) -> None:
    """consider_redo_mvd is only for patients whose MVD failed or whose spasm recurred."""
    evaluation = story(CaseBuilder()).evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    assert "consider_redo_mvd" not in rec_codes(evaluation)


# Observation ------------------------------------------------------------------------------------------


def test_observation_patient_who_now_wants_treatment_returns_to_selection() -> None:
    """review_visit with wants_treatment -> treatment_selection."""
    story = CaseBuilder().to_treatment_selection().after(7).decide("observation").after(180).review(True)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    last = evaluation.history[-1]
    assert (last.event, last.from_stage, last.to_stage) == (
        "review_visit",
        Stage.OBSERVATION,
        Stage.TREATMENT_SELECTION,
    )


def test_observation_patient_content_without_treatment_stays() -> None:
    """review_visit without wants_treatment stays in observation, and the next review runs from it."""
    story = CaseBuilder().to_treatment_selection().after(7).on("2025-02-28").decide("observation")
    story.on("2025-08-20").review(False)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.OBSERVATION
    assert evaluation.history[-1].to_stage is Stage.OBSERVATION
    assert rec(evaluation, "observation_review").due == dt.date(2026, 2, 20)


def test_observation_review_is_due_six_calendar_months_after_entry() -> None:
    """observation_review is due 6 calendar months after observation began (31 Aug -> 28 Feb)."""
    story = CaseBuilder().to_treatment_selection().on("2025-08-31").decide("observation")
    evaluation = story.evaluate()
    assert rec(evaluation, "observation_review").due == dt.date(2026, 2, 28)


def test_observation_review_overdue_only_once_past_due() -> None:
    """review_overdue fires the day after the observation review's due date, not on it."""
    story = CaseBuilder().to_treatment_selection().on("2025-03-10").decide("observation")
    assert alerts(story.evaluate("2025-09-10"), "review_overdue") == []
    found = alerts(story.evaluate("2025-09-11"), "review_overdue")
    assert len(found) == 1
    assert found[0].event_index is None
    assert found[0].date == dt.date(2025, 9, 11)
    assert found[0].severity is Severity.WARNING


# Oral medication ----------------------------------------------------------------------------------------


def test_carbamazepine_without_hla_test_in_asian_patient_is_flagged() -> None:
    """Carbamazepine, Asian ancestry, no recorded HLA-B*1502 test -> hla_b1502_screen_required (critical)."""
    story = on_oral_medication(asian_ancestry=True).start_drug("carbamazepine")
    evaluation = story.evaluate()
    found = alerts(evaluation, "hla_b1502_screen_required")
    assert len(found) == 1
    assert found[0].severity is Severity.CRITICAL
    assert found[0].event_index == len(story.events) - 1
    assert evaluation.stage is Stage.ORAL_MEDICATION


def test_carbamazepine_explicitly_untested_is_flagged() -> None:
    """hla_b1502_tested false counts as not tested."""
    story = on_oral_medication(asian_ancestry=True).start_drug("carbamazepine", hla_b1502_tested=False)
    assert len(alerts(story.evaluate(), "hla_b1502_screen_required")) == 1


@pytest.mark.parametrize(
    ("patient", "drug", "fields"),
    [
        ({"asian_ancestry": True}, "carbamazepine", {"hla_b1502_tested": True}),
        ({"asian_ancestry": True}, "oxcarbazepine", {}),
        ({"asian_ancestry": True}, "clonazepam", {}),
        ({"asian_ancestry": False}, "carbamazepine", {}),
        ({}, "carbamazepine", {}),
    ],
    ids=["tested", "oxcarbazepine", "clonazepam", "not_asian", "ancestry_unknown"],
)
def test_no_hla_alert_when_tested_other_drug_or_not_asian(
    patient: dict[str, object], drug: str, fields: dict[str, object]
) -> None:
    """The HLA-B*1502 alert needs all three: carbamazepine, Asian ancestry, and no recorded test."""
    story = on_oral_medication(**patient).start_drug(drug, **fields)
    assert alerts(story.evaluate(), "hla_b1502_screen_required") == []


def test_medication_review_before_any_drug_started_is_refused() -> None:
    """A medication_review before a medication_started in this course is refused (event_not_allowed)."""
    story = on_oral_medication().review_drug()
    with pytest.raises(EventNotAllowed) as info:
        story.pathway()
    assert info.value.code == "event_not_allowed"
    assert info.value.event_index == len(story.events) - 1
    assert info.value.stage == "oral_medication"


def test_a_new_course_of_oral_medication_needs_its_own_start() -> None:
    """After a failed drug and a new decision for oral medication, a review needs a new medication_started."""
    story = on_oral_medication().start_drug().after(30).review_drug("none").after(7).decide("oral_medication")
    story.after(7).review_drug()
    with pytest.raises(EventNotAllowed) as info:
        story.pathway()
    assert info.value.event_index == len(story.events) - 1


@pytest.mark.parametrize("effects", ["none", "tolerable"])
def test_good_response_without_intolerable_effects_continues_the_drug(effects: str) -> None:
    """A good response with no or tolerable side effects stays in oral_medication."""
    evaluation = on_oral_medication().start_drug().after(56).review_drug("good", effects).evaluate()
    assert evaluation.stage is Stage.ORAL_MEDICATION
    assert evaluation.history[-1].to_stage is Stage.ORAL_MEDICATION


@pytest.mark.parametrize(
    ("response", "effects"),
    [("partial", "none"), ("none", "none"), ("good", "intolerable"), ("partial", "tolerable")],
)
def test_drug_that_fails_or_is_not_tolerated_returns_to_selection(response: str, effects: str) -> None:
    """Partial or no response, or intolerable effects -> treatment_selection recommending toxin."""
    story = on_oral_medication().start_drug().after(56).review_drug(response, effects)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    last = evaluation.history[-1]
    assert (last.index, last.from_stage) == (len(story.events) - 1, Stage.ORAL_MEDICATION)
    assert rec_codes(evaluation)[0] == "offer_botulinum_toxin"


def test_oral_medication_recommends_starting_a_drug_until_one_is_started() -> None:
    """Before medication_started, oral_medication recommends start_oral_medication and no review."""
    codes = rec_codes(on_oral_medication().evaluate())
    assert "start_oral_medication" in codes
    assert "review_medication" not in codes


def test_medication_review_is_due_56_days_after_starting() -> None:
    """review_medication is due at the start + 56 days; after a good review, 56 days after that review."""
    story = on_oral_medication().start_drug()
    started = story.today
    assert rec(story.evaluate(), "review_medication").due == started + D(days=56)
    story.after(50).review_drug("good")
    assert rec(story.evaluate(), "review_medication").due == story.today + D(days=56)


def test_medication_review_overdue_only_once_past_due() -> None:
    """review_overdue fires the day after the medication review's due date."""
    story = on_oral_medication().start_drug()
    due = story.today + D(days=56)
    assert alerts(story.evaluate(due), "review_overdue") == []
    assert len(alerts(story.evaluate(due + D(days=1)), "review_overdue")) == 1
