"""Readers of the clinical resources coded the standard way: the diagnosis and red-flag findings (Condition,
Observation), brain imaging (DiagnosticReport, ImagingStudy, imaging Procedure) and the operation and the toxin
injection procedure (Procedure).

A reader returns a candidate event (a dict), the reason the resource gives none (a string), or ``None`` when the
resource only adds to what the import gathers (a red-flag finding, placed once the presentation's date is known).
Facts the standard codes do not carry come from the ``pathway-event`` extension when present (``facts``); a fact
the record does not give is left out or written as ``null``, never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from hfs_pathway._events import EVENT_MODELS, EXAMINATION_FINDINGS
from hfs_pathway._vocabulary import Side

from ._codes import (
    CONDITION_VERIFICATION,
    CT_CODES_ALL,
    DICOM,
    DICOM_MODALITY,
    EVENT_FIELD_SYSTEM,
    EVENT_TYPE_SYSTEM,
    HFS_CODES,
    HFS_ICD10CM_SIDE,
    ICD10CM,
    IMAGING_CONTRAST,
    MRI_CODES_ALL,
    MVD_CODES,
    RED_FLAG_SNOMED,
    SIDE_SNOMED,
    SNOMED,
    TOXIN_PROCEDURE_CODES,
    value_system,
)
from ._context import OBSERVATION_VALUE, Context, RedFlagFact, concepts, dated, text_of
from ._read import Where, codings, concept, date_of, first_date, is_object, obj, quantity, seq

NULLABLE_FINDINGS = EXAMINATION_FINDINGS
"""Presentation findings a record may leave unsaid: ``null`` (not examined or not documented), never ``false``."""
NOT_OBSERVATIONS = frozenset(
    {"presentation", "imaging_result", "medication_started", "botox_injection", "mvd_performed"}
)
"""Events recorded as their own resource type (Condition, DiagnosticReport, ...); every other event is an Observation
coded with the event type (new event types included)."""
IMAGING_SOURCE_RANK = {"DiagnosticReport": 0, "ImagingStudy": 1, "Procedure": 2}
"""Which record of one study speaks for it: the report (it has the finding), then the study, then the procedure."""
_REFUTED = frozenset({"refuted"})
_UNCERTAIN = frozenset({"unconfirmed", "provisional", "differential"})


def condition(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    verification = [c for s, c in concept(resource, "verificationStatus", where) if s == CONDITION_VERIFICATION]
    if "entered-in-error" in verification:
        return "entered in error"
    codes = concept(resource, "code", where)
    flag = _red_flag_field(codes)
    if flag is not None:
        return _red_flag_condition(resource, where, context, flag, bool(_REFUTED & set(verification)))
    hfs = [(s, c) for s, c in codes if (s, c) in HFS_CODES]
    if not hfs:
        return "the Condition is not hemifacial spasm or a red-flag finding the pathway reads (by its code)"
    event: dict[str, Any] = {"type": "presentation", **facts}
    if _REFUTED & set(verification) and "clinical_impression" not in event:
        return "the diagnosis is refuted, and no other clinical impression is recorded"
    context.has_hfs_diagnosis = True
    side = _side(resource, where, hfs, context)
    if side is not None:
        event.setdefault("side", side.value)
    if "clinical_impression" not in event:
        uncertain = bool(_UNCERTAIN & set(verification))
        event["clinical_impression"] = "uncertain" if uncertain else "hemifacial_spasm"
    onset = _onset(resource, where, context)
    if onset is not None and "symptom_onset_date" not in event:
        event["symptom_onset_date"] = onset.isoformat()
    day = first_date(resource, ("recordedDate",), where)
    if isinstance(day, str):
        fallback = first_date(resource, ("onsetDateTime", "onsetPeriod"), where)
        if isinstance(fallback, str):
            return f"{day}: the date of the presentation is unknown"
        where.notes.append(
            (
                "presentation_date_from_onset",
                f"The hemifacial spasm diagnosis has no recorded date; the presentation is dated from its onset "
                f"({fallback.isoformat()}).",
            )
        )
        day = fallback
    event["date"] = day.isoformat()
    return event


def _side(resource: Mapping[str, Any], where: Where, hfs: list[tuple[str, str]], context: Context) -> Side | None:
    """The side this record names (its ICD-10-CM code, else a SNOMED CT laterality body site); every side named is
    also kept in ``context.sides``, so that records that disagree are reported rather than one chosen."""
    named: list[Side] = [side for s, c in hfs if s == ICD10CM and (side := HFS_ICD10CM_SIDE[c]) is not None]
    for i, site in enumerate(seq(resource, "bodySite", where)):
        if not is_object(site):
            raise where.error(f"bodySite[{i}]", "must be a CodeableConcept object")
        coded = codings(site, where, f"bodySite[{i}]")
        named.extend(SIDE_SNOMED[code] for system, code in coded if system == SNOMED and code in SIDE_SNOMED)
    context.sides.extend((side, where) for side in named)
    distinct = set(named)
    return named[0] if len(distinct) == 1 else None


def _onset(resource: Mapping[str, Any], where: Where, context: Context) -> dt.date | None:
    """The symptom onset: ``onsetDateTime``, ``onsetPeriod.start``, or ``onsetAge`` in years from the birth date."""
    day = first_date(resource, ("onsetDateTime", "onsetPeriod"), where)
    if isinstance(day, dt.date):
        return day
    age = obj(resource, "onsetAge", where)
    if age is None or context.birth_date is None:
        return None
    amount = quantity(age, where, "onsetAge")
    if amount is None or amount[1] != "a" or amount[0] < 0 or not float(amount[0]).is_integer():
        return None  # only whole years ("a" in UCUM) give a day without guessing
    born = context.birth_date
    years = born.year + int(amount[0])
    try:
        return born.replace(year=years)
    except ValueError:  # born on 29 February
        return dt.date(years, 3, 1)


def _red_flag_field(codes: list[tuple[str, str]]) -> str | None:
    return next((RED_FLAG_SNOMED[c] for s, c in codes if s == SNOMED and c in RED_FLAG_SNOMED), None)


def _red_flag_condition(
    resource: Mapping[str, Any], where: Where, context: Context, field: str, refuted: bool
) -> str | None:
    day = first_date(resource, ("onsetDateTime", "onsetPeriod", "recordedDate"), where)
    if isinstance(day, str):
        return f"{day}: the date of the finding is unknown"
    context.red_flags.append(RedFlagFact(field, not refuted, day, where))
    return None


def observation(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    codes = concept(resource, "code", where)
    kinds = [c for s, c in codes if s == EVENT_TYPE_SYSTEM]
    if not kinds:
        field = _red_flag_field(codes)
        if field is None:
            return "the observation is not one the pathway reads (by its code)"
        day = first_date(resource, ("effectiveDateTime", "effectivePeriod", "effectiveInstant"), where)
        if isinstance(day, str):
            return f"{day}: the date of the finding is unknown"
        present = resource.get("valueBoolean")
        if present is not None and not isinstance(present, bool):
            raise where.error("valueBoolean", "must be true or false")
        context.red_flags.append(RedFlagFact(field, present is not False, day, where))
        return None
    kind = kinds[0].replace("-", "_")
    if kind not in EVENT_MODELS or kind in NOT_OBSERVATIONS:
        return f"{kinds[0]!r} is not an event the pathway records as an Observation"
    event: dict[str, Any] = {"type": kind, **facts}
    for field, value in _components(resource, where, kind).items():
        event.setdefault(field, value)  # the extension, when present, says the same or more
    name = OBSERVATION_VALUE.get(kind)
    if name is not None and name not in event:
        value = _observation_value(resource, where, kind, name)
        if value is not None:
            event[name] = value
    return dated(event, first_date(resource, ("effectiveDateTime", "effectivePeriod", "effectiveInstant"), where))


def _components(resource: Mapping[str, Any], where: Where, kind: str) -> dict[str, Any]:
    """The event's other fields from ``Observation.component`` coded in the event-field system (a repeated field is
    a list); components of other systems are not read."""
    found: dict[str, Any] = {}
    for i, component in enumerate(seq(resource, "component", where)):
        if not is_object(component):
            raise where.error(f"component[{i}]", "must be an object")
        names = [c for s, c in concept(component, "code", where) if s == EVENT_FIELD_SYSTEM]
        if not names:
            continue
        name = names[0]
        value = _component_value(component, where, f"component[{i}]", kind, name)
        if value is None:
            continue
        if name in found:
            held = found[name]
            found[name] = [*held, value] if isinstance(held, list) else [held, value]
        else:
            found[name] = value
    return found


def _component_value(component: Mapping[str, Any], where: Where, path: str, kind: str, name: str) -> Any:
    if "valueBoolean" in component:
        if not isinstance(component["valueBoolean"], bool):
            raise where.error(f"{path}.valueBoolean", "must be true or false")
        return component["valueBoolean"]
    if "valueInteger" in component:
        value = component["valueInteger"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.error(f"{path}.valueInteger", "must be an integer")
        return value
    if "valueQuantity" in component:
        amount = quantity(obj(component, "valueQuantity", where, f"{path}."), where, f"{path}.valueQuantity")
        return None if amount is None else amount[0]
    if "valueCodeableConcept" in component:
        system = value_system(kind, name)
        codes = [c for s, c in concept(component, "valueCodeableConcept", where) if s == system]
        return codes[0] if codes else None
    if "valueString" in component:
        return text_of(component, "valueString", where)
    if "valueDateTime" in component:
        day = date_of(component["valueDateTime"], where, f"{path}.valueDateTime")
        return day.isoformat() if isinstance(day, dt.date) else None
    return None


def _observation_value(resource: Mapping[str, Any], where: Where, kind: str, name: str) -> Any:
    if "valueCodeableConcept" in resource:
        system = value_system(kind, name)
        found = [c for s, c in concept(resource, "valueCodeableConcept", where) if s == system]
        return found[0] if found else None
    if "valueBoolean" in resource:
        if not isinstance(resource["valueBoolean"], bool):
            raise where.error("valueBoolean", "must be true or false")
        return resource["valueBoolean"]
    if "valueInteger" in resource:
        value = resource["valueInteger"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.error("valueInteger", "must be an integer")
        return value
    if "valueQuantity" in resource:
        amount = quantity(obj(resource, "valueQuantity", where), where, "valueQuantity")
        if amount is not None and amount[1] == "%":
            return amount[0]
    return None


def _imaging(
    codes: set[tuple[str, str]], facts: dict[str, Any], modalities: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any] | str:
    """An imaging_result without its date and finding, from the study's codes (and DICOM modalities)."""
    event: dict[str, Any] = {"type": "imaging_result", **facts}
    if codes & MRI_CODES_ALL or "mri" in modalities:
        event.setdefault("modality", "mri")
    elif codes & CT_CODES_ALL or "ct" in modalities:
        event.setdefault("modality", "ct")
    else:
        return "not brain MRI or head CT (by its code)"
    said = [IMAGING_CONTRAST[code] for code in codes if code in IMAGING_CONTRAST]
    if said and "contrast" not in event:
        event["contrast"] = any(said)
    return event


