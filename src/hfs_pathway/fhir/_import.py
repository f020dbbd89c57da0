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
from hfs_pathway._vocabulary import EventType, Stage

from ._assemble import assemble
from ._context import Candidate, Context, read_patient, unversioned
from ._errors import InvalidFhir, NoHfsDiagnosis
from ._findings import ImportFinding, SkippedResource, finding
from ._map import map_resource
from ._read import Where, is_object, obj, seq, string


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
    patients: list[tuple[Mapping[str, Any], Where]] = []
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
            patients.append((resource, where))
        elif kind == "Medication":
            context.add_medication(resource, where)
        typed.append((resource, where))
    skipped: list[SkippedResource] = []
    findings: list[ImportFinding] = []
    patient, merged = _the_patient(patients, urls, context)
    for where in merged:
        skipped.append(_skip(where, f"the same patient as Patient/{context.patient_id} (merged record, Patient.link)"))

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
        for code, text in where.notes:
            context.findings.append(finding(code, text, where, None))
    if not context.has_hfs_diagnosis:
        raise NoHfsDiagnosis(
            "no Condition records hemifacial spasm (ICD-10-CM G51.3x, ICD-10 G51.3, SNOMED CT 13753008) "
            "that is not refuted or entered in error"
        )
    if patient is None:
        patient = context.patient_from_references()
    if patient is None:
        raise InvalidFhir("no Patient resource and no reference to a patient: whose record is this?")
    candidates = assemble(candidates, context, skipped)
    findings.extend(context.findings)

    candidates.sort(key=lambda c: (c.event["date"], c.sequence, c.rank, c.where.reference, c.position))
    pathway = Pathway(patient)
    kept: dict[str, Candidate] = {}
    for candidate in candidates:
        # Equal facts are one fact recorded twice, unless their sequence says they are two events of one day.
        facts = sorted((k, v) for k, v in candidate.event.items() if k not in ("note", "source"))
        signature = repr((candidate.sequence, facts))
        twin = kept.get(signature)
        if twin is not None:
            skipped.append(_skip(candidate.where, f"the same {candidate.event['type']} as {twin.where.label}"))
            continue
        stage = pathway.stage
        for inferred in _implied(candidate, pathway, kept.values()):
            try:
                pathway.apply(inferred.event)
            except PathwayError:
                continue
            findings.append(_inference_finding(inferred))
        stage = pathway.stage
        try:
            pathway.apply(candidate.event)
        except PathwayError as error:
            skipped.append(_skip(candidate.where, _refusal(candidate, stage, error)))
            refusal = _finding(candidate, stage, error)
            if refusal is not None:
                findings.append(refusal)
            continue
        kept[signature] = candidate
    return FhirImport(pathway.to_case(), tuple(skipped), tuple(findings))


_STARTED_BY = {
    EventType.BOTOX_INJECTION: ("botulinum_toxin", Stage.BOTULINUM_TOXIN),
    EventType.MEDICATION_STARTED: ("oral_medication", Stage.ORAL_MEDICATION),
}
_DECIDED_IN = frozenset(
    {Stage.TREATMENT_SELECTION, Stage.OBSERVATION, Stage.ORAL_MEDICATION, Stage.BOTULINUM_TOXIN, Stage.WANING_RESPONSE}
)
_MVD_BY_REFERRAL = frozenset({Stage.MVD_REFERRAL, Stage.POST_MVD})


def _implied(candidate: Candidate, pathway: Pathway, kept: Any) -> list[Candidate]:
    """What the record implies before ``candidate``: a course of toxin or a drug on record with no decision that
    started it implies the decision, on the day of the first injection or the start (marked inferred). An MVD on
    record outside the referral stage is an operation outside the pathway's checkpoint (R2.13)."""
    event = candidate.event
    kind = event["type"]
    if kind == EventType.MVD_PERFORMED and pathway.stage not in _MVD_BY_REFERRAL:
        event.setdefault("outside_pathway", True)
        return []
    started = _STARTED_BY.get(kind)
    if started is None or pathway.stage not in _DECIDED_IN or pathway.stage is started[1]:
        return []
    decision = {
        "type": "treatment_decision",
        "date": event["date"],
        "option": started[0],
        "shared_decision": False,
        "note": f"Inferred: {candidate.where.reference} records this treatment; no decision is on record.",
        "source": {"system": "fhir", "reference": candidate.where.reference, "inferred": True},
    }
    return [candidate._replace(event=decision)]


