"""Cohorts from FHIR input: a folder of Bundles or a bulk export (resources grouped per patient on disk) give the
evaluations of the same cases; a patient the importer refuses is reported like a bad case.

The first tests use a minimal importer that reads events from Observations, so that the grouping and the run's
plumbing are tested on their own; the last one goes through the library's own FHIR import and export.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hfs_pathway import PathwayError, load_case
from hfs_pathway.cli import main
from hfs_pathway.cohort import _fhir_input, run_cohort

AS_OF = dt.date(2026, 1, 1)


class _NoDiagnosis(PathwayError):
    code = "no_hfs_diagnosis"


def _import_resources(resources: list[dict[str, Any]]) -> SimpleNamespace:
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    events = [json.loads(r["valueString"]) for r in resources if r["resourceType"] == "Observation"]
    if not events:
        raise _NoDiagnosis("no hemifacial spasm diagnosis among the resources")
    return SimpleNamespace(case=load_case({"patient": {"id": patient["id"]}, "events": events}))


def _observation(patient: str, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "subject": {"reference": f"Patient/{patient}"},
        "valueString": json.dumps(event),
    }


def _export(folder: Path) -> Path:
    """A bulk export: Patient.ndjson and Observation.ndjson, patients' resources interleaved."""
    folder.mkdir()
    patients = [{"resourceType": "Patient", "id": pid} for pid in ("b", "a", "c")]
    presentation = {
        "type": "presentation",
        "date": "2025-10-01",
        "side": "left",
        "onset_region": "periocular",
        "clinical_impression": "hemifacial_spasm",
    }
    mri = {"type": "imaging_result", "date": "2025-10-20", "modality": "mri", "finding": "neurovascular_conflict"}
    observations = [
        _observation("a", presentation),
        _observation("b", presentation),
        _observation("a", mri),
        {"resourceType": "Practitioner", "id": "dr"},
    ]
    (folder / "Patient.ndjson").write_text("\n".join(json.dumps(p) for p in patients) + "\n")
    (folder / "Observation.ndjson").write_text("\n".join(json.dumps(o) for o in observations) + "\n")
    return folder


@pytest.fixture
def importer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fhir_input, "_importer", lambda: SimpleNamespace(import_resources=_import_resources))


def test_resources_are_grouped_per_patient_in_patient_order(tmp_path: Path, importer: None) -> None:
    chunks = list(_fhir_input.fhir_chunks(_export(tmp_path / "export"), tmp_path))
    assert [c.patients for c in chunks] == [("Patient/a", "Patient/b", "Patient/c")]


def test_a_bulk_export_is_evaluated_per_patient_and_a_refused_patient_is_reported(
    tmp_path: Path, importer: None
) -> None:
    run = run_cohort(_export(tmp_path / "export"), tmp_path / "out", as_of=AS_OF, jobs=1, progress=False)
    evaluations = [json.loads(x) for x in (tmp_path / "out" / "evaluations.ndjson").read_bytes().splitlines()]
    assert [(e["patient_id"], e["stage"]) for e in evaluations] == [("a", "treatment_selection"), ("b", "imaging")]
    assert [(e.line, e.source, e.code) for e in run.errors] == [(3, "Patient/c", "no_hfs_diagnosis")]
    assert run.summary["cases"] == 3


def test_an_ndjson_file_of_resources_is_recognised_as_fhir(tmp_path: Path) -> None:
    export = _export(tmp_path / "export")
    assert _fhir_input.is_fhir_source(export / "Patient.ndjson")
    cases = tmp_path / "cases.ndjson"
    cases.write_text('{"patient": {"id": "p"}, "events": []}\n')
    assert not _fhir_input.is_fhir_source(cases)


def test_fhir_input_without_the_importer_is_refused_with_exit_status_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None if "fhir" in name else object())
    status = main(["cohort", str(_export(tmp_path / "export")), "-o", str(tmp_path / "out"), "--jobs", "1"])
    assert status == 2
    assert "fhir extra" in capsys.readouterr().err


# With the library's own FHIR importer ------------------------------------------------------------------------


def _fhir_cohort(folder: Path, n: int) -> tuple[Path, Path, Path, list[str]]:
    """The same synthetic cases as NDJSON, as a folder of Bundles and as a bulk export with Patient/<id> references."""
    from hfs_pathway import Pathway
    from hfs_pathway.cohort import synthetic_cases
    from hfs_pathway.fhir import export_evaluation

    bundles, export = folder / "bundles", folder / "export"
    bundles.mkdir()
    export.mkdir()
    lines, resources, refused = [], [], []
    for i, item in enumerate(synthetic_cases(n, seed=4, as_of=AS_OF)):
        lines.append(json.dumps(item.case))
        case = load_case(item.case)
        bundle = export_evaluation(Pathway.replay(case).evaluate(AS_OF), case)
        # The importer refuses a record without a diagnosis: a patient referred but not yet seen has no Condition.
        # (The export writes the presentation's Condition with its clinical impression in an extension, so a
        # patient who left with an alternative diagnosis reads back as exported.)
        if not any(entry["resource"]["resourceType"] == "Condition" for entry in bundle["entry"]):
            refused.append(item.case["patient"]["id"])
        (bundles / f"{i:03d}.json").write_text(json.dumps(bundle))
        text = json.dumps([entry["resource"] for entry in bundle["entry"]])
        for entry in bundle["entry"]:
            resource = entry["resource"]
            text = text.replace(entry["fullUrl"], f"{resource['resourceType']}/{resource['id']}")
        resources += [json.dumps(r) for r in json.loads(text)]
    (export / "export.ndjson").write_text("\n".join(resources) + "\n")
    cases = folder / "cases.ndjson"
    cases.write_text("\n".join(lines) + "\n")
    return cases, bundles, export, refused


def test_fhir_bundles_and_a_bulk_export_give_the_evaluations_of_the_same_cases(tmp_path: Path) -> None:
    cases, bundles, export, refused = _fhir_cohort(tmp_path, 16)
    expected = [
        json.loads(line)
        for line in _evaluations(run_cohort(cases, tmp_path / "cases", as_of=AS_OF, jobs=1, progress=False))
        if json.loads(line)["patient_id"] not in refused
    ]
    for source in (bundles, export, export / "export.ndjson"):
        run = run_cohort(source, tmp_path / f"out-{source.name}", as_of=AS_OF, jobs=2, progress=False)
        evaluations = [json.loads(line) for line in _evaluations(run)]
        # Read from FHIR, each event names the resource it came from; the case files say nothing of that.
        sources = [h.pop("source") for evaluation in evaluations for h in evaluation["history"]]
        assert all(s["system"] == "fhir" and s["reference"].split("/")[1].startswith("event-") for s in sources)
        for evaluation in expected:
            for entry in evaluation["history"]:
                entry.pop("source", None)
        assert evaluations == expected, source.name
        assert {e.code for e in run.errors} <= {"no_hfs_diagnosis"}
        assert len(run.errors) == len(refused)


def _evaluations(run: Any) -> list[bytes]:
    return (run.outdir / "evaluations.ndjson").read_bytes().splitlines()
