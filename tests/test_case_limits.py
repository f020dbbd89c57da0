"""How large a case may be: input past the limits is refused as invalid_case, before it is parsed or replayed,
wherever it comes from (JSON text, a file, the command line, a cohort line, a FHIR Bundle); a pathway copy takes
events without touching the original."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from hfs_pathway import CaseLimits, InvalidCase, Pathway, load_case
from hfs_pathway.cli import main
from hfs_pathway.cohort import run_cohort

LIMITS = CaseLimits()
AS_OF = dt.date(2026, 1, 1)


def _reviews(n: int) -> list[dict[str, Any]]:
    opening = [
        {
            "type": "presentation",
            "date": "2020-01-06",
            "symptom_onset_date": "2019-01-01",
            "side": "left",
            "onset_region": "periocular",
            "clinical_impression": "hemifacial_spasm",
        },
        {"type": "imaging_result", "date": "2020-02-03", "modality": "mri", "finding": "neurovascular_conflict"},
        {"type": "treatment_decision", "date": "2020-02-10", "option": "observation", "shared_decision": True},
    ]
    return opening + [{"type": "review_visit", "date": "2020-03-02", "wants_treatment": False}] * (n - len(opening))


def _case(n_events: int, pid: str = "p1") -> dict[str, Any]:
    return {"patient": {"id": pid, "birth_date": "1960-05-01"}, "events": _reviews(n_events)}


def test_the_default_limits_are_far_above_a_real_patients_record() -> None:
    """Forty years of three-monthly toxin with a response and a review each is about 500 events."""
    assert LIMITS.max_events >= 10 * 500
    assert LIMITS.max_bytes >= 4 * 1024 * 1024


def test_a_case_with_more_events_than_allowed_is_refused_before_validation() -> None:
    case = _case(12)
    case["events"][5] = {"type": "no such event"}  # never looked at: the count is checked first
    with pytest.raises(InvalidCase, match="more than a case may have") as caught:
        load_case(case, limits=CaseLimits(max_events=10))
    assert caught.value.code == "invalid_case"
    assert caught.value.event_index is None
    assert len(load_case(_case(10), limits=CaseLimits(max_events=10)).events) == 10


def test_json_text_larger_than_allowed_is_refused_before_it_is_parsed() -> None:
    text = json.dumps(_case(40))
    with pytest.raises(InvalidCase, match="larger than a case may be"):
        load_case(text + " " * 10, limits=CaseLimits(max_bytes=len(text)))
    assert len(load_case(text, limits=CaseLimits(max_bytes=len(text))).events) == 40
    with pytest.raises(InvalidCase, match="larger than a case may be"):
        load_case(text.encode(), limits=CaseLimits(max_bytes=len(text) - 1))


def test_text_is_measured_in_utf8_bytes_not_characters() -> None:
    data = _case(3)
    data["events"][0]["note"] = "é" * 1000  # 1000 characters, 2000 bytes
    text = json.dumps(data, ensure_ascii=False)
    size = len(text.encode())
    with pytest.raises(InvalidCase, match="larger than a case may be"):
        load_case(text, limits=CaseLimits(max_bytes=size - 1))
    assert load_case(text, limits=CaseLimits(max_bytes=size)).events[0].note == "é" * 1000


def test_a_file_larger_than_allowed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_case(40)))
    with pytest.raises(InvalidCase, match=r"case file .*case\.json.* is larger than a case may be"):
        load_case(path, limits=CaseLimits(max_bytes=100))
    with pytest.raises(InvalidCase, match="cannot read case file"):
        load_case(tmp_path / "missing.json")


def test_the_command_line_refuses_a_huge_case_with_a_message_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(_case(LIMITS.max_events + 1)))
    assert main(["evaluate", str(path), "--as-of", "2026-01-01", "--format", "json"]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "invalid_case"
    assert "more than a case may have" in error["message"]

    padded = tmp_path / "padded.json"
    padded.write_text(json.dumps(_case(4)) + " " * LIMITS.max_bytes)
    assert main(["validate", str(padded)]) == 2
    captured = capsys.readouterr()
    assert "larger than a case may be" in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err


def test_a_cohort_reports_an_oversized_case_and_goes_on(tmp_path: Path) -> None:
    lines = [
        json.dumps(_case(5, "first")),
        json.dumps(_case(LIMITS.max_events + 1, "too-many-events")),
        json.dumps(_case(5, "too-long")) + " " * LIMITS.max_bytes,
        json.dumps(_case(6, "last")),
    ]
    source = tmp_path / "cases.ndjson"
    source.write_text("\n".join(lines) + "\n")
    run = run_cohort(source, tmp_path / "out", as_of=AS_OF, jobs=1, progress=False)
    errors = {(e.line, e.code) for e in run.errors}
    assert errors == {(2, "invalid_case"), (3, "invalid_case")}
    evaluated = [json.loads(line)["patient_id"] for line in (tmp_path / "out" / "evaluations.ndjson").open()]
    assert evaluated == ["first", "last"]
    by_line = {e.line: e for e in run.errors}
    assert by_line[2].patient_id == "too-many-events"
    assert "larger than a case may be" in by_line[3].message


def test_a_fhir_bundle_past_the_limits_is_refused_as_invalid_case(tmp_path: Path) -> None:
    pytest.importorskip("fhir.resources")
    from hfs_pathway.fhir import import_bundle, import_resources

    count = LIMITS.max_events + 1
    resources = [{"resourceType": "Observation", "id": f"o{i}", "status": "final"} for i in range(count)]
    with pytest.raises(InvalidCase, match="more than a case may have events"):
        import_resources(resources)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources[:3]]}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle) + " " * LIMITS.max_bytes)
    with pytest.raises(InvalidCase, match="larger than a case may be") as caught:
        import_bundle(path)
    assert caught.value.code == "invalid_case"


def test_a_copy_of_a_pathway_takes_events_without_changing_the_original() -> None:
    original = Pathway.replay(load_case(_case(6)))
    before = (original.stage, original.events, original.history, original.alerts, original.to_json())
    for twin in (copy.copy(original), copy.deepcopy(original)):
        assert twin == original
        twin.apply({"type": "review_visit", "date": "2020-04-01", "wants_treatment": True})
        assert len(twin.history) == 7
        assert (original.stage, original.events, original.history, original.alerts, original.to_json()) == before


def test_a_long_record_replays_whole_and_its_history_is_complete() -> None:
    """Thousands of events replay to the end (the history is appended, not copied, at each event)."""
    pathway = Pathway.replay(load_case(_case(5000)))
    history = pathway.history
    assert len(history) == len(pathway.events) == 5000
    assert [h.index for h in history] == list(range(5000))
    assert pathway.evaluate(AS_OF).history == history
