"""The orders an ``order-select`` call is about: which selected draft orders are botulinum toxin or an
MVD referral, and when a toxin order is meant to be given."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from ._sources import BadRequest

OrderKind = Literal["toxin", "mvd_referral"]

_TOXIN = re.compile(
    r"botulinum|botox|dysport|xeomin|myobloc|neurobloc|(ona|abo|inco|rima)botulinumtoxin", re.IGNORECASE
)
_MVD = re.compile(r"microvascular decompression|\bMVD\b|neurovascular decompression", re.IGNORECASE)


def _mapping_codes() -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    """The FHIR mapping's codes for botulinum toxin (ATC, HCPCS product codes, injection procedures) and
    for the MVD referral, so that an order coded as the mapping codes it is recognised by code."""
    from hfs_pathway.fhir import _codes as codes

    toxin = {(codes.ATC, codes.TOXIN_ATC), *codes.TOXIN_PROCEDURE_CODES}
    toxin |= {(codes.HCPCS, code) for code in codes.TOXIN_HCPCS.values()}
    return frozenset(toxin), frozenset(codes.MVD_CODES)


TOXIN_CODES, MVD_CODES = _mapping_codes()
"""Codings recognised by code; other orders are recognised by their display or text."""


class SelectedOrder(NamedTuple):
    kind: OrderKind
    reference: str
    planned: dt.date | None


def _concepts(resource: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("medicationCodeableConcept", "code"):
        value = resource.get(key)
        if isinstance(value, Mapping):
            yield value
            concept = value.get("concept")  # R5 CodeableReference
            if isinstance(concept, Mapping):
                yield concept
    medication = resource.get("medication")
    if isinstance(medication, Mapping) and isinstance(medication.get("concept"), Mapping):
        yield medication["concept"]


def _items(value: Any) -> list[Any]:
    """A FHIR list element as a list; anything else (a draft order is the client's, not validated) as none."""
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _words(concept: Mapping[str, Any]) -> Iterator[str]:
    if isinstance(concept.get("text"), str):
        yield concept["text"]
    for coding in _items(concept.get("coding")):
        if isinstance(coding, Mapping) and isinstance(coding.get("display"), str):
            yield coding["display"]


def _codes(concept: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for coding in _items(concept.get("coding")):
        if isinstance(coding, Mapping):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                yield system, code


def classify(resource: Mapping[str, Any]) -> OrderKind | None:
    """``toxin`` or ``mvd_referral`` for a draft order the service checks, else None."""
    kind = resource.get("resourceType")
    concepts = list(_concepts(resource))
    codes = {c for concept in concepts for c in _codes(concept)}
    text = " ".join(w for concept in concepts for w in _words(concept))
    if kind in ("MedicationRequest", "ServiceRequest", "Procedure", "MedicationAdministration") and (
        codes & TOXIN_CODES or _TOXIN.search(text)
    ):
        return "toxin"
    if kind == "ServiceRequest" and (codes & MVD_CODES or _MVD.search(text)):
        return "mvd_referral"
    return None


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def planned_date(resource: Mapping[str, Any]) -> dt.date | None:
    """When an order is meant to be carried out, as far as it says."""
    candidates: list[Any] = [
        resource.get("occurrenceDateTime"),
        _mapping(resource.get("occurrencePeriod")).get("start"),
    ]
    for dosage in _items(resource.get("dosageInstruction")):
        timing = _mapping(_mapping(dosage).get("timing"))
        candidates.extend(_items(timing.get("event")))
        candidates.append(_mapping(_mapping(timing.get("repeat")).get("boundsPeriod")).get("start"))
    candidates.append(_mapping(_mapping(resource.get("dispenseRequest")).get("validityPeriod")).get("start"))
    dates = [d for d in map(_date, candidates) if d is not None]
    return min(dates) if dates else None


def selected_orders(selections: Sequence[str], drafts: Mapping[str, Any]) -> list[SelectedOrder]:
    """The selected draft orders (``context.selections`` among ``context.draftOrders``) that are toxin or
    an MVD referral."""
    if drafts.get("resourceType") != "Bundle":
        raise BadRequest("context.draftOrders must be a FHIR Bundle")
    entries = drafts.get("entry") or []
    if not isinstance(entries, list):
        raise BadRequest("context.draftOrders.entry must be a list")
    wanted = set(selections)
    found: list[SelectedOrder] = []
    present: set[str] = set()
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            raise BadRequest(f"context.draftOrders.entry[{i}] has no resource")
        reference = f"{resource.get('resourceType')}/{resource.get('id')}"
        present.add(reference)
        if reference not in wanted:
            continue
        kind = classify(resource)
        if kind is not None:
            found.append(SelectedOrder(kind, reference, planned_date(resource)))
    for i, selection in enumerate(selections):
        if selection not in present:
            shown = selection if len(selection) <= 80 else selection[:77] + "..."
            raise BadRequest(
                f"context.selections[{i}] ({shown!r}) is not an order in context.draftOrders (selections name "
                "draft orders as ResourceType/id)"
            )
    return found


def proposals(orders: Sequence[Mapping[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """Proposed orders as a card's create actions: without an id (the EHR assigns one when it creates the
    resource; a fixed id would clash with, or overwrite, the last proposal) and never for a date already
    past (an overdue step is proposed for ``today``)."""
    ready: list[dict[str, Any]] = []
    for order in orders:
        proposal = {k: v for k, v in order.items() if k != "id"}
        when = _date(proposal.get("occurrenceDateTime"))
        if when is not None and when < today:
            proposal["occurrenceDateTime"] = today.isoformat()
        ready.append(proposal)
    return ready
