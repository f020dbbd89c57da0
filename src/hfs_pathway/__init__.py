"""hfs-pathway: decision support along the hemifacial spasm treatment pathway.

Start a pathway for a patient, apply clinical events, and evaluate it as of a date::

    from hfs_pathway import Pathway, format_report, load_case
    pathway = Pathway.replay(load_case("examples/typical_toxin_responder.json"))
    evaluation = pathway.evaluate("2026-05-01")      # a date, a datetime or an ISO string
    print(format_report(evaluation))                 # or evaluation.to_json()

The library proposes and explains; a clinician decides. See ``pathway-spec.md`` for the contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_getattr

if TYPE_CHECKING:
    from ._active import ALERT_ACTIVE_WHILE, ActiveWhile
    from ._case import Case, CaseLimits, Patient, load_case
    from ._citations import Citation, citation, citations
    from ._definition import PathwayDefinition
    from ._errors import (
        CheckpointNotSatisfied,
        EventNotAllowed,
        InvalidArgument,
        InvalidCase,
        InvalidDefinition,
        InvalidEvent,
        InvalidGuideline,
        OutOfOrder,
        PathwayError,
    )
    from ._events import (
        BotoxInjection,
        BotoxPlanAdjusted,
        BotoxResponse,
        Complication,
        Event,
        ImagingBooked,
        ImagingDeclined,
        ImagingFindingRecorded,
        ImagingResult,
        MedicationReview,
        MedicationStarted,
        MvdPerformed,
        PathwayExit,
        PostMvdReview,
        Presentation,
        Recurrence,
        RedFlag,
        ReferralClosed,
        ReviewVisit,
        RiskBenefitDecision,
        SecondaryCauseOutcomeEvent,
        SurgicalRiskAssessment,
        TreatmentDecision,
    )
    from ._explain import EventCheck, StageRequirements, Step, check_event, requirements_for
    from ._formats import format_guideline, format_report
    from ._guideline import Guideline, Parameter, default_guideline
    from ._hfs import HFS_PATHWAY
    from ._pathway import Pathway, evaluate_case
    from ._results import (
        Alert,
        BotoxCycle,
        Evaluation,
        HistoryEntry,
        Recommendation,
        RiskBenefitAssessment,
        RiskFigure,
        RiskModifier,
    )
    from ._schema import case_schema
    from ._vocabulary import EventType, ResponseClass, Severity, Stage, Verdict, WaningReason
    from .diagrams import diagram

__version__ = "0.1.0"

# The public names are loaded on first use (PEP 562), so that ``import hfs_pathway`` costs little for
# a program that only needs part of the library (a CLI's --help, a docs build). Each name maps to
# the private module that defines it.
_LAZY: dict[str, str] = {
    "ALERT_ACTIVE_WHILE": "._active",
    "ActiveWhile": "._active",
    "Case": "._case",
    "CaseLimits": "._case",
    "Patient": "._case",
    "load_case": "._case",
    "Citation": "._citations",
    "citation": "._citations",
    "citations": "._citations",
    "PathwayDefinition": "._definition",
    "CheckpointNotSatisfied": "._errors",
    "EventNotAllowed": "._errors",
    "InvalidArgument": "._errors",
    "InvalidCase": "._errors",
    "InvalidDefinition": "._errors",
    "InvalidEvent": "._errors",
    "InvalidGuideline": "._errors",
    "OutOfOrder": "._errors",
    "PathwayError": "._errors",
    "BotoxInjection": "._events",
    "BotoxPlanAdjusted": "._events",
    "BotoxResponse": "._events",
    "Complication": "._events",
    "Event": "._events",
    "ImagingBooked": "._events",
    "ImagingDeclined": "._events",
    "ImagingFindingRecorded": "._events",
    "ImagingResult": "._events",
    "MedicationReview": "._events",
    "MedicationStarted": "._events",
    "MvdPerformed": "._events",
    "PathwayExit": "._events",
    "PostMvdReview": "._events",
    "Presentation": "._events",
    "Recurrence": "._events",
    "RedFlag": "._events",
    "ReferralClosed": "._events",
    "ReviewVisit": "._events",
    "RiskBenefitDecision": "._events",
    "SecondaryCauseOutcomeEvent": "._events",
    "SurgicalRiskAssessment": "._events",
    "TreatmentDecision": "._events",
    "format_guideline": "._formats",
    "format_report": "._formats",
    "EventCheck": "._explain",
    "StageRequirements": "._explain",
    "Step": "._explain",
    "check_event": "._explain",
    "requirements_for": "._explain",
    "Guideline": "._guideline",
    "Parameter": "._guideline",
    "default_guideline": "._guideline",
    "HFS_PATHWAY": "._hfs",
    "Pathway": "._pathway",
    "evaluate_case": "._pathway",
    "case_schema": "._schema",
    "Alert": "._results",
    "BotoxCycle": "._results",
    "Evaluation": "._results",
    "HistoryEntry": "._results",
    "Recommendation": "._results",
    "RiskBenefitAssessment": "._results",
    "RiskFigure": "._results",
    "RiskModifier": "._results",
    "EventType": "._vocabulary",
    "ResponseClass": "._vocabulary",
    "Severity": "._vocabulary",
    "Stage": "._vocabulary",
    "Verdict": "._vocabulary",
    "WaningReason": "._vocabulary",
    "diagram": ".diagrams",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ALERT_ACTIVE_WHILE",
    "HFS_PATHWAY",
    "ActiveWhile",
    "Alert",
    "BotoxCycle",
    "BotoxInjection",
    "BotoxPlanAdjusted",
    "BotoxResponse",
    "Case",
    "CaseLimits",
    "CheckpointNotSatisfied",
    "Citation",
    "Complication",
    "Evaluation",
    "Event",
    "EventCheck",
    "EventNotAllowed",
    "EventType",
    "Guideline",
    "HistoryEntry",
    "ImagingBooked",
    "ImagingDeclined",
    "ImagingFindingRecorded",
    "ImagingResult",
    "InvalidArgument",
    "InvalidCase",
    "InvalidDefinition",
    "InvalidEvent",
    "InvalidGuideline",
    "MedicationReview",
    "MedicationStarted",
    "MvdPerformed",
    "OutOfOrder",
    "Parameter",
    "Pathway",
    "PathwayDefinition",
    "PathwayError",
    "PathwayExit",
    "Patient",
    "PostMvdReview",
    "Presentation",
    "Recommendation",
    "Recurrence",
    "RedFlag",
    "ReferralClosed",
    "ResponseClass",
    "ReviewVisit",
    "RiskBenefitAssessment",
    "RiskBenefitDecision",
    "RiskFigure",
    "RiskModifier",
    "SecondaryCauseOutcomeEvent",
    "Severity",
    "Stage",
    "StageRequirements",
    "Step",
    "SurgicalRiskAssessment",
    "TreatmentDecision",
    "Verdict",
    "WaningReason",
    "__version__",
    "case_schema",
    "check_event",
    "citation",
    "citations",
    "default_guideline",
    "diagram",
    "evaluate_case",
    "format_guideline",
    "format_report",
    "load_case",
    "requirements_for",
]
