"""Checks of the required code bindings that ``fhir.resources`` does not enforce (status, intent, priority,
severity), and the small reference helpers every built resource shares."""

from __future__ import annotations

import re
from typing import Any

from ._codes import NAMESPACE, VALUE_SETS

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def checked(resource_type: str, element: str, code: str) -> str:
    """``code`` when it is in the required value set of ``resource_type.element``; a bug of ours otherwise."""
    allowed = VALUE_SETS[(resource_type, element)]
    if code not in allowed:
        raise ValueError(f"{resource_type}.{element} {code!r} is not in its required value set {sorted(allowed)}")
    return code


def fhir_id(text: str) -> str:
    """A FHIR id made from ``text``: kept as is when valid, otherwise its invalid characters become ``-``."""
    if _FHIR_ID.fullmatch(text):
        return text
    cleaned = re.sub(r"[^A-Za-z0-9\-.]", "-", text)[:64]
    return cleaned or "x"


def patient_reference(patient_id: str) -> dict[str, Any]:
    """A reference to the patient: ``Patient/<id>`` when the case's id is a valid FHIR id, else by identifier."""
    if _FHIR_ID.fullmatch(patient_id):
        return {"reference": f"Patient/{patient_id}"}
    return {"identifier": {"system": NAMESPACE + "patient-id", "value": patient_id}}
