"""One FHIR resource to one candidate event (a JSON-ready event dict), or the reason it is not one.

The mapping table is ``docs/fhir.md``. Standard elements are read first; the ``pathway-event``
extension supplies the facts no standard code carries. A value a field needs but the resource does not
hold is never filled in: the resource is skipped and says what is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from hfs_pathway._case import Patient
from hfs_pathway._errors import InvalidCase
from hfs_pathway._vocabulary import Drug, EventType, Severity, ToxinProduct

from ._codes import (
    ASIAN_ANCESTRY_EXTENSION,
    ATC,
    ATC_DRUG,
    CONDITION_VERIFICATION,
    CPT,
    CT_CODES,
    CT_CPT_CONTRAST,
    DONE_STATUS,
    EVENT_TYPE_SYSTEM,
    HCPCS,
    HCPCS_TOXIN,
    HFS_CODES,
    HFS_ICD10CM_SIDE,
    ICD10CM,
    MRI_CODES,
    MRI_CPT_CONTRAST,
    MVD_CODES,
    NAMESPACE,
    OMB_RACE_ASIAN,
    SEQUENCE_FIELD,
    SIDE_SNOMED,
    SNOMED,
    TOXIN_ATC,
    TOXIN_PROCEDURE_CODES,
    US_CORE_RACE,
    value_system,
)
from ._extension import as_lists, read_facts
from ._read import Where, annotation_text, codings, concept, date_of, first_date, is_object, obj, quantity, seq, string

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
_UNITS = frozenset({"[U]", "U", "u", "unit", "units", "[iU]", "IU"})
_MAX_NOTE = 4000
PATIENT_ID_SYSTEM = NAMESPACE + "patient-id"
_NO_SEQUENCE = 1 << 30


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
        self.findings: list[Any] = []
        self.patient_id: str | None = None
        self.patient_keys: set[str] = set()
        self.referenced: list[str] = []
        self.toxin_procedures: list[Candidate] = []

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

    def resolve_injections(self, candidates: list[Candidate], skipped: list[Any]) -> list[Candidate]:
        """A toxin Procedure without product or dose counts only when no medication record gives the injection
        of that day; otherwise it is the same injection seen twice."""
        from ._import import SkippedResource

        days = {c.event["date"] for c in candidates if c.event["type"] == "botox_injection"}
        for procedure in self.toxin_procedures:
            missing = procedure.event.get("missing")
            if procedure.event["date"] in days:
                reason = "the same injection as the medication record of that day (which gives product and dose)"
            else:
                reason = f"a botulinum toxin injection procedure without {missing}; no medication record of that day"
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


def map_resource(resource: Mapping[str, Any], where: Where, context: Context) -> Candidate | str | None:
    """The candidate event of one resource, or the reason it gives none (``None``: decided once all are read)."""
    kind = where.resource_type
    reader = _READERS.get(kind)
    if reader is None:
        return f"{kind} is not a resource type the pathway reads"
    status = string(resource, "status", where)
    if status == "entered-in-error":
        return "entered in error"
    other = context.belongs(resource, where)
    if other is not None:
        return other
    if kind in DONE_STATUS and status not in DONE_STATUS[kind]:
        return f"status {status!r}: not a fact that happened (read: {', '.join(sorted(DONE_STATUS[kind]))})"
    modifiers = seq(resource, "modifierExtension", where)
    if modifiers:
        urls = sorted({str(m.get("url")) for m in modifiers if is_object(m)})
        return f"a modifier extension the importer does not know ({', '.join(urls)}) may change what the record means"
    facts = read_facts(resource, where)
    sequence = facts.pop(SEQUENCE_FIELD, _NO_SEQUENCE)
    if isinstance(sequence, bool) or not isinstance(sequence, int):
        raise where.error("extension", f"the {SEQUENCE_FIELD} of a pathway-event must be an integer")
    outcome = reader(resource, where, context, facts)
    if isinstance(outcome, str):
        return outcome
    event = as_lists(outcome)
    note = annotation_text(resource, where) if kind != "DiagnosticReport" else _text(resource, "conclusion", where)
    if note and "note" not in event:
        event["note"] = note[:_MAX_NOTE]
    candidate = Candidate(event, where, sequence, RANK.get(event["type"], 99), where.position)
    if event.get("missing"):
        context.toxin_procedures.append(candidate)
        return None
    return candidate


def _text(resource: Mapping[str, Any], key: str, where: Where) -> str | None:
    value = resource.get(key)
    if value is not None and not isinstance(value, str):
        raise where.error(key, "must be a string")
    return value


def _dated(event: dict[str, Any], day: dt.date | str) -> dict[str, Any] | str:
    if isinstance(day, str):
        return day
    event["date"] = day.isoformat()
    return event


def _condition(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    verification = concept(resource, "verificationStatus", where)
    if any(code == "entered-in-error" for system, code in verification if system == CONDITION_VERIFICATION):
        return "entered in error"
    codes = concept(resource, "code", where)
    hfs = [(s, c) for s, c in codes if (s, c) in HFS_CODES]
    if not hfs:
        return "the Condition is not hemifacial spasm (the pathway reads no other diagnosis)"
    event: dict[str, Any] = {"type": "presentation", **facts}
    refuted = any(code == "refuted" for system, code in verification if system == CONDITION_VERIFICATION)
    if refuted and "clinical_impression" not in event:
        return "the diagnosis is refuted, and no other clinical impression is recorded"
    context.has_hfs_diagnosis = True
    side = next((HFS_ICD10CM_SIDE[c] for s, c in hfs if s == ICD10CM and HFS_ICD10CM_SIDE[c] is not None), None)
    if side is None:
        for i, site in enumerate(seq(resource, "bodySite", where)):
            for system, code in codings(site, where, f"bodySite[{i}]"):
                if system == SNOMED and code in SIDE_SNOMED:
                    side = SIDE_SNOMED[code]
    if side is not None:
        event["side"] = side.value
    if "clinical_impression" not in event:
        status = next((c for s, c in verification if s == CONDITION_VERIFICATION), None)
        event["clinical_impression"] = (
            "uncertain" if status in ("unconfirmed", "provisional", "differential") else "hemifacial_spasm"
        )
    onset = resource.get("onsetDateTime")
    if onset is not None and "symptom_onset_date" not in event:
        day = date_of(onset, where, "onsetDateTime")
        if isinstance(day, dt.date):
            event["symptom_onset_date"] = day.isoformat()
    missing = [name for name in ("side", "onset_region") if name not in event]
    dated = _dated(event, first_date(resource, ("recordedDate",), where))
    if isinstance(dated, str):
        return f"{dated}: the date of the presentation is unknown"
    if missing:
        from ._import import ImportFinding

        context.findings.append(
            ImportFinding(
                "presentation_incomplete",
                Severity.WARNING,
                f"The hemifacial spasm diagnosis recorded {event['date']} does not say {' or '.join(missing)}; "
                "the presentation cannot be placed on the pathway until these are recorded.",
                where.resource_type,
                where.resource_id,
                dt.date.fromisoformat(event["date"]),
            )
        )
        return f"the diagnosis does not give {', '.join(missing)} (the presentation needs them; nothing is assumed)"
    return dated


def _diagnostic_report(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    codes = set(concept(resource, "code", where))
    event: dict[str, Any] = {"type": "imaging_result", **facts}
    if codes & MRI_CODES:
        event.setdefault("modality", "mri")
        contrast = [MRI_CPT_CONTRAST[c] for s, c in codes if s == CPT and c in MRI_CPT_CONTRAST]
    elif codes & CT_CODES:
        event.setdefault("modality", "ct")
        contrast = [CT_CPT_CONTRAST[c] for s, c in codes if s == CPT and c in CT_CPT_CONTRAST]
    else:
        return "the report is not brain MRI or head CT (by its code)"
    if contrast and "contrast" not in event:
        event["contrast"] = contrast[0]
    system = value_system("imaging_result", "finding")
    finding = [c for s, c in _concepts(resource, "conclusionCode", where) if s == system]
    if finding:
        event["finding"] = finding[0]
    if "finding" not in event:
        return (
            "no coded finding (conclusionCode from the pathway's imaging-result-finding codes); free text is not read"
        )
    return _dated(event, first_date(resource, ("effectiveDateTime", "effectivePeriod"), where))


def _concepts(resource: Mapping[str, Any], key: str, where: Where) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for i, item in enumerate(seq(resource, key, where)):
        if not is_object(item):
            raise where.error(f"{key}[{i}]", "must be a CodeableConcept object")
        found.extend(codings(item, where, f"{key}[{i}]"))
    return found


def _imaging_study(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    return "an ImagingStudy says images exist, not what they show; the finding is read from the DiagnosticReport"


def _procedure(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    codes = set(concept(resource, "code", where))
    day = first_date(resource, ("performedDateTime", "performedPeriod"), where)
    if codes & MVD_CODES:
        return _dated({"type": "mvd_performed", **facts}, day)
    if codes & TOXIN_PROCEDURE_CODES:
        event: dict[str, Any] = {"type": "botox_injection", **facts}
        used = _concepts(resource, "usedCode", where)
        product = _toxin_product(used)
        if product is not None:
            event.setdefault("product", product.value)
        missing = [name for name in ("product", "total_units") if name not in event]
        dated = _dated(event, day)
        if isinstance(dated, str) or not missing:
            return dated
        dated["missing"] = " or ".join("dose in units" if m == "total_units" else m for m in missing)
        return dated
    if codes & (MRI_CODES | CT_CODES):
        return "the procedure says the scan was done; its finding is read from the DiagnosticReport"
    return "the procedure is not one the pathway reads (by its code)"


def _toxin_product(codes: list[tuple[str, str]]) -> ToxinProduct | None:
    product_system = value_system("botox_injection", "product")
    for system, code in codes:
        if system == HCPCS and code in HCPCS_TOXIN:
            return HCPCS_TOXIN[code]
        if system == product_system and code in ToxinProduct.__members__.values():
            return ToxinProduct(code)
    return None


def _medication(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    kind = where.resource_type
    if kind == "MedicationRequest":
        intent = string(resource, "intent", where)
        if intent not in ORDER_INTENTS:
            return f"intent {intent!r}: a {intent or 'request'} is not an order to give the drug"
        if resource.get("doNotPerform") is True:
            return "an order not to give the drug (doNotPerform)"
    codes = context.medication_codes(resource, where)
    if isinstance(codes, str):
        return codes
    product = _toxin_product(codes)
    toxin = product is not None or (ATC, TOXIN_ATC) in codes or "product" in facts
    if toxin:
        if kind == "MedicationRequest":
            return "an order for botulinum toxin, not an injection given"
        if product is None and "product" not in facts:
            return "the botulinum toxin product is not identified (ATC M03AX01 does not say which product)"
        event: dict[str, Any] = {"type": "botox_injection", **facts}
        if product is not None:
            event.setdefault("product", product.value)
        if "total_units" not in event:
            dose = _dose(resource, where, units=True)
            if isinstance(dose, str):
                return dose
            event["total_units"] = dose
        return _dated(event, first_date(resource, ("effectiveDateTime", "effectivePeriod"), where))
    drug_system = value_system("medication_started", "drug")
    drug = next((ATC_DRUG[c] for s, c in codes if s == ATC and c in ATC_DRUG), None)
    if drug is None:
        drug = next((Drug(c) for s, c in codes if s == drug_system and c in Drug.__members__.values()), None)
    if drug is None:
        return "the medication is not one of the pathway's drugs (by its ATC code)"
    if kind == "MedicationAdministration":
        return "a single dose given; a MedicationStatement or MedicationRequest says that a drug was started"
    event = {"type": "medication_started", **facts, "drug": drug.value}
    if "dose_mg_per_day" not in event:
        dose = _dose(resource, where, units=False)
        if isinstance(dose, str):
            return dose
        event["dose_mg_per_day"] = dose
    keys: tuple[str, ...] = ("authoredOn",) if kind == "MedicationRequest" else ("effectivePeriod", "effectiveDateTime")
    return _dated(event, first_date(resource, keys, where))


def _dose(resource: Mapping[str, Any], where: Where, *, units: bool) -> float | int | str:
    """Toxin: total units given. Oral drug: milligrams per day (``mg/d``, or ``mg`` with a daily timing)."""
    if where.resource_type == "MedicationAdministration":
        dosage = obj(resource, "dosage", where)
        amount = quantity(dosage.get("dose") if dosage else None, where, "dosage.dose")
        timing = None
    else:
        key = "dosageInstruction" if where.resource_type == "MedicationRequest" else "dosage"
        dosages = seq(resource, key, where)
        if not dosages:
            return f"no dose ({key})"
        if len(dosages) > 1:
            return f"{len(dosages)} dosage lines ({key}); the daily dose is not read from several"
        first = dosages[0]
        if not is_object(first):
            raise where.error(f"{key}[0]", "must be a Dosage object")
        rates = seq(first, "doseAndRate", where, f"{key}[0].")
        rate = rates[0] if rates else None
        if rate is not None and not is_object(rate):
            raise where.error(f"{key}[0].doseAndRate[0]", "must be an object")
        amount = quantity(rate.get("doseQuantity") if rate else None, where, f"{key}[0].doseAndRate[0].doseQuantity")
        timing = obj(first, "timing", where, f"{key}[0].")
    if amount is None:
        return "no dose given"
    value, unit = amount
    if value <= 0:
        return "the dose is not a positive amount"
    if units:
        return value if unit in _UNITS else f"the dose unit {unit!r} is not units of toxin"
    if unit == "mg/d":
        return value
    if unit == "mg" and timing is not None:
        repeat = obj(timing, "repeat", where, "dosage.timing.")
        if repeat is not None:
            frequency = repeat.get("frequency", 1)
            period = repeat.get("period")
            per = {"d": 1.0, "h": 24.0, "wk": 1 / 7}.get(str(repeat.get("periodUnit")))
            if isinstance(frequency, int) and isinstance(period, (int, float)) and period > 0 and per is not None:
                daily = value * frequency * per / period
                return int(daily) if float(daily).is_integer() else round(daily, 3)
    return f"the daily dose cannot be read (unit {unit!r} without a daily timing)"


def _observation(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    kinds = [c for s, c in concept(resource, "code", where) if s == EVENT_TYPE_SYSTEM]
    if not kinds:
        return "the observation is not one the pathway reads (by its code)"
    kind = kinds[0].replace("-", "_")
    if kind not in OBSERVATION_EVENTS:
        return f"{kinds[0]!r} is not an event the pathway records as an Observation"
    event: dict[str, Any] = {"type": kind, **facts}
    name = OBSERVATION_VALUE[kind]
    if name not in event:
        value = _observation_value(resource, where, kind, name)
        if value is not None:
            event[name] = value
    return _dated(event, first_date(resource, ("effectiveDateTime", "effectivePeriod", "effectiveInstant"), where))


def _observation_value(resource: Mapping[str, Any], where: Where, kind: str, name: str) -> Any:
    if "valueCodeableConcept" in resource:
        system = value_system(kind, name)
        found = [c for s, c in concept(resource, "valueCodeableConcept", where) if s == system]
        return found[0] if found else None
    if "valueBoolean" in resource:
        if not isinstance(resource["valueBoolean"], bool):
            raise where.error("valueBoolean", "must be true or false")
        return resource["valueBoolean"]
    if "valueInteger" in resource:
        value = resource["valueInteger"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.error("valueInteger", "must be an integer")
        return value
    if "valueQuantity" in resource:
        amount = quantity(obj(resource, "valueQuantity", where), where, "valueQuantity")
        if amount is not None and amount[1] == "%":
            return amount[0]
    return None


def _order(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    return "an order or referral is not a clinical fact the pathway records (its result is)"


def _output(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    return f"a {where.resource_type} is a conclusion (for example this library's output), not a clinical fact"


_READERS = {
    "ServiceRequest": _order,
    "CarePlan": _output,
    "DetectedIssue": _output,
    "RiskAssessment": _output,
    "GuidanceResponse": _output,
    "Provenance": _output,
    "Condition": _condition,
    "DiagnosticReport": _diagnostic_report,
    "ImagingStudy": _imaging_study,
    "Procedure": _procedure,
    "MedicationAdministration": _medication,
    "MedicationStatement": _medication,
    "MedicationRequest": _medication,
    "Observation": _observation,
}
