"""Evaluation throughput: the library against the pure-Python limit, on the same synthetic cases.

    python benchmarks/bench_evaluate.py [--n 2000] [--repeat 5] [--seed 20250101] [--profile 12]

Every variant handles the same ``n`` JSON-ready cases of 20 events (``_synthetic.py``), in one process:

(a) baseline: the library's own pydantic validation of each event (``EVENT_ADAPTER.validate_python``)
    and of the patient (``Patient.model_validate``), then a plain dict table ``{(stage, event_type): dest}``
    replay; the few routes that depend on the event (or on two poor toxin cycles in a row, or on the date
    of surgery) choose their destination in a tiny inline function. No derived record, no alerts, no
    recommendations: validation plus routing, the pure-Python limit.
(b) library: ``Pathway.replay(load_case(case)).evaluate(as_of)`` with the default table engine.
(c) the same with ``engine="transitions"``: the ``transitions`` machine decides every event.
(d) (b) plus ``evaluation.to_dict()``, the JSON-ready output of the contract.

One warm-up pass of every variant, then ``--repeat`` timed passes, interleaved; the median pass is
reported. The target is (b) within 3x of (a). ``--profile N`` adds a cProfile of (b): the top N
functions by cumulative time and by own time, after a split of (b) into loading, replaying and
evaluating timed without the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from _synthetic import DEFAULT_SEED, EVENTS_PER_CASE, generate, machine_line, versions_line

from hfs_pathway import Pathway, Patient, load_case
from hfs_pathway._dates import add_months
from hfs_pathway._events import EVENT_ADAPTER

Item = tuple[dict[str, Any], dt.date]
TARGET_RATIO = 3.0

# (a) The baseline: validation with the library's own models, then a dict table --------------------------


def _after_presentation(event: Any, state: list[Any]) -> str:
    return "imaging" if event.clinical_impression in ("hemifacial_spasm", "uncertain") else "exited"


def _after_imaging(event: Any, state: list[Any]) -> str:
    return "treatment_selection" if event.finding in ("neurovascular_conflict", "no_abnormality") else "secondary_cause"


def _after_decision(event: Any, state: list[Any]) -> str:
    return event.option.value  # the option names the stage


def _after_response(event: Any, state: list[Any]) -> str | None:
    duration = event.benefit_duration_days
    poor = event.peak_improvement_percent < 50 or (duration is not None and duration <= 56)
    state[0] = state[0] + 1 if poor else 0
    return "waning_response" if state[0] >= 2 else None


def _after_adjustment(event: Any, state: list[Any]) -> str:
    state[0] = 0
    return "botulinum_toxin"


def _after_checkpoint(event: Any, state: list[Any]) -> str:
    return "mvd_referral" if event.decision == "refer_for_mvd" else event.next_option.value


def _after_surgery(event: Any, state: list[Any]) -> str:
    state[1] = event.date
    return "post_mvd"


def _after_post_mvd_review(event: Any, state: list[Any]) -> str | None:
    return "discharged" if event.spasm == "resolved" and event.date >= add_months(state[1], 24) else None


_ACTIVE = ("treatment_selection", "observation", "oral_medication", "botulinum_toxin", "waning_response")
TABLE: dict[tuple[str, str], str | Callable[[Any, list[Any]], str | None] | None] = {
    ("presentation", "presentation"): _after_presentation,
    ("imaging", "imaging_result"): _after_imaging,
    **{(stage, "treatment_decision"): _after_decision for stage in _ACTIVE},
    ("botulinum_toxin", "botox_injection"): None,
    ("botulinum_toxin", "botox_response"): _after_response,
    ("botulinum_toxin", "review_visit"): None,
    ("waning_response", "botox_plan_adjusted"): _after_adjustment,
    ("botulinum_toxin", "botox_plan_adjusted"): _after_adjustment,
    ("surgical_evaluation", "surgical_risk_assessment"): None,
    ("surgical_evaluation", "risk_benefit_decision"): _after_checkpoint,
    ("mvd_referral", "mvd_performed"): _after_surgery,
    ("post_mvd", "post_mvd_review"): _after_post_mvd_review,
}
"""Only the (stage, event) pairs the synthetic stories use; a missing pair is a refusal (KeyError)."""


def baseline_case(case: dict[str, Any]) -> str:
    Patient.model_validate(case["patient"])
    events = [EVENT_ADAPTER.validate_python(raw) for raw in case["events"]]
    stage = "presentation"
    state: list[Any] = [0, None]  # poor toxin cycles in a row, date of surgery
    for event in events:
        route = TABLE[(stage, event.type)]
        dest = route(event, state) if callable(route) else route
        if dest is not None:
            stage = dest
    return stage


def run_baseline(items: Sequence[Item]) -> None:
    for case, _ in items:
        baseline_case(case)


# (b)-(d) The library -------------------------------------------------------------------------------------


def run_table(items: Sequence[Item]) -> None:
    for case, as_of in items:
        Pathway.replay(load_case(case)).evaluate(as_of)


def run_transitions(items: Sequence[Item]) -> None:
    for case, as_of in items:
        Pathway.replay(load_case(case), engine="transitions").evaluate(as_of)


def run_table_to_dict(items: Sequence[Item]) -> None:
    for case, as_of in items:
        Pathway.replay(load_case(case)).evaluate(as_of).to_dict()


VARIANTS: list[tuple[str, str, Callable[[Sequence[Item]], None]]] = [
    ("(a)", "baseline: pydantic validation + dict-table replay", run_baseline),
    ("(b)", "library: replay(load_case).evaluate, table engine", run_table),
    ("(c)", "library: same, engine='transitions'", run_transitions),
    ("(d)", "library: (b) + evaluation.to_dict()", run_table_to_dict),
]


# Measuring -----------------------------------------------------------------------------------------------


def timed(run: Callable[[Sequence[Item]], None], items: Sequence[Item]) -> float:
    gc.collect()
    start = time.perf_counter()
    run(items)
    return time.perf_counter() - start


def check_agreement(items: Sequence[Item]) -> None:
    """Outside the timing: the baseline, both engines and the library agree on every case's stage."""
    for i, (case, as_of) in enumerate(items):
        table = Pathway.replay(load_case(case))
        machine = Pathway.replay(load_case(case), engine="transitions")
        stages = {baseline_case(case), table.stage.value, machine.stage.value}
        if len(stages) != 1 or table.evaluate(as_of).to_dict() != machine.evaluate(as_of).to_dict():
            raise AssertionError(f"case {i}: the variants disagree ({sorted(stages)})")


