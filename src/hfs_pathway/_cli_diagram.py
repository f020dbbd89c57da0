"""``hfs-pathway diagram``: the pathway as Mermaid, DOT, SVG or PNG, or one patient's path through it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

FORMATS = ("mermaid", "mermaid-flowchart", "mermaid-state", "dot", "svg", "png")


def register(commands: Any) -> None:
    """Add the ``diagram`` command to the CLI's subcommands."""
    from .cli import _date

    parser: argparse.ArgumentParser = commands.add_parser(
        "diagram",
        help="draw the pathway, or a patient's path through it",
        description=(
            "Draw the pathway from its definition, or with --case the path one patient took: stages visited "
            "with dates, each move numbered and dated, the current stage marked. svg and png need Graphviz dot."
        ),
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="mermaid",
        help="output format (default: mermaid, a flowchart; mermaid-state: a state diagram)",
    )
    parser.add_argument("--case", type=Path, metavar="CASE.json", help="draw this patient's path")
    parser.add_argument(
        "--as-of", type=_date, metavar="DATE", help="evaluate the case on this date (YYYY-MM-DD) for the next step"
    )
    parser.add_argument("--guideline", type=Path, metavar="FILE", help="a guideline file (.toml or .json)")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    parser.set_defaults(handler=_diagram)


def _diagram(args: argparse.Namespace) -> int:
    from ._guideline import Guideline
    from ._pathway import Pathway
    from .cli import load_input
    from .diagrams import DiagramError, diagram

    if args.case is None and (args.as_of is not None or args.guideline is not None):
        raise DiagramError("--as-of and --guideline describe a patient's path: give the case with --case")
    pathway = None
    if args.case is not None:
        guideline = Guideline.load(args.guideline) if args.guideline else None
        pathway = Pathway.replay(load_input(args.case), guideline=guideline)
    result = diagram(args.format, pathway=pathway, as_of=args.as_of)
    data = result.encode("utf-8") if isinstance(result, str) else result
    if args.output is None:
        if isinstance(result, bytes) and sys.stdout.isatty():
            raise DiagramError("a PNG picture is binary and would garble the terminal: write it with -o FILE.png")
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    try:
        args.output.write_bytes(data)
    except OSError as exc:
        raise DiagramError(f"cannot write the diagram to {args.output}: {exc.strerror or exc}") from None
    return 0
