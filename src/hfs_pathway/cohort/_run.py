"""Running a cohort: stream the input in chunks through a pool of processes, write the outputs in order.

Memory stays bounded whatever the cohort's size: the input is cut into chunks of about ``chunk_bytes`` (whole
lines; a worker reads its own byte range), at most ``2 * jobs`` chunks are in flight, and results are written as
soon as the chunks before them are done (a worker whose chunk is next appends its evaluations to the file itself:
see ``_output``). The worklist is sorted outside memory: sorted runs of at most
``run_rows`` rows spill to temporary files and are merged at the end.
"""

from __future__ import annotations

import bisect
import datetime as dt
import marshal
import os
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hfs_pathway._errors import PathwayError
from hfs_pathway._guideline import Guideline

from . import _json
from ._evaluate import CaseError, Chunk, ChunkResult, Counts, Settings, evaluate_chunk, init_worker
from ._output import EvaluationsFile
from ._worklist import COLUMNS

DEFAULT_CHUNK_BYTES = 1 << 20
DEFAULT_RUN_ROWS = 200_000
DEFAULT_REPORT_ROWS = 1000
_BATCH = 8192

EVALUATIONS = "evaluations.ndjson"
WORKLIST = "worklist.csv"
ERRORS = "errors.ndjson"
SUMMARY = "summary.json"
REPORT = "report.html"


class CohortInputError(PathwayError):
    """The cohort's input cannot be read at all (missing file, a folder with nothing to evaluate)."""

    code = "invalid_case"


@dataclass
class CohortRun:
    """What a finished run produced: its summary (as written to ``summary.json``) and where the files are."""

    summary: dict[str, Any]
    outdir: Path
    errors: list[CaseError]
    """The first bad cases (up to 100; all of them are in ``errors.ndjson``)."""

    @property
    def files(self) -> dict[str, Path]:
        return {name: self.outdir / name for name in (EVALUATIONS, WORKLIST, ERRORS, SUMMARY, REPORT)}


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def ndjson_chunks(path: Path, chunk_bytes: int) -> Iterator[Chunk]:
    """Byte ranges of whole lines, each about ``chunk_bytes`` long; only the bytes near each cut are read."""
    size = path.stat().st_size
    offset = 0
    number = 0
    with path.open("rb") as f:
        while offset < size:
            end = min(offset + chunk_bytes, size)
            if end < size:
                f.seek(end)
                while True:
                    piece = f.read(65536)
                    if not piece:
                        end = size
                        break
                    cut = piece.find(b"\n")
                    if cut >= 0:
                        end += cut + 1
                        break
                    end += len(piece)
            yield Chunk(number, str(path), offset, end - offset)
            number += 1
            offset = end


