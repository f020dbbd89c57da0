"""The pathway definition: one source of truth, validated when built, with a state machine built once."""

from __future__ import annotations

import pytest

from hfs_pathway import HFS_PATHWAY, EventType, InvalidDefinition, PathwayDefinition, Stage, citations
from hfs_pathway._catalog import ALERTS, RECOMMENDATIONS
from hfs_pathway._definition import EventRule, Route, StageInfo


def test_the_definition_covers_every_stage_and_event_of_the_contract() -> None:
    assert {s.stage for s in HFS_PATHWAY.stages} == set(Stage)
    assert {r.event for r in HFS_PATHWAY.rules} == set(EventType)
    assert HFS_PATHWAY.initial is Stage.PRESENTATION
    assert HFS_PATHWAY.final_stages == {Stage.DISCHARGED, Stage.EXITED}


def test_accepted_events_match_the_spec_table() -> None:
    """Spec §2 'accepted in' column, read back from the definition."""
    accepted_in = {rule.event.value: {s.value for s in rule.accepted_in} for rule in HFS_PATHWAY.rules}
    active = {"treatment_selection", "observation", "oral_medication", "botulinum_toxin", "waning_response"}
    assert accepted_in["presentation"] == {"presentation"}
    studies = active | {"imaging", "surgical_evaluation", "mvd_referral", "post_mvd"}
    assert accepted_in["imaging_result"] == studies  # R2.2: a completing or follow-up study
    assert accepted_in["imaging_finding_recorded"] == studies  # R2.15: wherever imaging_result is
    assert accepted_in["imaging_booked"] == {"imaging"}
    assert accepted_in["imaging_declined"] == studies  # wherever the order can be outstanding
    assert accepted_in["secondary_cause_outcome"] == {"secondary_cause"}
    assert accepted_in["treatment_decision"] == active
    assert accepted_in["medication_started"] == {"oral_medication"}
    assert accepted_in["medication_review"] == {"oral_medication"}
    assert accepted_in["botox_injection"] == {"botulinum_toxin", "post_mvd"}
    assert accepted_in["botox_response"] == {"botulinum_toxin", "waning_response"}
    assert accepted_in["botox_plan_adjusted"] == {"waning_response", "botulinum_toxin"}
    assert accepted_in["surgical_risk_assessment"] == {"surgical_evaluation"}
    assert accepted_in["risk_benefit_decision"] == {"surgical_evaluation"}
    assert accepted_in["mvd_performed"] == active | {"surgical_evaluation", "mvd_referral", "post_mvd"}
    assert accepted_in["referral_closed"] == {"mvd_referral"}
    assert accepted_in["post_mvd_review"] == {"post_mvd"}
    assert accepted_in["red_flag"] == active | {
        "surgical_evaluation",
        "mvd_referral",
        "imaging",
        "post_mvd",
        "discharged",
    }
    assert accepted_in["review_visit"] == {"observation", "oral_medication", "botulinum_toxin", "post_mvd"}
    assert accepted_in["pathway_exit"] == {s.value for s in Stage} - {"discharged", "exited"}
    assert accepted_in["recurrence"] == {"discharged"}


def test_the_state_machine_is_built_once_without_auto_transitions_or_patients() -> None:
    machine = HFS_PATHWAY.machine
    assert machine is HFS_PATHWAY.machine
    assert machine.auto_transitions is False
    assert machine.models == []
    assert set(machine.states) == {s.value for s in Stage}
    assert set(machine.events) == {e.value for e in EventType}


def test_the_machine_and_the_dispatch_table_describe_the_same_moves() -> None:
    machine_moves = {
        (source, trigger, transition.dest or source)
        for trigger, event in HFS_PATHWAY.machine.events.items()
        for source, transitions in event.transitions.items()
        for transition in transitions
    }
    table_moves = {
        (source, event, (route.dest.value if route.dest else source))
        for (source, event), (_, routes) in HFS_PATHWAY.dispatch.items()
        for route in routes
    }
    assert machine_moves == table_moves


