"""``hfs-pathway cohort`` and ``hfs-pathway synth``: whole cohorts to a worklist, and synthetic cohorts.

The cohort package is imported only inside the handlers, so ``hfs-pathway --help`` stays cheap.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def register(commands: Any) -> None:
    """Add the ``cohort`` and ``synth`` commands to the CLI's subparsers."""
    from .cli import _date

    cohort = commands.add_parser(
        "cohort",
        help="evaluate a whole cohort and write a worklist, a summary and a report",
        description=(
            "Evaluate every case of an NDJSON file of cases (or, with the fhir extra, a folder of FHIR bundles or "
            "bulk-export NDJSON) as of a date, on every core with bounded memory. Writes evaluations.ndjson, "
            "worklist.csv (most urgent first), errors.ndjson, summary.json and report.html to OUTDIR, and prints "
            "the summary. A case that cannot be evaluated is reported and the run goes on; when no case at all "
            "could be evaluated the exit status is 2. The report's charts need matplotlib (the cohort extra); "
            "without it they are left out."
        ),
    )
    cohort.add_argument(
        "source",
        type=Path,
        metavar="CASES.ndjson",
        help="NDJSON of cases, or FHIR input (a folder or NDJSON of resources)",
    )
    cohort.add_argument("--as-of", type=_date, metavar="DATE", help="evaluation date, YYYY-MM-DD (default: today)")
    cohort.add_argument("-o", "--output-dir", type=Path, required=True, metavar="OUTDIR", help="where the outputs go")
    cohort.add_argument("--jobs", type=_count, default=0, metavar="N", help="processes (default 0: every CPU)")
    cohort.add_argument(
        "--horizon",
        type=_count,
        default=0,
        metavar="DAYS",
        help="also list scheduled actions due within DAYS (default 0)",
    )
    cohort.add_argument("--guideline", type=Path, metavar="FILE", help="a guideline file (.toml or .json)")
    cohort.add_argument(
        "--report-rows",
        type=_count,
        default=1000,
        metavar="N",
        help="worklist rows shown in report.html (default 1000)",
    )
    bar = cohort.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show progress")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="never show progress")
    cohort.add_argument("--format", choices=("text", "json"), default="text", help="how the summary is printed")
    cohort.set_defaults(handler=_cohort)

    synth = commands.add_parser(
        "synth",
        help="write synthetic cases across every branch of the pathway (NDJSON)",
        description="Clinically plausible synthetic cases, the same for the same --n, --seed and --as-of "
        "(distributions: docs/cohort.md). For tests, demonstrations and benchmarks; never real patients.",
    )
    synth.add_argument("--n", type=_count, required=True, help="number of cases")
    synth.add_argument("--seed", type=int, default=20250101)
    synth.add_argument(
        "--as-of", type=_date, default=dt.date(2026, 1, 1), metavar="DATE", help="every case ends by this date"
    )
    synth.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="NDJSON file ('-': stdout)")
    synth.set_defaults(handler=_synth)


def _cohort(args: argparse.Namespace) -> int:
    from importlib.util import find_spec

    from ._errors import InvalidArgument
    from ._guideline import Guideline
    from .cli import EXIT_BAD_INPUT
    from .cohort import render_summary, run_cohort

    if args.output_dir.exists() and not args.output_dir.is_dir():
        raise InvalidArgument(f"{str(args.output_dir)!r} is a file: give a folder for the outputs (-o OUTDIR)")
    guideline = Guideline.load(args.guideline) if args.guideline else None
    if find_spec("matplotlib") is None:
        print("hfs-pathway: matplotlib is not installed: report.html is written without charts", file=sys.stderr)
    shown = 0

    def report(error: Any) -> None:
        nonlocal shown
        shown += 1
        if shown <= 10:
            who = f" ({error.patient_id})" if error.patient_id else ""
            where = f", event {error.event_index}" if error.event_index is not None else ""
            print(
                f"hfs-pathway: {error.source} line {error.line}{who}: {error.code}{where}: {error.message}",
                file=sys.stderr,
            )

    started = time.perf_counter()
    run = run_cohort(
        args.source,
        args.output_dir,
        as_of=args.as_of,
        jobs=args.jobs,
        guideline=guideline,
        horizon_days=args.horizon,
        report_rows=args.report_rows,
        progress=args.progress,
        on_error=report,
    )
    elapsed = time.perf_counter() - started
    if shown > 10:
        print(f"hfs-pathway: {shown - 10} more cases not evaluated: see errors.ndjson", file=sys.stderr)
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(run.summary, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_summary(run.summary) + "\n")
        sys.stdout.write(f"outputs in {args.output_dir}: " + ", ".join(p.name for p in run.files.values()) + "\n")
    cases = run.summary["cases"]
    if sys.stderr.isatty() or args.progress:
        print(f"{cases} cases in {elapsed:.1f} s ({cases / max(elapsed, 1e-9):,.0f} cases/s)", file=sys.stderr)
    if not run.summary["evaluated"]:
        print(f"hfs-pathway: no case could be evaluated ({cases} read): see errors.ndjson", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _synth(args: argparse.Namespace) -> int:
    from .cli import writable_file
    from .cohort import write_synthetic

    if str(writable_file(args.output)) == "-":
        write_synthetic(sys.stdout.buffer, args.n, args.seed, args.as_of)
        sys.stdout.buffer.flush()
    else:
        write_synthetic(args.output, args.n, args.seed, args.as_of)
    return 0
