"""The controlled vocabulary of the pathway: every coded value the contract names.

Each enum's values are the exact strings of the clinical contract (``pathway-spec.md``); they
are what case files, JSON output and integrations carry. There is no second spelling.
"""

from __future__ import annotations

from enum import StrEnum

CONTRACT_REVISION = 2
"""The revision of the clinical contract this library implements (``pathway-spec.md``, "Revision 2")."""


class Stage(StrEnum):
    """Where the patient is on the pathway."""

    PRESENTATION = "presentation"
    IMAGING = "imaging"
    SECONDARY_CAUSE = "secondary_cause"
    TREATMENT_SELECTION = "treatment_selection"
    OBSERVATION = "observation"
    ORAL_MEDICATION = "oral_medication"
    BOTULINUM_TOXIN = "botulinum_toxin"
    WANING_RESPONSE = "waning_response"
    SURGICAL_EVALUATION = "surgical_evaluation"
    MVD_REFERRAL = "mvd_referral"
    POST_MVD = "post_mvd"
    DISCHARGED = "discharged"
    EXITED = "exited"


class EventType(StrEnum):
    """The clinical facts that move a patient along the pathway."""

    PRESENTATION = "presentation"
    IMAGING_RESULT = "imaging_result"
    SECONDARY_CAUSE_OUTCOME = "secondary_cause_outcome"
    TREATMENT_DECISION = "treatment_decision"
    MEDICATION_STARTED = "medication_started"
    MEDICATION_REVIEW = "medication_review"
    BOTOX_INJECTION = "botox_injection"
    BOTOX_RESPONSE = "botox_response"
    BOTOX_PLAN_ADJUSTED = "botox_plan_adjusted"
    SURGICAL_RISK_ASSESSMENT = "surgical_risk_assessment"
    RISK_BENEFIT_DECISION = "risk_benefit_decision"
    MVD_PERFORMED = "mvd_performed"
    REFERRAL_CLOSED = "referral_closed"
    POST_MVD_REVIEW = "post_mvd_review"
    RED_FLAG = "red_flag"
    REVIEW_VISIT = "review_visit"
    PATHWAY_EXIT = "pathway_exit"
    RECURRENCE = "recurrence"
    IMAGING_FINDING_RECORDED = "imaging_finding_recorded"
    IMAGING_BOOKED = "imaging_booked"
    IMAGING_DECLINED = "imaging_declined"


class Severity(StrEnum):
    """How urgently an alert needs a clinician's attention."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


SEVERITIES_BY_URGENCY: tuple[Severity, ...] = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)
"""The severities, most urgent first: the order in which alerts are listed, ranked and worked."""


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class OnsetRegion(StrEnum):
    PERIOCULAR = "periocular"
    LOWER_FACE = "lower_face"
    OTHER = "other"
    UNKNOWN = "unknown"
    """Not recorded (typical of EHR data): raises no alert, but the presentation should be documented."""


class ClinicalImpression(StrEnum):
    HEMIFACIAL_SPASM = "hemifacial_spasm"
    UNCERTAIN = "uncertain"
    BLEPHAROSPASM = "blepharospasm"
    POST_FACIAL_PALSY_SYNKINESIS = "post_facial_palsy_synkinesis"
    FACIAL_MYOKYMIA = "facial_myokymia"
    TIC = "tic"
    FUNCTIONAL = "functional"
    HEMIMASTICATORY_SPASM = "hemimasticatory_spasm"
    FOCAL_SEIZURE = "focal_seizure"
    OTHER = "other"


class Modality(StrEnum):
    MRI = "mri"
    CT = "ct"


class ImagingFinding(StrEnum):
    NEUROVASCULAR_CONFLICT = "neurovascular_conflict"
    """A vessel compresses the facial nerve; a vertebrobasilar dolichoectasia compressing it is recorded here (vessel
    ``vertebral``), not as a vascular malformation: decompression can treat it [R138]."""
    NO_ABNORMALITY = "no_abnormality"
    TUMOUR = "tumour"
    DEMYELINATION = "demyelination"
    VASCULAR_MALFORMATION = "vascular_malformation"
    """An arteriovenous malformation, aneurysm or cavernoma: a secondary cause."""
    OTHER_STRUCTURAL = "other_structural"
    NOT_CODED = "not_coded"
    """A study is on record but its finding is not recorded in structured form (revision 2, R2.2)."""
    POSTOPERATIVE_CHANGE = "postoperative_change"
    """Expected changes after a microvascular decompression: not a secondary cause (R2.15)."""

    @property
    def is_secondary_cause(self) -> bool:
        """A structural or demyelinating cause that another specialty manages."""
        return self in SECONDARY_CAUSE_FINDINGS


SECONDARY_CAUSE_FINDINGS = frozenset(
    {
        ImagingFinding.TUMOUR,
        ImagingFinding.DEMYELINATION,
        ImagingFinding.VASCULAR_MALFORMATION,
        ImagingFinding.OTHER_STRUCTURAL,
    }
)


class Vessel(StrEnum):
    AICA = "aica"
    PICA = "pica"
    VERTEBRAL = "vertebral"
    VEIN = "vein"
    MULTIPLE = "multiple"
    UNKNOWN = "unknown"


class MriNotPossible(StrEnum):
    """Why an MRI could not be done, so CT was used instead (R2.14, R2.15)."""

    DEVICE = "device"
    CLAUSTROPHOBIA = "claustrophobia"
    OTHER = "other"


class ContrastWithheld(StrEnum):
    """Why an MRI was done without the contrast the work-up asked for (R2.15)."""

    PREGNANCY = "pregnancy"
    RENAL_IMPAIRMENT = "renal_impairment"
    CONTRAST_ALLERGY = "contrast_allergy"
    PATIENT_DECLINED = "patient_declined"


class SecondaryCauseOutcome(StrEnum):
    SPASM_PERSISTS = "spasm_persists"
    RESOLVED = "resolved"
    MANAGED_ELSEWHERE = "managed_elsewhere"


class TreatmentOption(StrEnum):
    OBSERVATION = "observation"
    ORAL_MEDICATION = "oral_medication"
    BOTULINUM_TOXIN = "botulinum_toxin"
    SURGICAL_EVALUATION = "surgical_evaluation"


class ConservativeOption(StrEnum):
    OBSERVATION = "observation"
    ORAL_MEDICATION = "oral_medication"
    BOTULINUM_TOXIN = "botulinum_toxin"


class Drug(StrEnum):
    CARBAMAZEPINE = "carbamazepine"
    OXCARBAZEPINE = "oxcarbazepine"
    CLONAZEPAM = "clonazepam"
    GABAPENTIN = "gabapentin"
    BACLOFEN = "baclofen"
    LEVETIRACETAM = "levetiracetam"
    PHENYTOIN = "phenytoin"
    OTHER = "other"


class HlaResult(StrEnum):
    """The result of an HLA-B*1502 genotype test (R2.15)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"