def run_validate_only(items: Sequence[Item]) -> None:
    for case, _ in items:
        Patient.model_validate(case["patient"])
        for raw in case["events"]:
            EVENT_ADAPTER.validate_python(raw)


def run_load_case(items: Sequence[Item]) -> None:
    for case, _ in items:
        load_case(case)


def run_load_replay(items: Sequence[Item]) -> None:
    for case, _ in items:
        Pathway.replay(load_case(case))


def breakdown(items: Sequence[Item], repeat: int) -> None:
    """Where (b)'s time goes, by subtraction of cumulative steps timed without a profiler."""
    steps = [
        ("(a) validation only: Patient + EVENT_ADAPTER per event", run_validate_only),
        ("(a) whole baseline", run_baseline),
        ("load_case(case)", run_load_case),
        ("Pathway.replay(load_case(case))", run_load_replay),
        ("(b) ... .evaluate(as_of)", run_table),
    ]
    for _, run in steps:
        run(items)
    medians: dict[str, list[float]] = {}
    for _ in range(repeat):
        for title, run in steps:
            medians.setdefault(title, []).append(timed(run, items))
    n = len(items)
    per = {title: statistics.median(ts) / n * 1e6 for title, ts in medians.items()}
    load, replay, full = per["load_case(case)"], per["Pathway.replay(load_case(case))"], per["(b) ... .evaluate(as_of)"]
    print("\nbreakdown of (b), timed without a profiler (median µs/case):")
    for title, value in per.items():
        print(f"    {value:8.1f}  {title}")
    print(
        f"    (b) = load_case {load:.1f} + replay {replay - load:.1f} "
        f"({(replay - load) / EVENTS_PER_CASE:.2f} per event) + evaluate {full - replay:.1f} µs/case"
    )


