"""The machinery of a pathway definition: stages, event rules, guards, and their validation.

A definition is data: which stages exist, which events each stage accepts, the requirements an
event must meet (a refusal otherwise), and the routes it may take (the first whose guard holds).
From it come the ``transitions`` state machine, the diagrams, the documentation tables and the
explanations; nothing about the pathway's shape is written anywhere else.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ._change import Change
from ._errors import InvalidDefinition
from ._vocabulary import EventType, Stage
from ._words import with_article

if TYPE_CHECKING:
    from transitions import Machine


class Condition(NamedTuple):
    """A named, explained test of a proposed change."""

    name: str
    description: str
    test: Callable[[Change], bool]
    evidence: tuple[str, ...] = ()


ErrorKind = Literal["event_not_allowed", "checkpoint_not_satisfied", "invalid_event"]


class Requirement(NamedTuple):
    """A precondition: when ``condition`` fails the event is refused with the error ``error``."""

    condition: Condition
    error: ErrorKind = "event_not_allowed"
    message: Callable[[Change], str] | None = None
    """Builds the refusal message; the condition's description is used when absent. For checkpoint
    requirements the condition's ``name`` is the code reported in ``CheckpointNotSatisfied.unmet``."""


class Route(NamedTuple):
    """Where an accepted event takes the patient: ``dest`` (``None`` to stay) when ``when`` holds."""

    dest: Stage | None
    rationale: str
    when: Condition | None = None
    sources: tuple[Stage, ...] | None = None
    """The stages this route leaves from; ``None`` for every stage that accepts the event."""
    evidence: tuple[str, ...] = ()
    alert: Callable[[Change], None] | None = None
    """Raises the alerts that belong to taking this route."""
    otherwise: str | None = None
    """For an unconditional last route, the situation it covers in words ("any other impression")."""
    through_checkpoint: bool = False
    """This route is the one the event's checkpoint guards (its ``checkpoint_not_satisfied`` requirements):
    diagrams draw the checkpoint on this way only. When no route of a rule says so, all of them are drawn
    through it."""
    resumes: bool = False
    """The route returns the patient to a stage a red flag interrupted: what entering that stage resets
    (``StageInfo.on_enter``) is kept, so a toxin patient continues the same cycles. Such a route is taken only
    when a red flag interrupted a stage (``Record.interrupted``); the table engine does not test it otherwise."""

    @property
    def condition_text(self) -> str | None:
        """The condition under which this route is taken, in words."""
        return self.when.description if self.when is not None else self.otherwise

    def leaves(self, stage: Stage) -> bool:
        return self.sources is None or stage in self.sources


class EventRule(NamedTuple):
    """How the pathway handles one event type."""

    event: EventType
    accepted_in: tuple[Stage, ...]
    routes: tuple[Route, ...]
    requires: tuple[Requirement, ...] = ()
    effect: Callable[[Change], None] | None = None
    """Updates the derived record and raises the alerts that follow from the event's content."""
    description: str = ""


class StepPlan(NamedTuple):
    """What the controller runs for one event type in one stage (read from the rule; see ``plans``)."""

    rule: EventRule
    checks: tuple[Callable[[Change], bool], ...]
    """The tests of the rule's requirements, in order."""
    effect: Callable[[Change], None] | None
    choices: tuple[tuple[Callable[[Change], bool] | None, Route, Callable[[Change], None] | None], ...]
    """Each route leaving this stage, in order, with its guard's test (``None``: unconditional) and what entering
    its destination resets (the destination's ``StageInfo.on_enter``; ``None`` when the route stays, resumes an
    interrupted stage, or the stage resets nothing)."""
    uninterrupted: tuple[tuple[Callable[[Change], bool] | None, Route, Callable[[Change], None] | None], ...]
    """``choices`` without the routes that resume an interrupted stage (``Route.resumes``), which cannot be taken
    when no red flag interrupted one: the step reads these then (a study in imaging has seven such routes)."""


class StageInfo(NamedTuple):
    stage: Stage
    meaning: str
    initial: bool = False
    final: bool = False
    on_enter: Callable[[Change], None] | None = None
    """Resets what belongs to a fresh episode of this stage."""
    reopened_by: tuple[EventType, ...] = ()
    """For a final stage: the only events that may still take the patient back into care (a recurrence after
    discharge); every other event is refused there."""


class Edge(NamedTuple):
    """One possible move of the pathway, for diagrams, documentation and explanations."""

    source: Stage
    event: EventType
    dest: Stage
    route: Route

    @property
    def stays(self) -> bool:
        return self.source == self.dest


