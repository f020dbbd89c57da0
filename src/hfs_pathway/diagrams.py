"""Pictures of the pathway, generated from its one definition, and of one patient's path through it.

    >>> from hfs_pathway import diagram
    >>> text = diagram("mermaid")                          # the whole pathway, a Mermaid flowchart
    >>> svg = diagram("svg", pathway=pathway, as_of=day)   # a patient's path (needs Graphviz ``dot``)

Formats: ``mermaid`` (a flowchart; ``mermaid-flowchart`` names it too), ``mermaid-state``
(``stateDiagram-v2``), ``dot`` (Graphviz source) as text, and ``svg`` / ``png`` rendered by the Graphviz
``dot`` program. The ``transitions`` library's own diagram extension is not used: it marks only the last step
taken and needs pygraphviz; these renderers draw the whole path, numbered and dated.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Literal, overload

from ._arguments import as_date
from ._errors import PathwayError
from ._graph import PathwayGraph, PatientPath, pathway_graph, patient_path
from ._hfs import HFS_PATHWAY
from ._render_dot import render_dot
from ._render_mermaid import render_flowchart, render_state_diagram

if TYPE_CHECKING:
    from ._pathway import Pathway

DiagramFormat = Literal["mermaid", "mermaid-flowchart", "mermaid-state", "dot", "svg", "png"]
FORMATS: tuple[str, ...] = ("mermaid", "mermaid-flowchart", "mermaid-state", "dot", "svg", "png")
TEXT_FORMATS: tuple[str, ...] = ("mermaid", "mermaid-flowchart", "mermaid-state", "dot", "svg")
DOT_TIMEOUT_SECONDS = 60
DateLike = dt.date | dt.datetime | str


class DiagramError(PathwayError):
    """A diagram cannot be produced: an unknown format, or Graphviz ``dot`` missing or failing."""

    code = "diagram_error"


class MermaidText(str):
    """Mermaid source (a ``str``) that a notebook shows as a diagram (Jupyter renders Mermaid in Markdown)."""

    __slots__ = ()

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self}\n```"


class DotText(str):
    """Graphviz DOT source (a ``str``); a notebook shows it as code."""

    __slots__ = ()

    def _repr_markdown_(self) -> str:
        return f"```dot\n{self}\n```"


class SvgText(str):
    """An SVG picture as text (a ``str``) that a notebook shows as the picture."""

    __slots__ = ()

    def _repr_svg_(self) -> str:
        return str(self)


class PngBytes(bytes):
    """A PNG picture (``bytes``) that a notebook shows as the picture."""

    __slots__ = ()

    def _repr_png_(self) -> bytes:
        return bytes(self)


@overload
def diagram(
    format: Literal["mermaid", "mermaid-flowchart", "mermaid-state", "dot", "svg"] = "mermaid",
    *,
    pathway: Pathway | None = None,
    as_of: DateLike | None = None,
) -> str: ...
@overload
def diagram(format: Literal["png"], *, pathway: Pathway | None = None, as_of: DateLike | None = None) -> bytes: ...
@overload
def diagram(format: str, *, pathway: Pathway | None = None, as_of: DateLike | None = None) -> str | bytes: ...


def diagram(
    format: str = "mermaid",
    *,
    pathway: Pathway | None = None,
    as_of: DateLike | None = None,
) -> str | bytes:
    """The pathway diagram in ``format``; with ``pathway``, that patient's path is drawn over it.

    Formats: ``mermaid`` (a Mermaid flowchart; ``mermaid-flowchart`` is the same), ``mermaid-state`` (a Mermaid
    ``stateDiagram-v2``), ``dot`` (Graphviz source), ``svg`` and ``png``. Stages and moves are written in
    words taken from the definition. The path shows every stage visited with its dates and the events recorded
    there, each move in order with its number and date, and the current stage marked; the stages keep their
    places from one patient to the next. With ``as_of`` (a date, a datetime or an ISO string) the pathway is
    also evaluated on that date and the most pressing recommendation is shown as the next step
    (``OutOfOrder`` if the date is before the last event).

    The result is a ``str`` (``bytes`` for png) that a Jupyter notebook displays as a picture. ``svg`` and
    ``png`` need the Graphviz ``dot`` program (``HFS_PATHWAY_DOT`` may name it); without it a
    :class:`DiagramError` says so.
    """
    if format not in FORMATS:
        raise DiagramError(f"unknown diagram format {format!r}; choose one of: {', '.join(FORMATS)}")
    graph = pathway_graph(pathway.definition if pathway is not None else HFS_PATHWAY)
    day = None if as_of is None else as_date(as_of, "the diagram's date")
    path = patient_path(pathway, day) if pathway is not None else None
    if format == "mermaid-state":
        return MermaidText(render_state_diagram(graph, path))
    if format in ("mermaid", "mermaid-flowchart"):
        return MermaidText(render_flowchart(graph, path))
    source = render_dot(graph, path)
    if format == "dot":
        return DotText(source)
    image = render_with_dot(source, format)
    return SvgText(image.decode("utf-8")) if format == "svg" else PngBytes(image)


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
    "DotText",
    "MermaidText",
    "PathwayGraph",
    "PatientPath",
    "PngBytes",
    "SvgText",
    "diagram",
    "dot_program",
    "pathway_graph",
    "patient_path",
    "render_with_dot",
]
