"""The pictures say what the checkpoint asked of this patient, and a move through a decision point reads as one move.

On the whole pathway the checkpoint lists its requirements as rules (a neutral bullet); on a patient's picture
each requirement is marked by how it stood when that patient's decision was taken.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from hfs_pathway import HFS_PATHWAY, Pathway, Stage, diagram, load_case
from hfs_pathway._words import title_of
from hfs_pathway.diagrams import pathway_graph, patient_path
from tests.builder import CaseBuilder

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.json") if p.name != "expected.json")
EXPECTED = json.loads((ROOT / "examples" / "expected.json").read_text(encoding="utf-8"))
TEXT_FORMATS = ("mermaid", "mermaid-state", "dot")
CHECKPOINT = [
    r.condition for r in HFS_PATHWAY.rule("risk_benefit_decision").requires if r.error == "checkpoint_not_satisfied"
]
REQUIREMENTS = [c.name for c in CHECKPOINT]
SAID = {c.name: c.description for c in CHECKPOINT}


def flat(text: str) -> str:
    """A picture's text with its line wrapping undone (DOT breaks rows with <BR/> and indents them)."""
    return " ".join(re.sub(r"<[^>]*>", " ", text).replace("&#39;", "'").split())


def surgical_story(*, ct_only: bool = False) -> CaseBuilder:
    """Presentation, imaging (MRI, or CT only), a decision for surgical evaluation, a favourable assessment."""
    story = CaseBuilder().presentation().after(21)
    story = story.ct(mri_not_possible="device") if ct_only else story.mri()
    return story.after(14).decide("surgical_evaluation").after(14).risk_assessment(asa_class=1).after(7)


def statuses(pathway: Pathway) -> list[dict[str, str]]:
    return [dict(p.statuses) for p in patient_path(pathway).checkpoints]


def test_the_whole_pathway_lists_the_checkpoint_requirements_without_claiming_any_is_met() -> None:
    for fmt in TEXT_FORMATS:
        text = flat(str(diagram(fmt)))
        assert "✓" not in text, fmt
        assert "✗" not in text, fmt
        for name in REQUIREMENTS:
            assert f"• {SAID[name]}" in text, f"{fmt}: {name}"
            assert name not in text.replace(f"{name}_", ""), f"{fmt}: {name} written as a code"
        assert "all must hold" in text


def test_the_checkpoint_stands_only_on_the_way_to_the_referral() -> None:
    graph = pathway_graph(HFS_PATHWAY)
    (checkpoint,) = [c for c in graph.choices if c.checkpoint]
    through = {t.dest for t in graph.transitions if t.via == checkpoint.id}
    assert through == {Stage.MVD_REFERRAL}
    around = {t.dest for t in graph.transitions if t.event is checkpoint.event and t.via is None}
    assert around == {Stage.OBSERVATION, Stage.ORAL_MEDICATION, Stage.BOTULINUM_TOXIN}


def test_a_referral_after_mri_and_a_favourable_assessment_meets_three_requirements_and_needs_no_override() -> None:
    pathway = surgical_story().refer().pathway()
    assert statuses(pathway) == [
        {
            "recent_risk_assessment": "met",
            "patient_informed": "met",
            "patient_consents": "met",
            "override_reason": "not needed",
        }
    ]
    for fmt in TEXT_FORMATS:
        text = flat(str(diagram(fmt, pathway=pathway)))
        assert f"✓ {SAID['patient_consents']}" in text, fmt
        assert f"– {SAID['override_reason']} (not needed)" in text.replace(" -", ","), fmt
        assert "⚠" not in text.replace("⚠ overridden", ""), fmt
        assert "Checkpoint passed at step 4, verdict favourable" in text, fmt


def test_a_referral_after_ct_only_imaging_records_the_override_reason_as_met() -> None:
    story = surgical_story(ct_only=True).refer(override_reason="MRI contraindicated: pacemaker")
    pathway = story.pathway()
    (decision,) = patient_path(pathway).checkpoints
    assert dict(decision.statuses)["override_reason"] == "met"
    # The same judgement the pathway itself made: it raised the override alert on that decision.
    assert [a.event_index for a in pathway.alerts if a.code == "checkpoint_override"] == [decision.index]
    assert decision.notes == (("override_reason", "only CT imaging was done"),)
    assert decision.overridden == ("only CT imaging was done",)
    assert decision.verdict == "caution"  # CT cannot show a conflict: a caution modifier
    for fmt in TEXT_FORMATS:
        text = flat(str(diagram(fmt, pathway=pathway)))
        # Drawn as an override with the verdict it was taken on, not as a plain tick.
        assert "⚠ overridden: only CT imaging was done (reason recorded)" in text.replace(" - only", ": only"), fmt
        assert "OVERRIDDEN at step 4, verdict caution" in text, fmt
    assert "(override)" in str(diagram("mermaid", pathway=pathway))
    assert "override" in dot_edge(str(diagram("dot", pathway=pathway)), "risk_benefit_decision_choice", "mvd_referral")


