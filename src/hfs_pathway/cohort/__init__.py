"""Cohorts: evaluate many patients at once and turn the result into a worklist (the ``cohort`` extra).

    from hfs_pathway.cohort import run_cohort
    run = run_cohort("cases.ndjson", "out/", as_of=datetime.date(2026, 1, 1))
    run.summary["queues"]["imaging_overdue"]

``run_cohort`` streams the input with bounded memory on every core and writes ``evaluations.ndjson``,
``worklist.csv``, ``errors.ndjson``, ``summary.json`` and ``report.html`` (see ``docs/cohort.md``).
``worklist_items`` gives one evaluation's open actions; ``synthetic_cases`` writes plausible cases across every
branch of the pathway, for tests and benchmarks.
"""

from __future__ import annotations

from ._evaluate import QUEUES, CaseError
from ._run import CohortInputError, CohortRun, run_cohort
from ._summary import render_summary
from ._synth import STORIES, SyntheticCase, synthetic_cases, write_synthetic
from ._worklist import COLUMNS, OVERDUE_ALERTS, WorklistItem, worklist_items

__all__ = [
    "COLUMNS",
    "OVERDUE_ALERTS",
    "QUEUES",
    "STORIES",
    "CaseError",
    "CohortInputError",
    "CohortRun",
    "SyntheticCase",
    "WorklistItem",
    "render_summary",
    "run_cohort",
    "synthetic_cases",
    "worklist_items",
    "write_synthetic",
]
