"""A neutral graph model of a pathway definition, and of one patient's path through it.

The diagram renderers (Mermaid, Graphviz DOT) draw these plain records and nothing else: the graph
is read from :class:`~hfs_pathway.PathwayDefinition` (stages, rules, routes, requirements), so a new
stage or rule appears in every picture without touching a renderer.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Literal, NamedTuple

from ._vocabulary import EventType, Stage
from ._words import title_of

if TYPE_CHECKING:
    from ._definition import PathwayDefinition
    from ._pathway import Pathway
    from ._results import Recommendation


class StageNode(NamedTuple):
    """One stage as a node: its identifier (the contract's value) and what it means."""

    stage: Stage
    meaning: str
    initial: bool
    final: bool

    @property
    def id(self) -> str:
        return self.stage.value

    @property
    def title(self) -> str:
        """The stage in words, as a picture shows it ("Botulinum toxin")."""
        return title_of(self.stage.value)


class Transition(NamedTuple):
    """One event's way from ``source`` to ``dest`` (equal when the event keeps the stage).

    ``guards`` names the conditions of the routes that take this way (empty when it is unconditional,
    ``else`` for the last route of several).
    """

    source: Stage
    dest: Stage
    event: EventType
    guards: tuple[str, ...]
    reasons: tuple[str, ...]
    """The same conditions in words (the route's ``otherwise`` text for ``else``), for a patient's picture."""
    via: str | None
    """The :class:`Choice` the event passes through, when it has one."""
    broadcast: bool
    """The event is accepted in most stages with one destination (``pathway_exit``, ``red_flag``)."""

    @property
    def stays(self) -> bool:
        return self.source == self.dest

    @property
    def label(self) -> str:
        """The event and, when guarded, the condition in the definition's own words: "Treatment decision: the
        option chosen is botulinum toxin" (the last of several routes reads its ``otherwise`` text)."""
        event = title_of(self.event.value)
        if not self.guards:
            return event
        return f"{event}: {' or '.join(self.reasons) if self.reasons else 'otherwise'}"


class Choice(NamedTuple):
    """A decision point on an event's way: the event arrives from ``sources``, then one guarded way out is
    taken. ``requirements`` makes it a checkpoint: each must hold before any way out is taken."""

    id: str
    event: EventType
    sources: tuple[Stage, ...]
    requirements: tuple[tuple[str, str], ...]
    """``(name, description)`` of each requirement, in definition order."""

    @property
    def checkpoint(self) -> bool:
        return bool(self.requirements)


class PathwayGraph(NamedTuple):
    name: str
    version: str
    nodes: tuple[StageNode, ...]
    transitions: tuple[Transition, ...]
    choices: tuple[Choice, ...]

    def node(self, stage: Stage) -> StageNode:
        return next(n for n in self.nodes if n.stage == stage)


class PathStep(NamedTuple):
    """A move the patient made: the ``number``-th change of stage, with the event that caused it."""

    number: int
    index: int  # type: ignore[assignment]  # the event's index in the case; shadows tuple.index on purpose
    date: dt.date
    event: str
    source: Stage
    dest: Stage


class StageVisit(NamedTuple):
    """The time the patient spent in one stage and the events that kept them there."""

    stage: Stage
    episodes: tuple[tuple[dt.date | None, dt.date | None], ...]
    """``(entered, left)`` per stay in order: ``entered`` is ``None`` for the initial stage (never entered
    by an event) and ``left`` is ``None`` while the patient is still there."""
    stays: tuple[tuple[str, int], ...]
    """``(event type, count)`` of the events recorded without leaving the stage, most frequent first."""

    def describe(self) -> str:
        """The episodes in words: ``2021-03-22 to 2021-04-12; since 2023-04-18``."""
        parts = []
        for entered, left in self.episodes:
            if entered is None:
                parts.append("" if left is None else f"until {left.isoformat()}")
            elif left is None:
                parts.append(f"since {entered.isoformat()}")
            elif left == entered:
                parts.append(entered.isoformat())
            else:
                parts.append(f"{entered.isoformat()} to {left.isoformat()}")
        return "; ".join(p for p in parts if p)


RequirementStatus = Literal["met", "not met", "not needed"]


class CheckpointPassage(NamedTuple):
    """The patient's decision at a checkpoint, and how each of its requirements stood at that moment.

    ``not needed``: the requirement did not apply (an override reason when nothing had to be overridden,
    or every requirement when the decision did not refer).
    """

    choice: str
    """The :class:`Choice` id."""
    index: int  # type: ignore[assignment]  # the decision's index in the case; shadows tuple.index on purpose
    step: int | None
    """The number of the move the decision made (``None`` if it kept the stage)."""
    statuses: tuple[tuple[str, RequirementStatus], ...]
    """``(requirement name, status)`` in the checkpoint's order."""
    notes: tuple[tuple[str, str], ...] = ()
    """``(requirement name, why it applied)`` where the reason is worth showing (what was overridden)."""
    verdict: str | None = None
    """The risk-benefit verdict the decision was taken on (``favourable``, ``caution``, ``unfavourable``)."""
    overridden: tuple[str, ...] = ()
    """What the referral overrode (an unfavourable verdict, CT-only imaging...): empty for a plain pass."""


class PatientPath(NamedTuple):
    """One patient's route through the graph, as of a date."""

    patient_id: str
    steps: tuple[PathStep, ...]
    visits: tuple[StageVisit, ...]
    current: Stage
    final: bool
    as_of: dt.date | None
    next_step: str | None
    """The first recommendation's text and due date, when the path was evaluated."""
    checkpoints: tuple[CheckpointPassage, ...] = ()
    """Every decision taken at a checkpoint, in order."""

    def visit(self, stage: Stage) -> StageVisit | None:
        return next((v for v in self.visits if v.stage == stage), None)

    @property
    def visited(self) -> frozenset[Stage]:
        return frozenset(v.stage for v in self.visits)

    def steps_between(self, source: Stage, dest: Stage) -> tuple[PathStep, ...]:
        return tuple(s for s in self.steps if s.source == source and s.dest == dest)


class BroadcastBox(NamedTuple):
    """An event accepted in most stages with one destination, drawn once from a box around those stages."""

    id: str
    event: EventType
    members: frozenset[Stage]
    dest: Stage


def broadcast_boxes(graph: PathwayGraph) -> list[BroadcastBox]:
    """The boxes of the broadcast events (``red_flag``, ``pathway_exit``), largest first.

    Only when the boxes nest or stay apart (neither Graphviz nor Mermaid can draw overlapping boxes) and
    the destination lies outside its box; otherwise each stage keeps its own edge.
    """
    groups: dict[EventType, tuple[set[Stage], set[Stage]]] = {}
    for t in graph.transitions:
        if t.broadcast and t.via is None:
            sources, dests = groups.setdefault(t.event, (set(), set()))
            sources.add(t.source)
            dests.add(t.dest)
    boxes = [
        BroadcastBox(f"cluster_{event.value}", event, frozenset(sources), next(iter(dests)))
        for event, (sources, dests) in groups.items()
        if len(dests) == 1 and not dests & sources and len(sources) > 2
    ]
    for a in boxes:
        for b in boxes:
            if a.members & b.members and not (a.members <= b.members or b.members <= a.members):
                return []
    return sorted(boxes, key=lambda box: -len(box.members))


MARKS: dict[RequirementStatus, str] = {"met": "✓", "not met": "✗", "not needed": "–"}
NEUTRAL_MARK = "•"
OVERRIDE_MARK = "⚠"


def checkpoint_heading(choice: Choice, path: PatientPath | None) -> str:
    """What the checkpoint's list of requirements says: a rule on the whole pathway, a record on a patient's."""
    passages = [p for p in _through(choice, path) if p.step]
    if not passages:
        return "Risk-benefit checkpoint: all must hold" if choice.checkpoint else title_of(choice.event.value)
    steps = ", ".join(str(p.step) for p in passages)
    verdicts = ", ".join(dict.fromkeys(p.verdict for p in passages if p.verdict))
    verdict = f", verdict {verdicts}" if verdicts else ""
    if any(p.overridden for p in passages):
        return f"Checkpoint OVERRIDDEN at step {steps}{verdict}"
    return f"Checkpoint passed at step {steps}{verdict}"


def checkpoint_rows(choice: Choice, path: PatientPath | None) -> list[str]:
    """One line per requirement of a checkpoint, in the definition's words.

    On the whole pathway each has a neutral bullet: nothing is satisfied yet. On a patient's picture each
    says how it stood at the patient's decision there: ``✓`` met, ``✗`` not met, ``–`` not needed, and ``⚠``
    for the override, with what was overridden.
    """
    passages = _through(choice, path)
    if not passages:
        return [f"{NEUTRAL_MARK} {description}" for _, description in choice.requirements]
    rows = []
    for name, description in choice.requirements:
        seen = [(p, dict(p.statuses)[name]) for p in passages]
        overrides = [what for p in passages if p.overridden and name in dict(p.notes) for what in p.overridden]
        if overrides:
            rows.append(f"{OVERRIDE_MARK} overridden: {' and '.join(dict.fromkeys(overrides))} (reason recorded)")
        elif len({status for _, status in seen}) == 1:
            status = seen[0][1]
            why = " (not needed)" if status == "not needed" else ""
            rows.append(f"{MARKS[status]} {description}{why}")
        else:  # several decisions that stood differently: say which was which
            marks = ", ".join(f"{MARKS[status]} {status} at step {p.step or '-'}" for p, status in seen)
            rows.append(f"{description} ({marks})")
    return rows


def _through(choice: Choice, path: PatientPath | None) -> list[CheckpointPassage]:
    """The patient's decisions that went through the checkpoint (a referral), not those that went round it."""
    if path is None:
        return []
    return [
        p for p in path.checkpoints if p.choice == choice.id and any(status != "not needed" for _, status in p.statuses)
    ]


def _choice_id(event: str) -> str:
    return f"{event}_choice"


def pathway_graph(definition: PathwayDefinition) -> PathwayGraph:
    """Read the definition into a graph: one transition per (source, event, destination).

    An event with a checkpoint, or accepted in several stages with the same guarded ways out of each,
    passes through a :class:`Choice`, so its guards are drawn once rather than once per stage.
    """
    nodes = tuple(StageNode(s.stage, s.meaning, s.initial, s.final) for s in definition.stages)
    movable = [s.stage for s in definition.stages if not s.final]
    choices: list[Choice] = []
    via: dict[tuple[EventType, Stage], str] = {}
    ways: dict[tuple[Stage, EventType, Stage], list[str]] = {}
    reasons: dict[tuple[Stage, EventType, Stage], list[str]] = {}
    for rule in definition.rules:
        per_source: dict[Stage, list[tuple[Stage, str | None]]] = {}
        for source in rule.accepted_in:
            routes = [r for r in rule.routes if r.leaves(source)]
            for route in routes:
                key = (source, rule.event, route.dest or source)
                names = ways.setdefault(key, [])
                words = reasons.setdefault(key, [])
                text = route.condition_text
                if text and text not in words:
                    words.append(text)
                if route.when is not None:
                    guard: str | None = route.when.name
                elif len(routes) > 1:
                    guard = "else"  # the last route, taken when no guard above it holds
                else:
                    guard = None
                if guard is not None and guard not in names:
                    names.append(guard)
                per_source.setdefault(source, []).append((route.dest or source, guard))
        gate = tuple(
            (r.condition.name, r.condition.description) for r in rule.requires if r.error == "checkpoint_not_satisfied"
        )
        shapes = {tuple(outs) for outs in per_source.values()}
        shared = len(per_source) > 1 and len(shapes) == 1 and len(next(iter(shapes))) > 1
        if gate:
            # The checkpoint stands on the way it guards (the referral), not on the ways that continue care.
            marked = {r.dest or source for source in per_source for r in rule.routes if r.through_checkpoint}
            gated = marked or {dest for outs in per_source.values() for dest, _ in outs}
            sources = tuple(s for s, outs in per_source.items() if any(dest in gated for dest, _ in outs))
            choice_id = _choice_id(rule.event.value)
            choices.append(Choice(choice_id, rule.event, sources, gate))
            via.update({(rule.event, dest): choice_id for dest in gated})
        elif shared:
            choice_id = _choice_id(rule.event.value)
            choices.append(Choice(choice_id, rule.event, tuple(per_source), gate))
            via.update({(rule.event, dest): choice_id for outs in per_source.values() for dest, _ in outs})
    broadcast = {
        rule.event
        for rule in definition.rules
        if len(rule.accepted_in) > len(movable) / 2 and len({r.dest for r in rule.routes}) == 1
    }
    transitions = tuple(
        Transition(source, dest, event, tuple(names), tuple(reasons[key]), via.get((event, dest)), event in broadcast)
        for key, names in ways.items()
        for source, event, dest in [key]
    )
    return PathwayGraph(definition.name, definition.version, nodes, transitions, tuple(choices))


def patient_path(pathway: Pathway, as_of: dt.date | None = None) -> PatientPath:
    """The patient's route: every change of stage in order, the stages visited and the current stage.

    With ``as_of`` the pathway is evaluated on that date (it must not be before the last event) and the
    first recommendation is kept as the next step.
    """
    history = pathway.history
    steps: list[PathStep] = []
    episodes: dict[Stage, list[tuple[dt.date | None, dt.date | None]]] = {pathway.definition.initial: [(None, None)]}
    stays: dict[Stage, Counter[str]] = {}
    for entry in history:
        if entry.from_stage == entry.to_stage:
            stays.setdefault(entry.from_stage, Counter())[entry.event] += 1
            continue
        steps.append(PathStep(len(steps) + 1, entry.index, entry.date, entry.event, entry.from_stage, entry.to_stage))
        left = episodes[entry.from_stage]
        left[-1] = (left[-1][0], entry.date)
        episodes.setdefault(entry.to_stage, []).append((entry.date, None))
    visits = tuple(
        StageVisit(
            stage,
            tuple(spans),
            tuple(sorted(stays.get(stage, Counter()).items(), key=lambda item: (-item[1], item[0]))),
        )
        for stage, spans in episodes.items()
    )
    next_step: str | None = None
    if as_of is not None:
        evaluation = pathway.evaluate(as_of)
        if evaluation.recommendations:
            first = most_important(evaluation.recommendations, as_of)
            # The due date once: some texts already name it ("review by 2024-07-15").
            due = first.due.isoformat() if first.due else None
            overdue = " - overdue" if first.due and first.due < as_of else ""
            next_step = first.text + (f" (due {due}{overdue})" if due and due not in first.text else "")
            others = len(evaluation.recommendations) - 1
            if others:
                next_step += f" (+{others} more recommendation{'s' if others > 1 else ''})"
    checkpoints = _checkpoint_passages(pathway, {s.index: s.number for s in steps})
    return PatientPath(
        pathway.patient.id, tuple(steps), visits, pathway.stage, pathway.final, as_of, next_step, checkpoints
    )


def most_important(recommendations: tuple[Recommendation, ...], as_of: dt.date) -> Recommendation:
    """The recommendation a picture shows as "Next": the most overdue one, else the one due soonest, else the
    first the pathway gives (its own order puts the stage's main step first)."""
    order = {id(r): i for i, r in enumerate(recommendations)}

    def key(r: Recommendation) -> tuple[int, int, int]:
        if r.due is None:
            return (2, 0, order[id(r)])
        overdue = (as_of - r.due).days
        return (0, -overdue, order[id(r)]) if overdue > 0 else (1, -overdue, order[id(r)])

    return min(recommendations, key=key)


def _checkpoint_passages(pathway: Pathway, step_of: dict[int, int]) -> tuple[CheckpointPassage, ...]:
    """How each checkpoint requirement stood when the patient's decision was taken, read from the record
    just before that decision (the same test the checkpoint itself applied)."""
    from ._events import RiskBenefitDecision
    from ._pathway import Pathway as Trial
    from ._surgery import checkpoint_conditions, override_needed, refers

    gated = {
        rule.event.value: tuple(r.condition.name for r in rule.requires if r.error == "checkpoint_not_satisfied")
        for rule in pathway.definition.rules
    }
    passages: list[CheckpointPassage] = []
    for entry in pathway.history:
        names = gated.get(entry.event, ())
        decision = pathway.events[entry.index]
        if not names or not isinstance(decision, RiskBenefitDecision):
            continue
        statuses: dict[str, RequirementStatus] = dict.fromkeys(names, "not needed")
        notes: tuple[tuple[str, str], ...] = ()
        verdict: str | None = None
        overridden: tuple[str, ...] = ()
        if refers(decision):
            before = Trial(pathway.patient, guideline=pathway.guideline, definition=pathway.definition)
            before._run(pathway.events[: entry.index])
            record = before._record
            for condition in checkpoint_conditions(
                decision,
                decision.date,
                risk=record.risk,
                imaging=record.imaging,
                any_mri=record.any_mri,
                workup=record.workup,
            ):
                if condition.code in statuses:
                    statuses[condition.code] = "met" if condition.met else "not met"
            needed = override_needed(record.risk, record.imaging, record.any_mri, record.workup)
            verdict = record.risk.verdict.value if record.risk is not None else None
            if needed and "override_reason" in statuses:
                notes = (("override_reason", " and ".join(needed)),)
                overridden = tuple(needed)
        passages.append(
            CheckpointPassage(
                _choice_id(entry.event),
                entry.index,
                step_of.get(entry.index),
                tuple(statuses.items()),
                notes,
                verdict,
                overridden,
            )
        )
    return tuple(passages)
