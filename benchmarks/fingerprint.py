"""A fingerprint of what the library does, for changes that must not change it (speed work, refactoring).

    python benchmarks/fingerprint.py OUT.ndjson          # then: cmp OUT.ndjson BEFORE.ndjson
    python benchmarks/fingerprint.py --sha256            # only the number of lines and their SHA-256

Writes one line per check (about 180,000 lines, 20-40 s): synthetic cohort cases (``hfs-pathway synth`` seeds 7
and 11, 3,000 each), the benchmark's 20-event cases (2,000) and the examples, each evaluated at the end with both
engines and after every event, the text report of each; and, at every event of the first 1,000 cases, three events
taken from other cases (re-dated to that event's date) tried on the pathway: the error's type and words, or the
accepted history entry and the last alerts, with a check that a refused event changed nothing. Run it on the
revision before a change and after it; the two files must be identical (``cmp``), unless the change was meant to
change behaviour. ``--sha256`` writes no file (it would be about 550 MB) and prints the count and digest instead:
``make test-compiled`` compares those of the Python and the compiled build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _synthetic import generate

from hfs_pathway import Pathway, evaluate_case, load_case
from hfs_pathway._text import render_evaluation
from hfs_pathway.cohort._synth import DEFAULT_AS_OF, synthetic_cases

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _evaluation(pathway: Pathway, as_of: dt.date) -> str:
    return json.dumps(pathway.evaluate(as_of).to_dict(), sort_keys=True, default=str)


def _state(pathway: Pathway) -> tuple[Any, ...]:
    return (
        pathway.stage,
        len(pathway.events),
        len(pathway.history),
        len(pathway.alerts),
        pathway.botox_cycles,
        pathway.risk_benefit,
        pathway.history[-1:],
    )


def main(out_path: str | None) -> None:
    """Write the fingerprint to ``out_path`` (``None``: only print its line count and SHA-256)."""
    digest = hashlib.sha256()
    lines = 0
    out = open(out_path, "w", encoding="utf-8") if out_path else None  # noqa: SIM115  # closed below

    def write(line: str) -> None:
        nonlocal lines
        lines += 1
        digest.update(line.encode())
        if out is not None:
            out.write(line)

    try:
        _fingerprint(write)
    finally:
        if out is not None:
            out.close()
    print(f"{lines} outputs, sha256 {digest.hexdigest()}")


def _fingerprint(write: Callable[[str], None]) -> None:
    cases: list[dict[str, Any]] = []
    for seed in (7, 11):
        cases += [s.case for s in synthetic_cases(3000, seed, DEFAULT_AS_OF)]
    cohort_cases = len(cases)
    cases += [c.case for c in generate(2000)]
    for path in sorted(EXAMPLES.glob("*.json")):
        if path.name != "expected.json":
            cases.append(json.loads(path.read_text(encoding="utf-8")))
    rng = random.Random(5)
    probes = [e for c in cases[:3000] for e in c["events"]]
    for number, raw in enumerate(cases):
        case = load_case(raw)
        end = case.events[-1].date if case.events else dt.date(2020, 1, 1)
        as_of = max(end, DEFAULT_AS_OF) if number < cohort_cases else end
        for engine in ("table", "transitions"):
            write(f"{number} {engine} {_evaluation(Pathway.replay(case, engine=engine), as_of)}\n")
        report = render_evaluation(evaluate_case(json.dumps(raw), as_of))
        write(f"{number} text {hashlib.sha256(report.encode()).hexdigest()}\n")
        pathway = Pathway(case.patient)
        for index, event in enumerate(case.events):
            pathway.apply(event)
            write(f"{number}.{index} {_evaluation(pathway, event.date)}\n")
            if number >= 1000:
                continue
            for _ in range(3):
                probe = dict(rng.choice(probes))
                probe["date"] = event.date.isoformat()
                before = _state(pathway)
                try:
                    entry = pathway.apply(probe)
                except Exception as exc:  # every refusal is part of the fingerprint
                    if _state(pathway) != before:
                        changed = f"case {number}, event {index}: a refused event changed the pathway"
                        raise AssertionError(changed) from exc
                    write(f"{number}.{index} probe {probe['type']} {type(exc).__name__} {exc}\n")
                else:
                    alerts = list(pathway.alerts[-3:])
                    write(f"{number}.{index} probe {probe['type']} accepted {entry!r} {alerts!r}\n")
                    pathway = Pathway.replay({"patient": raw["patient"], "events": raw["events"][: index + 1]})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(None if sys.argv[1] == "--sha256" else sys.argv[1])
