"""The pathway's SDC Questionnaires: generated from the event models, written by the command line, filled in
LHC-Forms in headless Chromium as a user would, and the QuestionnaireResponse LHC-Forms produces imports to the
intended event."""

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

from hfs_pathway import Pathway
from hfs_pathway._events import EVENT_MODELS
from hfs_pathway._hfs import HFS_PATHWAY
from hfs_pathway.cli import main
from hfs_pathway.fhir import FORMS, import_resources, questionnaire, questionnaires

from .test_fhir_import import NS, PATIENT_RESOURCE, hfs_condition, mri_report, toxin

ROOT = Path(__file__).parent.parent
SCRIPT = ROOT / "scripts" / "lforms_roundtrip.mjs"
ARTIFACTS = ROOT / "test-artifacts" / "forms"


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason + " (required in CI: .ci/run installs it)")
    pytest.skip(reason)


def test_there_is_one_form_per_fact_ehrs_do_not_code_each_with_a_canonical_url_versioned_with_the_contract() -> None:
    forms = questionnaires()
    assert [f["id"] for f in forms] == [kind.replace("_", "-") for kind in FORMS]
    for form, kind in zip(forms, FORMS, strict=True):
        assert form["url"] == f"{NS}Questionnaire/{kind.replace('_', '-')}"
        assert form["version"] == HFS_PATHWAY.version
        assert form["text"]["status"] == "generated"


@pytest.mark.parametrize("kind", FORMS)
def test_each_form_asks_every_field_of_its_event_typed_and_bounded_as_the_model_is(kind: str) -> None:
    form = questionnaire(kind)
    model = EVENT_MODELS[kind]
    items = {item["linkId"]: item for item in form["item"]}
    assert set(items) == set(model.model_fields) - {"type", "source"}
    for name, field in model.model_fields.items():
        if name in items:
            assert items[name].get("required", False) == field.is_required(), name
    if kind == "botox_response":
        peak = items["peak_improvement_percent"]
        assert peak["type"] == "decimal"
        bounds = {e["url"].rsplit("/", 1)[1]: e["valueDecimal"] for e in peak["extension"]}
        assert bounds == {"minValue": 0, "maxValue": 100}
        effects = items["adverse_effects"]
        assert effects["repeats"] is True
        assert [o["valueCoding"]["code"] for o in effects["answerOption"]][:2] == ["ptosis", "facial_weakness"]
    if kind == "presentation":
        assert items["facial_weakness"]["type"] == "boolean"
        assert "required" not in items["facial_weakness"]  # unanswered: not examined (null), never false
        assert [o["valueCoding"]["code"] for o in items["onset_region"]["answerOption"]] == [
            "periocular",
            "lower_face",
            "other",
            "unknown",
        ]
    if kind == "post_mvd_review":
        complication = items["complications"]
        assert (complication["type"], complication["repeats"]) == ("group", True)
        assert {i["linkId"] for i in complication["item"]} == {"type", "permanent"}


def test_the_command_line_writes_one_file_per_form(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fhir", "questionnaires", "-o", str(tmp_path / "forms")]) == 0
    written = sorted(p.name for p in (tmp_path / "forms").iterdir())
    assert written == sorted(f"{kind.replace('_', '-')}.json" for kind in FORMS)
    assert json.loads((tmp_path / "forms" / "presentation.json").read_text()) == questionnaire("presentation")
    assert capsys.readouterr().out.count(".json") == len(FORMS)


def test_the_command_line_says_when_the_folder_cannot_be_written(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("x")
    assert main(["fhir", "questionnaires", "-o", str(blocked / "forms")]) == 2


def response(kind: str, answers: dict[str, Any], *, status: str = "completed") -> dict[str, Any]:
    """A QuestionnaireResponse as a form renderer writes it (coded answers as Codings of the form's options)."""
    form = {item["linkId"]: item for item in questionnaire(kind)["item"]}
    items = []
    for name, value in answers.items():
        item = form[name]
        values = value if isinstance(value, list) else [value]
        typed = {"boolean": "valueBoolean", "integer": "valueInteger", "decimal": "valueDecimal", "date": "valueDate"}
        out = []
        for v in values:
            if item["type"] == "choice":
                option = next(o for o in item["answerOption"] if o["valueCoding"]["code"] == v)
                out.append({"valueCoding": option["valueCoding"]})
            else:
                out.append({typed.get(item["type"], "valueString"): v})
        items.append({"linkId": name, "answer": out})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"qr-{kind.replace('_', '-')}",
        "questionnaire": f"{NS}Questionnaire/{kind.replace('_', '-')}|{HFS_PATHWAY.version}",
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "authored": "2025-03-01T10:00:00+01:00",
        "item": items,
    }


PRESENTATION = {
    "date": "2025-01-06",
    "side": "right",
    "onset_region": "periocular",
    "clinical_impression": "hemifacial_spasm",
    "facial_weakness": False,
    "hearing_loss": False,
    "tonic_contraction": True,
}


def test_a_presentation_form_records_the_presentation_and_unanswered_findings_stay_not_documented() -> None:
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(), response("presentation", PRESENTATION)])
    (presentation,) = imported.case.events
    assert (presentation.side, presentation.onset_region, presentation.tonic_contraction) == (
        "right",
        "periocular",
        True,
    )
    assert (presentation.facial_weakness, presentation.hearing_loss) == (False, False)
    assert presentation.facial_numbness is None  # not asked in this response: not documented
    assert presentation.source is not None
    assert presentation.source.reference == "QuestionnaireResponse/qr-presentation"
    why = {s.id: s.reason for s in imported.skipped}
    assert "recorded by the form QuestionnaireResponse/qr-presentation" in why["c-G51.32"]


