"""Every example case replays and evaluates to the outcome written beside it in examples/expected.json.

The expected outcomes were written from the clinical contract by reading it case by case, independently of
the implementation, so these tests compare two readings of the spec.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from hfs_pathway import Evaluation, Pathway, load_case

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXPECTED: dict[str, dict[str, Any]] = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))


def _evaluate(name: str, engine: str = "table") -> Evaluation:
    expected = EXPECTED[name]
    pathway = Pathway.replay(load_case(EXAMPLES / name), engine=engine)  # type: ignore[arg-type]
    return pathway.evaluate(dt.date.fromisoformat(expected["as_of"]))


def test_every_example_has_an_expected_outcome() -> None:
    cases = {p.name for p in EXAMPLES.glob("*.json")} - {"expected.json"}
    assert cases == set(EXPECTED)
    assert len(cases) >= 6


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("engine", ["table", "transitions"])
def test_example_reaches_its_expected_outcome(name: str, engine: str) -> None:
    expected = EXPECTED[name]
    evaluation = _evaluate(name, engine)
    alerts = {a.code for a in evaluation.alerts}
    active = {a.code for a in evaluation.alerts if a.active}
    recommendations = {r.code for r in evaluation.recommendations}

    assert evaluation.stage == expected["stage"], expected["why"]
    assert evaluation.final is expected["final"]
    assert set(expected.get("alerts_include", [])) <= alerts
    assert not set(expected.get("alerts_exclude", [])) & alerts
    assert set(expected.get("active_alerts_include", [])) <= active
    assert not set(expected.get("active_alerts_exclude", [])) & active
    history_only = set(expected.get("history_alerts_include", []))
    assert history_only <= alerts - active, "raised, and every one of them history"
    assert set(expected.get("recommendations_include", [])) <= recommendations
    assert not set(expected.get("recommendations_exclude", [])) & recommendations
    if "botox_response_classes" in expected:
        classes = [c.response_class.value if c.response_class else None for c in evaluation.botox_cycles]
        assert classes == expected["botox_response_classes"]
    verdict = evaluation.risk_benefit.verdict.value if evaluation.risk_benefit else None
    assert verdict == expected.get("risk_verdict")
    reason = evaluation.exit_reason.value if evaluation.exit_reason else None
    assert reason == expected.get("exit_reason")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_output_keeps_the_json_contract(name: str) -> None:
    """Spec §5: the keys of the evaluation and of each item, with alerts located by date and event index."""
    data = _evaluate(name).to_dict()
    assert {
        "patient_id",
        "as_of",
        "guideline",
        "stage",
        "final",
        "recommendations",
        "alerts",
        "history",
        "botox_cycles",
        "risk_benefit",
        "exit_reason",
    } <= set(data)
    assert (data["exit_reason"] is None) is (data["stage"] != "exited")
    assert set(data["guideline"]) == {"name", "version"}
    for rec in data["recommendations"]:
        assert {"code", "text", "rationale", "evidence", "due"} <= set(rec)
        assert rec["evidence"], rec["code"]
    for alert in data["alerts"]:
        assert {"code", "severity", "text", "evidence", "date", "event_index", "active"} <= set(alert)
        assert alert["severity"] in ("info", "warning", "critical")
        assert isinstance(alert["active"], bool)
        assert alert["evidence"], alert["code"]
    for entry in data["history"]:
        assert set(entry) == {"index", "date", "event", "from_stage", "to_stage", "source"}
    assert [h["index"] for h in data["history"]] == list(range(len(data["history"])))
    for cycle in data["botox_cycles"]:
        assert {
            "injection_date",
            "product",
            "total_units",
            "interval_days",
            "response_class",
            "benefit_duration_days",
        } <= set(cycle)
    json.dumps(data)  # JSON-ready all the way down