def run_cohort(
    source: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    as_of: dt.date | None = None,
    jobs: int | None = None,
    guideline: Guideline | None = None,
    horizon_days: int = 0,
    report_rows: int = DEFAULT_REPORT_ROWS,
    progress: bool | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    run_rows: int = DEFAULT_RUN_ROWS,
    on_error: Callable[[CaseError], None] | None = None,
) -> CohortRun:
    """Evaluate every case of ``source`` as of ``as_of`` and write the cohort's outputs to ``outdir``.

    ``source`` is an NDJSON file of cases (one ``{"patient": ..., "events": [...]}`` per line); with the
    ``fhir`` extra also a folder of FHIR Bundles or of a bulk export's NDJSON files, or one such NDJSON file.
    ``jobs`` is the number of processes (default: every available CPU). ``progress`` shows a progress bar
    (default: only when standard error is a terminal). A case that cannot be evaluated is written to
    ``errors.ndjson``, passed to ``on_error``, and the run goes on.

    Writes ``evaluations.ndjson`` (one spec §5 evaluation per case, in input order), ``worklist.csv``
    (urgency order), ``errors.ndjson``, ``summary.json`` and ``report.html``.
    """
    from ._fhir_input import fhir_chunks, is_fhir_source

    path = Path(source)
    if not path.exists():
        raise CohortInputError(f"the cohort input {str(path)!r} does not exist")
    as_of = as_of or dt.date.today()
    jobs = available_cpus() if not jobs or jobs < 1 else jobs
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    fhir = is_fhir_source(path)
    if fhir:
        chunks: Iterator[Any] = fhir_chunks(path, out)
        work: Callable[[Any], ChunkResult] = _evaluate_fhir_chunk
        total = None
    else:
        if path.is_dir():
            raise CohortInputError(
                f"{str(path)!r} is a folder: give an NDJSON file of cases (or install the fhir "
                "extra to read a folder of FHIR bundles)"
            )
        chunks = ndjson_chunks(path, chunk_bytes)
        work = evaluate_chunk
        total = path.stat().st_size
    bar = _progress_bar(progress, total, fhir)
    counts = Counts()
    first_errors: list[CaseError] = []
    (out / EVALUATIONS).write_bytes(b"")
    context = _pool_context() if jobs > 1 else None
    evaluations = EvaluationsFile(str(out / EVALUATIONS), context)
    evaluations.open()
    with (
        tempfile.TemporaryDirectory(prefix="hfs-cohort-", dir=out) as tmp,
        (out / ERRORS).open("wb") as errors_file,
    ):
        sorter = _ExternalSort(Path(tmp), run_rows)
        settings = Settings(as_of, horizon_days, guideline, spool=tmp if jobs > 1 else None)
        line_base = 0

        def take(result: ChunkResult, done_bytes: int) -> None:
            nonlocal line_base
            if result.evaluations is not None:  # None: the worker appended them itself
                evaluations.append(result.number, result.evaluations)
            sorter.add_sorted(result.worklist)
            for found in result.errors:
                error = found._replace(line=found.line + line_base) if not fhir else found
                errors_file.write(_json.dumps(error.to_dict()) + b"\n")
                if len(first_errors) < 100:
                    first_errors.append(error)
                if on_error is not None:
                    on_error(error)
            line_base += result.lines
            counts.add(result.counts)
            if bar is not None:
                bar.update(done_bytes if total is not None else result.counts.cases)
                bar.set_postfix(cases=counts.cases, errors=sum(counts.errors.values()), refresh=False)

        try:
            if context is None:
                _run_here(chunks, work, settings, take)
            else:
                _run_pool(chunks, work, settings, take, evaluations=evaluations, context=context, jobs=jobs)
        finally:
            evaluations.close()
            if bar is not None:
                bar.close()
        top = _write_worklist(sorter, out / WORKLIST, report_rows)
    from ._summary import build_summary

    summary = build_summary(counts, as_of=as_of, source=path, horizon_days=horizon_days, guideline=guideline)
    (out / SUMMARY).write_bytes(_json_pretty(summary))
    from ._report import write_report

    write_report(out / REPORT, summary, top, first_errors)
    return CohortRun(summary, out, first_errors)


def _chunk_size(chunk: Any) -> int:
    return chunk.length if isinstance(chunk, Chunk) else 0


def _run_here(
    chunks: Iterator[Any],
    work: Callable[[Any], ChunkResult],
    settings: Settings,
    take: Callable[[ChunkResult, int], None],
) -> None:
    import gc

    threshold = gc.get_threshold()
    init_worker(settings, quiet_gc=False)
    gc.set_threshold(70_000, 10, 100)
    try:
        for chunk in chunks:
            take(work(chunk), _chunk_size(chunk))
    finally:
        gc.set_threshold(*threshold)


def _pool_context() -> Any:
    import multiprocessing

    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")  # the library is already loaded: nothing to import again
    return multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")


def _run_pool(
    chunks: Iterator[Any],
    work: Callable[[Any], ChunkResult],
    settings: Settings,
    take: Callable[[ChunkResult, int], None],
    *,
    evaluations: EvaluationsFile,
    context: Any,
    jobs: int,
) -> None:
    """Chunks in order through ``jobs`` processes, at most ``2 * jobs`` in flight, results taken in order."""
    with context.Pool(jobs, initializer=init_worker, initargs=(settings, evaluations)) as pool:
        pending: deque[tuple[Any, int]] = deque()
        for chunk in chunks:
            if len(pending) >= 2 * jobs:
                result, size = pending.popleft()
                take(result.get(), size)
            pending.append((pool.apply_async(work, (chunk,)), _chunk_size(chunk)))
        while pending:
            result, size = pending.popleft()
            take(result.get(), size)


