"""``hfs-pathway fhir``: read a FHIR Bundle as a case, write an evaluation or the pathway as FHIR."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    """Add the ``fhir`` command (``import``, ``export``, ``plandefinition``, ``questionnaires``) to the CLI."""
    from .cli import _date

    parser: argparse.ArgumentParser = commands.add_parser(
        "fhir",
        help="FHIR R4: import a Bundle as a case, export an evaluation, the pathway as a PlanDefinition",
        description="FHIR R4 import and export (the 'fhir' extra). The mapping is on the FHIR page of the docs.",
    )
    actions = parser.add_subparsers(dest="fhir_command", required=True, metavar="ACTION")

    read = actions.add_parser(
        "import",
        help="read a Bundle: the case JSON on standard output, skipped resources and findings on standard error",
    )
    read.add_argument("bundle", type=Path, metavar="BUNDLE.json", help="the Bundle ('-': standard input)")
    read.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: one object with case, skipped and findings on standard output",
    )
    read.add_argument("--strict", action="store_true", help="also validate every resource in full (slower)")
    read.set_defaults(handler=_import)

    write = actions.add_parser("export", help="evaluate a case (or a Bundle) and print the evaluation as a Bundle")
    write.add_argument("case", type=Path, metavar="CASE.json", help="a case file or a Bundle ('-': standard input)")
    write.add_argument("--as-of", type=_date, metavar="DATE", help="evaluation date, YYYY-MM-DD (default: today)")
    write.add_argument("--guideline", type=Path, metavar="FILE", help="a guideline file (.toml or .json)")
    write.set_defaults(handler=_export)

    plan = actions.add_parser("plandefinition", help="print the pathway as a FHIR PlanDefinition")
    plan.set_defaults(handler=_plan)

    forms = actions.add_parser(
        "questionnaires",
        help="write the pathway's SDC Questionnaires (one JSON file per form) into a folder",
        description="Write one FHIR R4 Questionnaire per form (presentation, toxin response, decisions, post-MVD "
        "review) into DIR as <form>.json; their QuestionnaireResponses import with 'fhir import'.",
    )
    forms.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="folder to write (created)")
    forms.set_defaults(handler=_questionnaires)


def _print(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def _import(args: argparse.Namespace) -> int:
    from .cli import read_input, require_extra

    if args.strict:
        require_extra("fhir", "fhir.resources")
    from .fhir import import_bundle

    imported = import_bundle(read_input(args.bundle, "file"), strict=args.strict)
    if args.format == "json":
        _print(imported.to_dict())
        return 0
    _print(imported.case.to_dict())
    for skipped in imported.skipped:
        print(f"skipped {skipped.resource_type}/{skipped.id or '?'}: {skipped.reason}", file=sys.stderr)
    for finding in imported.findings:
        print(f"finding {finding.code} ({finding.severity.value}): {finding.text}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from .cli import require_extra

    require_extra("fhir", "fhir.resources")
    from ._guideline import Guideline
    from ._pathway import Pathway
    from .cli import read_input
    from .fhir import FhirImport, export_evaluation, import_bundle

    imported: FhirImport | None = None
    text = read_input(args.case, "file")
    raw = _parse_json(text)
    if isinstance(raw, dict) and raw.get("resourceType") == "Bundle":
        imported = import_bundle(raw)
        case = imported.case
    else:
        from ._case import load_case

        case = load_case(raw if raw is not None else text)
    guideline = Guideline.load(args.guideline) if args.guideline else None
    evaluation = Pathway.replay(case, guideline=guideline).evaluate(args.as_of)
    _print(export_evaluation(evaluation, case, imported=imported))
    return 0


def _parse_json(text: bytes) -> Any:
    """The parsed JSON of ``text``, or ``None`` to let the case loader report what is wrong with it."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _questionnaires(args: argparse.Namespace) -> int:
    from .fhir import questionnaires

    try:
        args.output.mkdir(parents=True, exist_ok=True)
        for form in questionnaires():
            path = args.output / f"{form['id']}.json"
            path.write_text(json.dumps(form, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            print(path)
    except OSError as exc:
        print(f"error: cannot write the questionnaires to {str(args.output)!r}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def _plan(args: argparse.Namespace) -> int:
    from .cli import require_extra

    require_extra("fhir", "fhir.resources")
    from .fhir import plan_definition

    _print(plan_definition())
    return 0
