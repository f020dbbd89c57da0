"""Instruction counts of the replay and the evaluation, under valgrind (callgrind): figures that do not depend on
what else the machine is doing.

    python benchmarks/bench_instructions.py [--n 300] [--seed 7] [--per-type]

Time on a shared machine varies by 5% or more from run to run; the number of instructions the CPU executes for
the same code and input does not (the same count to within a few instructions per event, run after run). It is
not time (a cache miss costs many instructions' worth), but it tells whether a change made the work smaller, and
by how much, while others use the machine. Each figure is the difference between two runs of this script under
callgrind, one that only loads the cases and one that also does the work, divided by the number of events or cases:

- replay: ``Pathway.replay(case)`` of the loaded cases, per accepted event (the replay step, with each case's
  pathway construction shared out over its events);
- evaluate: ``pathway.evaluate(as_of)`` of the replayed pathways, per case;
- evaluate_case: ``evaluate_case(text, as_of)`` on the JSON text, per case (loading, replay, evaluation).

``--per-type`` adds the replay step per event type: each step of the type runs alone inside a call of
``functools.reduce``, and callgrind counts only inside that C function (``--toggle-collect``); the cost of such a
call with no event is counted the same way and subtracted. Needs ``valgrind`` (Debian package ``valgrind``); about
10 s per figure for 300 cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from _synthetic import machine_line, versions_line

AS_OF = dt.date(2026, 1, 1)
TOP_TYPES = ("botox_response", "botox_injection", "presentation", "imaging_result", "treatment_decision")


def _child(mode: str, n: int, seed: int, event_type: str | None) -> None:
    """Runs under callgrind: load the cases, warm up, then do the work of ``mode``; prints the counts."""
    from hfs_pathway import Pathway, evaluate_case, load_case
    from hfs_pathway.cohort import _json
    from hfs_pathway.cohort._synth import synthetic_cases

    texts = [_json.dumps(item.case) for item in synthetic_cases(n, seed, AS_OF)]
    cases = [load_case(text) for text in texts]
    pathways = [Pathway.replay(case) for case in cases]
    for pathway in pathways[:20]:  # builds what the first evaluation loads (the advice module, its caches)
        pathway.evaluate(AS_OF)
    events = Counter(event.type for case in cases for event in case.events)
    if mode == "replay":
        for case in cases:
            Pathway.replay(case)
    elif mode == "evaluate":
        for pathway in pathways:
            pathway.evaluate(AS_OF)
    elif mode == "evaluate_case":
        for text in texts:
            evaluate_case(text, AS_OF)
    elif mode in ("type", "empty"):
        # One call of functools.reduce per step of the type (callgrind counts only inside it); "empty" makes the
        # same calls with no event, for the cost of the call itself.
        for case in cases:
            run = Pathway(case.patient)._run
            for event in case.events:
                if event.type == event_type:
                    work = (event,) if mode == "type" else ()
                    functools.reduce(lambda _, batch, run=run: run(batch), (work,), None)
                    if mode == "empty":
                        run((event,))
                else:
                    run((event,))
    print(sum(events.values()), events.get(event_type or "", 0), len(cases))


def _callgrind(mode: str, args: argparse.Namespace, event_type: str | None = None) -> tuple[int, list[int]]:
    """Instructions collected by callgrind for one run of the child, and what the child printed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        if mode in ("type", "empty"):
            command += ["--collect-atstart=no", "--toggle-collect=functools_reduce"]
        command += [sys.executable, __file__, "--child", mode, "--n", str(args.n), "--seed", str(args.seed)]
        if event_type:
            command += ["--event-type", event_type]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        for line in out.read_text().splitlines():
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1]), [int(x) for x in done.stdout.split()]
    raise RuntimeError("callgrind wrote no totals")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="synthetic cohort cases (default 300)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-type", action="store_true", help="also the replay step per event type")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--event-type", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.n, args.seed, args.event_type)
        return
    if shutil.which("valgrind") is None:
        sys.exit("bench_instructions.py needs valgrind on the PATH (Debian: apt-get install valgrind)")
    print("hfs-pathway instruction counts (valgrind callgrind, PYTHONHASHSEED=0)")
    print(machine_line())
    print(versions_line())
    print(f"cases: hfs-pathway synth --n {args.n} --seed {args.seed} (as of {AS_OF})")
    base, (events, _, cases) = _callgrind("load", args)
    print(f"{events} events in {cases} cases; loading and warming up: {base:,} instructions")
    work = (("replay", "event", events), ("evaluate", "case", cases), ("evaluate_case", "case", cases))
    for mode, unit, count in work:
        total, _ = _callgrind(mode, args)
        print(f"    {mode:<14} {(total - base) / count:>10,.0f} instructions per {unit}")
    if args.per_type:
        empty, (_, calls, _) = _callgrind("empty", args, TOP_TYPES[0])
        per_call = empty / calls
        print(f"replay step per event type (one step per call; a call with no event, {per_call:,.0f}, subtracted):")
        for event_type in TOP_TYPES:
            total, (_, count, _) = _callgrind("type", args, event_type)
            print(f"    {event_type:<24} {count:>6} events {total / count - per_call:>10,.0f} instructions per event")


if __name__ == "__main__":
    main()