def _evaluate_fhir_chunk(chunk: Any) -> ChunkResult:
    from ._fhir_input import evaluate_fhir_chunk

    return evaluate_fhir_chunk(chunk)


def _progress_bar(progress: bool | None, total: int | None, fhir: bool) -> Any:
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:  # the cohort extra is not installed: run quietly
        return None
    tqdm.monitor_interval = 0  # no monitor thread: the worker processes are forked after the bar is made
    if total is not None:
        return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="input", file=sys.stderr)
    return tqdm(unit="case", desc="patients" if fhir else "cases", file=sys.stderr)


class _ExternalSort:
    """Sorted runs of worklist rows kept in memory up to ``run_rows``, then spilled to files and merged."""

    def __init__(self, folder: Path, run_rows: int) -> None:
        self.folder = folder
        self.run_rows = run_rows
        self.rows: list[str] = []
        self.runs: list[Path] = []
        self.count = 0

    def add_sorted(self, rows: list[str]) -> None:
        self.rows.extend(rows)  # each chunk's rows come sorted: the sort below merges runs
        self.count += len(rows)
        if len(self.rows) >= self.run_rows:
            self._spill()

    def _spill(self) -> None:
        self.rows.sort()
        path = self.folder / f"run-{len(self.runs):05d}.bin"
        with path.open("wb") as f:
            for start in range(0, len(self.rows), _BATCH):
                marshal.dump(self.rows[start : start + _BATCH], f)
        self.runs.append(path)
        self.rows = []

    def merged(self) -> Iterator[list[str]]:
        """Every row in order, in sorted batches (one list of rows at a time)."""
        self.rows.sort()
        in_memory = (self.rows[start : start + _BATCH] for start in range(0, len(self.rows), _BATCH))
        if not self.runs:
            yield from in_memory
            return
        files = [path.open("rb") for path in self.runs]
        try:
            yield from _merge_batches([*(_read_run(f) for f in files), in_memory])
        finally:
            for f in files:
                f.close()


def _read_run(f: IO[bytes]) -> Iterator[list[str]]:
    while True:
        try:
            yield marshal.load(f)
        except EOFError:
            return


def _merge_batches(runs: list[Iterator[list[str]]]) -> Iterator[list[str]]:
    """Merge sorted runs, each given as sorted batches, into sorted batches.

    A row-by-row merge (``heapq.merge``) costs a Python step per row. Here each step takes, from the batch in hand
    of every run, all the rows up to the smallest last row among those batches (no row still to be read can come
    before them, since each run is sorted) and sorts them together in C; the run whose batch is used up reads its
    next batch.
    """
    held: list[tuple[list[str], Iterator[list[str]]]] = []
    for run in runs:
        batch = next(run, None)
        while batch is not None and not batch:
            batch = next(run, None)
        if batch is not None:
            held.append((batch, run))
    while held:
        bound = min(batch[-1] for batch, _ in held)
        taken: list[str] = []
        kept: list[tuple[list[str], Iterator[list[str]]]] = []
        for batch, run in held:
            cut = bisect.bisect_right(batch, bound)
            taken += batch[:cut]
            rest: list[str] | None = batch[cut:]
            while rest is not None and not rest:
                rest = next(run, None)  # this batch is used up: read the run's next one
            if rest is not None:
                kept.append((rest, run))
        taken.sort()
        yield taken
        held = kept


def _write_worklist(sorter: _ExternalSort, path: Path, keep: int) -> list[list[str]]:
    """Write the worklist CSV in urgency order; return its first ``keep`` rows as fields (for the report)."""
    import csv
    import io

    top: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(COLUMNS) + "\r\n")
        for batch in sorter.merged():
            lines = [keyed[keyed.index("\t") + 1 :] for keyed in batch]  # the sort key goes, the CSV line stays
            if len(top) < keep:
                top += lines[: keep - len(top)]
            f.write("".join(lines))
    return list(csv.reader(io.StringIO("".join(top))))


def _json_pretty(value: Any) -> bytes:
    import json

    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()
