"""Messy records: out of order, duplicated, undated, miscoded, entered in error, a toxin injection before the MRI.

Each resource either maps to an event or is reported skipped with its reason; valid FHIR never makes the import
fail; nothing is invented; what does not fit the pathway leaves the patient on a sensible stage with a finding.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fhir.resources")

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from hfs_pathway import Pathway
from hfs_pathway.cli import main
from hfs_pathway.fhir import NoHfsDiagnosis, import_bundle, import_resources

from .test_fhir_import import PATIENT_RESOURCE, decision, hfs_condition, mri_report, toxin

EXAMPLES = Path(__file__).parent.parent / "examples" / "fhir"
MESSY = EXAMPLES / "messy_record.json"


def entries(path: Path) -> list[dict[str, Any]]:
    bundle = json.loads(path.read_text())
    return [e["resource"] for e in bundle["entry"] if "resource" in e]


def reasons(imported: Any) -> dict[str | None, str]:
    return {s.id: s.reason for s in imported.skipped}


def test_resources_in_any_order_give_the_same_case() -> None:
    ordered = [PATIENT_RESOURCE, hfs_condition(), mri_report("2025-01-20"), decision("2025-02-01"), toxin("2025-02-01")]
    assert import_resources(ordered).case == import_resources(list(reversed(ordered))).case


def test_the_same_resource_twice_and_the_same_fact_under_two_ids_count_once() -> None:
    twin = toxin("2025-02-01")
    twin["id"] = "btx-copy"
    imported = import_resources(
        [
            PATIENT_RESOURCE,
            hfs_condition(),
            hfs_condition(),
            mri_report("2025-01-20"),
            decision("2025-02-01"),
            toxin("2025-02-01"),
            twin,
        ]
    )
    assert [e.type for e in imported.case.events].count("botox_injection") == 1
    why = reasons(imported)
    assert "second copy" in why["c-G51.32"]
    assert "the same botox_injection" in why["btx-copy"]


def test_an_undated_result_is_skipped_not_dated_by_guess() -> None:
    undated = mri_report("2025-01-20")
    del undated["effectiveDateTime"]
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(), undated])
    assert [e.type for e in imported.case.events] == ["presentation"]
    assert "no date" in reasons(imported)["mri-2025-01-20"]


def test_a_date_without_a_day_is_not_stretched_to_one() -> None:
    vague = mri_report("2025-01-20")
    vague["effectiveDateTime"] = "2025-01"
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(), vague])
    assert "gives no day" in reasons(imported)["mri-2025-01-20"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": "entered-in-error"}, "entered in error"),
        ({"status": "preliminary"}, "not a fact that happened"),
        ({"code": {"coding": [{"system": "http://loinc.org", "code": "24558-9"}]}}, "not brain MRI or head CT"),
    ],
)
def test_what_is_not_a_final_coded_result_is_skipped_with_its_reason(change: dict[str, Any], expected: str) -> None:
    report = {**mri_report("2025-01-20"), **change}
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(), report])
    assert expected in reasons(imported)["mri-2025-01-20"]
    assert Pathway.replay(imported.case).stage == "imaging"


def test_a_diagnosis_entered_in_error_is_no_diagnosis() -> None:
    with pytest.raises(NoHfsDiagnosis):
        import_resources([PATIENT_RESOURCE, hfs_condition(verification="entered-in-error"), mri_report("2025-01-20")])


def test_a_report_whose_finding_is_free_text_only_is_a_study_on_record_with_its_finding_not_coded() -> None:
    report = {**mri_report("2025-01-20"), "conclusionCode": [], "conclusion": "Small lesion at the left CPA."}
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(), report])
    (study,) = [e for e in imported.case.events if e.type == "imaging_result"]
    assert (study.finding, study.note) == ("not_coded", "Small lesion at the left CPA.")
    assert study.source is not None
    assert study.source.reference == "DiagnosticReport/mri-2025-01-20"


def test_a_toxin_injection_before_the_mri_is_left_out_with_a_finding_and_the_patient_waits_for_imaging() -> None:
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(), toxin("2025-01-10")])
    assert Pathway.replay(imported.case).stage == "imaging"
    (finding,) = [f for f in imported.findings if f.code != "presentation_not_documented"]
    assert (finding.code, finding.severity, finding.resource_id) == (
        "treatment_before_imaging",
        "warning",
        "btx-2025-01-10",
    )
    assert "imaging" in finding.text
    assert "not accepted by the pathway at stage imaging" in reasons(imported)["btx-2025-01-10"]


def test_after_the_mri_the_record_continues_normally_past_an_early_injection() -> None:
    imported = import_resources(
        [
            PATIENT_RESOURCE,
            hfs_condition(),
            toxin("2025-01-10"),
            mri_report("2025-01-20"),
            decision("2025-02-01"),
            toxin("2025-02-01"),
        ]
    )
    assert [e.type for e in imported.case.events][-1] == "botox_injection"
    assert Pathway.replay(imported.case).stage == "botulinum_toxin"
    assert [f.code for f in imported.findings if f.code != "presentation_not_documented"] == [
        "treatment_before_imaging"
    ]


def test_an_injection_with_no_recorded_decision_implies_the_decision_marked_inferred_on_its_day() -> None:
    imported = import_resources([PATIENT_RESOURCE, hfs_condition(), mri_report("2025-01-20"), toxin("2025-02-01")])
    assert Pathway.replay(imported.case).stage == "botulinum_toxin"
    decision, injection = imported.case.events[-2:]
    assert (decision.type, decision.date, decision.option) == ("treatment_decision", injection.date, "botulinum_toxin")
    assert decision.source is not None
    assert decision.source.inferred
    assert decision.source.reference == "MedicationAdministration/btx-2025-02-01"
    assert injection.source is not None
    assert not injection.source.inferred
    assert "decision_inferred" in [f.code for f in imported.findings]


def test_the_messy_example_lands_on_the_toxin_stage_with_its_findings_and_every_resource_accounted_for() -> None:
    imported = import_bundle(MESSY)
    resources = entries(MESSY)
    patients = sum(r["resourceType"] == "Patient" for r in resources)
    recorded = [e for e in imported.case.events if not (e.source and e.source.inferred)]
    assert len(recorded) + len(imported.skipped) == len(resources) - patients
    assert Pathway.replay(imported.case).stage == "botulinum_toxin"
    assert {"presentation_not_documented", "treatment_before_imaging"} <= {f.code for f in imported.findings}
    why = reasons(imported)
    assert why["rf-typo"] == "entered in error"
    assert "not-done" in why["btx-cancelled"]
    assert "preliminary" in why["mri-prelim"]
    assert "no date" in why["resp-undated"]
    assert "not one the pathway reads" in why["bp-1"]
    assert "no medication record of that day" in why["proc-orphan"]


def bundle_entries(path: Path) -> list[dict[str, Any]]:
    return [e for e in json.loads(path.read_text())["entry"] if "resource" in e]


def rebundle(path: Path, chosen: list[dict[str, Any]]) -> dict[str, Any]:
    """The example's Bundle with its entries replaced (the fullUrls, which references may use, kept)."""
    bundle = json.loads(path.read_text())
    return {**bundle, "entry": copy.deepcopy(chosen)}