def test_continuing_conservative_care_needs_none_of_the_referral_requirements() -> None:
    pathway = surgical_story().continue_conservative("observation").pathway()
    assert statuses(pathway) == [dict.fromkeys(REQUIREMENTS, "not needed")]


def test_two_decisions_that_stood_differently_are_told_apart_by_their_step_numbers() -> None:
    story = surgical_story().continue_conservative("botulinum_toxin").after(30).decide("surgical_evaluation")
    pathway = story.after(7).refer().pathway()
    first, second = patient_path(pathway).checkpoints
    assert (first.step, second.step) == (4, 6)
    # Only the referral (step 6) passed through the checkpoint; continuing toxin at step 4 went round it.
    text = flat(str(diagram("mermaid", pathway=pathway)))
    assert "Checkpoint passed at step 6, verdict" in text
    assert "step 4, 6" not in text
    assert f"✓ {SAID['patient_consents']}" in text


@pytest.mark.parametrize("case_file", EXAMPLES, ids=lambda p: p.stem)
def test_every_move_joins_the_stages_it_left_and_entered_and_a_decision_point_keeps_its_number(case_file: Path) -> None:
    pathway = Pathway.replay(load_case(case_file))
    as_of = dt.date.fromisoformat(EXPECTED[case_file.name]["as_of"])
    graph = pathway_graph(HFS_PATHWAY)
    choices = {c.event.value: c for c in graph.choices}
    path = patient_path(pathway, as_of)
    dot = str(diagram("dot", pathway=pathway, as_of=as_of))
    flowchart = str(diagram("mermaid-flowchart", pathway=pathway, as_of=as_of))
    for step in path.steps:
        choice = choices.get(step.event)
        if choice is None:
            # Also an event accepted in a whole box of stages: drawn from the stage the patient was in.
            boxed = [
                line
                for line in dot.splitlines()
                if f'ltail="cluster_{step.event}"' in line or f'lhead="cluster_{step.event}"' in line
            ]
            move = boxed[0] if boxed else dot_edge(dot, step.source.value, step.dest.value)
            assert f"<B>{step.number}</B>  {step.date.isoformat()}" in move
            continue
        way_in = dot_edge(dot, step.source.value, choice.id)
        way_out = dot_edge(dot, choice.id, step.dest.value)
        assert f"<B>{step.number}</B>  {step.date.isoformat()}" in way_in
        numbers = re.search(r"<B>([\d, ]+)</B>", way_out)
        assert numbers is not None, way_out
        assert str(step.number) in numbers.group(1).split(", ")
        out = re.search(rf'{choice.id} -->\|"([\d, ]+)\. [^"]+"\| {step.dest.value}\n', flowchart)
        assert out is not None
        assert str(step.number) in out.group(1).split(", ")


def dot_edge(text: str, source: str, dest: str) -> str:
    """The one DOT line drawing ``source -> dest`` (a move back up the pathway is written reversed)."""
    lines = [
        line
        for line in text.splitlines()
        if (line.startswith(f"  {source} -> {dest} ") and "dir=back" not in line)
        or (line.startswith(f"  {dest} -> {source} ") and "dir=back" in line)
    ]
    assert len(lines) == 1, (source, dest, lines)
    return lines[0]


def test_events_that_keep_the_stage_are_written_in_its_box_not_drawn_as_loops() -> None:
    text = str(diagram("dot"))
    graph = pathway_graph(HFS_PATHWAY)
    assert not re.search(r"^\s+(\w+) -> \1 ", text, flags=re.MULTILINE)
    nodes = {m.group(1): m.group(0) for m in re.finditer(r"^\s+(\w+) \[.*$", text, flags=re.MULTILINE)}
    for t in graph.transitions:
        if t.stays and t.via is None and not t.broadcast:
            assert title_of(t.event.value) in flat(nodes[t.source.value]), t


def test_the_next_step_names_its_due_date_once() -> None:
    story = CaseBuilder().to_toxin().inject()
    pathway = story.pathway()
    evaluation = pathway.evaluate(story.today)
    first = evaluation.recommendations[0]
    assert first.due is not None
    next_step = patient_path(pathway, story.today).next_step
    assert next_step is not None
    assert next_step.count(first.due.isoformat()) == 1


def test_the_flowchart_draws_an_event_accepted_almost_everywhere_once_from_a_box_and_writes_stays_in_the_box() -> None:
    text = str(diagram("mermaid-flowchart"))
    graph = pathway_graph(HFS_PATHWAY)
    for event in {t.event for t in graph.transitions if t.broadcast}:
        sources = {t.source for t in graph.transitions if t.event == event}
        words = title_of(event.value)
        assert f'subgraph cluster_{event.value}["{words} accepted in these stages"]' in text
        assert text.count(f'|"{words} (from any stage in the box)"|') == 1
        assert not any(f'  {s.value} -->|"{words}' in text for s in sources)
    assert not re.search(r"^\s+(\w+) -(?:->|\.->)(?:\|[^|]*\|)? \1$", text, flags=re.MULTILINE)
    for t in graph.transitions:
        if t.stays and t.via is None and not t.broadcast:
            assert title_of(t.event.value) in text