def test_every_route_and_catalogue_entry_cites_known_evidence() -> None:
    registry = citations()
    cited = [e for rule in HFS_PATHWAY.rules for route in rule.routes for e in route.evidence]
    cited += [e for kind in ALERTS.values() for e in kind.evidence]
    cited += [e for kind in RECOMMENDATIONS.values() for e in kind.evidence]
    assert cited
    assert sorted(set(cited) - set(registry)) == []
    for kind in (*ALERTS.values(), *RECOMMENDATIONS.values()):
        assert kind.evidence, kind.code
        assert kind.rationale, kind.code


def test_every_stage_has_a_route_to_a_final_stage() -> None:
    for stage in Stage:
        if stage in HFS_PATHWAY.final_stages:
            continue
        assert any(HFS_PATHWAY.shortest_path(stage, final) for final in HFS_PATHWAY.final_stages), stage


def _broken(stages: tuple[StageInfo, ...], rules: tuple[EventRule, ...]) -> PathwayDefinition:
    return PathwayDefinition(name="broken", version="0", stages=stages, rules=rules)


def _all_events_accepted_in(stage: Stage) -> tuple[EventRule, ...]:
    return tuple(EventRule(event, (stage,), (Route(None, "stay"),)) for event in EventType)


def test_an_unreachable_stage_fails_loudly() -> None:
    stages = (
        StageInfo(Stage.PRESENTATION, "start", initial=True),
        StageInfo(Stage.IMAGING, "island"),
        StageInfo(Stage.EXITED, "end", final=True),
    )
    rules = tuple(
        EventRule(e, (Stage.PRESENTATION,), (Route(Stage.EXITED, "leave"),))
        if e is EventType.PATHWAY_EXIT
        else EventRule(e, (Stage.PRESENTATION,), (Route(None, "stay"),))
        for e in EventType
    )
    with pytest.raises(InvalidDefinition, match="'imaging' cannot be reached"):
        _broken(stages, rules)


def test_a_dead_end_fails_loudly() -> None:
    stages = (StageInfo(Stage.PRESENTATION, "start", initial=True), StageInfo(Stage.EXITED, "end", final=True))
    with pytest.raises(InvalidDefinition, match="no final stage can be reached from 'presentation'"):
        _broken(stages, _all_events_accepted_in(Stage.PRESENTATION))


def test_an_event_accepted_nowhere_fails_loudly() -> None:
    stages = (StageInfo(Stage.PRESENTATION, "start", initial=True), StageInfo(Stage.EXITED, "end", final=True))
    rules = (EventRule(EventType.PATHWAY_EXIT, (Stage.PRESENTATION,), (Route(Stage.EXITED, "leave"),)),)
    with pytest.raises(InvalidDefinition, match="'presentation' is accepted in no stage"):
        _broken(stages, rules)


def test_a_final_stage_that_accepts_events_fails_loudly() -> None:
    stages = (StageInfo(Stage.PRESENTATION, "start", initial=True), StageInfo(Stage.EXITED, "end", final=True))
    rules = tuple(EventRule(e, (Stage.PRESENTATION, Stage.EXITED), (Route(Stage.EXITED, "leave"),)) for e in EventType)
    with pytest.raises(InvalidDefinition, match="final stage 'exited' accepts"):
        _broken(stages, rules)


def test_a_rule_without_a_fallback_route_fails_loudly() -> None:
    from hfs_pathway._definition import Condition

    stages = (StageInfo(Stage.PRESENTATION, "start", initial=True), StageInfo(Stage.EXITED, "end", final=True))
    never = Condition("never", "never", lambda change: False)
    rules = tuple(EventRule(e, (Stage.PRESENTATION,), (Route(Stage.EXITED, "leave", when=never),)) for e in EventType)
    with pytest.raises(InvalidDefinition, match="no unconditional last route"):
        _broken(stages, rules)
