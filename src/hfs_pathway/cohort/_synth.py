"""Synthetic cohorts: clinically plausible cases across every branch of the pathway, the same for a seed.

Each case follows one *story* (a branch of the pathway), drawn with the weights in :data:`STORIES`; the story's
times, findings and responses are drawn from the distributions documented in ``docs/cohort.md``. Every case
ends on or before the evaluation date ``as_of``, a story-specific gap before it, so that some patients are due
or overdue on that date and others are not. Dates are built as day offsets from the presentation and placed on
the calendar at the end. The generator uses only ``random.Random(seed)``, so the same ``n``, ``seed`` and
``as_of`` give the same cases, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from ._stories import STORIES
from ._story import Story

DEFAULT_SEED = 20250101
DEFAULT_AS_OF = dt.date(2026, 1, 1)


class SyntheticCase(NamedTuple):
    """One generated case, the story it follows and the stage its events lead to."""

    case: dict[str, Any]
    story: str
    expected_stage: str


def synthetic_cases(n: int, seed: int = DEFAULT_SEED, as_of: dt.date = DEFAULT_AS_OF) -> Iterator[SyntheticCase]:
    """``n`` synthetic cases, one at a time (a million need no more memory than one), all ending by ``as_of``."""
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    names = list(STORIES)
    thresholds = []
    total = 0.0
    for name in names:
        total += STORIES[name][0]
        thresholds.append(total)
    import bisect

    for i in range(n):
        story = Story(rng, f"syn-{seed}-{i:07d}")
        name = names[min(bisect.bisect(thresholds, rng.random() * total), len(names) - 1)]
        expected, max_gap = STORIES[name][1](story)
        gap = rng.randint(0, max_gap)
        yield SyntheticCase(story.case(as_of, gap), name, expected)


def write_synthetic(
    target: str | Path | IO[bytes], n: int, seed: int = DEFAULT_SEED, as_of: dt.date = DEFAULT_AS_OF
) -> int:
    """Write ``n`` synthetic cases as NDJSON (one case per line) to a path or a binary file; returns ``n``."""
    from . import _json

    if isinstance(target, (str, Path)):
        with Path(target).open("wb") as f:
            return write_synthetic(f, n, seed, as_of)
    dumps = _json.dumps
    batch: list[bytes] = []
    for item in synthetic_cases(n, seed, as_of):
        batch.append(dumps(item.case))
        if len(batch) >= 4096:
            target.write(b"\n".join(batch) + b"\n")
            batch.clear()
    if batch:
        target.write(b"\n".join(batch) + b"\n")
    return n
