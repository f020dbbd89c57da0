"""Diagrams are views of the one pathway definition, and a patient's picture shows the path actually taken.

Graphviz checks run the real ``dot`` program on every generated DOT text. Outside CI they skip with a reason
when Graphviz is missing; with ``CI=true`` a missing ``dot`` fails.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings

import hfs_pathway
from hfs_pathway import HFS_PATHWAY, OutOfOrder, Pathway, Stage, diagram, load_case
from hfs_pathway._graph import most_important
from hfs_pathway._words import title_of
from hfs_pathway.cli import main
from hfs_pathway.diagrams import DiagramError, pathway_graph, patient_path
from tests.strategies import wandering_cases

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.json") if p.name != "expected.json")
EXPECTED = json.loads((ROOT / "examples" / "expected.json").read_text(encoding="utf-8"))
SVG_NS = "{http://www.w3.org/2000/svg}"


def require_program(name: str) -> str:
    """The program's path; skipped with a reason outside CI, a failure in CI (where .ci/run installs it)."""
    found = shutil.which(name)
    if found is None:
        message = f"{name!r} is not installed (apt-get install graphviz); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def example_pathway(path: Path) -> tuple[Pathway, dt.date]:
    as_of = dt.date.fromisoformat(EXPECTED[path.name]["as_of"])
    return Pathway.replay(load_case(path)), as_of


def svg_texts(svg: bytes | str) -> list[str]:
    root = ET.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    return ["".join(el.itertext()) for el in root.iter(f"{SVG_NS}text")]


# The graph is the definition ---------------------------------------------------------------------------


def test_the_graph_has_every_stage_and_every_move_of_the_definition_and_nothing_else() -> None:
    graph = pathway_graph(HFS_PATHWAY)
    assert [n.stage for n in graph.nodes] == [s.stage for s in HFS_PATHWAY.stages]
    assert {(t.source, t.event, t.dest) for t in graph.transitions} == {
        (e.source, e.event, e.dest) for e in HFS_PATHWAY.edges()
    }
    assert [n.stage for n in graph.nodes if n.initial] == [HFS_PATHWAY.initial]
    assert {n.stage for n in graph.nodes if n.final} == HFS_PATHWAY.final_stages


def test_the_risk_benefit_checkpoint_is_a_choice_listing_every_checkpoint_requirement() -> None:
    graph = pathway_graph(HFS_PATHWAY)
    rule = HFS_PATHWAY.rule("risk_benefit_decision")
    (checkpoint,) = [c for c in graph.choices if c.checkpoint]
    assert checkpoint.event.value == "risk_benefit_decision"
    assert checkpoint.sources == rule.accepted_in
    assert [name for name, _ in checkpoint.requirements] == [
        r.condition.name for r in rule.requires if r.error == "checkpoint_not_satisfied"
    ]
    referral = [t for t in graph.transitions if t.via == checkpoint.id and t.dest is Stage.MVD_REFERRAL]
    assert [t.guards for t in referral] == [("refer_for_mvd",)]


def test_guards_are_named_and_the_last_route_of_several_is_else() -> None:
    graph = pathway_graph(HFS_PATHWAY)
    presentation = {t.dest: t.guards for t in graph.transitions if t.event.value == "presentation"}
    # Two routes lead to imaging (an HFS impression, or another impression with an urgent red flag): one arrow.
    assert presentation == {
        Stage.IMAGING: ("impression_hfs_or_uncertain", "urgent_red_flag"),
        Stage.EXITED: ("else",),
    }
    (mvd,) = [t for t in graph.transitions if t.event.value == "mvd_performed" and t.source is Stage.MVD_REFERRAL]
    assert mvd.guards == ()


def words(text: str) -> str:
    """A picture's text as a reader sees it: Mermaid writes ':' in labels as ' -', DOT wraps lines with \\n."""
    return text.replace(" -", ":").replace("\\n", " ").replace("<br/>", " ")


@pytest.mark.parametrize("fmt", ["mermaid", "mermaid-state", "dot"])
def test_every_text_format_says_every_stage_event_condition_and_checkpoint_requirement_in_words(fmt: str) -> None:
    text = words(diagram(fmt))
    assert isinstance(text, str)
    for stage in Stage:
        assert title_of(stage.value) in text
    for rule in HFS_PATHWAY.rules:
        assert title_of(rule.event.value) in text
        for route in rule.routes:
            moves = route.dest is not None and any(route.leaves(s) and s != route.dest for s in rule.accepted_in)
            if route.condition_text is not None and moves:
                assert route.condition_text.split(",")[0] in text, route.condition_text
        for requirement in rule.requires:
            if requirement.error == "checkpoint_not_satisfied":
                assert requirement.condition.description.split(",")[0] in text
    assert "[else]" not in text
    assert "else]" not in text


def test_mermaid_is_a_flowchart_by_default_and_the_state_diagram_is_on_request() -> None:
    assert "flowchart TB" in diagram("mermaid").splitlines()
    assert diagram("mermaid") == diagram("mermaid-flowchart")
    assert "stateDiagram-v2" in diagram("mermaid-state").splitlines()


