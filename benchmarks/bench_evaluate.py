"""Evaluation throughput: the library against the pure-Python limit, on the same synthetic cases.

    python benchmarks/bench_evaluate.py [--cases cohort|bench] [--n N] [--repeat 5] [--seed S] [--profile 12]

Two sets of cases: ``cohort`` (the default), the cases ``hfs-pathway synth`` writes (every branch of the
pathway, 12.4 events a case on average; default 3000 cases, seed 7), and ``bench``, the benchmark's own cases
of exactly 20 events (``_synthetic.py``; default 2000 cases). Every variant handles the same cases, in one
process:

(a) baseline: the library's own pydantic validation of each event (``EVENT_ADAPTER.validate_python``)
    and of the patient (``Patient.model_validate``), then a plain dict-table replay ``{(stage, event_type):
    dest or a tiny function of the event}``. No derived record, no alerts, no recommendations.
(b) library: ``Pathway.replay(load_case(case)).evaluate(as_of)`` with the default table engine.
(c) the same with ``engine="transitions"``: the ``transitions`` machine decides every event.
(d) (b) plus ``evaluation.to_dict()``, the JSON-ready output of the contract.
(e) floor: ``json.loads`` of the case's JSON text, validation with a generic pydantic model (an event is a
    ``type`` and a ``date``, every other field allowed as it is), then the same dict-table replay as (a).
(f) library: ``evaluate_case(text, as_of)`` on the same JSON text.

One warm-up pass of every variant, then ``--repeat`` timed passes, interleaved; the median pass is
reported; times are the process's CPU time (``--clock wall`` for wall time). Targets: (f) within 2.5x
of (e); (b) within 3x of (a). ``--profile N`` adds a split of (f) into loading, replaying and evaluating
timed without the profiler (the replay of already loaded cases, per accepted event, is the replay step), then a
cProfile of (f): the top N functions by cumulative and own time. ``--per-type`` adds the replay step's CPU time
per event type.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from _synthetic import DEFAULT_SEED, generate, machine_line, versions_line
from pydantic import BaseModel, ConfigDict

from hfs_pathway import Case, Pathway, Patient, evaluate_case, load_case
from hfs_pathway._dates import add_months
from hfs_pathway._events import EVENT_ADAPTER
from hfs_pathway.cohort._synth import DEFAULT_AS_OF, synthetic_cases

Item = tuple[dict[str, Any], dt.date, str]
"""A case as JSON-ready data, the date to evaluate it on, and its JSON text."""
TARGET_RATIO = 3.0
"""(b) against (a)."""
FLOOR_TARGET_RATIO = 2.5
"""(f) against (e)."""
COHORT_SEED = 7
CLOCK = [time.process_time]
"""CPU time of this process (``--clock wall`` for wall time): on a shared machine a process waiting for a core
is not charged for the wait, so the figures stay close to those of a quiet machine; the benchmark is one thread."""

# (a) The baseline: validation with the library's own models, then a dict table --------------------------


_URGENT_FLAGS = ("facial_weakness", "facial_numbness", "hearing_loss", "other_cranial_nerve_signs", "rapid_progression")


def _field(event: Any, name: str) -> Any:
    """A field of a typed event (a) or of a generic one (e), whose other fields are kept as extras."""
    extra = getattr(event, "__pydantic_extra__", None)
    return extra.get(name) if extra else getattr(event, name, None)


def _after_presentation(event: Any, state: list[Any]) -> str:
    if _field(event, "clinical_impression") in ("hemifacial_spasm", "uncertain"):
        return "imaging"
    return "imaging" if any(_field(event, f) for f in _URGENT_FLAGS) else "exited"


_SECONDARY = ("tumour", "vascular_malformation", "other_structural", "demyelination")


def _after_imaging(event: Any, state: list[Any]) -> str | None:
    if _field(event, "finding") in _SECONDARY:
        return "secondary_cause"
    return "treatment_selection" if state[2] == "imaging" else None


def _after_decision(event: Any, state: list[Any]) -> str:
    return str(_field(event, "option"))  # the option names the stage


def _after_response(event: Any, state: list[Any]) -> str | None:
    duration = _field(event, "benefit_duration_days")
    poor = _field(event, "peak_improvement_percent") < 50 or (duration is not None and duration <= 56)
    state[0] = state[0] + 1 if poor else 0
    return "waning_response" if state[0] >= 2 else None


def _after_adjustment(event: Any, state: list[Any]) -> str:
    state[0] = 0
    return "botulinum_toxin"


def _after_checkpoint(event: Any, state: list[Any]) -> str:
    return "mvd_referral" if _field(event, "decision") == "refer_for_mvd" else str(_field(event, "next_option"))


def _after_surgery(event: Any, state: list[Any]) -> str:
    state[1] = event.date
    return "post_mvd"


def _after_post_mvd_review(event: Any, state: list[Any]) -> str | None:
    spasm = _field(event, "spasm")
    if spasm == "resolved" and event.date >= add_months(state[1], 24):
        return "discharged"
    if spasm in ("recurred", "persistent") and event.date >= add_months(state[1], 12):
        return "treatment_selection"
    return None


def _after_medication_review(event: Any, state: list[Any]) -> str | None:
    good = _field(event, "response") == "good" and _field(event, "adverse_effects") != "intolerable"
    return None if good else "treatment_selection"


def _after_review(event: Any, state: list[Any]) -> str | None:
    return "treatment_selection" if state[2] == "observation" and _field(event, "wants_treatment") else None


def _after_secondary_outcome(event: Any, state: list[Any]) -> str:
    outcome = _field(event, "outcome")
    return {"spasm_persists": "treatment_selection", "resolved": "discharged"}.get(str(outcome), "exited")


_ACTIVE = ("treatment_selection", "observation", "oral_medication", "botulinum_toxin", "waning_response")
Route = str | Callable[[Any, list[Any]], str | None] | None
TABLE: dict[tuple[str, str], Route] = {
    ("presentation", "presentation"): _after_presentation,
    **{(stage, "treatment_decision"): _after_decision for stage in _ACTIVE},
    ("botulinum_toxin", "botox_injection"): None,
    ("botulinum_toxin", "botox_response"): _after_response,
    ("waning_response", "botox_plan_adjusted"): _after_adjustment,
    ("botulinum_toxin", "botox_plan_adjusted"): _after_adjustment,
    ("surgical_evaluation", "surgical_risk_assessment"): None,
    ("surgical_evaluation", "risk_benefit_decision"): _after_checkpoint,
    ("mvd_referral", "mvd_performed"): _after_surgery,
    ("mvd_referral", "referral_closed"): "treatment_selection",
    ("post_mvd", "post_mvd_review"): _after_post_mvd_review,
    ("oral_medication", "medication_started"): None,
    ("oral_medication", "medication_review"): _after_medication_review,
    ("secondary_cause", "secondary_cause_outcome"): _after_secondary_outcome,
    **{(stage, "review_visit"): _after_review for stage in ("observation", "oral_medication", "botulinum_toxin")},
    ("post_mvd", "review_visit"): None,
    **{(stage, "imaging_result"): _after_imaging for stage in ("imaging", *_ACTIVE, "post_mvd")},
    **{(stage, "red_flag"): "imaging" for stage in (*_ACTIVE, "post_mvd", "discharged")},
    **{(stage, "pathway_exit"): "exited" for stage in (*_ACTIVE, "imaging", "post_mvd", "mvd_referral")},
}
"""The (stage, event) pairs the synthetic cases use, each with its destination (``None``: stay) or a tiny function
of the event choosing it; a pair not listed stays where it is."""


def table_replay(events: Sequence[Any]) -> str:
    stage = "presentation"
    state: list[Any] = [0, None, stage]  # poor toxin cycles in a row, date of surgery, current stage
    get = TABLE.get
    for event in events:
        route = get((stage, event.type))
        dest = route(event, state) if callable(route) else route
        if dest is not None:
            stage = state[2] = dest
    return stage


def baseline_case(case: dict[str, Any]) -> str:
    Patient.model_validate(case["patient"])
    return table_replay([EVENT_ADAPTER.validate_python(raw) for raw in case["events"]])


def run_baseline(items: Sequence[Item]) -> None:
    for case, _, _ in items:
        baseline_case(case)


# (e) The floor: the standard JSON parser, a generic model, the same dict table -----------------------------


class GenericEvent(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    date: dt.date


class GenericPatient(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    birth_date: dt.date | None = None


class GenericCase(BaseModel):
    patient: GenericPatient
    events: list[GenericEvent]


def floor_case(text: str) -> str:
    return table_replay(GenericCase.model_validate(json.loads(text)).events)


def run_floor(items: Sequence[Item]) -> None:
    for _, _, text in items:
        floor_case(text)


def run_evaluate_case(items: Sequence[Item]) -> None:
    for _, as_of, text in items:
        evaluate_case(text, as_of)


# (b)-(d) The library -------------------------------------------------------------------------------------


def run_table(items: Sequence[Item]) -> None:
    for case, as_of, _ in items:
        Pathway.replay(load_case(case)).evaluate(as_of)


def run_transitions(items: Sequence[Item]) -> None:
    for case, as_of, _ in items:
        Pathway.replay(load_case(case), engine="transitions").evaluate(as_of)


def run_table_to_dict(items: Sequence[Item]) -> None:
    for case, as_of, _ in items:
        Pathway.replay(load_case(case)).evaluate(as_of).to_dict()


VARIANTS: list[tuple[str, str, Callable[[Sequence[Item]], None]]] = [
    ("(a)", "baseline: pydantic validation + dict-table replay", run_baseline),
    ("(b)", "library: replay(load_case).evaluate, table engine", run_table),
    ("(c)", "library: same, engine='transitions'", run_transitions),
    ("(d)", "library: (b) + evaluation.to_dict()", run_table_to_dict),
    ("(e)", "floor: json.loads + generic model + dict table", run_floor),
    ("(f)", "library: evaluate_case(text, as_of)", run_evaluate_case),
]


# Measuring -----------------------------------------------------------------------------------------------


def timed(run: Callable[[Sequence[Item]], None], items: Sequence[Item]) -> float:
    gc.collect()
    start = CLOCK[0]()
    run(items)
    return CLOCK[0]() - start


def check_agreement(items: Sequence[Item], exact: bool) -> float:
    """Outside the timing: both engines give identical evaluations on every case, and evaluate_case on the text
    gives the same one; the dict table reaches the library's stage on every case (``exact``, the bench set) or
    on the share returned (the cohort set, whose rarer routes the table only approximates)."""
    same = 0
    for i, (case, as_of, text) in enumerate(items):
        table = Pathway.replay(load_case(case))
        machine = Pathway.replay(load_case(case), engine="transitions")
        expected = table.evaluate(as_of).to_dict()
        if expected != machine.evaluate(as_of).to_dict() or expected != evaluate_case(text, as_of).to_dict():
            raise AssertionError(f"case {i}: the engines or the entry points disagree")
        stages = {baseline_case(case), floor_case(text), table.stage.value}
        if len(stages) == 1:
            same += 1
        elif exact:
            raise AssertionError(f"case {i}: the dict table and the library disagree ({sorted(stages)})")
    return same / len(items)


def run_validate_only(items: Sequence[Item]) -> None:
    for case, _, _ in items:
        Patient.model_validate(case["patient"])
        for raw in case["events"]:
            EVENT_ADAPTER.validate_python(raw)


def run_load_text(items: Sequence[Item]) -> None:
    for _, _, text in items:
        load_case(text)


def breakdown(items: Sequence[Item], repeat: int) -> None:
    """Where (f)'s time goes, each part timed on its own without a profiler."""
    cases = [load_case(text) for _, _, text in items]
    pathways = [Pathway.replay(case) for case in cases]
    events = sum(len(c.events) for c in cases)

    def replay(_: Sequence[Item]) -> None:
        for case in cases:
            Pathway.replay(case)

    def evaluate(_: Sequence[Item]) -> None:
        for pathway, (_, as_of, _) in zip(pathways, items, strict=True):
            pathway.evaluate(as_of)

    def generic(_: Sequence[Item]) -> None:
        for _, _, text in items:
            GenericCase.model_validate(json.loads(text))

    steps: list[tuple[str, Callable[[Sequence[Item]], None]]] = [
        ("(e) json.loads + generic model only", generic),
        ("(e) whole floor", run_floor),
        ("load_case(text)", run_load_text),
        ("Pathway.replay(case) of loaded cases", replay),
        ("pathway.evaluate(as_of) of replayed pathways", evaluate),
        ("(f) evaluate_case(text, as_of)", run_evaluate_case),
    ]
    for _, run in steps:
        run(items)
    medians: dict[str, list[float]] = {}
    for _ in range(repeat):
        for title, run in steps:
            medians.setdefault(title, []).append(timed(run, items))
    n = len(items)
    per = {title: statistics.median(ts) / n * 1e6 for title, ts in medians.items()}
    print("\nbreakdown of (f), each part timed alone without a profiler (median µs/case):")
    for title, value in per.items():
        print(f"    {value:8.1f}  {title}")
    step = statistics.median(medians["Pathway.replay(case) of loaded cases"]) / events * 1e6
    print(f"    replay step: {step:.2f} µs per accepted event ({events} events; target <= 3 µs)")


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
    """cProfile one pass of (f): where the time goes, per case."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_evaluate_case(items)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = [
        (func, nc, tt, ct)
        for func, (_cc, nc, tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
        if not func[0].endswith("bench_evaluate.py") and func[2] != "<method 'disable' of '_lsprof.Profiler' objects>"
    ]
    total = sum(tt for _, _, tt, _ in rows)
    n = len(items)
    print(f"\nprofile of (f), one pass under cProfile ({total / n * 1e6:.0f} µs/case with profiling overhead)")
    for title, key in (("by cumulative time", 3), ("by own time", 2)):
        print(f"  top {top} {title}:")
        print(f"    {'calls/case':>10} {'own µs/case':>11} {'cum µs/case':>11} {'cum %':>6}  function")
        for func, nc, tt, ct in sorted(rows, key=lambda r: r[key], reverse=True)[:top]:
            print(
                f"    {nc / n:10.1f} {tt / n * 1e6:11.1f} {ct / n * 1e6:11.1f} {100 * ct / total:5.1f}%  {_where(func)}"
            )


def long_cases(sizes: Sequence[int]) -> None:
    """Replay time of one long case (a patient under observation with thousands of routine reviews) by length:
    a linear replay costs the same per event at every length."""
    opening = [
        {
            "type": "presentation",
            "date": "2020-01-06",
            "symptom_onset_date": "2019-01-01",
            "side": "left",
            "onset_region": "periocular",
            "clinical_impression": "hemifacial_spasm",
        },
        {"type": "imaging_result", "date": "2020-02-03", "modality": "mri", "finding": "neurovascular_conflict"},
        {"type": "treatment_decision", "date": "2020-02-10", "option": "observation", "shared_decision": True},
    ]
    review = {"type": "review_visit", "date": "2020-03-02", "wants_treatment": False}
    print("\nlong cases: Pathway.replay of one case of N events (3 opening events, then routine reviews)")
    print(f"    {'events':>8} {'replay s':>9} {'µs/event':>9}")
    Pathway.replay(load_case({"patient": {"id": "warm-up"}, "events": [*opening, review]}))
    for size in sizes:
        case = Case(
            patient=Patient(id="long"),
            events=tuple(EVENT_ADAPTER.validate_python(e) for e in opening + [review] * (size - 3)),
        )
        started = CLOCK[0]()
        Pathway.replay(case)
        elapsed = CLOCK[0]() - started
        print(f"    {size:8d} {elapsed:9.3f} {elapsed / size * 1e6:9.2f}")


def cohort_items(n: int, seed: int) -> tuple[list[Item], Counter[str]]:
    items: list[Item] = []
    kinds: Counter[str] = Counter()
    for synthetic in synthetic_cases(n, seed, DEFAULT_AS_OF):
        items.append((synthetic.case, DEFAULT_AS_OF, json.dumps(synthetic.case)))
        kinds[synthetic.story] += 1
    return items, kinds


def bench_items(n: int, seed: int) -> tuple[list[Item], Counter[str]]:
    synthetic = generate(n, seed)
    return [(c.case, c.as_of, json.dumps(c.case)) for c in synthetic], Counter(c.kind for c in synthetic)


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluation throughput of hfs-pathway against a pure-Python baseline.")
    parser.add_argument("--cases", choices=("cohort", "bench"), default="cohort", help="which synthetic cases")
    parser.add_argument("--n", type=int, help="number of cases (default 3000 cohort cases, 2000 bench cases)")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes per variant (default 5)")
    parser.add_argument("--seed", type=int, help=f"generator seed (default {COHORT_SEED} / {DEFAULT_SEED})")
    parser.add_argument("--profile", type=int, default=0, metavar="TOP", help="also profile (f), showing TOP functions")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="CPU time (default) or wall time")
    parser.add_argument(
        "--long", default="", metavar="N,N", help="only time the replay of one case of N events, each N"
    )
    parser.add_argument("--per-type", action="store_true", help="also time the replay step per event type")
    args = parser.parse_args()
    CLOCK[0] = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"clock: {'CPU time of the process (time.process_time)' if args.clock == 'cpu' else 'wall time'}")
    if args.long:
        print(machine_line())
        print(versions_line())
        print(f"load: {_load()}")
        long_cases([int(n) for n in args.long.split(",")])
        return

    if args.cases == "cohort":
        n, seed = args.n or 3000, COHORT_SEED if args.seed is None else args.seed
        items, kinds = cohort_items(n, seed)
        source = f"hfs-pathway synth --n {n} --seed {seed} (as of {DEFAULT_AS_OF})"
    else:
        n, seed = args.n or 2000, DEFAULT_SEED if args.seed is None else args.seed
        items, kinds = bench_items(n, seed)
        source = f"benchmarks/_synthetic.py, {n} cases of 20 events, seed {seed}"
    events = sum(len(case["events"]) for case, _, _ in items)

    print("hfs-pathway evaluation benchmark")
    print(machine_line())
    print(versions_line())
    print(f"load: {_load()}")
    print("command: " + " ".join([os.path.relpath(sys.executable), *sys.argv]))
    print(
        f"cases: {source}; {events / n:.1f} events a case; "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + f"; 1 warm-up pass, {args.repeat} timed passes per variant, interleaved; median pass reported"
    )

    agreement = check_agreement(items, exact=args.cases == "bench")
    print(f"the dict table reaches the library's stage on {100 * agreement:.1f}% of the cases")
    for _, _, run in VARIANTS:  # warm-up: deferred pydantic schemas, the transitions machine, caches
        run(items)
    times: dict[str, list[float]] = {label: [] for label, _, _ in VARIANTS}
    for _ in range(args.repeat):
        for label, _, run in VARIANTS:
            times[label].append(timed(run, items))

    base = statistics.median(times["(a)"]) / n
    print()
    print(f"{'variant':<56} {'cases/s':>9} {'µs/case':>9} {'µs/event':>9} {'min-max µs/case':>16} {'x (a)':>7}")
    for label, title, _ in VARIANTS:
        per_case = statistics.median(times[label]) / n
        spread = f"{min(times[label]) / n * 1e6:.0f}-{max(times[label]) / n * 1e6:.0f}"
        print(
            f"{label + ' ' + title:<56} {1 / per_case:9.0f} {per_case * 1e6:9.1f} "
            f"{per_case * n / events * 1e6:9.2f} {spread:>16} {per_case / base:7.2f}"
        )
    print()
    for measured, baseline, target in (("(f)", "(e)", FLOOR_TARGET_RATIO), ("(b)", "(a)", TARGET_RATIO)):
        ratio = statistics.median(times[measured]) / statistics.median(times[baseline])
        verdict = "MET" if ratio <= target else "NOT MET"
        print(f"target: {measured} within {target:g}x of {baseline}: {ratio:.2f}x -> {verdict}")
    print(f"load after the run: {_load()}")

    if args.profile:
        breakdown(items, args.repeat)
        profile(items, args.profile)
    if args.per_type:
        per_type(items)


def per_type(items: Sequence[Item], passes: int = 2) -> None:
    """CPU time of the replay step per event type: the thread's CPU clock read around each step of every case,
    one warm-up pass, then ``passes`` passes. A replay considers all of a case's events in one call of
    ``Pathway._run``; here each event gets its own call, so the cost of a call with no event (the loop's setup) is
    measured and subtracted, with the clock's own cost."""
    cases = [load_case(text) for _, _, text in items]
    total: Counter[str] = Counter()
    count: Counter[str] = Counter()
    clock = time.thread_time_ns
    for attempt in range(passes + 1):
        for case in cases:
            run = Pathway(case.patient)._run
            for event in case.events:
                started = clock()
                run((event,))
                ended = clock()
                if attempt:
                    total[event.type] += ended - started
                    count[event.type] += 1
    started = clock()
    for _ in range(100_000):
        clock()
    timer = (clock() - started) / 100_000
    run = Pathway.replay(cases[0])._run
    nothing: tuple[Any, ...] = ()
    started = clock()
    for _ in range(100_000):
        run(nothing)
    setup = (clock() - started) / 100_000
    overhead = timer + setup
    events = sum(count.values())
    print()
    print(
        f"replay step per event type (thread CPU time, {passes} passes; subtracted: the clock's {timer:.0f} ns and "
        f"the {setup:.0f} ns of a call with no event):"
    )
    print(f"    mean {sum(total.values()) / events - overhead:.0f} ns per accepted event")
    print(f"    {'event type':<28} {'per case':>9} {'ns/event':>9} {'share':>7}")
    for kind, spent in total.most_common():
        print(
            f"    {kind:<28} {count[kind] / passes / len(cases):9.2f} {spent / count[kind] - overhead:9.0f} "
            f"{spent / sum(total.values()):7.1%}"
        )


def _load() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return "load average " + " ".join(f.read().split()[:3])
    except OSError:
        return "load average unknown"


if __name__ == "__main__":
    main()
