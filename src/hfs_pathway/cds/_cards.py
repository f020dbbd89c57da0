"""CDS Hooks cards from an evaluation: one for where the patient stands, one per current alert, and
the order checks of ``order-select``.

A card's wording, rationale and evidence come from the library's catalog; this module only chooses
which cards to show and lays them out as the specification asks (summary under 140 characters,
indicator from the alert's severity, markdown detail, source with a topic coding, links, suggestions
with ``selectionBehavior``, override reasons on warnings).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from hfs_pathway._catalog import ALERTS, RECOMMENDATIONS
from hfs_pathway._citations import citation
from hfs_pathway._errors import PathwayError
from hfs_pathway._explain import requirements_for
from hfs_pathway._pathway import Pathway
from hfs_pathway._results import Alert, Evaluation
from hfs_pathway._vocabulary import SEVERITIES_BY_URGENCY, Severity, Stage

NAMESPACE = "https://hfs-pathway.github.io/hfs-pathway/fhir/"
# The same code systems as the FHIR mapping (hfs_pathway.fhir._codes), documented on the FHIR page.
STAGE_SYSTEM = NAMESPACE + "CodeSystem/stage"
ALERT_SYSTEM = NAMESPACE + "CodeSystem/alert"
CHECK_SYSTEM = NAMESPACE + "CodeSystem/cds-order-check"
OVERRIDE_SYSTEM = NAMESPACE + "CodeSystem/cds-override-reason"
FINDING_SYSTEM = NAMESPACE + "CodeSystem/import-finding"
SOURCE_LABEL = "hfs-pathway"
SUMMARY_LIMIT = 139

OVERRIDE_REASONS: tuple[dict[str, str], ...] = tuple(
    {"system": OVERRIDE_SYSTEM, "code": code, "display": display}
    for code, display in (
        ("clinically-assessed", "Assessed by the clinician: not applicable to this patient"),
        ("patient-preference", "The patient's informed preference"),
        ("already-addressed", "Already addressed elsewhere"),
        ("record-incomplete", "The record is incomplete or wrong"),
    )
)
"""The reasons a clinician can give for overriding a warning (each Coding with a display, as required)."""


def stage_label(stage: Stage) -> str:
    return stage.value.replace("_", " ")


def stage_url(docs_url: str, stage: Stage) -> str:
    return f"{docs_url}/stages/{stage.value}/"


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """``text`` cut to fit ``limit`` characters, ending in an ellipsis when cut. It is cut between words,
    never inside one: a date or a dose cut short would read as another date or dose."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rfind(" ")
    if cut > 0:
        head = head[:cut]
    return head.rstrip(" ,;:-") + "…"


@cache
def _cite(citation_id: str) -> str:
    try:
        source = citation(citation_id)
    except KeyError:
        return f"[{citation_id}]"
    year = f" ({source.year})" if source.year else ""
    label = f"[{citation_id}] {source.short_title}{year}"
    return f"[{_escape(label)}]({source.url})" if source.url else _escape(label)


def _escape(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]")


def evidence_markdown(evidence: Iterable[str]) -> str:
    return "; ".join(_cite(e) for e in evidence)


def _card(
    *,
    summary: str,
    indicator: Severity | str,
    detail: str,
    docs_url: str,
    stage: Stage,
    topic: Mapping[str, str],
    links: Sequence[Mapping[str, str]] = (),
    suggestions: Sequence[Mapping[str, Any]] = (),
    override: bool = False,
) -> dict[str, Any]:
    url = stage_url(docs_url, stage)
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": shorten(summary),
        "indicator": str(indicator),
        "detail": detail,
        "source": {"label": SOURCE_LABEL, "url": url, "topic": dict(topic)},
        "links": [
            {"label": f"hfs-pathway guide: {stage_label(stage)}", "url": url, "type": "absolute"},
            *(dict(link) for link in links),
        ],
    }
    if suggestions:
        card["suggestions"] = list(suggestions)
        card["selectionBehavior"] = "any"
    if override:
        card["overrideReasons"] = [dict(reason) for reason in OVERRIDE_REASONS]
    return card


