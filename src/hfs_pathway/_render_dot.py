"""Graphviz DOT for the pathway graph, optionally with one patient's path drawn over it."""

from __future__ import annotations

from collections.abc import Iterable

from ._graph import (
    BroadcastBox,
    Choice,
    PathStep,
    PathwayGraph,
    PatientPath,
    StageNode,
    Transition,
    broadcast_boxes,
    checkpoint_heading,
    checkpoint_rows,
)
from ._vocabulary import Stage
from ._words import title_of

FONT = "Helvetica"

# A calm palette that prints well in grey: the path in deep blue, the current stage in amber.
INK = "#1f2937"
MUTED = "#9ca3af"
FAINT = "#d1d5db"
STAGE_FILL = "#eef2ff"
STAGE_LINE = "#6366f1"
FINAL_FILL = "#ecfdf5"
FINAL_LINE = "#059669"
GATE_FILL = "#fef3c7"
GATE_LINE = "#b45309"
PATH = "#1d4ed8"
VISITED_FILL = "#dbeafe"
CURRENT_FILL = "#fde68a"
CURRENT_LINE = "#b45309"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _attrs(**values: str | float) -> str:
    parts = []
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")  # an HTML-like label goes unquoted
        else:
            text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            parts.append(f'{key}="{text}"')
    return "[" + ", ".join(parts) + "]"


def _wrap(text: str, width: int = 34) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


OVERRIDE = "#c2410c"
# Every stage box gets at least this size in every picture, so that a patient's dates and counts fit without
# growing it: the layout then depends on the pathway alone and each stage keeps its place from one patient's
# picture to the next (and to the pathway's own picture).
NODE_WIDTH = 2.5
NODE_MIN_HEIGHT = 0.6
PATIENT_ROWS = 4
ROW_HEIGHT = 0.19
CHECKPOINT_WIDTH = 5.6
CHECKPOINT_HEIGHT = 2.5


