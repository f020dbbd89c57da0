"""An evaluation as a FHIR Bundle: the patient's facts, the plan and the library's conclusions.

The Bundle (type ``collection``) holds the Patient and one resource per event of the case (so that the
facts travel with the conclusions and import back unchanged), then:

- a CarePlan: the patient's pathway, an activity per recommendation, status from the stage;
- a ServiceRequest (intent ``proposal``) for the MRI order and for the MVD referral, when recommended;
- a DetectedIssue per alert (and per import finding), severity mapped critical/warning/info to high/moderate/low;
- a RiskAssessment for the risk-benefit checkpoint, when there is one: a prediction per expected outcome
  with its probability range from the guideline's figures;
- a GuidanceResponse recording the evaluation;
- a Provenance naming the library and the guideline (name and version).

Every resource is built with the ``fhir.resources`` R4B models (which validate it), and the codes of the
required bindings the models do not check (status, intent, priority, severity) are checked against their
value sets (``_bindings.checked``).
"""

from __future__ import annotations

import uuid
from typing import Any

from hfs_pathway._case import Case
from hfs_pathway._results import Alert, Evaluation, RiskBenefitAssessment
from hfs_pathway._vocabulary import Severity, Stage

from ._bindings import checked, fhir_id
from ._codes import (
    ALERT_ACTIVE_EXTENSION,
    ALERT_SYSTEM,
    FINDING_SYSTEM,
    NAMESPACE,
    OUTCOME_SYSTEM,
    RECOMMENDATION_SYSTEM,
    SNOMED,
    STAGE_SYSTEM,
    UCUM,
)
from ._events_out import event_resources, patient_resource
from ._findings import ImportFinding
from ._import import FhirImport
from ._models import model_class
from ._narrative import narrative
from ._orders import ORDER_RECOMMENDATIONS, service_request

SITE = "https://hfs-pathway.github.io/hfs-pathway/"
PLAN_DEFINITION_URL = NAMESPACE + "PlanDefinition/hfs-pathway"
_SEVERITY = {Severity.CRITICAL: "high", Severity.WARNING: "moderate", Severity.INFO: "low"}
_CAREPLAN_STATUS = {Stage.DISCHARGED: "completed", Stage.EXITED: "revoked"}


class _Builder:
    def __init__(self, evaluation: Evaluation) -> None:
        self.seed = f"{evaluation.patient_id}|{evaluation.as_of.isoformat()}"
        self.entries: list[dict[str, Any]] = []

    def url(self, kind: str, local_id: str) -> str:
        return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{NAMESPACE}{self.seed}|{kind}/{local_id}"))

    def add(self, data: dict[str, Any]) -> str:
        """Validate ``data`` with its fhir.resources model, add it, and return its fullUrl."""
        data.setdefault("text", narrative(data))
        model = model_class(data["resourceType"])
        resource = model.model_validate(data).model_dump(mode="json", exclude_none=True)
        full_url = self.url(data["resourceType"], data["id"])
        self.entries.append({"fullUrl": full_url, "resource": resource})
        return full_url