def diagnostic_report(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    event = _imaging(set(concept(resource, "code", where)), facts)
    if isinstance(event, str):
        return "the report is " + event
    system = value_system("imaging_result", "finding")
    finding = [c for s, c in concepts(resource, "conclusionCode", where) if s == system]
    if finding and "finding" not in event:
        event["finding"] = finding[0]
    if "finding" not in event:
        event["finding"] = "not_coded"  # R2.2: a study on record whose finding is not coded
    return dated(event, first_date(resource, ("effectiveDateTime", "effectivePeriod", "issued"), where))


def imaging_study(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    status = resource.get("status")
    if status not in ("available", None):
        return f"status {status!r}: the images are not available"
    codes = set(concepts(resource, "procedureCode", where))
    modalities = {DICOM_MODALITY[c] for s, c in _modalities(resource, where) if s == DICOM and c in DICOM_MODALITY}
    event = _imaging(codes, facts, modalities)
    if isinstance(event, str):
        return "the study is " + event
    if not codes & (MRI_CODES_ALL | CT_CODES_ALL) and not _is_head(resource, where):
        return "the study's modality is MR or CT, but nothing says it is of the brain or head"
    event.setdefault("finding", "not_coded")
    return dated(event, first_date(resource, ("started",), where))


def _modalities(resource: Mapping[str, Any], where: Where) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for i, coding in enumerate(seq(resource, "modality", where)):
        if is_object(coding):
            found.extend(codings({"coding": [coding]}, where, f"modality[{i}]"))
    for i, series in enumerate(seq(resource, "series", where)):
        if not is_object(series):
            raise where.error(f"series[{i}]", "must be an object")
        coding = obj(series, "modality", where, f"series[{i}].")
        if coding is not None:
            found.extend(codings({"coding": [coding]}, where, f"series[{i}].modality"))
    return found


_HEAD_SITES = frozenset({"12738006", "69536005", "119235005"})
"""SNOMED CT body structures of a head study: brain structure, head structure, cranial structure."""


def _is_head(resource: Mapping[str, Any], where: Where) -> bool:
    for i, series in enumerate(seq(resource, "series", where)):
        if is_object(series):
            site = obj(series, "bodySite", where, f"series[{i}].")
            if site is not None and any(c in _HEAD_SITES for s, c in codings({"coding": [site]}, where, "bodySite")):
                return True
    return False


def procedure(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    from ._medication import toxin_product

    codes = set(concept(resource, "code", where))
    day = first_date(resource, ("performedDateTime", "performedPeriod"), where)
    if codes & MVD_CODES:
        return dated({"type": "mvd_performed", **facts}, day)
    if codes & TOXIN_PROCEDURE_CODES:
        event: dict[str, Any] = {"type": "botox_injection", **facts}
        product = toxin_product(concepts(resource, "usedCode", where))
        if product is not None:
            event.setdefault("product", product.value)
        missing = [name for name in ("product", "total_units") if name not in event]
        with_day = dated(event, day)
        if isinstance(with_day, str) or not missing:
            return with_day
        with_day["missing"] = " or ".join("dose in units" if m == "total_units" else m for m in missing)
        return with_day
    imaging = _imaging(codes, facts)
    if not isinstance(imaging, str):
        imaging.setdefault("finding", "not_coded")
        return dated(imaging, day)
    return "the procedure is not one the pathway reads (by its code)"
