"""Readers for the few FHIR elements the importer uses, each checked against its FHIR datatype.

The importer works on plain parsed JSON, not on ``fhir.resources`` models: building a full model per
incoming resource costs a fraction of a millisecond each, and a CDS request holds dozens. Instead,
every element that is read is checked here against the rules of its datatype (a ``date`` matches the
FHIR date grammar, a ``CodeableConcept`` is an object whose ``coding`` is a list of objects with string
``system`` and ``code``, a ``Quantity.value`` is a number...). A wrong type or form is an
``InvalidFhir`` naming the resource and the element. Elements that are not read cannot change a fact
and are not checked (``import_resources(..., strict=True)`` validates whole resources with
``fhir.resources`` too).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ._errors import InvalidFhir

_DATE = re.compile(
    r"(?P<y>[0-9]{4})(-(?P<m>[0-9]{2})(-(?P<d>[0-9]{2})"
    r"(?P<time>T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)


_FHIR_STRING = re.compile(r"[ \r\n\t\S]+")


def fhir_string(text: str) -> bool:
    """Whether ``text`` can be a FHIR ``string`` (non-empty; no white space but space, tab and line breaks)."""
    return _FHIR_STRING.fullmatch(text) is not None


def is_object(value: Any) -> bool:
    """A JSON object: a ``dict`` (what ``json.loads`` gives) or any other mapping."""
    return type(value) is dict or isinstance(value, Mapping)


class Where:
    """Where a resource came from, for messages: ``entry 3 (Observation/abc)``."""

    __slots__ = ("label", "notes", "position", "resource_id", "resource_type")

    def __init__(self, position: int, resource_type: str, resource_id: str | None, container: str) -> None:
        self.position = position
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.label = f"{container} {position} ({resource_type}/{resource_id or '?'})"
        self.notes: list[tuple[str, str]] = []
        """(code, text) of what was read with a caveat, for the import's findings."""

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.resource_id or '?'}"

    def error(self, path: str, problem: str) -> InvalidFhir:
        return InvalidFhir(f"{self.label} {path}: {problem}")


def obj(resource: Mapping[str, Any], key: str, where: Where, path: str = "") -> Mapping[str, Any] | None:
    value = resource.get(key)
    if value is None:
        return None
    if not is_object(value):
        raise where.error(path + key, "must be a JSON object")
    found: Mapping[str, Any] = value
    return found


def seq(resource: Mapping[str, Any], key: str, where: Where, path: str = "") -> list[Any]:
    value = resource.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise where.error(path + key, "must be a JSON array")
    return value


def string(resource: Mapping[str, Any], key: str, where: Where, path: str = "") -> str | None:
    value = resource.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise where.error(path + key, "must be a non-empty string")
    return value


def codings(concept: Mapping[str, Any] | None, where: Where, path: str) -> list[tuple[str, str]]:
    """The (system, code) pairs of a CodeableConcept; a coding without system or code is left out."""
    if concept is None:
        return []
    found = []
    for i, coding in enumerate(seq(concept, "coding", where, path + ".")):
        if not is_object(coding):
            raise where.error(f"{path}.coding[{i}]", "must be a Coding object")
        system = string(coding, "system", where, f"{path}.coding[{i}].")
        code = string(coding, "code", where, f"{path}.coding[{i}].")
        if system is not None and code is not None:
            found.append((system, code.strip()))
    return found


def concept(resource: Mapping[str, Any], key: str, where: Where) -> list[tuple[str, str]]:
    return codings(obj(resource, key, where), where, key)


def date_of(value: Any, where: Where, path: str) -> dt.date | str:
    """The calendar date of a FHIR ``date``/``dateTime`` (the local date as written), or a reason why there is
    none (a year or month alone). Anything that is not a FHIR date is an error."""
    if not isinstance(value, str):
        raise where.error(path, "must be a FHIR date or dateTime string")
    match = _DATE.fullmatch(value)
    if match is None:
        raise where.error(path, f"{value!r} is not a FHIR date or dateTime")
    if match.group("d") is None:
        return f"{path} {value!r} gives no day"
    if match.group("time") is not None and match.group("zone") is None:
        # FHIR requires a zone with a time; without one the day as written is kept, and the reader is told.
        where.notes.append(
            (
                "datetime_without_zone",
                f"{path} {value!r} has a time but no time zone (FHIR requires one); its day was read as written.",
            )
        )
    try:
        return dt.date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    except ValueError:
        raise where.error(path, f"{value!r} is not a calendar date") from None


def first_date(resource: Mapping[str, Any], keys: tuple[str, ...], where: Where) -> dt.date | str:
    """The date of the first of ``keys`` present (a ``...Period`` key reads its ``start``), or why there is none."""
    for key in keys:
        if key.endswith("Period"):
            period = obj(resource, key, where)
            if period is None:
                continue
            if period.get("start") is None:
                return f"{key} has no start"
            return date_of(period["start"], where, f"{key}.start")
        if resource.get(key) is not None:
            return date_of(resource[key], where, key)
    return f"no date ({' or '.join(keys)})"


def quantity(value: Mapping[str, Any] | None, where: Where, path: str) -> tuple[float | int, str | None] | None:
    """A Quantity's value and its unit (the UCUM code, else the unit text); ``None`` without a value, or when a
    comparator makes the value a bound rather than the amount."""
    if value is None:
        return None
    if not is_object(value):
        raise where.error(path, "must be a Quantity object")
    number = value.get("value")
    if number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise where.error(path + ".value", "must be a number")
    if value.get("comparator") is not None:
        return None  # "<", "<=", ">=", ">" or "ad": a bound, not the amount
    code = string(value, "code", where, path + ".")
    unit = string(value, "unit", where, path + ".")
    return number, (code or unit)


def annotation_text(resource: Mapping[str, Any], where: Where, key: str = "note") -> str | None:
    """The texts of a resource's Annotations, joined; ``None`` when there are none."""
    texts = []
    for i, note in enumerate(seq(resource, key, where)):
        if not is_object(note):
            raise where.error(f"{key}[{i}]", "must be an Annotation object")
        text = note.get("text")
        if not isinstance(text, str):
            raise where.error(f"{key}[{i}].text", "must be a string")
        texts.append(text)
    return "\n\n".join(texts) if texts else None
