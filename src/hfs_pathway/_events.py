"""Typed clinical events (spec §2): validated once, at the edge, then trusted inside.

Every event is a frozen pydantic model with unknown fields forbidden, so a typo in a case file is an
error rather than a silently ignored fact. Booleans and whole numbers are strict (``"yes"`` is not
``True``), and dates are ISO ``YYYY-MM-DD`` only. Cross-field checks that need nothing but the
event itself live here; checks that need the patient's history live in the pathway.
"""

import datetime as dt
from typing import Annotated, Any, Literal, Self, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetPydanticSchema,
    StrictBool,
    StrictFloat,
    StrictInt,
    TypeAdapter,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import core_schema

from ._vocabulary import (
    AdverseEffectSeverity,
    ClinicalImpression,
    ComplicationType,
    ConservativeOption,
    ContrastWithheld,
    Drug,
    ExitReason,
    HlaResult,
    ImagingFinding,
    MedicationAdverseEffects,
    MedicationResponse,
    Modality,
    MriNotPossible,
    OnsetRegion,
    PlanAdjustment,
    RedFlagFinding,
    ReferralClosedReason,
    RiskBenefitChoice,
    SecondaryCauseOutcome,
    Side,
    SpasmOutcome,
    ToxinAdverseEffect,
    ToxinProduct,
    TreatmentOption,
    Vessel,
)

EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
"""Clinical dates outside these bounds are typing errors; inside them every due date can be computed."""


def _iso_date(value: Any) -> Any:
    """Accept a ``date`` (not a ``datetime``) or an ISO ``YYYY-MM-DD`` string, nothing looser."""
    if isinstance(value, dt.datetime):
        raise ValueError("expected a calendar date (YYYY-MM-DD), not a date and time")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a valid calendar date") from None
    if isinstance(value, dt.date):
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValueError(f"{value.isoformat()} is outside the plausible range {EARLIEST_DATE}..{LATEST_DATE}")
        return value
    raise ValueError("expected an ISO date written as YYYY-MM-DD")


