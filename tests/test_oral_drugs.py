"""Oral drugs as their labels ask (R2.7, R2.15): the labelled adult maximum daily dose, HLA-B*1502 screening and
results, pregnancy, and hormonal contraception with enzyme-inducing drugs. Every figure is a guideline parameter
taken from the drug's US label (evidence/additions.md, R221-R230)."""

from __future__ import annotations

import pytest

from hfs_pathway import Guideline, Severity, Stage, default_guideline
from tests.builder import CaseBuilder, alerts, last_index


def on_oral_medication(**patient: object) -> CaseBuilder:
    return CaseBuilder(**patient).to_treatment_selection().after(7).decide("oral_medication").after(3)  # type: ignore[arg-type]


# Labelled adult maxima ------------------------------------------------------------------------------------------

MAXIMA = {
    "carbamazepine": (1200, "R221"),
    "oxcarbazepine": (2400, "R222"),
    "clonazepam": (20, "R226"),
    "gabapentin": (3600, "R227"),
    "baclofen": (80, "R228"),
    "levetiracetam": (3000, "R229"),
}


@pytest.mark.parametrize("drug", list(MAXIMA))
def test_dose_above_label_maximum_fires_just_above_the_label_figure(drug: str) -> None:
    """At the label's maximum: nothing; just above it: dose_above_label_maximum (warning), citing that label."""
    limit, label = MAXIMA[drug]
    assert default_guideline().label_max_mg_per_day.limit(drug) == limit
    at_limit = on_oral_medication().start_drug(drug, dose=limit).evaluate()
    assert alerts(at_limit, "dose_above_label_maximum") == []
    story = on_oral_medication().start_drug(drug, dose=limit + 0.5)
    found = alerts(story.evaluate(), "dose_above_label_maximum")
    assert [(a.severity, a.event_index) for a in found] == [(Severity.WARNING, last_index(story))]
    assert found[0].evidence[0] == label
    assert f"{limit:g} mg" in found[0].text


@pytest.mark.parametrize("drug", ["phenytoin", "other"])
def test_no_dose_alert_for_drugs_without_a_fixed_label_maximum(drug: str) -> None:
    """Phenytoin is dosed by its blood level, and an unnamed drug has no label: no dose alert at any dose."""
    evaluation = on_oral_medication().start_drug(drug, dose=9000).evaluate()
    assert alerts(evaluation, "dose_above_label_maximum") == []


def test_a_clinic_may_set_its_own_maximum() -> None:
    clinic = Guideline.from_mapping({"parameters": {"label_max_mg_per_day": {"carbamazepine": 800}}})
    story = CaseBuilder(guideline=clinic).to_treatment_selection().after(7).decide("oral_medication").after(3)
    story.start_drug("carbamazepine", dose=1000)
    assert len(alerts(story.evaluate(), "dose_above_label_maximum")) == 1
    assert clinic.label_max_mg_per_day.oxcarbazepine == 2400  # untouched drugs keep their label figure


# HLA-B*1502 -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "code", "severity"),
    [
        ("carbamazepine", "hla_b1502_screen_required", Severity.CRITICAL),
        ("oxcarbazepine", "hla_b1502_screen_advised", Severity.WARNING),
    ],
)
def test_untested_asian_patient_is_flagged_per_label(drug: str, code: str, severity: Severity) -> None:
    """Carbamazepine's label requires screening (critical); oxcarbazepine's says testing should be considered
    (warning)."""
    story = on_oral_medication(asian_ancestry=True).start_drug(drug, dose=600)
    found = alerts(story.evaluate(), code)
    assert [(a.severity, a.event_index) for a in found] == [(severity, last_index(story))]


@pytest.mark.parametrize(
    ("patient", "drug", "fields"),
    [
        ({"asian_ancestry": True}, "phenytoin", {}),
        ({"asian_ancestry": True}, "oxcarbazepine", {"hla_b1502_tested": True}),
        ({"asian_ancestry": True}, "oxcarbazepine", {"hla_b1502_result": "negative"}),
        ({"asian_ancestry": True}, "carbamazepine", {"hla_b1502_result": "negative"}),
        ({"asian_ancestry": False}, "oxcarbazepine", {}),
        ({}, "oxcarbazepine", {}),
    ],
    ids=["phenytoin_no_screening", "oxc_tested", "oxc_negative", "cbz_negative", "not_asian", "ancestry_unknown"],
)
def test_no_screening_alert_when_tested_not_at_risk_or_phenytoin(
    patient: dict[str, object], drug: str, fields: dict[str, object]
) -> None:
    """Phenytoin's label asks for no screening; a test or a result on record, or no Asian ancestry, raises none."""
    evaluation = on_oral_medication(**patient).start_drug(drug, dose=300, **fields).evaluate()
    codes = {a.code for a in evaluation.alerts}
    assert not codes & {"hla_b1502_screen_required", "hla_b1502_screen_advised", "hla_b1502_positive"}


