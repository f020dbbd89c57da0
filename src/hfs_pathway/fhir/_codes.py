"""Code systems, codes and URLs of the FHIR mapping: one table, read by import, export and the docs.

Standard codes first (ICD-10-CM, ICD-10, SNOMED CT, CPT, HCPCS, ATC, UCUM); facts no standard code
carries use the project's own namespace (``NAMESPACE``), documented on ``docs/fhir.md``.
"""

from __future__ import annotations

from typing import Final

from hfs_pathway._vocabulary import Drug, Side, ToxinProduct

NAMESPACE: Final = "https://hfs-pathway.github.io/hfs-pathway/fhir/"
EVENT_EXTENSION: Final = NAMESPACE + "StructureDefinition/pathway-event"
"""Complex extension carrying an event's facts that no standard element holds; sub-extension url = field name."""
ASIAN_ANCESTRY_EXTENSION: Final = NAMESPACE + "StructureDefinition/asian-ancestry"
EVENT_TYPE_SYSTEM: Final = NAMESPACE + "CodeSystem/event-type"
STAGE_SYSTEM: Final = NAMESPACE + "CodeSystem/stage"
ALERT_SYSTEM: Final = NAMESPACE + "CodeSystem/alert"
FINDING_SYSTEM: Final = NAMESPACE + "CodeSystem/import-finding"
RECOMMENDATION_SYSTEM: Final = NAMESPACE + "CodeSystem/recommendation"
OUTCOME_SYSTEM: Final = NAMESPACE + "CodeSystem/risk-outcome"
SEQUENCE_FIELD: Final = "sequence"
"""Sub-extension holding an event's position in its case, to keep the order of events of the same day."""


def value_system(event_type: str, field: str) -> str:
    """The project code system of one coded field, e.g. ``.../CodeSystem/imaging-result-finding``."""
    return f"{NAMESPACE}CodeSystem/{event_type.replace('_', '-')}-{field.replace('_', '-')}"


ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10: Final = "http://hl7.org/fhir/sid/icd-10"
SNOMED: Final = "http://snomed.info/sct"
CPT: Final = "http://www.ama-assn.org/go/cpt"
HCPCS: Final = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
ATC: Final = "http://www.whocc.no/atc"
UCUM: Final = "http://unitsofmeasure.org"
CONDITION_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
US_CORE_RACE: Final = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
OMB_RACE_ASIAN: Final = ("urn:oid:2.16.840.1.113883.6.238", "2028-9")

# Hemifacial spasm. ICD-10-CM carries the side; ICD-10 (WHO) G51.3 and SNOMED CT do not.
HFS_ICD10CM_SIDE: Final[dict[str, Side | None]] = {
    "G51.31": Side.RIGHT,
    "G51.32": Side.LEFT,
    "G51.33": Side.BILATERAL,
    "G51.39": None,
    "G51.3": None,  # the ICD-10-CM parent, sometimes sent although not billable
}
HFS_CODES: Final[frozenset[tuple[str, str]]] = frozenset(
    {(ICD10CM, code) for code in HFS_ICD10CM_SIDE} | {(ICD10, "G51.3"), (SNOMED, "13753008")}
)
SIDE_ICD10CM: Final[dict[Side, str]] = {side: code for code, side in HFS_ICD10CM_SIDE.items() if side is not None}
# Laterality qualifiers of Condition.bodySite (SNOMED CT).
SIDE_SNOMED: Final[dict[str, Side]] = {"7771000": Side.LEFT, "24028007": Side.RIGHT, "51440002": Side.BILATERAL}

# Botulinum toxin injection (the procedure) and products.
TOXIN_PROCEDURE_CODES: Final = frozenset({(CPT, "64612"), (SNOMED, "442695005")})
TOXIN_HCPCS: Final[dict[ToxinProduct, str]] = {
    ToxinProduct.ONABOTULINUMTOXINA: "J0585",
    ToxinProduct.ABOBOTULINUMTOXINA: "J0586",
    ToxinProduct.RIMABOTULINUMTOXINB: "J0587",
    ToxinProduct.INCOBOTULINUMTOXINA: "J0588",
}
HCPCS_TOXIN: Final[dict[str, ToxinProduct]] = {code: product for product, code in TOXIN_HCPCS.items()}
TOXIN_ATC: Final = "M03AX01"

