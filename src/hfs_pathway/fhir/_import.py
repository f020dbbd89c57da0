"""FHIR resources to the pathway's case: map what can be mapped, report the rest, invent nothing.

Each resource becomes at most one candidate event (read by ``_map.py``) or is skipped with its reason.
Candidates are put in date order (same-day events in clinical order), exact duplicates are dropped,
and each is offered to the pathway itself (``Pathway.apply``): what the core refuses is skipped with the
core's own explanation, and a refusal that says something about the record (a treatment recorded
before any imaging) also becomes a finding. The patient stays on the stage the accepted events lead to.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfs_pathway._case import DEFAULT_LIMITS, Case, Patient, check_size
from hfs_pathway._errors import InvalidCase, PathwayError
from hfs_pathway._pathway import Pathway
from hfs_pathway._vocabulary import EventType, Severity, Stage

from ._errors import InvalidFhir, NoHfsDiagnosis
from ._map import Candidate, Context, map_resource, read_patient, unversioned
from ._read import Where, is_object


@dataclass(frozen=True)
class SkippedResource:
    """A resource that did not become an event, and why."""

    resource_type: str
    id: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"resource_type": self.resource_type, "id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class ImportFinding:
    """Something about the record a clinician should check: a record out of the pathway's order, an incomplete
    diagnosis. Codes: ``treatment_before_imaging`` (warning), ``record_out_of_pathway`` (warning),
    ``presentation_incomplete`` (warning)."""

    code: str
    severity: Severity
    text: str
    resource_type: str
    resource_id: str | None
    date: dt.date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "text": self.text,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "date": None if self.date is None else self.date.isoformat(),
        }


@dataclass(frozen=True)
class FhirImport:
    """The case read from FHIR resources, the resources left out (with reasons) and the findings about the record."""

    case: Case
    skipped: tuple[SkippedResource, ...] = ()
    findings: tuple[ImportFinding, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case.to_dict(),
            "skipped": [s.to_dict() for s in self.skipped],
            "findings": [f.to_dict() for f in self.findings],
        }


_BEFORE_IMAGING = frozenset({Stage.PRESENTATION, Stage.IMAGING})
_TREATMENTS = frozenset(
    {
        EventType.BOTOX_INJECTION,
        EventType.BOTOX_RESPONSE,
        EventType.MEDICATION_STARTED,
        EventType.MEDICATION_REVIEW,
        EventType.TREATMENT_DECISION,
        EventType.MVD_PERFORMED,
        EventType.SURGICAL_RISK_ASSESSMENT,
        EventType.RISK_BENEFIT_DECISION,
    }
)


def import_bundle(source: Mapping[str, Any] | str | bytes | Path, *, strict: bool = False) -> FhirImport:
    """Read a FHIR Bundle (any type: searchset, collection, transaction...) given as a parsed mapping, JSON text or
    bytes, or a file path. See :func:`import_resources`."""
    bundle = _parse(source)
    if not is_object(bundle) or bundle.get("resourceType") != "Bundle":
        kind = bundle.get("resourceType") if is_object(bundle) else type(bundle).__name__
        raise InvalidFhir(f"expected a FHIR Bundle, got {kind!r}")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise InvalidFhir("Bundle.entry must be a JSON array")
    resources: list[Any] = []
    urls: list[str | None] = []
    for i, entry in enumerate(entries):
        if not is_object(entry):
            raise InvalidFhir(f"Bundle.entry[{i}] must be a JSON object")
        search = entry.get("search")
        if is_object(search) and search.get("mode") == "outcome":
            continue  # an OperationOutcome about the search itself
        request = entry.get("request")
        if is_object(request) and request.get("method") == "DELETE":
            continue
        resource = entry.get("resource")
        if resource is None:
            continue
        url = entry.get("fullUrl")
        urls.append(url if isinstance(url, str) and url else None)
        resources.append(resource)
    return _import(resources, "Bundle.entry", strict, urls)


def import_resources(resources: Iterable[Mapping[str, Any]], *, strict: bool = False) -> FhirImport:
    """Read one patient's FHIR R4 resources (a CDS Hooks prefetch, one patient's lines of a bulk export) as a case.

    Every resource either becomes an event or is listed in ``skipped`` with its reason. Raises
    :class:`NoHfsDiagnosis` when no Condition records hemifacial spasm, and ``InvalidFhir`` (an
    ``InvalidCase``) when the input is not FHIR that can be read. With ``strict``, each resource is also
    validated in full with ``fhir.resources`` (slower; the default checks the elements it reads).
    """
    listed = list(resources)
    return _import(listed, "resource", strict, [None] * len(listed))


def _parse(source: Mapping[str, Any] | str | bytes | Path) -> Any:
    if isinstance(source, str) and not source.lstrip().startswith("{") and len(source) < 4096:
        source = Path(source)
    if isinstance(source, Path):
        try:
            with source.open("rb") as f:
                source = f.read(DEFAULT_LIMITS.max_bytes + 1)
        except OSError as exc:
            raise InvalidFhir(f"cannot read the bundle file {str(source)!r}: {exc.strerror or exc}") from None
    if isinstance(source, (str, bytes, bytearray)):
        try:
            check_size(source, DEFAULT_LIMITS.max_bytes, "the bundle")
        except InvalidCase as exc:
            raise InvalidFhir(exc.message) from None
        try:
            return json.loads(source)
        except (ValueError, RecursionError) as exc:
            raise InvalidFhir(f"the bundle is not valid JSON: {exc}") from None
    return source


def _import(resources: list[Any], container: str, strict: bool, urls: list[str | None]) -> FhirImport:
    if len(resources) > DEFAULT_LIMITS.max_events:
        raise InvalidFhir(
            f"the input has more than {DEFAULT_LIMITS.max_events:,} resources, more than a case may have events "
            "(the limit is CaseLimits.max_events)"
        )
    full_urls: dict[str, int] = {}
    for position, url in enumerate(urls):
        if url is not None:
            full_urls.setdefault(url, position)
    context = Context(container, full_urls)
    patients: list[tuple[Patient, Where]] = []
    typed: list[tuple[Mapping[str, Any], Where]] = []
    for position, resource in enumerate(resources):
        if not is_object(resource):
            raise InvalidFhir(f"{container} {position} must be a FHIR resource (a JSON object)")
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or not kind:
            raise InvalidFhir(f"{container} {position} has no resourceType")
        where = Where(position, kind, _id(resource, position, container) or _url_id(urls[position]), container)
        if strict:
            _validate_fully(resource, where)
        if kind == "Patient":
            patients.append((read_patient(resource, where, _url_id(urls[position])), where))
        elif kind == "Medication":
            context.add_medication(resource, where)
        typed.append((resource, where))
    ids = sorted({p.id for p, _ in patients})
    if len(ids) > 1:
        raise InvalidFhir(f"the resources belong to more than one patient (Patient/{', Patient/'.join(ids)})")
    context.set_patient(patients[0][0].id if patients else None, patients[0][1] if patients else None)

    skipped: list[SkippedResource] = []
    findings: list[ImportFinding] = []
    candidates: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    for resource, where in typed:
        if where.resource_id is not None:
            key = (where.resource_type, where.resource_id)
            if key in seen:
                skipped.append(_skip(where, "a second copy of a resource already read (same type and id)"))
                continue
            seen.add(key)
        if where.resource_type in ("Patient", "Medication"):
            if where.resource_type == "Medication":
                skipped.append(_skip(where, "a Medication is read only through the medication records that name it"))
            continue
        outcome = map_resource(resource, where, context)
        if isinstance(outcome, str):
            skipped.append(_skip(where, outcome))
        elif outcome is not None:
            candidates.append(outcome)
    if not context.has_hfs_diagnosis:
        raise NoHfsDiagnosis(
            "no Condition records hemifacial spasm (ICD-10-CM G51.3x, ICD-10 G51.3, SNOMED CT 13753008) "
            "that is not refuted or entered in error"
        )
    findings.extend(context.findings)
    patient = patients[0][0] if patients else context.patient_from_references()
    if patient is None:
        raise InvalidFhir("no Patient resource and no reference to a patient: whose record is this?")
    candidates = context.resolve_injections(candidates, skipped)

    candidates.sort(key=lambda c: (c.event["date"], c.sequence, c.rank, c.position))
    pathway = Pathway(patient)
    kept: dict[str, Candidate] = {}
    for candidate in candidates:
        # Equal facts are one fact recorded twice, unless their sequence says they are two events of one day.
        signature = repr((candidate.sequence, sorted((k, v) for k, v in candidate.event.items() if k != "note")))
        twin = kept.get(signature)
        if twin is not None:
            skipped.append(_skip(candidate.where, f"the same {candidate.event['type']} as {twin.where.label}"))
            continue
        stage = pathway.stage
        try:
            pathway.apply(candidate.event)
        except PathwayError as error:
            skipped.append(_skip(candidate.where, _refusal(candidate, stage, error)))
            finding = _finding(candidate, stage, error)
            if finding is not None:
                findings.append(finding)
            continue
        kept[signature] = candidate
    return FhirImport(pathway.to_case(), tuple(skipped), tuple(findings))


def _url_id(url: str | None) -> str | None:
    """The id a resource without one takes from its entry's fullUrl (``urn:uuid:<id>`` or ``.../<type>/<id>``)."""
    if url is None:
        return None
    return unversioned(url).rsplit(":", 1)[-1].rsplit("/", 1)[-1] or None


