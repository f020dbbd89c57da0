"""Pictures of the pathway, generated from its one definition, and of one patient's path through it.

    >>> from hfs_pathway import diagram
    >>> text = diagram("mermaid")                          # the whole pathway, Mermaid stateDiagram-v2
    >>> svg = diagram("svg", pathway=pathway, as_of=day)   # a patient's path (needs Graphviz ``dot``)

Formats: ``mermaid`` (``stateDiagram-v2``), ``mermaid-flowchart``, ``dot`` (Graphviz source) as text, and
``svg`` / ``png`` rendered by the Graphviz ``dot`` program. The ``transitions`` library's own diagram
extension is not used: it marks only the last step taken and needs pygraphviz; these renderers draw
the whole path, numbered and dated.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Literal, overload

from ._errors import PathwayError
from ._graph import PathwayGraph, PatientPath, pathway_graph, patient_path
from ._hfs import HFS_PATHWAY
from ._render_dot import render_dot
from ._render_mermaid import render_flowchart, render_state_diagram

if TYPE_CHECKING:
    from ._pathway import Pathway

DiagramFormat = Literal["mermaid", "mermaid-flowchart", "dot", "svg", "png"]
FORMATS: tuple[str, ...] = ("mermaid", "mermaid-flowchart", "dot", "svg", "png")
TEXT_FORMATS: tuple[str, ...] = ("mermaid", "mermaid-flowchart", "dot", "svg")
DOT_TIMEOUT_SECONDS = 60


class DiagramError(PathwayError):
    """A diagram cannot be produced: an unknown format, or Graphviz ``dot`` missing or failing."""

    code = "diagram_error"


@overload
def diagram(
    format: Literal["mermaid", "mermaid-flowchart", "dot", "svg"] = "mermaid",
    *,
    pathway: Pathway | None = None,
    as_of: dt.date | None = None,
) -> str: ...
@overload
def diagram(format: Literal["png"], *, pathway: Pathway | None = None, as_of: dt.date | None = None) -> bytes: ...
@overload
def diagram(format: str, *, pathway: Pathway | None = None, as_of: dt.date | None = None) -> str | bytes: ...


def diagram(
    format: str = "mermaid",
    *,
    pathway: Pathway | None = None,
    as_of: dt.date | None = None,
) -> str | bytes:
    """The pathway diagram in ``format``; with ``pathway``, that patient's path is drawn over it.

    The path shows every stage visited with its dates and the events recorded there, each move in order
    with its number, date and event, and the current stage marked. With ``as_of`` the pathway is also
    evaluated on that date and the first recommendation is shown as the next step (``OutOfOrder`` if the
    date is before the last event).

    ``svg`` (text) and ``png`` (bytes) need the Graphviz ``dot`` program (``HFS_PATHWAY_DOT`` may name
    it); without it a :class:`DiagramError` says so.
    """
    if format not in FORMATS:
        raise DiagramError(f"unknown diagram format {format!r}; choose one of: {', '.join(FORMATS)}")
    graph = pathway_graph(pathway.definition if pathway is not None else HFS_PATHWAY)
    path = patient_path(pathway, as_of) if pathway is not None else None
    if format == "mermaid":
        return render_state_diagram(graph, path)
    if format == "mermaid-flowchart":
        return render_flowchart(graph, path)
    source = render_dot(graph, path)
    if format == "dot":
        return source
    image = render_with_dot(source, format)
    return image.decode("utf-8") if format == "svg" else image


def render_with_dot(source: str, output: str) -> bytes:
    """Run Graphviz ``dot`` on DOT ``source`` and return the ``output`` (``svg``, ``png``...) it writes."""
    program = dot_program()
    if program is None:
        raise DiagramError(
            "the Graphviz 'dot' program is needed for svg and png diagrams; install Graphviz "
            "(e.g. apt-get install graphviz) or use --format dot or mermaid"
        )
    try:
        done = subprocess.run(
            [program, f"-T{output}"],
            input=source.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=DOT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DiagramError(f"Graphviz dot could not run: {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiagramError("Graphviz dot failed: " + (detail[0] if detail else f"exit status {done.returncode}"))
    return done.stdout


def dot_program() -> str | None:
    """The Graphviz ``dot`` executable: ``$HFS_PATHWAY_DOT`` if set, else ``dot`` on the ``PATH``."""
    return os.environ.get("HFS_PATHWAY_DOT") or shutil.which("dot")


__all__ = [
    "FORMATS",
    "DiagramError",
    "DiagramFormat",
    "PathwayGraph",
    "PatientPath",
    "diagram",
    "dot_program",
    "pathway_graph",
    "patient_path",
    "render_with_dot",
]
