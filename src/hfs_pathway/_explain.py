"""Explanations: why an event would not be accepted now, and what is still missing to reach a stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._arguments import as_date, as_stage
from ._definition import Edge
from ._errors import PathwayError
from ._events import Event
from ._pathway import Pathway
from ._surgery import checkpoint_conditions
from ._vocabulary import Stage


@dataclass(frozen=True)
class EventCheck:
    """Whether an event would be accepted now, where it would lead, and if not, why."""

    accepted: bool
    stage: Stage
    """The stage now."""
    leads_to: Stage | None
    """The stage the event would lead to, when accepted."""
    error: PathwayError | None
    """The error applying it would raise, when refused."""

    @property
    def reason(self) -> str | None:
        return None if self.error is None else self.error.message


@dataclass(frozen=True)
class Step:
    """One move on the way to a stage: the event that makes it and the condition it needs."""

    event: str
    from_stage: Stage
    to_stage: Stage
    condition: str | None


@dataclass(frozen=True)
class StageRequirements:
    """What stands between the patient and a stage."""

    target: Stage
    stage: Stage
    reachable: bool
    steps: tuple[Step, ...]
    """The shortest sequence of moves from the current stage, with the condition of each."""
    unmet: tuple[str, ...]
    """Conditions of the patient's record that are not met yet (for example the checkpoint's)."""
    met: tuple[str, ...]
    already: bool = False
    """The patient is at the target stage now, or was there earlier in the pathway: nothing is unmet."""
    reached_on: dt.date | None = None
    """When ``already``: the date the patient arrived at the target (``None`` before any event)."""


def check_event(pathway: Pathway, event: Event | Mapping[str, Any]) -> EventCheck:
    """Try an event on a copy of the pathway; the pathway itself never changes."""
    trial = pathway._fork()
    try:
        entry = trial.apply(event)
    except PathwayError as error:
        return EventCheck(False, pathway.stage, None, error)
    return EventCheck(True, pathway.stage, entry.to_stage, None)


def requirements_for(
    pathway: Pathway, target: Stage | str, as_of: dt.date | dt.datetime | str | None = None
) -> StageRequirements:
    """The moves and the patient-specific conditions still needed to reach ``target``.

    A patient already at ``target``, or who was there earlier (a referred patient asked about the referral),
    has nothing unmet: ``already`` is true and ``met`` says since when. ``target`` must be a :class:`Stage` or
    its value; anything else raises :class:`~hfs_pathway.InvalidArgument`.
    """
    target = as_stage(target)
    on_date = None if as_of is None else as_date(as_of)
    stage = pathway.stage
    arrived = [h for h in pathway.history if h.to_stage is target and h.from_stage is not target]
    if stage is target or arrived:
        when = arrived[-1].date if arrived else pathway._record.stage_entered or pathway._record.last_date
        now = "is at" if stage is target else "was at"
        since = f" since {when.isoformat()}" if when and stage is target else f" on {when.isoformat()}" if when else ""
        said = _ALREADY.get(target, f"the patient {now} {target.value}")
        source = arrived[-1].source_text if arrived else None
        where = f" ({source})" if source else ""
        return StageRequirements(target, stage, True, (), (), (f"{said}{since}{where}",), already=True, reached_on=when)
    path = pathway.definition.shortest_path(stage, target)
    if path is None:
        return StageRequirements(
            target, stage, False, (), (f"{target.value} cannot be reached from {stage.value}",), ()
        )
    steps = tuple(_step(edge) for edge in path)
    unmet: list[str] = []
    met: list[str] = []
    if target is Stage.MVD_REFERRAL:
        record = pathway._record
        on = on_date or record.last_date or dt.date.today()
        for condition in checkpoint_conditions(
            None, on, risk=record.risk, imaging=record.imaging, any_mri=record.any_mri, workup=record.workup
        ):
            (met if condition.met else unmet).append(condition.text)
        if stage is not Stage.SURGICAL_EVALUATION:
            unmet.insert(0, "reaching the risk-benefit checkpoint (surgical_evaluation)")
    return StageRequirements(target, stage, True, steps, tuple(unmet), tuple(met))


# How "already there" reads for the stages a clinician asks about most.
_ALREADY: dict[Stage, str] = {
    Stage.MVD_REFERRAL: "already referred for microvascular decompression",
    Stage.POST_MVD: "microvascular decompression already performed",
}


def _step(edge: Edge) -> Step:
    return Step(edge.event.value, edge.source, edge.dest, edge.route.condition_text)
