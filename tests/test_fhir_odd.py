"""Valid but odd FHIR: the import gives a typed answer and never a fact the record does not hold.

A base record (patient, diagnosis, MRI, treatment decision, toxin injection, oral drug) is rewritten in the
many shapes valid FHIR R4 allows: other resource types around it, optional elements left out, extensions and
primitive extensions (``_date``) everywhere, contained resources, references in every allowed form, dateTimes
with a time zone or partial precision, Periods instead of dateTimes, the known code second among several,
a medication named through a contained Medication, Bundle entries with only a request or response, and
statuses that say a fact did not happen. Whatever the shape, the import answers with a ``FhirImport`` or a
``PathwayError``; shapes that keep the meaning give the same case; no shape gives an event the base lacks.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfs_pathway import PathwayError
from hfs_pathway.fhir import FhirImport, NoHfsDiagnosis, import_bundle, import_resources

from .test_fhir_import import NS, PATIENT_RESOURCE, decision, hfs_condition, mri_report, toxin
from .test_fhir_messy import says_no_more

ATC = "http://www.whocc.no/atc"
PATIENT_URN = "urn:uuid:6f1a2c3e-0000-4000-8000-000000000001"
PATIENT_URL = "http://ehr.example.org/fhir/Patient/p1"


def carbamazepine(date: str = "2025-02-10") -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": "cbz",
        "status": "active",
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "N03AF01"}]},
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": {"start": date},
        "dosage": [{"doseAndRate": [{"doseQuantity": {"value": 400, "unit": "mg/d", "code": "mg/d"}}]}],
    }


def base_record(path: str = "toxin") -> list[dict[str, Any]]:
    """The patient's record up to a toxin injection, or (``oral``) up to starting carbamazepine."""
    treatment = toxin("2025-02-01") if path == "toxin" else carbamazepine()
    return [
        copy.deepcopy(PATIENT_RESOURCE),
        hfs_condition(),
        mri_report("2025-01-20"),
        decision("2025-02-01", "botulinum_toxin" if path == "toxin" else "oral_medication"),
        treatment,
    ]


def key(event: Any) -> str:
    return json.dumps(event.model_dump(mode="json"), sort_keys=True)


BASE_EVENTS = {path: [key(e) for e in import_resources(base_record(path)).case.events] for path in ("toxin", "oral")}
assert all(len(events) == 4 for events in BASE_EVENTS.values())


# --- rewrites that keep the meaning --------------------------------------------------------------------------

UNKNOWN_EXTENSION = {"url": "http://ehr.example.org/fhir/StructureDefinition/local-flag", "valueString": "x y"}
ABSENT = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}
OTHER_RESOURCES = [
    {"resourceType": "Encounter", "id": "enc1", "status": "finished", "class": {"code": "AMB"}},
    {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Okafor"}]},
    {"resourceType": "AllergyIntolerance", "id": "al1", "patient": {"reference": "Patient/p1"}},
    {"resourceType": "Organization", "id": "org1", "name": "Clinic"},
    {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]},
    {"resourceType": "Medication", "id": "lonely", "code": {"text": "aspirin"}},
    {"resourceType": "ImagingStudy", "id": "is1", "status": "available", "subject": {"reference": "Patient/p1"}},
    {
        "resourceType": "ServiceRequest",
        "id": "sr1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
    },
    {
        "resourceType": "Condition",
        "id": "htn",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]},
        "subject": {"reference": "Patient/p1"},
    },
    {
        "resourceType": "Observation",
        "id": "bp",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2025-01-20",
        "valueQuantity": {"value": 120, "unit": "mm[Hg]"},
    },
]