def test_the_state_diagram_marks_the_start_and_both_final_stages() -> None:
    text = diagram("mermaid-state")
    assert text.splitlines()[3] == "stateDiagram-v2"
    assert f"[*] --> {HFS_PATHWAY.initial.value}" in text
    for stage in HFS_PATHWAY.final_stages:
        assert f"{stage.value} --> [*]" in text
    assert "<<choice>>" in text


# The patient's path ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case_file", EXAMPLES, ids=lambda p: p.stem)
def test_the_path_numbers_every_change_of_stage_in_order_and_marks_the_current_stage(case_file: Path) -> None:
    pathway, as_of = example_pathway(case_file)
    path = patient_path(pathway, as_of)
    moves = [h for h in pathway.history if h.from_stage != h.to_stage]
    assert [(s.number, s.index, s.date, s.event, s.source, s.dest) for s in path.steps] == [
        (n, h.index, h.date, h.event, h.from_stage, h.to_stage) for n, h in enumerate(moves, start=1)
    ]
    assert path.current is pathway.stage
    assert path.visited == {HFS_PATHWAY.initial} | {h.to_stage for h in pathway.history}
    stays = sum(count for visit in path.visits for _, count in visit.stays)
    assert stays == len(pathway.history) - len(moves)
    evaluation = pathway.evaluate(as_of)
    if evaluation.recommendations:
        assert path.next_step is not None
        assert path.next_step.startswith(most_important(evaluation.recommendations, as_of).text)


def test_a_stage_entered_twice_shows_both_episodes() -> None:
    pathway, _ = example_pathway(ROOT / "examples" / "mvd_recurrence_redo.json")
    visit = patient_path(pathway).visit(Stage.TREATMENT_SELECTION)
    assert visit is not None
    assert len(visit.episodes) == 2
    assert visit.episodes[-1][1] is None  # still there
    assert visit.describe().count(";") == 1
    assert "since" in visit.describe()


@pytest.mark.parametrize("fmt", ["mermaid", "mermaid-state", "dot"])
def test_every_step_is_written_with_its_number_and_date(fmt: str) -> None:
    pathway, as_of = example_pathway(ROOT / "examples" / "waning_to_mvd_referral.json")
    text = diagram(fmt, pathway=pathway, as_of=as_of)
    path = patient_path(pathway, as_of)
    for step in path.steps:
        assert step.date.isoformat() in text
        assert f"{step.number}. {step.date.isoformat()} {title_of(step.event)}" in text or (
            f"<B>{step.number}</B>  {step.date.isoformat()}" in text
        )
    assert "current stage" in text
    assert "as of 2023-10-17" in text


@settings(max_examples=25)
@given(wandering_cases(max_events=14))
def test_any_recorded_history_draws_as_moves_along_edges_of_the_graph(case: dict[str, object]) -> None:
    """Whatever the clinic recorded, each numbered move of the picture is an edge the definition allows."""
    pathway = Pathway.replay(case)
    graph = pathway_graph(HFS_PATHWAY)
    edges = {(t.source, t.event.value, t.dest) for t in graph.transitions}
    path = patient_path(pathway)
    assert all((s.source, s.event, s.dest) in edges for s in path.steps)
    assert [s.number for s in path.steps] == list(range(1, len(path.steps) + 1))
    assert [s.date for s in path.steps] == sorted(s.date for s in path.steps)
    text = diagram("mermaid-flowchart", pathway=pathway)
    assert all(f"{s.number}. {s.date.isoformat()} {title_of(s.event)}" in text for s in path.steps)


# Errors --------------------------------------------------------------------------------------------------


def test_an_unknown_format_is_a_typed_error_naming_the_formats() -> None:
    with pytest.raises(
        DiagramError, match=r"unknown diagram format 'gif'.*mermaid, mermaid-flowchart, mermaid-state, dot, svg, png"
    ):
        diagram("gif")


def test_an_evaluation_date_before_the_last_event_is_out_of_order() -> None:
    pathway, _ = example_pathway(ROOT / "examples" / "waning_to_mvd_referral.json")
    with pytest.raises(OutOfOrder):
        diagram("dot", pathway=pathway, as_of=dt.date(2020, 1, 1))


def test_without_graphviz_svg_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HFS_PATHWAY_DOT", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(DiagramError, match="Graphviz 'dot' program is needed"):
        diagram("svg")


def test_a_dot_program_that_cannot_run_is_a_typed_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HFS_PATHWAY_DOT", str(tmp_path / "no-such-dot"))
    with pytest.raises(DiagramError, match="could not run"):
        diagram("png")


def test_the_diagram_is_exported_lazily_at_the_top_level() -> None:
    assert "diagram" in hfs_pathway.__all__
    assert hfs_pathway.diagram is diagram


# Real Graphviz ---------------------------------------------------------------------------------------------


