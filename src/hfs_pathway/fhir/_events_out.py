"""A case's facts as FHIR resources: the Patient and one resource per event, the mirror of the import mapping.

Each event is written with the standard elements the import reads (codes, dates, doses) and the
``pathway-event`` extension for the rest, with the event's position in the case (``sequence``) so
that events of the same day come back in the same order.
"""

from __future__ import annotations

from typing import Any

from hfs_pathway._case import Case, Patient, event_to_dict
from hfs_pathway._events import EVENT_MODELS, Event
from hfs_pathway._vocabulary import Side

from ._bindings import checked
from ._clinical import NULLABLE_FINDINGS
from ._codes import (
    ASIAN_ANCESTRY_EXTENSION,
    ATC,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    CPT,
    CPT_DISPLAY,
    DRUG_ATC,
    EVENT_FIELD_SYSTEM,
    EVENT_TYPE_SYSTEM,
    HCPCS,
    HFS_ICD10CM_DISPLAY,
    ICD10,
    ICD10CM,
    LOINC,
    SEQUENCE_FIELD,
    SIDE_ICD10CM,
    SNOMED,
    SNOMED_SIDE_DISPLAY,
    TOXIN_ATC,
    TOXIN_HCPCS,
    TOXIN_HCPCS_DISPLAY,
    TOXIN_UNIT_EXPORT,
    UCUM,
    value_system,
)
from ._context import OBSERVATION_VALUE, PATIENT_ID_SYSTEM
from ._errors import InvalidFhir
from ._extension import fact_extension
from ._read import fhir_string

_VERIFICATION = {"hemifacial_spasm": "confirmed", "uncertain": "provisional"}


def patient_resource(patient: Patient, resource_id: str) -> dict[str, Any]:
    if not fhir_string(patient.id):
        raise InvalidFhir("the patient id has white space a FHIR string cannot hold (only space, tab, line breaks)")
    data: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id,
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": patient.id}],
    }
    if patient.birth_date is not None:
        data["birthDate"] = patient.birth_date.isoformat()
    if patient.sex is not None:
        data["gender"] = patient.sex.value
    if patient.asian_ancestry is not None:
        data["extension"] = [{"url": ASIAN_ANCESTRY_EXTENSION, "valueBoolean": patient.asian_ancestry}]
    return data


def event_resources(case: Case, subject: dict[str, Any]) -> list[dict[str, Any]]:
    """One resource (JSON data, not yet validated) per event of the case."""
    return [event_resource(event, index, subject) for index, event in enumerate(case.events)]


def event_resource(event: Event, index: int, subject: dict[str, Any]) -> dict[str, Any]:
    facts = event_to_dict(event)
    kind = facts.pop("type")
    date = facts.pop("date")
    note = facts.pop("note", None)
    defaults = EVENT_MODELS[kind].model_fields
    for name in list(facts):
        if kind == "presentation" and name in NULLABLE_FINDINGS:
            continue  # false is a finding (examined, absent); left out it would read as not documented (null)
        default = defaults[name].default
        if facts[name] == default or (isinstance(default, tuple) and facts[name] == list(default)):
            del facts[name]
    writer = _WRITERS.get(kind, _observation)
    data = writer(kind, date, facts, subject)
    data["id"] = f"event-{index}-{kind.replace('_', '-')}"
    if note:  # FHIR has no empty string: an empty note has no FHIR form and carries no fact
        if data["resourceType"] != "DiagnosticReport":
            data["note"] = [{"text": note}]  # Annotation.text is markdown: any text
        elif fhir_string(note):
            data["conclusion"] = note
        else:
            facts["note"] = note
    extension = fact_extension({**facts, SEQUENCE_FIELD: index})
    data["extension"] = [extension]
    return data


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"system": system, "code": code} | ({"display": display} if display else {})