def add_extensions(resource: dict[str, Any]) -> None:
    """An unknown extension on the resource and on every object inside it; a primitive extension on each date."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, value in list(node.items()):
                if name in ("extension", "modifierExtension"):
                    continue
                if isinstance(value, str) and name.endswith(("Date", "DateTime", "On")):
                    node["_" + name] = {"extension": [UNKNOWN_EXTENSION]}
                walk(value)
            node.setdefault("extension", [])
            node["extension"] = [*node["extension"], UNKNOWN_EXTENSION]
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(resource)


def drop_optional(resource: dict[str, Any]) -> None:
    for name in ("text", "category", "meta", "identifier"):
        if resource["resourceType"] != "Patient":
            resource.pop(name, None)
    for concept in _concepts(resource):
        concept.pop("text", None)
        for coding in concept.get("coding", []):
            coding.pop("display", None)


def _concepts(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("coding"), list):
            found.append(node)
        for value in node.values():
            found.extend(_concepts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_concepts(item))
    return found


def known_code_second(resource: dict[str, Any]) -> None:
    for concept in _concepts(resource):
        concept["coding"] = [{"system": "http://ehr.example.org/local-codes", "code": "L-1"}, *concept["coding"]]


def with_time_zone(resource: dict[str, Any]) -> None:
    """A dateTime with a time and a zone; the date as written stays the same."""
    for name in ("effectiveDateTime", "recordedDate", "performedDateTime"):
        value = resource.get(name)
        if isinstance(value, str) and len(value) == 10:
            resource[name] = value + ("T23:45:10-05:00" if name != "recordedDate" else "T00:15:00+14:00")


def as_period(resource: dict[str, Any]) -> None:
    value = resource.pop("effectiveDateTime", None)
    if value is not None:
        resource["effectivePeriod"] = {"start": value, "end": value}


def contained_medication(resource: dict[str, Any]) -> None:
    if "medicationCodeableConcept" in resource:
        resource["contained"] = [
            {"resourceType": "Medication", "id": "m", "code": resource["medicationCodeableConcept"]}
        ]
        resource["medicationReference"] = {"reference": "#m"}
        del resource["medicationCodeableConcept"]


_PERFORMER = {
    "Condition": ("asserter", {"reference": "#pr"}),
    "Observation": ("performer", [{"reference": "#pr"}]),
    "DiagnosticReport": ("performer", [{"reference": "#pr"}]),
    "MedicationAdministration": ("performer", [{"actor": {"reference": "#pr"}}]),
    "MedicationStatement": ("informationSource", {"reference": "#pr"}),
}


def contained_other(resource: dict[str, Any]) -> None:
    """A contained Practitioner, referenced as the resource's performer (a contained resource must be referenced)."""
    if resource["resourceType"] in _PERFORMER:
        name, value = _PERFORMER[resource["resourceType"]]
        resource.setdefault("contained", []).append({"resourceType": "Practitioner", "id": "pr"})
        resource[name] = value


KEEPING = {
    "extensions": add_extensions,
    "drop_optional": drop_optional,
    "known_code_second": known_code_second,
    "time_zone": with_time_zone,
    "period": as_period,
    "contained_medication": contained_medication,
    "contained_other": contained_other,
}

# --- rewrites that may take a fact away, never add one --------------------------------------------------------

NOT_DONE = {
    "Observation": ["registered", "preliminary", "cancelled", "entered-in-error", "unknown"],
    "DiagnosticReport": ["registered", "partial", "preliminary", "cancelled", "entered-in-error", "unknown"],
    "MedicationAdministration": ["in-progress", "not-done", "on-hold", "stopped", "entered-in-error", "unknown"],
    "MedicationStatement": ["entered-in-error", "intended", "not-taken", "unknown"],
}


def partial_date(resource: dict[str, Any]) -> None:
    for name in ("effectiveDateTime", "recordedDate"):
        if isinstance(resource.get(name), str):
            resource[name] = resource[name][:7]
            resource["_" + name] = ABSENT


def no_date(resource: dict[str, Any]) -> None:
    for name in ("effectiveDateTime", "recordedDate", "effectivePeriod"):
        if name in resource:
            del resource[name]
            resource["_" + name] = ABSENT


def period_without_start(resource: dict[str, Any]) -> None:
    for name in ("effectiveDateTime",):
        if name in resource:
            resource["effectivePeriod"] = {"end": resource.pop(name)}


def identifier_subject(resource: dict[str, Any]) -> None:
    if "subject" in resource:
        resource["subject"] = {"identifier": {"system": "http://ehr.example.org/mrn", "value": "p1"}, "display": "P"}


def not_done(resource: dict[str, Any]) -> None:
    statuses = NOT_DONE.get(resource["resourceType"])
    if statuses:
        resource["status"] = statuses[len(resource.get("id", "")) % len(statuses)]
    elif resource["resourceType"] == "Condition":
        resource["verificationStatus"]["coding"][0]["code"] = "entered-in-error"


