"""Imaging: results, findings coded later, bookings and refusals (spec §3 imaging; revision 2 R2.2, R2.14, R2.15).

A study separates secondary causes from primary hemifacial spasm and carries the work-up on: it closes the work-up
when it answers the tier's question (``_workup.judge_study``), or leaves the order outstanding in every later stage.
"""

from __future__ import annotations

from hfs_pathway._change import Change
from hfs_pathway._definition import Condition, EventRule, Requirement, Route
from hfs_pathway._events import ImagingBooked, ImagingDeclined, ImagingFindingRecorded, ImagingResult
from hfs_pathway._vocabulary import SECONDARY_CAUSE_FINDINGS, ImagingFinding, Modality, Severity
from hfs_pathway._workup import WorkupStatus, WorkupTier, judge_study

from .common import CARE_STAGES, E, S
from .workup import return_routes

STUDY_STAGES = (S.IMAGING, *CARE_STAGES)
"""Stages that accept a study: the awaited one in ``imaging``, a completing or follow-up one later (R2.2)."""
LATER_STAGES = CARE_STAGES

# Members read on every study, bound to module names once for speed (see the note in ``_workup``: an
# ``Enum.MEMBER`` look-up costs about 100 ns under Python 3.11).
_IMAGING, _MRI = S.IMAGING, Modality.MRI
_NO_ABNORMALITY, _NOT_CODED = ImagingFinding.NO_ABNORMALITY, ImagingFinding.NOT_CODED
_POSTOPERATIVE_CHANGE = ImagingFinding.POSTOPERATIVE_CHANGE
# Likewise ``finding in SECONDARY_CAUSE_FINDINGS`` is ``finding.is_secondary_cause`` without the property call.
_FINDINGS_WITH_ALERTS = frozenset({_NO_ABNORMALITY, _POSTOPERATIVE_CHANGE, *SECONDARY_CAUSE_FINDINGS})
"""The findings ``_finding_alerts`` may raise an alert for."""


def _judge(c: Change, study: ImagingResult) -> None:
    workup, findings = judge_study(c.after.workup, study)
    c.after.workup = workup
    for finding in findings:
        c.alert(finding.code, finding.text, severity=finding.severity)


def _finding_alerts(c: Change, modality: Modality, finding: ImagingFinding) -> None:
    if finding is _NO_ABNORMALITY and modality is _MRI:
        c.alert("no_nvc_on_imaging", "No neurovascular conflict was seen; this is not a contraindication to MVD.")
    if finding in SECONDARY_CAUSE_FINDINGS:
        c.alert("secondary_cause_on_imaging", f"Imaging shows {finding.value.replace('_', ' ')}.")
    if finding is _POSTOPERATIVE_CHANGE:
        c.alert(
            "mvd_complication",
            "Imaging shows changes after the decompression: review them with the neurosurgical team.",
        )


def _imaging_effect(c: Change) -> None:
    r: ImagingResult = c.event
    a = c.after
    a.imaging = r
    a.studies = (*a.studies, r)
    a.any_imaging = True
    modality, finding = r.modality, r.finding
    mri = modality is _MRI
    a.any_mri = a.any_mri or mri
    a.any_dedicated_mri = a.any_dedicated_mri or (mri and r.high_resolution_t2)
    if not mri and not c.before.any_mri:
        text = "The imaging was CT, which cannot show a neurovascular conflict; MRI is preferred."
        if finding is ImagingFinding.NEUROVASCULAR_CONFLICT:
            text = "CT was reported as showing a conflict, but CT cannot show one: MRI is needed to confirm it."
        c.alert("ct_only_imaging", text)
    if finding in _FINDINGS_WITH_ALERTS:  # most studies show a conflict, which raises none: no call for them
        _finding_alerts(c, modality, finding)
    if finding is _NOT_CODED:
        c.alert(
            "imaging_finding_not_coded",
            f"The finding of the study of {r.date.isoformat()} is not recorded: review its report; a secondary cause "
            "is not excluded by the record.",
        )
    # ``_judge`` spelt out: one call fewer on every study.
    workup, findings = judge_study(a.workup, r)
    a.workup = workup
    for alert in findings:
        c.alert(alert.code, alert.text, severity=alert.severity)
    if c.before.stage is _IMAGING:
        a.interrupted = None


def _secondary_finding(c: Change) -> bool:
    return c.event.finding in SECONDARY_CAUSE_FINDINGS


def _after_surgery_only(c: Change) -> bool:
    return c.event.finding is not _POSTOPERATIVE_CHANGE or c.before.mvd_date is not None


_POSTOPERATIVE = Requirement(
    Condition(
        "postoperative_change_after_mvd",
        "a finding of postoperative change only after a recorded microvascular decompression",
        _after_surgery_only,
    ),
    error="invalid_event",
)


# A finding coded later -------------------------------------------------------------------------------


def _uncoded_study_index(c: Change) -> int | None:
    e: ImagingFindingRecorded = c.event
    studies = c.before.studies
    for i in range(len(studies) - 1, -1, -1):
        if studies[i].date == e.study_date and studies[i].finding is ImagingFinding.NOT_CODED:
            return i
    return None


def _finding_recorded_effect(c: Change) -> None:
    e: ImagingFindingRecorded = c.event
    a = c.after
    i = _uncoded_study_index(c)
    assert i is not None  # the requirement holds
    old = a.studies[i]
    coded = old.model_copy(update={"finding": e.finding, "offending_vessel": e.offending_vessel})
    a.studies = (*a.studies[:i], coded, *a.studies[i + 1 :])
    if i == len(a.studies) - 1:
        a.imaging = coded
    _finding_alerts(c, old.modality, e.finding)
    workup = a.workup
    if workup is not None and (e.finding.is_secondary_cause or old.date >= workup.opened):
        if workup.not_coded_study == old.date:
            a.workup = workup._replace(not_coded_study=None)
        _judge(c, coded)
    if c.before.stage is S.IMAGING and e.finding.is_secondary_cause:
        a.interrupted = None


