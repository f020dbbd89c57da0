"""The text report a clinician reads first (R2.11): who the patient is, active alerts apart from history, a short
timeline, an expired assessment marked expired, the exit reason, events counted from 1, and clinically right words."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from hfs_pathway import Evaluation, Pathway, format_report, load_case
from hfs_pathway._text import render_evaluation

from .builder import CaseBuilder
from .strategies import plausible_cases

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXPECTED: dict[str, dict[str, Any]] = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))


def _sections(report: str) -> dict[str, str]:
    """The report cut at its upper-case headings."""
    parts: dict[str, str] = {}
    heading = "HEADER"
    for line in report.splitlines():
        match = re.match(r"^([A-Z][A-Z -]+[A-Z])(\b|$)", line)
        if match and line[:3].isupper() and not line.startswith("Age"):
            heading = match.group(1).strip()
        parts[heading] = parts.get(heading, "") + line + "\n"
    return parts


def _report(story: CaseBuilder, as_of: str | dt.date | None = None) -> str:
    return render_evaluation(story.evaluate(as_of))


# Who the patient is -----------------------------------------------------------------------------------------------


def test_the_header_gives_age_on_the_evaluation_date_sex_and_side() -> None:
    story = CaseBuilder(birth_date="1960-06-15", sex="female").presentation(side="right")
    assert "Age 64, female. Right-sided spasm that began around the eye." in _report(story, "2025-06-14")
    assert "Age 65, female." in _report(story, "2025-06-15")


def test_missing_facts_are_said_to_be_missing() -> None:
    story = CaseBuilder(birth_date=None).presentation(side="bilateral", onset_region="lower_face")
    assert "Age not recorded, sex not recorded. Spasm on both sides that began in the lower face." in _report(story)


# Active alerts and history ---------------------------------------------------------------------------------------


def _discharged_after_red_flag() -> CaseBuilder:
    story = CaseBuilder().on("2019-01-07").presentation(facial_numbness=True).after(10).mri(contrast=True)
    story.after(14).decide("surgical_evaluation").after(7).risk_assessment().after(1).refer()
    story.after(60).operate().after(92).post_mvd().after(92).post_mvd().after(183).post_mvd()
    return story.after(366).post_mvd()


def test_a_discharged_patient_opens_with_no_active_alert_and_the_old_red_flag_in_history() -> None:
    report = _report(_discharged_after_red_flag(), "2025-01-01")
    sections = _sections(report)
    assert "none" in sections["ACTIVE ALERTS"]
    assert "CRITICAL" not in sections["ACTIVE ALERTS"]
    assert "red_flag_secondary_hfs; event 1]" in sections["EARLIER ALERTS"]
    assert report.index("ACTIVE ALERTS") < report.index("TIMELINE") < report.index("EARLIER ALERTS")


def test_active_alerts_come_by_severity_with_their_event_counted_from_1() -> None:
    story = CaseBuilder().presentation(hearing_loss=True)
    evaluation = story.evaluate()
    (flag,) = [a for a in evaluation.alerts if a.code == "red_flag_secondary_hfs"]
    assert flag.event_index == 0
    assert evaluation.to_dict()["alerts"][0]["event_index"] == 0, "the JSON keeps the 0-based index"
    active = _sections(render_evaluation(evaluation))["ACTIVE ALERTS"]
    assert "CRITICAL (1)" in active
    assert "[red_flag_secondary_hfs; event 1]" in active
    assert "event 0" not in render_evaluation(evaluation)


def test_a_time_based_alert_names_the_evaluation_date() -> None:
    report = _report(CaseBuilder().on("2025-01-06").presentation(), "2025-06-01")
    assert "[imaging_overdue; as of 2025-06-01]" in _sections(report)["ACTIVE ALERTS"]


# The timeline -----------------------------------------------------------------------------------------------------


def test_the_timeline_shows_the_key_events_and_skips_routine_cycles() -> None:
    story = CaseBuilder().to_toxin().cycle().cycle().cycle(peak=40, benefit=90).cycle(peak=40, benefit=90)
    story.after(14).decide("surgical_evaluation").after(14).risk_assessment().after(1).refer()
    story.after(60).operate().after(92).post_mvd("recurred")
    timeline = _sections(_report(story))["TIMELINE"]
    for words in (
        "1. Presentation: clinical impression hemifacial spasm",
        "2. MRI without contrast (high-resolution T2, angiography): neurovascular conflict (AICA)",
        "3. Treatment chosen: botulinum toxin",
        "toxin benefit waning: the recent cycles each gave too little or too short a benefit",
        "Surgical risk assessment at the checkpoint",
        "Checkpoint decision: refer for microvascular decompression -> mvd referral",
        "Microvascular decompression performed",
        "Review after surgery: spasm recurred",
    ):
        assert words in timeline, words
    assert "Botulinum toxin injection" not in timeline
    assert len(timeline.splitlines()) == 1 + 10


def test_the_timeline_shows_where_an_event_came_from() -> None:
    story = CaseBuilder().presentation(source={"system": "fhir", "reference": "Condition/4", "inferred": True})
    report = _report(story)
    assert "(inferred from Condition/4)" in _sections(report)["TIMELINE"]


def test_the_exit_reason_is_shown() -> None:
    story = CaseBuilder().to_toxin().after(100).leave("lost_to_follow_up")
    report = _report(story)
    assert "Exit reason: lost to follow up." in _sections(report)["STAGE"]
    assert "Left the pathway: lost to follow up" in _sections(report)["TIMELINE"]


# The risk-benefit assessment --------------------------------------------------------------------------------------


def _assessed() -> CaseBuilder:
    return CaseBuilder().to_surgical_evaluation().risk_assessment()


def test_an_assessment_is_valid_until_its_last_day_and_expired_the_day_after() -> None:
    evaluation = _assessed().evaluate()
    assert evaluation.risk_benefit is not None
    last_day = evaluation.risk_benefit.valid_until
    on_last_day = _report(_assessed(), last_day)
    assert f"valid until {last_day.isoformat()}" in on_last_day
    assert "EXPIRED" not in on_last_day
    after = _report(_assessed(), last_day + dt.timedelta(days=1))
    assert f"EXPIRED on {last_day.isoformat()}: repeat it before a referral" in after
    assert "valid until" not in after


# Clinical wording ---------------------------------------------------------------------------------------------------


def test_ct_is_never_said_to_show_or_exclude_a_conflict() -> None:
    conflict = _report(CaseBuilder().presentation().after(20).ct("neurovascular_conflict"))
    assert "CT: reported as a neurovascular conflict, which CT cannot show" in conflict
    normal = _report(CaseBuilder().presentation().after(20).ct())
    assert "CT cannot exclude a neurovascular conflict" in normal


def test_primary_non_response_is_not_called_no_response_at_all() -> None:
    story = CaseBuilder().to_toxin().cycle(peak=20, benefit=20).cycle(peak=15, benefit=20)
    report = _report(story)
    assert "little or no benefit" in report
    assert "no response at all" not in report


@pytest.mark.parametrize(
    ("cycles", "reason", "words"),
    [
        ([(98, 80, 100)] * 3 + [(98, 70, 60), (98, 70, 60)], "shortening_benefit", "the duration of benefit"),
        (
            [(98, 80, 60), (70, 80, 60), (70, 80, 60), (70, 80, 60)],
            "shortening_intervals",
            "the intervals between injections",
        ),
    ],
)
def test_waning_is_named_for_what_shortened(cycles: list[tuple[int, int, int]], reason: str, words: str) -> None:
    story = CaseBuilder().to_toxin()
    for interval, peak, benefit in cycles:
        story.cycle(interval=interval, peak=peak, benefit=benefit)
    evaluation = story.evaluate()
    waning = [a for a in evaluation.alerts if a.code == "waning_response"]
    assert waning, [a.code for a in evaluation.alerts]
    assert reason in waning[0].text
    assert words in render_evaluation(evaluation)


def test_an_oral_drug_without_any_response_is_said_so() -> None:
    story = CaseBuilder().to_treatment_selection().after(14).decide("oral_medication").after(1).start_drug("gabapentin")
    assert "no response, tolerable side effects" in _report(story.after(56).review_drug("none", "tolerable"))
    assert "partial response" in _report(
        CaseBuilder()
        .to_treatment_selection()
        .after(14)
        .decide("oral_medication")
        .after(1)
        .start_drug("gabapentin")
        .after(56)
        .review_drug("partial")
    )


# Every example, and any course of care ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_example_reads_as_a_report(name: str) -> None:
    pathway = Pathway.replay(load_case(EXAMPLES / name))
    evaluation = pathway.evaluate(dt.date.fromisoformat(EXPECTED[name]["as_of"]))
    report = format_report(evaluation)
    _check(report, evaluation)


@given(case=plausible_cases())
def test_any_course_of_care_reads_as_a_report(case: dict[str, Any]) -> None:
    pathway = Pathway.replay(case)
    as_of = (pathway.events[-1].date if pathway.events else dt.date(2025, 1, 1)) + dt.timedelta(days=60)
    evaluation = pathway.evaluate(as_of)
    _check(render_evaluation(evaluation), evaluation)


def _check(report: str, evaluation: Evaluation) -> None:
    sections = _sections(report)
    active = sections.get("ACTIVE ALERTS", "")
    history = sections.get("EARLIER ALERTS", "")
    for alert in evaluation.alerts:
        where = active if alert.active else history
        origin = "as of" if alert.event_index is None else f"event {alert.event_index + 1}"
        assert f"[{alert.code}; {origin}" in where, (alert.code, alert.active)
    assert ("EARLIER ALERTS" in sections) is any(not a.active for a in evaluation.alerts)
    numbers = [int(n) for n in re.findall(r"^  \d{4}-\d\d-\d\d\s+(\d+)\. ", sections.get("TIMELINE", ""), re.M)]
    assert numbers == sorted(set(numbers))
    assert all(1 <= n <= len(evaluation.history) for n in numbers)
    if evaluation.history:
        assert numbers[0] == 1, "the presentation opens the timeline"
    assert "no response at all" not in report
    if evaluation.exit_reason is not None:
        assert f"Exit reason: {evaluation.exit_reason.value.replace('_', ' ')}." in report
    rb = evaluation.risk_benefit
    if rb is not None:
        assert ("EXPIRED" in report) is (evaluation.as_of > rb.valid_until)


def test_a_bridging_injection_after_surgery_is_on_the_timeline() -> None:
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(1).refer().after(30).operate()
    story.after(60).inject()
    timeline = _sections(_report(story))["TIMELINE"]
    assert "Botulinum toxin injection: 20 units of onabotulinumtoxinA" in timeline


def test_a_recurrence_after_discharge_is_on_the_timeline() -> None:
    story = CaseBuilder().to_surgical_evaluation().risk_assessment().after(1).refer().after(30).operate()
    story.after(92).post_mvd().after(92).post_mvd().after(183).post_mvd().after(370).post_mvd()
    assert story.evaluate().stage.value == "discharged"
    story.after(900).event("recurrence")
    timeline = _sections(_report(story))["TIMELINE"]
    assert "Spasm returned after the pathway was complete -> treatment selection" in timeline


def test_the_presentation_line_names_findings_history_and_what_was_not_examined() -> None:
    story = CaseBuilder().presentation(
        facial_weakness=True, deficits_stable=True, multiple_sclerosis=True, hearing_loss=None
    )
    timeline = _sections(_report(story))["TIMELINE"]
    assert "findings: facial weakness, long-standing and not progressing" in timeline
    assert "history of multiple sclerosis" in timeline
    assert "not examined or not documented: hearing loss" in timeline


def test_the_work_up_events_read_in_words() -> None:
    story = CaseBuilder().presentation(hearing_loss=True).after(3).event("imaging_booked", booked_for="2025-01-15")
    story.after(10).mri(contrast=False)
    timeline = _sections(_report(story))["TIMELINE"]
    assert "Imaging booked for 2025-01-15" in timeline
    assert "MRI without contrast (high-resolution T2, angiography)" in timeline