class PathwayDefinition:
    """A complete, validated pathway: build it once and share it between every patient.

    Construction validates the definition and raises ``InvalidDefinition`` when it is broken.
    """

    def __init__(self, *, name: str, version: str, stages: tuple[StageInfo, ...], rules: tuple[EventRule, ...]) -> None:
        self.name = name
        self.version = version
        self.stages = tuple(stages)
        self.rules = tuple(rules)
        self._stage_info = {s.stage: s for s in self.stages}
        self._rules_by_event = {r.event.value: r for r in self.rules}
        accepted: dict[Stage, list[EventType]] = {s.stage: [] for s in self.stages}
        for rule in self.rules:
            for stage in rule.accepted_in:
                accepted.setdefault(stage, []).append(rule.event)
        self._accepted = {s: tuple(e) for s, e in accepted.items()}
        _validate(self)

    def __repr__(self) -> str:
        return f"PathwayDefinition(name={self.name!r}, version={self.version!r}, stages={len(self.stages)})"

    # Reading the definition -------------------------------------------------------------------

    @cached_property
    def initial(self) -> Stage:
        return next(s.stage for s in self.stages if s.initial)

    @cached_property
    def final_stages(self) -> frozenset[Stage]:
        return frozenset(s.stage for s in self.stages if s.final)

    def stage_info(self, stage: Stage) -> StageInfo:
        return self._stage_info[stage]

    def rule(self, event_type: str) -> EventRule:
        return self._rules_by_event[event_type]

    def accepted_events(self, stage: Stage) -> tuple[EventType, ...]:
        """The event types the stage accepts, in definition order."""
        return self._accepted.get(stage, ())

    def edges(self) -> list[Edge]:
        """Every route from every stage, in definition order."""
        edges = []
        for rule in self.rules:
            for source in rule.accepted_in:
                for route in rule.routes:
                    if route.leaves(source):
                        edges.append(Edge(source, rule.event, route.dest or source, route))
        return edges

    def successors(self, stage: Stage) -> set[Stage]:
        return {e.dest for e in self.edges() if e.source == stage and e.dest != stage}

    def shortest_path(self, source: Stage, target: Stage) -> list[Edge] | None:
        """The fewest moves from ``source`` to ``target`` (``[]`` when equal, ``None`` when unreachable)."""
        if source == target:
            return []
        moves: dict[Stage, list[Edge]] = {}
        for edge in self.edges():
            if not edge.stays:
                moves.setdefault(edge.source, []).append(edge)
        came: dict[Stage, Edge] = {}
        queue = deque([source])
        seen = {source}
        while queue:
            stage = queue.popleft()
            for edge in moves.get(stage, ()):
                if edge.dest in seen:
                    continue
                seen.add(edge.dest)
                came[edge.dest] = edge
                if edge.dest == target:
                    path = [edge]
                    while path[0].source != source:
                        path.insert(0, came[path[0].source])
                    return path
                queue.append(edge.dest)
        return None

    # The executable form -------------------------------------------------------------------------

    @cached_property
    def dispatch(self) -> dict[tuple[str, str], tuple[EventRule, tuple[Route, ...]]]:
        """For each stage and event type it accepts, the rule and the routes that leave that stage.

        This is the machine's transition table read into a dictionary: the controller's fast path.
        The tests drive the ``transitions`` machine and this table side by side and require the same
        stage after every event.
        """
        table: dict[tuple[str, str], tuple[EventRule, tuple[Route, ...]]] = {}
        for rule in self.rules:
            for source in rule.accepted_in:
                # Keyed by plain strings; a Stage is a str, so it looks itself up at C speed.
                table[(source.value, rule.event.value)] = (rule, tuple(r for r in rule.routes if r.leaves(source)))
        return table

    @cached_property
    def plans(self) -> dict[str, dict[str, StepPlan]]:
        """``dispatch`` read into the flat form the controller's step runs, by stage, then by event type (every
        stage has an entry, empty for a stage that accepts nothing): the step keeps the current stage's table
        and changes it only when the stage changes.

        The requirement tests, the effect and each route's guard are taken out of their named tuples once
        here, so the step per event calls them without walking the definition's structure.
        """
        plans: dict[str, dict[str, StepPlan]] = {info.stage.value: {} for info in self.stages}
        for (source, event), (rule, routes) in self.dispatch.items():
            choices = tuple((None if r.when is None else r.when.test, r, self.entering(source, r)) for r in routes)
            plans[source][event] = StepPlan(
                rule,
                tuple(r.condition.test for r in rule.requires),
                rule.effect,
                choices,
                tuple(choice for choice in choices if not choice[1].resumes),
            )
        return plans

    def entering(self, source: str, route: Route) -> Callable[[Change], None] | None:
        """What taking ``route`` from ``source`` resets on entering its destination (``StageInfo.on_enter``):
        nothing when it stays, or when it returns to a stage a red flag interrupted (``Route.resumes``)."""
        if route.dest is None or route.dest == source or route.resumes:
            return None
        return self._stage_info[route.dest].on_enter

    @cached_property
    def machine(self) -> Machine:
        """The ``transitions`` state machine of this definition, built once and shared.

        No patient is ever attached to it: a controller passes a small state holder and the change
        under consideration to ``machine.events[event_type].trigger``. Requirements and guards are
        its conditions, so the machine alone decides whether and where an event moves the patient.
        """
        from transitions import Machine

        machine = Machine(
            model=None,
            states=[s.stage.value for s in self.stages],
            initial=self.initial.value,
            auto_transitions=False,
            send_event=True,
        )
        for rule in self.rules:
            requirement_tests = [_event_test(r.condition.test) for r in rule.requires]
            for source in rule.accepted_in:
                for route in rule.routes:
                    if not route.leaves(source):
                        continue
                    conditions: list[str | Callable[..., bool | None]] = list(requirement_tests)
                    if route.when is not None:
                        conditions.append(_event_test(route.when.test))
                    machine.add_transition(
                        rule.event.value,
                        source.value,
                        None if route.dest is None else route.dest.value,
                        conditions=conditions,
                        after=[_taken(route)],
                    )
        return machine


