"""Revision 1 of the contract, as data: what a case could say before revision 2 (R2.1-R2.15) added to it.

A guideline declares the contract revision it was written for (``Guideline.contract_revision``; the reference
guideline and every guideline that does not say otherwise are of the current revision). Under a guideline that
declares revision 1, a case may only say what revision 1 could record: an event type, a field, a value or a
``null`` that revision 2 added is refused with ``invalid_case``, naming the event and what is new, instead of being
read under parameters that were never reviewed for it. The rules applied are always the current ones; revision-1
case files and saved pathways need no change to load and evaluate.

:data:`REVISION_1_EVENTS` is a snapshot of revision 1's event models and is never edited: each field with whether
it accepted ``null`` and, for a coded field, the values it accepted. Anything not in it is new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ._errors import InvalidCase
from ._events import Event
from ._vocabulary import CONTRACT_REVISION

if TYPE_CHECKING:
    from ._guideline import Guideline


class _Field(NamedTuple):
    nullable: bool
    values: frozenset[str] | None
    """The coded values revision 1 accepted; ``None`` for a field that is not coded."""


REVISION_1_EVENTS: dict[str, dict[str, _Field]] = {
    "presentation": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "side": _Field(False, frozenset({"left", "right", "bilateral"})),
        "onset_region": _Field(False, frozenset({"periocular", "lower_face", "other"})),
        "symptom_onset_date": _Field(True, None),
        "clinical_impression": _Field(
            False,
            frozenset(
                {
                    "hemifacial_spasm",
                    "uncertain",
                    "blepharospasm",
                    "post_facial_palsy_synkinesis",
                    "facial_myokymia",
                    "tic",
                    "functional",
                    "hemimasticatory_spasm",
                    "focal_seizure",
                    "other",
                }
            ),
        ),
        "tonic_contraction": _Field(False, None),
        "facial_weakness": _Field(False, None),
        "facial_numbness": _Field(False, None),
        "hearing_loss": _Field(False, None),
        "other_cranial_nerve_signs": _Field(False, None),
        "persists_in_sleep": _Field(True, None),
        "other_babinski_sign": _Field(True, None),
        "prior_facial_palsy": _Field(False, None),
        "facial_trauma": _Field(False, None),
        "multiple_sclerosis": _Field(False, None),
        "prior_posterior_fossa_or_parotid_lesion": _Field(False, None),
        "jrs_severity": _Field(True, None),
        "jrs_frequency": _Field(True, None),
        "smc_grade": _Field(True, None),
        "hfs7": _Field(True, None),
    },
    "imaging_result": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "modality": _Field(False, frozenset({"mri", "ct"})),
        "high_resolution_t2": _Field(False, None),
        "angiography": _Field(False, None),
        "contrast": _Field(False, None),
        "finding": _Field(
            False,
            frozenset(
                {
                    "neurovascular_conflict",
                    "no_abnormality",
                    "tumour",
                    "demyelination",
                    "vascular_malformation",
                    "other_structural",
                }
            ),
        ),
        "offending_vessel": _Field(True, frozenset({"aica", "pica", "vertebral", "vein", "multiple", "unknown"})),
    },
    "secondary_cause_outcome": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "outcome": _Field(False, frozenset({"spasm_persists", "resolved", "managed_elsewhere"})),
    },
    "treatment_decision": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "option": _Field(
            False, frozenset({"observation", "oral_medication", "botulinum_toxin", "surgical_evaluation"})
        ),
        "shared_decision": _Field(False, None),
    },
    "medication_started": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "drug": _Field(
            False,
            frozenset(
                {
                    "carbamazepine",
                    "oxcarbazepine",
                    "clonazepam",
                    "gabapentin",
                    "baclofen",
                    "levetiracetam",
                    "phenytoin",
                    "other",
                }
            ),
        ),
        "dose_mg_per_day": _Field(False, None),
        "hla_b1502_tested": _Field(True, None),
    },
    "medication_review": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "response": _Field(False, frozenset({"good", "partial", "none"})),
        "adverse_effects": _Field(False, frozenset({"none", "tolerable", "intolerable"})),
    },
    "botox_injection": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "product": _Field(
            False, frozenset({"onabotulinumtoxinA", "abobotulinumtoxinA", "incobotulinumtoxinA", "rimabotulinumtoxinB"})
        ),
        "total_units": _Field(False, None),
        "sites": _Field(True, None),
    },
    "botox_response": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "peak_improvement_percent": _Field(False, None),
        "benefit_duration_days": _Field(True, None),
        "onset_days": _Field(True, None),
        "adverse_effects": _Field(
            False,
            frozenset({"ptosis", "facial_weakness", "diplopia", "lagophthalmos", "dry_eye", "dysphagia", "other"}),
        ),
        "adverse_effect_severity": _Field(False, frozenset({"none", "mild", "significant"})),
    },
    "botox_plan_adjusted": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "adjustment": _Field(False, frozenset({"increase_dose", "change_sites", "switch_product"})),
    },
    "surgical_risk_assessment": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "asa_class": _Field(False, None),
        "diabetes": _Field(False, None),
        "hypertension": _Field(False, None),
        "anticoagulation": _Field(False, None),
        "prior_posterior_fossa_surgery": _Field(False, None),
        "baseline_audiometry_done": _Field(False, None),
        "anticoagulation_can_pause": _Field(True, None),
    },
    "risk_benefit_decision": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "decision": _Field(False, frozenset({"refer_for_mvd", "continue_conservative"})),
        "patient_informed": _Field(False, None),
        "patient_consents": _Field(False, None),
        "next_option": _Field(True, frozenset({"observation", "oral_medication", "botulinum_toxin"})),
        "override_reason": _Field(True, None),
    },
    "mvd_performed": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "lsr_resolved": _Field(True, None),
        "offending_vessel": _Field(True, frozenset({"aica", "pica", "vertebral", "vein", "multiple", "unknown"})),
    },
    "referral_closed": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "reason": _Field(False, frozenset({"surgeon_declined", "patient_declined"})),
    },
    "post_mvd_review": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "spasm": _Field(False, frozenset({"resolved", "improved", "unchanged", "recurred"})),
        "complications": _Field(False, None),
    },
    "red_flag": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "finding": _Field(
            False,
            frozenset(
                {
                    "facial_weakness",
                    "facial_numbness",
                    "hearing_loss",
                    "other_cranial_nerve_signs",
                    "tonic_contraction",
                    "rapid_progression",
                }
            ),
        ),
    },
    "review_visit": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "wants_treatment": _Field(False, None),
        "jrs_severity": _Field(True, None),
        "jrs_frequency": _Field(True, None),
        "smc_grade": _Field(True, None),
        "hfs7": _Field(True, None),
    },
    "pathway_exit": {
        "date": _Field(False, None),
        "note": _Field(True, None),
        "reason": _Field(
            False,
            frozenset(
                {"patient_declined_care", "lost_to_follow_up", "transferred", "deceased", "alternative_diagnosis"}
            ),
        ),
    },
}
"""Every event type of revision 1, its fields, and what each accepted."""


def revision_2_content(event: Event) -> str | None:
    """What in ``event`` revision 1 could not record, in words, or ``None`` when revision 1 could record it all."""
    fields = REVISION_1_EVENTS.get(event.type)
    if fields is None:
        return f"the event type {event.type!r}"
    for name in sorted(event.model_fields_set - {"type"}):
        field = fields.get(name)
        if field is None:
            return f"the field {name!r}"
        value = getattr(event, name)
        if value is None:
            if not field.nullable:
                return f"{name} null (not examined or not documented)"
            continue
        if field.values is not None:
            for item in value if isinstance(value, tuple) else (value,):
                if str(item) not in field.values:
                    return f"{name} {str(item)!r}"
    return None


def check_revision(event: Event, index: int, guideline: Guideline) -> None:
    """Refuse, with ``invalid_case``, an event that says more than the guideline's contract revision allows."""
    if guideline.contract_revision >= CONTRACT_REVISION:
        return
    new = revision_2_content(event)
    if new is not None:
        raise InvalidCase(
            f"event {index} ({event.type}) uses {new}, which revision 2 of the contract added, but the guideline "
            f"{guideline.name!r} (version {guideline.version}) declares contract revision "
            f"{guideline.contract_revision}: evaluate the case with a guideline of revision {CONTRACT_REVISION} "
            "(such as the reference guideline), or record the event as revision 1 allows",
            event_index=index,
        )
