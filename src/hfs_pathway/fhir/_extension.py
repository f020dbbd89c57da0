"""The ``pathway-event`` extension: an event's facts that no standard element carries.

A complex extension (url ``EVENT_EXTENSION``) whose sub-extensions are named after the event's fields
(``onset_region``, ``benefit_duration_days``...), each with the value type of the field: ``valueBoolean``,
``valueInteger``, ``valueDecimal``, ``valueCode``, ``valueDate``, ``valueString`` (``valueMarkdown`` for free text with
white space a FHIR string cannot hold); a list repeats the
sub-extension; a complication is a sub-extension with its own ``type`` and ``permanent``. A field recorded as
``null`` where its default is not (an examination finding not examined) is a sub-extension holding only a
``data-absent-reason`` extension (``not-performed``), read back as ``null``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ._codes import EVENT_EXTENSION
from ._read import Where, fhir_string, is_object, seq

LIST_FIELDS = frozenset({("botox_response", "adverse_effects"), ("post_mvd_review", "complications")})
"""(event type, field) of the fields that hold a list."""
_VALUE_KEYS = ("valueBoolean", "valueInteger", "valueDecimal", "valueCode", "valueDate", "valueString", "valueMarkdown")
_FREE_TEXT = frozenset({"note", "override_reason", "system", "reference"})
_RESERVED = frozenset({"type", "date"})
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
_NOT_EXAMINED = {"url": DATA_ABSENT_REASON, "valueCode": "not-performed"}
"""An event's type and date come from the resource's code and date elements, never from the extension."""


def read_facts(resource: Mapping[str, Any], where: Where) -> dict[str, Any]:
    """The fields held in the resource's ``pathway-event`` extension (empty without one); a repeated field is a
    list (``as_lists`` makes a single value of a list field a list too)."""
    facts: dict[str, Any] = {}
    for i, extension in enumerate(seq(resource, "extension", where)):
        if not is_object(extension):
            raise where.error(f"extension[{i}]", "must be an Extension object")
        if extension.get("url") != EVENT_EXTENSION:
            continue
        for j, part in enumerate(seq(extension, "extension", where, f"extension[{i}].")):
            path = f"extension[{i}].extension[{j}]"
            name, value = _part(part, where, path)
            if name in _RESERVED:
                raise where.error(path, f"{name!r} is not a field the pathway-event extension carries")
            if name in facts:  # a repeated sub-extension: a list
                held = facts[name]
                facts[name] = [*held, value] if isinstance(held, list) else [held, value]
            else:
                facts[name] = value
    return facts


def _part(part: Any, where: Where, path: str) -> tuple[str, Any]:
    if not is_object(part) or not isinstance(part.get("url"), str):
        raise where.error(path, "must be an Extension object with a url")
    name: str = part["url"]
    if part.get("extension") == [_NOT_EXAMINED]:
        return name, None
    if "extension" in part:
        nested = {}
        for k, inner in enumerate(seq(part, "extension", where, path + ".")):
            key, value = _part(inner, where, f"{path}.extension[{k}]")
            nested[key] = value
        return name, nested
    for key in _VALUE_KEYS:
        if key in part:
            return name, _typed(part[key], key, where, f"{path}.{key}")
    raise where.error(path, "has no value of a type the pathway-event extension uses")


_TYPE_TESTS = {
    "valueBoolean": lambda v: type(v) is bool,
    "valueInteger": lambda v: type(v) is int,
    "valueDecimal": lambda v: type(v) in (int, float),
    "valueCode": lambda v: type(v) is str and v != "" and v.strip() == v,
    "valueDate": lambda v: type(v) is str,
    "valueString": lambda v: type(v) is str,
    "valueMarkdown": lambda v: type(v) is str,
}


def _typed(value: Any, key: str, where: Where, path: str) -> Any:
    if not _TYPE_TESTS[key](value):
        raise where.error(path, f"is not a valid {key[5:]}")
    return value


def fact_extension(facts: Mapping[str, Any]) -> dict[str, Any] | None:
    """The extension element for ``facts`` (field name to JSON value), or ``None`` when there is nothing to carry."""
    parts: list[dict[str, Any]] = []
    for name, value in facts.items():
        values = value if isinstance(value, list) else [value]
        parts.extend(_element(name, v) for v in values)
    if not parts:
        return None
    return {"url": EVENT_EXTENSION, "extension": parts}


def _element(name: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {"url": name, "extension": [dict(_NOT_EXAMINED)]}
    if is_object(value):
        return {"url": name, "extension": [_element(k, v) for k, v in value.items()]}
    if isinstance(value, bool):
        return {"url": name, "valueBoolean": value}
    if isinstance(value, int):
        return {"url": name, "valueInteger": value}
    if isinstance(value, float):
        return {"url": name, "valueDecimal": value}
    if isinstance(value, dt.date):
        return {"url": name, "valueDate": value.isoformat()}
    if name.endswith("_date"):
        return {"url": name, "valueDate": value}
    if name in _FREE_TEXT:
        # FHIR's string allows no other white space than space, tab and line breaks; markdown takes any text.
        return {"url": name, ("valueString" if fhir_string(value) else "valueMarkdown"): value}
    return {"url": name, "valueCode": value}


def as_lists(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` with a single value of a list field (``LIST_FIELDS``) wrapped in a list."""
    for kind, name in LIST_FIELDS:
        if event.get("type") == kind and name in event and not isinstance(event[name], list):
            event[name] = [event[name]]
    return event