def _condition(kind: str, date: str, facts: dict[str, Any], subject: dict[str, Any]) -> dict[str, Any]:
    side = facts.pop("side")
    impression = facts.get("clinical_impression")
    verification = _VERIFICATION.get(str(impression), "refuted")
    if impression in _VERIFICATION:
        facts.pop("clinical_impression")
    icd = SIDE_ICD10CM[Side(side)]
    codes = [
        _coding(ICD10CM, icd, HFS_ICD10CM_DISPLAY[icd]),
        _coding(ICD10, "G51.3", "Clonic hemifacial spasm"),
        _coding(SNOMED, "13753008", "Hemifacial spasm"),
    ]
    laterality, laterality_display = SNOMED_SIDE_DISPLAY[Side(side)]
    data: dict[str, Any] = {
        "resourceType": "Condition",
        "verificationStatus": {
            "coding": [_coding(CONDITION_VERIFICATION, checked("Condition", "verificationStatus", verification))]
        },
        "category": [
            {"coding": [_coding("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")]}
        ],
        "code": {"coding": codes, "text": "Hemifacial spasm"},
        "bodySite": [{"coding": [_coding(SNOMED, laterality, laterality_display)], "text": laterality_display}],
        "subject": subject,
        "recordedDate": date,
    }
    if verification != "refuted":
        data["clinicalStatus"] = {"coding": [_coding(CONDITION_CLINICAL, "active")]}
    onset = facts.pop("symptom_onset_date", None)
    if onset is not None:
        data["onsetDateTime"] = onset
    return data


_MRI_CODES = {
    False: [(CPT, "70551", CPT_DISPLAY["70551"]), (LOINC, "24590-2", "MR Brain")],
    True: [(CPT, "70553", CPT_DISPLAY["70553"]), (LOINC, "24587-8", "MR Brain WO and W contrast IV")],
}
_CT_CODES = {False: [(LOINC, "24725-4", "CT Head")], True: [(LOINC, "24727-0", "CT Head W contrast IV")]}


def _diagnostic_report(kind: str, date: str, facts: dict[str, Any], subject: dict[str, Any]) -> dict[str, Any]:
    modality = facts.pop("modality")
    contrast = bool(facts.pop("contrast", False))
    if modality == "mri":
        codes = [_coding(SNOMED, "816077007", "Magnetic resonance imaging of brain")]
        codes += [_coding(*code) for code in _MRI_CODES[contrast]]
    else:
        codes = [_coding(SNOMED, "34227000", "Computed tomography of brain")]
        codes += [_coding(*code) for code in _CT_CODES[contrast]]
    return {
        "resourceType": "DiagnosticReport",
        "status": checked("DiagnosticReport", "status", "final"),
        "category": [{"coding": [_coding("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology")]}],
        "code": {"coding": codes},
        "subject": subject,
        "effectiveDateTime": date,
        "conclusionCode": [{"coding": [_coding(value_system(kind, "finding"), facts.pop("finding"))]}],
    }


def _medication_statement(kind: str, date: str, facts: dict[str, Any], subject: dict[str, Any]) -> dict[str, Any]:
    drug = facts.pop("drug")
    codes = [_coding(value_system(kind, "drug"), drug)]
    if drug in DRUG_ATC:
        codes.insert(0, _coding(ATC, DRUG_ATC[drug], drug))
    dose = facts.pop("dose_mg_per_day")
    return {
        "resourceType": "MedicationStatement",
        "status": checked("MedicationStatement", "status", "active"),
        "medicationCodeableConcept": {"coding": codes, "text": drug},
        "subject": subject,
        "effectivePeriod": {"start": date},
        "dosage": [
            {"doseAndRate": [{"doseQuantity": {"value": dose, "unit": "mg/d", "system": UCUM, "code": "mg/d"}}]}
        ],
    }


