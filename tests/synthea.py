"""Real Synthea R4 records with hemifacial-spasm histories grafted in, coded the standard way.

The samples (``../shared/fhir-samples/synthea-r4``, Apache-2.0) are gzipped transaction Bundles: every entry has a
``urn:uuid`` fullUrl and a POST request, and resources refer to the patient by that URN. ``Graft`` adds resources
the same way, built here as EHRs write them: ICD-10-CM or SNOMED CT diagnoses with a laterality body site, brain
MRI as DiagnosticReport, ImagingStudy or Procedure (CPT, LOINC, DICOM), CPT 64612 procedures with toxin
MedicationAdministrations (HCPCS, NDC, RxNorm), RxNorm drug orders, a CPT 61458 operation and a neurosurgery
referral. No ``pathway-event`` extension anywhere: nothing the project wrote.
"""

from __future__ import annotations

import copy
import gzip
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fhir-samples" / "synthea-r4"
if not SAMPLES.is_dir():  # a checkout elsewhere: the shared folder beside /work/wt
    SAMPLES = Path("/work/shared/fhir-samples/synthea-r4")

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
CPT = "http://www.ama-assn.org/go/cpt"
LOINC = "http://loinc.org"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
NDC = "http://hl7.org/fhir/sid/ndc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
UCUM = "http://unitsofmeasure.org"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


@cache
def _sample(name: str) -> dict[str, Any]:
    path = next(SAMPLES.glob(f"{name}_*.json.gz"))
    with gzip.open(path) as f:
        bundle: dict[str, Any] = json.load(f)
    return bundle


def samples_available() -> bool:
    return SAMPLES.is_dir() and any(SAMPLES.glob("*.json.gz"))


