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
ALERT_ACTIVE_EXTENSION: Final = NAMESPACE + "StructureDefinition/alert-active"
"""On a DetectedIssue: true when the alert belongs to the present, false when it is history (revision 2)."""
EVENT_TYPE_SYSTEM: Final = NAMESPACE + "CodeSystem/event-type"
EVENT_FIELD_SYSTEM: Final = NAMESPACE + "CodeSystem/event-field"
"""Observation.component.code of an event's other fields: the field's name (``shared_decision``, ...)."""
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
LOINC: Final = "http://loinc.org"
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC: Final = "http://hl7.org/fhir/sid/ndc"
DICOM: Final = "http://dicom.nema.org/resources/ontology/DCM"
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
HFS_ICD10CM_DISPLAY: Final[dict[str, str]] = {
    "G51.31": "Clonic hemifacial spasm, right",
    "G51.32": "Clonic hemifacial spasm, left",
    "G51.33": "Clonic hemifacial spasm, bilateral",
    "G51.39": "Clonic hemifacial spasm, unspecified",
}
"""The ICD-10-CM descriptors of the codes the export writes."""
# Laterality qualifiers of Condition.bodySite (SNOMED CT qualifier values).
SIDE_SNOMED: Final[dict[str, Side]] = {"7771000": Side.LEFT, "24028007": Side.RIGHT, "51440002": Side.BILATERAL}
SNOMED_SIDE_DISPLAY: Final[dict[Side, tuple[str, str]]] = {
    Side.LEFT: ("7771000", "Left"),
    Side.RIGHT: ("24028007", "Right"),
    Side.BILATERAL: ("51440002", "Right and left"),
}

# Red-flag findings recorded as their own Condition or Observation (SNOMED CT), by the presentation field they
# fill. Only codes checked against a published source are listed; a finding recorded under another code is not read
# (the presentation then says nothing about it: null, never false).
RED_FLAG_SNOMED: Final[dict[str, str]] = {"15188001": "hearing_loss"}
"""15188001 Hearing loss (disorder)."""

# Botulinum toxin injection (the procedure) and products.
TOXIN_PROCEDURE_CODES: Final = frozenset({(CPT, "64612"), (SNOMED, "442695005")})
"""CPT 64612 chemodenervation of facial-nerve muscles, unilateral; SNOMED CT 442695005 Injection of botulinum toxin.
(The retired US-extension code 428191000124101 is not read: Synthea records use it for "Documentation of current
medications".)"""
TOXIN_HCPCS: Final[dict[ToxinProduct, str]] = {
    ToxinProduct.ONABOTULINUMTOXINA: "J0585",
    ToxinProduct.ABOBOTULINUMTOXINA: "J0586",
    ToxinProduct.RIMABOTULINUMTOXINB: "J0587",
    ToxinProduct.INCOBOTULINUMTOXINA: "J0588",
}
HCPCS_TOXIN: Final[dict[str, ToxinProduct]] = {code: product for product, code in TOXIN_HCPCS.items()}
TOXIN_HCPCS_DISPLAY: Final[dict[str, str]] = {
    "J0585": "Injection, onabotulinumtoxinA, 1 unit",
    "J0586": "Injection, abobotulinumtoxinA, 5 units",
    "J0587": "Injection, rimabotulinumtoxinB, 100 units",
    "J0588": "Injection, incobotulinumtoxinA, 1 unit",
}
TOXIN_ATC: Final = "M03AX01"
# National Drug Codes of the toxin products, by labeler and product segment in the 11-digit 5-4 form (the package
# segment is not needed to know the product); each checked against the FDA NDC directory (openFDA).
TOXIN_NDC_PRODUCT: Final[dict[str, ToxinProduct]] = {
    "00023-1145": ToxinProduct.ONABOTULINUMTOXINA,  # BOTOX, Allergan
    "00023-9232": ToxinProduct.ONABOTULINUMTOXINA,  # BOTOX Cosmetic, Allergan
    "15054-0530": ToxinProduct.ABOBOTULINUMTOXINA,  # Dysport 300 U, Ipsen
    "46783-0160": ToxinProduct.INCOBOTULINUMTOXINA,  # Xeomin 100 U, Merz
    "00259-1620": ToxinProduct.INCOBOTULINUMTOXINA,  # Xeomin 200 U, Merz
    "10454-0710": ToxinProduct.RIMABOTULINUMTOXINB,  # Myobloc, Solstice Neurosciences
}
# RxNorm concepts of the toxin products: those the FDA NDC directory maps the products above to.
TOXIN_RXNORM: Final[dict[str, ToxinProduct]] = dict.fromkeys(
    ("1789950", "1789953", "1789956", "1789958"), ToxinProduct.ABOBOTULINUMTOXINA
)
# Toxin units: UCUM's USP unit, a UCUM annotation (unity), or the bare "U" EHRs write. Never mL or free text.
TOXIN_UNIT_CODES: Final = frozenset({"[USP'U]", "{units}", "{unit}", "{U}", "U", "[U]", "[iU]", "[IU]"})
TOXIN_UNIT_EXPORT: Final = ("{units}", "units")
"""How the export writes toxin units: a UCUM annotation, since units are product-specific and not interchangeable."""

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
RXNORM_DRUG: Final[dict[str, Drug]] = {"2002": Drug.CARBAMAZEPINE}
"""RxNorm ingredient concepts of the pathway's drugs, checked against published tables (2002 carbamazepine). A drug
recorded only under another RxNorm code is not read: the record is listed as skipped with the reason."""

