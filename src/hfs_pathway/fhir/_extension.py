"""The ``pathway-event`` extension: an event's facts that no standard element carries.

A complex extension (url ``EVENT_EXTENSION``) whose sub-extensions are named after the event's fields
(``onset_region``, ``benefit_duration_days``...), each with the value type of the field: ``valueBoolean``,
``valueInteger``, ``valueDecimal``, ``valueCode``, ``valueDate`` or ``valueString``; a list repeats the
sub-extension; a complication is a sub-extension with its own ``type`` and ``permanent``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ._codes import EVENT_EXTENSION
from ._read import Where, seq

LIST_FIELDS = frozenset({"adverse_effects", "complications"})
_VALUE_KEYS = ("valueBoolean", "valueInteger", "valueDecimal", "valueCode", "valueDate", "valueString")
_FREE_TEXT = frozenset({"note", "override_reason"})


def read_facts(resource: Mapping[str, Any], where: Where) -> dict[str, Any]:
    """The fields held in the resource's ``pathway-event`` extension (empty without one)."""
    facts: dict[str, Any] = {}
    for i, extension in enumerate(seq(resource, "extension", where)):
        if not isinstance(extension, Mapping):
            raise where.error(f"extension[{i}]", "must be an Extension object")
        if extension.get("url") != EVENT_EXTENSION:
            continue
        for j, part in enumerate(seq(extension, "extension", where, f"extension[{i}].")):
            path = f"extension[{i}].extension[{j}]"
            name, value = _part(part, where, path)
            if name in LIST_FIELDS:
                facts.setdefault(name, []).append(value)
            else:
                facts[name] = value
    return facts


def _part(part: Any, where: Where, path: str) -> tuple[str, Any]:
    if not isinstance(part, Mapping) or not isinstance(part.get("url"), str):
        raise where.error(path, "must be an Extension object with a url")
    name: str = part["url"]
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


def _typed(value: Any, key: str, where: Where, path: str) -> Any:
    ok = {
        "valueBoolean": isinstance(value, bool),
        "valueInteger": isinstance(value, int) and not isinstance(value, bool),
        "valueDecimal": isinstance(value, (int, float)) and not isinstance(value, bool),
        "valueCode": isinstance(value, str) and value.strip() == value and value != "",
        "valueDate": isinstance(value, str),
        "valueString": isinstance(value, str),
    }[key]
    if not ok:
        raise where.error(path, f"is not a valid {key[5:]}")
    return value


def fact_extension(facts: Mapping[str, Any]) -> dict[str, Any] | None:
    """The extension element for ``facts`` (field name to JSON value), or ``None`` when there is nothing to carry."""
    parts: list[dict[str, Any]] = []
    for name, value in facts.items():
        values = value if name in LIST_FIELDS else [value]
        parts.extend(_element(name, v) for v in values)
    if not parts:
        return None
    return {"url": EVENT_EXTENSION, "extension": parts}


def _element(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {"url": name, "extension": [_element(k, v) for k, v in value.items()]}
    if isinstance(value, bool):
        return {"url": name, "valueBoolean": value}
    if isinstance(value, int):
        return {"url": name, "valueInteger": value}
    if isinstance(value, float):
        return {"url": name, "valueDecimal": value}
    if isinstance(value, dt.date):
        return {"url": name, "valueDate": value.isoformat()}
    if name in _FREE_TEXT or name.endswith("_date"):
        return {"url": name, ("valueDate" if name.endswith("_date") else "valueString"): value}
    return {"url": name, "valueCode": value}
