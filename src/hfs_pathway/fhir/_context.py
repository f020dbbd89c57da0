"""The state one import shares between the readers of its resources: the patient, the Medications, the facts
gathered for later (red-flag findings, the sides the diagnosis names), and the small helpers every reader uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from hfs_pathway._case import Patient
from hfs_pathway._errors import InvalidCase
from hfs_pathway._vocabulary import EventType, Side

from ._codes import ASIAN_ANCESTRY_EXTENSION, NAMESPACE, OMB_RACE_ASIAN, US_CORE_RACE
from ._findings import ImportFinding, SkippedResource
from ._read import Where, concept, date_of, is_object, obj, seq, string

# Same-day order: the order in which a clinic records these on one visit.
RANK: dict[str, int] = {
    kind: i
    for i, kind in enumerate(
        (
            EventType.PRESENTATION,
            EventType.IMAGING_RESULT,
            EventType.SECONDARY_CAUSE_OUTCOME,
            EventType.RED_FLAG,
            EventType.POST_MVD_REVIEW,
            EventType.REVIEW_VISIT,
            EventType.MEDICATION_REVIEW,
            EventType.BOTOX_RESPONSE,
            EventType.BOTOX_PLAN_ADJUSTED,
            EventType.TREATMENT_DECISION,
            EventType.SURGICAL_RISK_ASSESSMENT,
            EventType.RISK_BENEFIT_DECISION,
            EventType.REFERRAL_CLOSED,
            EventType.MVD_PERFORMED,
            EventType.MEDICATION_STARTED,
            EventType.BOTOX_INJECTION,
            EventType.PATHWAY_EXIT,
        )
    )
}

OBSERVATION_VALUE: dict[str, str] = {
    "secondary_cause_outcome": "outcome",
    "treatment_decision": "option",
    "medication_review": "response",
    "botox_plan_adjusted": "adjustment",
    "risk_benefit_decision": "decision",
    "referral_closed": "reason",
    "post_mvd_review": "spasm",
    "red_flag": "finding",
    "pathway_exit": "reason",
    "review_visit": "wants_treatment",
    "surgical_risk_assessment": "asa_class",
    "botox_response": "peak_improvement_percent",
}
"""For events recorded as an Observation: the field held in ``Observation.value[x]``."""

OBSERVATION_EVENTS = frozenset(OBSERVATION_VALUE)
ORDER_INTENTS = frozenset({"order", "original-order", "reflex-order", "filler-order", "instance-order"})
"""The MedicationRequest intents that say the drug was ordered for the patient (not proposed, planned or an option)."""
MAX_NOTE = 4000
PATIENT_ID_SYSTEM = NAMESPACE + "patient-id"
NO_SEQUENCE = 1 << 30


class Candidate(NamedTuple):
    """A resource read as an event, not yet offered to the pathway."""

    event: dict[str, Any]
    where: Where
    sequence: int
    rank: int
    position: int


class Context:
    """What the whole set of resources tells the mapping of one resource: the patient, the Medications."""

    def __init__(self, container: str, full_urls: Mapping[str, int]) -> None:
        self.container = container
        self.full_urls = full_urls
        self.medications: dict[str, list[tuple[str, str]]] = {}
        self.has_hfs_diagnosis = False
        self.findings: list[ImportFinding] = []
        self.patient_id: str | None = None
        self.patient_keys: set[str] = set()
        self.referenced: list[str] = []
        self.toxin_procedures: list[Candidate] = []
        self.birth_date: dt.date | None = None
        self.red_flags: list[RedFlagFact] = []
        """Red-flag findings recorded as their own resources, placed once the presentation's date is known."""
        self.sides: list[tuple[Side, Where]] = []
        """The sides the records of the diagnosis name (ICD-10-CM code or laterality body site)."""
        self.merged: dict[str, str] = {}
        """Patient resource ids merged into the patient of the record (Patient.link), to the survivor's id."""

    def add_medication(self, resource: Mapping[str, Any], where: Where) -> None:
        coded = concept(resource, "code", where)
        if where.resource_id is not None:
            self.medications[f"Medication/{where.resource_id}"] = coded
        for url, position in self.full_urls.items():
            if position == where.position:
                self.medications[url] = coded

    def set_patient(self, patient_id: str | None, where: Where | None) -> None:
        self.patient_id = patient_id
        if patient_id is not None:
            self.patient_keys.add(f"Patient/{patient_id}")
        if where is not None:
            # The resource id names the patient too when the project's patient-id identifier gives another id.
            if where.resource_id is not None:
                self.patient_keys.add(f"Patient/{where.resource_id}")
            self.patient_keys.update(url for url, p in self.full_urls.items() if p == where.position)

    def belongs(self, resource: Mapping[str, Any], where: Where) -> str | None:
        """``None`` when the resource is about this patient, else why not."""
        for key in ("subject", "patient"):
            ref = obj(resource, key, where)
            if ref is None:
                continue
            reference = string(ref, "reference", where, key + ".")
            if reference is None:
                return None
            reference = unversioned(reference)
            if not self.patient_keys:
                self.referenced.append(reference)
                return None
            if reference in self.patient_keys or any(reference.endswith("/" + k) for k in self.patient_keys):
                return None
            return f"{key} refers to another patient ({reference})"
        return None

    def patient_from_references(self) -> Patient | None:
        for reference in self.referenced:
            if "Patient/" in reference:
                pid = reference.rsplit("Patient/", 1)[1].split("/")[0]
                if pid:
                    return Patient(id=pid)
        return None

    def medication_codes(self, resource: Mapping[str, Any], where: Where) -> list[tuple[str, str]] | str:
        coded = concept(resource, "medicationCodeableConcept", where)
        if coded:
            return coded
        ref = obj(resource, "medicationReference", where)
        if ref is None:
            return "no medication code"
        reference = string(ref, "reference", where, "medicationReference.") or ""
        if reference.startswith("#"):
            for i, contained in enumerate(seq(resource, "contained", where)):
                if is_object(contained) and contained.get("id") == reference[1:]:
                    return concept(contained, "code", Where(i, "Medication", reference[1:], where.label + " contained"))
        reference = unversioned(reference)
        found = self.medications.get(reference)
        if found is None and "Medication/" in reference:  # an absolute URL to a Medication read by its id
            found = self.medications.get("Medication/" + reference.rsplit("Medication/", 1)[1])
        if found is None:
            return f"medicationReference {reference!r} names a Medication that is not among the resources"
        return found

    def resolve_injections(self, candidates: list[Candidate], skipped: list[SkippedResource]) -> list[Candidate]:
        """A toxin Procedure without product or dose counts only when no medication record gives the injection
        of that day; otherwise it is the same injection seen twice."""
        from ._findings import finding

        days = {c.event["date"] for c in candidates if c.event["type"] == "botox_injection"}
        for procedure in self.toxin_procedures:
            missing = procedure.event.get("missing")
            if procedure.event["date"] in days:
                reason = "the same injection as the medication record of that day (which gives product and dose)"
            else:
                reason = f"a botulinum toxin injection procedure without {missing}; no medication record of that day"
                self.findings.append(
                    finding(
                        "injection_without_product",
                        f"A botulinum toxin injection on {procedure.event['date']} is on record without {missing}; "
                        "it is left out until they are recorded (the pathway counts cycles by product and dose).",
                        procedure.where,
                        dt.date.fromisoformat(procedure.event["date"]),
                    )
                )
            skipped.append(SkippedResource(procedure.where.resource_type, procedure.where.resource_id, reason))
        return candidates


