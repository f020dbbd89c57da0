"""A QuestionnaireResponse of one of the pathway's forms (``_questionnaire.py``) read as the event it records.

Each answered item gives the field its ``linkId`` names; an item left unanswered gives nothing (for an examination
finding of the presentation that is ``null``: not documented, never ``false``). The event's date is the form's
``date`` answer, else the day the response was authored. A response to an unknown form, or not completed, gives no
event, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfs_pathway._events import EVENT_MODELS

from ._context import Context, dated
from ._questionnaire import form_of
from ._read import Where, date_of, first_date, is_object, seq, string

_DONE = frozenset({"completed", "amended"})
_VALUE_KEYS = ("valueBoolean", "valueInteger", "valueDecimal", "valueDate", "valueString", "valueCoding")


def questionnaire_response(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    canonical = string(resource, "questionnaire", where)
    kind = form_of(canonical) if canonical is not None else None
    if kind is None:
        return f"a response to {canonical or 'no questionnaire'}, not one of the pathway's forms"
    status = string(resource, "status", where)
    if status not in _DONE:
        return f"status {status!r}: the form was not completed"
    event: dict[str, Any] = {"type": kind, **facts}
    event.update(_answers(seq(resource, "item", where), where, "item", kind))
    if kind == "presentation" and event.get("clinical_impression") in ("hemifacial_spasm", "uncertain"):
        context.has_hfs_diagnosis = True
    day = event.pop("date", None)
    if day is not None:
        return dated(event, date_of(day, where, "item[date].answer.valueDate"))
    return dated(event, first_date(resource, ("authored",), where))


def _answers(items: list[Any], where: Where, path: str, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    model = EVENT_MODELS[kind]
    for i, item in enumerate(items):
        if not is_object(item):
            raise where.error(f"{path}[{i}]", "must be an object")
        name = string(item, "linkId", where, f"{path}[{i}].")
        if name is None:
            raise where.error(f"{path}[{i}].linkId", "is missing")
        nested = seq(item, "item", where, f"{path}[{i}].")
        answers = seq(item, "answer", where, f"{path}[{i}].")
        if nested and not answers:  # a repeated group (a complication): one object per occurrence
            found.setdefault(name, []).append(_group(nested, where, f"{path}[{i}].item"))
            continue
        values = [_value(answer, where, f"{path}[{i}].answer[{j}]") for j, answer in enumerate(answers)]
        if not values:
            continue
        field = model.model_fields.get(name)
        repeats = field is not None and "tuple" in str(field.annotation)
        found[name] = values if repeats else values[0]
    return found


def _group(items: list[Any], where: Where, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, item in enumerate(items):
        if not is_object(item):
            raise where.error(f"{path}[{i}]", "must be an object")
        name = string(item, "linkId", where, f"{path}[{i}].")
        answers = seq(item, "answer", where, f"{path}[{i}].")
        if name is not None and answers:
            out[name] = _value(answers[0], where, f"{path}[{i}].answer[0]")
    return out


def _value(answer: Any, where: Where, path: str) -> Any:
    if not is_object(answer):
        raise where.error(path, "must be an object")
    for key in _VALUE_KEYS:
        if key in answer:
            value = answer[key]
            if key == "valueCoding":
                if not is_object(value) or not isinstance(value.get("code"), str):
                    raise where.error(f"{path}.valueCoding", "must be a Coding with a code")
                return value["code"]
            return value
    raise where.error(path, "has no value of a type the pathway's forms use")
