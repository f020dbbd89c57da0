"""Active alerts and history (R2.11, R2.14 "Active", R2.15 "Active, per alert").

Every alert is kept; ``active`` says whether it belongs to the present. The stories below walk each rule to its
edge (the event that ends a stay, the next injection, the end of a drug course, the closing of the work-up); the
properties check the rule on generated courses of care against a second, independent reading of it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import given

from hfs_pathway import Alert, Evaluation, Pathway, Stage
from hfs_pathway._active import ALERT_ACTIVE_WHILE, ActiveWhile, active_while
from hfs_pathway._catalog import ALERTS

from .builder import CaseBuilder, alerts
from .strategies import plausible_cases


def _only(evaluation: Evaluation, code: str) -> Alert:
    found = alerts(evaluation, code)
    assert len(found) == 1, f"expected one {code} in {[a.code for a in evaluation.alerts]}"
    return found[0]


# The table -------------------------------------------------------------------------------------------------------


def test_every_catalogued_alert_has_an_active_rule() -> None:
    """One rule per alert code: a code added to the catalog without one fails here."""
    missing = sorted(set(ALERTS) - set(ALERT_ACTIVE_WHILE))
    assert not missing, f"alert codes with no active rule in hfs_pathway._active: {missing}"


def test_the_rules_named_by_the_contract() -> None:
    """R2.15 names the work-up, drug and toxin-cycle alerts; the time-based ones are computed as of a date."""
    named = {
        ActiveWhile.WORKUP_OPEN: {
            "red_flag_secondary_hfs",
            "contrast_mri_indicated",
            "imaging_workup_incomplete",
            "urgent_imaging_overdue",
            "imaging_finding_not_coded",
            "imaging_booked_late",
        },
        ActiveWhile.DRUG_COURSE: {
            "hla_b1502_screen_required",
            "hla_b1502_screen_advised",
            "hla_b1502_positive",
            "dose_above_label_maximum",
            "pregnancy_drug_review",
            "enzyme_inducer_contraception",
        },
        ActiveWhile.TOXIN_CYCLE: {
            "reinjection_interval_too_short",
            "dose_above_usual_range",
            "distant_spread_suspected",
            "local_diffusion_suspected",
        },
        ActiveWhile.NEXT_REVIEW: {"delayed_resolution_possible", "early_recurrence"},
        ActiveWhile.CONDITION_HOLDS: {
            "imaging_overdue",
            "response_assessment_overdue",
            "review_overdue",
            "referral_overdue",
            "follow_up_overdue",
        },
    }
    for rule, codes in named.items():
        assert {c for c, r in ALERT_ACTIVE_WHILE.items() if r is rule} == codes, rule
    assert active_while("waning_response") is ActiveWhile.STAGE_STAY
    assert active_while("a_code_nobody_catalogued") is ActiveWhile.STAGE_STAY


# Work-up alerts ----------------------------------------------------------------------------------------------------


def test_a_red_flag_at_presentation_is_active_until_the_imaging_closes_the_work_up() -> None:
    story = CaseBuilder().presentation(hearing_loss=True)
    waiting = story.evaluate()
    assert _only(waiting, "red_flag_secondary_hfs").active
    story.after(10).mri(contrast=True)
    imaged = story.evaluate()
    assert not _only(imaged, "red_flag_secondary_hfs").active
    assert imaged.stage is Stage.TREATMENT_SELECTION


def test_a_discharged_patient_does_not_carry_an_old_red_flag_as_current() -> None:
    story = CaseBuilder().presentation(facial_numbness=True).after(10).mri(contrast=True)
    story.after(14).decide("surgical_evaluation").after(7).risk_assessment().after(1).refer()
    story.after(60).operate().after(92).post_mvd().after(92).post_mvd().after(183).post_mvd()
    story.after(366).post_mvd()
    evaluation = story.evaluate(as_of=story.today + dt.timedelta(days=900))
    assert evaluation.stage is Stage.DISCHARGED
    assert evaluation.alerts, "alerts are kept in the history"
    assert not any(a.active for a in evaluation.alerts)


def test_a_red_flag_during_toxin_is_active_again_until_the_new_imaging() -> None:
    story = CaseBuilder().to_toxin().cycle().after(30).red_flag("facial_numbness")
    flagged = story.evaluate()
    assert _only(flagged, "red_flag_secondary_hfs").active
    assert flagged.stage is Stage.IMAGING


# Staying in a stage ---------------------------------------------------------------------------------------------


def test_an_alert_raised_by_the_event_that_entered_the_stage_belongs_to_the_stay() -> None:
    """R2.14: the waning alert comes with the response that moved the patient to waning_response."""
    story = CaseBuilder().to_toxin().cycle(peak=10, benefit=20).cycle(peak=10, benefit=20)
    waning = story.evaluate()
    assert waning.stage is Stage.WANING_RESPONSE
    assert _only(waning, "waning_response").active
    story.adjust("switch_product")
    adjusted = story.evaluate()
    assert adjusted.stage is Stage.BOTULINUM_TOXIN
    assert not _only(adjusted, "waning_response").active, "the stay in waning_response has ended"


def test_an_event_that_keeps_the_stage_does_not_end_the_stay() -> None:
    """Imaging that found no conflict: the info stays active while the patient is still choosing a treatment."""
    story = CaseBuilder().presentation().after(20).mri("no_abnormality")
    assert _only(story.evaluate(), "no_nvc_on_imaging").active
    story.after(30).decide("observation")
    observed = story.evaluate()
    assert not _only(observed, "no_nvc_on_imaging").active
    story.after(30).review(wants_treatment=False)
    assert not _only(story.evaluate(), "no_nvc_on_imaging").active


def test_the_checkpoint_override_is_active_during_the_referral_and_history_after_surgery() -> None:
    story = CaseBuilder().presentation().after(20).ct()
    story.after(14).decide("surgical_evaluation").after(7).risk_assessment()
    story.after(1).refer(override_reason="MRI contraindicated: pacemaker")
    referred = story.evaluate()
    assert _only(referred, "checkpoint_override").active
    story.after(40).operate()
    assert not _only(story.evaluate(), "checkpoint_override").active


def test_an_exit_for_another_diagnosis_stays_active_in_exited() -> None:
    evaluation = CaseBuilder().presentation(clinical_impression="blepharospasm").evaluate()
    assert evaluation.stage is Stage.EXITED
    assert _only(evaluation, "alternative_diagnosis").active


# Toxin cycles -----------------------------------------------------------------------------------------------------


def test_a_short_interval_is_active_until_the_next_injection() -> None:
    story = CaseBuilder().to_toxin().inject().after(70).inject()
    short = story.evaluate()
    assert _only(short, "reinjection_interval_too_short").active
    story.after(30).respond(peak=80, benefit=30)
    assert _only(story.evaluate(), "reinjection_interval_too_short").active, "a response does not end the cycle"
    story.after(70).inject()
    assert not _only(story.evaluate(), "reinjection_interval_too_short").active


def test_a_high_dose_stays_active_after_leaving_toxin_but_not_in_a_final_stage() -> None:
    story = CaseBuilder().to_toxin().inject(units=90)
    assert _only(story.evaluate(), "dose_above_usual_range").active
    story.after(100).respond(peak=80, benefit=90).after(10).decide("observation")
    assert _only(story.evaluate(), "dose_above_usual_range").active, "no injection since: the next may follow"
    story.after(10).leave("transferred")
    assert not _only(story.evaluate(), "dose_above_usual_range").active


# Drug courses -----------------------------------------------------------------------------------------------------


def _on_carbamazepine() -> CaseBuilder:
    story = CaseBuilder(asian_ancestry=True).to_treatment_selection().after(14).decide("oral_medication")
    return story.after(3).start_drug("carbamazepine", 200)


def test_a_drug_alert_is_active_while_the_course_is_current() -> None:
    story = _on_carbamazepine()
    assert _only(story.evaluate(), "hla_b1502_screen_required").active
    story.after(56).review_drug("good")
    assert _only(story.evaluate(), "hla_b1502_screen_required").active


def test_a_drug_alert_ends_with_its_course() -> None:
    story = _on_carbamazepine().after(56).review_drug("none")
    stopped = story.evaluate()
    assert stopped.stage is Stage.TREATMENT_SELECTION
    assert not _only(stopped, "hla_b1502_screen_required").active


def test_a_drug_alert_ends_when_another_drug_is_started() -> None:
    story = _on_carbamazepine().after(20).start_drug("gabapentin", 900)
    assert not _only(story.evaluate(), "hla_b1502_screen_required").active


def test_a_drug_alert_is_not_revived_by_a_new_course_of_the_same_stage() -> None:
    story = _on_carbamazepine().after(56).review_drug("none").after(7).decide("oral_medication")
    again = story.evaluate()
    assert again.stage is Stage.ORAL_MEDICATION
    assert not _only(again, "hla_b1502_screen_required").active


# Time-based alerts ------------------------------------------------------------------------------------------------


def test_time_based_alerts_are_active_while_listed() -> None:
    story = CaseBuilder().presentation()
    late = story.evaluate(as_of=story.today + dt.timedelta(days=120))
    overdue = _only(late, "imaging_overdue")
    assert overdue.event_index is None
    assert overdue.active


# What the outputs carry --------------------------------------------------------------------------------------------


def test_the_json_form_and_the_pathway_alerts_carry_active() -> None:
    story = _on_carbamazepine().after(56).review_drug("none")
    pathway = story.pathway()
    evaluation = pathway.evaluate(story.today)
    data = evaluation.to_dict()
    assert [a["active"] for a in data["alerts"]] == [a.active for a in evaluation.alerts]
    assert pathway.alerts == tuple(a for a in evaluation.alerts if a.event_index is not None)


# Properties -------------------------------------------------------------------------------------------------------


def _expected_active(alert: Alert, pathway: Pathway) -> bool:
    """A second reading of the rules, from the history's entries rather than from the stay's first event."""
    history = pathway.history
    rule = active_while(alert.code)
    if rule is ActiveWhile.WORKUP_OPEN:
        return bool(pathway._record.workup_open)
    if alert.event_index is None:
        return True
    later = history[alert.event_index + 1 :]
    if pathway.final and rule in (ActiveWhile.TOXIN_CYCLE, ActiveWhile.DRUG_COURSE):
        return False
    raised_by = history[alert.event_index].event
    if rule is ActiveWhile.TOXIN_CYCLE or (rule is ActiveWhile.DRUG_COURSE and raised_by == "botox_injection"):
        return all(e.event != "botox_injection" for e in later)
    in_stay = history[alert.event_index].to_stage is pathway.stage and all(e.from_stage is e.to_stage for e in later)
    if rule is ActiveWhile.NEXT_REVIEW:
        return in_stay and all(e.event != "post_mvd_review" for e in later)
    if rule is ActiveWhile.DRUG_COURSE:
        starts = [e.index for e in history[: alert.event_index + 1] if e.event == "medication_started"]
        if not starts or pathway.stage is not Stage.ORAL_MEDICATION:
            return False
        since = history[starts[-1] + 1 :]
        return all(e.event != "medication_started" and e.from_stage is e.to_stage for e in since)
    return in_stay


@given(case=plausible_cases())
def test_an_alert_is_active_exactly_when_its_rule_says_so(case: dict[str, Any]) -> None:
    pathway = Pathway.replay(case)
    as_of = (pathway.events[-1].date if pathway.events else dt.date(2025, 1, 1)) + dt.timedelta(days=200)
    for alert in pathway.evaluate(as_of).alerts:
        assert alert.active is _expected_active(alert, pathway), alert


@given(case=plausible_cases())
def test_no_alert_is_ever_dropped(case: dict[str, Any]) -> None:
    """Every alert raised so far is still listed after every later event, active or not, in the same order."""
    pathway = Pathway.replay(case)
    final = [a._replace(active=True) for a in pathway.alerts]
    growing = Pathway.start(case["patient"])
    for event in pathway.events:
        growing.apply(event)
        so_far = [a._replace(active=True) for a in growing.alerts]
        assert final[: len(so_far)] == so_far
        as_of = event.date
        listed = growing.evaluate(as_of).alerts
        assert [a for a in listed if a.event_index is not None] == list(growing.alerts)


@given(case=plausible_cases())
def test_json_and_saved_pathways_keep_active(case: dict[str, Any]) -> None:
    pathway = Pathway.replay(case)
    as_of = (pathway.events[-1].date if pathway.events else dt.date(2025, 1, 1)) + dt.timedelta(days=30)
    evaluation = pathway.evaluate(as_of)
    data = json.loads(json.dumps(evaluation.to_dict()))
    assert [a["active"] for a in data["alerts"]] == [a.active for a in evaluation.alerts]
    assert Pathway.from_json(pathway.to_json()).evaluate(as_of) == evaluation


def test_cds_cards_show_active_alerts_only() -> None:
    """A discharged patient's red flag from presentation is history: no card for it, only the stage card."""
    from hfs_pathway.cds._cards import patient_view_cards

    story = CaseBuilder().presentation(facial_numbness=True).after(10).mri(contrast=True)
    story.after(14).decide("botulinum_toxin").after(7).inject(units=90)
    cards = patient_view_cards(story.evaluate(), docs_url="https://example.org")
    topics = [c["source"]["topic"]["code"] for c in cards]
    assert topics == ["dose_above_usual_range", "botulinum_toxin"]


def test_what_a_review_after_surgery_found_is_current_until_the_next_review() -> None:
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(1).refer().after(30).operate()
    story.after(91).post_mvd("improved")
    assert _only(story.evaluate(), "delayed_resolution_possible").active
    story.after(92).post_mvd("resolved")
    resolved = story.evaluate()
    assert resolved.stage is Stage.POST_MVD
    assert not _only(resolved, "delayed_resolution_possible").active
