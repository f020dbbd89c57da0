"""Real-world shapes of a record, one at a time: a merged Patient, an onset given as an age, a time without a zone,
a contained Medication coded by NDC, a malformed form response, and what is never guessed."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

pytest.importorskip("fhir.resources")

from hfs_pathway.fhir import InvalidFhir, import_resources

from .test_fhir_import import PATIENT_RESOURCE, hfs_condition, mri_report, toxin
from .test_fhir_questionnaires import response


def bare_condition(**change: Any) -> dict[str, Any]:
    """The diagnosis as EHRs code it: no project extension at all."""
    condition = hfs_condition()
    del condition["extension"]
    condition.update(change)
    return condition


def test_a_merged_patient_is_one_person_and_resources_of_the_old_record_belong_to_it() -> None:
    survivor = {**PATIENT_RESOURCE, "link": [{"other": {"reference": "Patient/p0"}, "type": "replaces"}]}
    old = {"resourceType": "Patient", "id": "p0", "active": False}
    old["link"] = [{"other": {"reference": "Patient/p1"}, "type": "replaced-by"}]
    report = {**mri_report("2025-01-20"), "subject": {"reference": "Patient/p0"}}
    imported = import_resources([old, survivor, bare_condition(), report])
    assert imported.case.patient.id == "p1"
    assert [e.type for e in imported.case.events] == ["presentation", "imaging_result"]
    assert any("merged record" in s.reason for s in imported.skipped if s.id == "p0")


def test_two_patients_not_joined_by_a_link_are_still_refused() -> None:
    other = {"resourceType": "Patient", "id": "p2"}
    with pytest.raises(InvalidFhir, match="more than one patient"):
        import_resources([PATIENT_RESOURCE, other, bare_condition()])


def test_an_onset_age_in_whole_years_gives_the_onset_date_from_the_birth_date() -> None:
    condition = bare_condition(
        onsetAge={"value": 58, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}
    )
    (presentation,) = import_resources([PATIENT_RESOURCE, condition]).case.events
    assert presentation.symptom_onset_date == dt.date(2019, 5, 4)  # born 1961-05-04


def test_without_a_recorded_date_the_onset_date_dates_the_presentation_and_the_reader_is_told() -> None:
    condition = bare_condition(onsetDateTime="2024-11-03T09:00:00Z")
    del condition["recordedDate"]
    imported = import_resources([PATIENT_RESOURCE, condition])
    assert imported.case.events[0].date == dt.date(2024, 11, 3)
    assert "presentation_date_from_onset" in {f.code for f in imported.findings}


def test_a_time_without_a_zone_is_read_by_its_day_and_reported_not_refused() -> None:
    report = mri_report("2025-01-20")
    report["effectiveDateTime"] = "2025-01-20T09:00:00"
    imported = import_resources([PATIENT_RESOURCE, bare_condition(), report])
    assert imported.case.events[1].date == dt.date(2025, 1, 20)
    (finding,) = [f for f in imported.findings if f.code == "datetime_without_zone"]
    assert finding.resource_id == "mri-2025-01-20"


def test_a_contained_medication_coded_by_ndc_in_any_of_its_forms_names_the_product() -> None:
    for ndc in ("0023-1145-01", "00023-1145-01", "00023114501", "0023-1145"):
        given = toxin("2025-02-01")
        del given["medicationCodeableConcept"]
        given["contained"] = [
            {
                "resourceType": "Medication",
                "id": "m",
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/ndc", "code": ndc}]},
            }
        ]
        given["medicationReference"] = {"reference": "#m"}
        imported = import_resources([PATIENT_RESOURCE, bare_condition(), mri_report("2025-01-20"), given])
        assert imported.case.events[-1].product == "onabotulinumtoxinA", ndc


@pytest.mark.parametrize("unit", ["mL", "vial", None])
def test_a_toxin_dose_in_millilitres_vials_or_text_is_never_read_as_units(unit: str | None) -> None:
    given = toxin("2025-02-01")
    given["dosage"]["dose"] = {"value": 1, "unit": "vial"} if unit is None else {"value": 1, "code": unit}
    imported = import_resources([PATIENT_RESOURCE, bare_condition(), mri_report("2025-01-20"), given])
    assert "botox_injection" not in [e.type for e in imported.case.events]
    assert any("not units of toxin" in s.reason for s in imported.skipped)


def test_a_stripped_diagnosis_gives_an_unknown_onset_region_and_null_findings_never_false() -> None:
    (presentation,) = import_resources([PATIENT_RESOURCE, bare_condition()]).case.events
    assert presentation.onset_region == "unknown"
    assert presentation.facial_weakness is None
    assert presentation.hearing_loss is None
    assert presentation.prior_facial_palsy is False  # history fields have no "not documented" value in the contract


@pytest.mark.parametrize(
    ("change", "element"),
    [
        ({"item": "x"}, "item"),
        ({"item": [{"linkId": "date"}, 3]}, "item[1]"),
        ({"item": [{"linkId": "peak_improvement_percent", "answer": [{"valueUri": "x"}]}]}, "answer[0]"),
    ],
)
def test_a_malformed_form_response_is_a_typed_error_naming_the_element(change: dict[str, Any], element: str) -> None:
    form = {**response("botox_response", {"peak_improvement_percent": 50}), **copy.deepcopy(change)}
    with pytest.raises(InvalidFhir, match=element.replace("[", r"\[").replace("]", r"\]")):
        import_resources([PATIENT_RESOURCE, bare_condition(), form])
