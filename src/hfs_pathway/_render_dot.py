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


def render_dot(graph: PathwayGraph, path: PatientPath | None = None) -> str:
    """The graph as a DOT digraph; with ``path``, the patient's route is drawn in colour over a faded map."""
    title = f"{graph.name} pathway, version {graph.version}"
    if path is not None:
        when = f" as of {path.as_of.isoformat()}" if path.as_of else ""
        title = f"Patient {path.patient_id}: path along the {graph.name} pathway{when}"
    graph_attrs = _attrs(
        label=f"<<B>{_html(title)}</B><BR/> >",
        labelloc="t",
        fontname=FONT,
        fontsize=18,
        rankdir="TB",
        nodesep=0.4,
        ranksep=0.5,
        newrank="true",
        compound="true",
        bgcolor="white",
        pad=0.3,
    )
    lines = [
        "digraph pathway {",
        f"  graph {graph_attrs}",
        "  node " + _attrs(fontname=FONT, fontsize=12, shape="box", style="rounded,filled", margin="0.2,0.08"),
        "  edge " + _attrs(fontname=FONT, fontsize=9, arrowsize=0.7),
        '  start [shape=circle, label="", width=0.22, style=filled, fillcolor="#111827", color="#111827"]',
    ]
    clusters = broadcast_boxes(graph)
    # Events that keep the stage are written inside its box, not drawn as loops whose labels crowd the
    # neighbours; on a patient's picture the box counts those actually recorded.
    stays: dict[Stage, list[str]] = {}
    for t in graph.transitions:
        if t.stays and t.via is None and not t.broadcast:
            stays.setdefault(t.source, []).append(t.label)
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
        for source in choice.sources:
            steps = taken(choice.event.value, [source], None)
            # A plain choice already names its event in the diamond; a checkpoint's edge names it.
            attrs = _edge_attrs(choice.event.value if choice.checkpoint else "", steps, path)
            lines.append(edge(source.value, choice.id, attrs))
        outs: dict[Stage, tuple[list[str], list[str]]] = {}
        for t in graph.transitions:
            if t.via == choice.id:
                names, words = outs.setdefault(t.dest, ([], []))
                names += [g for g in t.guards if g not in names]
                words += [w for w in t.reasons if w not in words]
        for dest, (guards, reasons) in outs.items():
            steps = taken(choice.event.value, choice.sources, dest)
            # On the patient's way the condition reads in words ("the option chosen is ..."), not as a name.
            text = " or ".join(reasons) if steps and reasons else f"[{' or '.join(guards)}]" if guards else ""
            attrs = _edge_attrs(text, steps, path, numbered=False)
            lines.append(edge(choice.id, dest.value, attrs))
    clustered = {(event, stage) for _, event, members, _ in clusters for stage in members}
    for cluster_id, event, members, dest in clusters:
        # Any member can carry the edge; Graphviz clips it at the box. The last stage sits nearest the bottom.
        tail = next(n.stage for n in reversed(graph.nodes) if n.stage in members)
        lines.append(edge(tail.value, dest.value, _edge_attrs(event.value, (), path, broadcast=True), ltail=cluster_id))
        # The patient's own moves leave from the stage they were in, not from the box's edge.
        steps = taken(event.value, members, dest)
        for source in [n.stage for n in graph.nodes if any(s.source == n.stage for s in steps)]:
            own = tuple(s for s in steps if s.source == source)
            lines.append(edge(source.value, dest.value, _edge_attrs(event.value, own, path, broadcast=True)))
    edges: dict[tuple[Stage, Stage], list[Transition]] = {}
    for t in graph.transitions:
        if t.via is None and (t.event, t.source) not in clustered and not (t.stays and t.source in stays):
            edges.setdefault((t.source, t.dest), []).append(t)
    for (source, dest), group in edges.items():
        steps = tuple(s for t in group for s in taken(t.event.value, [source], dest))
        text = "\n".join(t.label for t in group)
        # On the patient's way, a guarded move says in words why it was taken.
        why = [w for t in group if t.guards and taken(t.event.value, [source], dest) for w in t.reasons]
        attrs = _edge_attrs(text, steps, path, broadcast=all(t.broadcast for t in group), why=" or ".join(why))
        lines.append(edge(source.value, dest.value, attrs))
    # The two ways out sit at the bottom.
    finals = " ".join(n.id for n in graph.nodes if n.final)
    lines.append(f"  {{ rank=sink; {finals} }}")
    if path is not None:
        lines += _legend()
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
                    label=f"stages that accept {event.value}",
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


