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

from typing import TYPE_CHECKING

from hfs_pathway._lazy import lazy_getattr

if TYPE_CHECKING:
    from ._evaluate import QUEUES, CaseError
    from ._run import CohortInputError, CohortRun, run_cohort
    from ._stories import STORIES
    from ._summary import render_summary
    from ._synth import SyntheticCase, synthetic_cases, write_synthetic
    from ._worklist import COLUMNS, DEADLINE_ACTIONS, OVERDUE_ALERTS, WorklistItem, worklist_items

# Loaded on first use (PEP 562), like the package itself: `hfs-pathway synth` does not load the evaluator.
_LAZY = {
    "QUEUES": "._evaluate",
    "CaseError": "._evaluate",
    "CohortInputError": "._run",
    "CohortRun": "._run",
    "run_cohort": "._run",
    "render_summary": "._summary",
    "STORIES": "._stories",
    "SyntheticCase": "._synth",
    "synthetic_cases": "._synth",
    "write_synthetic": "._synth",
    "COLUMNS": "._worklist",
    "DEADLINE_ACTIONS": "._worklist",
    "OVERDUE_ALERTS": "._worklist",
    "WorklistItem": "._worklist",
    "worklist_items": "._worklist",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "COLUMNS",
    "DEADLINE_ACTIONS",
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
