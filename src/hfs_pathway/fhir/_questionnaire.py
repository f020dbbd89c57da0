"""FHIR SDC Questionnaires for the facts EHRs do not code, generated from the event models.

One Questionnaire per form (``FORMS``): the presentation (onset region, examination), the toxin response (peak and
duration), the treatment decision, the surgical risk assessment, the risk-benefit decision with consent, and the
post-MVD review. Each item is one field of the event (``linkId`` = the field's name), typed from the model's JSON
schema: a choice lists the field's codes (the project's code system of that field), a number carries its bounds
(``minValue``/``maxValue``), a required field is required. A form's canonical URL is
``<namespace>Questionnaire/<event-type>`` and its version is the pathway definition's version, so a response names
exactly the contract it was filled against. ``_responses.py`` reads the responses back as events.
"""

from __future__ import annotations

from typing import Any, Final

from hfs_pathway._events import EVENT_MODELS
from hfs_pathway._hfs import HFS_PATHWAY

from ._codes import NAMESPACE, value_system
from ._narrative import narrative

FORMS: Final = (
    "presentation",
    "botox_response",
    "treatment_decision",
    "surgical_risk_assessment",
    "risk_benefit_decision",
    "post_mvd_review",
)
"""The event types that have a form: the facts of each are rarely coded in EHR records."""
QUESTIONNAIRE_BASE: Final = NAMESPACE + "Questionnaire/"
_NOT_ASKED = frozenset({"type", "source"})
"""``type`` is the form itself; ``source`` is written by the import (the response the event came from)."""
_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
_MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
_TITLES = {
    "presentation": "Hemifacial spasm: presentation (side, onset, examination, history)",
    "botox_response": "Botulinum toxin: response to the latest injection",
    "treatment_decision": "Treatment decision with the patient",
    "surgical_risk_assessment": "Microvascular decompression: surgical risk assessment",
    "risk_benefit_decision": "Microvascular decompression: risk-benefit decision and consent",
    "post_mvd_review": "Review after microvascular decompression",
}


def questionnaire_url(event_type: str) -> str:
    """The canonical URL of the form of ``event_type``."""
    return QUESTIONNAIRE_BASE + event_type.replace("_", "-")


def form_of(canonical: str) -> str | None:
    """The event type whose form ``canonical`` (``url`` or ``url|version``) names, if any."""
    url = canonical.split("|", 1)[0]
    if not url.startswith(QUESTIONNAIRE_BASE):
        return None
    kind = url[len(QUESTIONNAIRE_BASE) :].replace("-", "_")
    return kind if kind in FORMS else None


def questionnaires() -> list[dict[str, Any]]:
    """Every form, as a FHIR R4 Questionnaire (JSON-ready dicts)."""
    return [questionnaire(kind) for kind in FORMS]


def questionnaire(event_type: str) -> dict[str, Any]:
    """The form of one event type as a FHIR R4 Questionnaire."""
    if event_type not in FORMS:
        raise ValueError(f"no form for {event_type!r}; forms: {', '.join(FORMS)}")
    model = EVENT_MODELS[event_type]
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    items = [
        _item(event_type, name, field, name in required, schema.get("$defs", {}))
        for name, field in schema["properties"].items()
        if name not in _NOT_ASKED
    ]
    data: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": event_type.replace("_", "-"),
        "url": questionnaire_url(event_type),
        "version": HFS_PATHWAY.version,
        "name": "".join(part.capitalize() for part in event_type.split("_")),
        "title": _TITLES[event_type],
        "status": "draft",
        "experimental": True,
        "subjectType": ["Patient"],
        "publisher": "hfs-pathway",
        "description": (
            f"Records a {event_type.replace('_', ' ')} event of the hemifacial spasm pathway (contract version "
            f"{HFS_PATHWAY.version}). {model.__doc__ or ''}".strip()
        ),
        "item": items,
    }
    data["text"] = narrative(data)
    return data


_UNITS = {"_percent": " (%)", "_days": " (days)", "_mg_per_day": " (mg per day)"}


def _label(name: str) -> str:
    """A question's text from its field name: ``benefit_duration_days`` -> ``Benefit duration (days)``."""
    unit = next((u for suffix, u in _UNITS.items() if name.endswith(suffix)), "")
    if unit:
        name = name[: -len(next(s for s in _UNITS if name.endswith(s)))]
    words = name.replace("_", " ").replace("botox", "botulinum toxin").replace("mvd", "MVD")
    text = words[:1].upper() + words[1:]
    for plain, proper in _PROPER.items():
        text = text.replace(plain, proper)
    return text + unit


_PROPER = {
    "Hla b1502": "HLA-B*1502",
    "Asa ": "ASA ",
    "Jrs ": "JRS ",
    "Smc ": "SMC ",
    "Hfs7": "HFS-7",
    "babinski": "Babinski",
    "Lsr ": "Lateral spread response ",
    "Csf ": "CSF ",
    "risk benefit": "risk-benefit",
}


def _item(event_type: str, name: str, field: dict[str, Any], required: bool, defs: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": name, "text": _label(name)}
    if name == "date":
        item["text"] = "Date of the " + _label(event_type).lower().replace("mvd", "MVD")
    options = [o for o in field.get("anyOf", [field]) if o.get("type") != "null"]
    kind = options[0] if len(options) == 1 else {**options[0], "type": "number"}
    if "$ref" in kind:
        kind = defs[kind["$ref"].rsplit("/", 1)[1]]
    if kind.get("type") == "array":
        element = kind["items"]
        if "$ref" in element:
            element = defs[element["$ref"].rsplit("/", 1)[1]]
        item["repeats"] = True
        if element.get("type") == "object":
            item["type"] = "group"
            nested = set(element.get("required", ()))
            item["item"] = [
                _item(f"{event_type}_{name}", sub, spec, sub in nested, defs)
                for sub, spec in element["properties"].items()
            ]
            return item
        kind = element
    if "enum" in kind:
        item["type"] = "choice"
        system = value_system(event_type, name)
        item["answerOption"] = [
            {"valueCoding": {"system": system, "code": c, "display": _label(c)}} for c in kind["enum"]
        ]
        # Every option in view, one click each: radio buttons, or check boxes where several may apply.
        control = "check-box" if item.get("repeats") else "radio-button"
        coding = {"system": "http://hl7.org/fhir/questionnaire-item-control", "code": control}
        item["extension"] = [{"url": _ITEM_CONTROL, "valueCodeableConcept": {"coding": [coding]}}]
    elif kind.get("type") == "boolean":
        item["type"] = "boolean"
    elif kind.get("type") == "integer":
        item["type"] = "integer"
        _bounds(item, field, kind, "valueInteger")
    elif kind.get("type") == "number":
        item["type"] = "decimal"
        _bounds(item, field, kind, "valueDecimal")
    elif kind.get("format") == "date":
        item["type"] = "date"
    else:
        item["type"] = "text" if name == "note" else "string"
        if "maxLength" in kind:
            item["maxLength"] = kind["maxLength"]
    if required:
        item["required"] = True
    return item


def _bounds(item: dict[str, Any], field: dict[str, Any], kind: dict[str, Any], value_type: str) -> None:
    low = kind.get("minimum", field.get("ge"))
    high = kind.get("maximum", field.get("le"))
    extensions = []
    if low is not None:
        extensions.append({"url": _MIN_VALUE, value_type: low})
    if high is not None:
        extensions.append({"url": _MAX_VALUE, value_type: high})
    if extensions:
        item["extension"] = extensions