def _node(node: StageNode, path: PatientPath | None, stays: list[str]) -> str:
    fill, line = (FINAL_FILL, FINAL_LINE) if node.final else (STAGE_FILL, STAGE_LINE)
    attrs: dict[str, str | float] = {"tooltip": node.meaning, "color": line, "fillcolor": fill, "fontcolor": INK}
    if node.final:
        attrs["peripheries"] = 2
    title = f"<B>{_html(node.id)}</B>"
    if path is None:
        rows = [title] + [f'<FONT POINT-SIZE="9" COLOR="#4b5563">↻ {_html(label)}</FONT>' for label in stays]
        attrs["label"] = "<" + "<BR/>".join(rows) + ">"
        return f"{node.id} " + _attrs(**attrs)
    visit = path.visit(node.stage)
    if visit is None:
        attrs.update(label=f"<{_html(node.id)}>", color=FAINT, fillcolor="white", fontcolor=MUTED)
        return f"{node.id} " + _attrs(**attrs)
    rows = [title]
    for span in visit.describe().split("; "):
        if span:
            rows.append(f'<FONT POINT-SIZE="10">{_html(span)}</FONT>')
    for event, count in visit.stays:
        rows.append(f'<FONT POINT-SIZE="10" COLOR="#374151">{count} × {_html(event)}</FONT>')
    attrs.update(fillcolor=VISITED_FILL, color=PATH, penwidth=2)
    if node.stage == path.current:
        state = "final stage" if path.final else "current stage"
        as_of = f" on {path.as_of.isoformat()}" if path.as_of else ""
        rows.insert(0, f'<FONT POINT-SIZE="10" COLOR="{CURRENT_LINE}"><B>▶ {state}{as_of}</B></FONT>')
        if path.next_step:
            wrapped = "<BR/>".join(_html(part) for part in _wrap("Next: " + path.next_step))
            rows.append(f'<FONT POINT-SIZE="10" COLOR="{CURRENT_LINE}"><I>{wrapped}</I></FONT>')
        attrs.update(fillcolor=CURRENT_FILL, color=CURRENT_LINE, penwidth=3.5)
    attrs["label"] = "<" + "<BR/>".join(rows) + ">"
    return f"{node.id} " + _attrs(**attrs)


def _choice(choice: Choice, path: PatientPath | None) -> str:
    if choice.checkpoint:
        rows = [f"<B>{_html(checkpoint_heading(choice, path))}</B>"] + [
            f'<FONT POINT-SIZE="9">{"<BR/>   ".join(_html(part) for part in _wrap(row, 30))}</FONT>'
            for row in checkpoint_rows(choice, path)
        ]
        tooltip = f"{choice.event.value} must meet: " + "; ".join(d for _, d in choice.requirements)
        attrs: dict[str, str | float] = {"fillcolor": GATE_FILL, "color": GATE_LINE, "margin": "0.02"}
    else:
        rows = [f'<FONT POINT-SIZE="9">{_html(choice.event.value)}</FONT>']
        tooltip = f"{choice.event.value}: the option chosen decides the way"
        attrs = {"fillcolor": "#f3f4f6", "color": "#6b7280", "margin": "0.01", "height": 0.4}
    attrs.update(shape="diamond", style="filled", fontcolor=INK, tooltip=tooltip)
    if path is not None:
        if any(s.event == choice.event.value and s.source in choice.sources for s in path.steps):
            attrs.update(penwidth=2.5, color=PATH)
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
    why: str = "",
) -> str:
    if path is None:
        colour = MUTED if broadcast else "#4b5563"
        return _attrs(
            label=text,
            color=colour,
            fontcolor=colour,
            style="dashed" if broadcast else "solid",
        )
    if not taken:
        # Ways not taken keep their shape but lose their words: the patient's own steps carry the labels.
        return _attrs(
            color=FAINT,
            style="dashed" if broadcast else "solid",
            arrowsize=0.5,
        )
    if not numbered:
        # The way out of a choice finishes the move begun on the way in: the same number, then why.
        numbers = ", ".join(str(s.number) for s in taken)
        words = "<BR/>".join(_html(line) for line in _wrap(text, 40))
        label = _padded(f'<B><FONT COLOR="{PATH}">{numbers}</FONT></B>  <FONT COLOR="{PATH}">{words}</FONT>')
        return _attrs(label=label, color=PATH, fontcolor=INK, fontsize=10, penwidth=3, arrowsize=0.9, weight=4)
    steps = "<BR/>".join(
        f'<B><FONT COLOR="{PATH}">{s.number}</FONT></B>  {s.date.isoformat()}  {_html(s.event)}' for s in taken
    )
    if why:
        steps += "<BR/>" + "<BR/>".join(f'<FONT COLOR="{PATH}">{_html(line)}</FONT>' for line in _wrap(why, 40))
    return _attrs(
        label=_padded(steps),
        color=PATH,
        fontcolor=INK,
        fontsize=10,
        penwidth=3,
        arrowsize=0.9,
        weight=4,
    )


def _padded(html: str) -> str:
    """An HTML-like label with a margin, so a curving line does not run over its first characters."""
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="5" CELLSPACING="0"><TR><TD>{html}</TD></TR></TABLE>>'


def _legend() -> list[str]:
    """A small key at the foot of the picture, so the colours need no explanation elsewhere."""
    keys = [
        (f'BGCOLOR="{CURRENT_FILL}"', "current stage"),
        (f'BGCOLOR="{VISITED_FILL}"', "stage visited (dates, events there)"),
        (f'BGCOLOR="{PATH}"', "move taken: step number, date, event"),
        (f'BGCOLOR="{PATH}"', "through a decision point: both parts carry the number"),
        (f'BGCOLOR="white" BORDER="1" COLOR="{FAINT}"', "not reached"),
    ]
    rows = [f'<TR><TD {colour} WIDTH="18"></TD><TD ALIGN="LEFT">{text}</TD></TR>' for colour, text in keys]
    table = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"
    return [f'  legend [shape=plaintext, style="", fontsize=10, label={table}]', "  { rank=sink; legend }"]
