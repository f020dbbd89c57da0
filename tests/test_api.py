"""The public face: a small API named in __all__, cheap to import, with typed errors carrying codes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hfs_pathway
from hfs_pathway import (
    CheckpointNotSatisfied,
    EventNotAllowed,
    InvalidCase,
    InvalidEvent,
    OutOfOrder,
    Pathway,
    PathwayError,
    Stage,
    check_event,
    load_case,
    requirements_for,
)
from tests.builder import CaseBuilder


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in hfs_pathway.__all__:
        value = getattr(hfs_pathway, name)
        if callable(value) and not isinstance(value, type | str):
            assert value.__doc__, name
    assert sorted(dir(hfs_pathway)) == sorted(hfs_pathway.__all__)
    with pytest.raises(AttributeError):
        _ = hfs_pathway.no_such_name  # type: ignore[attr-defined]


def test_importing_the_package_loads_neither_pydantic_nor_transitions() -> None:
    code = "import sys, hfs_pathway; print('pydantic' in sys.modules, 'transitions' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_importing_pathway_and_load_case_leaves_the_rules_and_guideline_for_first_use() -> None:
    # What importing needs is the event models and the pathway class; the definition and its rules, the guideline
    # model and the advice load on the first pathway and the first evaluation (import time, docs/performance.md).
    later = ("_hfs", "_rules", "_guideline", "_advice", "_toxin", "_workup", "_surgery", "transitions", "difflib")
    code = (
        "import sys\n"
        "from hfs_pathway import Pathway, load_case\n"
        f"print(sorted(m for m in sys.modules if m.rpartition('.')[2] in {later!r} or m.split('.')[0] in {later!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_using_the_core_loads_no_optional_extra() -> None:
    # Evaluating a case, and the command line's parser (which lists every command), stay free of the extras.
    extras = ("fhir", "fastapi", "uvicorn", "jwt", "httpx", "matplotlib", "tqdm", "orjson", "mkdocs")
    code = (
        "import sys, datetime, hfs_pathway\n"
        "from hfs_pathway import Pathway, load_case\n"
        "from hfs_pathway.cli import _parser\n"
        "Pathway.replay(load_case('examples/typical_toxin_responder.json')).evaluate(datetime.date(2026, 1, 1))\n"
        "_parser()\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {extras!r}))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout
    assert out.strip() == "[]"


def test_each_error_has_its_contract_code() -> None:
    assert [e.code for e in (InvalidCase, InvalidEvent, OutOfOrder, EventNotAllowed, CheckpointNotSatisfied)] == [
        "invalid_case",
        "invalid_event",
        "out_of_order",
        "event_not_allowed",
        "checkpoint_not_satisfied",
    ]
    assert all(issubclass(e, PathwayError) for e in (InvalidCase, InvalidEvent, OutOfOrder))


def test_an_event_not_allowed_names_the_stage_and_what_it_accepts() -> None:
    pathway = CaseBuilder().presentation().pathway()
    with pytest.raises(EventNotAllowed) as caught:
        pathway.apply(
            {"type": "botox_injection", "date": "2025-02-01", "product": "onabotulinumtoxinA", "total_units": 20}
        )
    error = caught.value
    assert error.event_index == 1
    assert error.stage == "imaging"
    assert "imaging_result" in error.accepted
    assert "stage imaging" in error.message
    assert "imaging_result" in error.message


def test_a_refused_event_changes_nothing() -> None:
    pathway = CaseBuilder().to_toxin().inject().pathway()
    before = (pathway.to_json(), pathway.evaluate(dt.date(2025, 6, 1)).to_dict())
    with pytest.raises(PathwayError):
        pathway.apply(
            {"type": "botox_injection", "date": "2024-01-01", "product": "onabotulinumtoxinA", "total_units": 20}
        )
    with pytest.raises(PathwayError):
        pathway.apply({"type": "botox_injection", "date": "2025-05-01", "product": "botox", "total_units": 20})
    assert (pathway.to_json(), pathway.evaluate(dt.date(2025, 6, 1)).to_dict()) == before


def test_check_event_explains_without_changing_the_pathway() -> None:
    pathway = CaseBuilder().to_surgical_evaluation().pathway()
    saved = pathway.to_json()
    check = check_event(
        pathway,
        {
            "type": "risk_benefit_decision",
            "date": "2025-03-01",
            "decision": "refer_for_mvd",
            "patient_informed": True,
            "patient_consents": True,
        },
    )
    assert not check.accepted
    assert isinstance(check.error, CheckpointNotSatisfied)
    assert check.error.unmet == ("recent_risk_assessment",)
    assert check.reason is not None
    assert "surgical risk assessment" in check.reason
    assert pathway.to_json() == saved
    ok = check_event(pathway, {"type": "pathway_exit", "date": "2025-03-01", "reason": "transferred"})
    assert ok.accepted
    assert ok.leads_to == "exited"


def test_requirements_for_a_referral_lists_what_blocks_it() -> None:
    pathway = CaseBuilder().to_toxin().pathway()
    needs = requirements_for(pathway, "mvd_referral")
    assert needs.reachable
    assert [s.event for s in needs.steps] == ["treatment_decision", "risk_benefit_decision"]
    assert any("risk assessment" in text for text in needs.unmet)
    assert any("consents" in text for text in needs.unmet)
    assessed = CaseBuilder().to_surgical_evaluation().risk_assessment().pathway()
    assert any("risk assessment" in text for text in requirements_for(assessed, "mvd_referral").met)
    done = CaseBuilder().presentation(clinical_impression="tic").pathway()
    assert not requirements_for(done, "mvd_referral").reachable


def test_pathway_can_be_started_and_driven_event_by_event() -> None:
    pathway = Pathway.start({"id": "p9", "birth_date": "1970-05-05"})
    assert pathway.stage == "presentation"
    entry = pathway.apply(
        {
            "type": "presentation",
            "date": "2025-01-02",
            "side": "right",
            "onset_region": "periocular",
            "clinical_impression": "hemifacial_spasm",
        }
    )
    assert (entry.index, entry.from_stage, entry.to_stage) == (0, "presentation", "imaging")
    assert pathway.accepted_events() == (
        "imaging_result",
        "imaging_finding_recorded",
        "imaging_booked",
        "imaging_declined",
        "red_flag",
        "pathway_exit",
    )


def test_error_messages_only_repeat_what_the_caller_passed() -> None:
    """No patient data beyond the call: the patient id and birth date never appear in an event error."""
    story = CaseBuilder("secret-id-123", birth_date="1950-07-08").presentation()
    pathway = story.pathway()
    with pytest.raises(PathwayError) as caught:
        pathway.apply({"type": "imaging_result", "date": "2025-02-01", "modality": "pet", "finding": "tumour"})
    assert "secret-id-123" not in caught.value.message
    assert "1950" not in caught.value.message


def test_loading_reports_the_first_bad_event_with_its_index() -> None:
    case = CaseBuilder().to_toxin().inject(units=-5).case()
    with pytest.raises(InvalidEvent) as caught:
        load_case(case)
    assert caught.value.event_index == 3
    assert "total_units" in caught.value.message


def test_refusals_name_earlier_events_by_index_not_by_their_dates() -> None:
    """A refusal repeats what this call passed in; earlier facts are named by their event index."""
    story = CaseBuilder().to_toxin().on("2025-03-03").inject()
    pathway = story.pathway()
    with pytest.raises(InvalidEvent) as too_long:
        pathway.apply(
            {
                "type": "botox_response",
                "date": "2025-04-02",
                "peak_improvement_percent": 70,
                "benefit_duration_days": 60,
            }
        )
    assert "2025-03-03" not in too_long.value.message
    assert "event 3" in too_long.value.message
    with pytest.raises(OutOfOrder) as early:
        pathway.apply({"type": "review_visit", "date": "2025-03-01", "wants_treatment": False})
    assert "2025-03-03" not in early.value.message
    assert "event 3" in early.value.message
    with pytest.raises(OutOfOrder) as as_of:
        pathway.evaluate(dt.date(2025, 3, 1))
    assert "2025-03-03" not in as_of.value.message


def _misdated_story() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    case = CaseBuilder(birth_date="1965-03-02").on("2025-01-06").presentation().after(days=3).mri().case()
    return case["patient"], case["events"]


def _feed(pathway: Pathway, how: str, event: dict[str, Any]) -> None:
    if how == "apply":
        pathway.apply(event)
    else:
        pathway.extend([event, event])


@pytest.mark.parametrize("how", ["apply", "extend"])
def test_a_misdated_event_is_refused_and_changes_nothing(how: str) -> None:
    """A first event before the birth date is invalid; an event before the previous one is out of order. Either
    way the pathway keeps what it had."""
    patient, events = _misdated_story()
    pathway = Pathway.start(patient)
    with pytest.raises(InvalidEvent) as before_birth:
        _feed(pathway, how, {**events[0], "date": "1965-03-01"})
    assert not isinstance(before_birth.value, OutOfOrder)
    assert "before the patient's birth date" in before_birth.value.message
    assert before_birth.value.event_index == 0
    assert pathway.events == ()
    assert pathway.stage is Stage.PRESENTATION
    pathway.extend(events)
    history = pathway.history
    with pytest.raises(OutOfOrder) as out_of_order:
        _feed(pathway, how, {"type": "review_visit", "date": "2025-01-08", "wants_treatment": False})
    assert out_of_order.value.event_index == 2
    assert "before the previous event (event 1)" in out_of_order.value.message
    assert pathway.history == history
    assert len(pathway.events) == 2


def test_a_misdated_event_in_a_replayed_case_is_refused() -> None:
    patient, events = _misdated_story()
    with pytest.raises(InvalidEvent, match="before the patient's birth date") as before_birth:
        Pathway.replay({"patient": patient, "events": [{**events[0], "date": "1965-03-01"}]})
    assert not isinstance(before_birth.value, OutOfOrder)
    early = {"type": "review_visit", "date": "2025-01-08", "wants_treatment": False}
    with pytest.raises(OutOfOrder) as out_of_order:
        Pathway.replay({"patient": patient, "events": [*events, early]})
    assert out_of_order.value.event_index == 2
