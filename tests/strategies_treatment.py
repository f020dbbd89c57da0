"""Field strategies for the diagnosis and conservative treatment: presentation, imaging, secondary cause, treatment
decision, oral medication, review visits, red flags and leaving care (see ``tests.strategies``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from tests import strategies_workup as workup
from tests.strategies_base import (
    DRUGS,
    EXIT_REASONS,
    MEDICATION_EFFECTS,
    MEDICATION_RESPONSES,
    OTHER_IMPRESSIONS,
    PRESENTATION_FINDINGS,
    PRESENTATION_HISTORY,
    RED_FLAGS,
    SECONDARY_FINDINGS,
    SECONDARY_OUTCOMES,
    VESSELS,
    Context,
    Strategy,
    days,
    mostly,
    mostly_true,
    notes,
    numbers,
    rarely_true,
    severity_fields,
)


@st.composite
def presentation_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "side": draw(mostly("left", ("right", "bilateral"), 3)),
        "onset_region": draw(mostly("periocular", ("lower_face", "other"))),
        "clinical_impression": draw(
            st.sampled_from(OTHER_IMPRESSIONS)
            if draw(rarely_true(8))
            else mostly("hemifacial_spasm", ("uncertain",), 4)
        ),
    }
    for name in (*PRESENTATION_FINDINGS, *PRESENTATION_HISTORY):
        if draw(rarely_true(3)):
            fields[name] = draw(rarely_true(4))
    for name in ("persists_in_sleep", "other_babinski_sign"):
        if draw(rarely_true(2)):
            fields[name] = draw(st.none() | st.booleans())
    if draw(st.booleans()):
        earliest = max(ctx.birth_date or dt.date(1900, 1, 1), on - days(365 * 40))
        fields["symptom_onset_date"] = draw(st.dates(earliest, on)).isoformat()
    fields.update(draw(st.fixed_dictionaries({}, optional={**severity_fields(), "note": notes()})))
    fields.update(workup.presentation_extras(draw))
    return fields


@st.composite
def imaging_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    modality = draw(mostly("mri", ("ct",), 4))
    finding = draw(st.sampled_from(("neurovascular_conflict",) * 6 + ("no_abnormality",) * 2 + SECONDARY_FINDINGS))
    fields: dict[str, Any] = {"modality": modality, "finding": finding}
    if modality == "mri" and draw(st.booleans()):
        fields["high_resolution_t2"] = draw(st.booleans())
    for name in ("angiography", "contrast"):
        if draw(st.booleans()):
            fields[name] = draw(st.booleans())
    if finding == "neurovascular_conflict" and draw(mostly_true(2)):
        fields["offending_vessel"] = draw(mostly("aica", VESSELS[1:], 3))
    return workup.imaging_extras(draw, ctx, fields)


def secondary_outcome_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"outcome": mostly("spasm_persists", SECONDARY_OUTCOMES[1:], 3)})


def treatment_decision_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "option": mostly("botulinum_toxin", ("surgical_evaluation", "oral_medication", "observation"), 3),
            "shared_decision": mostly_true(),
        },
        optional={"note": notes()},
    )


def medication_started_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"drug": st.sampled_from(DRUGS), "dose_mg_per_day": numbers(0.5, 2400)},
        optional={"hla_b1502_tested": st.booleans()},
    )


def medication_review_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "response": mostly("good", MEDICATION_RESPONSES[1:], 2),
            "adverse_effects": mostly("none", MEDICATION_EFFECTS[1:], 2),
        }
    )


def red_flag_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"finding": st.sampled_from(RED_FLAGS)})


def review_visit_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"wants_treatment": st.booleans()}, optional={**severity_fields(), "note": notes()})


def exit_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"reason": st.sampled_from(EXIT_REASONS)})