class MedicationResponse(StrEnum):
    GOOD = "good"
    PARTIAL = "partial"
    NONE = "none"


class MedicationAdverseEffects(StrEnum):
    NONE = "none"
    TOLERABLE = "tolerable"
    INTOLERABLE = "intolerable"


class ToxinProduct(StrEnum):
    ONABOTULINUMTOXINA = "onabotulinumtoxinA"
    ABOBOTULINUMTOXINA = "abobotulinumtoxinA"
    INCOBOTULINUMTOXINA = "incobotulinumtoxinA"
    RIMABOTULINUMTOXINB = "rimabotulinumtoxinB"


class ToxinAdverseEffect(StrEnum):
    PTOSIS = "ptosis"
    FACIAL_WEAKNESS = "facial_weakness"
    DIPLOPIA = "diplopia"
    LAGOPHTHALMOS = "lagophthalmos"
    DRY_EYE = "dry_eye"
    DYSPHAGIA = "dysphagia"
    BREATHING_DIFFICULTY = "breathing_difficulty"
    DYSPHONIA = "dysphonia"
    GENERALISED_WEAKNESS = "generalised_weakness"
    OTHER = "other"


class AdverseEffectSeverity(StrEnum):
    NONE = "none"
    MILD = "mild"
    SIGNIFICANT = "significant"


class PlanAdjustment(StrEnum):
    INCREASE_DOSE = "increase_dose"
    CHANGE_SITES = "change_sites"
    SWITCH_PRODUCT = "switch_product"


class RiskBenefitChoice(StrEnum):
    REFER_FOR_MVD = "refer_for_mvd"
    CONTINUE_CONSERVATIVE = "continue_conservative"


class ReferralClosedReason(StrEnum):
    SURGEON_DECLINED = "surgeon_declined"
    PATIENT_DECLINED = "patient_declined"


class SpasmOutcome(StrEnum):
    RESOLVED = "resolved"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    RECURRED = "recurred"


class ComplicationType(StrEnum):
    HEARING_LOSS = "hearing_loss"
    FACIAL_PALSY = "facial_palsy"
    CSF_LEAK = "csf_leak"
    LOWER_CRANIAL_NERVE = "lower_cranial_nerve"
    STROKE = "stroke"
    MENINGITIS = "meningitis"
    OTHER = "other"


class RedFlagFinding(StrEnum):
    FACIAL_WEAKNESS = "facial_weakness"
    FACIAL_NUMBNESS = "facial_numbness"
    HEARING_LOSS = "hearing_loss"
    OTHER_CRANIAL_NERVE_SIGNS = "other_cranial_nerve_signs"
    TONIC_CONTRACTION = "tonic_contraction"
    RAPID_PROGRESSION = "rapid_progression"
    LONG_TRACT_OR_CEREBELLAR_SIGNS = "long_tract_or_cerebellar_signs"


class ExitReason(StrEnum):
    PATIENT_DECLINED_CARE = "patient_declined_care"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    TRANSFERRED = "transferred"
    DECEASED = "deceased"
    ALTERNATIVE_DIAGNOSIS = "alternative_diagnosis"


class ResponseClass(StrEnum):
    """How one botulinum toxin cycle went (spec §3, botulinum_toxin)."""

    ADEQUATE = "adequate"
    INSUFFICIENT = "insufficient"
    NO_RESPONSE = "no_response"


class WaningReason(StrEnum):
    """Why the toxin benefit is judged to be waning."""

    SHORTENING_INTERVALS = "shortening_intervals"
    """The last intervals between injections each came under the minimum interval."""
    SHORTENING_BENEFIT = "shortening_benefit"
    """The last cycles' benefit each fell well below the patient's own earlier cycles and under 12 weeks (R2.6)."""
    INSUFFICIENT_RESPONSE = "insufficient_response"
    PRIMARY_NON_RESPONSE = "primary_non_response"
    POORLY_TOLERATED = "poorly_tolerated"


class Verdict(StrEnum):
    """The risk-benefit checkpoint's overall judgement of microvascular decompression."""

    FAVOURABLE = "favourable"
    CAUTION = "caution"
    UNFAVOURABLE = "unfavourable"
