"""Real records (Synthea R4 patients) with hemifacial-spasm histories coded the standard way land where a clinician
would place the patient, with the next steps a clinician would expect, whatever shape the record takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("fhir.resources")

from hfs_pathway import Pathway
from hfs_pathway.fhir import FhirImport, import_bundle

from .synthea import HCPCS, LOINC, NDC, Graft, samples_available

pytestmark = pytest.mark.skipif(
    not samples_available(), reason="the shared Synthea samples are not beside this checkout"
)

INJECTIONS = ("2024-02-05", "2024-05-13", "2024-08-19", "2024-11-25")


def evaluated(graft: Graft, as_of: str = "2024-12-20") -> tuple[FhirImport, Any]:
    imported = import_bundle(graft.bundle())
    return imported, Pathway.replay(imported.case).evaluate(dt.date.fromisoformat(as_of))


def tidy(g: Graft) -> None:
    """ICD-10-CM G51.32 with its recorded date, an MRI report (CPT 70553) whose conclusion is free text, and each
    injection recorded twice: CPT 64612 and a MedicationAdministration coded by HCPCS in USP units."""
    g.hfs_icd("2023-11-02")
    g.mri_report("2023-12-04", conclusion="Left AICA loop contacting the facial nerve root exit zone.")
    for day in INJECTIONS:
        g.toxin_procedure(day)
        g.toxin(day, 25)


def snomed_and_study(g: Graft) -> None:
    """SNOMED CT 13753008 with a laterality body site and only an onset date; the MRI as an ImagingStudy (DICOM MR,
    LOINC 24587-8) with its report; the toxin by NDC in a contained Medication; a merged Patient record."""
    g.hfs_snomed("2023-11-02")
    g.imaging_study("2023-12-04")
    g.mri_report("2023-12-04", code=(LOINC, "24587-8"), conclusion="No mass. Vascular contact left VII.")
    for day in INJECTIONS:
        g.toxin(day, 25, coding=(NDC, "0023-1145-01"), contained=True)
    g.merged_twin()


def messy(g: Graft) -> None:
    """G51.39 (side unspecified) with a left body site; a preliminary then a final report plus the imaging
    procedure; each injection split over two administrations (one per site), written without a time zone."""
    g.hfs_icd(
        "2023-11-02", code="G51.39", bodySite=[{"coding": [{"system": "http://snomed.info/sct", "code": "7771000"}]}]
    )
    g.mri_report("2023-12-04", conclusion="Preliminary read.", status="preliminary")
    g.mri_report("2023-12-04", conclusion="Neurovascular contact, left.")
    g.imaging_procedure("2023-12-04")
    for day in INJECTIONS:
        g.toxin_procedure(day)
        g.toxin(day, 15, time="T11:05:00", coding=(HCPCS, "J0585"))
        g.toxin(day, 10, time="T11:15:00", coding=(HCPCS, "J0585"))


SHAPES: dict[str, Callable[[Graft], None]] = {"tidy": tidy, "snomed_and_study": snomed_and_study, "messy": messy}
NEVER_AFTER_AN_MRI_AND_FOUR_CYCLES = {"order_mri", "order_contrast_mri", "urgent_contrast_mri", "offer_botulinum_toxin"}


@pytest.mark.parametrize("patient", ["Alfreda_Wyman", "Alberto_Atencio"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_four_toxin_cycles_after_an_mri_are_on_the_toxin_stage_never_told_to_order_the_mri_or_offer_toxin(
    patient: str, shape: str
) -> None:
    g = Graft(patient)
    SHAPES[shape](g)
    imported, evaluation = evaluated(g)
    assert evaluation.stage == "botulinum_toxin"
    kinds = [e.type for e in imported.case.events]
    assert kinds == ["presentation", "imaging_result", "treatment_decision", *["botox_injection"] * 4]
    presentation, study, decision, *injections = imported.case.events
    assert (presentation.side, presentation.onset_region, presentation.date) == (
        "left",
        "unknown",
        dt.date(2023, 11, 2),
    )
    assert presentation.facial_weakness is None  # the record says nothing about the examination
    assert (study.modality, study.contrast, study.finding) == ("mri", True, "not_coded")
    assert study.note  # the report's free text travels with the study
    assert decision.source is not None
    assert decision.source.inferred
    assert [i.total_units for i in injections] == [25] * 4
    assert all(e.source is not None and e.source.system == "fhir" for e in imported.case.events)
    codes = {r.code for r in evaluation.recommendations}
    assert not codes & NEVER_AFTER_AN_MRI_AND_FOUR_CYCLES
    assert "treatment_before_imaging" not in {f.code for f in imported.findings}
    assert {"decision_inferred", "presentation_not_documented"} <= {f.code for f in imported.findings}


def test_every_synthea_resource_is_accounted_for_and_the_background_record_adds_no_event() -> None:
    g = Graft("Andy_Gusikowski")
    tidy(g)
    imported, _ = evaluated(g)
    total = len(g.bundle()["entry"]) - 1  # the Patient
    recorded = [e for e in imported.case.events if not (e.source and e.source.inferred)]
    assert len(recorded) + len(imported.skipped) == total
    grafted = {e["resource"]["id"] for e in g.added}
    assert all(e.source is not None and e.source.reference.split("/")[1] in grafted for e in recorded)


def test_a_drug_of_another_indication_before_the_diagnosis_is_not_read_as_hemifacial_spasm_treatment() -> None:
    """Alberto's record has clonazepam and carbamazepine for epilepsy since 2007; carbamazepine (RxNorm 2002) ordered
    for the spasm after the MRI, in two daily doses, is the oral drug started."""
    g = Graft("Alberto_Atencio")
    epilepsy = next(e["resource"] for e in g.base["entry"] if e["resource"]["resourceType"] == "Condition")
    g.drug_order("2010-03-01", "2002", [400], reason=epilepsy)  # for the seizures, years before
    diagnosis = g.hfs_icd("2023-11-02", code="G51.31")
    g.mri_report("2023-12-04", conclusion="Normal study.")
    g.drug_order("2024-01-08", "2002", [200, 400], reason=diagnosis)
    imported, evaluation = evaluated(g, "2024-02-01")
    assert evaluation.stage == "oral_medication"
    started = imported.case.events[-1]
    assert (started.type, started.drug, started.dose_mg_per_day) == ("medication_started", "carbamazepine", 600)
    assert "treatment_before_imaging" not in {f.code for f in imported.findings}
    earlier = [s for s in imported.skipped if s.resource_type == "MedicationRequest" and "before the" in s.reason]
    assert len(earlier) == 1


def hearing_loss_and_free_text_lesion(g: Graft, *, coded: bool) -> None:
    g.hearing_loss("2023-10-01")
    g.hfs_icd("2023-11-02")
    extra: dict[str, Any] = {}
    if coded:
        system = "https://hfs-pathway.github.io/hfs-pathway/fhir/CodeSystem/imaging-result-finding"
        extra["conclusionCode"] = [{"coding": [{"system": system, "code": "neurovascular_conflict"}]}]
    g.mri_report(
        "2023-11-20",
        code=("http://www.ama-assn.org/go/cpt", "70553" if coded else "70551"),
        conclusion="Enhancing lesion in the left cerebellopontine angle, 8 mm; vestibular schwannoma not excluded.",
        **extra,
    )


def test_hearing_loss_recorded_before_the_diagnosis_is_a_presentation_finding_raising_the_red_flag() -> None:
    g = Graft("Alfreda_Wyman")
    hearing_loss_and_free_text_lesion(g, coded=False)
    imported, evaluation = evaluated(g, "2023-12-01")
    presentation = imported.case.events[0]
    assert presentation.hearing_loss is True
    assert presentation.facial_weakness is None
    assert "red_flag_secondary_hfs" in {a.code for a in evaluation.alerts}
    assert "CPA" in (imported.case.events[1].note or "") or "cerebellopontine" in (imported.case.events[1].note or "")


def test_hearing_loss_and_a_free_text_cpa_lesion_keep_the_urgent_work_up_open() -> None:
    g = Graft("Alfreda_Wyman")
    hearing_loss_and_free_text_lesion(g, coded=False)
    _, evaluation = evaluated(g, "2023-12-01")
    assert "urgent_contrast_mri" in {r.code for r in evaluation.recommendations}
    red = [a for a in evaluation.alerts if a.code == "red_flag_secondary_hfs"]
    assert red
    assert all(a.active for a in red)


def test_with_the_finding_of_a_contrast_mri_coded_the_urgent_work_up_is_not_reordered() -> None:
    g = Graft("Alfreda_Wyman")
    hearing_loss_and_free_text_lesion(g, coded=True)
    _, evaluation = evaluated(g, "2023-12-01")
    assert evaluation.stage == "treatment_selection"
    assert "urgent_contrast_mri" not in {r.code for r in evaluation.recommendations}


def test_a_referral_is_kept_as_context_and_an_operation_without_the_checkpoint_is_reported() -> None:
    g = Graft("Alfreda_Wyman")
    tidy(g)
    diagnosis = g.added[0]["resource"]
    g.neurosurgery_referral("2025-01-10", diagnosis)
    g.mvd("2025-04-01")
    imported, _ = evaluated(g, "2025-04-20")
    codes = {f.code for f in imported.findings}
    assert "referral_on_record" in codes
    operation = [s for s in imported.skipped if s.resource_type == "ServiceRequest"]
    assert operation
    assert "its result is" in operation[0].reason


def test_an_operation_on_record_without_the_checkpoint_moves_to_post_mvd_as_outside_the_pathway() -> None:
    g = Graft("Alfreda_Wyman")
    tidy(g)
    g.mvd("2025-04-01")
    imported, evaluation = evaluated(g, "2025-04-20")
    assert evaluation.stage == "post_mvd"
    operation = imported.case.events[-1]
    assert (operation.type, operation.outside_pathway) == ("mvd_performed", True)
    assert "mvd_outside_checkpoint" in {a.code for a in evaluation.alerts}