def _clinical_date_schema(source: Any, handler: Any) -> core_schema.CoreSchema:
    # JSON text is checked inside pydantic-core (the pattern, then the calendar and the bounds), with no call
    # into Python per date; a Python value (a parsed mapping, a ``date``) goes through ``_iso_date``. Both
    # accept exactly the same dates. Errors are worded by the Python path: the case loader re-checks text that
    # fails through it.
    return core_schema.json_or_python_schema(
        json_schema=core_schema.chain_schema(
            [
                core_schema.str_schema(strict=True, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
                core_schema.date_schema(ge=EARLIEST_DATE, le=LATEST_DATE),
            ]
        ),
        python_schema=core_schema.no_info_before_validator_function(_iso_date, core_schema.date_schema()),
        serialization=core_schema.to_string_ser_schema(when_used="json-unless-none"),
    )


ClinicalDate = Annotated[
    dt.date, GetPydanticSchema(_clinical_date_schema), WithJsonSchema({"type": "string", "format": "date"})
]
"""A calendar date written ``YYYY-MM-DD``; timestamps and free text are refused."""

StrictCount = Annotated[int, Field(strict=True)]
StrictNumber = StrictInt | StrictFloat
"""A number written as a number: ``20`` stays ``20`` and ``20.5`` stays ``20.5``; ``"20"`` is refused."""


def _bounded(*, gt: int | None = None, ge: int | None = None, le: int) -> GetPydanticSchema:
    """The schema of a ``StrictNumber`` within bounds (``gt`` or ``ge``, and ``le``).

    pydantic checks bounds on a union of types with a Python function after it, one call per bound; JSON text
    has them checked inside pydantic-core instead, on each member of the union. A Python value keeps the
    union and the functions, whose errors word a refusal (the case loader re-checks text that fails through
    it); both paths accept the same numbers, as for ``ClinicalDate``.
    """

    def schema(source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.json_or_python_schema(
            json_schema=core_schema.union_schema(
                [
                    core_schema.int_schema(strict=True, gt=gt, ge=ge, le=le),
                    core_schema.float_schema(strict=True, gt=gt, ge=ge, le=le),
                ]
            ),
            python_schema=handler(Annotated[StrictNumber, Field(gt=gt, ge=ge, le=le)]),
        )

    return GetPydanticSchema(schema)


Note = Annotated[str, Field(max_length=4000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class EventSource(_Strict):
    """Where an event's fact came from (R2.13): the record it was read from, and whether it was inferred."""

    system: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """The system or kind of record, e.g. a FHIR server's base URL, ``fhir`` or ``questionnaire``."""
    reference: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """The record itself, e.g. ``Procedure/123``."""
    inferred: StrictBool = False
    """True when the event was inferred from other facts rather than recorded as such."""


class _Event(_Strict):
    date: ClinicalDate
    note: Note | None = None
    source: EventSource | None = None


EXAMINATION_FINDINGS = (
    "tonic_contraction",
    "facial_weakness",
    "facial_numbness",
    "hearing_loss",
    "other_cranial_nerve_signs",
    "rapid_progression",
    "long_tract_or_cerebellar_signs",
)
"""The presentation findings that accept ``None``: not examined or not documented, never read as normal (R2.15)."""


class Presentation(_Event):
    """The first assessment: history, examination and the clinician's impression."""

    type: Literal["presentation"] = "presentation"
    side: Side
    onset_region: OnsetRegion
    symptom_onset_date: ClinicalDate | None = None
    clinical_impression: ClinicalImpression
    # Examination findings: ``None`` means not examined or not documented, which is not a normal finding (R2.15).
    tonic_contraction: StrictBool | None = False
    facial_weakness: StrictBool | None = False
    facial_numbness: StrictBool | None = False
    hearing_loss: StrictBool | None = False
    other_cranial_nerve_signs: StrictBool | None = False
    rapid_progression: StrictBool | None = False
    long_tract_or_cerebellar_signs: StrictBool | None = False
    deficits_stable: StrictBool = False
    """The recorded deficits are long-standing and not progressing (R2.15)."""
    acute_onset: StrictBool = False
    """A deficit that began within days, e.g. sudden hearing loss (R2.15)."""
    facial_pain: StrictBool = False
    head_neck_or_skin_cancer_history: StrictBool = False
    persists_in_sleep: StrictBool | None = None
    other_babinski_sign: StrictBool | None = None
    prior_facial_palsy: StrictBool = False
    facial_trauma: StrictBool = False
    multiple_sclerosis: StrictBool = False
    prior_posterior_fossa_or_parotid_lesion: StrictBool = False
    jrs_severity: Annotated[StrictCount, Field(ge=0, le=4)] | None = None
    jrs_frequency: Annotated[StrictCount, Field(ge=0, le=4)] | None = None
    smc_grade: Annotated[StrictCount, Field(ge=1, le=4)] | None = None
    hfs7: Annotated[StrictCount, Field(ge=0, le=28)] | None = None

    @model_validator(mode="after")
    def _onset_not_after_visit(self) -> Self:
        if self.symptom_onset_date is not None and self.symptom_onset_date > self.date:
            raise ValueError("symptom_onset_date cannot be after the presentation date")
        return self


class ImagingResult(_Event):
    """The result of brain imaging (MRI preferred; CT when MRI is not possible)."""

    type: Literal["imaging_result"] = "imaging_result"
    modality: Modality
    high_resolution_t2: StrictBool = False
    angiography: StrictBool = False
    contrast: StrictBool = False
    finding: ImagingFinding
    offending_vessel: Vessel | None = None
    mri_not_possible: MriNotPossible | None = None
    """Why MRI could not be done (only with ``ct``)."""
    contrast_withheld: ContrastWithheld | None = None
    """Why an MRI was done without contrast (only with ``mri`` and no ``contrast``)."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.offending_vessel is not None and self.finding is not ImagingFinding.NEUROVASCULAR_CONFLICT:
            raise ValueError("offending_vessel is only allowed with finding neurovascular_conflict")
        if self.high_resolution_t2 and self.modality is Modality.CT:
            raise ValueError("high_resolution_t2 is an MRI sequence; it cannot be set with modality ct")
        if self.mri_not_possible is not None and self.modality is not Modality.CT:
            raise ValueError("mri_not_possible is only allowed with modality ct")
        if self.contrast_withheld is not None and (self.modality is not Modality.MRI or self.contrast):
            raise ValueError("contrast_withheld is only allowed with modality mri and contrast false")
        return self


class ImagingFindingRecorded(_Event):
    """The finding of an earlier study, coded from its report (R2.15)."""

    type: Literal["imaging_finding_recorded"] = "imaging_finding_recorded"
    study_date: ClinicalDate
    """The date of the study on record whose finding this is."""
    finding: ImagingFinding
    offending_vessel: Vessel | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.study_date > self.date:
            raise ValueError("study_date cannot be after the date the finding is recorded")
        if self.finding is ImagingFinding.NOT_CODED:
            raise ValueError("finding not_coded records nothing; give the finding the report states")
        if self.offending_vessel is not None and self.finding is not ImagingFinding.NEUROVASCULAR_CONFLICT:
            raise ValueError("offending_vessel is only allowed with finding neurovascular_conflict")
        return self


class ImagingBooked(_Event):
    """The outstanding study is booked (R2.15)."""

    type: Literal["imaging_booked"] = "imaging_booked"
    booked_for: ClinicalDate

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.booked_for < self.date:
            raise ValueError("booked_for cannot be before the date of the booking")
        return self


class ImagingDeclined(_Event):
    """The patient declined the outstanding imaging (R2.15)."""

    type: Literal["imaging_declined"] = "imaging_declined"
    informed: StrictBool
    """The patient was told what the study is for and what declining it risks."""


class SecondaryCauseOutcomeEvent(_Event):
    """What happened once the specialty managing a secondary cause has acted."""

    type: Literal["secondary_cause_outcome"] = "secondary_cause_outcome"
    outcome: SecondaryCauseOutcome


class TreatmentDecision(_Event):
    """The option chosen with the patient."""

    type: Literal["treatment_decision"] = "treatment_decision"
    option: TreatmentOption
    shared_decision: StrictBool


class MedicationStarted(_Event):
    type: Literal["medication_started"] = "medication_started"
    drug: Drug
    dose_mg_per_day: Annotated[int | float, _bounded(gt=0, le=10000)]
    hla_b1502_tested: StrictBool | None = None
    hla_b1502_result: HlaResult | None = None
    pregnant: StrictBool | None = None


class MedicationReview(_Event):
    type: Literal["medication_review"] = "medication_review"
    response: MedicationResponse
    adverse_effects: MedicationAdverseEffects


class BotoxInjection(_Event):
    type: Literal["botox_injection"] = "botox_injection"
    product: ToxinProduct
    total_units: Annotated[int | float, _bounded(gt=0, le=5000)]
    sites: Annotated[StrictCount, Field(ge=1, le=50)] | None = None
    pregnant: StrictBool | None = None


class BotoxResponse(_Event):
    """How the latest injection worked, recorded once its benefit is known."""

    type: Literal["botox_response"] = "botox_response"
    peak_improvement_percent: Annotated[int | float, _bounded(ge=0, le=100)]
    benefit_duration_days: Annotated[StrictCount, Field(ge=0, le=365)] | None = None
    onset_days: Annotated[StrictCount, Field(ge=0, le=60)] | None = None
    adverse_effects: tuple[ToxinAdverseEffect, ...] = ()
    adverse_effect_severity: AdverseEffectSeverity = AdverseEffectSeverity.NONE
    benefit_ongoing: StrictBool = False
    """The benefit had not worn off when recorded; a duration given with it is a lower bound (R2.5)."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # Written for the usual response (no adverse effects, no onset): it is checked at every injection.
        effects = self.adverse_effects
        if effects:
            if len(set(effects)) != len(effects):
                raise ValueError("adverse_effects lists the same effect twice")
            if self.adverse_effect_severity is AdverseEffectSeverity.NONE:
                raise ValueError("adverse_effects are listed but adverse_effect_severity is none")
        elif self.adverse_effect_severity is not AdverseEffectSeverity.NONE:
            raise ValueError("adverse_effect_severity is given but no adverse_effects are listed")
        onset = self.onset_days
        if onset is not None and self.benefit_duration_days is not None and onset > self.benefit_duration_days:
            raise ValueError("onset_days cannot exceed benefit_duration_days")
        return self


class BotoxPlanAdjusted(_Event):
    type: Literal["botox_plan_adjusted"] = "botox_plan_adjusted"
    adjustment: PlanAdjustment


class SurgicalRiskAssessment(_Event):
    """Pre-operative assessment at the risk-benefit checkpoint; every answer is explicit."""

    type: Literal["surgical_risk_assessment"] = "surgical_risk_assessment"
    asa_class: Annotated[StrictCount, Field(ge=1, le=5)]
    diabetes: StrictBool
    hypertension: StrictBool
    anticoagulation: StrictBool
    prior_posterior_fossa_surgery: StrictBool
    baseline_audiometry_done: StrictBool
    anticoagulation_can_pause: StrictBool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.anticoagulation_can_pause is not None and not self.anticoagulation:
            raise ValueError("anticoagulation_can_pause is only allowed when anticoagulation is true")
        return self


class RiskBenefitDecision(_Event):
    """The decision taken at the checkpoint, with the patient."""

    type: Literal["risk_benefit_decision"] = "risk_benefit_decision"
    decision: RiskBenefitChoice
    patient_informed: StrictBool
    patient_consents: StrictBool
    next_option: ConservativeOption | None = None
    override_reason: Annotated[str, Field(min_length=1, max_length=2000)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.decision is RiskBenefitChoice.CONTINUE_CONSERVATIVE:
            if self.next_option is None:
                raise ValueError("next_option is required when the decision is continue_conservative")
            if self.override_reason is not None:
                raise ValueError("override_reason is only allowed when the decision is refer_for_mvd")
        elif self.next_option is not None:
            raise ValueError("next_option is only allowed when the decision is continue_conservative")
        if self.override_reason is not None and not self.override_reason.strip():
            raise ValueError("override_reason cannot be blank")
        return self


class MvdPerformed(_Event):
    type: Literal["mvd_performed"] = "mvd_performed"
    lsr_resolved: StrictBool | None = None
    offending_vessel: Vessel | None = None
    outside_pathway: StrictBool = False
    """The operation is on record without this pathway's checkpoint (R2.13)."""


class ReferralClosed(_Event):
    type: Literal["referral_closed"] = "referral_closed"
    reason: ReferralClosedReason


class Complication(_Strict):
    type: ComplicationType
    permanent: StrictBool


class PostMvdReview(_Event):
    type: Literal["post_mvd_review"] = "post_mvd_review"
    spasm: SpasmOutcome
    complications: tuple[Complication, ...] = ()


class RedFlag(_Event):
    """A new sign suggesting a secondary cause, found after presentation."""

    type: Literal["red_flag"] = "red_flag"
    finding: RedFlagFinding
    acute_onset: StrictBool = False
    """The deficit began within days (R2.15)."""


class ReviewVisit(_Event):
    type: Literal["review_visit"] = "review_visit"
    wants_treatment: StrictBool
    jrs_severity: Annotated[StrictCount, Field(ge=0, le=4)] | None = None
    jrs_frequency: Annotated[StrictCount, Field(ge=0, le=4)] | None = None
    smc_grade: Annotated[StrictCount, Field(ge=1, le=4)] | None = None
    hfs7: Annotated[StrictCount, Field(ge=0, le=28)] | None = None


class Recurrence(_Event):
    """The spasm came back after the pathway was complete (R2.9): recorded from ``discharged``."""

    type: Literal["recurrence"] = "recurrence"


class PathwayExit(_Event):
    type: Literal["pathway_exit"] = "pathway_exit"
    reason: ExitReason


Event: TypeAlias = Annotated[
    Presentation
    | ImagingResult
    | SecondaryCauseOutcomeEvent
    | TreatmentDecision
    | MedicationStarted
    | MedicationReview
    | BotoxInjection
    | BotoxResponse
    | BotoxPlanAdjusted
    | SurgicalRiskAssessment
    | RiskBenefitDecision
    | MvdPerformed
    | ReferralClosed
    | PostMvdReview
    | RedFlag
    | ReviewVisit
    | PathwayExit
    | Recurrence
    | ImagingFindingRecorded
    | ImagingBooked
    | ImagingDeclined,
    Field(discriminator="type"),
]
"""Any clinical event, told apart by its ``type``."""

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event, config=ConfigDict(defer_build=True))

EVENT_MODELS: dict[str, type[_Event]] = {
    model.model_fields["type"].default: model
    for model in (
        Presentation,
        ImagingResult,
        SecondaryCauseOutcomeEvent,
        TreatmentDecision,
        MedicationStarted,
        MedicationReview,
        BotoxInjection,
        BotoxResponse,
        BotoxPlanAdjusted,
        SurgicalRiskAssessment,
        RiskBenefitDecision,
        MvdPerformed,
        ReferralClosed,
        PostMvdReview,
        RedFlag,
        ReviewVisit,
        PathwayExit,
        Recurrence,
        ImagingFindingRecorded,
        ImagingBooked,
        ImagingDeclined,
    )
}
"""Event ``type`` string to its model."""
