"""The JSON Schema of a case file: generated from the event models, valid, and in agreement with the loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfs_pathway import EventType, case_schema, load_case
from hfs_pathway._events import EVENT_MODELS
from hfs_pathway.cli import main
from hfs_pathway.cohort import synthetic_cases

jsonschema = pytest.importorskip("jsonschema")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def validator() -> object:
    schema = case_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def example_cases() -> list[Path]:
    return [p for p in sorted(EXAMPLES.glob("*.json")) if "patient" in json.loads(p.read_text(encoding="utf-8"))]


def test_the_schema_names_every_event_type_of_the_library() -> None:
    mapping = case_schema()["properties"]["events"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == set(EVENT_MODELS) == {e.value for e in EventType}


@pytest.mark.parametrize("path", example_cases(), ids=lambda p: p.name)
def test_every_example_case_is_valid_under_the_schema(path: Path) -> None:
    errors = [e.message for e in validator().iter_errors(json.loads(path.read_text(encoding="utf-8")))]  # type: ignore[attr-defined]
    assert errors == []


def test_synthetic_cases_across_every_branch_are_valid_under_the_schema() -> None:
    check = validator()
    for case in synthetic_cases(120, seed=7):
        data = load_case(case.case).to_dict()
        assert list(check.iter_errors(data)) == [], data["patient"]["id"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda e: e.update(colour="blue"), "unknown field"),
        (lambda e: e.pop("type"), "no type"),
        (lambda e: e.update(side="middle"), "a value outside the allowed ones"),
        (lambda e: e.update(date="12/03/2024"), "a date not written YYYY-MM-DD"),
    ],
)
def test_what_the_loader_refuses_the_schema_refuses_too(change: object, why: str) -> None:
    case = json.loads((EXAMPLES / "typical_toxin_responder.json").read_text(encoding="utf-8"))
    change(case["events"][0])  # type: ignore[operator]
    assert list(validator().iter_errors(case)), why  # type: ignore[attr-defined]


def test_fields_carry_the_docstrings_written_in_the_models() -> None:
    imaging = case_schema()["$defs"]["ImagingResult"]
    assert imaging["description"].startswith("The result of brain imaging")
    assert "only with `ct`" in imaging["properties"]["mri_not_possible"]["description"]


def test_hfs_pathway_schema_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == case_schema()