DRUG_ATC: Final[dict[Drug, str]] = {
    Drug.CARBAMAZEPINE: "N03AF01",
    Drug.OXCARBAZEPINE: "N03AF02",
    Drug.CLONAZEPAM: "N03AE01",
    Drug.GABAPENTIN: "N03AX12",
    Drug.BACLOFEN: "M03BX01",
    Drug.LEVETIRACETAM: "N03AX14",
    Drug.PHENYTOIN: "N03AB02",
}
ATC_DRUG: Final[dict[str, Drug]] = {code: drug for drug, code in DRUG_ATC.items()}

MVD_CODES: Final = frozenset({(CPT, "61458")})

# Brain imaging. CPT 70551 without contrast, 70552 with, 70553 without then with.
MRI_CPT_CONTRAST: Final[dict[str, bool]] = {"70551": False, "70552": True, "70553": True}
MRI_CODES: Final = frozenset({(SNOMED, "816077007")} | {(CPT, c) for c in MRI_CPT_CONTRAST})
CT_CPT_CONTRAST: Final[dict[str, bool]] = {"70450": False, "70460": True, "70470": True}
CT_CODES: Final = frozenset({(CPT, c) for c in CT_CPT_CONTRAST})

# The resource statuses that say a fact happened (anything else: not, not yet, or in error).
DONE_STATUS: Final[dict[str, frozenset[str]]] = {
    "Observation": frozenset({"final", "amended", "corrected"}),
    "DiagnosticReport": frozenset({"final", "amended", "corrected", "appended"}),
    "Procedure": frozenset({"completed"}),
    "MedicationAdministration": frozenset({"completed"}),
    "MedicationStatement": frozenset({"active", "completed"}),
    "MedicationRequest": frozenset({"active", "completed"}),
}

# Required bindings that fhir.resources does not check; the export checks its resources against them.
VALUE_SETS: Final[dict[tuple[str, str], frozenset[str]]] = {
    ("CarePlan", "status"): frozenset(
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    ),
    ("CarePlan", "intent"): frozenset({"proposal", "plan", "order", "option"}),
    ("CarePlan.activity.detail", "status"): frozenset(
        {
            "not-started",
            "scheduled",
            "in-progress",
            "on-hold",
            "completed",
            "cancelled",
            "stopped",
            "unknown",
            "entered-in-error",
        }
    ),
    ("ServiceRequest", "status"): frozenset(
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    ),
    ("ServiceRequest", "intent"): frozenset(
        {
            "proposal",
            "plan",
            "directive",
            "order",
            "original-order",
            "reflex-order",
            "filler-order",
            "instance-order",
            "option",
        }
    ),
    ("ServiceRequest", "priority"): frozenset({"routine", "urgent", "asap", "stat"}),
    ("DetectedIssue", "status"): frozenset(
        {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"}
    ),
    ("DetectedIssue", "severity"): frozenset({"high", "moderate", "low"}),
    ("RiskAssessment", "status"): frozenset(
        {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"}
    ),
    ("GuidanceResponse", "status"): frozenset(
        {"success", "data-requested", "data-required", "in-progress", "failure", "entered-in-error"}
    ),
    ("PlanDefinition", "status"): frozenset({"draft", "active", "retired", "unknown"}),
    ("Observation", "status"): frozenset(
        {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"}
    ),
    ("DiagnosticReport", "status"): frozenset(
        {
            "registered",
            "partial",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "appended",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    ("Procedure", "status"): frozenset(
        {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error", "unknown"}
    ),
    ("MedicationAdministration", "status"): frozenset(
        {"in-progress", "not-done", "on-hold", "completed", "entered-in-error", "stopped", "unknown"}
    ),
    ("MedicationStatement", "status"): frozenset(
        {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown", "not-taken"}
    ),
    ("CarePlan.activity.detail", "kind"): frozenset(
        {
            "Appointment",
            "CommunicationRequest",
            "DeviceRequest",
            "MedicationRequest",
            "NutritionOrder",
            "Task",
            "ServiceRequest",
            "VisionPrescription",
        }
    ),
    ("Provenance.entity", "role"): frozenset({"derivation", "revision", "quotation", "source", "removal"}),
    ("Bundle", "type"): frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        }
    ),
    ("Condition", "verificationStatus"): frozenset(
        {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
    ),
}
