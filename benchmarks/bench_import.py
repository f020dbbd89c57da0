"""Import cost of hfs-pathway against its two dependencies, each in a fresh interpreter.

    python benchmarks/bench_import.py [--runs 15] [--detail 12]

Each statement runs in its own new ``python -c`` process, ``--runs`` times, round-robin after one
warm-up run each (so bytecode caches exist). Inside the process, ``time.perf_counter()`` around the
statement measures the import alone, without interpreter start-up; the wall time of the whole process
is reported beside it. Median and minimum are shown.

Statements:
  L1  import hfs_pathway                                       (the package; its modules load lazily)
  L2  import hfs_pathway; from hfs_pathway import Pathway, load_case      (the full library loaded)
  B1  import pydantic, transitions                             (baseline for L1)
  B2  from pydantic import BaseModel; import transitions       (baseline for L2)
  B3  from pydantic import BaseModel, Field; import transitions   (information: ``Field`` loads pydantic.fields
      and annotated_types, which any model with constrained fields needs; L2/B3 is shown, not judged)
  F1  L2, then the first replay + evaluate of one synthetic case (first use: deferred pydantic schemas
      are built here; information only, against B2)

Target: import within 1.5x of the baseline, checked as L1/B1 and L2/B2 on the minimum (the median is
shown too; on a shared machine it moves with other load, the minimum hardly does). ``--detail N`` adds the
top N modules by own import time for L2, from ``python -X importtime``.

Bytecode: the children write and read ``.pyc`` files in a private ``PYTHONPYCACHEPREFIX`` (a temporary
directory, removed at the end), so the library and its dependencies are both measured with cached
bytecode, as after a normal install, even where ``PYTHONDONTWRITEBYTECODE`` is set; the repository is not
written to. ``--no-bytecode-cache`` measures instead what a process sees with ``PYTHONDONTWRITEBYTECODE=1``
and no prefix: nothing is written, so modules without a ``__pycache__`` (an editable source checkout) are
compiled from source in every process, while installed dependencies keep the ``.pyc`` pip wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _synthetic import generate, machine_line, versions_line

TARGET_RATIO = 1.5

_PROBE = """\
import sys, time
before = set(sys.modules)
t0 = time.perf_counter()
{stmt}
t1 = time.perf_counter()
print(repr((t1 - t0) * 1000), len(set(sys.modules) - before), 'transitions' in sys.modules)
"""

FIRST_USE = (
    "import hfs_pathway; from hfs_pathway import Pathway, load_case; import datetime, json; "
    "Pathway.replay(load_case(json.loads(sys.argv[1]))).evaluate(datetime.date.fromisoformat(sys.argv[2]))"
)

STATEMENTS = [
    ("L1", "import hfs_pathway"),
    ("L2", "import hfs_pathway; from hfs_pathway import Pathway, load_case"),
    ("B1", "import pydantic, transitions"),
    ("B2", "from pydantic import BaseModel; import transitions"),
    ("B3", "from pydantic import BaseModel, Field; import transitions"),
    ("F1", FIRST_USE),
]
RATIOS = [
    ("L1", "B1", True),
    ("L2", "B2", True),
    ("L2", "B1", False),
    ("L2", "B3", False),
    ("F1", "B2", False),
]
"""(measured, baseline, is a target)."""


def child_env(cache: str | None) -> dict[str, str]:
    """The children's environment: bytecode written to and read from ``cache``, or never (``None``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = cache
    return env


ENV: dict[str, str] = {}


def run_once(stmt: str, args: list[str]) -> tuple[float, float, int, bool]:
    """One fresh process: (import ms, process wall ms, modules added, transitions loaded)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(stmt=stmt), *args], capture_output=True, text=True, check=False, env=ENV
    )
    wall = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{stmt!r} failed:\n{done.stderr}")
    ms, modules, transitions = done.stdout.split()
    return float(ms), wall, int(modules), transitions == "True"


def whole_process_pairs(pairs: int) -> None:
    """The issue's method: L2 and B2 as whole processes (interpreter start-up included), alternating, ``pairs``
    times after one warm-up each; the ratio of the median wall times is judged."""
    l2, b2 = dict(STATEMENTS)["L2"], dict(STATEMENTS)["B2"]

    def wall(stmt: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", stmt], check=True, env=ENV)
        return (time.perf_counter() - start) * 1000

    wall(l2)
    wall(b2)
    library, baseline = [], []
    for _ in range(pairs):
        library.append(wall(l2))
        baseline.append(wall(b2))
    ratio = statistics.median(library) / statistics.median(baseline)
    verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
    print(
        f"\nwhole processes, {pairs} alternating pairs: L2 median {statistics.median(library):.1f} ms, B2 median "
        f"{statistics.median(baseline):.1f} ms: {ratio:.2f}x (target <= {TARGET_RATIO:g}x: {verdict}); "
        f"load average {os.getloadavg()[0]:.2f}"
    )


def import_detail(top: int) -> None:
    """The modules that cost most to import in L2, by own time, from one ``-X importtime`` run."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", dict(STATEMENTS)["L2"]],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        rows.append((int(own), int(cumulative), name))
    print(f"\nL2 by module, one run of python -X importtime (top {top} by own time; ms):")
    print(f"    {'own':>7} {'cumul.':>7}  module")
    for own, cumulative, name in sorted(rows, key=lambda r: r[0], reverse=True)[:top]:
        print(f"    {own / 1000:7.2f} {cumulative / 1000:7.2f}  {name.strip()}")
    total = sum(r[0] for r in rows)
    ours = sum(r[0] for r in rows if r[2].strip().startswith("hfs_pathway"))
    print(f"    own time of hfs_pathway modules: {ours / 1000:.1f} ms of {total / 1000:.1f} ms in all")