def counted(entries_: list[dict[str, Any]]) -> int:
    """Resources that must map or be reported: all but the Patient read (its copies are reported) and a search's
    OperationOutcome."""
    kinds = [e["resource"]["resourceType"] for e in entries_]
    return sum(k != "OperationOutcome" for k in kinds) - ("Patient" in kinds)


SHUFFLED = st.sampled_from(sorted(EXAMPLES.glob("*.json"))).flatmap(
    lambda path: st.tuples(
        st.just(path), st.permutations(bundle_entries(path)), st.lists(st.integers(0, 40), max_size=4)
    )
)


@settings(max_examples=60)
@given(SHUFFLED)
def test_any_order_and_any_duplicates_of_valid_resources_import_without_failing_and_account_for_every_resource(
    drawn: tuple[Path, list[dict[str, Any]], list[int]],
) -> None:
    """Import never fails on valid FHIR: whatever the order and whichever entries are repeated, every resource
    maps or is reported skipped, and the case is the one the record in date order gives."""
    path, shuffled, repeats = drawn
    chosen = shuffled + [shuffled[i % len(shuffled)] for i in repeats]
    imported = import_bundle(rebundle(path, chosen))
    recorded = [e for e in imported.case.events if not (e.source and e.source.inferred)]
    assert len(recorded) + len(imported.skipped) == counted(chosen)
    assert imported.case == import_bundle(path).case
    Pathway.replay(imported.case).evaluate(imported.case.events[-1].date)


@settings(max_examples=40)
@given(st.sampled_from(sorted(EXAMPLES.glob("*.json"))).flatmap(lambda p: st.tuples(st.just(p), st.data())))
def test_dropping_resources_never_invents_a_fact(drawn: tuple[Path, Any]) -> None:
    """With any resources missing, every event of the case is one some resource of the full record gives on its
    own: the import leaves facts out, it never makes one up."""
    path, data = drawn
    all_entries = bundle_entries(path)
    patient = [e for e in all_entries if e["resource"]["resourceType"] == "Patient"]
    others = [e for e in all_entries if e["resource"]["resourceType"] != "Patient"]
    kept = data.draw(st.lists(st.sampled_from(range(len(others))), unique=True))
    subset = patient + [others[i] for i in sorted(kept)]
    try:
        imported = import_bundle(rebundle(path, subset))
    except NoHfsDiagnosis:
        assert not any(e["resource"]["resourceType"] == "Condition" for e in subset)
        return
    possible = [*import_bundle(path).case.events, *_all_mapped(path)]
    for event in imported.case.events:
        assert any(says_no_more(event, fact) for fact in possible), event
        if event.source is not None and event.source.inferred:  # inferred from a treatment the record holds
            started = {"botulinum_toxin": "botox_injection", "oral_medication": "medication_started"}[event.option]
            assert any((e.type, e.date) == (started, event.date) for e in imported.case.events)