class Graft:
    """One Synthea patient's record with resources added; ``bundle()`` gives the transaction Bundle."""

    def __init__(self, name: str) -> None:
        self.base = copy.deepcopy(_sample(name))
        patient = self.base["entry"][0]
        assert patient["resource"]["resourceType"] == "Patient"
        self.patient_url = patient["fullUrl"]
        self.patient_id = patient["resource"]["id"]
        self.added: list[dict[str, Any]] = []
        self._n = 0

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": self.patient_url}

    def add(self, resource: dict[str, Any], *, url: str | None = None) -> dict[str, Any]:
        self._n += 1
        resource.setdefault("id", str(uuid.UUID(int=self._n, version=4)))
        if resource["resourceType"] != "Patient":
            key = "patient" if resource["resourceType"] in ("Immunization",) else "subject"
            resource.setdefault(key, self.subject)
        entry = {
            "fullUrl": url or f"urn:uuid:{resource['id']}",
            "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]},
        }
        self.added.append(entry)
        return resource

    def bundle(self) -> dict[str, Any]:
        return {**self.base, "entry": [*self.base["entry"], *copy.deepcopy(self.added)]}

    # --- the diagnosis and red flags -------------------------------------------------------------------------

    def hfs_icd(self, recorded: str, code: str = "G51.32", **extra: Any) -> dict[str, Any]:
        return self.add(
            {
                "resourceType": "Condition",
                "clinicalStatus": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
                },
                "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
                "code": {"coding": [{"system": ICD10CM, "code": code, "display": "Clonic hemifacial spasm"}]},
                "recordedDate": f"{recorded}T10:30:00-05:00",
                **extra,
            }
        )

    def hfs_snomed(self, onset: str, laterality: str | None = "7771000", **extra: Any) -> dict[str, Any]:
        """SNOMED CT 13753008 with a laterality body site, dated only by ``onsetDateTime`` (no recordedDate)."""
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
            "code": {"coding": [{"system": SNOMED, "code": "13753008", "display": "Hemifacial spasm"}]},
            "onsetDateTime": f"{onset}T09:00:00+00:00",
            **extra,
        }
        if laterality is not None:
            resource["bodySite"] = [{"coding": [{"system": SNOMED, "code": laterality}]}]
        return self.add(resource)

    def hearing_loss(self, onset: str) -> dict[str, Any]:
        return self.add(
            {
                "resourceType": "Condition",
                "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
                "code": {"coding": [{"system": SNOMED, "code": "15188001", "display": "Hearing loss"}]},
                "onsetDateTime": f"{onset}T09:00:00+00:00",
                "recordedDate": f"{onset}T09:00:00+00:00",
            }
        )

    # --- imaging -----------------------------------------------------------------------------------------------

    def mri_report(
        self, date: str, *, code: tuple[str, str] = (CPT, "70553"), conclusion: str, status: str = "final", **extra: Any
    ) -> dict[str, Any]:
        return self.add(
            {
                "resourceType": "DiagnosticReport",
                "status": status,
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}]}],
                "code": {"coding": [{"system": code[0], "code": code[1]}]},
                "effectiveDateTime": f"{date}T14:05:00+01:00",
                "issued": f"{date}T18:00:00+01:00",
                "conclusion": conclusion,
                **extra,
            }
        )

    def imaging_study(self, date: str, loinc: str = "24587-8") -> dict[str, Any]:
        return self.add(
            {
                "resourceType": "ImagingStudy",
                "status": "available",
                "started": f"{date}T13:40:00+01:00",
                "modality": [{"system": DICOM, "code": "MR"}],
                "procedureCode": [{"coding": [{"system": LOINC, "code": loinc}]}],
                "series": [
                    {
                        "uid": "1.2.3.4",
                        "modality": {"system": DICOM, "code": "MR"},
                        "bodySite": {"system": SNOMED, "code": "12738006"},
                    }
                ],
            }
        )

    def imaging_procedure(self, date: str, cpt: str = "70553") -> dict[str, Any]:
        return self.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": {"coding": [{"system": CPT, "code": cpt}]},
                "performedDateTime": f"{date}T13:40:00+01:00",
            }
        )

    # --- toxin -------------------------------------------------------------------------------------------------

    def toxin_procedure(self, date: str) -> dict[str, Any]:
        return self.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": {"coding": [{"system": CPT, "code": "64612"}]},
                "performedDateTime": f"{date}T11:00:00+00:00",
            }
        )

    def toxin(
        self,
        date: str,
        units: float,
        *,
        coding: tuple[str, str] = (HCPCS, "J0585"),
        unit: str = "[USP'U]",
        time: str = "T11:05:00+00:00",
        contained: bool = False,
    ) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "status": "completed",
            "effectiveDateTime": f"{date}{time}",
            "dosage": {"dose": {"value": units, "unit": "units", "system": UCUM, "code": unit}},
        }
        medication = {"coding": [{"system": coding[0], "code": coding[1]}]}
        if contained:
            resource["contained"] = [{"resourceType": "Medication", "id": "med", "code": medication}]
            resource["medicationReference"] = {"reference": "#med"}
        else:
            resource["medicationCodeableConcept"] = medication
        return self.add(resource)

    # --- drugs, surgery ------------------------------------------------------------------------------------------

    def drug_order(
        self, date: str, rxnorm: str, lines: list[float], reason: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxnorm}]},
            "authoredOn": f"{date}T10:00:00+00:00",
            "dosageInstruction": [
                {
                    "sequence": i + 1,
                    "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}}],
                }
                for i, mg in enumerate(lines)
            ],
        }
        if reason is not None:
            resource["reasonReference"] = [{"reference": f"urn:uuid:{reason['id']}"}]
        return self.add(resource)

    def mvd(self, date: str) -> dict[str, Any]:
        return self.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": {"coding": [{"system": CPT, "code": "61458"}]},
                "performedDateTime": f"{date}T08:00:00+00:00",
            }
        )

    def neurosurgery_referral(self, date: str, reason: dict[str, Any]) -> dict[str, Any]:
        return self.add(
            {
                "resourceType": "ServiceRequest",
                "status": "completed",
                "intent": "order",
                "category": [{"coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}]}],
                "code": {"coding": [{"system": CPT, "code": "61458"}]},
                "reasonReference": [{"reference": f"urn:uuid:{reason['id']}"}],
                "authoredOn": f"{date}T10:00:00+00:00",
            }
        )

    def merged_twin(self) -> None:
        """A ``$everything`` of a merged record: the old Patient (replaced-by) beside the survivor, which replaces it;
        one of the grafted resources still refers to the old one."""
        old = f"{self.patient_id}-old"
        survivor = self.base["entry"][0]["resource"]
        survivor["link"] = [{"other": {"reference": f"Patient/{old}"}, "type": "replaces"}]
        twin = {
            "resourceType": "Patient",
            "id": old,
            "active": False,
            "link": [{"other": {"reference": f"Patient/{self.patient_id}"}, "type": "replaced-by"}],
        }
        self.add(twin)
        if len(self.added) > 1:
            self.added[0]["resource"]["subject"] = {"reference": f"Patient/{old}"}
