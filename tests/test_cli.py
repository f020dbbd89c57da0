"""The hfs-pathway command line: the JSON contract, readable text, and exit status 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hfs_pathway.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WANING = str(EXAMPLES / "waning_to_mvd_referral.json")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_evaluate_json_prints_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "evaluate", WANING, "--as-of", "2023-10-17", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["stage"] == "mvd_referral"
    assert data["as_of"] == "2023-10-17"
    assert data["final"] is False
    assert data["risk_benefit"]["verdict"] == "favourable"
    assert data["history"][0] == {
        "index": 0,
        "date": data["history"][0]["date"],
        "event": "presentation",
        "from_stage": "presentation",
        "to_stage": "imaging",
        "source": None,
    }


def test_evaluate_text_reads_at_a_glance(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "evaluate", WANING, "--as-of", "2023-10-17")
    assert status == 0
    for heading in (
        "STAGE  mvd_referral",
        "NEXT STEPS",
        "ACTIVE ALERTS",
        "TIMELINE",
        "BOTULINUM TOXIN CYCLES",
        "RISK-BENEFIT",
        "EARLIER ALERTS",
    ):
        assert heading in out
    assert "[refer_for_mvd]" in out
    assert "Age 48, male. Right-sided spasm" in out
    assert "[waning_response; event 13]" in out.split("EARLIER ALERTS")[1], "the waning alert is history now"


def _write(tmp_path: Path, payload: object) -> str:
    path = tmp_path / "case.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("payload", "code", "index"),
    [
        ("{not json", "invalid_case", None),
        ([1, 2], "invalid_case", None),
        ({"patient": {"id": "p"}, "events": [{"type": "teleport", "date": "2025-01-01"}]}, "invalid_event", 0),
        (
            {
                "patient": {"id": "p"},
                "events": [
                    {
                        "type": "presentation",
                        "date": "2025-01-01",
                        "side": "left",
                        "onset_region": "periocular",
                        "clinical_impression": "hemifacial_spasm",
                    },
                    {"type": "imaging_result", "date": "2024-12-01", "modality": "mri", "finding": "no_abnormality"},
                ],
            },
            "out_of_order",
            1,
        ),
        (
            {"patient": {"id": "p"}, "events": [{"type": "mvd_performed", "date": "2025-01-01"}]},
            "event_not_allowed",
            0,
        ),
    ],
)
def test_bad_input_exits_2_with_a_json_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, payload: object, code: str, index: int | None
) -> None:
    status, out, _ = _run(capsys, "evaluate", _write(tmp_path, payload), "--as-of", "2025-06-01", "--format", "json")
    assert status == 2
    error = json.loads(out)["error"]
    assert error["code"] == code
    assert error["event_index"] == index
    assert error["message"]


def test_bad_input_in_text_mode_goes_to_stderr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = _run(capsys, "evaluate", _write(tmp_path, "{"), "--as-of", "2025-06-01")
    assert status == 2
    assert out == ""
    assert "invalid_case" in err


def test_as_of_before_the_last_event_is_out_of_order(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "evaluate", WANING, "--as-of", "2020-01-01", "--format", "json")
    assert status == 2
    assert json.loads(out)["error"]["code"] == "out_of_order"


def test_a_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = _run(capsys, "evaluate", str(tmp_path / "nope.json"), "--format", "json")
    assert status == 2
    assert "cannot read" in json.loads(out)["error"]["message"]


def test_validate_reports_events_and_stage(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "validate", WANING, "--format", "json")
    assert status == 0
    assert json.loads(out) == {"valid": True, "patient_id": "ex-waning-mvd", "events": 16, "stage": "mvd_referral"}


def test_guideline_show_lists_parameters_with_units_and_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "guideline", "show", "--format", "json")
    assert status == 0
    rows = {row["name"]: row for row in json.loads(out)["parameters"]}
    assert rows["min_reinjection_interval_days"]["value"] == 84
    assert rows["min_reinjection_interval_days"]["unit"] == "days"
    assert rows["min_reinjection_interval_days"]["evidence"] == ["R45", "R49"]
    status, out, _ = _run(capsys, "guideline", "show")
    assert "min_reinjection_interval_days = 84 days" in out


def test_a_clinic_guideline_file_is_used_and_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    guideline = tmp_path / "clinic.toml"
    guideline.write_text('name = "Clinic C"\nversion = "7"\n', encoding="utf-8")
    status, out, _ = _run(
        capsys, "evaluate", WANING, "--as-of", "2023-10-17", "--format", "json", "--guideline", str(guideline)
    )
    assert status == 0
    assert json.loads(out)["guideline"] == {"name": "Clinic C", "version": "7"}
    guideline.write_text("[parameters]\nno_such_threshold = 1\n", encoding="utf-8")
    status, out, _ = _run(capsys, "evaluate", WANING, "--format", "json", "--guideline", str(guideline))
    assert status == 2
    assert "no_such_threshold" in json.loads(out)["error"]["message"]


def test_the_console_script_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hfs_pathway", "evaluate", WANING, "--as-of", "2023-10-17", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stage"] == "mvd_referral"