def render_dot(graph: PathwayGraph, path: PatientPath | None = None) -> str:
    """The graph as a DOT digraph; with ``path``, the patient's route is drawn in colour over a faded map.

    Both pictures share their layout: the same boxes, sizes and edge labels (in the definition's words), with
    the patient's step numbers and dates added as external labels that do not move anything.
    """
    title = f"{title_of(graph.name)} pathway, version {graph.version}"
    rows = []
    if path is not None:
        when = f" as of {path.as_of.isoformat()}" if path.as_of else ""
        title = f"Patient {path.patient_id}: path along the {graph.name} pathway{when}"
        if path.next_step:
            wrapped = "<BR/>".join(_html(part) for part in _wrap("Next: " + path.next_step, 110))
            rows.append(f'<FONT POINT-SIZE="14" COLOR="{CURRENT_LINE}"><B>{wrapped}</B></FONT>')
        rows.append(_legend())
    heading = "".join(f"<TR><TD>{row}</TD></TR>" for row in [f"<B>{_html(title)}</B>", *rows])
    graph_attrs = _attrs(
        label=f'<<TABLE BORDER="0" CELLPADDING="3" CELLSPACING="0">{heading}</TABLE>>',
        labelloc="t",
        fontname=FONT,
        fontsize=18,
        rankdir="TB",
        nodesep=0.35,
        ranksep=0.45,
        newrank="true",
        compound="true",
        bgcolor="white",
        pad=0.3,
    )
    lines = [
        "digraph pathway {",
        f"  graph {graph_attrs}",
        "  node " + _attrs(fontname=FONT, fontsize=12, shape="box", style="rounded,filled", margin="0.12,0.06"),
        "  edge " + _attrs(fontname=FONT, fontsize=10, arrowsize=0.7),
        '  start [shape=circle, label="", width=0.22, style=filled, fillcolor="#111827", color="#111827"]',
    ]
    clusters = broadcast_boxes(graph)
    # Events that keep the stage are written inside its box, not drawn as loops whose labels crowd the
    # neighbours; on a patient's picture the box counts those actually recorded.
    stays: dict[Stage, list[str]] = {}
    for t in graph.transitions:
        if t.stays and t.via is None and not t.broadcast:
            name = title_of(t.event.value)
            if name not in stays.setdefault(t.source, []):
                stays[t.source].append(name)
    lines += _nodes_in_clusters(graph, clusters, path, stays)
    # Stages are defined in pathway order: edges that go back up do not pull the layout, so the picture
    # reads top to bottom in the order a patient travels.
    order: dict[str, float] = {n.id: i for i, n in enumerate(graph.nodes)}
    for choice in graph.choices:
        order[choice.id] = min(order[s.value] for s in choice.sources) + 0.5

    def edge(source: str, dest: str, attrs: str, ltail: str | None = None) -> str:
        # A move back up the pathway is written head to tail and drawn reversed (dir=back): it keeps
        # the stages in pathway order and still takes part in the layout, so it runs beside the others
        # rather than around the whole picture.
        if order[dest] < order[source]:
            clip = f', lhead="{ltail}"' if ltail else ""
            return f"  {dest} -> {source} " + attrs[:-1] + clip + ", dir=back]"
        clip = f', ltail="{ltail}"' if ltail else ""
        return f"  {source} -> {dest} " + attrs[:-1] + clip + "]"

    initial = next(n for n in graph.nodes if n.initial)
    lines.append(f"  start -> {initial.id} " + _attrs(color=PATH if path else INK, penwidth=2 if path else 1))

    def taken(event: str, sources: Iterable[Stage], dest: Stage | None) -> tuple[PathStep, ...]:
        if path is None:
            return ()
        wanted = set(sources)
        return tuple(
            s for s in path.steps if s.event == event and s.source in wanted and (dest is None or s.dest == dest)
        )

    for choice in graph.choices:
        overridden = path is not None and any(p.overridden for p in path.checkpoints if p.choice == choice.id)
        for source in choice.sources:
            steps = taken(choice.event.value, [source], None)
            # A plain choice already names its event in the diamond; a checkpoint's edge names it.
            text = title_of(choice.event.value) + (": referral" if choice.checkpoint else "")
            attrs = _edge_attrs(text if choice.checkpoint else "", steps, path)
            lines.append(edge(source.value, choice.id, attrs))
        outs: dict[Stage, list[str]] = {}
        for t in graph.transitions:
            if t.via == choice.id:
                words = outs.setdefault(t.dest, [])
                words += [w for w in (t.reasons or ("otherwise",) if t.guards else ()) if w not in words]
        for dest, reasons in outs.items():
            steps = taken(choice.event.value, choice.sources, dest)
            attrs = _edge_attrs(" or ".join(reasons), steps, path, numbered=False, override=overridden)
            lines.append(edge(choice.id, dest.value, attrs))
    clustered = {(event, stage) for _, event, members, _ in clusters for stage in members}
    for cluster_id, event, members, dest in clusters:
        # Any member can carry the edge; Graphviz clips it at the box. The last stage sits nearest the bottom.
        tail = next(n.stage for n in reversed(graph.nodes) if n.stage in members)
        label = title_of(event.value) + " (from any stage in the box)"
        # The patient's own moves of this kind colour the box's edge and carry their number, date and the stage
        # they left from: no edge is added, so the layout stays that of every other picture.
        steps = taken(event.value, members, dest)
        attrs = _edge_attrs(label, steps, path, broadcast=True, origin=True)
        lines.append(edge(tail.value, dest.value, attrs, ltail=cluster_id))
    edges: dict[tuple[Stage, Stage], list[Transition]] = {}
    for t in graph.transitions:
        if t.via is None and (t.event, t.source) not in clustered and not (t.stays and t.source in stays):
            edges.setdefault((t.source, t.dest), []).append(t)
    for (source, dest), group in edges.items():
        steps = tuple(s for t in group for s in taken(t.event.value, [source], dest))
        text = "\n".join(t.label for t in group)
        attrs = _edge_attrs(text, steps, path, broadcast=all(t.broadcast for t in group))
        lines.append(edge(source.value, dest.value, attrs))
    # The two ways out sit at the bottom.
    finals = " ".join(n.id for n in graph.nodes if n.final)
    lines.append(f"  {{ rank=sink; {finals} }}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nodes_in_clusters(
    graph: PathwayGraph,
    clusters: list[BroadcastBox],
    path: PatientPath | None,
    stays: dict[Stage, list[str]],
) -> list[str]:
    """Stage nodes, nested in the boxes of the events they accept (largest box outermost); a choice sits in
    the smallest box holding all the stages it is reached from, next to them."""

    def emit(members: frozenset[Stage], inner: list[BroadcastBox], depth: int) -> list[str]:
        pad = "  " * depth
        out: list[str] = []
        placed: set[Stage] = set()
        boxes: list[frozenset[Stage]] = []
        while inner:
            cluster_id, event, box, _ = inner[0]
            nested = [c for c in inner[1:] if c[2] <= box]
            inner = [c for c in inner[1:] if not c[2] <= box]
            out.append(f"{pad}subgraph {cluster_id} {{")
            out.append(
                f"{pad}  graph "
                + _attrs(
                    label=f"{title_of(event.value)} accepted in these stages",
                    labeljust="l",
                    fontsize=10,
                    fontcolor=MUTED,
                    style="dashed,rounded",
                    color=FAINT,
                )
            )
            out += emit(box, nested, depth + 1)
            out.append(f"{pad}}}")
            placed |= box
            boxes.append(box)
        out += [
            pad + _node(n, path, stays.get(n.stage, []))
            for n in graph.nodes
            if n.stage in members and n.stage not in placed
        ]
        out += [
            pad + _choice(c, path)
            for c in graph.choices
            if set(c.sources) <= members and not any(set(c.sources) <= box for box in boxes)
        ]
        return out

    everything = frozenset(n.stage for n in graph.nodes)
    return emit(everything, list(clusters), 1)


