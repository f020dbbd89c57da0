"""The replay step: how a pathway considers events, one after the other (``Pathway.apply``, ``extend`` and
``replay`` all come here).

Everything that can fail runs on ``change.after``, a private copy of the record. Only the last lines of the
loop, which cannot fail, publish the result: a refused event changes nothing, and the events before it stay
applied.

This runs for every event of every case, so it is written for speed (see docs/performance.md): a replay is one
call, with what every event reads fetched once before the loop; the pathway keeps one ``Change`` and refills it
(an event is considered only after the previous one is done); the record is copied once per event
(``Record.copy``, one dictionary copy or, compiled, one C assignment per field); each route's stage entry comes
with the plan. A wheel compiles this module with the record, the change and the rules (mypyc; see
``hatch_build.py``); the pathway itself, its public methods and the definition stay Python. This function is
the pathway's own step, kept in a module of its own so that it can be compiled: it reads and updates the
pathway's private fields as a method would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._results import HistoryEntry

if TYPE_CHECKING:
    from ._events import Event
    from ._pathway import Pathway

_new_tuple = tuple.__new__
"""Builds a named tuple from a plain tuple of its fields in one C call (its constructor is a Python function)."""


def run(pathway: Pathway, events: Iterable[Event]) -> None:
    """Consider ``events`` in order for ``pathway``; accept each (record, history, alerts, event list) or raise at
    the first refused one, which changes nothing: the events before it stay applied."""
    older_revision = pathway._older_revision
    guideline = pathway._guideline
    birth = pathway._patient.birth_date
    plans = pathway._plans
    table = pathway._engine == "table"
    change = pathway._change
    alerts = change.alerts
    accept_event = pathway._events.append
    add_history = pathway._history.append
    record = pathway._record
    stage = record.stage
    stage_plans = plans[stage]  # what the current stage accepts; changed with the stage
    index = len(pathway._events)
    # The earliest date the next event may have: that of the last event, or else the birth date. An event
    # dated before it is refused (``_misdated``); an accepted event's date becomes the next one's earliest.
    earliest = record.last_date or birth or dt.date.min
    try:
        for event in events:
            if older_revision:
                from ._revision import check_revision  # only for a guideline of an earlier contract revision

                check_revision(event, index, guideline)
            # The event's fields are read from its dictionary: an attribute of a pydantic model costs about
            # 20 ns to read, an item of a dictionary about 5 ns.
            fields = event.__dict__
            date = fields["date"]
            if date < earliest:
                pathway._misdated(event, index, record.last_date)
            kind = fields["type"]
            plan = stage_plans.get(kind)
            if plan is None:
                pathway._not_accepted(stage, event, index)
            after = record.copy()  # a private copy: every field holds an immutable value (``Record.copy``)
            change.event = event
            change.index = index
            change.before = record
            change.after = after
            for check in plan.checks:
                if not check(change):
                    pathway._refuse(plan.rule, change)
            effect = plan.effect
            if effect is not None:
                effect(change)
            if table:
                choices = plan.choices if record.interrupted is not None else plan.uninterrupted
                for when, route, enter in choices:  # noqa: B007  # the route the loop stops at is the one taken
                    if when is None or when(change):
                        break
            else:
                route = pathway._choose_by_machine(change)
                enter = pathway._definition.entering(stage, route)
            if route.alert is not None:
                route.alert(change)
            after.last_date = date
            dest = route.dest or stage
            if dest is not stage:
                after.stage = dest
                after.stage_entered = date
                if enter is not None:
                    enter(change)
                stage_plans = plans[dest]  # (if this event is refused after all, the run ends with it)
            # Accepted: publish. Nothing below can fail, so a refusal above has changed nothing.
            record = after
            earliest = date
            accept_event(event)
            add_history(_new_tuple(HistoryEntry, (index, date, kind, stage, dest, fields["source"])))
            if alerts:
                pathway._alerts.extend(alerts)
                alerts.clear()
            index += 1
            stage = dest
    finally:
        alerts.clear()  # those of a refused event (an accepted event's were moved to the pathway's list)
        # The record of the last accepted event (the one before the refused event, if one was refused).
        if record is not pathway._record:
            pathway._record = record
            pathway._views = None