TAKING = {
    "partial_date": partial_date,
    "no_date": no_date,
    "period_without_start": period_without_start,
    "identifier_subject": identifier_subject,
    "not_done": not_done,
}


def subject_form(form: str) -> dict[str, Any]:
    return {
        "relative": {"reference": "Patient/p1"},
        "absolute": {"reference": PATIENT_URL},
        "urn": {"reference": PATIENT_URN},
        "versioned": {"reference": "Patient/p1/_history/2"},
        "with_type": {"reference": "Patient/p1", "type": "Patient", "display": "the patient"},
    }[form]


@st.composite
def odd_bundles(draw: st.DrawFn) -> tuple[dict[str, Any], str, bool]:
    """A Bundle of a base record rewritten; the base's path; whether only meaning-keeping rewrites were used."""
    path = draw(st.sampled_from(sorted(BASE_EVENTS)))
    record = base_record(path)
    form = draw(st.sampled_from(["relative", "absolute", "urn", "versioned", "with_type"]))
    keeping_only = True
    for resource in record:
        if resource["resourceType"] != "Patient":
            resource["subject"] = subject_form(form)
        for name in draw(st.lists(st.sampled_from(sorted(KEEPING)), max_size=3, unique=True)):
            KEEPING[name](resource)
        if resource["resourceType"] != "Patient" and draw(st.integers(0, 9)) == 0:
            TAKING[draw(st.sampled_from(sorted(TAKING)))](resource)
            keeping_only = False
    others = draw(st.lists(st.sampled_from(OTHER_RESOURCES), max_size=4))
    patient_url = {"urn": PATIENT_URN, "absolute": PATIENT_URL}.get(form)
    entries: list[dict[str, Any]] = []
    for resource in [*record, *copy.deepcopy(others)]:
        entry: dict[str, Any] = {"resource": resource}
        if resource["resourceType"] == "Patient" and patient_url is not None:
            entry["fullUrl"] = patient_url
        elif "id" in resource and draw(st.booleans()):
            entry["fullUrl"] = f"http://ehr.example.org/fhir/{resource['resourceType']}/{resource['id']}"
        kind = draw(st.sampled_from(["searchset", "collection", "transaction"]))
        if kind == "searchset":
            entry["search"] = {"mode": "match" if resource["resourceType"] == "Patient" else "include"}
        elif kind == "transaction":
            entry["request"] = {"method": "PUT", "url": f"{resource['resourceType']}/{resource.get('id', 'x')}"}
        entries.append(entry)
    order = draw(st.permutations(range(len(entries))))
    shuffled = [entries[i] for i in order]
    husks = draw(st.lists(st.sampled_from(["request", "response", "fullUrl"]), max_size=3))
    for husk in husks:
        shuffled.insert(
            draw(st.integers(0, len(shuffled))),
            {
                "request": {"request": {"method": "DELETE", "url": "Observation/old"}},
                "response": {"response": {"status": "201 Created", "location": "Observation/new/_history/1"}},
                "fullUrl": {"fullUrl": "urn:uuid:6f1a2c3e-0000-4000-8000-0000000000ff"},
            }[husk],
        )
    bundle_type = draw(st.sampled_from(["searchset", "collection", "transaction", "batch-response", "history"]))
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": bundle_type, "entry": shuffled}
    if draw(st.booleans()):
        bundle["meta"] = {"lastUpdated": "2025-03-01T10:00:00+01:00"}
        bundle["_type"] = {"extension": [UNKNOWN_EXTENSION]}
    return bundle, path, keeping_only


@settings(max_examples=80)
@given(odd_bundles())
def test_valid_odd_fhir_gives_a_typed_answer_and_never_an_event_the_record_does_not_hold(
    drawn: tuple[dict[str, Any], str, bool],
) -> None:
    bundle, path, keeping_only = drawn
    try:
        imported = import_bundle(bundle)
    except PathwayError:
        assert not keeping_only, "a record rewritten without changing its meaning must import"
        return
    assert isinstance(imported, FhirImport)
    events = [key(e) for e in imported.case.events]
    base = import_resources(base_record(path)).case.events
    for event in imported.case.events:
        assert any(says_no_more(event, fact) for fact in base), event
    if keeping_only:
        assert events == BASE_EVENTS[path]


