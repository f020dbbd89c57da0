"""Evaluating one chunk of a cohort: the work each process does, with no shared state.

A chunk is a byte range of an NDJSON file of cases (whole lines). Each case is parsed, validated, replayed
and evaluated as of the run's date; the chunk's result carries the evaluations as NDJSON bytes, its worklist
rows already in urgency order, the cases it could not evaluate, and its share of the summary's counts.
Results depend only on the chunk and the settings, so the run's output does not depend on how many
processes share the work.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hfs_pathway._case import DEFAULT_LIMITS, Case, load_case
from hfs_pathway._errors import PathwayError
from hfs_pathway._guideline import Guideline, default_guideline
from hfs_pathway._pathway import Pathway
from hfs_pathway._results import Evaluation
from hfs_pathway._vocabulary import SEVERITIES_BY_URGENCY

from . import _json
from ._output import EvaluationsFile
from ._worklist import worklist_items

CASE_NUMBER_STRIDE = 4_000_000
"""Case numbers in sort keys are ``chunk * stride + line``; a chunk never holds this many lines."""

QUEUES = {
    "red_flag_workup_open": "a red flag whose imaging work-up is still open (active red_flag_secondary_hfs)",
    "imaging_overdue": "no imaging result long after presentation or a red flag",
    "toxin_cycle_due": "the window for the next toxin injection is open",
    "toxin_response_overdue": "no response recorded long after the last injection",
    "benefit_waning": "toxin benefit is waning (stage waning_response)",
    "checkpoint_waiting": "waiting at the risk-benefit checkpoint (stage surgical_evaluation)",
    "post_mvd_review_overdue": "a review after microvascular decompression is overdue",
    "referral_overdue": "no operation and no closure long after the referral for microvascular decompression",
    "follow_up_overdue": "no recorded care for longer than the current stage allows",
}
"""The clinic's named queues (summary counts of patients), each read off the evaluation."""


class Settings(NamedTuple):
    as_of: dt.date
    horizon_days: int
    guideline: Guideline | None
    spool: str | None = None
    """A folder where each chunk's evaluations are written (``eval-<chunk>.ndjson``) instead of being returned:
    the main process then appends the file to the output in the kernel, without passing it through a pipe."""


class Chunk(NamedTuple):
    """A byte range of an NDJSON file of cases, or a list of already parsed sources (FHIR input)."""

    number: int
    path: str
    offset: int
    length: int


@dataclass
class Counts:
    """The summary's counts for part of a cohort; parts add up."""

    lines: int = 0
    cases: int = 0
    evaluated: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    alerts: Counter[str] = field(default_factory=Counter)
    alert_history: Counter[str] = field(default_factory=Counter)
    highest_severity: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    overdue_actions: Counter[str] = field(default_factory=Counter)
    row_severity: Counter[str] = field(default_factory=Counter)
    queues: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, other: Counts) -> None:
        self.lines += other.lines
        self.cases += other.cases
        self.evaluated += other.evaluated
        for name in (
            "stages",
            "alerts",
            "alert_history",
            "highest_severity",
            "actions",
            "overdue_actions",
            "row_severity",
            "queues",
            "errors",
        ):
            getattr(self, name).update(getattr(other, name))


class CaseError(NamedTuple):
    """A case that could not be evaluated: where it is, whose it is (when known) and why."""

    line: int
    """1-based line in the input (for a FHIR folder: the file's position in name order)."""
    source: str
    patient_id: str | None
    code: str
    message: str
    event_index: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "source": self.source,
            "patient_id": self.patient_id,
            "error": {"code": self.code, "message": self.message, "event_index": self.event_index},
        }


@dataclass
class ChunkResult:
    number: int
    lines: int
    evaluations: bytes | str | None
    """The NDJSON bytes, the path of the spool file that holds them, or ``None`` when the worker appended them to
    the evaluations file itself (every chunk before it was there)."""
    worklist: list[str]
    """``urgency key + "\\t" + CSV line``, sorted."""
    errors: list[CaseError]
    counts: Counts


_current = [Settings(dt.date(2000, 1, 1), 0, None)]
"""This process's run settings (set once per process by :func:`init_worker`)."""
_output: list[EvaluationsFile | None] = [None]
"""The evaluations file a worker appends to when it is its chunk's turn (``None``: results go to the caller)."""


def init_worker(settings: Settings, evaluations: EvaluationsFile | None = None, *, quiet_gc: bool = True) -> None:
    """Set the run's settings in this process (the pool's initializer, or the caller for ``jobs=1``), and open the
    shared evaluations file when there is one.

    The objects built for one case are short-lived and free of reference cycles, so the cyclic garbage
    collector only costs time here: its first generation is made to run 100 times less often.
    """
    _current[0] = settings
    _output[0] = evaluations
    if evaluations is not None:
        evaluations.open()
    if quiet_gc:
        gc.freeze()
        gc.set_threshold(70_000, 10, 100)


def _patient_id(data: Any) -> str | None:
    if isinstance(data, dict):
        patient = data.get("patient")
        if isinstance(patient, dict):
            pid = patient.get("id")
            if isinstance(pid, str):
                return pid[:200]
    return None


def _parse(line: bytes) -> Case:
    """The case on one line, or raise the library's error (worded exactly as ``evaluate`` words it)."""
    return load_case(line)  # size limits first, then one pass of pydantic-core over the bytes