@pytest.mark.parametrize(
    ("drug", "severity"),
    [("carbamazepine", Severity.CRITICAL), ("oxcarbazepine", Severity.CRITICAL), ("phenytoin", Severity.WARNING)],
)
def test_a_positive_result_is_critical_for_carbamazepine_and_oxcarbazepine_a_warning_for_phenytoin(
    drug: str, severity: Severity
) -> None:
    story = on_oral_medication(asian_ancestry=True).start_drug(drug, dose=300, hla_b1502_result="positive")
    evaluation = story.evaluate()
    found = alerts(evaluation, "hla_b1502_positive")
    assert [(a.severity, a.event_index) for a in found] == [(severity, last_index(story))]
    assert alerts(evaluation, "hla_b1502_screen_required") == []
    assert evaluation.stage is Stage.ORAL_MEDICATION


@pytest.mark.parametrize("drug", ["clonazepam", "gabapentin", "baclofen", "levetiracetam"])
def test_a_positive_result_means_nothing_for_drugs_unrelated_to_it(drug: str) -> None:
    story = on_oral_medication().start_drug(drug, dose=10, hla_b1502_result="positive")
    assert alerts(story.evaluate(), "hla_b1502_positive") == []


# Pregnancy and contraception --------------------------------------------------------------------------------------


def test_pregnancy_names_the_labels_statement() -> None:
    """pregnancy_drug_review (warning) on medication_started with pregnant, naming the label's statement."""
    story = on_oral_medication(sex="female").start_drug("carbamazepine", dose=400, pregnant=True)
    found = alerts(story.evaluate(), "pregnancy_drug_review")
    assert [(a.severity, a.event_index) for a in found] == [(Severity.WARNING, last_index(story))]
    assert "spina bifida" in found[0].text
    assert found[0].evidence[0] == "R221"


def test_pregnancy_with_a_drug_whose_statement_was_not_read_asks_to_review_the_label() -> None:
    found = alerts(
        on_oral_medication().start_drug("gabapentin", dose=900, pregnant=True).evaluate(), "pregnancy_drug_review"
    )
    assert len(found) == 1
    assert "review the pregnancy section of its label" in found[0].text


@pytest.mark.parametrize("pregnant", [False, None])
def test_no_pregnancy_alert_unless_pregnant(pregnant: bool | None) -> None:
    fields = {} if pregnant is None else {"pregnant": pregnant}
    evaluation = on_oral_medication().start_drug("carbamazepine", dose=400, **fields).evaluate()
    assert alerts(evaluation, "pregnancy_drug_review") == []


def test_an_injection_in_pregnancy_names_the_toxin_labels_statement() -> None:
    story = CaseBuilder(sex="female").to_toxin().inject(pregnant=True)
    found = alerts(story.evaluate(), "pregnancy_drug_review")
    assert [(a.severity, a.event_index) for a in found] == [(Severity.WARNING, last_index(story))]
    assert "Injected during pregnancy" in found[0].text
    assert "animal" in found[0].text


@pytest.mark.parametrize(
    ("birth_date", "raised"),
    [("2013-02-11", False), ("2013-02-10", True), ("1969-02-11", True), ("1969-02-10", False)],
    ids=["age_11", "age_12", "age_55", "age_56"],
)
def test_enzyme_inducer_contraception_for_women_aged_12_to_55(birth_date: str, raised: bool) -> None:
    """Carbamazepine started on 2025-02-10 in a woman: info alert from her 12th birthday to the day before her
    56th."""
    story = CaseBuilder(birth_date=birth_date, sex="female").to_treatment_selection().on("2025-02-03")
    story.decide("oral_medication").on("2025-02-10").start_drug("carbamazepine", dose=400)
    found = alerts(story.evaluate(), "enzyme_inducer_contraception")
    assert [a.severity for a in found] == ([Severity.INFO] if raised else [])


@pytest.mark.parametrize(
    ("drug", "sex", "raised"),
    [
        ("oxcarbazepine", "female", True),
        ("carbamazepine", "male", False),
        ("levetiracetam", "female", False),
        ("gabapentin", "female", False),
    ],
)
def test_enzyme_inducer_contraception_only_for_enzyme_inducers_in_women(drug: str, sex: str, raised: bool) -> None:
    story = on_oral_medication(sex=sex, birth_date="1990-05-05").start_drug(drug, dose=300)
    assert bool(alerts(story.evaluate(), "enzyme_inducer_contraception")) is raised
