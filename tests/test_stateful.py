"""The clinic as a state machine: every safety invariant of spec §4 holds whatever the clinic does.

Hypothesis plays the clinic. Each rule is one thing a clinic may do (see a new patient, read an MRI, inject
toxin, assess surgical risk, refer, operate, review, record a red flag, see the patient leave care) or a
mistake (a typo, a value out of range, a visit recorded out of date order, an event the stage does not accept,
a referral that skips the checkpoint). Every event goes to two pathways at once: one driven by the definition's
transition table, one by the real ``transitions`` machine; they must always agree.

After every step the invariants of spec §4 are checked from the pathway's public face (its history, events,
alerts, saved form and evaluation), never from its internals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from hfs_pathway import (
    HFS_PATHWAY,
    CheckpointNotSatisfied,
    EventNotAllowed,
    HistoryEntry,
    Pathway,
    PathwayError,
    Stage,
    load_case,
)
from tests.strategies import (
    EVENT_TYPES,
    FINAL_STAGES,
    MIN_REINJECTION_INTERVAL_DAYS,
    RISK_ASSESSMENT_VALIDITY_DAYS,
    SECONDARY_FINDINGS,
    TREATMENT_STAGES,
    bad_events,
    example_event,
    guided_cases,
    next_event,
)
from tests.strategies_workup import uncoded_studies
from tests.workup_model import check_outstanding_work_up, override_needed_for_workup, workup_after

Event = dict[str, Any]

REOPENING = {Stage.EXITED: frozenset[str](), Stage.DISCHARGED: frozenset({"recurrence", "red_flag"})}
"""§4.5, revision 2: the only events a final stage accepts."""

EVALUATION_DELAY = dt.timedelta(days=45)
"""Evaluations are made this long after the last event, so time-based alerts and due dates are exercised."""


CHANCE = st.integers(0, 4)
"""Drawn by the less common actions, which act only when it is 2 (hypothesis favours the ends of a range), so the
usual course of care dominates the stories."""


def now_and_then(chance: int) -> bool:
    return chance == 2


def accepts(*event_types: str) -> Any:
    """Precondition: the current stage accepts every one of ``event_types``."""
    return precondition(lambda m: all(t in m.pathway.accepted_events() for t in event_types))


class PathwayMachine(RuleBasedStateMachine):
    """One patient's care, driven by a hypothesis-played clinic, checked after every step."""

    pathway: Pathway
    mirror: Pathway
    """The same patient on the ``transitions`` engine."""

    # Setting up ---------------------------------------------------------------------------------------------

    @initialize(story=guided_cases(max_events=25))
    def patient_known_to_the_clinic(self, story: dict[str, Any]) -> None:
        """A patient, with the story so far: none yet, or heading for any stage (so that stories start anywhere
        from the first referral to follow-up after surgery)."""
        self.patient = story["patient"]
        self.pathway = Pathway.start(self.patient)
        self.mirror = Pathway.start(self.patient, engine="transitions")
        self.accepted: list[Event] = []
        """Every event the pathway accepted, exactly as the clinic wrote it."""
        self.seen_history: tuple[HistoryEntry, ...] = ()
        self.final_checked_at: int | None = None
        for event in story["events"]:
            assert isinstance(self.submit(event), HistoryEntry), "a story built event by event replays"

    # Submitting events ----------------------------------------------------------------------------------------

    def as_of(self) -> dt.date:
        events = self.pathway.events
        return events[-1].date + EVALUATION_DELAY if events else dt.date(2016, 1, 1)

    def observable(self, pathway: Pathway) -> tuple[Any, ...]:
        """Everything a refused event must leave untouched (spec §4.4)."""
        return (
            pathway.stage,
            pathway.final,
            pathway.events,
            pathway.history,
            pathway.alerts,
            pathway.botox_cycles,
            pathway.risk_benefit,
            pathway.accepted_events(),
            pathway.to_json(),
            pathway.evaluate(self.as_of()).to_dict(),
        )

    def submit(self, event: Event) -> HistoryEntry | PathwayError:
        """Apply ``event`` to both engines; they must both accept it the same way or both refuse it."""
        before = self.observable(self.pathway)
        mirror_before = self.observable(self.mirror)
        index = len(self.pathway.events)
        try:
            entry = self.pathway.apply(event)
        except PathwayError as error:
            refusal = error
        else:
            assert self.mirror.apply(event) == entry, "the transitions machine moved differently"
            assert entry == self.pathway.history[-1]
            assert (entry.index, entry.event, entry.date.isoformat()) == (index, event["type"], event["date"])
            self.accepted.append(event)
            return entry
        self.refused_event_changes_nothing(event, refusal, index, before, mirror_before)
        return refusal

    def refused_event_changes_nothing(
        self, event: Event, refusal: PathwayError, index: int, before: tuple[Any, ...], mirror_before: tuple[Any, ...]
    ) -> None:
        """§4.4: a refused event leaves the pathway exactly as it was: stage, events, history, alerts, toxin
        cycles, risk-benefit assessment, saved form and evaluation; the error points at the refused event, and
        the transitions engine refuses it with the same error and is left unchanged too."""
        assert refusal.event_index == index, "the error does not point at the refused event"
        assert self.observable(self.pathway) == before, "a refused event changed the pathway"
        with pytest.raises(PathwayError) as mirrored:
            self.mirror.apply(event)
        assert (type(mirrored.value), mirrored.value.code) == (type(refusal), refusal.code)
        assert self.observable(self.mirror) == mirror_before

    def draw_and_submit(self, data: st.DataObject, event_type: str) -> HistoryEntry | PathwayError:
        return self.submit(data.draw(next_event(self.pathway, event_type), label=event_type))

    # The clinic's actions ---------------------------------------------------------------------------------------

    @precondition(lambda m: not m.pathway.final)
    @rule(data=st.data())
    def next_visit(self, data: st.DataObject) -> None:
        """The next visit, whatever the stage calls for (keeps stories going when a specific action is off)."""
        self.submit(data.draw(next_event(self.pathway), label="next visit"))

    @accepts("presentation")
    @rule(data=st.data())
    def present(self, data: st.DataObject) -> None:
        """A new patient is seen: history, examination and the clinician's impression."""
        self.draw_and_submit(data, "presentation")

    @accepts("imaging_result")
    @rule(data=st.data())
    def image(self, data: st.DataObject) -> None:
        """The MRI (or CT) result arrives."""
        result = self.draw_and_submit(data, "imaging_result")
        assert isinstance(result, HistoryEntry), "an imaging result is always accepted in imaging"

    @accepts("secondary_cause_outcome")
    @rule(data=st.data())
    def secondary_cause_managed(self, data: st.DataObject) -> None:
        self.draw_and_submit(data, "secondary_cause_outcome")

    @accepts("treatment_decision")
    @rule(data=st.data(), chance=CHANCE)
    def decide(self, data: st.DataObject, chance: int) -> None:
        """An option is chosen with the patient (a change of a running treatment is less common)."""
        if self.pathway.stage is not Stage.TREATMENT_SELECTION and not now_and_then(chance):
            return
        result = self.draw_and_submit(data, "treatment_decision")
        assert isinstance(result, HistoryEntry)
        assert result.to_stage is Stage(self.accepted[-1]["option"])

    @accepts("medication_started")
    @rule(data=st.data())
    def start_drug(self, data: st.DataObject) -> None:
        self.draw_and_submit(data, "medication_started")

    @accepts("medication_review")
    @rule(data=st.data())
    def review_drug(self, data: st.DataObject) -> None:
        self.draw_and_submit(data, "medication_review")

    @accepts("botox_injection")
    @rule(data=st.data())
    def inject(self, data: st.DataObject) -> None:
        """A toxin session; under 84 days after the last one it must raise reinjection_interval_too_short."""
        previous = [e["date"] for e in self.accepted if e["type"] == "botox_injection"]
        result = self.draw_and_submit(data, "botox_injection")
        assert isinstance(result, HistoryEntry), "an injection is always accepted at the toxin stage"
        raised = {a.code for a in self.pathway.alerts if a.event_index == result.index}
        short = (
            bool(previous) and (result.date - dt.date.fromisoformat(previous[-1])).days < MIN_REINJECTION_INTERVAL_DAYS
        )
        assert ("reinjection_interval_too_short" in raised) == short

    @accepts("botox_response")
    @precondition(lambda m: bool(m.pathway.botox_cycles) and m.pathway.botox_cycles[-1].response_index is None)
    @rule(data=st.data())
    def respond(self, data: st.DataObject) -> None:
        """The response to the latest injection, once its benefit is known."""
        result = self.draw_and_submit(data, "botox_response")
        assert isinstance(result, HistoryEntry), "a consistent response to an awaiting injection is accepted"

    @accepts("botox_plan_adjusted")
    @rule(data=st.data(), chance=CHANCE)
    def adjust(self, data: st.DataObject, chance: int) -> None:
        """The toxin plan is changed: always after a waning response, now and then during good cycles."""
        if self.pathway.stage is Stage.BOTULINUM_TOXIN and not now_and_then(chance):
            return
        result = self.draw_and_submit(data, "botox_plan_adjusted")
        assert isinstance(result, HistoryEntry)
        assert result.to_stage is Stage.BOTULINUM_TOXIN

    @accepts("surgical_risk_assessment")
    @rule(data=st.data())
    def assess_risk(self, data: st.DataObject) -> None:
        result = self.draw_and_submit(data, "surgical_risk_assessment")
        assert isinstance(result, HistoryEntry)
        assert self.pathway.risk_benefit is not None
        assert self.pathway.risk_benefit.event_index == result.index

    @accepts("risk_benefit_decision")
    @rule(data=st.data())
    def decide_on_referral(self, data: st.DataObject) -> None:
        """Refer for MVD (through the checkpoint) or continue conservative care."""
        result = self.draw_and_submit(data, "risk_benefit_decision")
        if isinstance(result, PathwayError):
            assert isinstance(result, CheckpointNotSatisfied), "only the checkpoint may refuse this decision"
            assert result.unmet, "a checkpoint refusal names what is unmet"

    @accepts("mvd_performed")
    @rule(data=st.data())
    def operate(self, data: st.DataObject) -> None:
        self.draw_and_submit(data, "mvd_performed")

    @accepts("referral_closed")
    @rule(data=st.data())
    def close_referral(self, data: st.DataObject) -> None:
        self.draw_and_submit(data, "referral_closed")

    @accepts("post_mvd_review")
    @rule(data=st.data())
    def review_after_surgery(self, data: st.DataObject) -> None:
        self.draw_and_submit(data, "post_mvd_review")

    @accepts("red_flag")
    @rule(data=st.data(), chance=CHANCE)
    def red_flag(self, data: st.DataObject, chance: int) -> None:
        """A new red flag (now and then) sends the patient back to imaging (or, as new weakness or hearing loss
        within 30 days of MVD, is recorded as a complication and the patient stays in post_mvd)."""
        if not now_and_then(chance):
            return
        result = self.draw_and_submit(data, "red_flag")
        assert isinstance(result, HistoryEntry)
        assert result.to_stage in (Stage.IMAGING, Stage.POST_MVD)
        assert result.to_stage is Stage.IMAGING or result.from_stage is Stage.POST_MVD

    @accepts("imaging_booked")
    @precondition(lambda m: bool(m.outstanding_order()))
    @rule(data=st.data())
    def book_imaging(self, data: st.DataObject) -> None:
        """The outstanding study is booked: accepted, and the patient stays in imaging."""
        result = self.draw_and_submit(data, "imaging_booked")
        assert isinstance(result, HistoryEntry)
        assert result.to_stage is Stage.IMAGING

    @accepts("imaging_declined")
    @precondition(lambda m: bool(m.outstanding_order()))
    @rule(data=st.data(), chance=CHANCE)
    def decline_imaging(self, data: st.DataObject, chance: int) -> None:
        """Now and then the patient declines the outstanding study, informed or not."""
        if not now_and_then(chance):
            return
        result = self.draw_and_submit(data, "imaging_declined")
        assert isinstance(result, HistoryEntry)
        if not self.accepted[-1]["informed"]:
            assert result.to_stage is result.from_stage, "an uninformed refusal moves nobody"

    @accepts("imaging_finding_recorded")
    @precondition(lambda m: bool(uncoded_studies(m.pathway.events)))
    @rule(data=st.data())
    def record_finding(self, data: st.DataObject) -> None:
        """The finding of a study on record whose finding was not coded is read from its report."""
        result = self.draw_and_submit(data, "imaging_finding_recorded")
        assert isinstance(result, HistoryEntry), "the finding of an uncoded study on record is accepted"

    def outstanding_order(self) -> bool:
        state = workup_after(self.pathway.events, self.pathway.history, self.pathway.patient.birth_date)
        return state is not None and state.open and state.pending_finding is None

    @accepts("review_visit")
    @rule(data=st.data())
    def review(self, data: st.DataObject) -> None:
        self.draw_and_submit(data, "review_visit")

    @accepts("recurrence")
    @rule(data=st.data())
    def spasm_returns_after_discharge(self, data: st.DataObject) -> None:
        """Years after discharge the spasm returns: back to treatment selection, or to imaging when the
        discharge followed the treatment of a secondary cause."""
        result = self.draw_and_submit(data, "recurrence")
        assert isinstance(result, HistoryEntry)
        assert result.from_stage is Stage.DISCHARGED
        assert result.to_stage in (Stage.TREATMENT_SELECTION, Stage.IMAGING)

    @accepts("pathway_exit")
    @rule(data=st.data(), chance=CHANCE)
    def leave(self, data: st.DataObject, chance: int) -> None:
        """The patient leaves care (now and then, so that most stories run long)."""
        if now_and_then(chance):
            result = self.draw_and_submit(data, "pathway_exit")
            assert isinstance(result, HistoryEntry)
            assert result.to_stage is Stage.EXITED

    @rule(data=st.data())
    def mistake_then_correction(self, data: st.DataObject) -> None:
        """A bad event (typo, out-of-range value, wrong type, out of date order, not accepted now, a referral
        that skips the checkpoint) is refused with the contract's error and changes nothing; the clinic then
        records the visit correctly."""
        bad = data.draw(bad_events(self.pathway), label="bad event")
        result = self.submit(bad.event)
        assert isinstance(result, PathwayError), f"accepted a bad event ({bad.why}): {bad.event!r}"
        assert type(result) is bad.error, f"{bad.why}: expected {bad.error.__name__}, got {result!r}"
        if isinstance(result, CheckpointNotSatisfied):
            assert set(bad.unmet) <= set(result.unmet), (bad.unmet, result.unmet)
        if not self.pathway.final:
            self.submit(data.draw(next_event(self.pathway), label="corrected visit"))

    # Invariants (spec §4) -------------------------------------------------------------------------------------

    @invariant()
    def mvd_referral_only_through_the_checkpoint(self) -> None:
        """§4.1 (revision 2): mvd_referral is entered only by a refer_for_mvd decision with the patient informed and
        consenting, a surgical risk assessment within 180 days before it, and an override reason when the latest
        verdict is unfavourable (ASA 4 or more, or anticoagulation that cannot pause), imaging was CT only, the latest
        imaging showed a secondary cause or is not coded, or the imaging work-up is incomplete or was declined."""
        for entry in self.pathway.history:
            if entry.to_stage is not Stage.MVD_REFERRAL or entry.from_stage is Stage.MVD_REFERRAL:
                continue
            decision = self.accepted[entry.index]
            earlier = self.accepted[: entry.index]
            assert decision["type"] == "risk_benefit_decision"
            assert decision["decision"] == "refer_for_mvd"
            assert decision["patient_informed"] is True
            assert decision["patient_consents"] is True
            assessments = [e for e in earlier if e["type"] == "surgical_risk_assessment"]
            assert assessments, "referred without any surgical risk assessment"
            latest = assessments[-1]
            age = (dt.date.fromisoformat(decision["date"]) - dt.date.fromisoformat(latest["date"])).days
            assert 0 <= age <= RISK_ASSESSMENT_VALIDITY_DAYS, f"risk assessment {age} days old"
            imaging = [e for e in earlier if e["type"] == "imaging_result"]
            unfavourable = latest["asa_class"] >= 4 or (
                latest["anticoagulation"] and latest.get("anticoagulation_can_pause") is False
            )
            ct_only = all(e["modality"] == "ct" for e in imaging)
            secondary = bool(imaging) and imaging[-1]["finding"] in SECONDARY_FINDINGS
            before, history = self.pathway.events[: entry.index], self.pathway.history[: entry.index]
            workup = workup_after(before, history, self.pathway.patient.birth_date)
            incomplete = override_needed_for_workup(workup, before)  # revision 2: incomplete, declined, not coded
            override = unfavourable or ct_only or secondary or incomplete
            if override:
                assert decision.get("override_reason"), "referral needing an override passed without one"
            raised = {a.code for a in self.pathway.alerts if a.event_index == entry.index}
            assert ("checkpoint_override" in raised) == override

    @invariant()
    def no_treatment_before_imaging(self) -> None:
        """§4.2 (revision 2): no treatment stage (observation, oral medication, toxin, waning response, surgical
        evaluation, MVD referral, post-MVD) is reached before an imaging result, or an informed refusal of imaging,
        has been accepted; and once a red flag (or anything else) sends the patient back to imaging, the patient
        leaves imaging for care only by a new imaging result or an informed refusal."""
        imaged = False
        for entry in self.pathway.history:
            event = self.accepted[entry.index]
            if entry.to_stage is Stage.IMAGING and entry.from_stage is not Stage.IMAGING:
                imaged = False
            elif entry.event == "imaging_result" or (entry.event == "imaging_declined" and event["informed"]):
                imaged = True
            elif entry.event == "imaging_finding_recorded" and entry.to_stage is Stage.SECONDARY_CAUSE:
                # A secondary cause coded on an earlier study's report leads to secondary_cause whatever work-up is
                # open (invariant 3): that study is the imaging, and care resumes only once the cause is dealt with.
                imaged = True
            if entry.from_stage is Stage.IMAGING and entry.to_stage not in (Stage.IMAGING, Stage.EXITED):
                assert imaged, f"left imaging without a study or an informed refusal: {entry}"
            if entry.to_stage in TREATMENT_STAGES and entry.from_stage is not entry.to_stage:
                assert imaged, f"{entry.to_stage} reached without imaging: {entry}"

    @invariant()
    def urgent_work_up_stays_recommended_until_closed(self) -> None:
        """Invariant 10 (revision 2), checked after every step: from an urgent red flag until a satisfying study,
        a study that closes the tier, or an informed refusal, every evaluation but an exited one recommends
        urgent_contrast_mri (record_imaging_finding when only a study's finding is missing) and carries
        red_flag_secondary_hfs; and every open work-up's order is recommended, none once closed or declined."""
        check_outstanding_work_up(self.pathway, self.pathway.evaluate(self.as_of()))

    @invariant()
    def secondary_cause_finding_leads_to_secondary_cause(self) -> None:
        """§4.3: an imaging result showing a tumour, demyelination, a vascular malformation or another
        structural cause always moves the patient to secondary_cause, never straight to treatment."""
        for entry in self.pathway.history:
            if entry.event == "imaging_result" and self.accepted[entry.index]["finding"] in SECONDARY_FINDINGS:
                assert entry.to_stage is Stage.SECONDARY_CAUSE, entry

    @invariant()
    def final_stages_accept_no_event(self) -> None:
        """§4.5 (revision 2): once exited, every event, even a valid one, is refused (event_not_allowed) and
        changes nothing; once discharged, every event but a recurrence or a red flag is."""
        if self.pathway.stage not in FINAL_STAGES or self.final_checked_at == len(self.pathway.events):
            return  # nothing but a reopening event can change a final pathway, so checking it once is enough
        self.final_checked_at = len(self.pathway.events)
        assert self.pathway.final
        assert self.mirror.final
        reopening = REOPENING[self.pathway.stage]
        assert set(self.pathway.accepted_events()) <= reopening
        assert self.pathway.accepted_events() == tuple(e.value for e in HFS_PATHWAY.accepted_events(self.pathway.stage))
        on = self.pathway.events[-1].date + dt.timedelta(days=30)
        for event_type in EVENT_TYPES:
            if event_type in reopening:
                continue
            result = self.submit(example_event(event_type, on))
            assert isinstance(result, EventNotAllowed), f"{event_type} accepted at {self.pathway.stage}"

    @invariant()
    def same_case_same_evaluation_and_saving_changes_nothing(self) -> None:
        """§4.6: replaying the same case gives the same pathway and evaluation; saving and loading the pathway
        gives an equal pathway, the same evaluation, and the same saved text."""
        as_of = self.as_of()
        evaluation = self.pathway.evaluate(as_of).to_dict()
        assert self.pathway.evaluate(as_of).to_dict() == evaluation
        replayed = Pathway.replay(load_case({"patient": self.patient, "events": self.accepted}))
        assert replayed == self.pathway
        assert replayed.evaluate(as_of).to_dict() == evaluation
        saved = self.pathway.to_json()
        loaded = Pathway.from_json(saved)
        assert loaded == self.pathway
        assert loaded.evaluate(as_of).to_dict() == evaluation
        assert loaded.to_json() == saved

    @invariant()
    def reinjection_alert_exactly_when_interval_short(self) -> None:
        """§4.8: reinjection_interval_too_short is raised by an injection exactly when it comes under 84 days
        after the previous injection, and by nothing else."""
        assert self.pathway.guideline.min_reinjection_interval_days == MIN_REINJECTION_INTERVAL_DAYS
        flagged = {a.event_index for a in self.pathway.alerts if a.code == "reinjection_interval_too_short"}
        expected = set()
        previous: dt.date | None = None
        for index, event in enumerate(self.accepted):
            if event["type"] != "botox_injection":
                continue
            day = dt.date.fromisoformat(event["date"])
            if previous is not None and (day - previous).days < MIN_REINJECTION_INTERVAL_DAYS:
                expected.add(index)
            previous = day
        assert flagged == expected

    @invariant()
    def history_is_append_only(self) -> None:
        """§4.9: each accepted event adds exactly one history entry, at its index and in order; earlier entries
        never change; each entry leaves the stage the previous one reached."""
        history = self.pathway.history
        assert history[: len(self.seen_history)] == self.seen_history, "an earlier history entry changed"
        assert len(history) == len(self.accepted) == len(self.pathway.events)
        stage = HFS_PATHWAY.initial
        for index, (entry, event) in enumerate(zip(history, self.accepted, strict=True)):
            assert (entry.index, entry.event, entry.date.isoformat()) == (index, event["type"], event["date"])
            assert entry.from_stage is stage
            stage = entry.to_stage
        assert stage is self.pathway.stage
        self.seen_history = history

    @invariant()
    def table_and_transitions_machine_agree(self) -> None:
        """The definition's transition table and the real transitions machine keep the patient at the same
        stage, with the same history, alerts and saved form."""
        assert self.mirror.stage is self.pathway.stage
        assert self.mirror.history == self.pathway.history
        assert self.mirror.alerts == self.pathway.alerts
        assert self.mirror.to_json() == self.pathway.to_json()


PathwayMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, report_multiple_bugs=False)
TestPathwayStateMachine = PathwayMachine.TestCase
