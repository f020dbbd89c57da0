"""The ``hfs-pathway`` command line: evaluate and validate case files, show the guideline.

Exit status 0 on success, 2 on bad input, including a bad option (with ``--format json`` the error is printed
on standard output as ``{"error": {"code", "message", "event_index"}}``). ``-`` in place of a file reads
standard input.

Commands that need an optional extra (``fhir``, ``cohort``, ``diagram``, ``serve``) live in their own
``_cli_*`` modules. Each registers its parser with ``register(commands)`` and sets a ``handler``; the module
imports its extra's libraries only inside the handler, so ``hfs-pathway --help`` stays cheap.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from ._arguments import as_date
from ._case import DEFAULT_LIMITS, Case, check_size, load_case, read_limited
from ._errors import InvalidArgument, PathwayError
from ._guideline import Guideline, default_guideline
from ._pathway import Pathway
from ._record import COMPILED
from ._text import render_evaluation, render_guideline

EXIT_BAD_INPUT = 2

# Modules that add commands, in the order they appear in ``--help``.
_COMMAND_MODULES = ("_cli_fhir", "_cli_cohort", "_cli_diagram", "_cli_serve")


# The optional extras, by the top-level module each installs: a command that meets one missing says which
# extra to install instead of printing a traceback.
EXTRA_OF_MODULE = {
    "fhir": "fhir",
    "fastapi": "cds",
    "uvicorn": "cds",
    "jwt": "cds",
    "httpx": "cds",
    "matplotlib": "cohort",
    "tqdm": "cohort",
    "orjson": "cohort",
    "mkdocs": "docs",
}


def _date(text: str) -> dt.date:
    try:
        return as_date(text, "the date")
    except InvalidArgument as error:
        raise argparse.ArgumentTypeError(error.message) from None


class UsageError(Exception):
    """The command line itself is wrong (an unknown option, a bad value): argparse's message, kept to report it
    like any other bad input."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is raised (and reported by :func:`main`, as JSON with ``--format json``)
    instead of printed and exited from inside the parser."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage())


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hfs-pathway",
        description=(
            "Decision support along the hemifacial spasm treatment pathway. Proposals only: a clinician decides."
        ),
    )
    build = "compiled core" if COMPILED else "pure Python"  # see docs/performance.md, "The compiled core"
    parser.add_argument("--version", action="version", version=f"hfs-pathway {__version__} ({build})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    evaluate = commands.add_parser("evaluate", help="evaluate a case as of a date")
    evaluate.add_argument("case", type=Path, metavar="CASE.json", help="a case file or a FHIR Bundle ('-': stdin)")
    evaluate.add_argument("--as-of", type=_date, help="evaluation date, YYYY-MM-DD (default: today)")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument("--guideline", type=Path, metavar="FILE", help="a guideline file (.toml or .json)")

    validate = commands.add_parser(
        "validate", help="check that a case file (or a FHIR Bundle) is valid and every event is accepted"
    )
    validate.add_argument("case", type=Path, metavar="CASE.json", help="a case file or a FHIR Bundle ('-': stdin)")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--guideline", type=Path, metavar="FILE")

    guideline = commands.add_parser("guideline", help="the guideline's parameters")
    guideline_commands = guideline.add_subparsers(dest="guideline_command", required=True, metavar="ACTION")
    show = guideline_commands.add_parser("show", help="show every parameter with unit and evidence")
    show.add_argument("--guideline", type=Path, metavar="FILE")
    show.add_argument(
        "--format",
        choices=("text", "json", "toml"),
        default="text",
        help="toml: a guideline file that --guideline loads back (edit it to make a clinic's own)",
    )

    commands.add_parser(
        "schema",
        help="print the JSON Schema of a case file (for editors and other languages)",
        description="The JSON Schema (draft 2020-12) of a case file, generated from the event models: every "
        "event type with its fields, types and allowed values. Save it and point an editor at it.",
    )

    from importlib import import_module
    from importlib.util import find_spec

    for name in _COMMAND_MODULES:
        if find_spec(f"{__package__}.{name}") is not None:
            import_module(f"{__package__}.{name}").register(commands)
    return parser


def read_input(path: Path, what: str = "case file") -> bytes:
    """The bytes of ``path``, or of standard input when it is ``-``; a file that cannot be read, or is larger
    than a case may be, is an :class:`InvalidCase` naming it and the reason."""
    if str(path) == "-":
        data = sys.stdin.buffer.read(DEFAULT_LIMITS.max_bytes + 1)
        check_size(data, DEFAULT_LIMITS.max_bytes, "standard input")
        return data
    return read_limited(path, DEFAULT_LIMITS.max_bytes, what)


def load_input(path: Path) -> Case:
    """The case in ``path`` (``-``: standard input): a case file, or a FHIR Bundle read through
    ``hfs_pathway.fhir`` (loaded only then).

    For a Bundle, the resources that were skipped and the findings about the record are summed up on
    standard error (``hfs-pathway fhir import`` lists them).
    """
    raw = read_input(path)
    if b'"resourceType"' not in raw:
        return load_case(raw)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return load_case(raw)
    if not (isinstance(data, dict) and data.get("resourceType") == "Bundle"):
        return load_case(data)
    from .fhir import import_bundle

    imported = import_bundle(data)
    if imported.skipped or imported.findings:
        print(
            f"hfs-pathway: read {len(imported.case.events)} events from the Bundle; {len(imported.skipped)} resources "
            f"skipped, {len(imported.findings)} findings (see: hfs-pathway fhir import {path})",
            file=sys.stderr,
        )
    return imported.case


def writable_file(path: Path) -> Path:
    """``path`` checked as a file to write: not a folder, in a folder that exists (``-`` passes)."""
    if str(path) == "-":
        return path
    if path.is_dir():
        raise InvalidArgument(f"{str(path)!r} is a folder: give the name of a file to write")
    if not path.parent.is_dir():
        raise InvalidArgument(f"cannot write {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    return path


class MissingExtra(Exception):
    """A command needs an optional extra that is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(
            f"this command needs the {extra!r} extra ({module} is not installed): pip install 'hfs-pathway[{extra}]'"
        )


def require_extra(extra: str, *modules: str) -> None:
    """Raise :class:`MissingExtra` unless every module of ``extra`` can be imported."""
    from importlib.util import find_spec

    for module in modules:
        try:
            found = find_spec(module) is not None
        except (ImportError, ValueError):  # a dotted name whose parent package is missing
            found = False
        if not found:
            raise MissingExtra(extra, module)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(arguments)
    except UsageError as error:
        if _wants_json(arguments):
            _print({"error": {"code": "invalid_argument", "message": error.message, "event_index": None}}, "json")
        else:
            print(f"{error.usage.rstrip()}\nhfs-pathway: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    fmt: str = getattr(args, "format", "text")
    try:
        return _run(args, fmt)
    except MissingExtra as error:
        print(f"hfs-pathway: {error}", file=sys.stderr)
    except PathwayError as error:
        _report(error, fmt)
    except ModuleNotFoundError as error:
        extra = EXTRA_OF_MODULE.get((error.name or "").split(".")[0])
        if extra is None:
            raise
        print(f"hfs-pathway: {MissingExtra(extra, error.name or extra)}", file=sys.stderr)
    except OSError as error:
        where = f" {error.filename!r}" if error.filename else ""
        _report(InvalidArgument(f"cannot use{where}: {error.strerror or error}"), fmt)
    return EXIT_BAD_INPUT


def _wants_json(arguments: list[str]) -> bool:
    pairs = zip(arguments, [*arguments[1:], ""], strict=True)
    return any(a == "--format=json" or (a == "--format" and b == "json") for a, b in pairs)


def _run(args: argparse.Namespace, fmt: str) -> int:
    handler = getattr(args, "handler", None)
    if handler is not None:
        status: int = handler(args)
        return status
    if args.command == "schema":
        from ._schema import case_schema

        _print(case_schema(), "json")
        return 0
    guideline = Guideline.load(args.guideline) if args.guideline else default_guideline()
    if args.command == "evaluate":
        evaluation = Pathway.replay(load_input(args.case), guideline=guideline).evaluate(args.as_of)
        _print(evaluation.to_dict() if fmt == "json" else render_evaluation(evaluation), fmt)
    elif args.command == "validate":
        pathway = Pathway.replay(load_input(args.case), guideline=guideline)
        result = {
            "valid": True,
            "patient_id": pathway.patient.id,
            "events": len(pathway.events),
            "stage": pathway.stage.value,
        }
        _print(
            result if fmt == "json" else f"valid: {len(pathway.events)} events, stage {pathway.stage.value}",
            fmt,
        )
    else:
        rows = [
            {
                "name": p.name,
                "value": p.value,
                "default": p.default,
                "unit": p.unit,
                "description": p.description,
                "evidence": list(p.evidence),
            }
            for p in guideline.parameters()
        ]
        payload = {
            "name": guideline.name,
            "version": guideline.version,
            "contract_revision": guideline.contract_revision,
            "parameters": rows,
        }
        if fmt == "toml":
            sys.stdout.write(guideline.to_toml())
        else:
            _print(payload if fmt == "json" else render_guideline(guideline), fmt)
    return 0


def _report(error: PathwayError, fmt: str) -> None:
    if fmt == "json":
        _print({"error": error.to_dict()}, fmt)
    else:
        where = f" (event {error.event_index})" if error.event_index is not None else ""
        print(f"hfs-pathway: {error.code}{where}: {error.message}", file=sys.stderr)


def _print(payload: Any, fmt: str) -> None:
    """Print ``payload`` as indented JSON or as text."""
    if fmt == "json":
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(f"{payload}\n")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
