"""The cohort's summary: counts per stage, alerts, worklist actions and the clinic's queues, as JSON and text."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from hfs_pathway._guideline import Guideline, default_guideline
from hfs_pathway._vocabulary import SEVERITIES_BY_URGENCY, Stage

from ._evaluate import QUEUES, Counts

_SEVERITIES = tuple(severity.value for severity in SEVERITIES_BY_URGENCY)


def _ranked(counter: Counter[str]) -> dict[str, int]:
    """Most frequent first, ties by name: the same counts always print the same way."""
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def build_summary(
    counts: Counts, *, as_of: dt.date, source: Path, horizon_days: int, guideline: Guideline | None
) -> dict[str, Any]:
    """The summary written to ``summary.json``; it depends only on the cohort, never on how it was run."""
    g = guideline or default_guideline()
    with_alerts = sum(counts.highest_severity.values())
    return {
        "as_of": as_of.isoformat(),
        "source": str(source),
        "guideline": {"name": g.name, "version": g.version},
        "horizon_days": horizon_days,
        "cases": counts.cases,
        "evaluated": counts.evaluated,
        "errors": sum(counts.errors.values()),
        "errors_by_code": _ranked(counts.errors),
        "patients_per_stage": {stage.value: counts.stages.get(stage.value, 0) for stage in Stage},
        "patients_by_highest_alert_severity": {
            **{s: counts.highest_severity.get(s, 0) for s in _SEVERITIES},
            "none": counts.evaluated - with_alerts,
        },
        "alerts": _ranked(counts.alerts),
        "alerts_history_only": _ranked(counts.alert_history),
        "queues": {name: {"patients": counts.queues.get(name, 0), "meaning": text} for name, text in QUEUES.items()},
        "worklist": {
            "rows": sum(counts.actions.values()),
            "by_severity": {s: counts.row_severity.get(s, 0) for s in _SEVERITIES},
            "by_action": _ranked(counts.actions),
            "overdue_by_action": _ranked(counts.overdue_actions),
        },
    }


def render_summary(summary: dict[str, Any]) -> str:
    """The summary as the text the ``cohort`` command prints."""
    lines = [
        f"cohort as of {summary['as_of']}: {summary['cases']} cases, {summary['evaluated']} evaluated, "
        f"{summary['errors']} not evaluated",
    ]
    if summary["errors_by_code"]:
        lines.append("  not evaluated: " + ", ".join(f"{k} {v}" for k, v in summary["errors_by_code"].items()))
    lines.append("patients per stage:")
    lines += [f"  {stage:<22}{n:>10}" for stage, n in summary["patients_per_stage"].items() if n]
    lines.append("queues (patients):")
    lines += [f"  {name:<26}{q['patients']:>10}  {q['meaning']}" for name, q in summary["queues"].items()]
    worklist = summary["worklist"]
    severity = ", ".join(f"{k} {v}" for k, v in worklist["by_severity"].items())
    lines.append(f"worklist: {worklist['rows']} actions ({severity})")
    overdue = worklist["overdue_by_action"]
    lines += [
        f"  {action:<28}{n:>10}" + (f"  {overdue[action]} overdue" if action in overdue else "")
        for action, n in worklist["by_action"].items()
    ]
    if summary["alerts"]:
        lines.append("active alerts (patients):")
        lines += [f"  {code:<30}{n:>10}" for code, n in summary["alerts"].items()]
    if summary["alerts_history_only"]:
        lines.append("alerts only in history (patients):")
        lines += [f"  {code:<30}{n:>10}" for code, n in summary["alerts_history_only"].items()]
    return "\n".join(lines)
