"""Cohort benchmark: `hfs-pathway cohort` on synthetic cohorts of growing size, with wall time and the memory
of the whole process tree (the main process and every worker), and the import cost of the cohort package.

For each size N (default 10k, 100k, 1M) a synthetic cohort is written once (`hfs-pathway synth`, cached in
--workdir), then `hfs-pathway cohort` runs on it in a fresh process for each --jobs value. Memory is sampled
every 50 ms from /proc: the sum of RSS over the tree (counts pages shared between the forked workers once per
process: an upper bound) and the sum of PSS (shared pages divided among the processes sharing them: what the
tree really holds). Peak figures are reported. The outputs of the runs with different --jobs are compared
byte for byte.

    .venv/bin/python benchmarks/bench_cohort.py                           # 10k, 100k, 1M; --jobs 1 and 2
    .venv/bin/python benchmarks/bench_cohort.py --sizes 10000 --jobs 2    # a quick look
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synthetic import machine_line, versions_line

AS_OF = "2026-01-01"
TARGET_SECONDS_1M = 60.0
TARGET_MB = 500.0
EMPTY_CASE = b'{"patient":{"id":"p"},"events":[]}'


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                found += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return found


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB, (0, 0) once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


class TreeMemory:
    """Peak memory of a process tree, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss = self.peak_pss = self.peak_single = 0
        self.most_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.pid)
            sizes = [_memory_kb(p) for p in pids]
            self.peak_rss = max(self.peak_rss, sum(r for r, _ in sizes))
            self.peak_pss = max(self.peak_pss, sum(p for _, p in sizes))
            self.peak_single = max(self.peak_single, max((r for r, _ in sizes), default=0))
            self.most_processes = max(self.most_processes, len(pids))
            time.sleep(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _cli() -> list[str]:
    return [sys.executable, "-m", "hfs_pathway"]


def cohort_file(workdir: Path, n: int, seed: int) -> Path:
    path = workdir / f"synth-{n}-{seed}.ndjson"
    if not path.exists():
        started = time.perf_counter()
        subprocess.run([*_cli(), "synth", "--n", str(n), "--seed", str(seed), "-o", str(path)], check=True)
        print(f"  wrote {path.name}: {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s")
    return path


def run(source: Path, out: Path, jobs: int) -> dict[str, float]:
    command = [*_cli(), "cohort", str(source), "--as-of", AS_OF, "-o", str(out), "--jobs", str(jobs), "--no-progress"]
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    memory = TreeMemory(process.pid)
    status = process.wait()
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    memory.stop()
    if status != 0:
        raise SystemExit(f"cohort run failed with status {status}")
    return {
        "wall": wall,
        # CPU seconds of the whole tree (the workers are waited for by the run, the run by this process): on a
        # shared machine this is what the run needs, whatever the wait for a core.
        "cpu": (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime),
        "rss": memory.peak_rss / 1024,
        "pss": memory.peak_pss / 1024,
        "single": memory.peak_single / 1024,
        "processes": memory.most_processes,
    }


def digest(folder: Path) -> dict[str, str]:
    found = {}
    for name in ("evaluations.ndjson", "worklist.csv", "errors.ndjson", "summary.json", "report.html"):
        h = hashlib.sha256()
        with (folder / name).open("rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        found[name] = h.hexdigest()[:16]
    return found


def import_times(runs: int) -> None:
    statements = {
        "import hfs_pathway": "import hfs_pathway",
        "import hfs_pathway.cohort": "import hfs_pathway.cohort",
        "cohort + orjson + a first case evaluated": (
            "import datetime, hfs_pathway.cohort._evaluate as e; "
            "e.init_worker(e.Settings(datetime.date(2026, 1, 1), 0, None), quiet_gc=False); "
            f"e.evaluate_items(0, [(1, {EMPTY_CASE!r}, '-')], count=1)"
        ),
    }
    print(f"\n(c) import time: {runs} fresh processes each, time.perf_counter() around the statement, ms")
    for label, stmt in statements.items():
        code = f"import time; t=time.perf_counter(); {stmt}; print((time.perf_counter()-t)*1000)"
        ms = [
            float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(runs)
        ]
        print(f"    {label:<45} min {min(ms):7.1f}   median {statistics.median(ms):7.1f}")
    help_ms = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*_cli(), "cohort", "--help"], capture_output=True, check=True)
        help_ms.append((time.perf_counter() - started) * 1000)
    print(
        f"    {'hfs-pathway cohort --help (whole process)':<45} min {min(help_ms):7.1f}   "
        f"median {statistics.median(help_ms):7.1f}"
    )