def unversioned(reference: str) -> str:
    """A reference without its version part: ``Patient/p1/_history/2`` is ``Patient/p1``."""
    head, marker, _ = reference.partition("/_history/")
    return head if marker else reference


def read_patient(resource: Mapping[str, Any], where: Where, url_id: str | None = None) -> Patient:
    """The patient: id (the project's patient-id identifier, else the resource id, else its fullUrl's last part),
    birth date, administrative gender as sex, and Asian ancestry (project extension or US Core race)."""
    data: dict[str, Any] = {"id": where.resource_id or url_id}
    if data["id"] is None:
        raise where.error("id", "a Patient needs an id (or a fullUrl)")
    birth = resource.get("birthDate")
    if birth is not None:
        day = date_of(birth, where, "birthDate")
        if isinstance(day, dt.date):
            data["birth_date"] = day.isoformat()
    gender = string(resource, "gender", where)
    if gender is not None:
        if gender not in ("male", "female", "other", "unknown"):
            raise where.error("gender", f"{gender!r} is not an administrative gender code")
        data["sex"] = gender
    for i, identifier in enumerate(seq(resource, "identifier", where)):
        if is_object(identifier) and identifier.get("system") == PATIENT_ID_SYSTEM:
            value = identifier.get("value")
            if not isinstance(value, str) or not value:
                raise where.error(f"identifier[{i}].value", "must be a non-empty string")
            data["id"] = value
    for i, extension in enumerate(seq(resource, "extension", where)):
        if not is_object(extension):
            raise where.error(f"extension[{i}]", "must be an Extension object")
        if extension.get("url") == ASIAN_ANCESTRY_EXTENSION:
            value = extension.get("valueBoolean")
            if not isinstance(value, bool):
                raise where.error(f"extension[{i}].valueBoolean", "must be true or false")
            data["asian_ancestry"] = value
        elif extension.get("url") == US_CORE_RACE and "asian_ancestry" not in data:
            for part in seq(extension, "extension", where, f"extension[{i}]."):
                if is_object(part) and part.get("url") == "ombCategory":
                    coding = part.get("valueCoding")
                    if is_object(coding) and (coding.get("system"), coding.get("code")) == OMB_RACE_ASIAN:
                        data["asian_ancestry"] = True
    try:
        return Patient.model_validate(data)
    except ValueError as exc:
        raise InvalidCase(f"{where.label}: the patient cannot be read: {exc}") from None


class RedFlagFact(NamedTuple):
    """A red-flag finding recorded as its own Condition or Observation: present (``True``) or ruled out."""

    field: str
    present: bool
    date: dt.date
    where: Where


def text_of(resource: Mapping[str, Any], key: str, where: Where) -> str | None:
    value = resource.get(key)
    if value is not None and not isinstance(value, str):
        raise where.error(key, "must be a string")
    return value


def dated(event: dict[str, Any], day: dt.date | str) -> dict[str, Any] | str:
    """``event`` with its date, or the reason there is none."""
    if isinstance(day, str):
        return day
    event["date"] = day.isoformat()
    return event


def concepts(resource: Mapping[str, Any], key: str, where: Where) -> list[tuple[str, str]]:
    """The (system, code) pairs of a list of CodeableConcepts."""
    from ._read import codings

    found: list[tuple[str, str]] = []
    for i, item in enumerate(seq(resource, key, where)):
        if not is_object(item):
            raise where.error(f"{key}[{i}]", "must be a CodeableConcept object")
        found.extend(codings(item, where, f"{key}[{i}]"))
    return found
