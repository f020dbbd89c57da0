"""What the pathway says back: history entries, alerts, recommendations, toxin cycles, the
risk-benefit assessment and the evaluation that gathers them.

These are immutable values built by the library (never parsed from users), so they skip validation and
stay cheap on the evaluation path and at import: they are typed named tuples. ``to_dict`` gives the
JSON form of spec §5; it reads an enum member's ``_value_``, the same string ``.value`` returns, without
going through the enum's property on every field of every case.

Each kind of value has one function that builds the dicts of many values at once (``_history_dicts`` and the
like): ``Evaluation.to_dict`` calls it once per list, with no method call per entry, and each value's own
``to_dict`` calls it with that one value, so the JSON form of a kind is written in one place.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

from ._dates import DATE_TEXT as _DATE_TEXT  # date -> its ISO text, made once per date
from ._vocabulary import ExitReason, ResponseClass, Severity, Stage, ToxinProduct, Verdict

if TYPE_CHECKING:
    from ._case import Patient
    from ._events import Event, EventSource


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else _DATE_TEXT[value]


class HistoryEntry(NamedTuple):
    """One accepted event and the move it caused (``from_stage`` equals ``to_stage`` when it stayed), with
    where the event's fact came from when the event said so (R2.13)."""

    index: int  # type: ignore[assignment]  # the contract's name; it shadows tuple.index on purpose
    date: dt.date
    event: str
    from_stage: Stage
    to_stage: Stage
    source: EventSource | None = None

    @property
    def source_text(self) -> str | None:
        """Where the event's fact came from, in words ("inferred from Procedure/123"), or ``None``."""
        source = self.source
        if source is None:
            return None
        where = source.reference or source.system or "another record"
        return f"inferred from {where}" if source.inferred else f"from {where}"

    def to_dict(self) -> dict[str, Any]:
        return _history_dicts((self,))[0]


def _history_dicts(entries: tuple[HistoryEntry, ...]) -> list[dict[str, Any]]:
    dates = _DATE_TEXT
    return [
        {
            "index": index,
            "date": dates[date],
            "event": event,
            "from_stage": from_stage._value_,
            "to_stage": to_stage._value_,
            "source": None
            if source is None
            else {"system": source.system, "reference": source.reference, "inferred": source.inferred},
        }
        for index, date, event, from_stage, to_stage, source in entries
    ]


class Alert(NamedTuple):
    """Something a clinician should notice, raised by an event (``event_index``) or by time (``None``).

    ``active`` says whether the alert belongs to the present or is history (R2.11, R2.15): it is set for
    every alert when the pathway is evaluated, by the rule its code has in
    :data:`hfs_pathway.ALERT_ACTIVE_WHILE`. An alert that is history is still listed: alerts are never dropped.
    """

    code: str
    severity: Severity
    text: str
    rationale: str
    evidence: tuple[str, ...]
    date: dt.date | None
    event_index: int | None
    active: bool = True

    def to_dict(self) -> dict[str, Any]:
        return _alert_dicts((self,))[0]


def _alert_dicts(alerts: tuple[Alert, ...]) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "severity": severity._value_,
            "text": text,
            "rationale": rationale,
            "evidence": list(evidence),
            "date": None if date is None else _DATE_TEXT[date],
            "event_index": event_index,
            "active": active,
        }
        for code, severity, text, rationale, evidence, date, event_index, active in alerts
    ]


class Recommendation(NamedTuple):
    """What to do next from the current stage; a proposal for the clinician, never an order."""

    code: str
    text: str
    rationale: str
    evidence: tuple[str, ...]
    due: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return _recommendation_dicts((self,))[0]


def _recommendation_dicts(recommendations: tuple[Recommendation, ...]) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "text": text,
            "rationale": rationale,
            "evidence": list(evidence),
            "due": None if due is None else _DATE_TEXT[due],
        }
        for code, text, rationale, evidence, due in recommendations
    ]


class BotoxCycle(NamedTuple):
    """One injection and, once known, its response and classification."""

    number: int
    """The cycle's number for this patient, from 1."""
    injection_index: int
    injection_date: dt.date
    product: ToxinProduct
    total_units: int | float
    """As recorded: whole units stay whole (``20``, not ``20.0``), as in the event."""
    interval_days: int | None
    response_index: int | None = None
    response_class: ResponseClass | None = None
    peak_improvement_percent: int | float | None = None
    benefit_duration_days: int | None = None
    poorly_tolerated: bool = False
    benefit_ongoing: bool = False
    """The benefit had not worn off when the response was recorded: the duration is a lower bound."""

    def to_dict(self) -> dict[str, Any]:
        return _cycle_dicts((self,))[0]


