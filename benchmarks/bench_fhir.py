"""FHIR import and export cost per patient record, against baselines measured in the same run.

    python benchmarks/bench_fhir.py [--repeat 300] [--rounds 5]

For each Bundle of ``examples/fhir/`` (one patient each), in one process, after a warm-up:

  B0  json.loads of the Bundle text                       (baseline: reading the bytes at all)
  B1  load_case of the case the Bundle maps to            (baseline: the library's own validation of the facts)
  B2  Pathway.replay(load_case(...)) of that case         (baseline: validation plus the pathway's own replay,
                                                          which the import also does to decide each event)
  I1  import_bundle of the parsed Bundle                  (the default import: elements read are checked)
  I2  import_bundle(..., strict=True)                     (every resource also validated by fhir.resources)
  C1  import_resources + Pathway.replay + evaluate + proposed_orders   (what a CDS Hooks request does;
      import_bundle for a transaction whose resources have no ids)
  E1  export_evaluation                                   (Bundle built and validated with fhir.resources)

Each statement runs ``--repeat`` times per round; the median of ``--rounds`` rounds is the figure, in
microseconds per call. Ratios: I1 against B2, B1 and B0 (information: the import reads and reports every
resource, skipped ones included, while B1/B2 see only the resulting events). Target: C1 under 2 ms for every
example (the CDS service needs p99 under 50 ms at 16 concurrent clients on 2 cores), checked on the worst bundle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _synthetic import machine_line, versions_line

from hfs_pathway import Pathway, load_case
from hfs_pathway.fhir import export_evaluation, import_bundle, import_resources, proposed_orders

EXAMPLES = Path(__file__).parent.parent / "examples" / "fhir"


def _time(fn: Callable[[], Any], repeat: int, rounds: int) -> float:
    fn()
    results = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        results.append((time.perf_counter() - start) / repeat * 1e6)
    return statistics.median(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine_line())
    print(versions_line())
    names = ("B0", "B1", "B2", "I1", "I2", "C1", "E1")
    columns = " ".join(f"{k:>7}" if k not in {"I2", "E1"} else f"{k:>8}" for k in names)
    header = f"{'bundle':28} {'res':>4} {columns}  I1/B2 I1/B1 I1/B0"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for path in sorted(EXAMPLES.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        bundle = json.loads(text)
        resources = [e["resource"] for e in bundle.get("entry", []) if "resource" in e]
        imported = import_bundle(bundle)
        case_data = imported.case.to_dict()
        last = imported.case.events[-1].date if imported.case.events else dt.date(2025, 1, 1)
        as_of = last + dt.timedelta(days=30)
        evaluation = Pathway.replay(imported.case).evaluate(as_of)

        # A transaction's resources may have no ids (their fullUrls name them): read those as the Bundle.
        loose = all("id" in r for r in resources)

        def cds(
            resources: list[Any] = resources, bundle: Any = bundle, as_of: dt.date = as_of, loose: bool = loose
        ) -> Any:
            result = import_resources(resources) if loose else import_bundle(bundle)
            ev = Pathway.replay(result.case).evaluate(as_of)
            return proposed_orders(ev, result.case)

        figures = {
            "B0": _time(lambda text=text: json.loads(text), args.repeat, args.rounds),
            "B1": _time(lambda d=case_data: load_case(d), args.repeat, args.rounds),
            "B2": _time(lambda d=case_data: Pathway.replay(load_case(d)), args.repeat, args.rounds),
            "I1": _time(lambda b=bundle: import_bundle(b), args.repeat, args.rounds),
            "I2": _time(lambda b=bundle: import_bundle(b, strict=True), max(args.repeat // 10, 5), args.rounds),
            "C1": _time(cds, args.repeat, args.rounds),
            "E1": _time(
                lambda ev=evaluation, i=imported: export_evaluation(ev, i.case, imported=i),
                max(args.repeat // 10, 5),
                args.rounds,
            ),
        }
        ratio = figures["I1"] / figures["B2"]
        worst = max(worst, figures["C1"])
        print(
            f"{path.name:28} {len(resources):4d} "
            + " ".join(f"{figures[k]:7.0f}" if k not in {"I2", "E1"} else f"{figures[k]:8.0f}" for k in figures)
            + f"  {ratio:5.2f} {figures['I1'] / figures['B1']:5.2f} {figures['I1'] / figures['B0']:5.2f}"
        )
    print("figures: microseconds per call (median of rounds)")
    print(f"worst C1: {worst / 1000:.2f} ms per CDS request (target 2 ms): {'met' if worst < 2000 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