def current_alerts(evaluation: Evaluation) -> list[Alert]:
    """The alerts that matter now: the evaluation's active ones (R2.11). Alerts that are history stay in the
    evaluation but get no card: a discharged patient's old red flag is not shown as current."""
    return [a for a in evaluation.alerts if a.active]


def _order_suggestion(order: Mapping[str, Any]) -> dict[str, Any]:
    code = order.get("code")
    label = "the proposed order"
    if isinstance(code, Mapping):
        displays = [c.get("display") for c in code.get("coding", ()) if isinstance(c, Mapping) and c.get("display")]
        label = str(code.get("text") or (displays[0] if displays else label))
    return {
        "label": shorten(f"Propose: {label}", 80),
        "uuid": str(uuid.uuid4()),
        "isRecommended": True,
        "actions": [
            {
                "type": "create",
                "description": shorten(f"Create a proposal (ServiceRequest, intent proposal): {label}", 200),
                "resource": dict(order),
            }
        ],
    }


def stage_card(
    evaluation: Evaluation,
    *,
    docs_url: str,
    orders: Sequence[Mapping[str, Any]] = (),
    links: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The card saying where the patient stands and what the pathway proposes next."""
    stage = evaluation.stage
    recommendations = evaluation.recommendations
    lines = [
        f"**Stage: {stage_label(stage)}.** Hemifacial spasm pathway, evaluated as of "
        f"{evaluation.as_of.isoformat()} ({evaluation.guideline_name} {evaluation.guideline_version}).",
        "",
    ]
    if recommendations:
        lines.append("Proposed next steps (a clinician decides):")
        lines.append("")
        for rec in recommendations:
            due = f" Due {rec.due.isoformat()}." if rec.due else ""
            lines.append(f"- **{rec.text}**{due} {rec.rationale} Evidence: {evidence_markdown(rec.evidence)}")
    else:
        lines.append("No further step is proposed at this stage.")
    risk = evaluation.risk_benefit
    if risk is not None:
        lines += [
            "",
            f"Latest surgical risk-benefit assessment ({risk.date.isoformat()}): **{risk.verdict.value}**, "
            f"{risk.verdict_reason} Evidence: {evidence_markdown(risk.evidence)}",
        ]
    if recommendations:
        first = RECOMMENDATIONS.get(recommendations[0].code)
        title = first.title if first else recommendations[0].text
        summary = f"Hemifacial spasm, {stage_label(stage)}: {title}"
    else:
        summary = f"Hemifacial spasm pathway: {stage_label(stage)}"
    return _card(
        summary=summary,
        indicator=Severity.INFO,
        detail="\n".join(lines),
        docs_url=docs_url,
        stage=stage,
        topic={"system": STAGE_SYSTEM, "code": stage.value, "display": stage_label(stage)},
        links=links,
        suggestions=[_order_suggestion(order) for order in orders],
    )


def alert_card(alert: Alert, stage: Stage, *, docs_url: str, links: Sequence[Mapping[str, str]] = ()) -> dict[str, Any]:
    """One alert as a card: its severity is the indicator; warnings and critical alerts can be overridden."""
    kind = ALERTS.get(alert.code)
    title = kind.title if kind else alert.code.replace("_", " ")
    when = f" Raised on {alert.date.isoformat()}." if alert.date and alert.event_index is not None else ""
    detail = f"**{title}.** {alert.text}{when}\n\n{alert.rationale}\n\nEvidence: {evidence_markdown(alert.evidence)}"
    return _card(
        summary=alert.text if len(alert.text) <= SUMMARY_LIMIT else title,
        indicator=alert.severity,
        detail=detail,
        docs_url=docs_url,
        stage=stage,
        topic={"system": ALERT_SYSTEM, "code": alert.code, "display": title},
        links=links,
        override=alert.severity is not Severity.INFO,
    )


def patient_view_cards(
    evaluation: Evaluation,
    *,
    docs_url: str,
    orders: Sequence[Mapping[str, Any]] = (),
    links: Sequence[Mapping[str, str]] = (),
) -> list[dict[str, Any]]:
    """The cards of ``patient-view``: current alerts, most urgent first, then the stage card."""
    alerts = sorted(current_alerts(evaluation), key=lambda a: SEVERITIES_BY_URGENCY.index(a.severity))
    cards = [alert_card(a, evaluation.stage, docs_url=docs_url, links=links) for a in alerts]
    cards.append(stage_card(evaluation, docs_url=docs_url, orders=orders, links=links))
    return cards


def toxin_interval_card(
    evaluation: Evaluation,
    planned: dt.date,
    *,
    min_interval_days: int,
    docs_url: str,
) -> dict[str, Any] | None:
    """A warning when a toxin order falls before the minimum interval after the last injection."""
    if not evaluation.botox_cycles:
        return None
    last = max(cycle.injection_date for cycle in evaluation.botox_cycles)
    earliest = last + dt.timedelta(days=min_interval_days)
    if planned >= earliest:
        return None
    kind = ALERTS["reinjection_interval_too_short"]
    check = "Check the order's date: it is before the last recorded injection. " if planned < last else ""
    detail = (
        f"**{kind.title}.** The order is for {planned.isoformat()}, {_relative_to(planned, last)} "
        f"({last.isoformat()}); the minimum interval is {min_interval_days} days. {check}"
        f"**Earliest safe date: {earliest.isoformat()}.**\n\n{kind.rationale}\n\n"
        f"Evidence: {evidence_markdown(kind.evidence)}"
    )
    return _card(
        summary=f"Botulinum toxin under the {min_interval_days}-day minimum interval: earliest safe date "
        f"{earliest.isoformat()}",
        indicator=Severity.WARNING,
        detail=detail,
        docs_url=docs_url,
        stage=Stage.BOTULINUM_TOXIN,
        topic={"system": ALERT_SYSTEM, "code": kind.code, "display": kind.title},
        override=True,
    )


def _relative_to(planned: dt.date, last: dt.date) -> str:
    """Where ``planned`` falls relative to the last injection, in words ("3 days before ...", "1 day after ...")."""
    days = (planned - last).days
    if days == 0:
        return "the same day as the last injection"
    count = f"{abs(days)} day{'' if abs(days) == 1 else 's'}"
    return f"{count} {'after' if days > 0 else 'before'} the last injection"


def mvd_checkpoint_card(
    pathway: Pathway, evaluation: Evaluation, *, as_of: dt.date, docs_url: str
) -> dict[str, Any] | None:
    """The risk-benefit checkpoint, checked now for an MVD referral being ordered."""
    if evaluation.stage in (Stage.MVD_REFERRAL, Stage.POST_MVD) or evaluation.final:
        return None
    needs = requirements_for(pathway, Stage.MVD_REFERRAL, as_of)
    # Informing the patient and their consent are given with the decision itself, which the order is;
    # the card asks for them to be confirmed, but only the other conditions make it a warning.
    own = ("the patient was informed", "the patient consents")
    blocking = [c for c in needs.unmet if not c.startswith(own)]
    confirm = [c for c in needs.unmet if c.startswith(own)]
    lines = [f"**Microvascular decompression referral: risk-benefit checkpoint** (as of {as_of.isoformat()})", ""]
    lines += [f"- Not met: {c}" for c in blocking]
    lines += [f"- To confirm with the referral: {c}" for c in confirm]
    lines += [f"- Met: {c}" for c in needs.met]
    risk = evaluation.risk_benefit
    if risk is not None:
        lines += [
            "",
            f"Latest assessment ({risk.date.isoformat()}): **{risk.verdict.value}**, {risk.verdict_reason}",
            "",
            *(f"- {b.text}: {b.percent_low:g}-{b.percent_high:g}%" for b in risk.benefits),
            *(f"- {r.text}: {r.percent_low:g}-{r.percent_high:g}%" for r in risk.risks),
            "",
            f"Evidence: {evidence_markdown(risk.evidence)}",
        ]
    if blocking:
        summary = f"MVD referral: risk-benefit checkpoint not satisfied ({len(blocking)} condition(s) unmet)"
        indicator = Severity.WARNING
    else:
        summary = "MVD referral: checkpoint met; confirm the patient is informed and consents"
        indicator = Severity.INFO
    return _card(
        summary=summary,
        indicator=indicator,
        detail="\n".join(lines),
        docs_url=docs_url,
        stage=Stage.SURGICAL_EVALUATION,
        topic={"system": CHECK_SYSTEM, "code": "mvd_checkpoint", "display": "Risk-benefit checkpoint for MVD"},
        override=indicator is Severity.WARNING,
    )


def unplaced_card(error: PathwayError, *, docs_url: str) -> dict[str, Any]:
    """A record whose events do not follow the pathway: say so, and why, instead of guessing."""
    detail = (
        "**The pathway cannot place this record.** The patient's recorded events do not follow the hemifacial "
        f"spasm pathway ({error.code}): {error.message}\n\nNo pathway advice is given until the record is "
        "corrected or completed."
    )
    return _card(
        summary="Hemifacial spasm pathway: the record does not follow the pathway; no advice given",
        indicator=Severity.INFO,
        detail=detail,
        docs_url=docs_url,
        stage=Stage.PRESENTATION,
        topic={"system": CHECK_SYSTEM, "code": "record_not_on_pathway", "display": "Record off the pathway"},
    )


def incomplete_card(keys: Sequence[str], why: str, *, docs_url: str) -> dict[str, Any]:
    """Part of the record could not be had (the EHR reported its query failed, or sent only its first page):
    say which, instead of answering as if the patient had nothing recorded."""
    names = ", ".join(keys)
    detail = (
        "**Part of the patient's record could not be read**, so no pathway advice is given: advice from part of "
        f"a record can be wrong (a missed injection changes the safe interval).\n\nMissing: {names}. The EHR "
        f"reported that it could not supply them, or sent only part of them, and {why}.\n\nOpen the card again "
        "when the record can be read, or check the pathway by hand."
    )
    return _card(
        summary=f"Hemifacial spasm pathway: record incomplete ({names}); no advice given",
        indicator=Severity.WARNING,
        detail=detail,
        docs_url=docs_url,
        stage=Stage.PRESENTATION,
        topic={"system": CHECK_SYSTEM, "code": "record_incomplete", "display": "Record could not be read in full"},
        override=True,
    )


def finding_card(finding: Any, stage: Stage, *, docs_url: str) -> dict[str, Any]:
    """Something about the record itself the FHIR import noticed (a treatment recorded before imaging, an
    incomplete diagnosis): the clinician should check the record, so warnings can be overridden."""
    severity = Severity(str(finding.severity))
    title = str(finding.code).replace("_", " ").capitalize()
    detail = (
        f"**{title}.** {finding.text}\n\nThis is about the record as read from FHIR, not about the patient's "
        "care: the pathway's advice assumes the record is complete and in order. See the FHIR mapping guide for "
        f"how records are read: {docs_url}/fhir/"
    )
    return _card(
        summary=str(finding.text) if len(str(finding.text)) <= SUMMARY_LIMIT else f"Check the record: {title}",
        indicator=severity,
        detail=detail,
        docs_url=docs_url,
        stage=stage,
        topic={"system": FINDING_SYSTEM, "code": str(finding.code), "display": title},
        override=severity is not Severity.INFO,
    )
