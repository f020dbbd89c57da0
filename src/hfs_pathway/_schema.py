"""The JSON Schema of a case file, generated from the event models, for editors and other languages.

``hfs-pathway schema`` prints it; the docs site publishes it as ``schema/case.schema.json``. It is derived
from the same pydantic models that validate a case, then made plain JSON Schema (draft 2020-12): each event's
``type`` is required, numeric bounds on a union are moved onto its numeric branches, and each field's
description is the docstring written under it in the model. The library stays stricter than the schema in
a few cross-field rules (for example ``offending_vessel`` only with a ``neurovascular_conflict`` finding);
those are on each event's page of the docs.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap
from functools import cache
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://hfs-pathway.github.io/hfs-pathway/schema/case.schema.json"
_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


def case_schema() -> dict[str, Any]:
    """The JSON Schema of a case file ``{"patient": {...}, "events": [...]}``: every event type with its fields,
    their types and allowed values. A fresh copy each call."""
    import copy

    return copy.deepcopy(_case_schema())


@cache
def _case_schema() -> dict[str, Any]:
    from ._case import Case
    from ._events import EVENT_MODELS

    schema = Case.model_json_schema(mode="validation")
    definitions: dict[str, Any] = schema.get("$defs", {})
    event_names = {model.__name__ for model in EVENT_MODELS.values()}
    for name, definition in definitions.items():
        if name in event_names and "type" in definition.get("properties", {}):
            required = definition.setdefault("required", [])
            if "type" not in required:
                required.insert(0, "type")
    _plain_bounds(schema)
    _describe_fields(schema, definitions)
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "hfs-pathway case",
        "description": (
            "A patient with hemifacial spasm and the clinical events of their care, in date order, as read by "
            "hfs-pathway (load_case, hfs-pathway evaluate). Generated from the library's event models."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def _plain_bounds(node: Any) -> None:
    """Replace pydantic's ``gt``/``ge``/``lt``/``le`` on a union by JSON Schema bounds on its numeric branches."""
    if isinstance(node, dict):
        bounds = {_BOUNDS[k]: node.pop(k) for k in list(node) if k in _BOUNDS}
        if bounds:
            branches = node.get("anyOf")
            if isinstance(branches, list):
                for branch in branches:
                    if isinstance(branch, dict) and branch.get("type") in ("integer", "number"):
                        branch.update(bounds)
            else:
                node.update(bounds)
        for value in node.values():
            _plain_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _plain_bounds(value)


def _describe_fields(schema: dict[str, Any], definitions: dict[str, Any]) -> None:
    """Add each model's field docstrings (and the class docstring) as ``description``."""
    from ._case import Case

    for model in _models(Case):
        target = schema if model is Case else definitions.get(model.__name__)
        if not isinstance(target, dict):
            continue
        doc = inspect.cleandoc(model.__doc__) if model.__doc__ else None  # its own, not an inherited one
        if doc and "description" not in target:
            target["description"] = " ".join(doc.split("\n\n")[0].split()).replace("``", "`")
        properties = target.get("properties", {})
        for name, text in field_docstrings(model).items():
            if name in properties and "description" not in properties[name]:
                properties[name]["description"] = text


def _models(root: type) -> list[type]:
    """``root`` and every pydantic model its fields use, each once, parents' fields included."""
    from pydantic import BaseModel

    from ._events import EVENT_MODELS

    found: list[type] = [root, *EVENT_MODELS.values()]
    queue = list(found)
    while queue:
        model = queue.pop()
        for info in getattr(model, "model_fields", {}).values():
            for candidate in _types_in(info.annotation):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel) and candidate not in found:
                    found.append(candidate)
                    queue.append(candidate)
    return found


def _types_in(annotation: Any) -> list[Any]:
    from typing import get_args

    out = [annotation]
    for arg in get_args(annotation):
        out += _types_in(arg)
    return out


def field_docstrings(model: type) -> dict[str, str]:
    """The docstring written under each field of ``model`` and of its parent classes (``name: T`` then
    ``\"\"\"text\"\"\"``), by field name."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if cls is object or not cls.__module__.startswith("hfs_pathway"):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for field, following in itertools.pairwise(body):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[field.target.id] = " ".join(following.value.value.split()).replace("``", "`")
    return docs