def _size(rows: int) -> dict[str, str | float]:
    # fixedsize: the box is this size on every picture; what a patient's picture writes in it is kept to
    # PATIENT_ROWS lines that fit.
    height = round(max(NODE_MIN_HEIGHT, 0.3 + ROW_HEIGHT * max(rows, PATIENT_ROWS)), 2)
    return {"width": NODE_WIDTH, "height": height, "fixedsize": "true"}


def _stays_rows(stays: list[str]) -> list[str]:
    return _wrap("↻ " + ", ".join(stays), 34) if stays else []


def _node(node: StageNode, path: PatientPath | None, stays: list[str]) -> str:
    fill, line = (FINAL_FILL, FINAL_LINE) if node.final else (STAGE_FILL, STAGE_LINE)
    attrs: dict[str, str | float] = {"tooltip": node.meaning, "color": line, "fillcolor": fill, "fontcolor": INK}
    if node.final:
        attrs["peripheries"] = 2
    # The box is sized for the pathway's picture (its own events), the same on every patient's picture.
    plain_rows = _stays_rows(stays)
    attrs.update(_size(1 + len(plain_rows)))
    title = f"<B>{_html(node.title)}</B>"
    if path is None:
        rows = [title] + [f'<FONT POINT-SIZE="9" COLOR="#4b5563">{_html(row)}</FONT>' for row in plain_rows]
        attrs["label"] = "<" + "<BR/>".join(rows) + ">"
        return f"{node.id} " + _attrs(**attrs)
    visit = path.visit(node.stage)
    if visit is None:
        attrs.update(label=f"<{_html(node.title)}>", color=FAINT, fillcolor="white", fontcolor=MUTED)
        return f"{node.id} " + _attrs(**attrs)
    spans = [span for span in visit.describe().split("; ") if span]
    if len(spans) > 2:  # several stays: the first and the last, so the box keeps its size
        spans = [f"{len(spans)} stays: {spans[0]}", f"… {spans[-1]}"]
    counts = _wrap(", ".join(f"{count} × {title_of(event)}" for event, count in visit.stays), 36)
    if len(counts) > 1:
        counts = [counts[0].rstrip(",") + " …"]
    attrs.update(fillcolor=VISITED_FILL, color=PATH, penwidth=2)
    if node.stage == path.current:
        # The mark sits outside the box (an external label), so the box keeps its size.
        mark = "■ final stage" if path.final else "▶ current stage"
        when = f" on {path.as_of.isoformat()}" if path.as_of else ""
        attrs["xlabel"] = f'<<FONT COLOR="{CURRENT_LINE}" POINT-SIZE="11"><B>{mark}{when}</B></FONT>>'
        attrs.update(fillcolor=CURRENT_FILL, color=CURRENT_LINE, penwidth=3.5)
    rows = [title]
    rows += [f'<FONT POINT-SIZE="9">{_html(span)}</FONT>' for span in spans]
    rows += [f'<FONT POINT-SIZE="9" COLOR="#374151">{_html(part)}</FONT>' for part in counts]
    attrs["label"] = "<" + "<BR/>".join(rows[:PATIENT_ROWS]) + ">"
    return f"{node.id} " + _attrs(**attrs)


