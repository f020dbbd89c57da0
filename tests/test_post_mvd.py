"""After microvascular decompression (spec §3, post_mvd), leaving the pathway, and the final stages.

Surgery is on 31 August 2025 throughout, so the calendar-month reviews fall on 30 November 2025,
28 February 2026, 31 August 2026 (12 months) and 31 August 2027 (24 months)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from hfs_pathway import EventNotAllowed, Severity, Stage
from tests.builder import CaseBuilder, alerts, last_index, rec, rec_codes

SURGERY = dt.date(2025, 8, 31)
MONTH_3 = dt.date(2025, 11, 30)
MONTH_6 = dt.date(2026, 2, 28)
MONTH_12 = dt.date(2026, 8, 31)
MONTH_24 = dt.date(2027, 8, 31)
DAY = dt.timedelta(days=1)


def operated() -> CaseBuilder:
    """Checkpoint passed (favourable), referred, operated on 31 August 2025."""
    return CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer().on(SURGERY).operate()


# Surgery and the review schedule ----------------------------------------------------------------------------


def test_operation_starts_follow_up() -> None:
    """mvd_performed -> post_mvd, with the first review due 3 calendar months after surgery."""
    story = operated()
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    last = evaluation.history[-1]
    assert (last.index, last.event, last.from_stage, last.to_stage) == (
        last_index(story),
        "mvd_performed",
        Stage.MVD_REFERRAL,
        Stage.POST_MVD,
    )
    assert rec(evaluation, "post_mvd_review").due == MONTH_3


@pytest.mark.parametrize(
    ("reviews", "next_due"),
    [
        ([], MONTH_3),
        ([MONTH_3], MONTH_6),
        ([MONTH_3, MONTH_6], MONTH_12),
        ([MONTH_3, MONTH_6, MONTH_12], MONTH_24),
    ],
    ids=["none_yet", "after_3_months", "after_6_months", "after_12_months"],
)
def test_reviews_fall_due_at_3_6_12_and_24_calendar_months(reviews: list[dt.date], next_due: dt.date) -> None:
    """After each review the next milestone of 3, 6, 12 and 24 months becomes due."""
    story = operated()
    for day in reviews:
        story.on(day).post_mvd("resolved")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    assert rec(evaluation, "post_mvd_review").due == next_due


def test_a_late_first_review_moves_the_schedule_to_the_next_milestone() -> None:
    """A first review at 6 and a half months covers the 3- and 6-month milestones: the 12-month one is next."""
    story = operated().on("2026-03-15").post_mvd("improved")
    assert rec(story.evaluate(), "post_mvd_review").due == MONTH_12


def test_a_missed_review_is_overdue_the_day_after() -> None:
    """review_overdue fires once the 3-month review is past due, not on the due date."""
    story = operated()
    assert alerts(story.evaluate(MONTH_3), "review_overdue") == []
    found = alerts(story.evaluate(MONTH_3 + DAY), "review_overdue")
    assert len(found) == 1
    assert found[0].event_index is None
    assert found[0].date == MONTH_3 + DAY


def test_routine_review_visit_after_surgery_stays() -> None:
    """A review_visit is accepted after surgery and changes nothing about the stage."""
    story = operated().on(MONTH_3).review()
    assert story.pathway().history[-1].to_stage is Stage.POST_MVD


# Outcomes -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spasm", ["improved", "unchanged"])
@pytest.mark.parametrize("day", [MONTH_3, MONTH_6, MONTH_12 - DAY], ids=["3_months", "6_months", "day_before_12"])
def test_persisting_spasm_in_the_first_year_waits_for_delayed_cure(spasm: str, day: dt.date) -> None:
    """Improved or unchanged before 12 months stays in post_mvd with delayed_resolution_possible (info)."""
    story = operated().on(day).post_mvd(spasm)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    found = alerts(evaluation, "delayed_resolution_possible")
    assert len(found) == 1
    assert found[0].severity is Severity.INFO
    assert found[0].event_index == last_index(story)


@pytest.mark.parametrize("spasm", ["improved", "unchanged"])
@pytest.mark.parametrize("day", [MONTH_12, dt.date(2027, 1, 15)], ids=["exactly_12_months", "17_months"])
def test_persisting_spasm_from_12_months_means_mvd_failed(spasm: str, day: dt.date) -> None:
    """Improved or unchanged 12 months or more after surgery -> treatment_selection with consider_redo_mvd."""
    story = operated().on(day).post_mvd(spasm)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    last = evaluation.history[-1]
    assert (last.index, last.from_stage) == (last_index(story), Stage.POST_MVD)
    assert "consider_redo_mvd" in rec_codes(evaluation)
    assert alerts(evaluation, "delayed_resolution_possible") == []


@pytest.mark.parametrize("day", [MONTH_12, MONTH_24 + DAY], ids=["exactly_12_months", "after_24_months"])
def test_recurrence_from_12_months_returns_to_treatment_selection(day: dt.date) -> None:
    """Recurred at a review 12 months or more after surgery -> treatment_selection, recommending
    consider_redo_mvd; no early_recurrence alert."""
    story = operated().on(MONTH_3 - DAY).post_mvd("resolved").on(day).post_mvd("recurred")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.TREATMENT_SELECTION
    assert "consider_redo_mvd" in rec_codes(evaluation)
    assert alerts(evaluation, "early_recurrence") == []


@pytest.mark.parametrize("day", [MONTH_3, MONTH_12 - DAY], ids=["3_months", "day_before_12_months"])
def test_recurrence_in_the_first_year_is_not_yet_a_failure(day: dt.date) -> None:
    """Recurred before 12 months stays in post_mvd with early_recurrence (warning): spasm may return after a
    silent period and still resolve (R2.9)."""
    story = operated().on(dt.date(2025, 9, 14)).post_mvd("resolved").on(day).post_mvd("recurred")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    found = alerts(evaluation, "early_recurrence")
    assert [(a.severity, a.event_index) for a in found] == [(Severity.WARNING, last_index(story))]
    assert "consider_redo_mvd" not in rec_codes(evaluation)
    assert "post_mvd_review" in rec_codes(evaluation)


def test_an_early_recurrence_does_not_prevent_discharge() -> None:
    """Recurred at 3 months, resolved again by 12 and 24 months -> discharged (R2.15)."""
    story = operated().on(MONTH_3).post_mvd("recurred").on(MONTH_12).post_mvd("resolved")
    story.on(MONTH_24).post_mvd("resolved")
    assert story.pathway().stage is Stage.DISCHARGED


def test_resolved_at_24_months_is_discharged() -> None:
    """Resolved at the 24-month review -> discharged: final, no recommendations; only a recurrence (or a red
    flag) is accepted afterwards, and any other event is refused and changes nothing."""
    story = operated().on(MONTH_3).post_mvd("resolved").on(MONTH_12).post_mvd("resolved").on(MONTH_24)
    story.post_mvd("resolved")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.DISCHARGED
    assert evaluation.final
    assert evaluation.recommendations == ()
    assert evaluation.history[-1].index == last_index(story)
    pathway = story.pathway()
    assert "recurrence" in pathway.accepted_events()
    assert set(pathway.accepted_events()) <= {"recurrence", "red_flag"}
    with pytest.raises(EventNotAllowed) as info:
        pathway.apply({"type": "post_mvd_review", "date": "2027-12-01", "spasm": "resolved", "complications": []})
    assert info.value.stage == "discharged"
    assert info.value.event_index == last_index(story) + 1
    assert pathway.history == story.pathway().history


def test_resolved_one_day_before_24_months_keeps_following_up() -> None:
    """Resolved the day before the 24-month milestone stays in post_mvd."""
    story = operated().on(MONTH_12).post_mvd("resolved").on(MONTH_24 - DAY).post_mvd("resolved")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    assert not evaluation.final


def test_resolved_at_first_reviews_keeps_following_up() -> None:
    """Resolved at 3 and 12 months is not yet a discharge."""
    story = operated().on(MONTH_3).post_mvd("resolved").on(MONTH_12).post_mvd("resolved")
    assert story.pathway().stage is Stage.POST_MVD


def test_complications_raise_mvd_complication() -> None:
    """A review listing complications raises mvd_complication naming them; the stage follows the spasm."""
    complications = [{"type": "hearing_loss", "permanent": True}, {"type": "csf_leak", "permanent": False}]
    story = operated().on(MONTH_3).post_mvd("resolved", complications)
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.POST_MVD
    found = alerts(evaluation, "mvd_complication")
    assert len(found) == 1
    assert found[0].severity is Severity.WARNING
    assert found[0].event_index == last_index(story)
    assert "hearing loss" in found[0].text
    assert "csf leak" in found[0].text.lower()
    assert alerts(operated().on(MONTH_3).post_mvd("resolved").evaluate(), "mvd_complication") == []


# Leaving the pathway; final stages ------------------------------------------------------------------------------

NON_FINAL: dict[Stage, Callable[[], CaseBuilder]] = {
    Stage.PRESENTATION: CaseBuilder,
    Stage.IMAGING: lambda: CaseBuilder().presentation(),
    Stage.SECONDARY_CAUSE: lambda: CaseBuilder().presentation().after(10).mri(finding="tumour"),
    Stage.TREATMENT_SELECTION: lambda: CaseBuilder().to_treatment_selection(),
    Stage.OBSERVATION: lambda: CaseBuilder().to_treatment_selection().after(7).decide("observation"),
    Stage.ORAL_MEDICATION: lambda: CaseBuilder().to_treatment_selection().after(7).decide("oral_medication"),
    Stage.BOTULINUM_TOXIN: lambda: CaseBuilder().to_toxin().inject(),
    Stage.WANING_RESPONSE: lambda: CaseBuilder().to_toxin().cycle(peak=40).cycle(peak=40),
    Stage.SURGICAL_EVALUATION: lambda: CaseBuilder().to_surgical_evaluation(),
    Stage.MVD_REFERRAL: lambda: CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer(),
    Stage.POST_MVD: operated,
}


def test_every_non_final_stage_is_covered() -> None:
    """The exit scenarios cover every stage but the two final ones."""
    assert set(NON_FINAL) == set(Stage) - {Stage.DISCHARGED, Stage.EXITED}


@pytest.mark.parametrize("stage", list(NON_FINAL), ids=str)
def test_patient_can_leave_the_pathway_from_every_non_final_stage(stage: Stage) -> None:
    """pathway_exit from every non-final stage -> exited (final)."""
    story = NON_FINAL[stage]()
    assert story.pathway().stage is stage
    story.after(30).leave("transferred")
    evaluation = story.evaluate()
    assert evaluation.stage is Stage.EXITED
    assert evaluation.final
    last = evaluation.history[-1]
    assert (last.index, last.from_stage, last.to_stage) == (last_index(story), stage, Stage.EXITED)


FINAL: dict[Stage, Callable[[], CaseBuilder]] = {
    Stage.EXITED: lambda: CaseBuilder().to_treatment_selection().after(5).leave("deceased"),
    Stage.DISCHARGED: lambda: (
        CaseBuilder()
        .presentation()
        .after(10)
        .mri(finding="tumour")
        .after(90)
        .event("secondary_cause_outcome", outcome="resolved")
    ),
}


REFUSED_IN_FINAL = {
    Stage.EXITED: ["pathway_exit", "red_flag", "review_visit", "recurrence"],
    Stage.DISCHARGED: ["pathway_exit", "review_visit", "post_mvd_review", "treatment_decision"],
}
"""Invariant 5 (revision 2): exited accepts no event; discharged accepts only recurrence and red_flag."""
FIELDS = {
    "pathway_exit": {"reason": "lost_to_follow_up"},
    "red_flag": {"finding": "hearing_loss"},
    "review_visit": {"wants_treatment": True},
    "recurrence": {},
    "post_mvd_review": {"spasm": "recurred", "complications": []},
    "treatment_decision": {"option": "botulinum_toxin", "shared_decision": True},
}


@pytest.mark.parametrize(
    ("stage", "event"), [(stage, event) for stage, events in REFUSED_IN_FINAL.items() for event in events]
)
def test_final_stages_refuse_every_other_event(stage: Stage, event: str) -> None:
    """Nothing moves a patient out of exited; out of discharged only a recurrence or a red flag."""
    story = FINAL[stage]().after(10).event(event, **FIELDS[event])
    with pytest.raises(EventNotAllowed) as info:
        story.pathway()
    assert info.value.code == "event_not_allowed"
    assert info.value.stage == stage.value
    assert info.value.event_index == last_index(story)
    assert set(info.value.accepted) <= {"recurrence", "red_flag"}
    if stage is Stage.EXITED:
        assert info.value.accepted == ()


def test_a_patient_who_left_gets_no_reminders() -> None:
    """Once exited, nothing falls due: no recommendations and no time-based alerts, even a year later."""
    story = CaseBuilder().presentation().after(10).leave("patient_declined_care")
    evaluation = story.evaluate(story.today + dt.timedelta(days=365))
    assert evaluation.stage is Stage.EXITED
    assert evaluation.recommendations == ()
    assert [a for a in evaluation.alerts if a.event_index is None] == []


def test_a_check_one_month_after_surgery_does_not_replace_the_three_month_review() -> None:
    """A review covers only the milestones due on or before it (or within 28 days after it)."""
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer()
    story.on("2025-04-02").operate().on("2025-05-02").post_mvd(spasm="improved")
    due = {r.code: r.due for r in story.evaluate().recommendations}["post_mvd_review"]
    assert due == dt.date(2025, 7, 2)  # the three-month review is still due


def test_a_review_two_weeks_early_counts_as_the_scheduled_one() -> None:
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(7).refer()
    story.on("2025-04-02").operate().on("2025-06-18").post_mvd(spasm="improved")
    due = {r.code: r.due for r in story.evaluate().recommendations}["post_mvd_review"]
    assert due == dt.date(2025, 10, 2)  # six months after surgery
