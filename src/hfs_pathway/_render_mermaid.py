"""Mermaid text for the pathway graph: ``stateDiagram-v2`` and ``flowchart``, optionally with a patient's path.

A state diagram cannot style its edges, so there the path shows as coloured stages and numbered,
dated labels; the flowchart also draws the moves taken in a heavier line.
"""

from __future__ import annotations

from ._graph import (
    BroadcastBox,
    PathStep,
    PathwayGraph,
    PatientPath,
    Transition,
    broadcast_boxes,
    checkpoint_heading,
    checkpoint_rows,
)
from ._vocabulary import Stage
from ._words import title_of

PATH = "#1d4ed8"
CLASSES = {
    "stage": "fill:#eef2ff,stroke:#6366f1,color:#1f2937",
    "final": "fill:#ecfdf5,stroke:#059669,stroke-width:3px,color:#1f2937",
    "checkpoint": "fill:#fef3c7,stroke:#b45309,color:#1f2937",
    "visited": f"fill:#dbeafe,stroke:{PATH},stroke-width:2px,color:#1f2937",
    "current": "fill:#fde68a,stroke:#b45309,stroke-width:4px,color:#1f2937,font-weight:bold",
    "unvisited": "fill:#ffffff,stroke:#d1d5db,color:#9ca3af",
    "override": "fill:#fef3c7,stroke:#c2410c,stroke-width:3px,color:#1f2937",
}
OVERRIDE = "#c2410c"

BOX_STYLE = "fill:none,stroke:#d1d5db,stroke-dasharray:5 4,color:#9ca3af"


def _text(text: str) -> str:
    """Text safe inside a Mermaid label: no quotes, semicolons, colons or hashes to end or escape it."""
    return text.replace("#", "").replace('"', "'").replace(";", ",").replace(":", " -").replace("\n", " ")


def _step_text(steps: tuple[PathStep, ...]) -> str:
    return "<br/>".join(f"{s.number}. {s.date.isoformat()} {title_of(s.event)}" for s in steps)


def _taken(
    path: PatientPath | None, event: str, sources: tuple[Stage, ...], dest: Stage | None
) -> tuple[PathStep, ...]:
    if path is None:
        return ()
    return tuple(s for s in path.steps if s.event == event and s.source in sources and (dest is None or s.dest == dest))


def _choice_outs(graph: PathwayGraph, choice_id: str) -> dict[Stage, tuple[list[str], list[str]]]:
    """For each way out of a choice: its guard names and the same conditions in words."""
    outs: dict[Stage, tuple[list[str], list[str]]] = {}
    for t in graph.transitions:
        if t.via == choice_id:
            names, words = outs.setdefault(t.dest, ([], []))
            names += [g for g in t.guards if g not in names]
            words += [w for w in t.reasons if w not in words]
    return outs


def _way_out(guards: list[str], reasons: list[str], taken: tuple[PathStep, ...]) -> str:
    """A way out of a choice in words; on the patient's way, with the number of the move it finishes."""
    words = " or ".join(reasons) if reasons else "otherwise" if guards else ""
    if taken:
        numbers = ", ".join(str(s.number) for s in taken)
        return f"{numbers}. {words}".strip()
    return words


def _direct(
    graph: PathwayGraph, boxes: list[BroadcastBox] | None = None
) -> dict[tuple[Stage, Stage], list[Transition]]:
    """Edges not through a choice, one per pair of stages; those drawn from a box are left out."""
    boxed = {(box.event, stage) for box in boxes or [] for stage in box.members}
    edges: dict[tuple[Stage, Stage], list[Transition]] = {}
    for t in graph.transitions:
        if t.via is None and (t.event, t.source) not in boxed:
            edges.setdefault((t.source, t.dest), []).append(t)
    return edges


def _stage_class(stage: Stage, final: bool, path: PatientPath | None) -> str:
    if path is None:
        return "final" if final else "stage"
    if stage == path.current:
        return "current"
    return "visited" if path.visit(stage) is not None else "unvisited"


def _title(graph: PathwayGraph, path: PatientPath | None) -> str:
    if path is None:
        return f"{title_of(graph.name)} pathway, version {graph.version}"
    when = f" as of {path.as_of.isoformat()}" if path.as_of else ""
    return _text(f"Patient {path.patient_id}, path along the {graph.name} pathway{when}")


