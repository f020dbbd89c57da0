"""Full validation of a FHIR resource with the ``fhir.resources`` R4B models (the slow, complete check)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from pydantic import ValidationError


def model_class(resource_type: str) -> Any:
    """The ``fhir.resources.R4B`` model class of a resource type, or ``None`` when there is none."""
    try:
        module = import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    except ImportError:
        return None
    return getattr(module, resource_type, None)


def validate_resource(resource: Mapping[str, Any]) -> str | None:
    """``None`` when the resource validates as FHIR R4 (R4B models), else what is wrong."""
    kind = resource.get("resourceType")
    model = model_class(kind) if isinstance(kind, str) and kind.isalpha() else None
    if model is None:
        return f"{kind!r} is not a FHIR resource type"
    try:
        model.model_validate(dict(resource))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" + (f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else "")
    return None
