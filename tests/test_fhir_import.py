"""Reading a patient's FHIR record as a case: mapped facts, skipped resources with reasons, the orders proposed."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fhir.resources")

from hfs_pathway import InvalidCase, Pathway, PathwayError
from hfs_pathway.fhir import (
    FhirImport,
    InvalidFhir,
    NoHfsDiagnosis,
    import_bundle,
    import_resources,
    proposed_orders,
)

EXAMPLES = Path(__file__).parent.parent / "examples" / "fhir"
NS = "https://hfs-pathway.github.io/hfs-pathway/fhir/"
PATIENT = {"reference": "Patient/p1"}


def hfs_condition(
    recorded: str | None = "2025-01-06",
    *,
    code: tuple[str, str] = ("icd-10-cm", "G51.32"),
    verification: str = "confirmed",
    **facts: Any,
) -> dict[str, Any]:
    system, value = code
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": f"c-{value}",
        "verificationStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]
        },
        "code": {
            "coding": [{"system": f"http://hl7.org/fhir/sid/{system}" if "icd" in system else system, "code": value}]
        },
        "subject": PATIENT,
    }
    if recorded is not None:
        resource["recordedDate"] = recorded
    facts.setdefault("onset_region", "periocular")
    resource["extension"] = [
        {
            "url": NS + "StructureDefinition/pathway-event",
            "extension": [{"url": k, "valueCode": v} for k, v in facts.items()],
        }
    ]
    return resource


def mri_report(date: str, finding: str = "neurovascular_conflict", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": f"mri-{date}",
        "status": "final",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "816077007"}]},
        "subject": PATIENT,
        "effectiveDateTime": f"{date}T09:00:00Z",
        "conclusionCode": [{"coding": [{"system": NS + "CodeSystem/imaging-result-finding", "code": finding}]}],
        **extra,
    }


def decision(date: str, option: str = "botulinum_toxin") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"decision-{date}",
        "status": "final",
        "code": {"coding": [{"system": NS + "CodeSystem/event-type", "code": "treatment-decision"}]},
        "subject": PATIENT,
        "effectiveDateTime": date,
        "valueCodeableConcept": {"coding": [{"system": NS + "CodeSystem/treatment-decision-option", "code": option}]},
        "extension": [
            {
                "url": NS + "StructureDefinition/pathway-event",
                "extension": [{"url": "shared_decision", "valueBoolean": True}],
            }
        ],
    }


def toxin(date: str, units: float = 20, *, hcpcs: str = "J0585", status: str = "completed") -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": f"btx-{date}",
        "status": status,
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": hcpcs}]
        },
        "subject": PATIENT,
        "effectiveDateTime": date,
        "dosage": {"dose": {"value": units, "unit": "U", "system": "http://unitsofmeasure.org", "code": "[U]"}},
    }


PATIENT_RESOURCE = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1961-05-04"}


def test_a_typical_record_becomes_the_patient_s_case_on_the_toxin_stage() -> None:
    imported = import_resources(
        [PATIENT_RESOURCE, hfs_condition(), mri_report("2025-01-20"), decision("2025-02-01"), toxin("2025-02-01")]
    )
    assert isinstance(imported, FhirImport)
    assert [e.type for e in imported.case.events] == [
        "presentation",
        "imaging_result",
        "treatment_decision",
        "botox_injection",
    ]
    presentation = imported.case.events[0]
    assert (presentation.side, presentation.onset_region, presentation.date) == (
        "left",
        "periocular",
        dt.date(2025, 1, 6),
    )
    assert imported.case.patient.birth_date == dt.date(1961, 5, 4)
    assert Pathway.replay(imported.case).stage == "botulinum_toxin"
    assert imported.skipped == ()


def test_a_record_without_a_hemifacial_spasm_diagnosis_raises_no_hfs_diagnosis() -> None:
    other = hfs_condition(code=("http://snomed.info/sct", "38341003"))  # hypertension
    with pytest.raises(NoHfsDiagnosis) as caught:
        import_resources([PATIENT_RESOURCE, other, mri_report("2025-01-20")])
    assert isinstance(caught.value, PathwayError)
    assert caught.value.code == "no_hfs_diagnosis"


@pytest.mark.parametrize(
    ("code", "side"),
    [(("icd-10-cm", "G51.31"), "right"), (("icd-10-cm", "G51.32"), "left"), (("icd-10-cm", "G51.33"), "bilateral")],
)
def test_the_icd_10_cm_code_gives_the_side(code: tuple[str, str], side: str) -> None:
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(code=code)])
    assert imported.case.events[0].side == side


def test_a_diagnosis_without_side_is_skipped_with_a_finding_not_guessed() -> None:
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(code=("http://snomed.info/sct", "13753008"))])
    assert imported.case.events == ()
    assert "side" in imported.skipped[0].reason
    assert [f.code for f in imported.findings] == ["presentation_incomplete"]


def test_proposed_orders_give_an_mri_proposal_at_the_imaging_stage() -> None:
    imported = import_resources([PATIENT_RESOURCE, hfs_condition()])
    evaluation = Pathway.replay(imported.case).evaluate(dt.date(2025, 1, 10))
    orders = proposed_orders(evaluation, imported.case)
    assert [o["resourceType"] for o in orders] == ["ServiceRequest"]
    order = orders[0]
    assert (order["intent"], order["status"], order["priority"]) == ("proposal", "draft", "routine")
    codes = {(c["system"], c["code"]): c["display"] for c in order["code"]["coding"]}
    assert codes[("http://snomed.info/sct", "816077007")] == "Magnetic resonance imaging of brain"
    assert order["subject"] == {"reference": "Patient/p1"}
    assert order["occurrenceDateTime"] == "2025-02-05"


def test_red_flags_make_the_mri_proposal_urgent_with_contrast() -> None:
    condition = hfs_condition()
    condition["extension"][0]["extension"].append({"url": "facial_weakness", "valueBoolean": True})
    imported = import_resources([PATIENT_RESOURCE, condition])
    evaluation = Pathway.replay(imported.case).evaluate(dt.date(2025, 1, 10))
    (order,) = proposed_orders(evaluation, imported.case)
    assert order["priority"] == "urgent"
    assert any(c["code"] == "70553" for c in order["code"]["coding"])


def test_no_orders_are_proposed_on_the_toxin_stage() -> None:
    imported = import_resources(
        [PATIENT_RESOURCE, hfs_condition(), mri_report("2025-01-20"), decision("2025-02-01"), toxin("2025-02-01")]
    )
    evaluation = Pathway.replay(imported.case).evaluate(dt.date(2025, 3, 1))
    # The record says nothing of the examination (null findings: R2.15, not examined is not normal), so the only
    # order proposed is the contrast MRI of the work-up, never one of the toxin stage.
    assert [o["id"] for o in proposed_orders(evaluation, imported.case)] == ["p1-order-contrast-mri"]


def test_bad_fhir_is_a_typed_error_naming_the_resource_and_element() -> None:
    broken = mri_report("2025-01-20")
    broken["effectiveDateTime"] = "20 January 2025"
    with pytest.raises(InvalidFhir) as caught:
        import_resources([PATIENT_RESOURCE, hfs_condition(), broken])
    assert isinstance(caught.value, InvalidCase)
    assert "DiagnosticReport/mri-2025-01-20" in caught.value.message
    assert "effectiveDateTime" in caught.value.message


@pytest.mark.parametrize(
    "source",
    [b"not json", "[1, 2]", {"resourceType": "Patient", "id": "p1"}, {"resourceType": "Bundle", "entry": {}}],
)
def test_what_is_not_a_bundle_is_refused_as_invalid_case(source: Any) -> None:
    with pytest.raises(InvalidFhir):
        import_bundle(source)


def test_the_bundle_of_one_patient_only() -> None:
    other = {"resourceType": "Patient", "id": "p2"}
    with pytest.raises(InvalidFhir, match="more than one patient"):
        import_resources([PATIENT_RESOURCE, other, hfs_condition()])


def test_a_bundle_reads_from_a_file_text_or_mapping_alike() -> None:
    path = EXAMPLES / "toxin_responder.json"
    text = path.read_text()
    assert import_bundle(path) == import_bundle(text) == import_bundle(json.loads(text)) == import_bundle(str(path))


def test_importing_hfs_pathway_does_not_load_fhir_resources() -> None:
    code = "import sys, hfs_pathway, hfs_pathway.fhir; print('fhir.resources' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]


def test_the_docs_list_every_import_finding_with_its_severity() -> None:
    from hfs_pathway.fhir._findings import FINDING_CODES

    page = (Path(__file__).parent.parent / "docs" / "fhir.md").read_text(encoding="utf-8")
    listed = {
        line.split("|")[1].strip().strip("`"): line.split("|")[2].strip()
        for line in page.split("### Import findings")[1].split("## Export")[0].splitlines()
        if line.startswith("| `")
    }
    assert listed == {code: severity.value for code, (severity, _) in FINDING_CODES.items()}
