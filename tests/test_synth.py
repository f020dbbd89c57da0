"""Synthetic cohorts: every case is accepted by the pathway, every branch is covered, the same seed gives the
same cohort."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from hfs_pathway import Pathway, PathwayError, Stage, load_case
from hfs_pathway.cli import main
from hfs_pathway.cohort import STORIES, synthetic_cases, write_synthetic

AS_OF = dt.date(2026, 1, 1)
SAMPLE = list(synthetic_cases(1500, seed=11, as_of=AS_OF))


def test_every_synthetic_case_is_accepted_whole_and_ends_where_its_story_says() -> None:
    for item in SAMPLE:
        pathway = Pathway.replay(load_case(item.case))
        assert len(pathway.events) == len(item.case["events"])
        assert pathway.stage.value == item.expected_stage, item.story
        pathway.evaluate(AS_OF)  # never dated after the evaluation date


def test_the_sample_covers_every_story_and_every_stage_of_the_pathway() -> None:
    assert {item.story for item in SAMPLE} == set(STORIES)
    assert {item.expected_stage for item in SAMPLE} == {stage.value for stage in Stage}


def test_story_shares_add_up_to_one_and_the_sample_follows_them() -> None:
    assert sum(share for share, _ in STORIES.values()) == pytest.approx(1.0)
    counts = Counter(item.story for item in SAMPLE)
    for story, (share, _) in STORIES.items():
        assert abs(counts[story] / len(SAMPLE) - share) < 0.03, story


def test_the_cohort_raises_the_alerts_a_clinic_sees_including_time_based_ones() -> None:
    codes: Counter[str] = Counter()
    for item in SAMPLE:
        codes.update(a.code for a in Pathway.replay(load_case(item.case)).evaluate(AS_OF).alerts)
    for code in (
        "red_flag_secondary_hfs",
        "imaging_overdue",
        "review_overdue",
        "response_assessment_overdue",
        "waning_response",
        "hla_b1502_screen_required",
        "reinjection_interval_too_short",
        "surgical_risk_unfavourable",
        "mvd_complication",
        "alternative_diagnosis",
    ):
        assert codes[code] > 0, code


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    first, second, other = io.BytesIO(), io.BytesIO(), io.BytesIO()
    write_synthetic(first, 200, seed=5)
    write_synthetic(second, 200, seed=5)
    write_synthetic(other, 200, seed=6)
    assert first.getvalue() == second.getvalue()
    assert first.getvalue() != other.getvalue()


def test_synth_command_writes_one_case_per_line(tmp_path: Path) -> None:
    target = tmp_path / "cases.ndjson"
    assert main(["synth", "--n", "25", "--seed", "3", "--as-of", "2025-06-30", "-o", str(target)]) == 0
    lines = target.read_bytes().splitlines()
    assert len(lines) == 25
    last_dates = [json.loads(line)["events"][-1]["date"] for line in lines if json.loads(line)["events"]]
    assert max(last_dates) <= "2025-06-30"


def test_thousands_of_cases_replay_without_a_refusal_and_show_the_revision_2_situations() -> None:
    """The stories record what revision 2 needs (a contrast MRI where the tier calls for it, an override reason
    where the work-up was left open) and some of its new courses: a response completed after an ongoing one,
    bridging toxin after MVD, a recurrence after discharge."""
    refused: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for item in synthetic_cases(3000, seed=1, as_of=AS_OF):
        try:
            Pathway.replay(load_case(item.case))
        except PathwayError as error:
            refused[error.code] += 1
            continue
        events = item.case["events"]
        types = [event["type"] for event in events]
        seen["ongoing_then_completed"] += any(e.get("benefit_ongoing") for e in events)
        seen["recurrence_after_discharge"] += "recurrence" in types
        seen["override_reason"] += any("override_reason" in e for e in events)
        if "mvd_performed" in types:
            seen["bridging_toxin"] += "botox_injection" in types[types.index("mvd_performed") :]
    assert refused == Counter()
    assert all(seen[name] > 0 for name in ("ongoing_then_completed", "recurrence_after_discharge")), seen
    assert all(seen[name] > 0 for name in ("override_reason", "bridging_toxin")), seen