def _id(resource: Mapping[str, Any], position: int, container: str) -> str | None:
    value = resource.get("id")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidFhir(f"{container} {position} has an id that is not a string")
    return value


def _skip(where: Where, reason: str) -> SkippedResource:
    return SkippedResource(where.resource_type, where.resource_id, reason)


def _refusal(candidate: Candidate, stage: Stage, error: PathwayError) -> str:
    kind = candidate.event["type"]
    if kind == "presentation" and stage is not Stage.PRESENTATION:
        return "a further record of the diagnosis; the presentation was already read from an earlier one"
    # The core numbers events by their place in the case; here that number means nothing to the reader.
    message = error.message
    if message.startswith("event "):
        message = message.split(": ", 1)[-1]
    return f"not accepted by the pathway at stage {stage.value} ({error.code}): {message}"


def _finding(candidate: Candidate, stage: Stage, error: PathwayError) -> ImportFinding | None:
    kind = candidate.event["type"]
    where = candidate.where
    date = dt.date.fromisoformat(candidate.event["date"])
    if kind == "presentation":
        return None
    if kind in _TREATMENTS and stage in _BEFORE_IMAGING:
        return ImportFinding(
            "treatment_before_imaging",
            Severity.WARNING,
            f"A {kind} dated {date.isoformat()} comes before any brain imaging result on record; the pathway "
            "waits for imaging and left it out. Check whether imaging was done elsewhere, and record its result.",
            where.resource_type,
            where.resource_id,
            date,
        )
    return ImportFinding(
        "record_out_of_pathway",
        Severity.WARNING,
        f"A {kind} dated {date.isoformat()} does not fit the pathway at stage {stage.value} ({error.code}); "
        "it was left out. Check the record.",
        where.resource_type,
        where.resource_id,
        date,
    )


def _validate_fully(resource: Mapping[str, Any], where: Where) -> None:
    from ._models import validate_resource

    problem = validate_resource(resource)
    if problem is not None:
        raise where.error("", f"does not validate as FHIR R4: {problem}")
