"""What the drug labels ask of a prescriber: maximum doses, HLA-B*1502, pregnancy and hormonal contraception
(R2.7, R2.15). Helpers for the oral-drug and toxin rules; the facts come from :mod:`hfs_pathway._drugs` and the
guideline."""

from __future__ import annotations

from hfs_pathway._change import Change
from hfs_pathway._dates import age_on
from hfs_pathway._drugs import DRUG_LABELS, DrugLabel
from hfs_pathway._events import MedicationStarted
from hfs_pathway._vocabulary import HlaResult, Severity, Sex

# Enum members read on every started drug, looked up once: on Python 3.11 reading a member off its class goes
# through EnumType.__getattr__, several times the cost of reading a module name.
_POSITIVE = HlaResult.POSITIVE
_FEMALE = Sex.FEMALE


def pregnancy_review(c: Change, label: DrugLabel, done: str = "Started") -> None:
    """``pregnancy_drug_review``, naming the label's pregnancy statement when it was read."""
    said = (
        f"; {label.pregnancy}" if label.pregnancy else "; review the pregnancy section of its label before continuing"
    )
    c.alert(
        "pregnancy_drug_review",
        f"{done} during pregnancy: {label.name}{said}.",
        evidence=label.evidence,
    )


def medication_checks(c: Change) -> None:
    """Every label check of a newly started oral drug."""
    m: MedicationStarted = c.event
    label = DRUG_LABELS[m.drug]
    g = c.guideline
    limit = g.label_max_mg_per_day.limit(m.drug)  # a Drug is its value, a str (``.value`` is a slower read)
    if limit is not None and m.dose_mg_per_day > limit:
        c.alert(
            "dose_above_label_maximum",
            f"{m.dose_mg_per_day:g} mg a day of {label.name} is above its label's adult maximum of {limit:g} mg.",
            evidence=label.evidence,
        )
    _hla(c, m, label)
    if m.pregnant:
        pregnancy_review(c, label)
    if label.enzyme_inducer and _could_become_pregnant(c):
        c.alert(
            "enzyme_inducer_contraception",
            f"{label.name.capitalize()} can make hormonal contraceptives fail: discuss a non-hormonal method.",
            evidence=label.evidence,
        )


def _hla(c: Change, m: MedicationStarted, label: DrugLabel) -> None:
    if m.hla_b1502_result is _POSITIVE and label.hla_b1502 is not None:
        c.alert(
            "hla_b1502_positive",
            f"{label.name.capitalize()} started in a patient who carries HLA-B*1502.",
            severity=None if label.hla_positive_critical else Severity.WARNING,
            evidence=label.evidence,
        )
        return
    tested = m.hla_b1502_tested or m.hla_b1502_result is not None
    if tested or not c.patient.asian_ancestry:
        return
    if label.hla_b1502 == "required":
        c.alert(
            "hla_b1502_screen_required",
            "Carbamazepine in a patient of Asian ancestry without a recorded HLA-B*1502 test.",
        )
    elif label.hla_b1502 == "advised":
        c.alert(
            "hla_b1502_screen_advised",
            f"{label.name.capitalize()} in a patient of Asian ancestry without a recorded HLA-B*1502 test.",
        )


def _could_become_pregnant(c: Change) -> bool:
    """A woman aged within the guideline's range; with no birth date, a woman of unknown age is reminded too."""
    if c.patient.sex is not _FEMALE:
        return False
    birth = c.patient.birth_date
    if birth is None:
        return True
    age = age_on(birth, c.event.date)
    g = c.guideline
    return g.contraception_age_min_years <= age <= g.contraception_age_max_years
