"""Hypothesis strategies for the diagnostic work-up of revision 2 (R2.1-R2.3, R2.14, R2.15): the presentation's
nullable examination and new history fields, studies with a reason MRI was not possible or contrast was withheld,
findings not coded at first, and the events that book, decline or code the outstanding study.

``tests.strategies`` merges these into its tables; the vocabularies are written out from the spec on purpose.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

if TYPE_CHECKING:
    from tests.strategies_base import Context

Strategy = st.SearchStrategy

WORKUP_EVENT_TYPES = ("imaging_finding_recorded", "imaging_booked", "imaging_declined")
NULLABLE_FINDINGS = (
    "tonic_contraction",
    "facial_weakness",
    "facial_numbness",
    "hearing_loss",
    "other_cranial_nerve_signs",
    "rapid_progression",
    "long_tract_or_cerebellar_signs",
)
"""Examination findings that may be ``null``: not examined or not documented (R2.15)."""
NEW_PRESENTATION_FLAGS = ("deficits_stable", "acute_onset", "facial_pain", "head_neck_or_skin_cancer_history")
ORDER_CODES = frozenset({"order_mri", "order_contrast_mri", "urgent_contrast_mri"})
MRI_NOT_POSSIBLE = ("device", "claustrophobia", "other")
CONTRAST_WITHHELD = ("pregnancy", "renal_impairment", "contrast_allergy", "patient_declined")
CODED_FINDINGS = (
    "neurovascular_conflict",
    "no_abnormality",
    "tumour",
    "demyelination",
    "vascular_malformation",
    "other_structural",
)
WORKUP_VOCABULARY = (
    "not_coded",
    "postoperative_change",
    "long_tract_or_cerebellar_signs",
    *MRI_NOT_POSSIBLE,
    *CONTRAST_WITHHELD,
)

GAPS = {"imaging_finding_recorded": (0, 60), "imaging_booked": (0, 14), "imaging_declined": (0, 60)}
EXAMPLE_FIELDS: dict[str, dict[str, Any]] = {
    "imaging_finding_recorded": {"study_date": "2000-01-03", "finding": "no_abnormality"},
    "imaging_booked": {"booked_for": "2199-01-01"},
    "imaging_declined": {"informed": True},
}
REQUIRED_FIELDS = {
    "imaging_finding_recorded": frozenset({"study_date", "finding"}),
    "imaging_booked": frozenset({"booked_for"}),
    "imaging_declined": frozenset({"informed"}),
}
OUT_OF_RANGE: dict[str, tuple[tuple[str, Any], ...]] = {
    "imaging_finding_recorded": (("finding", "cyst"), ("finding", "not_coded"), ("offending_vessel", "basilar")),
    "imaging_booked": (("booked_for", "2025-02-30"), ("booked_for", "1899-12-31")),
    "imaging_declined": (("informed", "perhaps"),),
}
WRONG_TYPES: dict[str, tuple[tuple[str, Any], ...]] = {
    "imaging_finding_recorded": (("study_date", 20250101), ("finding", ["tumour"])),
    "imaging_booked": (("booked_for", 7),),
    "imaging_declined": (("informed", "yes"), ("informed", 1), ("informed", None)),
}


def presentation_extras(draw: st.DrawFn) -> dict[str, Any]:
    """Now and then a finding not examined (``null``), or one of the revision-2 history fields."""
    fields: dict[str, Any] = {}
    for name in NULLABLE_FINDINGS:
        roll = draw(st.integers(0, 12))
        if roll == 6:
            fields[name] = None
        elif roll == 7 and name in ("rapid_progression", "long_tract_or_cerebellar_signs"):
            fields[name] = True
    for name in NEW_PRESENTATION_FLAGS:
        if draw(st.integers(0, 10)) == 5:
            fields[name] = True
    if draw(st.integers(0, 16)) == 8:
        fields["onset_region"] = "unknown"
    return fields


def imaging_extras(draw: st.DrawFn, ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    """A reason MRI was not possible (CT) or contrast was withheld (MRI), a finding not coded, or a postoperative
    change after a recorded MVD."""
    roll = draw(st.integers(0, 10))
    if fields["modality"] == "ct" and roll < 6:
        fields["mri_not_possible"] = draw(st.sampled_from(MRI_NOT_POSSIBLE))
    if fields["modality"] == "mri" and not fields.get("contrast") and roll == 5:
        fields["contrast_withheld"] = draw(st.sampled_from(CONTRAST_WITHHELD))
    finding_roll = draw(st.integers(0, 12))
    if finding_roll == 6:
        fields["finding"] = "not_coded"
        fields.pop("offending_vessel", None)
    elif finding_roll == 7 and ctx.mvd_date is not None:
        fields["finding"] = "postoperative_change"
        fields.pop("offending_vessel", None)
    return fields


@st.composite
def finding_recorded_fields(draw: st.DrawFn, ctx: Context, on: dt.date) -> dict[str, Any]:
    uncoded = [d for d in ctx.uncoded_studies if d <= on]
    study = draw(st.sampled_from(uncoded)) if uncoded else on
    finding = draw(st.sampled_from(("neurovascular_conflict",) * 4 + CODED_FINDINGS))
    fields: dict[str, Any] = {"study_date": study.isoformat(), "finding": finding}
    if finding == "neurovascular_conflict" and draw(st.booleans()):
        fields["offending_vessel"] = draw(st.sampled_from(("aica", "pica", "vertebral", "vein", "multiple")))
    return fields


def booked_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"booked_for": st.integers(0, 45).map(lambda n: (on + dt.timedelta(n)).isoformat())})


def declined_fields(ctx: Context, on: dt.date) -> Strategy[dict[str, Any]]:
    return st.fixed_dictionaries({"informed": st.sampled_from((True, True, False))})


FIELDS = {
    "imaging_finding_recorded": finding_recorded_fields,
    "imaging_booked": booked_fields,
    "imaging_declined": declined_fields,
}


def uncoded_studies(events: Any) -> tuple[dt.date, ...]:
    """The dates of studies on record whose finding is still not coded (read from the accepted events)."""
    dates: list[dt.date] = []
    for event in events:
        if event.type == "imaging_result" and event.finding == "not_coded":
            dates.append(event.date)
        elif event.type == "imaging_finding_recorded" and event.study_date in dates:
            dates.remove(event.study_date)
    return tuple(dates)
