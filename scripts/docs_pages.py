"""Pages of the docs site generated from the models and the examples (loaded by ``docs_hooks.py``).

- ``events/<type>.md``: one page per event type, from the event's pydantic model and the pathway definition:
  fields with types, allowed values and defaults, the stages that accept it, and an example taken from the
  example cases (or, for an event no example uses, from a synthetic case).
- the ``case-fields`` and ``event-index`` blocks of ``case-format.md``: the patient's fields and every event.
- ``examples.md``: the gallery of example cases, each evaluated at build time, with its ``why`` from
  ``examples/expected.json`` and its path drawn by Graphviz (``assets/examples/<name>.svg``).
- ``changelog.md``: the project's ``CHANGELOG.md``.

Nothing here lists events, fields or codes by hand: a new event type or field appears at the next build.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from hfs_pathway import HFS_PATHWAY, Pathway, case_schema, diagram, load_case
from hfs_pathway._events import EVENT_MODELS
from hfs_pathway._words import title_of

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCHEMA_URI = "schema/case.schema.json"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@cache
def _schema() -> dict[str, Any]:
    return case_schema()


def _definition(ref: str) -> dict[str, Any]:
    name = ref.rsplit("/", 1)[-1]
    found: dict[str, Any] = _schema()["$defs"][name]
    return found


def describe(prop: dict[str, Any]) -> tuple[str, str]:
    """A property of the JSON Schema in words: its type, and its allowed values or range."""
    if "$ref" in prop:
        target = _definition(prop["$ref"])
        if "enum" in target:
            return "one of", ", ".join(f"`{v}`" for v in target["enum"])
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"object ([{name}](#{name.lower()}))", ""
    if "anyOf" in prop:
        branches = [b for b in prop["anyOf"] if b.get("type") != "null"]
        nullable = len(branches) < len(prop["anyOf"])
        described = [describe(b) for b in branches]
        kinds = list(dict.fromkeys(k for k, _ in described))
        allowed = next((a for _, a in described if a), "")
        kind = " or ".join(kinds)
        return (f"{kind}, or null" if nullable else kind), allowed
    if "const" in prop:
        return "text", f"`{prop['const']}`"
    if "enum" in prop:
        return "one of", ", ".join(f"`{v}`" for v in prop["enum"])
    kind = prop.get("type", "any")
    if kind == "string" and prop.get("format") == "date":
        return "date (YYYY-MM-DD)", ""
    if kind in ("integer", "number"):
        low = prop.get("minimum", prop.get("exclusiveMinimum"))
        high = prop.get("maximum", prop.get("exclusiveMaximum"))
        above = "more than" if "exclusiveMinimum" in prop else "from"
        words = {"integer": "whole number", "number": "number"}[kind]
        if low is not None and high is not None:
            return words, f"{above} {low} to {high}"
        if low is not None:
            return words, f"{above} {low}"
        return words, ""
    if kind == "boolean":
        return "true or false", ""
    if kind == "string":
        return "text", f"up to {prop['maxLength']} characters" if "maxLength" in prop else ""
    if kind == "array":
        item_kind, item_allowed = describe(prop.get("items", {}))
        return f"list of {item_kind}", item_allowed
    return str(kind), ""


def field_table(definition: dict[str, Any], *, skip: tuple[str, ...] = ()) -> list[str]:
    required = set(definition.get("required", ()))
    rows = ["| field | type | required | allowed values | default | meaning |", "|---|---|---|---|---|---|"]
    for name, prop in definition.get("properties", {}).items():
        if name in skip:
            continue
        kind, allowed = describe(prop)
        default = "" if name in required or "default" not in prop else f"`{json.dumps(prop['default'])}`"
        meaning = prop.get("description", "")
        rows.append(
            f"| `{name}` | {_cell(kind)} | {'yes' if name in required else 'no'} | {_cell(allowed)} | {default} "
            f"| {_cell(meaning)} |"
        )
    return rows


def _example_files() -> list[Path]:
    return [p for p in sorted(EXAMPLES.glob("*.json")) if "patient" in json.loads(p.read_text(encoding="utf-8"))]


def _synthetic_events() -> Iterator[tuple[str, dict[str, Any]]]:
    from hfs_pathway.cohort import synthetic_cases

    for case in synthetic_cases(400, seed=1):
        for event in case.case["events"]:
            yield f"a synthetic case of the `{case.story}` story (`hfs-pathway synth`)", event


@cache
def examples_by_type() -> dict[str, tuple[str, dict[str, Any]]]:
    """For each event type, one event as written in a case file, and where it comes from."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in _example_files():
        for index, event in enumerate(json.loads(path.read_text(encoding="utf-8"))["events"]):
            found.setdefault(event["type"], (f"[`{path.name}`](../examples.md#{path.stem}), event {index}", event))
    if set(EVENT_MODELS) - set(found):
        for where, event in _synthetic_events():
            found.setdefault(event["type"], (where, event))
    return found