def _choice(choice: Choice, path: PatientPath | None) -> str:
    passages = [p for p in path.checkpoints if p.choice == choice.id] if path else []
    overridden = any(p.overridden for p in passages)
    if choice.checkpoint:
        # A fixed size, whatever the patient's marks say, so that nothing around it moves between pictures.
        size: dict[str, str | float] = {"width": CHECKPOINT_WIDTH, "height": CHECKPOINT_HEIGHT, "fixedsize": "true"}
        heading = _html(checkpoint_heading(choice, path))
        rows = [f'<B><FONT COLOR="{OVERRIDE}">{heading}</FONT></B>' if overridden else f"<B>{heading}</B>"] + [
            f'<FONT POINT-SIZE="9">{"<BR/>   ".join(_html(part) for part in _wrap(row, 48))}</FONT>'
            for row in checkpoint_rows(choice, path)
        ]
        tooltip = f"{title_of(choice.event.value)} must meet: " + "; ".join(d for _, d in choice.requirements)
        attrs: dict[str, str | float] = {"fillcolor": GATE_FILL, "color": GATE_LINE, "margin": "0.02", **size}
    else:
        rows = [f'<FONT POINT-SIZE="10">{_html(title_of(choice.event.value))}</FONT>']
        tooltip = f"{title_of(choice.event.value)}: the option chosen decides the way"
        attrs = {"fillcolor": "#f3f4f6", "color": "#6b7280", "margin": "0.01", "height": 0.5}
    attrs.update(shape="diamond", style="filled", fontcolor=INK, tooltip=tooltip)
    if path is not None:
        if any(s.event == choice.event.value and s.source in choice.sources for s in path.steps):
            attrs.update(penwidth=3 if overridden else 2.5, color=OVERRIDE if overridden else PATH)
        else:
            attrs.update(fillcolor="white", color=FAINT, fontcolor=MUTED)
    attrs["label"] = "<" + "<BR/>".join(rows) + ">"
    return f"{choice.id} " + _attrs(**attrs)


def _edge_attrs(
    text: str,
    taken: tuple[PathStep, ...],
    path: PatientPath | None,
    *,
    broadcast: bool = False,
    numbered: bool = True,
    override: bool = False,
    origin: bool = False,
) -> str:
    """An edge's look. The label is the same words on every picture (so the layout is the same); a patient's
    own moves add their step number and date as an external label, which does not move anything."""
    words = "\n".join(_wrap_lines(text, 30)) if text else ""
    if path is None:
        colour = MUTED if broadcast else "#4b5563"
        return _attrs(label=words, color=colour, fontcolor=colour, style="dashed" if broadcast else "solid")
    if not taken:
        return _attrs(
            label=words,
            color=FAINT,
            fontcolor=MUTED,
            style="dashed" if broadcast else "solid",
            arrowsize=0.5,
        )
    colour = OVERRIDE if override else PATH
    if numbered:
        stamp = "<BR/>".join(
            f"<B>{s.number}</B>  {s.date.isoformat()}" + (f" from {_html(title_of(s.source.value))}" if origin else "")
            for s in taken
        )
    else:  # the way out of a choice finishes the move begun on the way in: the same number
        stamp = "<B>" + ", ".join(str(s.number) for s in taken) + "</B>" + ("  override" if override else "")
    return _attrs(
        label=words,
        xlabel=f'<<FONT COLOR="{colour}" POINT-SIZE="11">{stamp}</FONT>>',
        color=colour,
        fontcolor=INK,
        penwidth=3,
        arrowsize=0.9,
        style="dashed" if override else "solid",
    )


def _wrap_lines(text: str, width: int) -> list[str]:
    return [line for part in text.split("\n") for line in _wrap(part, width)]


def _legend() -> str:
    """A one-line key under the title, so the colours need no explanation elsewhere. Each swatch differs."""
    keys = [
        (f'BGCOLOR="{CURRENT_FILL}" BORDER="2" COLOR="{CURRENT_LINE}"', "current stage"),
        (f'BGCOLOR="{VISITED_FILL}" BORDER="2" COLOR="{PATH}"', "stage visited"),
        (f'BGCOLOR="{PATH}"', "move taken (step number, date)"),
        (f'BGCOLOR="{GATE_FILL}" BORDER="1" COLOR="{GATE_LINE}"', "checkpoint: ✓ met, – not needed, ⚠ overridden"),
        (f'BGCOLOR="{OVERRIDE}"', "move made by override"),
        (f'BGCOLOR="white" BORDER="1" COLOR="{FAINT}"', "not reached"),
    ]
    cells = "".join(
        f'<TD {colour} WIDTH="16" HEIGHT="12" FIXEDSIZE="TRUE"></TD>'
        f'<TD ALIGN="LEFT"><FONT POINT-SIZE="11">{_html(text)}   </FONT></TD>'
        for colour, text in keys
    )
    return '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1"><TR>' + cells + "</TR></TABLE>"