def main() -> None:
    parser = argparse.ArgumentParser(description="Import cost of hfs-pathway in fresh interpreters.")
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per statement (default 15)")
    parser.add_argument("--detail", type=int, default=0, metavar="TOP", help="also list the TOP costliest modules")
    parser.add_argument("--pairs", type=int, default=9, help="whole-process L2/B2 pairs (default 9; 0: skip)")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="write no bytecode (PYTHONDONTWRITEBYTECODE=1): modules without a __pycache__ compile every time",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hfs-bench-pycache-") as cache:
        ENV.update(child_env(None if args.no_bytecode_cache else cache))
        measure(args)


def measure(args: argparse.Namespace) -> None:

    sample = generate(1)[0]
    argv = [json.dumps(sample.case), sample.as_of.isoformat()]
    print("hfs-pathway import benchmark")
    print(machine_line())
    print(versions_line())
    print("command: " + " ".join([os.path.relpath(sys.executable), *sys.argv]))
    print(f"method: {args.runs} fresh `python -c` processes per statement, round-robin after 1 warm-up each;")
    print("        import ms = perf_counter around the statement inside the process (no interpreter start-up)")
    if args.no_bytecode_cache:
        print("bytecode: none written (PYTHONDONTWRITEBYTECODE=1): modules without a __pycache__, such as an")
        print("          editable checkout, are compiled in every process; installed packages keep pip's .pyc")
    else:
        print("bytecode: cached for every module (library and dependencies) in a private PYTHONPYCACHEPREFIX,")
        print("          written by the warm-up run, as an installed wheel would have it")

    results: dict[str, list[tuple[float, float, int, bool]]] = {label: [] for label, _ in STATEMENTS}
    for _, stmt in STATEMENTS:
        run_once(stmt, argv)
    run_once("pass", [])
    empty = []
    for _ in range(args.runs):
        empty.append(run_once("pass", [])[1])
        for label, stmt in STATEMENTS:
            results[label].append(run_once(stmt, argv))

    print()
    print(
        f"{'':4}{'statement':<66} {'median ms':>9} {'min ms':>7} {'process ms':>10} {'modules':>7} {'transitions':>11}"
    )
    print(
        f"{'--':4}{'python -c pass (interpreter start-up only)':<66} {'':>9} {'':>7} {statistics.median(empty):10.1f}"
    )
    medians = {}
    for label, stmt in STATEMENTS:
        runs = results[label]
        ms = [r[0] for r in runs]
        medians[label] = statistics.median(ms)
        shown = stmt if len(stmt) <= 66 else "L2 + first Pathway.replay(load_case(case)).evaluate(as_of)"
        print(
            f"{label:<4}{shown:<66} {medians[label]:9.1f} {min(ms):7.1f} {statistics.median(r[1] for r in runs):10.1f}"
            f" {runs[0][2]:7d} {'loaded' if runs[0][3] else 'not loaded':>11}"
        )

    print("\nratios of import ms (the target is judged on the minimum: other load on the machine only adds time):")
    for measured, baseline, target in RATIOS:
        ratio = medians[measured] / medians[baseline]
        mins = min(r[0] for r in results[measured]) / min(r[0] for r in results[baseline])
        verdict = "MET" if mins <= TARGET_RATIO else "NOT MET"
        note = f"target <= {TARGET_RATIO:g}x: {verdict}" if target else "information"
        print(f"    {measured} / {baseline}:  by minimum {mins:5.2f}x, by median {ratio:5.2f}x   {note}")

    if args.pairs:
        whole_process_pairs(args.pairs)
    if args.detail:
        import_detail(args.detail)


if __name__ == "__main__":
    main()
