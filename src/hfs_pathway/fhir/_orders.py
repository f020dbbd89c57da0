"""The orders an evaluation proposes, as ServiceRequests with intent ``proposal``: the brain MRI and the
referral for microvascular decompression. Proposals for a clinician to sign, never orders."""

from __future__ import annotations

from typing import Any

from hfs_pathway._case import Case
from hfs_pathway._results import Evaluation, Recommendation

from ._bindings import checked, fhir_id, patient_reference
from ._codes import CPT, CPT_DISPLAY, HFS_ICD10CM_DISPLAY, ICD10CM, LOINC, RECOMMENDATION_SYSTEM, SIDE_ICD10CM, SNOMED
from ._narrative import narrative

ORDER_RECOMMENDATIONS = ("order_mri", "order_contrast_mri", "urgent_contrast_mri", "refer_for_mvd")
"""The recommendations that become a proposed ServiceRequest."""

_MRI = (SNOMED, "816077007", "Magnetic resonance imaging of brain")
_CONTRAST_MRI = [_MRI, (CPT, "70553", CPT_DISPLAY["70553"]), (LOINC, "24587-8", "MR Brain WO and W contrast IV")]
_ORDER_CODES: dict[str, list[tuple[str, str, str]]] = {
    "order_mri": [_MRI, (CPT, "70551", CPT_DISPLAY["70551"]), (LOINC, "24590-2", "MR Brain")],
    "order_contrast_mri": _CONTRAST_MRI,
    "urgent_contrast_mri": _CONTRAST_MRI,
    "refer_for_mvd": [(CPT, "61458", CPT_DISPLAY["61458"])],
}


def proposed_orders(evaluation: Evaluation, case: Case) -> list[dict[str, Any]]:
    """ServiceRequest resources (JSON-ready dicts, validated as FHIR R4) for the MRI order and the MVD referral the
    evaluation recommends now; an empty list when it recommends neither."""
    return [
        service_request(r, evaluation, case).model_dump(mode="json", exclude_none=True) for r in _orders(evaluation)
    ]


def _orders(evaluation: Evaluation) -> list[Recommendation]:
    return [r for r in evaluation.recommendations if r.code in ORDER_RECOMMENDATIONS]


def service_request(recommendation: Recommendation, evaluation: Evaluation, case: Case) -> Any:
    """The ServiceRequest model for one order-type recommendation."""
    from fhir.resources.R4B.servicerequest import ServiceRequest

    code = recommendation.code
    data: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": fhir_id(f"{evaluation.patient_id}-{code}".replace("_", "-")),
        "status": checked("ServiceRequest", "status", "draft"),
        "intent": checked("ServiceRequest", "intent", "proposal"),
        "priority": checked("ServiceRequest", "priority", "urgent" if code == "urgent_contrast_mri" else "routine"),
        "code": {
            "coding": [{"system": s, "code": c, "display": d} for s, c, d in _ORDER_CODES[code]],
            "text": recommendation.text,
        },
        "orderDetail": [{"coding": [{"system": RECOMMENDATION_SYSTEM, "code": code}]}],
        "subject": patient_reference(evaluation.patient_id),
        "authoredOn": evaluation.as_of.isoformat(),
        "reasonCode": [_diagnosis(case)],
        "note": [{"text": f"{recommendation.rationale} Evidence: {', '.join(recommendation.evidence)}."}],
    }
    if recommendation.due is not None:
        data["occurrenceDateTime"] = recommendation.due.isoformat()
    if code == "refer_for_mvd":
        data["category"] = [{"coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}]}]
    data["text"] = narrative(data)
    return ServiceRequest.model_validate(data)


def _diagnosis(case: Case) -> dict[str, Any]:
    codings = [{"system": SNOMED, "code": "13753008", "display": "Hemifacial spasm"}]
    presentation = next((e for e in case.events if e.type == "presentation"), None)
    side = getattr(presentation, "side", None)
    if side is not None and side in SIDE_ICD10CM:
        code = SIDE_ICD10CM[side]
        codings.insert(0, {"system": ICD10CM, "code": code, "display": HFS_ICD10CM_DISPLAY[code]})
    return {"coding": codings, "text": "Hemifacial spasm"}