def render_state_diagram(graph: PathwayGraph, path: PatientPath | None = None) -> str:
    """A Mermaid ``stateDiagram-v2``: events with their guards on the edges, ``[*]`` for start and end, the
    checkpoint as a choice with a note listing its requirements."""
    lines = ["---", f"title: {_title(graph, path)}", "---", "stateDiagram-v2", "  direction TB"]
    lines += [f"  classDef {name} {style}" for name, style in CLASSES.items()]
    initial = next(n for n in graph.nodes if n.initial)
    lines.append(f"  [*] --> {initial.id}")
    for node in graph.nodes:
        # Declared with its name: a state with only descriptions would show them without its name.
        lines.append(f'  state "{_text(node.title)}" as {node.id}')
        if path is not None:
            visit = path.visit(node.stage)
            details = [] if visit is None else [visit.describe(), *(f"{n} x {title_of(e)}" for e, n in visit.stays)]
            if node.stage == path.current:
                details.insert(0, "current stage" if not path.final else "final stage")
                if path.next_step:
                    details.append("Next - " + path.next_step)
            for line in details:
                if line:
                    lines.append(f"  {node.id} : {_text(line)}")
    for choice in graph.choices:
        lines.append(f"  state {choice.id} <<choice>>")
        for source in choice.sources:
            steps = _taken(path, choice.event.value, (source,), None)
            label = _step_text(steps) if steps else title_of(choice.event.value)
            lines.append(f"  {source.value} --> {choice.id} : {_text(label)}")
        for dest, (guards, reasons) in _choice_outs(graph, choice.id).items():
            guard = _way_out(guards, reasons, _taken(path, choice.event.value, choice.sources, dest))
            lines.append(f"  {choice.id} --> {dest.value}" + (f" : {_text(guard)}" if guard else ""))
        if choice.checkpoint:
            lines.append(f"  note right of {choice.id}")
            lines.append(f"    {_text(checkpoint_heading(choice, path))}")
            lines += [f"    {_text(row)}" for row in checkpoint_rows(choice, path)]
            lines.append("  end note")
    for (source, dest), group in _direct(graph).items():
        steps = tuple(s for t in group for s in _taken(path, t.event.value, (source,), dest))
        label = _step_text(steps) if steps else "<br/>".join(t.label for t in group)
        lines.append(f"  {source.value} --> {dest.value} : {_text(label)}")
    lines += [f"  {n.id} --> [*]" for n in graph.nodes if n.final]
    by_class: dict[str, list[str]] = {}
    for node in graph.nodes:
        by_class.setdefault(_stage_class(node.stage, node.final, path), []).append(node.id)
    lines += [f"  class {','.join(ids)} {name}" for name, ids in by_class.items()]
    return "\n".join(lines) + "\n"


