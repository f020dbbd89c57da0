"""The human-readable narrative (``text``) of each exported resource, built from the resource's own elements, so
that a system that shows only narratives shows what the coded data say."""

from __future__ import annotations

from html import escape
from typing import Any

_DATES = (
    "recordedDate",
    "effectiveDateTime",
    "performedDateTime",
    "authoredOn",
    "identifiedDateTime",
    "occurrenceDateTime",
    "created",
    "recorded",
    "date",
)
_TEXTS = ("title", "description", "detail", "mitigation")


def narrative(resource: dict[str, Any]) -> dict[str, str]:
    """A generated narrative: the resource type, what it is (code text or display), its date and its main text."""
    kind = resource["resourceType"]
    parts = [f"<b>{escape(_words(kind))}</b>"]
    what = _what(resource)
    if what:
        parts.append(escape(what))
    day = next((resource[k] for k in _DATES if isinstance(resource.get(k), str)), None)
    if day is None and isinstance(resource.get("effectivePeriod"), dict):
        day = resource["effectivePeriod"].get("start")
    if day:
        parts.append(f"date {escape(str(day))}")
    texts = [escape(str(resource[k])) for k in _TEXTS if isinstance(resource.get(k), str)]
    body = ": ".join(parts[:2]) + (f" ({parts[2]})" if len(parts) > 2 else "")
    if texts:
        body += ". " + " ".join(texts)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{body}</p></div>'}


def _words(kind: str) -> str:
    return "".join(f" {c}" if c.isupper() and i else c for i, c in enumerate(kind))


def _what(resource: dict[str, Any]) -> str | None:
    for key in ("code", "medicationCodeableConcept", "type"):
        concept = resource.get(key)
        if isinstance(concept, dict):
            if isinstance(concept.get("text"), str):
                return str(concept["text"])
            for coding in concept.get("coding", []):
                if isinstance(coding, dict) and (coding.get("display") or coding.get("code")):
                    return str(coding.get("display") or coding.get("code"))
    if resource["resourceType"] == "Patient":
        return f"patient {resource.get('id', '')}".strip()
    return None
