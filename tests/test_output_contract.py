"""What the evaluation says beyond stage and advice (R2.11, R2.13): why a patient left, and where each event's fact
came from, in the Python results, the JSON of spec §5 and saved pathways."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hfs_pathway import HFS_PATHWAY, Pathway, Severity, Stage, requirements_for
from hfs_pathway._exit import EXIT_REASON_OF_EVENT

from .builder import CaseBuilder
from .strategies import EXIT_REASONS, plausible_cases

# Exit reason -----------------------------------------------------------------------------------------------------


def test_every_way_into_exited_has_an_exit_reason() -> None:
    """A new route to exited without a reason fails here."""
    into_exited = {edge.event.value for edge in HFS_PATHWAY.edges() if edge.dest is Stage.EXITED}
    assert into_exited == set(EXIT_REASON_OF_EVENT)


@pytest.mark.parametrize("reason", EXIT_REASONS)
def test_pathway_exit_gives_its_reason(reason: str) -> None:
    evaluation = CaseBuilder().to_toxin().after(30).leave(reason).evaluate()
    assert evaluation.stage is Stage.EXITED
    assert evaluation.exit_reason == reason
    assert evaluation.to_dict()["exit_reason"] == reason


def test_another_diagnosis_at_presentation_is_an_alternative_diagnosis_exit() -> None:
    evaluation = CaseBuilder().presentation(clinical_impression="focal_seizure").evaluate()
    assert evaluation.exit_reason == "alternative_diagnosis"


def test_a_secondary_cause_managed_elsewhere_is_a_transfer() -> None:
    story = CaseBuilder().presentation(facial_numbness=True).after(10).mri("tumour", contrast=True)
    evaluation = story.after(90).event("secondary_cause_outcome", outcome="managed_elsewhere").evaluate()
    assert evaluation.stage is Stage.EXITED
    assert evaluation.exit_reason == "transferred"


def test_exit_reason_is_null_unless_exited() -> None:
    discharged = CaseBuilder().presentation(facial_numbness=True).after(10).mri("tumour", contrast=True)
    discharged.after(90).event("secondary_cause_outcome", outcome="resolved")
    evaluation = discharged.evaluate()
    assert evaluation.stage is Stage.DISCHARGED
    assert evaluation.exit_reason is None
    assert evaluation.to_dict()["exit_reason"] is None
    assert CaseBuilder().to_toxin().evaluate().to_dict()["exit_reason"] is None


# Source ------------------------------------------------------------------------------------------------------------

PROCEDURE = {"system": "https://ehr.example.org/fhir", "reference": "Procedure/123", "inferred": True}


def _sourced() -> CaseBuilder:
    story = CaseBuilder().presentation(source={"system": "questionnaire", "reference": "QuestionnaireResponse/7"})
    return story.after(20).mri(source={"reference": "DiagnosticReport/9"}).after(14).decide("botulinum_toxin")


def test_source_is_kept_in_the_history_and_its_json() -> None:
    story = _sourced().after(7).inject(source=PROCEDURE)
    evaluation = story.evaluate()
    sources = [h.source for h in evaluation.history]
    assert sources[0] is not None
    assert sources[0].reference == "QuestionnaireResponse/7"
    assert sources[2] is None
    history = evaluation.to_dict()["history"]
    assert history[3]["source"] == PROCEDURE
    assert history[1]["source"] == {"system": None, "reference": "DiagnosticReport/9", "inferred": False}
    assert history[2]["source"] is None


def test_source_survives_saving_and_loading() -> None:
    pathway = _sourced().after(7).inject(source=PROCEDURE).pathway()
    saved = json.loads(pathway.to_json())
    assert saved["events"][3]["source"] == PROCEDURE
    assert "source" not in saved["events"][2]
    loaded = Pathway.from_json(pathway.to_json())
    assert loaded.history == pathway.history
    assert loaded.history[3].source == pathway.history[3].source


def test_an_applied_event_keeps_its_source() -> None:
    pathway = _sourced().pathway()
    entry = pathway.apply(
        {
            "type": "botox_injection",
            "date": "2025-03-01",
            "product": "onabotulinumtoxinA",
            "total_units": 20,
            "source": PROCEDURE,
        }
    )
    assert entry.source is not None
    assert entry.source.inferred is True


@given(case=plausible_cases(), sourced=st.lists(st.booleans(), max_size=20))
def test_the_json_round_trip_keeps_active_source_and_exit_reason(case: dict[str, Any], sourced: list[bool]) -> None:
    events = [{**e, "source": PROCEDURE} if flag else e for e, flag in zip(case["events"], sourced, strict=False)]
    case = {**case, "events": events + case["events"][len(events) :]}
    pathway = Pathway.replay(case)
    as_of = (pathway.events[-1].date if pathway.events else dt.date(2025, 1, 1)) + dt.timedelta(days=45)
    evaluation = pathway.evaluate(as_of)
    data = json.loads(json.dumps(evaluation.to_dict()))
    assert data["exit_reason"] == (None if evaluation.exit_reason is None else evaluation.exit_reason.value)
    assert [a["active"] for a in data["alerts"]] == [a.active for a in evaluation.alerts]
    assert [h["source"] is None for h in data["history"]] == [e.source is None for e in pathway.events]
    loaded = Pathway.from_json(pathway.to_json())
    assert loaded.evaluate(as_of) == evaluation


def test_an_explanation_says_where_the_fact_behind_it_came_from() -> None:
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(1)
    story.refer(source={"system": "ehr", "reference": "ServiceRequest/55", "inferred": True})
    needs = requirements_for(story.pathway(), "mvd_referral")
    assert needs.already
    assert needs.met[0].endswith("(inferred from ServiceRequest/55)")
    plain = requirements_for(
        CaseBuilder().to_surgical_evaluation().risk_assessment().after(1).refer().pathway(), "mvd_referral"
    )
    assert "inferred" not in plain.met[0]
    assert "(" not in plain.met[0]


@given(plausible_cases())
def test_every_field_of_an_evaluation_holds_what_its_name_says(case: dict[str, Any]) -> None:
    # ``Pathway.evaluate`` builds the named tuple from its fields in order, for speed: this checks the order.
    pathway = Pathway.replay(case)
    last = pathway.events[-1].date if pathway.events else dt.date(2024, 1, 1)
    as_of = last + dt.timedelta(days=40)
    evaluation = pathway.evaluate(as_of)
    assert evaluation.patient_id == pathway.patient.id
    assert evaluation.patient is pathway.patient
    assert evaluation.as_of == as_of
    assert (evaluation.guideline_name, evaluation.guideline_version) == (
        pathway.guideline.name,
        pathway.guideline.version,
    )
    assert evaluation.stage is pathway.stage
    assert evaluation.final is pathway.final
    assert all(type(r).__name__ == "Recommendation" for r in evaluation.recommendations)
    assert evaluation.alerts[: len(pathway.alerts)] == pathway.alerts
    assert evaluation.history == pathway.history
    assert evaluation.botox_cycles == pathway.botox_cycles
    assert evaluation.risk_benefit == pathway.risk_benefit
    assert (evaluation.exit_reason is None) == (pathway.stage is not Stage.EXITED)
    assert evaluation.events == pathway.events


@given(plausible_cases())
def test_every_field_of_an_alert_raised_by_an_event_holds_what_its_name_says(case: dict[str, Any]) -> None:
    # ``Change.alert`` builds the named tuple from its fields in order, for speed: this checks the order.
    from hfs_pathway._catalog import ALERTS

    pathway = Pathway.replay(case)
    for alert in pathway._alerts:
        kind = ALERTS[alert.code]
        assert alert.rationale == kind.rationale
        assert isinstance(alert.text, str)
        assert alert.text
        assert isinstance(alert.severity, Severity)
        assert isinstance(alert.evidence, tuple)
        assert set(kind.evidence) <= set(alert.evidence)
        assert alert.event_index is not None
        assert alert.date == pathway.events[alert.event_index].date
        assert alert.active is True


def test_an_alert_keeps_the_severity_and_evidence_given_for_the_case_in_their_fields() -> None:
    from hfs_pathway._catalog import ALERTS
    from hfs_pathway._change import Change
    from hfs_pathway._record import Record

    story = CaseBuilder().to_surgical_evaluation()
    pathway = story.pathway()
    change = Change(pathway.events[-1], 7, Record(), pathway.patient, pathway.guideline)
    code = "hla_b1502_positive"
    change.alert(code, "the text", severity=Severity.WARNING, evidence=("R999",))
    (alert,) = change.alerts
    assert alert.code == code
    assert alert.severity is Severity.WARNING
    assert alert.text == "the text"
    assert alert.rationale == ALERTS[code].rationale
    assert alert.evidence == ("R999", *(e for e in ALERTS[code].evidence if e != "R999"))
    assert alert.date == pathway.events[-1].date
    assert alert.event_index == 7
    assert alert.active is True
