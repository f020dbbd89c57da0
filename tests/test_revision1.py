"""Revision-1 records under revision 2: the files that release wrote still load and evaluate, and a guideline that
declares revision 1 refuses, with a clear invalid_case, a case that says what only revision 2 can say."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given

from hfs_pathway import Guideline, InvalidCase, InvalidGuideline, Pathway, PathwayError, Stage, load_case
from hfs_pathway._guideline import DEFAULT_VERSION
from hfs_pathway._revision import REVISION_1_EVENTS, revision_2_content
from hfs_pathway._vocabulary import CONTRACT_REVISION
from hfs_pathway.cli import main

from .builder import CaseBuilder
from .strategies import plausible_cases

DATA = Path(__file__).resolve().parent / "data" / "revision1"
CASES = sorted(p for p in DATA.glob("*.json") if not p.name.endswith(".pathway.json"))
SAVED = sorted(DATA.glob("*.pathway.json"))
REVISION_1 = Guideline(contract_revision=1, version="2026.11")


def test_the_revision_1_files_are_kept_as_they_were() -> None:
    sums = {}
    for line in (DATA / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split()
        sums[name] = digest
    assert set(sums) == {p.name for p in (*CASES, *SAVED)}
    for name, digest in sums.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, f"{name} was changed"
    assert len(CASES) >= 5
    assert len(SAVED) >= 3


# The files of revision 1 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_a_revision_1_case_file_loads_and_evaluates(path: Path) -> None:
    case = load_case(path)
    assert all(revision_2_content(e) is None for e in case.events), "the file says only what revision 1 could"
    pathway = Pathway.replay(case)
    last = pathway.events[-1].date
    for as_of in (last, last + dt.timedelta(days=400)):
        data = json.loads(json.dumps(pathway.evaluate(as_of).to_dict()))
        assert Stage(data["stage"]) is pathway.stage
        assert all(isinstance(a["active"], bool) for a in data["alerts"])
    assert Pathway.replay(case, guideline=REVISION_1).evaluate(last) == pathway.evaluate(last)._replace(
        guideline_version="2026.11"
    )


@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.name)
def test_a_revision_1_saved_pathway_loads_and_evaluates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    saved = json.loads(text)
    assert saved["definition"]["version"] == "1.0"
    assert "contract_revision" not in saved["guideline"]
    loaded = Pathway.from_json(text)
    assert loaded.guideline.version == "2026.11"
    assert loaded.guideline.contract_revision == CONTRACT_REVISION, "a guideline that does not say is current"
    same_case = Pathway.replay(load_case(DATA / path.name.replace(".pathway", "")), guideline=loaded.guideline)
    assert loaded == same_case
    as_of = loaded.events[-1].date + dt.timedelta(days=30)
    assert loaded.evaluate(as_of) == same_case.evaluate(as_of)
    again = loaded.to_json()
    assert json.loads(again)["definition"]["version"] != "1.0"
    assert Pathway.from_json(again).to_json() == again


def test_a_saved_pathway_of_an_earlier_definition_takes_the_stage_its_events_lead_to_now() -> None:
    saved = json.loads((DATA / "red_flag_during_toxin.pathway.json").read_text(encoding="utf-8"))
    saved["stage"] = "botulinum_toxin"  # what an earlier definition might have derived from the same events
    loaded = Pathway.from_json(json.dumps(saved))
    assert loaded.stage is Stage.IMAGING


def test_a_saved_pathway_of_this_definition_must_agree_on_its_stage() -> None:
    pathway = CaseBuilder().to_toxin().pathway()
    saved = json.loads(pathway.to_json())
    saved["stage"] = "imaging"
    with pytest.raises(InvalidCase, match="events lead to"):
        Pathway.from_json(json.dumps(saved))


# Guidelines that declare a revision -------------------------------------------------------------------------------


def test_the_reference_guideline_marks_revision_2() -> None:
    reference = Guideline()
    assert reference.contract_revision == CONTRACT_REVISION == 2
    assert reference.version == DEFAULT_VERSION != "2026.11"
    assert "contract_revision" not in {p.name for p in reference.parameters()}
    assert Guideline.from_mapping(json.loads(json.dumps(reference.model_dump(mode="json")))) == reference


def test_a_guideline_file_declares_its_revision(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text('name = "clinic"\nversion = "2025-3"\ncontract_revision = 1\n[parameters]\nmri_due_days = 28\n')
    loaded = Guideline.load(path)
    assert loaded.contract_revision == 1
    assert loaded.mri_due_days == 28
    assert Guideline.from_mapping(
        {"name": "clinic", "version": "1", "parameters": {"mri_due_days": 28}}
    ).contract_revision == (CONTRACT_REVISION)
    assert Guideline.load(_written(tmp_path, loaded.to_toml())) == loaded


def _written(folder: Path, text: str) -> Path:
    path = folder / "round-trip.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("value", [0, 3, "1", 1.0, True])
def test_a_contract_revision_that_does_not_exist_is_refused(value: Any) -> None:
    with pytest.raises(InvalidGuideline, match="contract_revision"):
        Guideline.from_mapping({"name": "clinic", "version": "1", "contract_revision": value})


def _presentation(**fields: Any) -> dict[str, Any]:
    return {
        "type": "presentation",
        "date": "2025-01-06",
        "side": "left",
        "onset_region": "periocular",
        "clinical_impression": "hemifacial_spasm",
        **fields,
    }


NEW_IN_REVISION_2 = [
    pytest.param(_presentation(source={"reference": "Condition/1"}), 0, "the field 'source'", id="source"),
    pytest.param(_presentation(facial_weakness=None), 0, "facial_weakness null", id="null finding"),
    pytest.param(_presentation(rapid_progression=False), 0, "the field 'rapid_progression'", id="new field"),
    pytest.param(_presentation(onset_region="unknown"), 0, "onset_region 'unknown'", id="new value"),
    pytest.param(
        {"type": "imaging_result", "date": "2025-01-20", "modality": "mri", "finding": "not_coded"},
        1,
        "finding 'not_coded'",
        id="not_coded",
    ),
]


@pytest.mark.parametrize(("event", "index", "named"), NEW_IN_REVISION_2)
def test_a_case_using_revision_2_content_under_a_revision_1_guideline_is_an_invalid_case(
    event: dict[str, Any], index: int, named: str
) -> None:
    events = [event] if index == 0 else [_presentation(), event]
    case = {"patient": {"id": "p1"}, "events": events}
    with pytest.raises(InvalidCase) as refused:
        Pathway.replay(case, guideline=REVISION_1)
    assert refused.value.event_index == index
    assert named in refused.value.message
    assert "revision 2" in refused.value.message
    Pathway.replay(case)  # the same case is accepted under the reference guideline


def test_nothing_is_applied_from_a_refused_event() -> None:
    pathway = Pathway.replay({"patient": {"id": "p1"}, "events": [_presentation()]}, guideline=REVISION_1)
    before = pathway.to_json()
    with pytest.raises(InvalidCase):
        pathway.apply({"type": "imaging_result", "date": "2025-01-20", "modality": "mri", "finding": "not_coded"})
    assert pathway.to_json() == before


def test_coded_values_inside_lists_and_new_event_types_are_named() -> None:
    response = load_case(
        {
            "patient": {"id": "p"},
            "events": [
                {
                    "type": "botox_response",
                    "date": "2025-01-01",
                    "peak_improvement_percent": 80,
                    "adverse_effects": ["ptosis", "dysphonia"],
                    "adverse_effect_severity": "mild",
                }
            ],
        }
    ).events[0]
    assert revision_2_content(response) == "adverse_effects 'dysphonia'"
    recurrence = SimpleNamespace(type="recurrence", model_fields_set={"date"})
    assert revision_2_content(recurrence) == "the event type 'recurrence'"  # type: ignore[arg-type]
    assert set(REVISION_1_EVENTS) == {
        "presentation",
        "imaging_result",
        "secondary_cause_outcome",
        "treatment_decision",
        "medication_started",
        "medication_review",
        "botox_injection",
        "botox_response",
        "botox_plan_adjusted",
        "surgical_risk_assessment",
        "risk_benefit_decision",
        "mvd_performed",
        "referral_closed",
        "post_mvd_review",
        "red_flag",
        "review_visit",
        "pathway_exit",
    }


def test_the_command_line_reports_the_invalid_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    guideline = tmp_path / "old.toml"
    guideline.write_text('name = "clinic"\nversion = "2025-3"\ncontract_revision = 1\n', encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"patient": {"id": "p1"}, "events": [_presentation(facial_pain=True)]}))
    status = main(["evaluate", str(case), "--as-of", "2025-02-01", "--guideline", str(guideline), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 2
    assert out["error"]["code"] == "invalid_case"
    assert out["error"]["event_index"] == 0
    assert "facial_pain" in out["error"]["message"]


def _replay(case: dict[str, Any], guideline: Guideline | None = None) -> Pathway | PathwayError:
    try:
        return Pathway.replay(case, guideline=guideline)
    except PathwayError as error:
        return error


@given(case=plausible_cases())
def test_a_revision_1_guideline_refuses_exactly_what_revision_1_could_not_record(case: dict[str, Any]) -> None:
    """Under a revision-1 guideline a case is refused at its first revision-2 event (unless refused before it for
    another reason), or evaluates exactly as under the reference guideline."""
    events = load_case(case).events
    first_new = next((i for i, e in enumerate(events) if revision_2_content(e) is not None), None)
    current, older = _replay(case), _replay(case, REVISION_1)
    if isinstance(older, InvalidCase):
        assert older.event_index == first_new
        assert not isinstance(current, PathwayError) or current.event_index is None or current.event_index >= first_new
    elif isinstance(older, PathwayError):
        assert isinstance(current, PathwayError)
        assert older.event_index == current.event_index
        assert first_new is None or first_new > (older.event_index or 0)
    else:
        assert first_new is None
        assert isinstance(current, Pathway)
        as_of = events[-1].date if events else dt.date(2025, 1, 1)
        assert older.evaluate(as_of) == current.evaluate(as_of)._replace(guideline_version="2026.11")