_UNSAID: tuple[Any, ...] = (None, "unknown", "not_coded", False, [])
"""What a record that says less gives: a finding not documented, the onset region unknown, a study's finding not
coded, no contrast said."""


def says_no_more(event: Any, fact: Any) -> bool:
    """Whether ``event`` says nothing ``fact`` (read from the full record) does not: the same kind of event on the
    same day, each field equal or left unsaid; a toxin dose no more than the day's total; an inferred decision
    that the full record holds a treatment for (on that day)."""
    if event.source is not None and event.source.inferred:
        return True  # checked by the caller: the treatment it was inferred from is on record
    if (event.type, event.date) != (fact.type, fact.date):
        return False
    mine = event.model_dump(mode="json", exclude={"source", "note"})
    theirs = fact.model_dump(mode="json", exclude={"source", "note"})
    for name, value in mine.items():
        if name == "total_units":
            if value > theirs[name]:
                return False
        elif value != theirs[name] and value not in _UNSAID:
            return False
    return True


def _all_mapped(path: Path) -> list[Any]:
    """Every event any single resource of the file maps to, alone with the patient, diagnoses and medications."""
    all_entries = bundle_entries(path)
    base = [e for e in all_entries if e["resource"]["resourceType"] in ("Patient", "Condition", "Medication")]
    events = []
    for entry in all_entries:
        with contextlib.suppress(NoHfsDiagnosis):
            events.extend(import_bundle(rebundle(path, [*base, entry])).case.events)
    return events


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_fhir_import_prints_the_case_and_reports_skipped_resources(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli("fhir", "import", str(MESSY), capsys=capsys)
    assert status == 0
    case = json.loads(out)
    assert case["patient"]["id"] == "hfs-demo-4"
    assert "skipped Observation/rf-typo: entered in error" in err
    assert "finding treatment_before_imaging" in err
    status, out, _ = run_cli("fhir", "import", str(MESSY), "--format", "json", capsys=capsys)
    assert set(json.loads(out)) == {"case", "skipped", "findings"}


def test_cli_fhir_export_and_plandefinition(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run_cli(
        "fhir", "export", str(EXAMPLES / "toxin_responder.json"), "--as-of", "2025-03-01", capsys=capsys
    )
    bundle = json.loads(out)
    assert status == 0
    assert bundle["resourceType"] == "Bundle"
    assert any(e["resource"]["resourceType"] == "CarePlan" for e in bundle["entry"])
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(import_bundle(EXAMPLES / "toxin_responder.json").case.to_dict()))
    status, out, _ = run_cli("fhir", "export", str(case_file), "--as-of", "2025-03-01", capsys=capsys)
    assert status == 0
    assert json.loads(out)["type"] == "collection"
    status, out, _ = run_cli("fhir", "plandefinition", capsys=capsys)
    assert status == 0
    assert json.loads(out)["resourceType"] == "PlanDefinition"


def test_cli_evaluate_accepts_a_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli("evaluate", str(MESSY), "--as-of", "2025-07-01", "--format", "json", capsys=capsys)
    assert status == 0
    assert json.loads(out)["stage"] == "botulinum_toxin"
    assert "skipped" in err


def test_cli_bad_bundles_exit_2_with_a_located_message(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": [1]}]}))
    status, out, _ = run_cli("fhir", "import", str(bad), "--format", "json", capsys=capsys)
    assert status == 2
    assert json.loads(out)["error"]["code"] == "invalid_case"
    assert "Bundle.entry 0" in json.loads(out)["error"]["message"]
    nodx = tmp_path / "nodx.json"
    nodx.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT_RESOURCE}]})
    )
    status, out, _ = run_cli("evaluate", str(nodx), "--format", "json", capsys=capsys)
    assert status == 2
    assert json.loads(out)["error"]["code"] == "no_hfs_diagnosis"


def test_fhir_import_on_the_command_line_does_not_need_the_models() -> None:
    code = (
        "import sys; from hfs_pathway.cli import main; main(['fhir', 'import', sys.argv[1]]); "
        "print('fhir.resources' in sys.modules, file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(MESSY)], capture_output=True, text=True, check=True)
    assert result.stderr.strip().endswith("False")
    assert dt.date.fromisoformat(json.loads(result.stdout)["events"][0]["date"])