def test_a_response_not_completed_or_to_another_form_gives_no_event() -> None:
    draft = response("botox_response", {"peak_improvement_percent": 50}, status="in-progress")
    other = {**response("botox_response", {"peak_improvement_percent": 50}), "id": "qr-x"}
    other["questionnaire"] = "http://example.org/Questionnaire/phq-9"
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(), draft, other])
    why = {s.id: s.reason for s in imported.skipped}
    assert "not completed" in why["qr-botox-response"]
    assert "not one of the pathway's forms" in why["qr-x"]


# --- LHC-Forms in Chromium -----------------------------------------------------------------------------------

FILLED: dict[str, dict[str, Any]] = {
    "presentation": PRESENTATION,
    "treatment_decision": {"date": "2025-02-01", "option": "botulinum_toxin", "shared_decision": True},
    "botox_response": {
        "date": "2025-05-01",
        "peak_improvement_percent": 70,
        "benefit_duration_days": 84,
        "adverse_effects": ["ptosis"],
        "adverse_effect_severity": "mild",
        "benefit_ongoing": False,
    },
    "surgical_risk_assessment": {
        "date": "2025-06-02",
        "asa_class": 2,
        "diabetes": False,
        "hypertension": True,
        "anticoagulation": False,
        "prior_posterior_fossa_surgery": False,
        "baseline_audiometry_done": True,
    },
    "risk_benefit_decision": {
        "date": "2025-06-02",
        "decision": "refer_for_mvd",
        "patient_informed": True,
        "patient_consents": True,
    },
    "post_mvd_review": {"date": "2025-12-01", "spasm": "improved"},
}
"""What a clinician enters in each form, in the pathway's own values (dates as YYYY-MM-DD)."""


def fill_in_lhc_forms(forms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        missing("node is not installed (apt-get install nodejs npm)")
    if not (ROOT / "node_modules" / "lforms").is_dir() or not (ROOT / "node_modules" / "puppeteer").is_dir():
        missing("the Node packages are not installed (npm ci)")
    chromium = os.environ.get("PUPPETEER_EXECUTABLE_PATH", "/usr/bin/chromium")
    if not Path(chromium).exists():
        missing(f"Chromium is not installed at {chromium}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cases = [
        {
            "name": kind,
            "questionnaire": questionnaire(kind),
            "answers": answers,
            "screenshot": str(ARTIFACTS / f"{kind}.png"),
        }
        for kind, answers in forms.items()
    ]
    done = subprocess.run(
        [node, str(SCRIPT)], input=json.dumps(cases), capture_output=True, text=True, timeout=300, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results: dict[str, Any] = json.loads(done.stdout)
    return results


def test_every_form_renders_in_lhc_forms_and_the_responses_it_produces_import_to_the_intended_events() -> None:
    results = fill_in_lhc_forms(FILLED)
    for kind, result in results.items():
        assert result["errors"] == [], kind
        asked = [item["linkId"] for item in questionnaire(kind)["item"]]
        assert [name for name in result["shown"] if name in asked] == asked, kind  # every question, in order
        version = HFS_PATHWAY.version
        assert result["response"]["questionnaire"] == f"{NS}Questionnaire/{kind.replace('_', '-')}|{version}"
    responses = [{**result["response"], "id": f"lhc-{kind}"} for kind, result in results.items()]
    record = [
        PATIENT_RESOURCE,
        hfs_condition(),
        *responses,
        # A contrast MRI with a coded finding: the presentation form names tonic spasm and leaves facial numbness
        # undocumented, both contrast-tier features, so only a contrast study closes the work-up before the checkpoint.
        mri_report("2025-01-20", code={"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "70553"}]}),
        toxin("2025-02-01"),
        {
            "resourceType": "Procedure",
            "id": "mvd",
            "status": "completed",
            "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "61458"}]},
            "subject": {"reference": "Patient/p1"},
            "performedDateTime": "2025-09-01",
        },
        {
            "resourceType": "Observation",
            "id": "to-surgery",
            "status": "final",
            "code": {"coding": [{"system": NS + "CodeSystem/event-type", "code": "treatment-decision"}]},
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2025-06-01",
            "valueCodeableConcept": {
                "coding": [{"system": NS + "CodeSystem/treatment-decision-option", "code": "surgical_evaluation"}]
            },
            "extension": [
                {
                    "url": NS + "StructureDefinition/pathway-event",
                    "extension": [{"url": "shared_decision", "valueBoolean": True}],
                }
            ],
        },
    ]
    imported = import_resources(record)
    by_form = {e.source.reference.split("/lhc-")[1]: e for e in imported.case.events if "/lhc-" in str(e.source)}
    assert set(by_form) == set(FILLED)
    for kind, answers in FILLED.items():
        event = by_form[kind].model_dump(mode="json")
        for name, value in answers.items():
            assert event[name] == value, (kind, name)
    assert Pathway.replay(imported.case).stage == "post_mvd"
    assert by_form["presentation"].facial_numbness is None
    assert imported.case.events[-1].date == dt.date(2025, 12, 1)