MVD_CODES: Final = frozenset({(CPT, "61458")})
CPT_DISPLAY: Final[dict[str, str]] = {
    "61458": "Craniectomy, suboccipital; for exploration or decompression of cranial nerves",
    "64612": "Chemodenervation of muscle(s); muscle(s) innervated by facial nerve, unilateral "
    "(eg, for blepharospasm, hemifacial spasm)",
    "70551": "Magnetic resonance (eg, proton) imaging, brain (including brain stem); without contrast material",
    "70552": "Magnetic resonance (eg, proton) imaging, brain (including brain stem); with contrast material(s)",
    "70553": "Magnetic resonance (eg, proton) imaging, brain (including brain stem); without contrast material, "
    "followed by contrast material(s) and further sequences",
}
"""CPT descriptors (AMA) of the codes the export writes."""

# Brain imaging. CPT 70551 without contrast, 70552 with, 70553 without then with.
MRI_CPT_CONTRAST: Final[dict[str, bool]] = {"70551": False, "70552": True, "70553": True}
MRI_CODES: Final = frozenset({(SNOMED, "816077007")} | {(CPT, c) for c in MRI_CPT_CONTRAST})
CT_CPT_CONTRAST: Final[dict[str, bool]] = {"70450": False, "70460": True, "70470": True}
CT_CODES: Final = frozenset({(CPT, c) for c in CT_CPT_CONTRAST} | {(SNOMED, "34227000")})
# LOINC radiology codes (LOINC/RSNA playbook names): brain MRI and head CT, with whether contrast was given. A name
# that does not say contrast was given reads as without contrast (a study never gains contrast by default).
MRI_LOINC_CONTRAST: Final[dict[str, bool]] = {
    "24590-2": False,  # MR Brain
    "24586-0": False,  # MR Brain W anesthesia
    "24587-8": True,  # MR Brain WO and W contrast IV
    "24588-6": True,  # MR Brain WO and W contrast IV and W anesthesia
    "24589-4": True,  # MR Brain W contrast IV
    "24735-3": False,  # MR Internal auditory canal and Posterior fossa
    "24740-3": True,  # MR Internal auditory canal and Posterior fossa WO and W contrast IV
}
CT_LOINC_CONTRAST: Final[dict[str, bool]] = {
    "24725-4": False,  # CT Head
    "24726-2": True,  # CT Head WO and W contrast IV
    "24727-0": True,  # CT Head W contrast IV
}
IMAGING_CONTRAST: Final[dict[tuple[str, str], bool]] = {
    **{(CPT, c): v for c, v in MRI_CPT_CONTRAST.items()},
    **{(CPT, c): v for c, v in CT_CPT_CONTRAST.items()},
    **{(LOINC, c): v for c, v in MRI_LOINC_CONTRAST.items()},
    **{(LOINC, c): v for c, v in CT_LOINC_CONTRAST.items()},
}
"""Whether an imaging code says contrast was given (codes silent about contrast are not listed)."""
MRI_CODES_ALL: Final = MRI_CODES | {(LOINC, c) for c in MRI_LOINC_CONTRAST}
CT_CODES_ALL: Final = CT_CODES | {(LOINC, c) for c in CT_LOINC_CONTRAST}
DICOM_MODALITY: Final[dict[str, str]] = {"MR": "mri", "CT": "ct"}
"""DICOM modality codes (ImagingStudy.modality, series.modality) of the studies the pathway reads."""

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