def export_evaluation(evaluation: Evaluation, case: Case, *, imported: FhirImport | None = None) -> dict[str, Any]:
    """The evaluation of ``case`` as a FHIR R4 Bundle (JSON-ready dict), every resource validated.

    ``imported``, when the case came from FHIR, adds a DetectedIssue per import finding.
    """
    if case.patient.id != evaluation.patient_id:
        raise ValueError("the evaluation is not of this case's patient")
    from fhir.resources.R4B.bundle import Bundle

    out = _Builder(evaluation)
    patient_id = fhir_id(case.patient.id)
    subject = {"reference": out.url("Patient", patient_id)}
    out.add(patient_resource(case.patient, patient_id))
    facts = []
    for data in event_resources(case, subject):
        data["subject"] = subject
        facts.append(out.add(data))

    orders: dict[str, str] = {}
    for recommendation in evaluation.recommendations:
        if recommendation.code in ORDER_RECOMMENDATIONS:
            data = service_request(recommendation, evaluation, case).model_dump(mode="json", exclude_none=True)
            data["subject"] = subject
            orders[recommendation.code] = out.add(data)
    latest = facts[-1:]
    issues = [
        out.add(
            _detected_issue(alert, i, subject, [facts[alert.event_index]] if alert.event_index is not None else latest)
        )
        for i, alert in enumerate(evaluation.alerts)
    ]
    if imported is not None:
        issues += [out.add(_finding_issue(f, i, subject)) for i, f in enumerate(imported.findings)]
    risk = None
    if evaluation.risk_benefit is not None:
        risk = out.add(_risk_assessment(evaluation.risk_benefit, subject, facts))
    plan = out.add(_care_plan(evaluation, subject, orders, issues, risk))
    out.add(_guidance_response(evaluation, subject, plan, facts))
    targets = [e["fullUrl"] for e in out.entries if e["resource"]["resourceType"] not in ("Patient",)]
    generated = [t for t in targets if t not in facts]
    # The conclusions are derived from the facts; the derivation never names a resource the Provenance targets.
    out.add(_provenance(evaluation, generated, facts))
    bundle = {
        "resourceType": "Bundle",
        "id": fhir_id(f"hfs-pathway-{evaluation.patient_id}-{evaluation.as_of.isoformat()}"),
        "type": checked("Bundle", "type", "collection"),
        "timestamp": f"{evaluation.as_of.isoformat()}T00:00:00Z",
        "entry": out.entries,
    }
    # Each resource was validated as it was added; the Bundle's own elements are validated here without
    # validating every resource a second time.
    Bundle.model_validate({**bundle, "entry": [{"fullUrl": e["fullUrl"]} for e in out.entries]})
    return bundle


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code} | ({"display": display} if display else {})
    return {"coding": [coding]} | ({"text": display} if display else {})


def _detected_issue(alert: Alert, index: int, subject: dict[str, Any], implicated: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": f"alert-{index}-{alert.code.replace('_', '-')}",
        "status": checked("DetectedIssue", "status", "final"),
        "severity": checked("DetectedIssue", "severity", _SEVERITY[alert.severity]),
        "code": _concept(ALERT_SYSTEM, alert.code, alert.text),
        "patient": subject,
        "detail": f"{alert.text} {alert.rationale} Evidence: {', '.join(alert.evidence)}.",
        "reference": f"{SITE}reference/",
    }
    if implicated:
        data["implicated"] = [{"reference": url} for url in implicated]
    active = getattr(alert, "active", None)  # revision 2: present or history
    if isinstance(active, bool):
        data["extension"] = [{"url": ALERT_ACTIVE_EXTENSION, "valueBoolean": active}]
    if alert.date is not None:
        data["identifiedDateTime"] = alert.date.isoformat()
    return data


def _finding_issue(finding: ImportFinding, index: int, subject: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": f"import-finding-{index}-{finding.code.replace('_', '-')}",
        "status": checked("DetectedIssue", "status", "preliminary"),
        "severity": checked("DetectedIssue", "severity", _SEVERITY[finding.severity]),
        "code": _concept(FINDING_SYSTEM, finding.code),
        "patient": subject,
        "detail": finding.text,
        "reference": f"{SITE}fhir/#import-findings",
    }
    if finding.resource_id is not None:
        record = f"{finding.resource_type}/{finding.resource_id}"
        data["implicated"] = [{"reference": record, "display": f"{record} of the imported record"}]
    if finding.date is not None:
        data["identifiedDateTime"] = finding.date.isoformat()
    return data


def _percent(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "%", "system": UCUM, "code": "%"}


def _risk_assessment(risk: RiskBenefitAssessment, subject: dict[str, Any], facts: list[str]) -> dict[str, Any]:
    predictions = []
    for figure in (*risk.benefits, *risk.risks):
        prediction: dict[str, Any] = {"outcome": _concept(OUTCOME_SYSTEM, figure.code, figure.text)}
        if figure.percent_low == figure.percent_high:
            prediction["probabilityDecimal"] = round(figure.percent_low / 100, 6)
        else:
            prediction["probabilityRange"] = {
                "low": _percent(figure.percent_low),
                "high": _percent(figure.percent_high),
            }
        prediction |= {
            "rationale": f"Evidence: {', '.join(figure.evidence)}."
            + ("" if figure.permanent is None else (" Permanent." if figure.permanent else " Transient.")),
        }
        predictions.append(prediction)
    modifiers = "; ".join(m.text for m in risk.modifiers) or "none"
    return {
        "resourceType": "RiskAssessment",
        "id": "risk-benefit",
        "status": checked("RiskAssessment", "status", "final"),
        "code": _concept(RECOMMENDATION_SYSTEM, "assess_surgical_risk", "Risk-benefit checkpoint for MVD"),
        "subject": subject,
        "occurrenceDateTime": risk.date.isoformat(),
        "basis": [{"reference": facts[risk.event_index]}],
        "prediction": predictions,
        "mitigation": f"Verdict {risk.verdict.value}: {risk.verdict_reason} Modifiers: {modifiers}.",
        "note": [{"text": f"Valid until {risk.valid_until.isoformat()}. Evidence: {', '.join(risk.evidence)}."}],
    }


