"""Deterministic synthetic cases for the benchmarks: clinically plausible, exactly 20 events each.

Every case is JSON-ready data (``{"patient": {...}, "events": [...]}``) built with ``random.Random(seed)``,
so the same ``n`` and ``seed`` always give the same cases. Four stories, all starting with a presentation,
an MRI and a decision for botulinum toxin:

- ``toxin_responder`` (about 60%): steady toxin cycles, 84-120 days apart, each with a good response;
  the case ends with a last injection awaiting its response or a routine review. Ends in ``botulinum_toxin``.
- ``plan_adjusted`` (about 15%): good cycles, then two cycles whose benefit wears off within 8 weeks
  (``waning_response``), a dose increase or new sites, and good cycles again. Ends in ``botulinum_toxin``.
- ``mvd_discharged`` (about 15%): good cycles, two insufficient cycles (``waning_response``), surgical
  evaluation, a surgical risk assessment, referral through the checkpoint, microvascular decompression
  and reviews at 3, 6, 12 and 24 months; spasm resolved at 24 months. Ends in ``discharged``.
- ``mvd_follow_up`` (about 10%): the same up to surgery, with reviews at 3, 6 and 12 months only.
  Ends in ``post_mvd``.

Run ``python benchmarks/_synthetic.py [--n 2000] [--seed 20250101]`` to replay every case through the
library (both engines) and check that each is accepted whole and ends where its story says.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from hfs_pathway._dates import add_months

EVENTS_PER_CASE = 20
DEFAULT_SEED = 20250101

# Usual total units per session range by product (all within the guideline's usual maximum).
_UNITS = {
    "onabotulinumtoxinA": (12, 45),
    "incobotulinumtoxinA": (12, 45),
    "abobotulinumtoxinA": (50, 160),
}
_VESSELS = ("aica", "aica", "aica", "pica", "pica", "vertebral", "vein", "multiple")


@dataclass(frozen=True, slots=True)
class SyntheticCase:
    """One generated case, the date to evaluate it on, and where its events should lead."""

    case: dict[str, Any]
    as_of: dt.date
    kind: str
    expected_stage: str


class _Story:
    """One patient's events, written in date order."""

    def __init__(self, rng: random.Random, patient_id: str) -> None:
        self.rng = rng
        self.events: list[dict[str, Any]] = []
        start = dt.date(2016, 1, 4) + dt.timedelta(days=rng.randint(0, 6 * 365))
        age = rng.randint(32, 78)
        self.today = start
        birth = start - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        self.patient: dict[str, Any] = {
            "id": patient_id,
            "birth_date": birth.isoformat(),
            "sex": rng.choice(("female", "female", "female", "male", "male")),
        }
        if rng.random() < 0.2:
            self.patient["asian_ancestry"] = rng.random() < 0.5
        self.product = rng.choice(
            ("onabotulinumtoxinA", "onabotulinumtoxinA", "incobotulinumtoxinA", "abobotulinumtoxinA")
        )
        low, high = _UNITS[self.product]
        self.units = rng.randint(low, (low + high) // 2)
        self.units_max = high
        self.sites = rng.randint(3, 7)
        self.base_benefit = rng.randint(75, 100)
        """This patient's usual benefit duration, in days; each good cycle varies by 10 days either way."""
        self.injected: dt.date | None = None
        self.vessel: str | None = None

    # Time and events ---------------------------------------------------------------------------------
    def after(self, days: int) -> _Story:
        self.today += dt.timedelta(days=days)
        return self

    def add(self, type_: str, **fields: Any) -> None:
        self.events.append({"type": type_, "date": self.today.isoformat(), **fields})

    # Openings ------------------------------------------------------------------------------------------
    def opening(self) -> None:
        rng = self.rng
        onset = self.today - dt.timedelta(days=rng.randint(90, 3 * 365))
        presentation: dict[str, Any] = {
            "side": rng.choice(("left", "right")),
            "onset_region": "periocular" if rng.random() < 0.95 else "other",
            "symptom_onset_date": onset.isoformat(),
            "clinical_impression": "hemifacial_spasm" if rng.random() < 0.9 else "uncertain",
            "jrs_severity": rng.randint(1, 4),
            "jrs_frequency": rng.randint(1, 4),
            "smc_grade": rng.randint(1, 3),
        }
        if rng.random() < 0.5:
            presentation["hfs7"] = rng.randint(4, 22)
        self.add("presentation", **presentation)
        # An atypical onset, an uncertain impression or onset before 40 puts the work-up in the contrast tier
        # (revision 2): the study is then done with contrast, so the work-up closes and the checkpoint needs
        # no override.
        birth = dt.date.fromisoformat(self.patient["birth_date"])
        onset_age = onset.year - birth.year - ((onset.month, onset.day) < (birth.month, birth.day))
        contrast = (
            presentation["onset_region"] != "periocular"
            or presentation["clinical_impression"] != "hemifacial_spasm"
            or onset_age < 40
        )
        self.after(rng.randint(7, 42))
        if rng.random() < 0.85:
            self.vessel = rng.choice(_VESSELS)
            self.add(
                "imaging_result",
                modality="mri",
                high_resolution_t2=True,
                angiography=rng.random() < 0.7,
                contrast=contrast,
                finding="neurovascular_conflict",
                offending_vessel=self.vessel,
            )
        else:
            self.add(
                "imaging_result", modality="mri", high_resolution_t2=True, contrast=contrast, finding="no_abnormality"
            )
        self.after(rng.randint(7, 28))
        self.add("treatment_decision", option="botulinum_toxin", shared_decision=True)
        self.after(rng.randint(0, 21))

    # Toxin cycles --------------------------------------------------------------------------------------
    def inject(self) -> None:
        self.add(
            "botox_injection",
            product=self.product,
            total_units=self.units,
            sites=self.sites,
        )
        self.injected = self.today

    def respond(self, *, good: bool) -> None:
        """The response to the last injection, recorded at the next visit 84-120 days after it."""
        rng = self.rng
        interval = rng.randint(84, 120)
        if good:
            peak = rng.randint(12, 19) * 5  # 60-95 %
            benefit = min(self.base_benefit + rng.randint(-10, 10), interval)
        else:
            peak = rng.randint(7, 13) * 5  # 35-65 %
            benefit = rng.randint(35, 56)  # wears off within 8 weeks: insufficient
        response: dict[str, Any] = {
            "peak_improvement_percent": peak,
            "benefit_duration_days": benefit,
            "onset_days": rng.randint(2, 10),
        }
        if rng.random() < 0.12:
            response["adverse_effects"] = [rng.choice(("ptosis", "dry_eye", "facial_weakness"))]
            response["adverse_effect_severity"] = "mild"
        assert self.injected is not None
        self.today = self.injected + dt.timedelta(days=interval)
        self.add("botox_response", **response)

    def cycle(self, *, good: bool = True) -> None:
        """An injection and its response; the next injection (if any) is given at the same visit."""
        self.inject()
        self.respond(good=good)

    def review(self) -> None:
        self.after(self.rng.randint(14, 42))
        self.add("review_visit", wants_treatment=False, jrs_severity=self.rng.randint(0, 2))

    # Surgery --------------------------------------------------------------------------------------------
    def to_mvd(self) -> None:
        """From waning_response through the checkpoint to surgery (4 events)."""
        rng = self.rng
        self.after(rng.randint(0, 30))
        self.add("treatment_decision", option="surgical_evaluation", shared_decision=True)
        self.after(rng.randint(14, 60))
        anticoagulation = rng.random() < 0.1
        assessment: dict[str, Any] = {
            "asa_class": rng.choice((1, 2, 2, 2, 3)),
            "diabetes": rng.random() < 0.15,
            "hypertension": rng.random() < 0.3,
            "anticoagulation": anticoagulation,
            "prior_posterior_fossa_surgery": False,
            "baseline_audiometry_done": rng.random() < 0.9,
        }
        if anticoagulation:
            assessment["anticoagulation_can_pause"] = True
        self.add("surgical_risk_assessment", **assessment)
        self.after(rng.randint(7, 60))
        self.add("risk_benefit_decision", decision="refer_for_mvd", patient_informed=True, patient_consents=True)
        self.after(rng.randint(30, 150))
        surgery: dict[str, Any] = {"lsr_resolved": rng.random() < 0.8}
        if self.vessel is not None:
            surgery["offending_vessel"] = self.vessel
        self.add("mvd_performed", **surgery)

    def post_mvd_reviews(self, months: tuple[int, ...]) -> None:
        """Reviews after surgery; spasm may still be improving at 3 months, and is resolved from 6 months."""
        rng = self.rng
        surgery = self.today
        for m in months:
            self.today = max(self.today, add_months(surgery, m) + dt.timedelta(days=rng.randint(0, 21)))
            spasm = "improved" if m < 6 and rng.random() < 0.3 else "resolved"
            complications: list[dict[str, Any]] = []
            if m == 3 and rng.random() < 0.1:
                complications.append({"type": rng.choice(("facial_palsy", "hearing_loss")), "permanent": False})
            self.add("post_mvd_review", spasm=spasm, complications=complications)


def _toxin_responder(s: _Story) -> str:
    s.opening()  # 3 events
    for _ in range(8):  # 16 events
        s.cycle()
    if s.rng.random() < 0.5:
        s.inject()  # the last injection, awaiting its response
    else:
        s.review()
    return "botulinum_toxin"


def _plan_adjusted(s: _Story) -> str:
    s.opening()  # 3
    good_before = s.rng.choice((2, 3))
    for _ in range(good_before):
        s.cycle()
    s.cycle(good=False)
    s.cycle(good=False)  # waning_response: two insufficient cycles in a row
    s.after(s.rng.randint(0, 14))
    s.add("botox_plan_adjusted", adjustment=s.rng.choice(("increase_dose", "change_sites")))
    s.units = min(s.units + s.rng.randint(2, 10), s.units_max)
    s.after(s.rng.randint(0, 14))
    for _ in range((EVENTS_PER_CASE - 3 - 2 * good_before - 4 - 1) // 2):
        s.cycle()
    return "botulinum_toxin"


def _mvd(s: _Story, months: tuple[int, ...]) -> str:
    s.opening()  # 3
    toxin_events = EVENTS_PER_CASE - 3 - 4 - len(months)
    good = (toxin_events - 4) // 2
    for i in range(good):
        s.cycle()
        if i == 0 and toxin_events % 2:
            s.review()  # an interim review while toxin works well
    s.cycle(good=False)
    s.cycle(good=False)  # waning_response
    s.to_mvd()  # 4
    s.post_mvd_reviews(months)
    return "discharged" if months[-1] >= 24 else "post_mvd"


def generate(n: int = 2000, seed: int = DEFAULT_SEED) -> list[SyntheticCase]:
    """``n`` synthetic cases of exactly 20 events, the same for the same ``seed``."""
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        story = _Story(rng, f"syn-{seed}-{i:06d}")
        roll = rng.random()
        if roll < 0.60:
            kind, expected = "toxin_responder", _toxin_responder(story)
        elif roll < 0.75:
            kind, expected = "plan_adjusted", _plan_adjusted(story)
        elif roll < 0.90:
            kind, expected = "mvd_discharged", _mvd(story, (3, 6, 12, 24))
        else:
            kind, expected = "mvd_follow_up", _mvd(story, (3, 6, 12))
        if len(story.events) != EVENTS_PER_CASE:
            raise AssertionError(f"{kind} case {i} has {len(story.events)} events, not {EVENTS_PER_CASE}")
        as_of = story.today + dt.timedelta(days=rng.randint(0, 45))
        cases.append(SyntheticCase({"patient": story.patient, "events": story.events}, as_of, kind, expected))
    return cases


def generate_cases(n: int = 2000, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Just the JSON-ready case dicts."""
    return [c.case for c in generate(n, seed)]


def self_check(cases: list[SyntheticCase]) -> Counter[str]:
    """Replay every case with both engines; each must be accepted whole and end where its story says.

    Returns the count of alert codes raised, for a look at what the cases exercise.
    """
    import json

    from hfs_pathway import Pathway, load_case

    alerts: Counter[str] = Counter()
    for i, item in enumerate(cases):
        case = json.loads(json.dumps(item.case))  # JSON-ready: survives a round trip unchanged
        if case != item.case:
            raise AssertionError(f"case {i} is not JSON-ready")
        if len(case["events"]) != EVENTS_PER_CASE:
            raise AssertionError(f"case {i} has {len(case['events'])} events")
        table = Pathway.replay(load_case(case))
        machine = Pathway.replay(load_case(case), engine="transitions")
        if [h.to_stage for h in table.history] != [h.to_stage for h in machine.history]:
            raise AssertionError(f"case {i} ({item.kind}): the engines disagree")
        if table.stage.value != item.expected_stage:
            raise AssertionError(
                f"case {i} ({item.kind}) ends in {table.stage.value}, expected {item.expected_stage}; "
                f"path: {' > '.join(h.to_stage.value for h in table.history)}"
            )
        evaluation = table.evaluate(item.as_of)
        alerts.update(a.code for a in evaluation.alerts)
    return alerts


# Reporting helpers shared by the benchmarks -------------------------------------------------------------


def machine_line() -> str:
    """Python version, platform, CPU count and model, for the first lines of a benchmark's output."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return (
        f"machine: Python {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}, "
        f"{os.cpu_count()} CPUs (os.cpu_count), CPU {cpu}"
    )


def versions_line() -> str:
    """The measured packages' versions and the library's source revision."""
    import subprocess
    from importlib import metadata
    from pathlib import Path

    found = []
    for name in ("hfs-pathway", "pydantic", "pydantic-core", "transitions"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    import hfs_pathway
    from hfs_pathway._record import COMPILED

    found.append("compiled core (mypyc)" if COMPILED else "pure Python")
    source = Path(hfs_pathway.__file__).resolve().parent
    if "site-packages" in source.parts:  # an installed wheel: the checkout it was built from (make test-compiled)
        source = Path(__file__).resolve().parent.parent / "src" / "hfs_pathway"
    try:
        head = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True
        ).stdout.strip()
        found.append(f"source git {head}" + (" + uncommitted changes in the package" if dirty else ""))
    except (OSError, subprocess.CalledProcessError):
        pass
    return "versions: " + ", ".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    cases = generate(args.n, args.seed)
    if [c.case for c in generate(args.n, args.seed)] != [c.case for c in cases]:
        raise AssertionError("the generator is not deterministic")
    alerts = self_check(cases)
    kinds = Counter(c.kind for c in cases)
    print(f"{len(cases)} cases of {EVENTS_PER_CASE} events (seed {args.seed}): all replay without error, both engines")
    print("stories: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print("alerts: " + ", ".join(f"{k} {v}" for k, v in alerts.most_common()))


if __name__ == "__main__":
    main()
