"""Field strategies for the risk-benefit checkpoint and surgery: risk assessment, decision, operation, referral closed,
reviews after MVD and recurrence (see ``tests.strategies``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from hfs_pathway import (
    Stage,
)
from tests.strategies_base import (
    COMPLICATIONS,
    CONSERVATIVE_OPTIONS,
    REFERRAL_CLOSED_REASONS,
    SPASM_OUTCOMES,
    VESSELS,
    Context,
    Strategy,
    mostly,
    mostly_true,
    notes,
    rarely_true,
)


@st.composite
def risk_assessment_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "asa_class": draw(st.sampled_from((1, 1, 2, 2, 2, 3, 3, 4, 5))),
        "diabetes": draw(rarely_true(3)),
        "hypertension": draw(rarely_true(2)),
        "anticoagulation": draw(rarely_true(3)),
        "prior_posterior_fossa_surgery": draw(rarely_true(6)),
        "baseline_audiometry_done": draw(mostly_true(2)),
    }
    if fields["anticoagulation"] and draw(mostly_true(2)):
        fields["anticoagulation_can_pause"] = draw(mostly_true(2))
    return fields


@st.composite
def risk_benefit_decision_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    decision = draw(mostly("refer_for_mvd", ("continue_conservative",), 3))
    fields: dict[str, Any] = {
        "decision": decision,
        "patient_informed": draw(mostly_true(8)),
        "patient_consents": draw(mostly_true(5)) if decision == "refer_for_mvd" else draw(st.booleans()),
    }
    if decision == "continue_conservative":
        fields["next_option"] = draw(st.sampled_from(CONSERVATIVE_OPTIONS))
    elif draw(st.booleans()):
        fields["override_reason"] = draw(
            st.sampled_from(("patient's informed choice after counselling", "disabling spasm", "MDT agreed"))
        )
    return fields


@st.composite
def mvd_performed_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    """After a referral or as an early redo, now and then marked outside_pathway; from any other stage the
    operation was done elsewhere, so it is marked outside_pathway (R2.13-R2.15)."""
    fields = draw(
        st.fixed_dictionaries(
            {}, optional={"lsr_resolved": st.booleans(), "offending_vessel": st.sampled_from(VESSELS)}
        )
    )
    if ctx.stage not in (Stage.MVD_REFERRAL, Stage.POST_MVD) or draw(rarely_true(6)):
        fields["outside_pathway"] = True
    return fields


def recurrence_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={"note": notes()})


def referral_closed_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"reason": st.sampled_from(REFERRAL_CLOSED_REASONS)})


def post_mvd_review_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    complication = st.fixed_dictionaries({"type": st.sampled_from(COMPLICATIONS), "permanent": rarely_true(2)})
    return st.fixed_dictionaries(
        {"spasm": mostly("resolved", SPASM_OUTCOMES[1:], 2)},
        optional={"complications": st.lists(complication, max_size=2)},
    )
