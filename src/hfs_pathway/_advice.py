"""What to do next, and what has fallen overdue, as of a date (spec §3, "Time").

Pure functions of the current stage, the derived record, the patient and the guideline; the
evaluation date is passed in, never read from a clock.

For speed, a date's text is ``_ISO[date]`` (its ``isoformat()``, made once per date) and a guideline's number of
days is ``_days(n)`` (its ``timedelta``, made once per number): every evaluation writes dates and adds intervals,
and making either afresh costs several times the look-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ._case import Patient
from ._catalog import ALERTS, RECOMMENDATIONS
from ._dates import DATE_TEXT as _ISO
from ._dates import add_months
from ._dates import days as _days
from ._guideline import Guideline
from ._record import Record
from ._results import Alert, Recommendation
from ._toxin import WANING_TEXT, earlier_adequate_cycles
from ._vocabulary import ClinicalImpression, Drug, ImagingFinding, Side, SpasmOutcome, Stage, WaningReason
from ._workup import Workup, WorkupStatus, WorkupTier, undocumented

_SPECIALTY = {
    ImagingFinding.TUMOUR: "neurosurgery (tumour)",
    ImagingFinding.VASCULAR_MALFORMATION: "neurosurgery or neurovascular team (vascular malformation)",
    ImagingFinding.OTHER_STRUCTURAL: "neurosurgery (structural lesion)",
    ImagingFinding.DEMYELINATION: "neurology (demyelinating disease)",
}


_PLAIN = {
    code: Recommendation(code, kind.title + ".", kind.rationale, kind.evidence)
    for code, kind in RECOMMENDATIONS.items()
}
"""Each recommendation in its catalogued words and with no due date, made once: a recommendation is an immutable
value, so the evaluations that make one of these (most recommendations are) share it."""


_new_tuple = tuple.__new__


def _time_alert(code: str, text: str, as_of: dt.date) -> Alert:
    _, severity, _, rationale, evidence = ALERTS[code]  # unpacked: a named tuple's read by name is slow
    # Built from its fields in order in one C call: the named tuple's constructor is a Python function.
    return _new_tuple(Alert, (code, severity, text, rationale, evidence, as_of, None, True))


class Advice:
    """Recommendations and time-based alerts for one record as of one date."""

    __slots__ = ("alerts", "as_of", "guideline", "patient", "recommendations", "record")

    def __init__(self, record: Record, patient: Patient, guideline: Guideline, as_of: dt.date) -> None:
        self.record = record
        self.patient = patient
        self.guideline = guideline
        self.as_of = as_of
        self.recommendations: list[Recommendation] = []
        self.alerts: list[Alert] = []
        if record.stage not in _NO_WORKUP:
            _workup(self)
        handler = _BY_STAGE.get(record.stage)
        if handler is not None:
            handler(self)

    def recommend(self, code: str, text: str | None = None, due: dt.date | None = None) -> None:
        if not text and due is None:
            self.recommendations.append(_PLAIN[code])
            return
        # Unpacked, and built in one C call, as in ``_time_alert``.
        _, title, rationale, evidence = RECOMMENDATIONS[code]
        fields = (code, text or title + ".", rationale, evidence, due)
        self.recommendations.append(_new_tuple(Recommendation, fields))

    def overdue(self, code: str, text: str) -> None:
        self.alerts.append(_time_alert(code, text, self.as_of))

    def gap(self, stage_label: str, allowed_days: int) -> None:
        """``follow_up_overdue`` when nothing has been recorded for longer than the stage allows (R2.10)."""
        last = self.record.last_date
        if last is None:
            return
        waited = (self.as_of - last).days
        if waited > allowed_days:
            self.overdue(
                "follow_up_overdue",
                f"Nothing recorded for {waited} days since {_ISO[last]} while in "
                f"{stage_label.replace('_', ' ')} (follow-up is expected within {allowed_days} days).",
            )

    def review_due(self, code: str, label: str, due: dt.date, note: str = "") -> None:
        self.recommend(code, f"{label} due by {_ISO[due]}.{note}", due)
        if self.as_of > due:
            self.overdue("review_overdue", f"{label} was due on {_ISO[due]} ({(self.as_of - due).days} days ago).")


def _presentation(a: Advice) -> None:
    a.recommend("record_presentation")


_NO_WORKUP = frozenset({Stage.PRESENTATION, Stage.EXITED})

_ORDER_TEXT = {
    WorkupTier.ROUTINE: "MRI of the brain with high-resolution T2 and angiography",
    WorkupTier.CONTRAST: "Contrast-enhanced MRI of the brain with high-resolution T2 and angiography",
    WorkupTier.URGENT: "Urgent contrast-enhanced MRI of the brain with high-resolution T2 and angiography",
}


def _workup(a: Advice) -> None:
    """The outstanding work-up, in every stage from imaging on (R2.2, R2.15): the order (or the finding to record),
    emergency assessment of an acute deficit, and what the presentation record still lacks."""
    r, g = a.record, a.guideline
    w = r.workup
    if w is None:
        if r.stage is Stage.IMAGING:
            due = (r.imaging_clock or a.as_of) + _days(g.mri_due_days)
            a.recommend("order_mri", f"{_ORDER_TEXT[WorkupTier.ROUTINE]}, by {_ISO[due]}.", due)
        return
    # A closed or declined work-up has nothing outstanding (most patients past imaging). ``is_open`` spelt out: a
    # property call costs more than its test, on every evaluation.
    if w.status is _OPEN:
        _open_workup(a, w)
    if r.stage in _DOCUMENT_STAGES:
        missing = undocumented(r.presentation, a.patient)
        if missing:
            a.recommend("document_presentation", "Record: " + "; ".join(missing) + ".")


_OPEN = WorkupStatus.OPEN

_DOCUMENT_STAGES = frozenset({Stage.IMAGING, Stage.TREATMENT_SELECTION})
"""The stages in which what the presentation record lacks is asked for (``document_presentation``)."""


def _open_workup(a: Advice, w: Workup) -> None:
    """Emergency assessment of an acute deficit, and the order (or the finding to record) of an open work-up."""
    if w.acute is not None and a.record.last_date == w.acute:
        a.recommend(
            "emergency_assessment", "A deficit began within days: arrange specialist assessment today.", w.acute
        )
    code = w.outstanding
    if code == "record_imaging_finding":
        assert w.not_coded_study is not None
        a.recommend(
            code,
            f"Review the report of the study of {_ISO[w.not_coded_study]} and record its finding "
            "(imaging_finding_recorded); the study need not be repeated.",
        )
    elif code is not None:
        why = "; ".join(w.reasons)
        text = f"{_ORDER_TEXT[w.tier]}, by {_ISO[w.due]}" + (f" ({why})" if why else "")
        if w.booked_for is not None:
            text += f"; booked for {_ISO[w.booked_for]}"
        a.recommend(code, text + ".", w.due)
        if w.claustrophobia:
            a.recommend("consider_sedated_or_open_mri")
        if w.tier is WorkupTier.URGENT and a.as_of > w.due:
            a.overdue(
                "urgent_imaging_overdue",
                f"The urgent contrast-enhanced MRI was due on {_ISO[w.due]} ({(a.as_of - w.due).days} days ago).",
            )


def _imaging(a: Advice) -> None:
    r, g = a.record, a.guideline
    clock = r.imaging_clock or a.as_of
    p = r.presentation
    if p is not None:
        uncertain = p.clinical_impression is ClinicalImpression.UNCERTAIN
        if uncertain or p.prior_facial_palsy:
            a.recommend("consider_emg")
        if uncertain or p.side is Side.BILATERAL:
            a.recommend("refer_movement_disorders")
    waited = (a.as_of - clock).days
    urgent = r.workup is not None and r.workup.tier is WorkupTier.URGENT
    if waited > g.imaging_overdue_days and not urgent:
        a.overdue("imaging_overdue", f"No imaging result {waited} days after {_ISO[clock]}.")


def _secondary_cause(a: Advice) -> None:
    imaging = a.record.imaging
    specialty = _SPECIALTY.get(imaging.finding, "the relevant specialty") if imaging else "the relevant specialty"
    a.recommend("refer_secondary_cause", f"Refer to {specialty} to manage the cause of the spasm.")
    a.gap("secondary_cause", a.guideline.follow_up_secondary_cause_days)


def _treatment_selection(a: Advice) -> None:
    r = a.record
    imaging = r.imaging
    secondary = imaging is not None and imaging.finding.is_secondary_cause
    if secondary and imaging is not None:
        # Secondary hemifacial spasm is not primary: the options are symptomatic (R2.4).
        cause = imaging.finding.value.replace("_", " ")
        a.recommend(
            "offer_botulinum_toxin",
            f"The spasm persists after the secondary cause ({cause}) was managed: offer botulinum toxin injections.",
        )
    else:
        a.recommend("offer_botulinum_toxin")
    a.recommend("offer_oral_medication")
    a.recommend("offer_observation")
    if not secondary:
        a.recommend("discuss_mvd")
    recurred = r.recurrence_date
    if recurred is not None and (imaging is None or imaging.date < recurred):
        # Recurrence long after surgery: image again before a second operation is weighed [R124].
        due = recurred + _days(a.guideline.mri_due_days)
        a.recommend(
            "order_mri",
            f"MRI of the brain with high-resolution T2 and angiography after the recurrence of "
            f"{_ISO[recurred]}, before a second decompression is weighed, by {_ISO[due]}.",
            due,
        )
    if r.mvd_unsuccessful:
        a.recommend("consider_redo_mvd")
    a.gap("treatment_selection", a.guideline.follow_up_treatment_selection_days)


def _observation(a: Advice) -> None:
    r = a.record
    since = r.last_review or r.stage_entered or a.as_of
    a.review_due(
        "observation_review", "Review under observation", add_months(since, a.guideline.observation_review_months)
    )


def _oral_medication(a: Advice) -> None:
    r = a.record
    a.gap("oral_medication", a.guideline.follow_up_oral_medication_days)
    if r.medication is None:
        text = None
        if a.patient.asian_ancestry:
            text = (
                "Start the chosen oral drug; test HLA-B*1502 first if it is carbamazepine, and consider testing "
                "if it is oxcarbazepine."
            )
        a.recommend("start_oral_medication", text)
        return
    since = r.last_review or r.medication.date
    drug = r.medication.drug.value if r.medication.drug is not Drug.OTHER else "the oral drug"
    a.review_due(
        "review_medication",
        f"Review of {drug}",
        since + _days(a.guideline.medication_review_days),
    )


def _botulinum_toxin(a: Advice) -> None:
    r, g = a.record, a.guideline
    if not r.cycles:
        a.recommend("first_botox_injection")
        return
    last = r.cycles[-1]
    _response_advice(a)
    opens = last.injection_date + _days(g.min_reinjection_interval_days)
    a.recommend(
        "next_injection_window",
        f"The next injection can be given from {_ISO[opens]}, when the effect wears off.",
        opens,
    )
    a.gap("botulinum_toxin", g.follow_up_botulinum_toxin_days)


def _response_advice(a: Advice) -> None:
    """Ask for the latest injection's response while none is recorded (R2.5: the peak, and whether the benefit
    is still ongoing), or its duration once an ongoing benefit has worn off."""
    r, g = a.record, a.guideline
    last = r.cycles[-1]
    ongoing = r.ongoing_response
    if last.response_index is not None and ongoing is None:
        return  # the response is on record and complete: nothing to ask (most evaluations of a toxin course)
    injected = _ISO[last.injection_date]
    if last.response_index is None:
        due = last.injection_date + _days(g.response_review_days)
        a.recommend(
            "assess_botox_response",
            f"Record the response to the injection of {injected}: the peak improvement, side effects and whether "
            f"the benefit is still ongoing (review by {_ISO[due]}).",
            due,
        )
        age = (a.as_of - last.injection_date).days
        if age > g.response_assessment_overdue_days:
            a.overdue(
                "response_assessment_overdue",
                f"No response recorded for the injection of {injected}, {age} days ago.",
            )
    elif ongoing is not None:
        a.recommend(
            "assess_botox_response",
            f"The benefit of the injection of {injected} was still ongoing on "
            f"{_ISO[ongoing.date]}: record how long it lasted once it wears off.",
        )


def _waning(a: Advice) -> None:
    r, g = a.record, a.guideline
    reason = r.waning_reason
    why = f" because {WANING_TEXT[reason]}" if reason is not None else ""
    if reason is WaningReason.PRIMARY_NON_RESPONSE:
        a.recommend(
            "review_diagnosis_and_technique",
            "No benefit from the first injections: re-examine the diagnosis (EMG if needed), the muscles, dose and "
            "technique, and consider neutralising antibodies or another product, before surgery is weighed.",
        )
    adequate = earlier_adequate_cycles(r.responses, g)
    if reason is WaningReason.INSUFFICIENT_RESPONSE and adequate >= g.toxin_resistance_prior_adequate_cycles:
        a.recommend(
            "review_toxin_resistance",
            f"The response failed after {adequate} earlier adequate cycles: consider neutralising antibodies and "
            "another product.",
        )
    a.recommend("adjust_botox_plan", f"Adjust the toxin plan (dose, sites or product){why}.")
    if r.cycles and (r.cycles[-1].response_index is None or r.ongoing_response is not None):
        _response_advice(a)
    a.recommend("evaluate_for_mvd", f"Evaluate for microvascular decompression{why}.")
    a.gap("waning_response", g.follow_up_waning_response_days)


def _surgical_evaluation(a: Advice) -> None:
    risk = a.record.risk
    if risk is None or a.as_of > risk.valid_until:
        text = (
            None
            if risk is None
            else f"Repeat the surgical risk assessment (the last expired on {_ISO[risk.valid_until]})."
        )
        a.recommend("assess_surgical_risk", text)
    if risk is None or not risk.audiometry_done:
        a.recommend("obtain_audiometry")
    if not a.record.any_dedicated_mri:
        a.recommend("order_dedicated_mri")
    a.recommend("shared_decision_discussion")
    a.gap("surgical_evaluation", a.guideline.follow_up_surgical_evaluation_days)


def _mvd_referral(a: Advice) -> None:
    r = a.record
    referred = r.referral_date
    if referred is None:
        a.recommend("refer_for_mvd")
    else:
        # The referral exists: what is left is to make sure it reached neurosurgery (R2.8).
        a.recommend(
            "refer_for_mvd",
            f"Referred for microvascular decompression on {_ISO[referred]}: confirm the neurosurgical appointment.",
        )
        waited = (a.as_of - referred).days
        if waited > a.guideline.referral_overdue_days:
            a.overdue(
                "referral_overdue",
                f"The referral of {_ISO[referred]} is {waited} days old with no operation and no closed "
                "referral on record.",
            )
    risk = r.risk
    if risk is None or not risk.audiometry_done:
        a.recommend("obtain_audiometry")


def next_post_mvd_review(record: Record, guideline: Guideline) -> dt.date | None:
    """The next scheduled review after surgery: the first milestone not yet covered by a review.

    A review covers every milestone due on or before its date, and one due up to the early-review
    allowance after it; so a late review does not leave earlier milestones due, and a review a week
    or two early still counts, while a check at one month does not replace the three-month review.
    """
    surgery = record.mvd_date
    if surgery is None:
        return None
    months = guideline.post_mvd_review_months
    last = record.last_post_mvd_review
    index = 0
    if last is not None:
        reach = last + _days(guideline.post_mvd_review_early_days)
        index = sum(1 for m in months if add_months(surgery, m) <= reach)
    if index < len(months):
        return add_months(surgery, months[index])
    return add_months(last or surgery, 12)


def _post_mvd(a: Advice) -> None:
    r, g = a.record, a.guideline
    contact = r.neurosurgery_contact
    if contact is not None and contact[1] == r.last_post_mvd_review:
        a.recommend("contact_neurosurgery")  # until the next review after surgery
    due = next_post_mvd_review(r, g)
    if due is None:
        return
    note = ""
    bridging = last_bridging_injection(r)
    if bridging is not None:
        clear = bridging + _days(g.bridging_toxin_effect_days)
        last = r.last_post_mvd_review
        surgery = r.mvd_date
        masked = (
            last is not None
            and surgery is not None
            and last < clear
            and r.last_post_mvd_outcome is SpasmOutcome.RESOLVED
            and last >= add_months(surgery, g.post_mvd_discharge_months)
        )
        if masked:
            # The discharge review was resolved under the toxin's effect: repeat it once the effect has gone.
            due = clear
        if due <= clear:
            note = (
                f" The bridging toxin injection of {_ISO[bridging]} can mask the spasm: only a review from "
                f"{_ISO[clear]} on can show that it has resolved."
            )
    a.review_due("post_mvd_review", "Review after surgery", due, note)


def last_bridging_injection(record: Record) -> dt.date | None:
    """The latest toxin injection given after the latest operation (bridging while a delayed cure is awaited)."""
    surgery = record.mvd_date
    if surgery is None or not record.cycles:
        return None
    injected = record.cycles[-1].injection_date
    return injected if injected >= surgery else None


_BY_STAGE: dict[Stage, Callable[[Advice], None]] = {
    Stage.PRESENTATION: _presentation,
    Stage.IMAGING: _imaging,
    Stage.SECONDARY_CAUSE: _secondary_cause,
    Stage.TREATMENT_SELECTION: _treatment_selection,
    Stage.OBSERVATION: _observation,
    Stage.ORAL_MEDICATION: _oral_medication,
    Stage.BOTULINUM_TOXIN: _botulinum_toxin,
    Stage.WANING_RESPONSE: _waning,
    Stage.SURGICAL_EVALUATION: _surgical_evaluation,
    Stage.MVD_REFERRAL: _mvd_referral,
    Stage.POST_MVD: _post_mvd,
}