# Booking and declining ----------------------------------------------------------------------------------


def _order_outstanding(c: Change) -> bool:
    workup = c.before.workup
    return workup is not None and workup.outstanding not in (None, "record_imaging_finding")


_ORDER_OUTSTANDING = Requirement(
    Condition("imaging_order_outstanding", "an imaging order that is still outstanding", _order_outstanding)
)


def _booked_effect(c: Change) -> None:
    e: ImagingBooked = c.event
    workup = c.before.workup
    assert workup is not None
    c.after.workup = workup._replace(booked_for=e.booked_for)
    if e.booked_for > workup.due:
        urgent = workup.tier is WorkupTier.URGENT
        c.alert(
            "imaging_booked_late",
            f"The {workup.tier.value} study is booked for {e.booked_for.isoformat()}, "
            f"{(e.booked_for - workup.due).days} days after it is due ({workup.due.isoformat()}).",
            severity=Severity.CRITICAL if urgent else Severity.WARNING,
        )


def _declined_effect(c: Change) -> None:
    e: ImagingDeclined = c.event
    a = c.after
    workup = c.before.workup
    assert workup is not None
    if e.informed:
        a.workup = workup._replace(status=WorkupStatus.DECLINED)
        c.alert(
            "imaging_declined",
            f"The patient declined the {workup.tier.value} imaging after being informed; a secondary cause is not "
            "excluded.",
        )
        if c.before.stage is S.IMAGING:
            a.interrupted = None
    else:
        c.alert(
            "imaging_declined",
            f"The patient declined the {workup.tier.value} imaging, but an informed refusal is not recorded: explain "
            "what the study is for and what declining it risks; the order stands.",
        )


INFORMED_REFUSAL = Condition(
    "informed_refusal", "the patient declined after being informed", lambda c: bool(c.event.informed)
)


IMAGING_RESULT = EventRule(
    E.IMAGING_RESULT,
    STUDY_STAGES,
    description="A study separates secondary causes from primary hemifacial spasm and carries the work-up on.",
    requires=(_POSTOPERATIVE,),
    effect=_imaging_effect,
    routes=(
        Route(
            S.SECONDARY_CAUSE,
            "A structural or demyelinating cause is managed by its specialty first.",
            when=Condition(
                "secondary_cause_found",
                "imaging shows a tumour, demyelination, vascular malformation or other structural cause",
                _secondary_finding,
            ),
            evidence=("R9", "R135", "R159"),
        ),
        *return_routes("A study without a secondary cause returns the patient to the stage the red flag interrupted."),
        Route(
            S.TREATMENT_SELECTION,
            "A conflict (a vertebrobasilar dolichoectasia compressing the nerve included), or no abnormality, "
            "establishes primary hemifacial spasm.",
            sources=(S.IMAGING,),
            evidence=("R9", "R113", "R138"),
            otherwise="imaging shows no secondary cause",
        ),
        Route(
            None,
            "A completing or follow-up study without a secondary cause counts for the work-up; care goes on.",
            sources=LATER_STAGES,
            evidence=("R9", "R133"),
            otherwise="imaging shows no secondary cause",
        ),
    ),
)

IMAGING_FINDING_RECORDED = EventRule(
    E.IMAGING_FINDING_RECORDED,
    STUDY_STAGES,
    description="The finding of an earlier study whose finding was not coded, read from its report.",
    requires=(
        Requirement(
            Condition(
                "uncoded_study_on_record",
                "a study on its study_date whose finding is not coded",
                lambda c: _uncoded_study_index(c) is not None,
            )
        ),
        _POSTOPERATIVE,
    ),
    effect=_finding_recorded_effect,
    routes=(
        Route(
            S.SECONDARY_CAUSE,
            "A structural or demyelinating cause is managed by its specialty first.",
            when=Condition(
                "secondary_cause_found",
                "the report shows a tumour, demyelination, vascular malformation or other structural cause",
                _secondary_finding,
            ),
            evidence=("R9", "R135", "R159"),
        ),
        Route(None, "The coded finding counts for the work-up; care goes on.", otherwise="no secondary cause"),
    ),
)

IMAGING_BOOKED = EventRule(
    E.IMAGING_BOOKED,
    (S.IMAGING,),
    description="The outstanding study is booked; a booking after its due date is flagged.",
    requires=(_ORDER_OUTSTANDING,),
    effect=_booked_effect,
    routes=(Route(None, "The study is awaited on the booked date.", evidence=("R133", "R58")),),
)

IMAGING_DECLINED = EventRule(
    E.IMAGING_DECLINED,
    STUDY_STAGES,
    description="The patient declined the outstanding imaging.",
    requires=(_ORDER_OUTSTANDING,),
    effect=_declined_effect,
    routes=(
        *return_routes(
            "After an informed refusal the patient returns to the stage the red flag interrupted.", INFORMED_REFUSAL
        ),
        Route(
            S.TREATMENT_SELECTION,
            "After an informed refusal symptomatic treatment may go on; the refusal stays on record.",
            when=INFORMED_REFUSAL,
            sources=(S.IMAGING,),
            evidence=("R58", "R9"),
        ),
        Route(
            None,
            "The refusal is recorded and care goes on; without an informed refusal the order stands.",
            otherwise="the refusal is not recorded as informed, or the patient is past the imaging stage",
        ),
    ),
)