def _care_plan(
    evaluation: Evaluation, subject: dict[str, Any], orders: dict[str, str], issues: list[str], risk: str | None
) -> dict[str, Any]:
    activities = []
    for recommendation in evaluation.recommendations:
        if recommendation.code in orders:
            activities.append({"reference": {"reference": orders[recommendation.code]}})
            continue
        detail: dict[str, Any] = {
            "kind": checked("CarePlan.activity.detail", "kind", "ServiceRequest"),
            "code": _concept(RECOMMENDATION_SYSTEM, recommendation.code, recommendation.text),
            "status": checked("CarePlan.activity.detail", "status", "not-started"),
            "description": f"{recommendation.text} {recommendation.rationale} "
            f"Evidence: {', '.join(recommendation.evidence)}.",
        }
        if recommendation.due is not None:
            detail["scheduledString"] = f"due {recommendation.due.isoformat()}"
        activities.append({"detail": detail})
    stage = evaluation.stage.value
    status = _CAREPLAN_STATUS.get(evaluation.stage, "active")
    data: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": "hfs-pathway-plan",
        "status": checked("CarePlan", "status", status),
        "intent": checked("CarePlan", "intent", "proposal"),
        "instantiatesCanonical": [PLAN_DEFINITION_URL],
        "category": [_concept(STAGE_SYSTEM, stage, f"Stage: {stage.replace('_', ' ')}")],
        "title": "Hemifacial spasm pathway",
        "description": f"Stage {stage} as of {evaluation.as_of.isoformat()}; proposals for a clinician to decide.",
        "subject": subject,
        "created": evaluation.as_of.isoformat(),
    }
    support = [{"reference": u} for u in issues + ([risk] if risk else [])]
    if support:
        data["supportingInfo"] = support
    if activities:
        data["activity"] = activities
    return data


def _guidance_response(evaluation: Evaluation, subject: dict[str, Any], plan: str, facts: list[str]) -> dict[str, Any]:
    return {
        "resourceType": "GuidanceResponse",
        "id": "evaluation",
        "requestIdentifier": {"system": NAMESPACE + "evaluation", "value": f"{evaluation.as_of.isoformat()}"},
        "moduleUri": PLAN_DEFINITION_URL,
        "status": checked("GuidanceResponse", "status", "success"),
        "subject": subject,
        "occurrenceDateTime": f"{evaluation.as_of.isoformat()}T00:00:00Z",
        "reasonCode": [_concept(SNOMED, "13753008", "Hemifacial spasm")],
        "note": [
            {
                "text": f"Evaluated as of {evaluation.as_of.isoformat()} with guideline {evaluation.guideline_name} "
                f"{evaluation.guideline_version}: stage {evaluation.stage.value}, "
                f"{len(evaluation.recommendations)} recommendations, {len(evaluation.alerts)} alerts."
            }
        ],
        "result": {"reference": plan},
    }


def _provenance(evaluation: Evaluation, targets: list[str], facts: list[str]) -> dict[str, Any]:
    from hfs_pathway import __version__

    return {
        "resourceType": "Provenance",
        "id": "hfs-pathway-provenance",
        "target": [{"reference": t} for t in targets],
        "recorded": f"{evaluation.as_of.isoformat()}T00:00:00Z",
        "policy": [PLAN_DEFINITION_URL],
        "activity": _concept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE", "create"),
        "agent": [
            {
                "type": _concept(
                    "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler"
                ),
                "who": {"display": f"hfs-pathway {__version__} (decision support library)"},
            }
        ],
        "entity": [
            {
                "role": checked("Provenance.entity", "role", "source"),
                "what": {
                    "identifier": {
                        "system": NAMESPACE + "guideline",
                        "value": f"{evaluation.guideline_name}|{evaluation.guideline_version}",
                    },
                    "display": f"Guideline {evaluation.guideline_name}, version {evaluation.guideline_version}",
                },
            },
            *({"role": checked("Provenance.entity", "role", "derivation"), "what": {"reference": f}} for f in facts),
        ],
    }