def _medication_administration(kind: str, date: str, facts: dict[str, Any], subject: dict[str, Any]) -> dict[str, Any]:
    product = facts.pop("product")
    units = facts.pop("total_units")
    codes = [
        _coding(HCPCS, TOXIN_HCPCS[product], TOXIN_HCPCS_DISPLAY[TOXIN_HCPCS[product]]),
        _coding(ATC, TOXIN_ATC, "botulinum toxin"),
        _coding(value_system(kind, "product"), product),
    ]
    return {
        "resourceType": "MedicationAdministration",
        "status": checked("MedicationAdministration", "status", "completed"),
        "medicationCodeableConcept": {"coding": codes, "text": product},
        "subject": subject,
        "effectiveDateTime": date,
        "dosage": {
            "dose": {"value": units, "unit": TOXIN_UNIT_EXPORT[1], "system": UCUM, "code": TOXIN_UNIT_EXPORT[0]}
        },
    }


def _procedure(kind: str, date: str, facts: dict[str, Any], subject: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "status": checked("Procedure", "status", "completed"),
        "code": {"coding": [_coding(CPT, "61458", CPT_DISPLAY["61458"])], "text": "Microvascular decompression"},
        "subject": subject,
        "performedDateTime": date,
    }


def _observation(kind: str, date: str, facts: dict[str, Any], subject: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "status": checked("Observation", "status", "final"),
        "code": {"coding": [_coding(EVENT_TYPE_SYSTEM, kind.replace("_", "-"))], "text": kind.replace("_", " ")},
        "subject": subject,
        "effectiveDateTime": date,
    }
    components = _components(kind, facts)
    if components:
        data["component"] = components
    name = OBSERVATION_VALUE.get(kind)
    if name is None or name not in facts:
        return data
    value = facts.pop(name)
    if name == "peak_improvement_percent":
        data["valueQuantity"] = {"value": value, "unit": "%", "system": UCUM, "code": "%"}
    elif isinstance(value, bool):
        data["valueBoolean"] = value
    elif isinstance(value, int):
        data["valueInteger"] = value
    else:
        data["valueCodeableConcept"] = {"coding": [_coding(value_system(kind, name), value)]}
    return data


_QUANTITY_UNITS = {"_days": ("d", "days"), "_percent": ("%", "%")}


def _components(kind: str, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's fields other than the main value as Observation components (standard elements, which survive a
    system that drops unknown extensions); those a component cannot hold (a complication, text a FHIR string cannot
    hold) stay in the extension."""
    main = OBSERVATION_VALUE.get(kind)
    out: list[dict[str, Any]] = []
    for name in [n for n in facts if n not in (main, "source")]:
        values = facts[name] if isinstance(facts[name], list) else [facts[name]]
        written = [_component_value(kind, name, v) for v in values]
        if any(w is None for w in written):
            continue
        code = {"coding": [_coding(EVENT_FIELD_SYSTEM, name)], "text": name.replace("_", " ")}
        out.extend({"code": code, **w} for w in written if w is not None)
        del facts[name]
    return out


def _component_value(kind: str, name: str, value: Any) -> dict[str, Any] | None:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, (int, float)):
        unit = next((u for suffix, u in _QUANTITY_UNITS.items() if name.endswith(suffix)), None)
        if unit is not None:
            return {"valueQuantity": {"value": value, "unit": unit[1], "system": UCUM, "code": unit[0]}}
        return {"valueInteger": value} if isinstance(value, int) else {"valueQuantity": {"value": value}}
    if not isinstance(value, str):
        return None
    if name.endswith("_date") or name in ("booked_for",):
        return {"valueDateTime": value}
    if name in ("override_reason", "note"):
        return {"valueString": value} if fhir_string(value) else None
    return {"valueCodeableConcept": {"coding": [_coding(value_system(kind, name), value)]}}


_WRITERS = {
    "presentation": _condition,
    "imaging_result": _diagnostic_report,
    "medication_started": _medication_statement,
    "botox_injection": _medication_administration,
    "mvd_performed": _procedure,
}