def _event_test(test: Callable[[Change], bool]) -> Callable[[Any], bool]:
    def condition(event_data: Any) -> bool:
        return test(event_data.kwargs["change"])

    return condition


def _taken(route: Route) -> Callable[[Any], None]:
    def after(event_data: Any) -> None:
        event_data.kwargs["change"].route = route

    return after


def _validate(definition: PathwayDefinition) -> None:
    """Fail loudly on a broken definition."""
    problems: list[str] = []
    stages = [s.stage for s in definition.stages]
    known = set(stages)
    if len(known) != len(stages):
        problems.append("a stage is defined twice")
    initials = [s.stage for s in definition.stages if s.initial]
    if len(initials) != 1:
        problems.append(f"exactly one initial stage is needed, found {len(initials)}")
    finals = definition.final_stages
    if not finals:
        problems.append("no final stage")
    events = [r.event for r in definition.rules]
    if len(set(events)) != len(events):
        problems.append("an event type has two rules")
    for missing in sorted(set(EventType) - set(events)):
        problems.append(f"event {missing.value!r} is accepted in no stage")
    for rule in definition.rules:
        if not rule.accepted_in:
            problems.append(f"event {rule.event.value!r} is accepted in no stage")
        for stage in rule.accepted_in:
            if stage not in known:
                problems.append(f"event {rule.event.value!r} is accepted in unknown stage {stage.value!r}")
            elif stage in finals and rule.event not in definition.stage_info(stage).reopened_by:
                problems.append(f"final stage {stage.value!r} accepts event {rule.event.value!r}")
            applicable = [r for r in rule.routes if r.leaves(stage)]
            if not applicable or applicable[-1].when is not None:
                problems.append(f"event {rule.event.value!r} in stage {stage.value!r} has no unconditional last route")
        for route in rule.routes:
            if route.dest is not None and route.dest not in known:
                problems.append(f"event {rule.event.value!r} routes to unknown stage {route.dest.value!r}")
            for source in route.sources or ():
                if source not in rule.accepted_in:
                    problems.append(
                        f"a route of {rule.event.value!r} leaves {source.value!r}, which does not accept it"
                    )
    if problems:
        raise InvalidDefinition(f"pathway definition {definition.name!r} is broken: " + "; ".join(problems))

    if initials:
        reachable = _closure(initials, definition.successors)
        for stage in stages:
            if stage not in reachable:
                problems.append(f"stage {stage.value!r} cannot be reached from {initials[0].value!r}")
    predecessors: dict[Stage, set[Stage]] = {s: set() for s in stages}
    for edge in definition.edges():
        predecessors.setdefault(edge.dest, set()).add(edge.source)
    can_finish = _closure(finals, lambda s: predecessors.get(s, set()))
    for stage in stages:
        if stage not in can_finish:
            problems.append(f"no final stage can be reached from {stage.value!r}")
    if problems:
        raise InvalidDefinition(f"pathway definition {definition.name!r} is broken: " + "; ".join(problems))


def _closure(start: Iterable[Stage], step: Callable[[Stage], Iterable[Stage]]) -> set[Stage]:
    seen = set(start)
    queue = deque(seen)
    while queue:
        for nxt in step(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def describe_refusal(stage: Stage, accepted: Sequence[EventType], event_type: str) -> str:
    names = ", ".join(e.value for e in accepted) or "no events"
    return f"{with_article(event_type)} event is not accepted at stage {stage.value}; this stage accepts: {names}"