@pytest.mark.parametrize("bundle_type", ["searchset", "collection", "transaction", "document", "message"])
def test_an_empty_bundle_and_one_of_entries_without_resources_hold_no_diagnosis(bundle_type: str) -> None:
    for entries in ([], [{"request": {"method": "GET", "url": "Patient/p1"}}, {"fullUrl": PATIENT_URN}]):
        with pytest.raises(NoHfsDiagnosis):
            import_bundle({"resourceType": "Bundle", "type": bundle_type, "entry": entries})
    with pytest.raises(NoHfsDiagnosis):
        import_bundle({"resourceType": "Bundle", "type": bundle_type})


def test_a_patient_known_by_the_project_identifier_is_still_the_one_its_resource_id_names() -> None:
    """A Patient whose project patient-id identifier differs from its resource id: references by resource id
    (relative, absolute or versioned) are to that patient."""
    patient = {**PATIENT_RESOURCE, "identifier": [{"system": NS + "patient-id", "value": "MRN 0042"}]}
    record = [patient, *base_record()[1:]]
    record[2]["subject"] = {"reference": "http://ehr.example.org/fhir/Patient/p1/_history/7"}
    imported = import_resources(record)
    assert imported.case.patient.id == "MRN 0042"
    assert [key(e) for e in imported.case.events] == BASE_EVENTS["toxin"]
    assert imported.skipped == ()


def medication_request(**change: Any) -> dict[str, Any]:
    request = carbamazepine()
    request.update(resourceType="MedicationRequest", id="cbz-rx", intent="order", authoredOn="2025-02-10")
    request["dosageInstruction"] = request.pop("dosage")
    del request["effectivePeriod"]
    request.update(change)
    return request


def _with(resource: dict[str, Any], **change: Any) -> dict[str, Any]:
    return {**resource, **change}


NOT_A_FACT = {
    "a proposal": medication_request(intent="proposal"),
    "a plan": medication_request(intent="plan"),
    "an option": medication_request(intent="option"),
    "an order not to give the drug": medication_request(doNotPerform=True),
    "an unknown modifier extension": _with(
        carbamazepine(), modifierExtension=[{"url": "http://ehr.example.org/fhir/not-taken", "valueBoolean": True}]
    ),
    "a draft order": medication_request(status="draft"),
    "a cancelled order": medication_request(status="cancelled"),
    "a statement of intent": _with(carbamazepine(), status="intended"),
    "a drug not taken": _with(carbamazepine(), status="not-taken"),
}


@pytest.mark.parametrize("name", sorted(NOT_A_FACT))
def test_a_medication_record_that_says_the_drug_was_not_started_is_skipped_with_its_reason(name: str) -> None:
    record = [*base_record("oral")[:-1], NOT_A_FACT[name]]
    imported = import_resources(record)
    assert [e.type for e in imported.case.events] == ["presentation", "imaging_result", "treatment_decision"]
    (skipped,) = imported.skipped
    assert skipped.id == NOT_A_FACT[name]["id"]
    assert "not accepted by the pathway" not in skipped.reason  # the importer's own reason, not the core's refusal


def test_an_order_to_start_the_drug_is_read_as_its_start() -> None:
    imported = import_resources([*base_record("oral")[:-1], medication_request()])
    assert imported.case.events[-1].type == "medication_started"
    assert imported.skipped == ()


@pytest.mark.parametrize(
    "dosage",
    [
        [
            {"doseAndRate": [{"doseQuantity": {"value": 200, "code": "mg/d"}}]},
            {"text": "and more when needed"},
        ],  # a second line without an amount
        [{"doseAndRate": [{"doseQuantity": {"value": 400, "code": "mg/d", "comparator": "<"}}]}],
    ],
    ids=["a dosage line without an amount", "dose with a comparator"],
)
def test_a_dose_that_is_not_one_exact_daily_amount_is_not_read_as_one(dosage: list[dict[str, Any]]) -> None:
    imported = import_resources([*base_record("oral")[:-1], _with(carbamazepine(), dosage=dosage)])
    assert [e.type for e in imported.case.events][-1] == "treatment_decision"
    assert "dose" in imported.skipped[0].reason


