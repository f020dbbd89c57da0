"""What a new user trips on at the command line: every mistake is a message and exit status 2, never a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import hfs_pathway
from hfs_pathway import cli
from hfs_pathway._record import COMPILED
from hfs_pathway.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WANING = EXAMPLES / "waning_to_mvd_referral.json"
BUNDLE = EXAMPLES / "fhir" / "waning_to_mvd_referral.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    build = "compiled core" if COMPILED else "pure Python"
    assert capsys.readouterr().out.strip() == f"hfs-pathway {hfs_pathway.__version__} ({build})"


def test_an_impossible_as_of_date_is_a_json_error_with_format_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "evaluate", str(WANING), "--as-of", "2020-02-30", "--format", "json")
    assert status == 2
    error = json.loads(out)["error"]
    assert error["code"] == "invalid_argument"
    assert "2020-02-30" in error["message"]


def test_a_bad_option_in_text_mode_shows_the_usage_and_the_problem(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "evaluate", str(WANING), "--as-of", "yesterday")
    assert status == 2
    assert out == ""
    assert "usage: hfs-pathway evaluate" in err
    assert "'yesterday' is not a valid date" in err


def test_a_dash_reads_the_case_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(WANING.read_bytes())))
    status, out, _ = run(capsys, "evaluate", "-", "--as-of", "2023-10-17", "--format", "json")
    assert status == 0
    assert json.loads(out)["stage"] == "mvd_referral"


def test_validate_accepts_a_fhir_bundle_as_evaluate_does(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "validate", str(BUNDLE), "--format", "json")
    assert status == 0
    assert json.loads(out)["valid"] is True


def test_a_misspelt_event_type_gets_a_suggestion(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    case = json.loads(WANING.read_text(encoding="utf-8"))
    case["events"][1]["type"] = case["events"][1]["type"].replace("imaging_result", "imaging_reslt")
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    status, _, err = run(capsys, "validate", str(path))
    assert status == 2
    assert "did you mean 'imaging_result'?" in err


def test_synth_into_a_missing_folder_or_onto_a_folder_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, "synth", "--n", "2", "-o", str(tmp_path / "missing" / "cases.ndjson"))
    assert status == 2
    assert "does not exist" in err
    status, _, err = run(capsys, "synth", "--n", "2", "-o", str(tmp_path))
    assert status == 2
    assert "is a folder" in err


def test_cohort_onto_an_existing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "taken.txt"
    target.write_text("mine", encoding="utf-8")
    cases = tmp_path / "cases.ndjson"
    cases.write_text(json.dumps(json.loads(WANING.read_text(encoding="utf-8"))) + "\n", encoding="utf-8")
    status, _, err = run(capsys, "cohort", str(cases), "--as-of", "2024-01-01", "-o", str(target), "--jobs", "1")
    assert status == 2
    assert "is a file" in err
    assert target.read_text(encoding="utf-8") == "mine"


def test_cohort_exits_2_when_no_case_could_be_evaluated(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cases = tmp_path / "cases.ndjson"
    cases.write_text('{"patient": {}}\nnot json\n', encoding="utf-8")
    status, _, err = run(
        capsys, "cohort", str(cases), "--as-of", "2024-01-01", "-o", str(tmp_path / "out"), "--jobs", "1"
    )
    assert status == 2
    assert "no case could be evaluated" in err


def test_cohort_runs_without_matplotlib_and_leaves_the_charts_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the cohort extra were not installed
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    cases = tmp_path / "cases.ndjson"
    cases.write_text(json.dumps(json.loads(WANING.read_text(encoding="utf-8"))) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    status, _, err = run(capsys, "cohort", str(cases), "--as-of", "2024-01-01", "-o", str(out), "--jobs", "1")
    assert status == 0, err
    assert "without charts" in err
    assert "Charts need matplotlib" in (out / "report.html").read_text(encoding="utf-8")


def _without_fhir_extra(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter where the ``fhir`` package (fhir.resources) cannot be imported."""
    code = f"import sys\nsys.modules['fhir'] = None\nfrom hfs_pathway.cli import main\nsys.exit(main({list(argv)!r}))\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize("argv", [("fhir", "export", str(WANING), "--as-of", "2024-01-01"), ("fhir", "plandefinition")])
def test_fhir_commands_without_the_fhir_extra_say_which_extra_to_install(argv: tuple[str, ...]) -> None:
    done = _without_fhir_extra(*argv)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "pip install 'hfs-pathway[fhir]'" in done.stderr


def test_require_extra_reports_a_missing_parent_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fhir", None)
    monkeypatch.delitem(sys.modules, "fhir.resources", raising=False)
    with pytest.raises(cli.MissingExtra, match=r"hfs-pathway\[fhir\]"):
        cli.require_extra("fhir", "fhir.resources")


def test_png_is_not_written_to_a_terminal(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    status, _, err = run(capsys, "diagram", "--format", "png")
    assert status == 2
    assert "-o FILE.png" in err
