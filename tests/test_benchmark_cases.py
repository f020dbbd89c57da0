"""The benchmarks' own synthetic cases stay valid under the current rules.

``benchmarks/bench_evaluate.py --cases bench`` and the cohort benchmark measure these cases; a rule that refuses
them (as the imaging work-up of revision 2 once did, for cases whose presentation needs a contrast study) would
leave a benchmark that stops at its first case. The benchmarks are run on demand, so this test keeps them runnable.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_every_benchmark_case_replays_whole_with_both_engines_and_ends_where_its_story_says() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from _synthetic import generate, self_check
    finally:
        sys.path.remove(str(BENCHMARKS))
    cases = generate(300, seed=20250101)
    alerts = self_check(cases)  # raises AssertionError naming the first case that fails
    assert {c.kind for c in cases} == {"toxin_responder", "plan_adjusted", "mvd_discharged", "mvd_follow_up"}
    assert alerts["waning_response"] > 0
