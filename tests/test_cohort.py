"""Cohort runs: every output end to end, the same files whatever --jobs, bad cases reported without stopping
the run, and the worklist in urgency order."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hfs_pathway import evaluate_case
from hfs_pathway._catalog import ALERTS
from hfs_pathway.cli import main
from hfs_pathway.cohort import COLUMNS, WorklistItem, run_cohort, worklist_items, write_synthetic
from hfs_pathway.cohort import _json as cohort_json
from hfs_pathway.cohort._run import _merge_batches
from tests.builder import CaseBuilder

AS_OF = dt.date(2026, 1, 1)
FILES = ("evaluations.ndjson", "worklist.csv", "errors.ndjson", "summary.json", "report.html")
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


@pytest.fixture(scope="module")
def cohort_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """240 synthetic cases with three bad lines and a blank line among them."""
    buffer = io.BytesIO()
    write_synthetic(buffer, 240, seed=3, as_of=AS_OF)
    lines = buffer.getvalue().splitlines()
    lines.insert(10, b'{"patient": {"id": "broken"}, "events": [')  # not JSON
    lines.insert(20, b'{"patient": {"id": "typo"}, "events": [{"type": "presentaton", "date": "2025-01-01"}]}')
    lines.insert(30, b"")
    late = json.loads(lines[40])
    late["events"].append({"type": "pathway_exit", "date": "2026-02-01", "reason": "transferred"})
    lines.insert(41, json.dumps({"patient": {"id": "future"}, "events": late["events"]}).encode())
    path = tmp_path_factory.mktemp("cohort") / "cases.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module")
def one_job(cohort_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one-job")
    run_cohort(cohort_file, out, as_of=AS_OF, jobs=1, progress=False, chunk_bytes=8192)
    return out


def _worklist(folder: Path) -> list[dict[str, str]]:
    with (folder / "worklist.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_two_processes_write_byte_identical_files_to_one(cohort_file: Path, one_job: Path, tmp_path: Path) -> None:
    run_cohort(cohort_file, tmp_path, as_of=AS_OF, jobs=2, progress=False, chunk_bytes=8192)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (one_job / name).read_bytes(), name


def test_spilling_the_worklist_to_disk_gives_the_same_file(cohort_file: Path, one_job: Path, tmp_path: Path) -> None:
    run_cohort(cohort_file, tmp_path, as_of=AS_OF, jobs=1, progress=False, chunk_bytes=8192, run_rows=25)
    assert (tmp_path / "worklist.csv").read_bytes() == (one_job / "worklist.csv").read_bytes()


@given(st.lists(st.lists(st.lists(st.text("abc", max_size=3)), max_size=4), max_size=5))
def test_merging_sorted_runs_in_batches_gives_every_row_in_order(runs: list[list[list[str]]]) -> None:
    """The worklist's runs are merged a batch at a time: the rows come out all, once, and in order, whatever the
    runs and however they are cut into batches (empty ones included)."""
    every = sorted(row for run in runs for batch in run for row in batch)
    cut_runs = []
    for run in runs:
        rows = sorted(row for batch in run for row in batch)
        sizes = [len(batch) for batch in run]
        batches, start = [], 0
        for size in sizes:
            batches.append(rows[start : start + size])
            start += size
        cut_runs.append(iter(batches))
    merged = list(_merge_batches(cut_runs))
    assert [row for batch in merged for row in batch] == every


def test_the_standard_json_module_writes_the_same_files_as_orjson(
    cohort_file: Path, one_job: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cohort_json, "dumps", cohort_json._std_dumps)
    monkeypatch.setattr(cohort_json, "loads", json.loads)
    run_cohort(cohort_file, tmp_path, as_of=AS_OF, jobs=1, progress=False, chunk_bytes=8192)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (one_job / name).read_bytes(), name


def test_bad_cases_are_reported_by_line_and_code_and_the_run_goes_on(cohort_file: Path, one_job: Path) -> None:
    errors = [json.loads(line) for line in (one_job / "errors.ndjson").read_bytes().splitlines()]
    assert [(e["line"], e["patient_id"], e["error"]["code"]) for e in errors] == [
        (11, None, "invalid_case"),
        (21, "typo", "invalid_event"),
        (42, "future", "out_of_order"),
    ]
    assert all(e["error"]["message"] for e in errors)
    assert errors[1]["error"]["event_index"] == 0
    summary = json.loads((one_job / "summary.json").read_text())
    assert summary["cases"] == 243  # the blank line is not a case
    assert summary["evaluated"] == 240
    assert summary["errors_by_code"] == {"invalid_case": 1, "invalid_event": 1, "out_of_order": 1}


def test_each_evaluation_line_is_the_contract_json_of_its_case_in_input_order(cohort_file: Path, one_job: Path) -> None:
    evaluations = [json.loads(line) for line in (one_job / "evaluations.ndjson").read_bytes().splitlines()]
    assert len(evaluations) == 240
    lines = cohort_file.read_bytes().splitlines()[:60]
    cases = [json.loads(line) for line in lines if line.startswith(b'{"patient":{')]
    for case, written in zip(cases, evaluations, strict=False):
        assert written == evaluate_case(case, AS_OF).to_dict()


def test_summary_counts_agree_with_the_evaluations_and_the_worklist(one_job: Path) -> None:
    summary = json.loads((one_job / "summary.json").read_text())
    evaluations = [json.loads(line) for line in (one_job / "evaluations.ndjson").read_bytes().splitlines()]
    stages: dict[str, int] = {}
    for e in evaluations:
        stages[e["stage"]] = stages.get(e["stage"], 0) + 1
    assert {k: v for k, v in summary["patients_per_stage"].items() if v} == stages
    rows = _worklist(one_job)
    assert summary["worklist"]["rows"] == len(rows)
    assert summary["queues"]["benefit_waning"]["patients"] == stages.get("waning_response", 0)
    assert summary["queues"]["toxin_cycle_due"]["patients"] == sum(r["action"] == "next_injection_window" for r in rows)


def test_worklist_rows_are_in_urgency_order(one_job: Path) -> None:
    rows = _worklist(one_job)
    assert rows
    assert list(rows[0]) == list(COLUMNS)

    def key(row: dict[str, str]) -> tuple[int, int, str]:
        return (SEVERITY_RANK[row["severity"]], -int(row["days_overdue"]), row["due"] or "9999-12-31")

    keys = [key(r) for r in rows]
    assert keys == sorted(keys)
    assert {r["severity"] for r in rows} == {"critical", "warning", "info"}


def test_report_holds_the_charts_and_the_worklist_table(one_job: Path) -> None:
    report = (one_job / "report.html").read_text(encoding="utf-8")
    assert report.count("<svg") == 2
    assert "Patients per stage" in report
    assert "Worklist actions" in report
    first = _worklist(one_job)[0]
    assert f"<td>{first['patient_id']}</td>" in report
    assert "Cases not evaluated" in report


def test_report_says_when_it_shows_only_the_most_urgent_rows(cohort_file: Path, tmp_path: Path) -> None:
    run = run_cohort(cohort_file, tmp_path, as_of=AS_OF, jobs=1, progress=False, report_rows=5)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"The 5 most urgent of {run.summary['worklist']['rows']:,} actions" in report
    assert report.count('<tr class="') == 5


def test_cohort_command_prints_the_summary_quietly_when_not_on_a_terminal(
    cohort_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["cohort", str(cohort_file), "--as-of", "2026-01-01", "-o", str(tmp_path), "--jobs", "1"])
    out, err = capsys.readouterr()
    assert status == 0
    assert "240 evaluated, 3 not evaluated" in out
    assert "patients per stage:" in out
    assert err.count("hfs-pathway:") == 3  # one line per bad case, no progress bar
    assert all((tmp_path / name).exists() for name in FILES)


def test_cohort_command_refuses_a_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["cohort", str(tmp_path / "none.ndjson"), "-o", str(tmp_path / "out")])
    assert status == 2
    assert "does not exist" in capsys.readouterr().err


# The worklist of one evaluation ---------------------------------------------------------------------------


def _toxin_patient(patient_id: str = "p1") -> CaseBuilder:
    return CaseBuilder(patient_id).on("2025-01-06").presentation().after(20).mri().after(7).decide("botulinum_toxin")


def test_a_red_flag_makes_the_urgent_mri_critical_and_it_comes_first() -> None:
    flagged = _toxin_patient("flag").after(10).inject().after(30).red_flag().evaluate("2025-03-20")
    waiting = _toxin_patient("wait").after(10).inject().after(100).respond().evaluate("2025-07-01")
    rows = worklist_items(flagged) + worklist_items(waiting)
    urgent = next(r for r in rows if r.action == "urgent_contrast_mri")
    assert urgent.severity == "critical"
    assert urgent.due is not None
    assert urgent.due > flagged.as_of
    ordered = sorted(rows, key=lambda r: r.urgency_key(0, 0))
    assert ordered[0] is urgent


def test_overdue_imaging_takes_the_severity_of_the_imaging_overdue_alert() -> None:
    evaluation = CaseBuilder().on("2025-01-06").presentation().evaluate("2025-06-01")
    (row,) = [r for r in worklist_items(evaluation) if r.action == "order_mri"]
    assert row.severity == ALERTS["imaging_overdue"].severity
    assert row.days_overdue == (dt.date(2025, 6, 1) - row.due).days if row.due else False


def test_a_next_injection_window_not_yet_open_waits_unless_within_the_horizon() -> None:
    evaluation = _toxin_patient().after(10).inject().after(60).respond(peak=80, benefit=58).evaluate("2025-04-20")
    window = next(r for r in evaluation.recommendations if r.code == "next_injection_window")
    days_left = (window.due - evaluation.as_of).days if window.due else 0
    assert days_left > 0
    assert "next_injection_window" not in [r.action for r in worklist_items(evaluation)]
    assert "next_injection_window" in [r.action for r in worklist_items(evaluation, horizon_days=days_left)]


def test_final_stages_have_no_worklist_rows() -> None:
    evaluation = CaseBuilder().presentation(clinical_impression="blepharospasm").evaluate("2025-02-01")
    assert evaluation.final
    assert worklist_items(evaluation) == []


def test_urgency_order_is_severity_then_days_overdue_then_due_date_then_input_order() -> None:
    def item(severity: str, overdue: int, due: str | None) -> WorklistItem:
        return WorklistItem("p", "imaging", "order_mri", dt.date.fromisoformat(due) if due else None, overdue, severity)  # type: ignore[arg-type]

    rows = [
        (item("info", 400, "2024-01-01"), 1),
        (item("warning", 0, None), 2),
        (item("warning", 0, "2026-01-01"), 3),
        (item("warning", 5, "2025-12-27"), 4),
        (item("critical", 1, "2025-12-31"), 5),
        (item("warning", 5, "2025-12-27"), 0),
    ]
    ordered = [n for _, n in sorted(rows, key=lambda r: r[0].urgency_key(r[1], 0))]
    assert ordered == [5, 0, 4, 3, 2, 1]


def test_patient_ids_with_commas_and_quotes_are_quoted_in_the_csv() -> None:
    row = WorklistItem('a,"b"', "imaging", "order_mri", None, 0, "info")  # type: ignore[arg-type]
    assert next(csv.reader(io.StringIO(row.csv_line())))[0] == 'a,"b"'


@pytest.mark.parametrize("patient_id", ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx"])
def test_patient_ids_that_look_like_formulas_are_not_run_by_a_spreadsheet(patient_id: str) -> None:
    row = WorklistItem(patient_id, "imaging", "order_mri", None, 0, "info")  # type: ignore[arg-type]
    assert next(csv.reader(io.StringIO(row.csv_line())))[0] == "'" + patient_id


def test_an_empty_input_gives_empty_outputs_and_a_report_without_charts(tmp_path: Path) -> None:
    source = tmp_path / "empty.ndjson"
    source.write_bytes(b"")
    run = run_cohort(source, tmp_path / "out", as_of=AS_OF, jobs=2, progress=False)
    assert run.summary["cases"] == 0
    assert (tmp_path / "out" / "worklist.csv").read_bytes() == (",".join(COLUMNS) + "\r\n").encode()
    report = (tmp_path / "out" / "report.html").read_text()
    assert "<svg" not in report
    assert "matplotlib" not in report


def test_a_progress_bar_is_drawn_on_standard_error_when_asked(
    cohort_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "cohort",
            str(cohort_file),
            "--as-of",
            "2026-01-01",
            "-o",
            str(tmp_path),
            "--jobs",
            "2",
            "--progress",
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert status == 0
    assert "input: 100%" in err
    assert json.loads(out) == json.loads((tmp_path / "summary.json").read_text())


def test_alerts_that_are_history_neither_raise_a_row_nor_count_as_current(tmp_path: Path) -> None:
    """A red flag whose contrast MRI was done, on a patient now on toxin, is history: the toxin rows stay info, and
    the summary counts the red flag among the alerts only in history, not among the active ones."""
    story = CaseBuilder("imaged").on("2024-01-08").presentation(facial_numbness=True).after(10).mri(contrast=True)
    story.after(14).decide("botulinum_toxin").after(7).inject().after(100).respond()
    evaluation = story.evaluate("2025-01-01")
    (red_flag,) = [a for a in evaluation.alerts if a.code == "red_flag_secondary_hfs"]
    assert not red_flag.active
    rows = worklist_items(evaluation)
    assert rows
    assert {r.severity for r in rows} == {"info"}
    waiting = CaseBuilder("waiting").on("2024-12-20").presentation(hearing_loss=True)
    cases = tmp_path / "cases.ndjson"
    cases.write_text(json.dumps(story.case()) + "\n" + json.dumps(waiting.case()) + "\n", encoding="utf-8")
    run_cohort(cases, tmp_path / "out", as_of=dt.date(2025, 1, 1), jobs=1, progress=False)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["alerts"] == {"red_flag_secondary_hfs": 1}
    assert summary["alerts_history_only"] == {"red_flag_secondary_hfs": 1}
    assert summary["patients_by_highest_alert_severity"] == {"critical": 1, "warning": 0, "info": 0, "none": 1}
    assert summary["queues"]["red_flag_workup_open"]["patients"] == 1
