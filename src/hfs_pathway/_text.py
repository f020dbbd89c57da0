"""Plain-text views for a clinician reading a terminal: the evaluation (``hfs-pathway evaluate``) and the guideline.

The report answers, in order, what a neurologist asks first: who is this (age, sex, side), where do they stand and
what is next, what needs attention now (active alerts), how did they get here (a short timeline of key events),
the toxin cycles and the surgical risk-benefit assessment, and finally what happened before (alerts that are
history). Events are numbered from 1 here, as people count; the JSON keeps the contract's 0-based ``event_index``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from ._dates import age_on
from ._events import (
    EXAMINATION_FINDINGS,
    BotoxInjection,
    BotoxPlanAdjusted,
    BotoxResponse,
    Event,
    ImagingBooked,
    ImagingDeclined,
    ImagingFindingRecorded,
    ImagingResult,
    MedicationReview,
    MedicationStarted,
    MvdPerformed,
    PathwayExit,
    PostMvdReview,
    Presentation,
    Recurrence,
    RedFlag,
    ReferralClosed,
    ReviewVisit,
    RiskBenefitDecision,
    SecondaryCauseOutcomeEvent,
    SurgicalRiskAssessment,
    TreatmentDecision,
)
from ._guideline import Guideline
from ._hfs import HFS_PATHWAY
from ._results import Alert, Evaluation, HistoryEntry, RiskBenefitAssessment
from ._toxin import WANING_TEXT
from ._vocabulary import (
    SEVERITIES_BY_URGENCY,
    EventType,
    ImagingFinding,
    MedicationAdverseEffects,
    MedicationResponse,
    Modality,
    OnsetRegion,
    ResponseClass,
    RiskBenefitChoice,
    Sex,
    Side,
    SpasmOutcome,
    Stage,
    Vessel,
    WaningReason,
)

_RULE = "-" * 78

ROUTINE_EVENTS = frozenset({"botox_injection", "botox_response", "medication_review", "review_visit"})
"""The events of routine care, which the timeline shows only when they matter (below)."""
KEY_EVENTS = frozenset(e.value for e in EventType) - ROUTINE_EVENTS
"""Event types the timeline always shows; any other event is shown when it moved the patient to another stage
(a response that started a waning phase, a review after which treatment was wanted), and an injection given outside
the toxin stages (a bridging injection after surgery)."""


def render_evaluation(evaluation: Evaluation) -> str:
    """The evaluation as a clinician reads it: patient, stage, next steps, active alerts, timeline, toxin cycles,
    risk-benefit assessment and the alerts that are history."""
    e = evaluation
    lines = [*_header(e), _RULE, *_stage(e), "", *_next_steps(e), "", *_active_alerts(e)]
    timeline = _timeline(e)
    if timeline:
        lines += ["", "TIMELINE (key events; numbered from 1 in the order recorded)", *timeline]
    if e.botox_cycles:
        lines += ["", *_cycles(e)]
    if e.risk_benefit is not None:
        lines += ["", *_risk_benefit(e.risk_benefit, e.as_of, e.stage)]
    history = [a for a in e.alerts if not a.active]
    if history:
        lines += ["", f"EARLIER ALERTS (history, no longer active: {len(history)})"]
        lines += [_alert_line(a, e, with_severity=True) for a in history]
    lines += [
        _RULE,
        "Decision support only: every item is a proposal for the treating clinician, who decides.",
    ]
    return "\n".join(lines)


# The patient and the stage -------------------------------------------------------------------------------------


def _header(e: Evaluation) -> list[str]:
    patient = e.patient
    if patient is not None and patient.birth_date is not None:
        age = f"age {age_on(patient.birth_date, e.as_of)}"
    else:
        age = "age not recorded"
    sex = patient.sex if patient is not None else None
    who = _sentence(f"{age}, {sex.value if sex is not None and sex is not Sex.UNKNOWN else 'sex not recorded'}")
    presentation = next((ev for ev in e.events if isinstance(ev, Presentation)), None)
    if presentation is not None:
        who += " " + _sentence(_side(presentation))
    return [
        f"Hemifacial spasm pathway: patient {e.patient_id}",
        who,
        f"As of {e.as_of.isoformat()}. Guideline: {e.guideline_name} (version {e.guideline_version}).",
    ]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


_ONSET = {
    OnsetRegion.PERIOCULAR: "began around the eye",
    OnsetRegion.LOWER_FACE: "began in the lower face",
    OnsetRegion.OTHER: "began elsewhere in the face",
    OnsetRegion.UNKNOWN: "began where the record does not say",
}


def _side(p: Presentation) -> str:
    side = {Side.LEFT: "left-sided spasm", Side.RIGHT: "right-sided spasm", Side.BILATERAL: "spasm on both sides"}
    return f"{side[p.side]} that {_ONSET[p.onset_region]}"


def _stage(e: Evaluation) -> list[str]:
    entered = _entered(e.history)
    since = f"  (since {entered.date.isoformat()})" if entered is not None else ""
    lines = [
        f"STAGE  {e.stage.value}{'  (final)' if e.final else ''}{since}",
        f"       {HFS_PATHWAY.stage_info(e.stage).meaning}",
    ]
    if e.exit_reason is not None:
        lines.append(f"       Exit reason: {_plain(e.exit_reason.value)}.")
    return lines


def _entered(history: Sequence[HistoryEntry]) -> HistoryEntry | None:
    for entry in reversed(history):
        if entry.from_stage is not entry.to_stage:
            return entry
    return None


def _next_steps(e: Evaluation) -> list[str]:
    lines = ["NEXT STEPS"]
    if not e.recommendations:
        lines.append("  none: the pathway is complete" if e.final else "  none")
    for r in e.recommendations:
        due = r.due.isoformat() if r.due else "-"
        lines.append(f"  {due:<10}  {r.text}  [{r.code}]")
    return lines


# Alerts ----------------------------------------------------------------------------------------------------------


def _active_alerts(e: Evaluation) -> list[str]:
    active = [a for a in e.alerts if a.active]
    lines = [f"ACTIVE ALERTS ({len(active)})" if active else "ACTIVE ALERTS"]
    if not active:
        lines.append("  none")
    for severity in SEVERITIES_BY_URGENCY:
        group = [a for a in active if a.severity is severity]
        if group:
            lines.append(f"  {severity.value.upper()} ({len(group)})")
            lines += ["  " + _alert_line(a, e) for a in group]
    return lines


def _alert_line(a: Alert, e: Evaluation, *, with_severity: bool = False) -> str:
    when = a.date.isoformat() if a.date else "-"
    if a.event_index is None:
        origin = f"as of {e.as_of.isoformat()}"
    else:
        origin = f"event {a.event_index + 1}"
        source = e.history[a.event_index].source_text if a.event_index < len(e.history) else None
        if source is not None:
            origin += f", {source}"
    severity = f"{a.severity.value:<8} " if with_severity else ""
    return f"  {when:<10}  {severity}{a.text}  [{a.code}; {origin}]"


# Timeline --------------------------------------------------------------------------------------------------------


def _timeline(e: Evaluation) -> list[str]:
    events = e.events
    if len(events) != len(e.history):
        events = ()  # an evaluation built without its events: the history alone names each event
    waning = {a.event_index: a for a in e.alerts if a.code == "waning_response" and a.event_index is not None}
    lines = []
    injected: dt.date | None = None
    for entry in e.history:
        event = events[entry.index] if events else None
        if isinstance(event, BotoxInjection):
            injected = event.date
        moved = entry.from_stage is not entry.to_stage
        bridging = isinstance(event, BotoxInjection) and entry.from_stage not in _TOXIN_STAGES
        if entry.event not in KEY_EVENTS and not moved and not bridging:
            continue
        text = _describe(event, entry, waning.get(entry.index))
        if isinstance(event, BotoxResponse) and injected is not None:
            text = text.replace("Response to toxin:", f"Response to the injection of {injected.isoformat()}:", 1)
        if moved:
            text += f" -> {_plain(entry.to_stage.value)}"
        if entry.source_text is not None:
            text += f" ({entry.source_text})"
        lines.append(f"  {entry.date.isoformat():<10}  {entry.index + 1:>3}. {text}")
    return lines


def _describe(event: Event | None, entry: HistoryEntry, waning: Alert | None) -> str:
    """One line about an event, in clinical words."""
    describe = _DESCRIBE.get(type(event)) if event is not None else None
    text = _sentence(_plain(entry.event))[:-1] + _generic_details(event) if describe is None else describe(event)
    if waning is not None:
        text += f"; toxin benefit waning: {_waning_words(waning)}"
    return text


def _waning_words(alert: Alert) -> str:
    for reason in WaningReason:
        if f"({reason.value})" in alert.text:
            return f"{WANING_TEXT[reason]} ({reason.value})"
    return alert.text


def _plain(code: str) -> str:
    return code.replace("_", " ")


def _generic_details(event: Event | None) -> str:
    """Details of an event type this module has no sentence for (the fields that say most, when present)."""
    if event is None:
        return ""
    parts = []
    for name in ("finding", "study_date", "booked_for", "informed", "reason", "outcome", "spasm"):
        value = getattr(event, name, None)
        if value is not None:
            shown = value.isoformat() if isinstance(value, dt.date) else str(value)
            parts.append(f"{_plain(name)} {_plain(shown)}")
    return (": " + ", ".join(parts)) if parts else ""


def _presentation(p: Presentation) -> str:
    impression = _plain(p.clinical_impression.value)
    signs = [_plain(name) for name in EXAMINATION_FINDINGS if getattr(p, name) is True]
    unexamined = [
        _plain(name)
        for name in ("facial_weakness", "facial_numbness", "hearing_loss", "other_cranial_nerve_signs")
        if getattr(p, name) is None
    ]
    if signs and p.deficits_stable:
        signs.append("long-standing and not progressing")
    if signs and p.acute_onset:
        signs.append("of acute onset")
    history = [
        words
        for name, words in (
            ("prior_facial_palsy", "a previous facial palsy"),
            ("facial_trauma", "facial trauma"),
            ("multiple_sclerosis", "multiple sclerosis"),
            ("prior_posterior_fossa_or_parotid_lesion", "a posterior fossa or parotid lesion"),
            ("facial_pain", "facial pain"),
            ("head_neck_or_skin_cancer_history", "head and neck or skin cancer"),
        )
        if getattr(p, name)
    ]
    text = f"Presentation: clinical impression {impression}; spasm {_ONSET[p.onset_region]}"
    if signs:
        text += "; findings: " + ", ".join(signs)
    if history:
        text += "; history of " + ", ".join(history)
    if unexamined:
        text += "; not examined or not documented: " + ", ".join(unexamined)
    return text


def _imaging(r: ImagingResult) -> str:
    if r.modality is Modality.CT:
        study = "CT with contrast" if r.contrast else "CT"
        if r.mri_not_possible is not None:
            study += f" (MRI not possible: {_plain(r.mri_not_possible.value)})"
        if r.finding is ImagingFinding.NEUROVASCULAR_CONFLICT:
            return f"{study}: reported as a neurovascular conflict, which CT cannot show"
        if r.finding is ImagingFinding.NO_ABNORMALITY:
            return f"{study}: no abnormality seen (CT cannot exclude a neurovascular conflict or a small lesion)"
        return f"{study}: {_finding(r)}"
    sequences = [
        name
        for name, done in (
            ("high-resolution T2", r.high_resolution_t2),
            ("angiography", r.angiography),
            ("contrast", r.contrast),
        )
        if done
    ]
    study = ("MRI" if r.contrast else "MRI without contrast") + (f" ({', '.join(sequences)})" if sequences else "")
    if r.contrast_withheld is not None:
        study += f", contrast withheld ({_plain(r.contrast_withheld.value)})"
    return f"{study}: {_finding(r)}"


def _finding_recorded(r: ImagingFindingRecorded) -> str:
    return f"Finding of the study of {r.study_date.isoformat()} recorded from its report: {_finding(r)}"


def _booked(b: ImagingBooked) -> str:
    return f"Imaging booked for {b.booked_for.isoformat()}"


def _declined(d: ImagingDeclined) -> str:
    return "Imaging declined" + (" after informed discussion" if d.informed else " (refusal not recorded as informed)")


def _finding(r: ImagingResult | ImagingFindingRecorded) -> str:
    if r.finding is ImagingFinding.NOT_CODED:
        return "finding not coded in the record (read the report)"
    text = _plain(r.finding.value)
    if r.offending_vessel is not None:
        text += f" ({_vessel(r.offending_vessel)})"
    return text


def _vessel(vessel: Vessel) -> str:
    names = {
        Vessel.AICA: "AICA",
        Vessel.PICA: "PICA",
        Vessel.VERTEBRAL: "vertebral artery",
        Vessel.VEIN: "a vein",
        Vessel.MULTIPLE: "several vessels",
        Vessel.UNKNOWN: "vessel not named",
    }
    return names.get(vessel, _plain(vessel.value))


def _decision(d: TreatmentDecision) -> str:
    shared = ", a shared decision" if d.shared_decision else ""
    return f"Treatment chosen: {_plain(d.option.value)}{shared}"


def _medication(m: MedicationStarted) -> str:
    return f"Started {_plain(m.drug.value)} {m.dose_mg_per_day:g} mg/day"


def _medication_review(m: MedicationReview) -> str:
    response = {
        MedicationResponse.GOOD: "good response",
        MedicationResponse.PARTIAL: "partial response",
        MedicationResponse.NONE: "no response",
    }
    effects = {
        MedicationAdverseEffects.NONE: "no side effects",
        MedicationAdverseEffects.TOLERABLE: "tolerable side effects",
        MedicationAdverseEffects.INTOLERABLE: "intolerable side effects",
    }
    return f"Review of the oral drug: {response[m.response]}, {effects[m.adverse_effects]}"


def _injection(i: BotoxInjection) -> str:
    return f"Botulinum toxin injection: {i.total_units:g} units of {i.product.value}"


_TOXIN_STAGES = frozenset({Stage.BOTULINUM_TOXIN, Stage.WANING_RESPONSE})
"""Stages where injections are the routine of care (the cycle table lists them); elsewhere one is a key event, such
as a bridging injection after surgery."""


def _response(r: BotoxResponse) -> str:
    benefit = "" if r.benefit_duration_days is None else f", benefit {r.benefit_duration_days} days"
    if r.benefit_ongoing:
        benefit += " and still lasting"
    return f"Response to toxin: peak improvement {r.peak_improvement_percent:g}%{benefit}"


def _plan(p: BotoxPlanAdjusted) -> str:
    return f"Toxin plan adjusted: {_plain(p.adjustment.value)}"


def _risk(s: SurgicalRiskAssessment) -> str:
    return f"Surgical risk assessment at the checkpoint: ASA {s.asa_class}"


def _risk_decision(d: RiskBenefitDecision) -> str:
    if d.decision is RiskBenefitChoice.REFER_FOR_MVD:
        override = " over the checkpoint's reservations, with a recorded reason" if d.override_reason else ""
        return f"Checkpoint decision: refer for microvascular decompression{override}"
    option = _plain(d.next_option.value) if d.next_option is not None else "conservative care"
    return f"Checkpoint decision: continue with {option}"


def _mvd(m: MvdPerformed) -> str:
    outside = " (outside this pathway's checkpoint)" if m.outside_pathway else ""
    vessel = f"; offending vessel: {_vessel(m.offending_vessel)}" if m.offending_vessel is not None else ""
    return f"Microvascular decompression performed{outside}{vessel}"


def _referral_closed(r: ReferralClosed) -> str:
    return f"Referral closed without surgery: {_plain(r.reason.value)}"


def _post_mvd(r: PostMvdReview) -> str:
    words = {
        SpasmOutcome.RESOLVED: "spasm resolved",
        SpasmOutcome.IMPROVED: "spasm improved",
        SpasmOutcome.UNCHANGED: "spasm unchanged",
        SpasmOutcome.RECURRED: "spasm recurred",
    }
    text = f"Review after surgery: {words[r.spasm]}"
    if r.complications:
        listed = ", ".join(
            f"{_plain(c.type.value)} ({'permanent' if c.permanent else 'transient'})" for c in r.complications
        )
        text += f"; complications: {listed}"
    return text


def _red_flag(r: RedFlag) -> str:
    acute = ", of acute onset" if r.acute_onset else ""
    return f"Red flag: {_plain(r.finding.value)}{acute}"


def _secondary(o: SecondaryCauseOutcomeEvent) -> str:
    return f"Secondary cause managed: {_plain(o.outcome.value)}"


def _review(r: ReviewVisit) -> str:
    return "Review visit: " + ("wants treatment" if r.wants_treatment else "no change wanted")


def _recurrence(r: Recurrence) -> str:
    return "Spasm returned after the pathway was complete"


def _exit(x: PathwayExit) -> str:
    return f"Left the pathway: {_plain(x.reason.value)}"


_DESCRIBE: dict[type, Callable[[Any], str]] = {
    Presentation: _presentation,
    ImagingResult: _imaging,
    ImagingFindingRecorded: _finding_recorded,
    ImagingBooked: _booked,
    ImagingDeclined: _declined,
    TreatmentDecision: _decision,
    MedicationStarted: _medication,
    MedicationReview: _medication_review,
    BotoxInjection: _injection,
    BotoxResponse: _response,
    BotoxPlanAdjusted: _plan,
    SurgicalRiskAssessment: _risk,
    RiskBenefitDecision: _risk_decision,
    MvdPerformed: _mvd,
    ReferralClosed: _referral_closed,
    PostMvdReview: _post_mvd,
    RedFlag: _red_flag,
    SecondaryCauseOutcomeEvent: _secondary,
    ReviewVisit: _review,
    Recurrence: _recurrence,
    PathwayExit: _exit,
}


# Toxin cycles and the checkpoint ----------------------------------------------------------------------------------


def _cycles(e: Evaluation) -> list[str]:
    lines = [
        "BOTULINUM TOXIN CYCLES",
        f"  {'#':>2}  {'injected':<10}  {'product':<19} {'units':>6} {'interval':>9}  "
        f"{'response':<12} {'benefit':>8} {'peak':>5}",
    ]
    for c in e.botox_cycles:
        interval = f"{c.interval_days} d" if c.interval_days is not None else "-"
        benefit = "-"
        if c.benefit_duration_days is not None:
            benefit = f"{'>=' if c.benefit_ongoing else ''}{c.benefit_duration_days} d"
        elif c.benefit_ongoing:
            benefit = "ongoing"
        peak = f"{c.peak_improvement_percent:g}%" if c.peak_improvement_percent is not None else "-"
        response = c.response_class.value if c.response_class else "pending"
        if c.poorly_tolerated:
            response += "*"
        lines.append(
            f"  {c.number:>2}  {c.injection_date.isoformat():<10}  {c.product.value:<19} "
            f"{c.total_units:>6g} {interval:>9}  {response:<12} {benefit:>8} {peak:>5}"
        )
    if any(c.poorly_tolerated for c in e.botox_cycles):
        lines.append("  * significant adverse effects")
    if any(c.benefit_ongoing for c in e.botox_cycles):
        lines.append("  >= benefit still lasting when recorded: the duration is a lower bound")
    if any(c.response_class is ResponseClass.NO_RESPONSE for c in e.botox_cycles):
        lines.append("  no_response: peak improvement under the guideline's threshold (little or no benefit)")
    return lines


def _risk_benefit(rb: RiskBenefitAssessment, as_of: dt.date, stage: Stage) -> list[str]:
    if as_of > rb.valid_until:
        validity = f"EXPIRED on {rb.valid_until.isoformat()}"
        if stage is Stage.SURGICAL_EVALUATION:
            validity += ": repeat it before a referral"
    else:
        validity = f"valid until {rb.valid_until.isoformat()}"
    lines = [
        f"RISK-BENEFIT CHECKPOINT  {rb.verdict.value.upper()}  (assessed {rb.date.isoformat()}, event "
        f"{rb.event_index + 1}; {validity})",
        f"  Verdict: {rb.verdict_reason}",
    ]
    lines += [f"  - {m.text}" for m in rb.modifiers]
    lines.append("  Outcome on spasm:")
    lines += [f"    {_pct(b.percent_low, b.percent_high):>8}  {b.text}" for b in rb.benefits]
    lines.append("  Risks of surgery:")
    lines += [f"    {_pct(r.percent_low, r.percent_high):>8}  {r.text}" for r in rb.risks]
    return lines


def _pct(low: float, high: float) -> str:
    return f"{low:g}%" if low == high else f"{low:g}-{high:g}%"


def render_guideline(guideline: Guideline) -> str:
    """Every parameter with its value, unit, evidence and description."""
    lines = [
        f"{guideline.name} (version {guideline.version}, contract revision {guideline.contract_revision})",
        _RULE,
    ]
    for p in guideline.parameters():
        value = p.value
        if isinstance(value, dict) and {"low", "high"} <= set(value):
            shown = _pct(value["low"], value["high"])
        elif isinstance(value, dict):
            shown = ", ".join(f"{k} {'not set' if v is None else f'{v:g}'}" for k, v in value.items())
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value) + f" {p.unit}"
        else:
            shown = f"{value} {p.unit}"
        changed = "" if p.value == p.default else f"  (default {p.default})"
        lines.append(f"{p.name} = {shown}{changed}")
        lines.append(f"    {p.description}")
        lines.append(f"    evidence: {', '.join(p.evidence) or 'none'}")
    return "\n".join(lines)
