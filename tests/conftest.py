"""Shared test set-up: hypothesis profiles and the case builder fixture.

``HYPOTHESIS_PROFILE=ci`` (set by ``.ci/run``) makes every property test derandomized, so CI runs
are reproducible; the default ``dev`` profile explores new examples on each run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=150,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
