"""The guideline configuration: defaults from the spec, every parameter documented and cited, and clinic
overrides validated key by key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfs_pathway import Guideline, InvalidGuideline, citations, default_guideline
from tests.builder import CaseBuilder


def test_defaults_are_the_spec_values() -> None:
    g = default_guideline()
    assert g.min_reinjection_interval_days == 84
    assert g.insufficient_benefit_days == 56
    assert g.waning_drop_percent == 30
    assert g.risk_assessment_validity_days == 180
    assert g.young_onset_age_years == 40
    assert g.mri_due_days == 30
    assert g.imaging_overdue_days == 90
    assert g.response_review_days == 28
    assert g.response_assessment_overdue_days == 150
    assert g.medication_review_days == 56
    assert g.observation_review_months == 6
    assert g.post_mvd_review_months == (3, 6, 12, 24)
    assert (g.mvd_complete_relief.low, g.mvd_complete_relief.high) == (85, 91)
    assert (g.risk_hearing_loss_permanent.low, g.risk_hearing_loss_permanent.high) == (2, 3)


def test_every_parameter_has_unit_description_and_known_evidence() -> None:
    registry = citations()
    parameters = default_guideline().parameters()
    assert len(parameters) >= 30
    for p in parameters:
        assert p.unit, p.name
        assert p.description, p.name
        assert p.evidence, p.name
        unknown = [e for e in p.evidence if e not in registry]
        assert not unknown, (p.name, unknown)


def test_guideline_is_frozen() -> None:
    g = default_guideline()
    with pytest.raises(Exception, match="frozen"):
        g.min_reinjection_interval_days = 60  # type: ignore[misc]


def test_a_clinic_can_load_its_own_values_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text(
        'name = "Clinic A"\nversion = "3"\n[parameters]\nmin_reinjection_interval_days = 90\n'
        "[parameters.usual_max_units]\nabobotulinumtoxinA = 250\n",
        encoding="utf-8",
    )
    g = Guideline.load(path)
    assert (g.name, g.version) == ("Clinic A", "3")
    assert g.min_reinjection_interval_days == 90
    assert g.usual_max_units.abobotulinumtoxinA == 250
    assert g.usual_max_units.onabotulinumtoxinA == 70  # untouched keys keep their defaults


def test_a_clinic_can_load_its_own_values_from_json(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    path.write_text(json.dumps({"parameters": {"post_mvd_review_months": [1, 3, 12, 24]}}), encoding="utf-8")
    assert Guideline.load(path).post_mvd_review_months == (1, 3, 12, 24)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"parameters": {"min_reinjection_intervl_days": 90}}, "parameters.min_reinjection_intervl_days"),
        ({"parameters": {"min_reinjection_interval_days": "90"}}, "parameters.min_reinjection_interval_days"),
        ({"parameters": {"min_reinjection_interval_days": 0}}, "parameters.min_reinjection_interval_days"),
        ({"parameters": {"min_reinjection_interval_days": True}}, "parameters.min_reinjection_interval_days"),
        ({"parameters": {"waning_drop_percent": 130}}, "parameters.waning_drop_percent"),
        ({"parameters": {"usual_max_units": {"botox": 10}}}, "parameters.usual_max_units.botox"),
        ({"parameters": {"mvd_complete_relief": {"low": 95, "high": 90}}}, "parameters.mvd_complete_relief"),
        ({"parmeters": {}}, "parmeters"),
        ({"parameters": {"mri_due_days": 120}}, "imaging_overdue_days"),
        ({"parameters": {"post_mvd_review_months": [12, 6]}}, "post_mvd_review_months"),
        ({"version": ""}, "version"),
    ],
)
def test_a_bad_key_or_value_is_an_error_naming_the_key(data: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidGuideline, match=named.replace(".", r"\.")) as caught:
        Guideline.from_mapping(data)
    assert caught.value.code == "invalid_guideline"


def test_an_unreadable_or_malformed_file_is_a_guideline_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidGuideline, match="cannot read"):
        Guideline.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters\n", encoding="utf-8")
    with pytest.raises(InvalidGuideline, match="not valid TOML"):
        Guideline.load(bad)


def test_a_clinic_threshold_changes_the_rule_it_names() -> None:
    """With a 90-day minimum interval, an injection 85 days after the last one is flagged."""
    strict = Guideline.from_mapping({"parameters": {"min_reinjection_interval_days": 90}})
    story = CaseBuilder(guideline=strict).to_toxin().inject().after(85).inject()
    assert "reinjection_interval_too_short" in {a.code for a in story.evaluate().alerts}
    default = CaseBuilder().to_toxin().inject().after(85).inject()
    assert "reinjection_interval_too_short" not in {a.code for a in default.evaluate().alerts}


def test_the_evaluation_names_the_guideline_and_its_version() -> None:
    custom = Guideline.from_mapping({"name": "Clinic B", "version": "2027.1"})
    evaluation = CaseBuilder(guideline=custom).presentation().evaluate()
    assert (evaluation.guideline_name, evaluation.guideline_version) == ("Clinic B", "2027.1")