def event_page(event_type: str) -> str:
    model = EVENT_MODELS[event_type]
    definition = _schema()["$defs"][model.__name__]
    d = HFS_PATHWAY
    rule = d.rule(event_type)
    stages = ", ".join(f"[`{s.value}`](../stages/{s.value}.md)" for s in rule.accepted_in)
    out = [
        f"# `{event_type}`",
        "",
        "<!-- Generated at build time from the event's model and the pathway definition. -->",
        "",
        definition.get("description", ""),
        "",
        f"**What it does**: {rule.description}",
        "",
        f"**Accepted in**: {stages}. In any other stage it is refused with `event_not_allowed`, naming the "
        "stage and the events it accepts.",
        "",
        "## Fields",
        "",
        *field_table(definition),
        "",
        "Every event also takes a `note` (free text) and a `source` (where the fact was read). Unknown fields "
        "are refused, and the library checks some combinations of fields that the table cannot show; its "
        "message names the field.",
        "",
    ]
    nested = [
        describe(prop)[0] for prop in definition.get("properties", {}).values() if "object (" in describe(prop)[0]
    ]
    for ref_name in dict.fromkeys(n.split("[", 1)[1].split("]", 1)[0] for n in nested):
        inner = _schema()["$defs"][ref_name]
        out += [
            f"### {ref_name} {{ #{ref_name.lower()} }}",
            "",
            inner.get("description", ""),
            "",
            *field_table(inner),
            "",
        ]
    example = examples_by_type().get(event_type)
    out += ["## Example", ""]
    if example:
        where, event = example
        out += [f"From {where}:", "", "```json", json.dumps(event, indent=2, ensure_ascii=False), "```", ""]
    else:
        out += ["No example case records this event yet.", ""]
    out += [
        f"JSON Schema: [`case.schema.json`](../{SCHEMA_URI}), definition `#/$defs/{model.__name__}` "
        "(`hfs-pathway schema` prints the same).",
        "",
    ]
    return "\n".join(out)


def case_fields_block() -> str:
    schema = _schema()
    patient = schema["$defs"]["Patient"]
    rows = ["### The case", "", *field_table(schema), "", "### `patient`", "", *field_table(patient)]
    return "\n".join(rows)


def event_index_block() -> str:
    rows = ["| event `type` | what it records | accepted in |", "|---|---|---|"]
    for event_type, model in EVENT_MODELS.items():
        description = _schema()["$defs"][model.__name__].get("description", "")
        accepted = ", ".join(f"`{s.value}`" for s in HFS_PATHWAY.rule(event_type).accepted_in)
        rows.append(f"| [`{event_type}`](events/{event_type}.md) | {_cell(description)} | {accepted} |")
    return "\n".join(rows)


def gallery() -> tuple[str, dict[str, str]]:
    """The examples page, and the SVG picture of each example's path by file name."""
    expected: dict[str, Any] = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
    out = [
        "# Example cases",
        "",
        "<!-- Generated at build time from examples/: each case is evaluated and drawn at every build. -->",
        "",
        "Invented patients (no real people) along the main branches of the pathway. Each is a case file in "
        "`examples/`, evaluated here as of its date with the reference guideline; the tests check the same "
        "outcome. Run any of them yourself with the command shown.",
        "",
    ]
    pictures: dict[str, str] = {}
    for name, facts in expected.items():
        path = EXAMPLES / name
        if not path.exists():
            continue
        pathway = Pathway.replay(load_case(path))
        evaluation = pathway.evaluate(facts["as_of"])
        stem = path.stem
        pictures[stem] = str(diagram("svg", pathway=pathway, as_of=evaluation.as_of))
        recommendations = ", ".join(f"`{r.code}`" for r in evaluation.recommendations) or "none"
        alerts = ", ".join(dict.fromkeys(f"`{a.code}`" for a in evaluation.alerts)) or "none"
        title = title_of(stem)
        out += [
            f"## {title} {{ #{stem} }}",
            "",
            facts.get("why", ""),
            "",
            f"- **Stage on {evaluation.as_of.isoformat()}**: [`{evaluation.stage.value}`](stages/"
            f"{evaluation.stage.value}.md){' (final)' if evaluation.final else ''}",
            f"- **Recommendations**: {recommendations}",
            f"- **Alerts**: {alerts}",
            f"- **Events**: {len(pathway.events)}",
            "",
            "```sh",
            f"hfs-pathway evaluate examples/{name} --as-of {evaluation.as_of.isoformat()}",
            "```",
            "",
            f'[![The path of {title.lower()}](assets/examples/{stem}.svg){{ loading="lazy" }}]'
            f"(assets/examples/{stem}.svg)",
            "",
        ]
    return "\n".join(out) + "\n", pictures


def changelog_page() -> str:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return text if text.startswith("# ") else "# Changelog\n\n" + text
