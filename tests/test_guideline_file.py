"""The guideline file a clinic writes: the shipped example loads, `guideline show` prints files that load back,
and the natural ways of writing one are understood."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfs_pathway import Guideline, InvalidGuideline, default_guideline
from hfs_pathway.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "clinic-guideline.toml"


def show(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["guideline", "show", *argv]) == 0
    return capsys.readouterr().out


def test_the_shipped_clinic_guideline_loads_and_changes_only_what_it_names() -> None:
    clinic = Guideline.load(EXAMPLE)
    reference = default_guideline()
    assert clinic.name == "Example movement-disorders clinic"
    assert clinic.min_reinjection_interval_days == 91
    assert clinic.usual_max_units.abobotulinumtoxinA == 240
    assert clinic.usual_max_units.onabotulinumtoxinA == reference.usual_max_units.onabotulinumtoxinA
    changed = {p.name for p in clinic.parameters() if p.value != p.default}
    assert changed == {
        "min_reinjection_interval_days",
        "response_assessment_overdue_days",
        "mri_due_days",
        "imaging_overdue_days",
        "medication_review_days",
        "post_mvd_review_months",
        "usual_max_units",
    }


@pytest.mark.parametrize("source", [None, EXAMPLE])
@pytest.mark.parametrize(("fmt", "suffix"), [("toml", ".toml"), ("json", ".json")])
def test_guideline_show_prints_a_file_that_loads_back_to_the_same_guideline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source: Path | None, fmt: str, suffix: str
) -> None:
    original = Guideline.load(source) if source else default_guideline()
    text = show(capsys, "--format", fmt, *(["--guideline", str(source)] if source else []))
    saved = tmp_path / f"shown{suffix}"
    saved.write_text(text, encoding="utf-8")
    assert Guideline.load(saved) == original


def test_the_toml_form_explains_every_parameter() -> None:
    text = default_guideline().to_toml()
    for parameter in default_guideline().parameters():
        assert f"\n{parameter.name} = " in text
    assert "# unit: days; default: 84; evidence: R45" in text


def test_parameters_may_stand_at_the_top_level_of_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.toml"
    path.write_text('name = "Clinic B"\nmin_reinjection_interval_days = 98\n', encoding="utf-8")
    assert Guideline.load(path).min_reinjection_interval_days == 98


def test_a_parameter_given_twice_or_misspelt_is_named(tmp_path: Path) -> None:
    twice = {"min_reinjection_interval_days": 98, "parameters": {"min_reinjection_interval_days": 91}}
    with pytest.raises(InvalidGuideline, match="given twice"):
        Guideline.from_mapping(twice)
    with pytest.raises(InvalidGuideline, match="did you mean 'min_reinjection_interval_days'"):
        Guideline.from_mapping({"min_reinjection_interval_day": 98})


def test_none_in_a_file_means_no_usual_maximum() -> None:
    guideline = Guideline.from_mapping(
        json.loads('{"parameters": {"usual_max_units": {"onabotulinumtoxinA": "none"}}}')
    )
    assert guideline.usual_max_units.onabotulinumtoxinA is None
