"""Plain-text views for a clinician reading a terminal: the evaluation and the guideline."""

from __future__ import annotations

from ._guideline import Guideline
from ._hfs import HFS_PATHWAY
from ._results import Evaluation
from ._vocabulary import SEVERITIES_BY_URGENCY

_RULE = "-" * 78


def render_evaluation(evaluation: Evaluation) -> str:
    """The evaluation at a glance: stage, next steps with due dates, alerts by severity, toxin cycles."""
    e = evaluation
    lines = [
        f"Patient {e.patient_id} - as of {e.as_of.isoformat()}",
        f"Guideline: {e.guideline_name} (version {e.guideline_version})",
        _RULE,
        f"STAGE  {e.stage.value}{'  (final)' if e.final else ''}",
        f"       {HFS_PATHWAY.stage_info(e.stage).meaning}",
        "",
        "NEXT STEPS",
    ]
    if not e.recommendations:
        lines.append("  none: the pathway is complete" if e.final else "  none")
    for r in e.recommendations:
        due = r.due.isoformat() if r.due else "-"
        lines.append(f"  {due:<10}  {r.text}  [{r.code}]")
    lines += ["", "ALERTS"]
    if not e.alerts:
        lines.append("  none")
    for severity in SEVERITIES_BY_URGENCY:
        group = [a for a in e.alerts if a.severity is severity]
        if not group:
            continue
        lines.append(f"  {severity.value.upper()} ({len(group)})")
        for a in group:
            when = a.date.isoformat() if a.date else "-"
            source = f"event {a.event_index}" if a.event_index is not None else f"as of {e.as_of.isoformat()}"
            lines.append(f"    {when}  {a.text}  [{a.code}; {source}]")
    if e.botox_cycles:
        lines += ["", "BOTULINUM TOXIN CYCLES"]
        lines.append(
            f"  {'#':>2}  {'injected':<10}  {'product':<19} {'units':>6} {'interval':>9}  "
            f"{'response':<12} {'benefit':>8} {'peak':>5}"
        )
        for n, c in enumerate(e.botox_cycles, 1):
            interval = f"{c.interval_days} d" if c.interval_days is not None else "-"
            benefit = f"{c.benefit_duration_days} d" if c.benefit_duration_days is not None else "-"
            peak = f"{c.peak_improvement_percent:g}%" if c.peak_improvement_percent is not None else "-"
            response = c.response_class.value if c.response_class else "pending"
            if c.poorly_tolerated:
                response += "*"
            lines.append(
                f"  {n:>2}  {c.injection_date.isoformat():<10}  {c.product.value:<19} "
                f"{c.total_units:>6g} {interval:>9}  "
                f"{response:<12} {benefit:>8} {peak:>5}"
            )
        if any(c.poorly_tolerated for c in e.botox_cycles):
            lines.append("  * significant adverse effects")
    rb = e.risk_benefit
    if rb is not None:
        lines += [
            "",
            f"RISK-BENEFIT CHECKPOINT  {rb.verdict.value.upper()}  (assessed {rb.date.isoformat()}, "
            f"valid until {rb.valid_until.isoformat()})",
            f"  Verdict: {rb.verdict_reason}",
        ]
        lines += [f"  - {m.text}" for m in rb.modifiers]
        lines.append("  Outcome on spasm:")
        lines += [f"    {_pct(b.percent_low, b.percent_high):>8}  {b.text}" for b in rb.benefits]
        lines.append("  Risks of surgery:")
        lines += [f"    {_pct(r.percent_low, r.percent_high):>8}  {r.text}" for r in rb.risks]
    lines += [
        _RULE,
        "Decision support only: every item is a proposal for the treating clinician, who decides.",
    ]
    return "\n".join(lines)


def _pct(low: float, high: float) -> str:
    return f"{low:g}%" if low == high else f"{low:g}-{high:g}%"


def render_guideline(guideline: Guideline) -> str:
    """Every parameter with its value, unit, evidence and description."""
    lines = [f"{guideline.name} (version {guideline.version}, contract revision {guideline.contract_revision})", _RULE]
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