def _record(
    evaluation: Evaluation, case_number: int, counts: Counts, out: list[bytes], rows: list[str], *, horizon: int
) -> None:
    out.append(_json.dumps(evaluation.to_dict()))
    stage = evaluation.stage._value_  # the member's value without the enum's property (once per case)
    counts.evaluated += 1
    counts.stages[stage] += 1
    # Only active alerts describe the patient now; alerts that are history are counted apart (R2.11).
    # Counted one code at a time: ``Counter.update`` first asks whether its argument is a mapping, an ABC check
    # that costs more than the one or two codes a patient has.
    codes: set[str] = set()
    alerts = evaluation.alerts
    if alerts:
        active = [a for a in alerts if a.active]
        codes = {a.code for a in active}
        for code in codes:
            counts.alerts[code] += 1
        for code in {a.code for a in alerts if not a.active} - codes:
            counts.alert_history[code] += 1
        if active:
            top = SEVERITIES_BY_URGENCY[min(_URGENCY[a.severity] for a in active)]
            counts.highest_severity[top._value_] += 1
    queues = counts.queues
    if codes:
        if "red_flag_secondary_hfs" in codes:
            queues["red_flag_workup_open"] += 1
        if "imaging_overdue" in codes or "urgent_imaging_overdue" in codes:
            queues["imaging_overdue"] += 1
        if "referral_overdue" in codes:
            queues["referral_overdue"] += 1
        if "follow_up_overdue" in codes:
            queues["follow_up_overdue"] += 1
        if "response_assessment_overdue" in codes:
            queues["toxin_response_overdue"] += 1
    if stage == "waning_response":
        queues["benefit_waning"] += 1
    elif stage == "surgical_evaluation":
        queues["checkpoint_waiting"] += 1
    for position, item in enumerate(worklist_items(evaluation, horizon_days=horizon)):
        action = item.action
        counts.actions[action] += 1
        counts.row_severity[item.severity._value_] += 1
        if item.days_overdue > 0:
            counts.overdue_actions[action] += 1
            if action == "post_mvd_review":
                queues["post_mvd_review_overdue"] += 1
        if action == "next_injection_window":
            queues["toxin_cycle_due"] += 1
        rows.append(item.urgency_key(case_number, position) + "\t" + item.csv_line())


_URGENCY = {severity: rank for rank, severity in enumerate(SEVERITIES_BY_URGENCY)}


def _lines(chunk: Chunk) -> Iterator[bytes]:
    with open(chunk.path, "rb") as f:
        f.seek(chunk.offset)
        data = f.read(chunk.length)
    yield from data.split(b"\n")


def evaluate_chunk(chunk: Chunk) -> ChunkResult:
    """Evaluate every case of one chunk of an NDJSON file (blank lines are skipped)."""
    lines = list(_lines(chunk))
    if lines and not lines[-1]:
        lines.pop()  # the chunk's last line break
    source = chunk.path
    return evaluate_items(chunk.number, ((i, line, source) for i, line in enumerate(lines, 1)), count=len(lines))


Item = tuple[int, "bytes | Callable[[], Case]", str]
"""``(line, case, source)``: a case as an NDJSON line or a function that builds it (a FHIR import), with the
line (or position) and the file or reference it came from, for error reports."""


def evaluate_items(number: int, items: Iterable[Item], *, count: int) -> ChunkResult:
    """Evaluate the cases of one chunk, in order; a case that fails is reported and the next one goes on."""
    settings = _current[0]
    as_of, horizon = settings.as_of, settings.horizon_days
    guideline = settings.guideline or default_guideline()
    counts = Counts(lines=count)
    out: list[bytes] = []
    rows: list[str] = []
    errors: list[CaseError] = []
    base = number * CASE_NUMBER_STRIDE
    for line_number, item, source in items:
        if isinstance(item, bytes) and (not item or item.isspace()):  # blank: no copy of the line, unlike strip()
            continue
        counts.cases += 1
        try:
            case = _parse(item) if isinstance(item, bytes) else item()
            evaluation = Pathway.replay(case, guideline=guideline).evaluate(as_of)
        except PathwayError as error:
            pid = _patient_id_of(item)
            errors.append(CaseError(line_number, source, pid, error.code, error.message, error.event_index))
            counts.errors[error.code] += 1
            continue
        except Exception as error:  # a fault of the library, not of the case: reported, and the run goes on
            pid = _patient_id_of(item)
            message = f"internal error while evaluating this case ({type(error).__name__}); please report it"
            errors.append(CaseError(line_number, source, pid, "internal_error", message, None))
            counts.errors["internal_error"] += 1
            continue
        _record(evaluation, base + line_number, counts, out, rows, horizon=horizon)
    rows.sort()
    if out:
        out.append(b"")  # the last line break comes from the join: the chunk's bytes are built in one go
    body = b"\n".join(out)
    output = _output[0]
    if output is not None and output.append_if_next(number, body):
        return ChunkResult(number, count, None, rows, errors, counts)  # written once, from here
    if settings.spool is not None and body:
        spooled = os.path.join(settings.spool, f"eval-{number}.ndjson")
        with open(spooled, "wb") as f:
            f.write(body)
        return ChunkResult(number, count, spooled, rows, errors, counts)
    return ChunkResult(number, count, body, rows, errors, counts)


def _patient_id_of(item: bytes | Callable[[], Case]) -> str | None:
    if not isinstance(item, bytes) or len(item) > DEFAULT_LIMITS.max_bytes:
        return None
    try:
        return _patient_id(_json.loads(item))
    except ValueError:
        return None
