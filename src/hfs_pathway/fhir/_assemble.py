"""From the candidate events of single resources to the facts of the record, before the pathway sees them.

One record of care is often written several times (a report, the study and the procedure of one MRI; the
MedicationAdministration and the procedure of one injection, or one administration per injection site), and some
facts only make sense together (the red-flag findings recorded before the diagnosis belong to the presentation).
Each step here says what it merged or set aside, and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hfs_pathway._vocabulary import Side

from ._clinical import IMAGING_SOURCE_RANK, NULLABLE_FINDINGS
from ._context import RANK, Candidate, Context
from ._findings import SkippedResource, finding


def _skip(candidate: Candidate, reason: str) -> SkippedResource:
    return SkippedResource(candidate.where.resource_type, candidate.where.resource_id, reason)


def assemble(candidates: list[Candidate], context: Context, skipped: list[SkippedResource]) -> list[Candidate]:
    """The candidates, with the presentation completed, one imaging result per study and one injection per day."""
    candidates = _presentation(candidates, context, skipped)
    candidates = _one_study_per_day(candidates, skipped)
    return _one_injection_per_day(candidates, context, skipped)


def _presentation(candidates: list[Candidate], context: Context, skipped: list[SkippedResource]) -> list[Candidate]:
    """Complete the earliest presentation: its side (from every record of the diagnosis), ``unknown`` onset region
    and ``null`` findings when the record does not say them, and the red-flag findings recorded up to its date;
    later red-flag findings become ``red_flag`` events."""
    presentations = sorted(
        (c for c in candidates if c.event["type"] == "presentation"),
        key=lambda c: (c.event["date"], "side" not in c.event, c.where.reference, c.position),
    )
    out = list(candidates)
    forms = [c for c in presentations if c.where.resource_type == "QuestionnaireResponse"]
    if forms:  # the presentation form says what the diagnosis codes do not: it records the presentation
        for coded in [c for c in presentations if c.where.resource_type != "QuestionnaireResponse"]:
            out.remove(coded)
            skipped.append(_skip(coded, f"the presentation is recorded by the form {forms[0].where.reference}"))
        presentations = forms
    first = presentations[0] if presentations else None
    if first is not None:
        event = first.event
        if "side" not in event:
            sides = {side for side, _ in context.sides}
            if len(sides) == 1:
                event["side"] = next(iter(sides)).value
            else:
                out.remove(first)
                skipped.append(_skip(first, _side_problem(sides)))
                context.findings.append(_side_finding(first, sides, context))
                first = None
    if first is not None:
        _complete(first, context)
    at = dt.date.fromisoformat(first.event["date"]) if first is not None else None
    for fact in context.red_flags:
        if at is not None and fact.date <= at:
            first.event.setdefault(fact.field, fact.present)  # type: ignore[union-attr]
            reason = f"read into the presentation of {at.isoformat()} ({fact.field}: {str(fact.present).lower()})"
            skipped.append(SkippedResource(fact.where.resource_type, fact.where.resource_id, reason))
        elif fact.present:
            event = {
                "type": "red_flag",
                "date": fact.date.isoformat(),
                "finding": fact.field,
                "source": {"system": "fhir", "reference": fact.where.reference},
            }
            out.append(Candidate(event, fact.where, 1 << 30, RANK["red_flag"], fact.where.position))
        else:
            skipped.append(
                SkippedResource(
                    fact.where.resource_type, fact.where.resource_id, "a red-flag finding recorded as absent"
                )
            )
    return out


def _complete(candidate: Candidate, context: Context) -> None:
    event = candidate.event
    unsaid = [name for name in ("onset_region", *NULLABLE_FINDINGS) if name not in event]
    event.setdefault("onset_region", "unknown")
    flagged = {fact.field for fact in context.red_flags if fact.date <= dt.date.fromisoformat(event["date"])}
    for name in NULLABLE_FINDINGS:
        if name not in flagged:
            event.setdefault(name, None)  # not documented: not examined is not normal (R2.15)
    unsaid = [name for name in unsaid if name not in flagged]
    if unsaid:
        context.findings.append(
            finding(
                "presentation_not_documented",
                f"The hemifacial spasm diagnosis of {event['date']} does not say: {', '.join(unsaid)}. They are "
                "recorded as not documented (null), which the pathway does not read as normal; record them with "
                "the presentation questionnaire.",
                candidate.where,
                dt.date.fromisoformat(event["date"]),
            )
        )


def _side_problem(sides: set[Side]) -> str:
    if not sides:
        return "the diagnosis does not give the side (ICD-10-CM G51.31/G51.32/G51.33 or a laterality body site)"
    return f"the records of the diagnosis name different sides ({', '.join(sorted(s.value for s in sides))})"


def _side_finding(candidate: Candidate, sides: set[Side], context: Context) -> Any:
    day = dt.date.fromisoformat(candidate.event["date"])
    if not sides:
        return finding(
            "presentation_incomplete",
            f"The hemifacial spasm diagnosis recorded {day.isoformat()} does not say the side; the presentation "
            "cannot be placed on the pathway until it is recorded.",
            candidate.where,
            day,
        )
    named = "; ".join(f"{side.value} in {where.reference}" for side, where in context.sides)
    return finding(
        "side_conflict",
        f"The records of the hemifacial spasm diagnosis disagree about the side ({named}); none was chosen. "
        "Record the side with the presentation questionnaire.",
        candidate.where,
        day,
    )


def _one_study_per_day(candidates: list[Candidate], skipped: list[SkippedResource]) -> list[Candidate]:
    """A report, a study and a procedure of the same modality on one day are one imaging result: the report speaks
    for it, contrast if any record says so, and a coded finding wins over ``not_coded``."""
    groups: dict[tuple[str, str], list[Candidate]] = {}
    for candidate in candidates:
        if candidate.event["type"] == "imaging_result" and candidate.sequence == 1 << 30:
            groups.setdefault((candidate.event["date"], candidate.event["modality"]), []).append(candidate)
    out = [c for c in candidates if c.event["type"] != "imaging_result" or c.sequence != 1 << 30]
    for group in groups.values():
        group.sort(key=lambda c: (IMAGING_SOURCE_RANK.get(c.where.resource_type, 9), c.where.reference, c.position))
        lead = group[0]
        coded = [c for c in group if c.event.get("finding") not in (None, "not_coded")]
        if coded and lead.event.get("finding") == "not_coded":
            lead.event["finding"] = coded[0].event["finding"]
        if any(c.event.get("contrast") for c in group):
            lead.event["contrast"] = True
        out.append(lead)
        for other in group[1:]:
            skipped.append(_skip(other, f"the same {lead.event['modality']} study as {lead.where.reference}"))
    return out


def _one_injection_per_day(
    candidates: list[Candidate], context: Context, skipped: list[SkippedResource]
) -> list[Candidate]:
    """Toxin administrations of one day are one injection (one per injection site is common): their units add up
    when they name the same product; different products on one day are left out with a finding."""
    days: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        if candidate.event["type"] == "botox_injection" and candidate.sequence == 1 << 30:
            days.setdefault(candidate.event["date"], []).append(candidate)
    out = [c for c in candidates if c.event["type"] != "botox_injection" or c.sequence != 1 << 30]
    for day, group in days.items():
        group.sort(key=lambda c: (c.where.reference, c.position))
        products = {c.event["product"] for c in group}
        if len(products) > 1:
            for c in group:
                skipped.append(_skip(c, f"{len(products)} different toxin products on {day}: not one injection"))
            context.findings.append(
                finding(
                    "record_out_of_pathway",
                    f"Injections of {', '.join(sorted(products))} are recorded on {day}; the pathway counts one "
                    "product per injection. Check the record.",
                    group[0].where,
                    dt.date.fromisoformat(day),
                )
            )
            continue
        lead, parts = group[0], [group[0]]
        for other in group[1:]:
            if any(other.event["total_units"] == part.event["total_units"] for part in parts):
                # The same product and dose twice on one day: one fact recorded twice, never a double dose.
                skipped.append(_skip(other, f"the same botox_injection as {lead.where.label}"))
            else:
                parts.append(other)
                skipped.append(_skip(other, f"added to the injection of {day} ({lead.where.reference})"))
        if len(parts) > 1:
            total = sum(part.event["total_units"] for part in parts)
            lead.event["total_units"] = int(total) if float(total).is_integer() else total
        out.append(lead)
    context.resolve_injections(out, skipped)
    return out