def _where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a builtin
    for marker in ("/site-packages/", "/src/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    else:
        filename = os.path.basename(filename)
    return f"{filename}:{line}({name})"


def profile(items: Sequence[Item], top: int) -> None:
    """cProfile one pass of (b): where the time goes, per case."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_table(items)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = [
        (func, nc, tt, ct)
        for func, (_cc, nc, tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
        if not func[0].endswith("bench_evaluate.py") and func[2] != "<method 'disable' of '_lsprof.Profiler' objects>"
    ]
    total = sum(tt for _, _, tt, _ in rows)
    n = len(items)
    print(f"\nprofile of (b), one pass under cProfile ({total / n * 1e6:.0f} µs/case with profiling overhead)")
    for title, key in (("by cumulative time", 3), ("by own time", 2)):
        print(f"  top {top} {title}:")
        print(f"    {'calls/case':>10} {'own µs/case':>11} {'cum µs/case':>11} {'cum %':>6}  function")
        for func, nc, tt, ct in sorted(rows, key=lambda r: r[key], reverse=True)[:top]:
            print(
                f"    {nc / n:10.1f} {tt / n * 1e6:11.1f} {ct / n * 1e6:11.1f} {100 * ct / total:5.1f}%  {_where(func)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluation throughput of hfs-pathway against a pure-Python baseline.")
    parser.add_argument("--n", type=int, default=2000, help="number of synthetic cases (default 2000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes per variant (default 5)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"generator seed (default {DEFAULT_SEED})")
    parser.add_argument("--profile", type=int, default=0, metavar="TOP", help="also profile (b), showing TOP functions")
    args = parser.parse_args()

    synthetic = generate(args.n, args.seed)
    items: list[Item] = [(c.case, c.as_of) for c in synthetic]
    kinds = Counter(c.kind for c in synthetic)

    print("hfs-pathway evaluation benchmark")
    print(machine_line())
    print(versions_line())
    print("command: " + " ".join([os.path.relpath(sys.executable), *sys.argv]))
    print(
        f"cases: {args.n} synthetic cases x {EVENTS_PER_CASE} events (seed {args.seed}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + f"); 1 warm-up pass, {args.repeat} timed passes per variant, interleaved; median pass reported"
    )

    check_agreement(items)
    for _, _, run in VARIANTS:  # warm-up: deferred pydantic schemas, the transitions machine, caches
        run(items)
    times: dict[str, list[float]] = {label: [] for label, _, _ in VARIANTS}
    for _ in range(args.repeat):
        for label, _, run in VARIANTS:
            times[label].append(timed(run, items))

    n = len(items)
    base = statistics.median(times["(a)"]) / n
    print()
    print(f"{'variant':<56} {'cases/s':>9} {'µs/case':>9} {'µs/event':>9} {'min-max µs/case':>16} {'x (a)':>7}")
    for label, title, _ in VARIANTS:
        per_case = statistics.median(times[label]) / n
        spread = f"{min(times[label]) / n * 1e6:.0f}-{max(times[label]) / n * 1e6:.0f}"
        print(
            f"{label + ' ' + title:<56} {1 / per_case:9.0f} {per_case * 1e6:9.1f} "
            f"{per_case / EVENTS_PER_CASE * 1e6:9.2f} {spread:>16} {per_case / base:7.2f}"
        )
    ratio = statistics.median(times["(b)"]) / statistics.median(times["(a)"])
    verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
    print(f"\ntarget: (b) within {TARGET_RATIO:g}x of baseline (a): {ratio:.2f}x -> {verdict}")

    if args.profile:
        breakdown(items, args.repeat)
        profile(items, args.profile)


if __name__ == "__main__":
    main()
