"""Field strategies for botulinum toxin: injections, responses and plan adjustments (see ``tests.strategies``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from tests.strategies_base import (
    ADJUSTMENTS,
    PRODUCTS,
    TOXIN_EFFECTS,
    Context,
    Strategy,
    mostly,
    mostly_true,
    numbers,
    rarely_true,
)

USUAL_UNITS = {
    "onabotulinumtoxinA": (5, 90),
    "abobotulinumtoxinA": (20, 260),
    "incobotulinumtoxinA": (5, 90),
    "rimabotulinumtoxinB": (250, 5000),
}
"""Doses drawn per product: mostly in the usual range, sometimes above it."""


@st.composite
def injection_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    product = draw(mostly("onabotulinumtoxinA", PRODUCTS[1:], 3))
    fields: dict[str, Any] = {"product": product, "total_units": draw(numbers(*USUAL_UNITS[product]))}
    if draw(st.booleans()):
        fields["sites"] = draw(st.integers(1, 12))
    return fields


@st.composite
def response_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    """A response whose benefit never lasted longer than the time since the injection."""
    elapsed = (on - ctx.last_injection).days if ctx.last_injection is not None else 365
    fields: dict[str, Any] = {"peak_improvement_percent": draw(numbers(0, 100))}
    benefit = None
    if draw(mostly_true(4)):
        benefit = draw(st.integers(0, max(0, min(elapsed, 365))))
        fields["benefit_duration_days"] = benefit
    if draw(rarely_true(2)):
        fields["onset_days"] = draw(st.integers(0, min(60, 60 if benefit is None else benefit)))
    effects = draw(st.lists(st.sampled_from(TOXIN_EFFECTS), unique=True, max_size=2))
    if effects:
        fields["adverse_effects"] = effects
        fields["adverse_effect_severity"] = draw(st.sampled_from(("mild", "significant")))
    elif draw(st.booleans()):
        fields["adverse_effect_severity"] = "none"
    if draw(rarely_true(3)):
        fields["benefit_ongoing"] = True  # recorded at the 28-day review, before the benefit wore off
    return fields


def plan_adjusted_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"adjustment": st.sampled_from(ADJUSTMENTS)})
