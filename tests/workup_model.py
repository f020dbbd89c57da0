"""An independent reading of the imaging work-up of revision 2 (R2.1-R2.3, R2.14, R2.15), for the safety invariants.

The property tests compare the library against this small model written from the spec, not against the library's
own ``_workup`` module: which tier a presentation or red flag calls for, which study closes it, when a study on
record only needs its finding recorded, and when the patient declined with informed refusal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

DEFICITS = ("facial_weakness", "facial_numbness", "hearing_loss", "other_cranial_nerve_signs")
DEFICITS += ("long_tract_or_cerebellar_signs",)
NULLABLE = (*DEFICITS, "tonic_contraction", "rapid_progression")
CONTRAST_HISTORY = ("tonic_contraction", "multiple_sclerosis", "facial_trauma", "prior_facial_palsy")
CONTRAST_HISTORY += ("prior_posterior_fossa_or_parotid_lesion", "facial_pain", "head_neck_or_skin_cancer_history")
SECONDARY = frozenset({"tumour", "demyelination", "vascular_malformation", "other_structural"})
RANK = {"routine": 0, "contrast": 1, "urgent": 2}
COMPLICATION_WINDOW_DAYS = 30
ORDER_CODES = frozenset({"order_mri", "order_contrast_mri", "urgent_contrast_mri"})


@dataclass(frozen=True)
class WorkupState:
    tier: str
    opened: dt.date
    status: str = "open"  # open, closed or declined
    pending_finding: dt.date | None = None
    """The date of a study that would close the tier but whose finding is not coded: record it, do not re-order."""

    @property
    def open(self) -> bool:
        return self.status == "open"


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def presentation_tier(p: Any, birth: dt.date | None) -> str:
    """R2.1, R2.14, R2.15: urgent for a new or progressive deficit, a fast course, an acute deficit or a child;
    contrast for the features that favour a secondary cause; routine otherwise."""
    progressive = p.rapid_progression is True
    urgent = progressive or p.acute_onset
    contrast = False
    for name in DEFICITS:
        if getattr(p, name) is True:
            explained = name == "facial_weakness" and p.prior_facial_palsy
            if progressive or not (p.deficits_stable or explained):
                urgent = True
            else:
                contrast = True
    if birth is not None:
        onset = _age(birth, p.symptom_onset_date or p.date)
        urgent = urgent or _age(birth, p.date) < 18
        contrast = contrast or onset < 40
    contrast = contrast or p.onset_region == "lower_face" or p.side == "bilateral"
    contrast = contrast or any(getattr(p, name) is True for name in CONTRAST_HISTORY)
    contrast = contrast or any(getattr(p, name) is None for name in NULLABLE)
    return "urgent" if urgent else "contrast" if contrast else "routine"


def _raise(state: WorkupState | None, tier: str, on: dt.date) -> WorkupState:
    if state is None or not state.open:
        return WorkupState(tier, on)
    # A study before the new red flag cannot close the raised work-up, coded or not.
    return WorkupState(max(tier, state.tier, key=RANK.__getitem__), on)


def _closes(state: WorkupState, modality: str, contrast: bool, date: dt.date, study: Any) -> bool:
    if date < state.opened:
        return False
    if modality == "mri":
        return contrast or state.tier == "routine" or study.contrast_withheld is not None
    if study.mri_not_possible not in ("device", "other"):
        return False
    return contrast or state.tier == "routine"


def workup_after(events: Sequence[Any], history: Sequence[Any], birth: dt.date | None) -> WorkupState | None:
    """The work-up after ``events`` (with their ``history`` entries), read from the spec."""
    state: WorkupState | None = None
    studies: list[Any] = []
    surgery: dt.date | None = None
    for event, entry in zip(events, history, strict=False):
        kind = event.type
        if kind == "presentation":
            if entry.to_stage == "imaging":
                state = WorkupState(presentation_tier(event, birth), event.date)
        elif kind == "mvd_performed":
            surgery = event.date
        elif kind == "red_flag":
            complication = (
                entry.from_stage == "post_mvd"
                and surgery is not None
                and event.finding in ("facial_weakness", "hearing_loss")
                and (event.date - surgery).days <= COMPLICATION_WINDOW_DAYS
            )
            if not complication:
                tonic = event.finding == "tonic_contraction" and not event.acute_onset
                state = _raise(state, "contrast" if tonic else "urgent", event.date)
        elif kind != "imaging_result" and entry.to_stage == "imaging" and entry.from_stage != "imaging":
            state = _raise(state, "contrast", event.date)  # e.g. a recurrence after a secondary cause
        elif kind == "imaging_result":
            studies.append(event)
            state = _study(state, event, event.finding, event.date)
        if kind == "imaging_finding_recorded":
            study = next(s for s in reversed(studies) if s.date == event.study_date and s.finding == "not_coded")
            studies[studies.index(study)] = study.model_copy(update={"finding": event.finding})
            if state is not None and (event.finding in SECONDARY or study.date >= state.opened):
                if state.open and state.pending_finding == study.date:
                    state = replace(state, pending_finding=None)
                state = _study(state, study, event.finding, study.date)
        elif kind == "imaging_declined" and event.informed and state is not None and state.open:
            state = replace(state, status="declined")
    return state


def _study(state: WorkupState | None, study: Any, finding: str, date: dt.date) -> WorkupState | None:
    if state is None:
        return None
    if finding in SECONDARY:
        return replace(state, status="closed", pending_finding=None)
    closes = _closes(state, study.modality, study.contrast, date, study)
    if state.status == "declined":
        return replace(state, status="closed") if closes and finding != "not_coded" else state
    if not state.open:
        return state
    if finding == "not_coded":
        return replace(state, pending_finding=date) if closes else state
    return replace(state, status="closed", pending_finding=None) if closes else state


def latest_finding(events: Sequence[Any]) -> str | None:
    """The finding of the latest study, as coded so far."""
    studies = [e for e in events if e.type == "imaging_result"]
    if not studies:
        return None
    latest = studies[-1]
    coded = [e for e in events if e.type == "imaging_finding_recorded" and e.study_date == latest.date]
    return str(coded[-1].finding) if coded else str(latest.finding)


def override_needed_for_workup(state: WorkupState | None, events: Sequence[Any]) -> bool:
    """R2.2, R2.15, invariant 1: a referral needs an override while the work-up is incomplete, declined, or the
    latest finding is not coded."""
    if latest_finding(events) == "not_coded":
        return True
    return state is not None and (state.status == "declined" or state.open)


TIER_ORDER = {"routine": "order_mri", "contrast": "order_contrast_mri", "urgent": "urgent_contrast_mri"}


def check_outstanding_work_up(pathway: Any, evaluation: Any) -> WorkupState | None:
    """Invariant 10 (R2.12 as revised by R2.15), and the outstanding order in general.

    From an urgent red flag until the work-up is closed or declined with informed refusal, every evaluation (unless
    exited) recommends ``urgent_contrast_mri`` (or, when only the finding of a study on record is missing,
    ``record_imaging_finding``: a study on record is not re-ordered) and carries ``red_flag_secondary_hfs``, active.
    More generally an open work-up's order (for its tier) is recommended in every stage from imaging on, and no
    imaging order is recommended once the work-up is closed or declined.
    """
    state = workup_after(pathway.events, pathway.history, pathway.patient.birth_date)
    if state is None or pathway.stage in ("exited", "presentation"):
        return state
    codes = [r.code for r in evaluation.recommendations]
    orders = [c for c in codes if c in ORDER_CODES or c == "record_imaging_finding"]
    recurrences = [e.date for e in pathway.events if e.type == "recurrence"]
    studies = [e.date for e in pathway.events if e.type == "imaging_result"]
    if recurrences and (not studies or studies[-1] < recurrences[-1]) and pathway.stage == "treatment_selection":
        # R2.15: a recurrence after discharge is imaged again before a second operation is weighed (its own order).
        assert "order_mri" in orders, codes
        orders.remove("order_mri")
    if state.open:
        expected = "record_imaging_finding" if state.pending_finding else TIER_ORDER[state.tier]
        assert orders == [expected], (state, codes)
        if state.tier == "urgent":
            flags = [a for a in evaluation.alerts if a.code == "red_flag_secondary_hfs"]
            assert flags, "an urgent work-up without red_flag_secondary_hfs"
            if hasattr(flags[0], "active"):
                assert any(a.active for a in flags), "red_flag_secondary_hfs is not active while the work-up is open"
    else:
        assert orders == [], (state, codes)
    return state
