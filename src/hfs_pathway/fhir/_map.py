"""One FHIR resource to one candidate event (a JSON-ready event dict), or the reason it is not one.

The mapping table is ``docs/fhir.md``. Standard codes are read first (``_clinical.py``, ``_medication.py``); the
``pathway-event`` extension supplies the facts no standard code carries. A value a field needs but the resource
does not hold is never filled in: the resource is skipped and says what is missing. Every event says where it came
from (``source``: the resource's type and id).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._clinical import condition, diagnostic_report, imaging_study, observation, procedure
from ._codes import (
    CPT,
    CT_CODES_ALL,
    DONE_STATUS,
    EVENT_TYPE_SYSTEM,
    HFS_CODES,
    MRI_CODES_ALL,
    MVD_CODES,
    RED_FLAG_SNOMED,
    SEQUENCE_FIELD,
    SNOMED,
    TOXIN_PROCEDURE_CODES,
)
from ._context import MAX_NOTE, NO_SEQUENCE, RANK, Candidate, Context, concepts, text_of
from ._extension import as_lists, read_facts
from ._findings import finding
from ._medication import medication
from ._read import Where, annotation_text, concept, first_date, is_object, seq, string
from ._responses import questionnaire_response


def map_resource(resource: Mapping[str, Any], where: Where, context: Context) -> Candidate | str | None:
    """The candidate event of one resource, or the reason it gives none (``None``: decided once all are read)."""
    kind = where.resource_type
    reader = _READERS.get(kind)
    if reader is None:
        return f"{kind} is not a resource type the pathway reads"
    known = _KNOWN_CODES.get(kind)
    if known is not None and _surely_unread(resource, known[0]):
        return known[1]
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
    sequence = facts.pop(SEQUENCE_FIELD, NO_SEQUENCE)
    if isinstance(sequence, bool) or not isinstance(sequence, int):
        raise where.error("extension", f"the {SEQUENCE_FIELD} of a pathway-event must be an integer")
    outcome = reader(resource, where, context, facts)
    if outcome is None or isinstance(outcome, str):
        return outcome
    event = as_lists(outcome)
    note = annotation_text(resource, where) if kind != "DiagnosticReport" else text_of(resource, "conclusion", where)
    if note and "note" not in event:
        event["note"] = note[:MAX_NOTE]
    event.setdefault("source", {"system": "fhir", "reference": where.reference})
    candidate = Candidate(event, where, sequence, RANK.get(event["type"], 99), where.position)
    if event.get("missing"):
        context.toxin_procedures.append(candidate)
        return None
    return candidate


_RED_FLAGS = frozenset((SNOMED, code) for code in RED_FLAG_SNOMED)
_KNOWN_CODES: dict[str, tuple[frozenset[tuple[str, str]], str]] = {
    "Condition": (
        HFS_CODES | _RED_FLAGS,
        "the Condition is not hemifacial spasm or a red-flag finding the pathway reads (by its code)",
    ),
    "Observation": (_RED_FLAGS, "the observation is not one the pathway reads (by its code)"),  # and event types
    "DiagnosticReport": (MRI_CODES_ALL | CT_CODES_ALL, "the report is not brain MRI or head CT (by its code)"),
    "Procedure": (
        MVD_CODES | TOXIN_PROCEDURE_CODES | MRI_CODES_ALL | CT_CODES_ALL,
        "the procedure is not one the pathway reads (by its code)",
    ),
}
"""By resource type: the codes that make a resource worth reading. Most of a long record (vital signs, labs,
encounters' procedures) carries none of them and is set aside at once, before its other elements are read."""


def _surely_unread(resource: Mapping[str, Any], known: frozenset[tuple[str, str]]) -> bool:
    """Whether the resource's ``code`` is well formed and names none of ``known`` (nor the event-type system); when
    the element is malformed the full reader runs, so that the error is reported."""
    concept = resource.get("code")
    if type(concept) is not dict:
        return False
    codings = concept.get("coding")
    if type(codings) is not list:
        return False
    for coding in codings:
        if type(coding) is not dict:
            return False
        system, code = coding.get("system"), coding.get("code")
        if type(system) is not str or type(code) is not str:
            return False
        if system == EVENT_TYPE_SYSTEM or (system, code.strip()) in known:
            return False
    return True


def _order(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    codes = set(concept(resource, "code", where)) | set(concepts(resource, "reasonCode", where))
    if codes & (MVD_CODES | HFS_CODES) or (CPT, "61458") in codes:
        day = first_date(resource, ("authoredOn", "occurrenceDateTime", "occurrencePeriod"), where)
        when = day.isoformat() if not isinstance(day, str) else "on an unknown date"
        context.findings.append(
            finding(
                "referral_on_record",
                f"A referral or order for hemifacial spasm care ({where.reference}) was made {when}; the pathway "
                "records what came of it (the operation, the study), not the order itself.",
                where,
                None if isinstance(day, str) else day,
            )
        )
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
    "Condition": condition,
    "DiagnosticReport": diagnostic_report,
    "ImagingStudy": imaging_study,
    "Procedure": procedure,
    "MedicationAdministration": medication,
    "MedicationStatement": medication,
    "MedicationRequest": medication,
    "Observation": observation,
    "QuestionnaireResponse": questionnaire_response,
}