def _inference_finding(inferred: Candidate) -> ImportFinding:
    event = inferred.event
    return finding(
        "decision_inferred",
        f"No treatment decision is on record before {inferred.where.reference} ({event['date']}); a decision for "
        f"{event['option'].replace('_', ' ')} is inferred on that day (source marked inferred). Record the decision "
        "and whether it was shared with the patient.",
        inferred.where,
        dt.date.fromisoformat(event["date"]),
    )


def _the_patient(
    patients: list[tuple[Mapping[str, Any], Where]], urls: list[str | None], context: Context
) -> tuple[Patient | None, list[Where]]:
    """The patient of the record, and the Patient resources merged into it. Several Patient resources are one person
    only when ``Patient.link`` says so (``replaces`` / ``replaced-by``, as a ``$everything`` of a merged record
    returns them); the survivor is the one no other replaced."""
    if not patients:
        context.set_patient(None, None)
        return None, []
    ids = {where.resource_id for _, where in patients}
    replaced: set[str] = set()
    linked: dict[str, set[str]] = {pid: set() for pid in ids if pid is not None}
    for resource, where in patients:
        for i, link in enumerate(seq(resource, "link", where)):
            if not is_object(link):
                raise where.error(f"link[{i}]", "must be an object")
            other = obj(link, "other", where, f"link[{i}].")
            reference = string(other, "reference", where, f"link[{i}].other.") if other is not None else None
            kind = string(link, "type", where, f"link[{i}].")
            if reference is None or kind not in ("replaces", "replaced-by"):
                continue
            target = unversioned(reference).rsplit("/", 1)[-1]
            if where.resource_id is None or target not in linked:
                continue
            linked[where.resource_id].add(target)
            linked[target].add(where.resource_id)
            replaced.add(target if kind == "replaces" else where.resource_id)
    survivors = [(r, w) for r, w in patients if w.resource_id not in replaced]
    people = {w.resource_id for _, w in survivors}
    if len(people) != 1 or any(pid is not None and not _connected(pid, linked) for pid in ids):
        names = sorted(str(pid) for pid in ids)
        raise InvalidFhir(f"the resources belong to more than one patient (Patient/{', Patient/'.join(names)})")
    survivor, at = survivors[0]
    patient = read_patient(survivor, at, _url_id(urls[at.position]))
    context.set_patient(patient.id, at)
    merged = [w for _, w in patients if w.resource_id != at.resource_id]
    for twin in merged:  # their resources belong to the patient too
        if twin.resource_id is not None:
            context.patient_keys.add(f"Patient/{twin.resource_id}")
        context.patient_keys.update(url for url, p in context.full_urls.items() if p == twin.position)
    context.birth_date = patient.birth_date
    return patient, merged


def _connected(pid: str, linked: dict[str, set[str]]) -> bool:
    """Whether ``pid`` is linked to every other patient id (directly or through others)."""
    seen, todo = {pid}, [pid]
    while todo:
        for other in linked[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen == set(linked)


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
    if stage is Stage.PRESENTATION and kind in _TREATMENTS:
        return "dated before the hemifacial spasm presentation: a treatment for another reason, not this pathway's"
    # The core numbers events by their place in the case; here that number means nothing to the reader.
    message = error.message
    if message.startswith("event "):
        message = message.split(": ", 1)[-1]
    return f"not accepted by the pathway at stage {stage.value} ({error.code}): {message}"


def _finding(candidate: Candidate, stage: Stage, error: PathwayError) -> ImportFinding | None:
    kind = candidate.event["type"]
    where = candidate.where
    date = dt.date.fromisoformat(candidate.event["date"])
    if kind == "presentation" or (stage is Stage.PRESENTATION and kind in _TREATMENTS):
        return None  # before the diagnosis: another indication, nothing to check for this pathway
    if kind in _TREATMENTS and stage in _BEFORE_IMAGING:
        return finding(
            "treatment_before_imaging",
            f"A {kind} dated {date.isoformat()} comes before any brain imaging result on record; the pathway "
            "waits for imaging and left it out. Check whether imaging was done elsewhere, and record its result.",
            where,
            date,
        )
    return finding(
        "record_out_of_pathway",
        f"A {kind} dated {date.isoformat()} does not fit the pathway at stage {stage.value} ({error.code}); "
        "it was left out. Check the record.",
        where,
        date,
    )


def _validate_fully(resource: Mapping[str, Any], where: Where) -> None:
    from ._models import validate_resource

    problem = validate_resource(resource)
    if problem is not None:
        raise where.error("", f"does not validate as FHIR R4: {problem}")