def _cycle_dicts(cycles: tuple[BotoxCycle, ...]) -> list[dict[str, Any]]:
    dates = _DATE_TEXT
    return [
        {
            "number": number,
            "injection_date": dates[injection_date],
            "product": product._value_,
            "total_units": total_units,
            "interval_days": interval_days,
            "response_class": None if response_class is None else response_class._value_,
            "benefit_duration_days": benefit_duration_days,
            "peak_improvement_percent": peak_improvement_percent,
            "poorly_tolerated": poorly_tolerated,
            "benefit_ongoing": benefit_ongoing,
            "injection_index": injection_index,
            "response_index": response_index,
        }
        for (
            number,
            injection_index,
            injection_date,
            product,
            total_units,
            interval_days,
            response_index,
            response_class,
            peak_improvement_percent,
            benefit_duration_days,
            poorly_tolerated,
            benefit_ongoing,
        ) in cycles
    ]


class RiskFigure(NamedTuple):
    """An expected outcome of surgery as a range of percentages."""

    code: str
    text: str
    percent_low: float
    percent_high: float
    permanent: bool | None
    evidence: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return _figure_dicts((self,))[0]


def _figure_dicts(figures: tuple[RiskFigure, ...]) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "text": text,
            "percent_low": percent_low,
            "percent_high": percent_high,
            "permanent": permanent,
            "evidence": list(evidence),
        }
        for code, text, percent_low, percent_high, permanent, evidence in figures
    ]


class RiskModifier(NamedTuple):
    """A patient factor that changes the balance of surgery, and how."""

    code: str
    text: str
    evidence: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return _modifier_dicts((self,))[0]


def _modifier_dicts(modifiers: tuple[RiskModifier, ...]) -> list[dict[str, Any]]:
    return [{"code": code, "text": text, "evidence": list(evidence)} for code, text, evidence in modifiers]


class RiskBenefitAssessment(NamedTuple):
    """The checkpoint's summary of a surgical risk assessment, for counselling and the decision."""

    verdict: Verdict
    verdict_reason: str
    modifiers: tuple[RiskModifier, ...]
    benefits: tuple[RiskFigure, ...]
    risks: tuple[RiskFigure, ...]
    evidence: tuple[str, ...]
    date: dt.date
    event_index: int
    valid_until: dt.date
    audiometry_done: bool

    def to_dict(self) -> dict[str, Any]:
        # The fields unpacked in one step: a named tuple's field read by name is slow.
        verdict, verdict_reason, modifiers, benefits, risks, evidence, date, event_index, valid_until, _ = self
        return {
            "verdict": verdict._value_,
            "verdict_reason": verdict_reason,
            "modifiers": _modifier_dicts(modifiers),
            "benefits": _figure_dicts(benefits),
            "risks": _figure_dicts(risks),
            "evidence": list(evidence),
            "date": _DATE_TEXT[date],
            "event_index": event_index,
            "valid_until": _DATE_TEXT[valid_until],
        }


class Evaluation(NamedTuple):
    """Where a patient stands as of a date, and what the pathway proposes next."""

    patient_id: str
    as_of: dt.date
    guideline_name: str
    guideline_version: str
    stage: Stage
    final: bool
    recommendations: tuple[Recommendation, ...]
    alerts: tuple[Alert, ...]
    history: tuple[HistoryEntry, ...]
    botox_cycles: tuple[BotoxCycle, ...]
    risk_benefit: RiskBenefitAssessment | None
    exit_reason: ExitReason | None = None
    """Why the patient left the pathway; ``None`` unless the stage is ``exited`` (R2.11)."""
    patient: Patient | None = None
    """The patient the evaluation is about (not in the JSON, which names only ``patient_id``)."""
    events: tuple[Event, ...] = ()
    """The accepted events it was made from, in order (not in the JSON, which gives ``history``): the text
    report reads the patient's age, sex and side and the details of its timeline from them."""

    def to_dict(self) -> dict[str, Any]:
        """The evaluation as the JSON object of the contract (spec §5, revision 2)."""
        # The fields unpacked in one step (a named tuple's field read by name is slow), on every case of a cohort.
        (
            patient_id,
            as_of,
            guideline_name,
            guideline_version,
            stage,
            final,
            recommendations,
            alerts,
            history,
            botox_cycles,
            risk_benefit,
            exit_reason,
            _,  # patient: not in the JSON
            _,  # events: not in the JSON
        ) = self
        return {
            "patient_id": patient_id,
            "as_of": _DATE_TEXT[as_of],
            "guideline": {"name": guideline_name, "version": guideline_version},
            "stage": stage._value_,
            "final": final,
            "exit_reason": None if exit_reason is None else exit_reason._value_,
            "recommendations": _recommendation_dicts(recommendations),
            "alerts": _alert_dicts(alerts),
            "history": _history_dicts(history),
            "botox_cycles": _cycle_dicts(botox_cycles),
            "risk_benefit": None if risk_benefit is None else risk_benefit.to_dict(),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The evaluation as JSON text (the object of :meth:`to_dict`), as ``hfs-pathway evaluate --format json``
        prints it with ``indent=2``."""
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