def render_flowchart(graph: PathwayGraph, path: PatientPath | None = None) -> str:
    """A Mermaid ``flowchart``: stages as boxes, the checkpoint as a diamond listing its requirements, and,
    for a patient, the moves taken drawn heavier and numbered with their dates."""
    lines = ["---", f"title: {_title(graph, path)}", "---", "flowchart TB"]
    lines += [f"  classDef {name} {style}" for name, style in CLASSES.items()]
    initial = next(n for n in graph.nodes if n.initial)
    lines.append('  start(["start"])')
    declared: dict[str, str] = {}
    # Events that keep the stage are written in its box rather than drawn as loops whose labels crowd the
    # neighbours; a patient's box counts those recorded instead.
    direct = _direct(graph, broadcast_boxes(graph))
    stays = {source: group for (source, dest), group in direct.items() if source == dest}
    for node in graph.nodes:
        label = f"<b>{_text(node.title)}</b>"
        if path is None:
            kept = list(dict.fromkeys(title_of(t.event.value) for t in stays.get(node.stage, [])))
            if kept:
                label += f"<br/><small>↻ {_text(', '.join(kept))}</small>"
        else:
            visit = path.visit(node.stage)
            if visit is not None:
                extra = [visit.describe(), ", ".join(f"{n} × {title_of(e)}" for e, n in visit.stays)]
                if node.stage == path.current:
                    extra.insert(0, "▶ final stage" if path.final else "▶ current stage")
                    if path.next_step:
                        extra.append("Next - " + path.next_step)
                label += "".join(f"<br/><small>{_text(x)}</small>" for x in extra if x)
        shape = ('(["', '"])') if node.final else ('["', '"]')
        declared[node.id] = f"{node.id}{shape[0]}{label}{shape[1]}"
    for choice in graph.choices:
        if choice.checkpoint:
            rows = "<br/>".join(_text(row) for row in checkpoint_rows(choice, path))
            declared[choice.id] = f'{choice.id}{{"<b>{_text(checkpoint_heading(choice, path))}</b><br/>{rows}"}}'
        else:
            declared[choice.id] = f'{choice.id}{{"{_text(title_of(choice.event.value))}"}}'
    boxes = broadcast_boxes(graph)
    lines += _boxed_declarations(graph, boxes, declared)
    edges: list[tuple[str, str, str, bool]] = [("start", initial.id, "", path is not None)]
    overridden = {p.choice for p in path.checkpoints if p.overridden} if path else set()
    for box in boxes:
        # An event accepted across a box is drawn once from the box; a patient's own moves colour it and say
        # the stage they left, so the picture keeps its shape.
        steps = _taken(path, box.event.value, tuple(box.members), box.dest)
        words = f"{title_of(box.event.value)} (from any stage in the box)"
        if steps:
            words = "<br/>".join(
                f"{s.number}. {s.date.isoformat()} {title_of(s.event)} from {title_of(s.source.value)}" for s in steps
            )
        edges.append((box.id, box.dest.value, words, path is None or bool(steps)))
    override_edges: list[int] = []
    for choice in graph.choices:
        for source in choice.sources:
            steps = _taken(path, choice.event.value, (source,), None)
            words = title_of(choice.event.value) + " - referral" if choice.checkpoint else ""
            label = _step_text(steps) if steps else words
            edges.append((source.value, choice.id, label, bool(steps)))
        for dest, (guards, reasons) in _choice_outs(graph, choice.id).items():
            steps = _taken(path, choice.event.value, choice.sources, dest)
            label = _way_out(guards, reasons, steps)
            if steps and choice.id in overridden:
                label += " (override)"
                override_edges.append(len(edges))
            edges.append((choice.id, dest.value, label, bool(steps)))
    for (source, dest), group in direct.items():
        if source == dest:
            continue
        steps = tuple(s for t in group for s in _taken(path, t.event.value, (source,), dest))
        words = "<br/>".join(t.label for t in group)
        label = f"{_step_text(steps)}<br/>{words}" if steps else words
        edges.append((source.value, dest.value, label, bool(steps)))
    taken: list[int] = []
    faded: list[int] = []
    for number, (tail, head, words, on_path) in enumerate(edges):
        # Ways not taken keep their words, faded; the patient's steps add their number and date.
        arrow = "-.->" if (path is not None and not on_path) or tail.startswith("cluster_") else "-->"
        lines.append(f'  {tail} {arrow}|"{_text(words)}"| {head}' if words else f"  {tail} {arrow} {head}")
        if number not in override_edges:
            (taken if on_path else faded).append(number)
    by_class: dict[str, list[str]] = {}
    for node in graph.nodes:
        by_class.setdefault(_stage_class(node.stage, node.final, path), []).append(node.id)
    for choice in graph.choices:
        if path is None:
            name = "checkpoint" if choice.checkpoint else "stage"
        elif _taken(path, choice.event.value, choice.sources, None):
            name = "override" if choice.id in overridden else "checkpoint" if choice.checkpoint else "visited"
        else:
            name = "unvisited"
        by_class.setdefault(name, []).append(choice.id)
    lines += [f"  class {','.join(ids)} {name}" for name, ids in by_class.items()]
    lines += [f"  style {box.id} {BOX_STYLE}" for box in boxes]
    if path is not None:
        if taken:
            lines.append(f"  linkStyle {','.join(map(str, taken))} stroke:{PATH},stroke-width:3px")
        if faded:
            lines.append(f"  linkStyle {','.join(map(str, faded))} stroke:#d1d5db,stroke-width:1px,color:#9ca3af")
        if override_edges:
            lines.append(
                f"  linkStyle {','.join(map(str, override_edges))} stroke:{OVERRIDE},stroke-width:3px,"
                "stroke-dasharray:6 4"
            )
    return "\n".join(lines) + "\n"


def _boxed_declarations(graph: PathwayGraph, boxes: list[BroadcastBox], declared: dict[str, str]) -> list[str]:
    """Node declarations nested in the subgraphs of the broadcast events (largest outermost); a choice sits in
    the smallest box holding all the stages it is reached from."""

    def emit(members: frozenset[Stage], inner: list[BroadcastBox], depth: int) -> list[str]:
        pad = "  " * depth
        out: list[str] = []
        placed: set[Stage] = set()
        here: list[frozenset[Stage]] = []
        while inner:
            box = inner[0]
            nested = [b for b in inner[1:] if b.members <= box.members]
            inner = [b for b in inner[1:] if not b.members <= box.members]
            out.append(f'{pad}subgraph {box.id}["{title_of(box.event.value)} accepted in these stages"]')
            out += emit(box.members, nested, depth + 1)
            out.append(f"{pad}end")
            placed |= box.members
            here.append(box.members)
        out += [pad + declared[n.id] for n in graph.nodes if n.stage in members and n.stage not in placed]
        out += [
            pad + declared[c.id]
            for c in graph.choices
            if set(c.sources) <= members and not any(set(c.sources) <= box for box in here)
        ]
        return out

    return emit(frozenset(n.stage for n in graph.nodes), list(boxes), 1)
