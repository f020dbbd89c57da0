"""The controller: one patient's pathway, driven event by event through the shared definition.

Patient data stays plain (pydantic events, a derived record); the state machine is built once per
definition and never holds a patient. Applying an event is atomic: the new record is built on a
private copy and replaces the old one only when the event is accepted, so a refused event changes
nothing at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NoReturn

from pydantic import BaseModel

from ._active import mark_active
from ._arguments import as_date
from ._case import Case, Patient, event_to_dict, load_case, parse_event
from ._change import Change
from ._definition import EventRule, PathwayDefinition, Route, describe_refusal
from ._errors import (
    CheckpointNotSatisfied,
    EventNotAllowed,
    InvalidCase,
    InvalidEvent,
    InvalidGuideline,
    OutOfOrder,
)
from ._events import EVENT_MODELS, Event
from ._exit import exit_reason
from ._record import Record
from ._replay import run
from ._results import Alert, BotoxCycle, Evaluation, HistoryEntry, RiskBenefitAssessment
from ._vocabulary import CONTRACT_REVISION, Stage
from ._words import with_article

if TYPE_CHECKING:
    from ._advice import Advice
    from ._guideline import Guideline

Engine = Literal["table", "transitions"]
_EVENT_CLASSES = frozenset(EVENT_MODELS.values())
SAVE_FORMAT = "hfs-pathway/pathway"
SAVE_FORMAT_VERSION = 1


_new_tuple = tuple.__new__
"""Builds a named tuple from a plain tuple of its fields in one C call (its constructor is a Python function)."""


@cache
def _defaults() -> tuple[PathwayDefinition, Guideline]:
    """The shipped pathway definition and guideline, loaded on first use (they are not needed to import)."""
    from ._guideline import default_guideline
    from ._hfs import HFS_PATHWAY

    return HFS_PATHWAY, default_guideline()


@cache
def _advice_type() -> type[Advice]:
    """The advice module, loaded on the first evaluation (not at import)."""
    from ._advice import Advice

    return Advice


_BLANK_RECORD = Record()
"""A pathway starts from a copy of this record: one dictionary copy instead of setting every field."""


class _Views(NamedTuple):
    events: tuple[Event, ...]
    history: tuple[HistoryEntry, ...]
    alerts: tuple[Alert, ...]


class _StateHolder:
    """The only thing handed to the ``transitions`` machine: the current stage, nothing else."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class Pathway:
    """One patient's journey along the pathway.

    Create it with :meth:`start` (or :meth:`replay` for a whole case), feed it events with
    :meth:`apply`, and ask it where the patient stands with :meth:`evaluate`.
    """

    __slots__ = (
        "_alerts",
        "_change",
        "_definition",
        "_engine",
        "_events",
        "_guideline",
        "_history",
        "_older_revision",
        "_patient",
        "_plans",
        "_record",
        "_views",
    )

    def __init__(
        self,
        patient: Patient,
        *,
        guideline: Guideline | None = None,
        definition: PathwayDefinition | None = None,
        engine: Engine = "table",
    ) -> None:
        if engine not in ("table", "transitions"):
            raise ValueError("engine must be 'table' or 'transitions'")
        if guideline is None or definition is None:
            default_definition, default_guideline = _defaults()
            guideline = guideline or default_guideline
            definition = definition or default_definition
        self._patient = patient
        self._guideline = guideline
        self._older_revision = guideline.contract_revision < CONTRACT_REVISION
        self._definition = definition
        self._engine: Engine = engine
        # What only grows is kept in append-only lists, owned by the pathway: accepting an event appends one
        # event, one history entry and its alerts (never a copy of what came before), so a replay is linear.
        self._events: list[Event] = []
        self._history: list[HistoryEntry] = []
        self._alerts: list[Alert] = []
        self._views: _Views | None = None
        record = _BLANK_RECORD.copy()
        record.stage = definition.initial
        self._record = record
        self._plans = definition.plans
        # The event under consideration: one per pathway, refilled by every step (which sets the rest).
        self._change = Change(None, 0, record, patient, guideline, after=record)

    # Building ------------------------------------------------------------------------------------

    @classmethod
    def start(
        cls, patient: Patient | Mapping[str, Any], *, guideline: Guideline | None = None, engine: Engine = "table"
    ) -> Pathway:
        """A new pathway for a patient, at the initial stage."""
        if not isinstance(patient, Patient):
            patient = load_case({"patient": patient, "events": []}).patient
        return cls(patient, guideline=guideline, engine=engine)

    @classmethod
    def replay(
        cls, case: Case | Mapping[str, Any], *, guideline: Guideline | None = None, engine: Engine = "table"
    ) -> Pathway:
        """A pathway with every event of a case applied in order; the first refused event raises."""
        if not isinstance(case, Case):
            case = load_case(case)
        pathway = cls(case.patient, guideline=guideline, engine=engine)
        pathway._run(case.events)
        return pathway

    # Reading ----------------------------------------------------------------------------------------

    @property
    def patient(self) -> Patient:
        return self._patient

    @property
    def guideline(self) -> Guideline:
        return self._guideline

    @property
    def definition(self) -> PathwayDefinition:
        return self._definition

    @property
    def stage(self) -> Stage:
        return self._record.stage

    @property
    def final(self) -> bool:
        return self._record.stage in self._definition.final_stages

    @property
    def events(self) -> tuple[Event, ...]:
        """Every accepted event, in order."""
        return self._read().events

    @property
    def history(self) -> tuple[HistoryEntry, ...]:
        return self._read().history

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """Alerts raised by events so far, each marked active or history (time-based alerts come with
        :meth:`evaluate`)."""
        return self._read().alerts

    def _read(self) -> _Views:
        """The append-only lists as tuples, made once after each change (reading them in a loop stays cheap).

        The alerts are marked active or history here: for alerts raised by events that depends only on the
        accepted events, not on the evaluation date."""
        views = self._views
        if views is None:
            history = tuple(self._history)
            record = self._record
            alerts = mark_active(self._alerts, history, record.stage, record.workup_open, self.final)
            views = self._views = _new_tuple(_Views, (tuple(self._events), history, alerts))
        return views

    @property
    def botox_cycles(self) -> tuple[BotoxCycle, ...]:
        return self._record.cycles

    @property
    def risk_benefit(self) -> RiskBenefitAssessment | None:
        return self._record.risk

    def accepted_events(self) -> tuple[str, ...]:
        """The event types the current stage accepts."""
        return tuple(e.value for e in self._definition.accepted_events(self._record.stage))

    # Changing -----------------------------------------------------------------------------------------

    def apply(self, event: Event | Mapping[str, Any]) -> HistoryEntry:
        """Apply one event; on any error nothing about the pathway changes."""
        index = len(self._events)
        self._run((self._typed(event, index),))
        return self._history[-1]

    def extend(self, events: Iterable[Event | Mapping[str, Any]]) -> None:
        """Apply events in order, stopping at (and raising) the first refused one; the events before it stay
        applied."""
        self._run(self._typed_each(events))

    def _typed_each(self, events: Iterable[Event | Mapping[str, Any]]) -> Iterator[Event]:
        """Each event checked as it comes (its index is the number of events accepted before it)."""
        typed, accepted = self._typed, self._events
        for raw in events:
            yield typed(raw, len(accepted))

    def _fork(self) -> Pathway:
        """A copy that can take events without changing this pathway (``copy.copy`` and ``copy.deepcopy``
        make one too: the events and the record are immutable, so only the append-only lists are copied)."""
        trial = Pathway(self._patient, guideline=self._guideline, definition=self._definition, engine=self._engine)
        trial._events = self._events.copy()
        trial._history = self._history.copy()
        trial._alerts = self._alerts.copy()
        trial._record = self._record
        return trial

    def __copy__(self) -> Pathway:
        return self._fork()

    def __deepcopy__(self, memo: dict[int, Any]) -> Pathway:
        return self._fork()

    @staticmethod
    def _typed(event: Event | Mapping[str, Any], index: int) -> Event:
        if type(event) in _EVENT_CLASSES:
            return event  # type: ignore[return-value]  # one of the Event models, checked just above
        if isinstance(event, BaseModel) or not isinstance(event, Mapping):
            raise InvalidEvent(
                f"event {index} must be an event or a mapping, not {type(event).__name__}", event_index=index
            )
        return parse_event(event, index)

    def _run(self, events: Iterable[Event]) -> None:
        """Consider events in order; accept each (record, history, alerts, event list) or raise at the first
        refused one, which changes nothing: the events before it stay applied (see ``_replay.run``)."""
        run(self, events)

    def _misdated(self, event: Event, index: int, last: dt.date | None) -> NoReturn:
        date = event.date
        if last is not None and date < last:
            raise OutOfOrder(
                f"event {index} ({event.type}) is dated {date.isoformat()}, before the previous event "
                f"(event {index - 1}); events must be in date order",
                event_index=index,
            )
        raise InvalidEvent(
            f"event {index} ({event.type}) is dated {date.isoformat()}, before the patient's birth date",
            event_index=index,
        )

    def _not_accepted(self, stage: Stage, event: Event, index: int) -> NoReturn:
        accepted = self._definition.accepted_events(stage)
        raise EventNotAllowed(
            f"event {index}: " + describe_refusal(stage, accepted, event.type),
            event_index=index,
            stage=stage.value,
            event_type=event.type,
            accepted=[e.value for e in accepted],
        )

    def _choose_by_machine(self, change: Change) -> Route:
        holder = _StateHolder(change.before.stage.value)
        change.route = None  # set by the machine's callback on the route it takes
        moved = self._definition.machine.events[change.event.type].trigger(holder, change=change)
        if not moved or change.route is None:
            raise AssertionError("the state machine refused an event whose requirements were met")
        return change.route

    def _refuse(self, rule: EventRule, change: Change) -> NoReturn:
        """Raise the error for the rule's failed requirements, worded from every one that fails."""
        failed = [r for r in rule.requires if not r.condition.test(change)]
        event, index, stage = change.event, change.index, change.before.stage
        for requirement in failed:
            if requirement.error == "invalid_event":
                detail = (
                    requirement.message(change) if requirement.message else f"needs {requirement.condition.description}"
                )
                raise InvalidEvent(f"event {index} ({event.type}): {detail}", event_index=index)
        checkpoint = [r for r in failed if r.error == "checkpoint_not_satisfied"]
        if checkpoint:
            first = checkpoint[0]
            detail = first.message(change) if first.message else f"needs {first.condition.description}"
            raise CheckpointNotSatisfied(
                f"event {index}: {detail}", event_index=index, unmet=[r.condition.name for r in checkpoint]
            )
        accepted = self._definition.accepted_events(stage)
        raise EventNotAllowed(
            f"event {index}: {with_article(event.type)} event is not accepted now at stage {stage.value}: it needs "
            + "; ".join(r.condition.description for r in failed)
            + f". This stage accepts: {', '.join(e.value for e in accepted)}",
            event_index=index,
            stage=stage.value,
            event_type=event.type,
            accepted=[e.value for e in accepted],
        )

    # Evaluating -----------------------------------------------------------------------------------------

    def evaluate(self, as_of: dt.date | dt.datetime | str | None = None) -> Evaluation:
        """Where the patient stands on ``as_of`` (default: today) and what to do next.

        ``as_of`` is a ``date``, a ``datetime`` (its date is used) or an ISO string (``"2024-03-01"``);
        anything else raises :class:`~hfs_pathway.InvalidArgument`.
        """
        record = self._record
        if type(as_of) is not dt.date:
            as_of = dt.date.today() if as_of is None else as_date(as_of)
        if record.last_date is not None and as_of < record.last_date:
            raise OutOfOrder(
                f"the evaluation date {as_of.isoformat()} is before the date of the last event "
                f"(event {len(self._history) - 1})"
            )
        views = self._read()
        patient, guideline, stage = self._patient, self._guideline, record.stage
        advice = _advice_type()(record, patient, guideline, as_of)
        final = stage in self._definition.final_stages
        alerts = views.alerts
        if advice.alerts:
            alerts = (*alerts, *mark_active(advice.alerts, views.history, stage, record.workup_open, final))
        # Built from its fields in order with one C call (the named tuple's keyword constructor is a Python
        # function with fourteen arguments; an evaluation is made for every case of a cohort).
        return _new_tuple(
            Evaluation,
            (
                patient.id,  # patient_id
                as_of,
                guideline.name,  # guideline_name
                guideline.version,  # guideline_version
                stage,
                final,
                tuple(advice.recommendations),
                alerts,
                views.history,
                record.cycles,  # botox_cycles
                record.risk,  # risk_benefit
                exit_reason(views.events[-1]) if stage is Stage.EXITED else None,
                patient,
                views.events,
            ),
        )

    # Saving -----------------------------------------------------------------------------------------------

    def to_case(self) -> Case:
        return Case.model_construct(patient=self._patient, events=self._read().events)

    def to_json(self) -> str:
        """The whole pathway as JSON: guideline, patient, events and the stage they lead to."""
        import json

        return json.dumps(
            {
                "format": SAVE_FORMAT,
                "format_version": SAVE_FORMAT_VERSION,
                "definition": {"name": self._definition.name, "version": self._definition.version},
                "guideline": self._guideline.model_dump(mode="json"),
                "patient": self._patient.model_dump(mode="json", exclude_none=True),
                "events": [event_to_dict(e) for e in self._events],
                "stage": self._record.stage.value,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | bytes, *, engine: Engine = "table") -> Pathway:
        """Load a pathway saved by :meth:`to_json`; its events are replayed and the stage checked."""
        import json

        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise InvalidCase(f"the saved pathway is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != SAVE_FORMAT:
            raise InvalidCase(f'not a saved pathway (expected "format": "{SAVE_FORMAT}")')
        if data.get("format_version") != SAVE_FORMAT_VERSION:
            raise InvalidCase(f"unsupported saved pathway version {data.get('format_version')!r}")
        definition = data.get("definition")
        from ._guideline import Guideline

        shipped = _defaults()[0]
        if not isinstance(definition, dict) or definition.get("name") != shipped.name:
            raise InvalidCase(f"the saved pathway does not use the {shipped.name!r} pathway definition")
        saved = data.get("guideline")
        if not isinstance(saved, dict):
            raise InvalidCase("the saved pathway has no guideline object")
        meta = ("name", "version", "contract_revision")
        parameters = {k: v for k, v in saved.items() if k not in meta}
        try:
            guideline = Guideline.from_mapping(
                {**{k: saved[k] for k in meta if k in saved}, "parameters": parameters}, source="saved guideline"
            )
        except InvalidGuideline as exc:
            raise InvalidCase(exc.message) from None
        case = load_case({"patient": data.get("patient"), "events": data.get("events", [])})
        pathway = cls.replay(case, guideline=guideline, engine=engine)
        # The saved stage is checked against the definition that saved it; under a later version of the
        # definition (a revision of the contract) the stage is what the same events lead to now.
        if pathway.stage.value != data.get("stage") and definition.get("version") == shipped.version:
            raise InvalidCase(
                f"the saved pathway says stage {data.get('stage')!r}, but its events lead to {pathway.stage.value!r}"
            )
        return pathway

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pathway):
            return NotImplemented
        return (
            self._patient == other._patient
            and self._guideline == other._guideline
            and self._definition is other._definition
            and self._events == other._events
        )

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as patient, guideline and events, replayed on loading (the definition's rules are code, so a
        pathway pickles only on the shipped definition)."""
        if self._definition is not _defaults()[0]:
            raise TypeError("only a pathway on the shipped definition (HFS_PATHWAY) can be pickled")
        return (_unpickle, (self._patient, self._guideline, tuple(self._events), self._engine))

    def __repr__(self) -> str:
        return f"Pathway(patient={self._patient.id!r}, stage={self.stage.value!r}, events={len(self._events)})"


def _unpickle(patient: Patient, guideline: Guideline, events: tuple[Event, ...], engine: Engine) -> Pathway:
    pathway = Pathway(patient, guideline=guideline, engine=engine)
    pathway._run(events)
    return pathway


def evaluate_case(
    case: Case | Mapping[str, Any] | str | bytes,
    as_of: dt.date | dt.datetime | str | None = None,
    *,
    guideline: Guideline | None = None,
) -> Evaluation:
    """Replay a case and evaluate it as of a date, in one call."""
    if not isinstance(case, Case):
        case = load_case(case)
    return Pathway.replay(case, guideline=guideline).evaluate(as_of)
