"""The pathway as a computable PlanDefinition (type ``clinical-protocol``), in the style of the CPG-on-FHIR guide.

Generated from the one definition (``HFS_PATHWAY``) through its public structure: an action per stage
(code from the project's stage code system, an applicability condition "the patient is at this stage",
a related action per stage it can lead to), and within it an action per move (the event that makes it,
the condition under which it is taken, the requirements the event must meet, the rationale and the
citations). Nothing about the pathway's shape is written here.
"""

from __future__ import annotations

from typing import Any

from hfs_pathway._citations import citation
from hfs_pathway._definition import Edge, PathwayDefinition
from hfs_pathway._hfs import HFS_PATHWAY

from ._bindings import checked
from ._codes import EVENT_TYPE_SYSTEM, STAGE_SYSTEM
from ._export import PLAN_DEFINITION_URL, SITE
from ._narrative import narrative


def plan_definition(definition: PathwayDefinition = HFS_PATHWAY) -> dict[str, Any]:
    """The pathway definition as a FHIR R4 PlanDefinition (JSON-ready dict, validated with fhir.resources)."""
    from fhir.resources.R4B.plandefinition import PlanDefinition

    cited: list[str] = []
    actions = [_stage_action(definition, info.stage, cited) for info in definition.stages]
    data = {
        "resourceType": "PlanDefinition",
        "id": "hfs-pathway",
        "url": PLAN_DEFINITION_URL,
        "version": definition.version,
        "name": "HemifacialSpasmPathway",
        "title": "Hemifacial spasm treatment pathway",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                    "code": "clinical-protocol",
                    "display": "Clinical Protocol",
                }
            ]
        },
        "status": checked("PlanDefinition", "status", "draft"),
        "experimental": True,
        "publisher": "hfs-pathway",
        "description": (
            f"The {definition.name} pathway (version {definition.version}): stages from presentation to discharge, "
            "the clinical events that move a patient between them, and the conditions of each move. Decision "
            "support: it proposes, a clinician decides."
        ),
        "usage": "Generated from the library's pathway definition; see the stage pages of the documentation.",
        "relatedArtifact": [_citation_artifact(c) for c in cited],
        "action": actions,
    }
    data["text"] = narrative(data)
    validated: dict[str, Any] = PlanDefinition.model_validate(data).model_dump(mode="json", exclude_none=True)
    return validated


def _stage_action(definition: PathwayDefinition, stage: Any, cited: list[str]) -> dict[str, Any]:
    info = definition.stage_info(stage)
    moves = [e for e in definition.edges() if e.source == stage]
    successors = sorted({_action_id(e.dest.value) for e in moves if not e.stays})
    action: dict[str, Any] = {
        "id": _action_id(stage.value),
        "title": stage.value.replace("_", " ").capitalize(),
        "description": info.meaning,
        "code": [{"coding": [{"system": STAGE_SYSTEM, "code": stage.value}]}],
        "documentation": [{"type": "documentation", "url": f"{SITE}stages/{stage.value}/"}],
        "condition": [_condition(f"the patient is at stage {stage.value}", f"%stage = '{stage.value}'")],
    }
    if info.final:
        action["textEquivalent"] = "Final stage: the pathway accepts no further event."
    if successors:
        action["relatedAction"] = [{"actionId": s, "relationship": "before-start"} for s in successors]
    sub = [_move_action(definition, edge, i, cited) for i, edge in enumerate(moves)]
    if sub:
        action["selectionBehavior"] = "at-most-one"
        action["action"] = sub
    return action


def _move_action(definition: PathwayDefinition, edge: Edge, index: int, cited: list[str]) -> dict[str, Any]:
    route = edge.route
    rule = definition.rule(edge.event.value)
    conditions = [r.condition.description for r in rule.requires]
    if route.condition_text:
        conditions.append(route.condition_text)
    evidence = list(dict.fromkeys((*route.evidence, *(route.when.evidence if route.when else ()))))
    for ref in evidence:
        if ref not in cited:
            cited.append(ref)
    when = " Taken when: " + "; ".join(conditions) + "." if conditions else ""
    action: dict[str, Any] = {
        "id": _action_id(f"{edge.source.value}-{index}-{edge.event.value}"),
        "title": f"{edge.event.value} -> {edge.dest.value}",
        "description": (route.rationale + when).strip(),
        "code": [{"coding": [{"system": EVENT_TYPE_SYSTEM, "code": edge.event.value.replace("_", "-")}]}],
        "textEquivalent": rule.description or None,
        "documentation": [_citation_artifact(ref) for ref in evidence] or None,
    }
    if not edge.stays:
        action["relatedAction"] = [{"actionId": _action_id(edge.dest.value), "relationship": "before-start"}]
    return {k: v for k, v in action.items() if v is not None}


def _action_id(text: str) -> str:
    """Action ids are FHIR ids: the stage's value with ``-`` for ``_``."""
    return text.replace("_", "-")


def _condition(description: str, expression: str) -> dict[str, Any]:
    """An applicability condition written in FHIRPath over the ``%stage`` input (the patient's current stage).
    Conditions FHIRPath cannot state over the record are written in the action's description instead."""
    body = {"language": "text/fhirpath", "description": description, "expression": expression}
    return {"kind": "applicability", "expression": body}


def _citation_artifact(ref: str) -> dict[str, Any]:
    try:
        found = citation(ref)
    except KeyError:
        return {"type": "citation", "label": ref}
    artifact: dict[str, Any] = {"type": "citation", "label": ref, "display": found.short_title}
    if found.url:
        artifact["url"] = found.url
    return artifact