def all_dot_texts() -> dict[str, str]:
    texts = {"pathway": diagram("dot")}
    for case_file in EXAMPLES:
        pathway, as_of = example_pathway(case_file)
        texts[case_file.stem] = diagram("dot", pathway=pathway, as_of=as_of)
    return texts


def test_every_generated_dot_renders_with_graphviz_and_shows_every_stage(tmp_path: Path) -> None:
    dot = require_program("dot")
    for name, text in all_dot_texts().items():
        done = subprocess.run([dot, "-Tsvg"], input=text.encode(), capture_output=True, check=False, timeout=60)
        assert done.returncode == 0, f"{name}: {done.stderr.decode()}"
        assert not done.stderr, f"{name}: Graphviz warned: {done.stderr.decode()}"
        labels = "\n".join(svg_texts(done.stdout))
        for stage in Stage:
            assert title_of(stage.value) in labels, f"{name}: no label {title_of(stage.value)}"


def test_svg_and_png_of_a_patient_path_through_the_api_and_the_command_line(tmp_path: Path) -> None:
    require_program("dot")
    case = ROOT / "examples" / "waning_to_mvd_referral.json"
    pathway, as_of = example_pathway(case)
    svg = diagram("svg", pathway=pathway, as_of=as_of)
    texts = " ".join(svg_texts(svg))
    assert "current stage on 2023-10-17" in texts
    assert "2023-10-10" in texts
    assert "Risk-benefit decision" in texts
    png = diagram("png", pathway=pathway, as_of=as_of)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    out = tmp_path / "path.png"
    status = main(["diagram", "--case", str(case), "--as-of", "2023-10-17", "--format", "png", "-o", str(out)])
    assert status == 0
    assert out.read_bytes() == png


def test_the_command_line_prints_mermaid_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram"]) == 0
    assert capsys.readouterr().out == diagram("mermaid")


def test_the_command_line_refuses_an_evaluation_date_without_a_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "--as-of", "2024-01-01"]) == 2
    assert "--case" in capsys.readouterr().err


def test_the_command_line_reports_a_bad_case_with_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"patient": {"id": "p"}, "events": [{"type": "nope", "date": "2024-01-01"}]}')
    assert main(["diagram", "--case", str(bad)]) == 2
    assert "invalid_event" in capsys.readouterr().err


def test_an_unwritable_output_is_a_typed_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "-o", str(tmp_path / "missing" / "x.mmd")]) == 2
    assert "cannot write the diagram" in capsys.readouterr().err


# Layout and notebooks ------------------------------------------------------------------------------------------


def node_positions(dot_source: str) -> dict[str, tuple[float, float]]:
    """Where Graphviz puts each node, relative to the start dot (the title's height does not count)."""
    done = subprocess.run(
        [require_program("dot"), "-Tplain"], input=dot_source.encode(), capture_output=True, check=True, timeout=60
    )
    nodes = {
        parts[1]: (float(parts[2]), float(parts[3]))
        for parts in (line.split() for line in done.stdout.decode().splitlines())
        if parts[0] == "node"
    }
    x0, y0 = nodes["start"]
    return {name: (round(x - x0, 2), round(y - y0, 2)) for name, (x, y) in nodes.items()}


def test_every_stage_keeps_its_place_from_one_patients_picture_to_the_next() -> None:
    reference = node_positions(diagram("dot"))
    for case_file in EXAMPLES:
        pathway, as_of = example_pathway(case_file)
        positions = node_positions(diagram("dot", pathway=pathway, as_of=as_of))
        assert positions.keys() == reference.keys(), case_file.stem
        for name, (x, y) in positions.items():  # Graphviz may round a coordinate a hundredth the other way
            assert abs(x - reference[name][0]) <= 0.02, (case_file.stem, name)
            assert abs(y - reference[name][1]) <= 0.02, (case_file.stem, name)


def test_next_shows_the_most_pressing_recommendation() -> None:
    from hfs_pathway import Recommendation

    day = dt.date(2024, 6, 1)
    later = Recommendation("later", "Later.", "", (), dt.date(2024, 9, 1))
    sooner = Recommendation("sooner", "Sooner.", "", (), dt.date(2024, 7, 1))
    late = Recommendation("late", "Late.", "", (), dt.date(2024, 5, 1))
    undated = Recommendation("undated", "Undated.", "", ())
    assert most_important((undated, later, sooner), day) is sooner
    assert most_important((undated, later, sooner, late), day) is late
    assert most_important((undated, Recommendation("other", "Other.", "", ())), day) is undated


def test_a_notebook_shows_each_diagram_as_a_picture() -> None:
    mermaid = diagram("mermaid")
    assert isinstance(mermaid, str)
    assert mermaid._repr_markdown_() == f"```mermaid\n{mermaid}\n```"  # type: ignore[attr-defined]
    if shutil.which("dot") is None and not os.environ.get("HFS_PATHWAY_DOT"):
        return
    svg = diagram("svg")
    assert svg._repr_svg_().startswith("<?xml")  # type: ignore[attr-defined]
    png = diagram("png")
    assert png._repr_png_().startswith(b"\x89PNG")  # type: ignore[attr-defined]