def breakdown(n: int, seed: int) -> None:
    """Where one case's time goes in a worker, step by step (each step timed over the whole sample, no profiler)."""
    import datetime as dt
    import gc
    import io

    from hfs_pathway._case import load_case
    from hfs_pathway._pathway import Pathway
    from hfs_pathway.cohort import _json, write_synthetic
    from hfs_pathway.cohort._evaluate import Counts, _record

    buffer = io.BytesIO()
    write_synthetic(buffer, n, seed)
    lines = buffer.getvalue().splitlines()
    as_of = dt.date.fromisoformat(AS_OF)
    events = sum(line.count(b'"type"') for line in lines)
    print(
        f"\nper-case breakdown in one process: {n} synthetic cases, {events / n:.1f} events per case on average, "
        "median of 3 passes, CPU µs per case"
    )
    steps = {}
    for _ in range(3):
        gc.collect()
        gc.disable()
        t1 = time.process_time()
        cases = [load_case(line) for line in lines]  # what a worker does: one pass of pydantic-core over the bytes
        t2 = time.process_time()
        pathways = [Pathway.replay(c) for c in cases]
        t3 = time.process_time()
        evaluations = [p.evaluate(as_of) for p in pathways]
        t4 = time.process_time()
        dicts = [e.to_dict() for e in evaluations]
        t5 = time.process_time()
        for d in dicts:
            _json.dumps(d)
        t6 = time.process_time()
        counts, out, rows = Counts(), [], []
        for e in evaluations:
            _record(e, 0, counts, out, rows, horizon=0)
        t7 = time.process_time()
        gc.enable()
        record_total = t7 - t6
        for name, value in (
            ("parse and validate (load_case of the line)", t2 - t1),
            ("replay", t3 - t2),
            ("evaluate", t4 - t3),
            ("to_dict", t5 - t4),
            ("JSON dump", t6 - t5),
            ("to_dict + dump + worklist rows + counts", record_total),
        ):
            steps.setdefault(name, []).append(value / n * 1e6)
        del cases, pathways, evaluations, dicts, out, rows
    for name, values in steps.items():
        print(f"    {name:<42} {statistics.median(values):7.1f}")
    core = sum(statistics.median(steps[k]) for k in list(steps)[:3])
    last = statistics.median(steps["to_dict + dump + worklist rows + counts"])
    print(f"    {'total per case (parse..evaluate + output)':<42} {core + last:7.1f}")


def _load() -> str:
    """The 1-minute load average: the machine is shared, so each figure is printed beside it."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return f.read().split()[0]
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to run at every size")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/hfs-bench-cohort"))
    parser.add_argument("--import-runs", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the outputs (they are large)")
    parser.add_argument("--breakdown", type=int, default=20000, metavar="N", help="cases for the per-case breakdown")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs_list = [int(j) for j in args.jobs.split(",")]
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(machine_line())
    print(versions_line())
    try:
        import orjson

        print(f"orjson {orjson.__version__} (cohort extra): used for JSON in and out")
    except ImportError:
        print("orjson not installed: the standard library's json is used")
    print(f"\n(b) hfs-pathway cohort --as-of {AS_OF} on synthetic cohorts (seed {args.seed})")
    print(
        f"{'cases':>9} {'jobs':>4} {'wall s':>8} {'cases/s':>9} {'tree PSS MB':>12} {'tree RSS MB':>12} "
        f"{'largest MB':>10} {'procs':>5} {'tree CPU s':>10}  load average before / after"
    )
    for n in sizes:
        source = cohort_file(args.workdir, n, args.seed)
        digests = {}
        for jobs in jobs_list:
            out = args.workdir / f"out-{n}-j{jobs}"
            before = _load()
            r = run(source, out, jobs)
            after = _load()
            digests[jobs] = digest(out)
            print(
                f"{n:>9} {jobs:>4} {r['wall']:8.1f} {n / r['wall']:9,.0f} {r['pss']:12.0f} {r['rss']:12.0f} "
                f"{r['single']:10.0f} {r['processes']:>5} {r['cpu']:10.1f}  {before} / {after}",
                flush=True,
            )
            if n >= 1_000_000 and jobs == (os.cpu_count() or 1):  # the target is for a run on every core
                verdict = "met" if r["wall"] < TARGET_SECONDS_1M else "NOT met"
                print(
                    f"          1M target < {TARGET_SECONDS_1M:.0f} s: {verdict}; memory target < {TARGET_MB:.0f} MB "
                    f"(tree PSS): {'met' if r['pss'] < TARGET_MB else 'NOT met'}"
                )
            if not args.keep:
                for name in ("evaluations.ndjson",):
                    (out / name).unlink(missing_ok=True)
        if len({tuple(d.items()) for d in digests.values()}) > 1:
            print(f"          outputs DIFFER between --jobs values: {digests}")
        else:
            print(f"          outputs identical across --jobs {args.jobs} (sha256 of the five files)")
    if args.breakdown:
        breakdown(args.breakdown, args.seed)
    if args.import_runs:
        import_times(args.import_runs)


if __name__ == "__main__":
    main()