def test_several_dosage_lines_each_with_a_daily_amount_add_up_to_the_daily_dose() -> None:
    """200 mg in the morning and 400 mg at night (two lines, each with its own daily timing): 600 mg a day."""
    twice = [
        {"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}, "doseAndRate": [{"doseQuantity": q}]}
        for q in ({"value": 200, "code": "mg"}, {"value": 400, "code": "mg"})
    ]
    imported = import_resources([*base_record("oral")[:-1], _with(carbamazepine(), dosage=twice)])
    started = imported.case.events[-1]
    assert (started.type, started.dose_mg_per_day) == ("medication_started", 600)


@pytest.mark.parametrize(("amounts", "daily"), [((1.4375,), 1.4375), ((0.1, 0.2), 0.3), ((0.5, 0.25), 0.75)])
def test_a_daily_dose_keeps_its_decimals(amounts: tuple[float, ...], daily: float) -> None:
    """One dosage line is read exactly (a dose of 1.4375 mg was read as 1.438); several add up without the noise
    of binary decimals."""
    lines = [
        {"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}, "doseAndRate": [{"doseQuantity": q}]}
        for q in ({"value": amount, "code": "mg"} for amount in amounts)
    ]
    imported = import_resources([*base_record("oral")[:-1], _with(carbamazepine(), dosage=lines)])
    assert imported.case.events[-1].dose_mg_per_day == daily


def test_a_refuted_diagnosis_is_no_diagnosis() -> None:
    record = base_record()
    record[1]["verificationStatus"]["coding"][0]["code"] = "refuted"
    with pytest.raises(NoHfsDiagnosis):
        import_resources(record)


def test_the_pathway_event_extension_cannot_rename_the_event_or_redate_it() -> None:
    record = base_record()
    record[3]["extension"][0]["extension"] += [
        {"url": "type", "valueCode": "pathway_exit"},
        {"url": "reason", "valueCode": "declined_care"},
    ]
    with pytest.raises(PathwayError, match=r"resource 3 \(Observation/decision-2025-02-01\).*type"):
        import_resources(record)


def test_an_observation_dated_by_an_instant_keeps_its_date() -> None:
    record = base_record()
    record[3]["effectiveInstant"] = record[3].pop("effectiveDateTime") + "T10:00:00.000+01:00"
    assert [key(e) for e in import_resources(record).case.events] == BASE_EVENTS["toxin"]


def mvd_procedure(status: str) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": "mvd",
        "status": status,
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "61458"}]},
        "subject": {"reference": "Patient/p1"},
        "performedDateTime": "2025-03-01",
    }


STATUS_CASES = [
    *[(mri_report("2025-01-20") | {"status": s}, s) for s in NOT_DONE["DiagnosticReport"]],
    *[(decision("2025-02-01") | {"status": s}, s) for s in NOT_DONE["Observation"]],
    *[(toxin("2025-02-01", status=s), s) for s in NOT_DONE["MedicationAdministration"]],
    *[(carbamazepine() | {"status": s}, s) for s in NOT_DONE["MedicationStatement"]],
    *[(medication_request(status=s), s) for s in ("draft", "on-hold", "cancelled", "entered-in-error", "unknown")],
    *[(mvd_procedure(s), s) for s in ("preparation", "in-progress", "not-done", "on-hold", "stopped", "unknown")],
    *[(mvd_procedure("entered-in-error"), "entered-in-error")],
]


@pytest.mark.parametrize(
    ("resource", "status"), STATUS_CASES, ids=[f"{r['resourceType']}-{s}" for r, s in STATUS_CASES]
)
def test_a_status_that_says_the_fact_did_not_happen_skips_the_resource_with_that_reason(
    resource: dict[str, Any], status: str
) -> None:
    record = [copy.deepcopy(PATIENT_RESOURCE), hfs_condition(), resource]
    imported = import_resources(record)
    assert [e.type for e in imported.case.events] == ["presentation"]
    (skipped,) = imported.skipped
    assert (skipped.resource_type, skipped.id) == (resource["resourceType"], resource["id"])
    assert status in skipped.reason or (status == "entered-in-error" and "entered in error" in skipped.reason)
