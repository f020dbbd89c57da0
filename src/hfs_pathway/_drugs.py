"""What the drug labels say that the oral-drug and toxin rules use (R2.7, R2.15).

One entry per drug of the contract: the label it comes from (an evidence id of ``evidence/additions.md``), its
statement on pregnancy in our own words (only where the label was read), whether it induces the enzymes that
break down hormonal contraceptives, and what its label says about HLA-B*1502. The maximum daily doses are
guideline parameters (``label_max_mg_per_day``), not facts fixed here, so a clinic can set its own. A drug whose
label was not read for a statement has none here: the rule then asks the clinician to review that label
instead of inventing what it says.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from ._vocabulary import Drug, ToxinProduct

HlaAdvice = Literal["required", "advised", "avoid_as_alternative"]


class DrugLabel(NamedTuple):
    name: str
    """How the drug is named in alert texts."""
    evidence: tuple[str, ...]
    """The label (and safety communications) the statements come from."""
    pregnancy: str | None = None
    """The label's pregnancy statement, in our own words; ``None`` when it was not read."""
    enzyme_inducer: bool = False
    """The label says it can make hormonal contraceptives fail."""
    hla_b1502: HlaAdvice | None = None
    """Genotyping before starting it is required (carbamazepine's boxed warning) or advised (oxcarbazepine:
    testing should be considered); phenytoin's label only says to avoid it as an alternative to carbamazepine
    in carriers, so it gets no screening alert."""
    hla_positive_critical: bool = False
    """A positive HLA-B*1502 result is critical for this drug (warning otherwise)."""


DRUG_LABELS: dict[Drug, DrugLabel] = {
    Drug.CARBAMAZEPINE: DrugLabel(
        "carbamazepine",
        ("R221", "R98"),
        pregnancy=(
            "its label says it can cause fetal harm, and its use in pregnancy has been linked with congenital "
            "malformations including spina bifida"
        ),
        enzyme_inducer=True,
        hla_b1502="required",
        hla_positive_critical=True,
    ),
    Drug.OXCARBAZEPINE: DrugLabel(
        "oxcarbazepine",
        ("R222", "R223"),
        enzyme_inducer=True,
        hla_b1502="advised",
        hla_positive_critical=True,
    ),
    Drug.PHENYTOIN: DrugLabel(
        "phenytoin",
        ("R224", "R225"),
        pregnancy=(
            "its label says prenatal exposure may increase the risk of congenital malformations (orofacial "
            "clefts, heart defects) and of the fetal hydantoin syndrome"
        ),
        hla_b1502="avoid_as_alternative",
        # Phenytoin is an enzyme inducer too, but its label's statement on hormonal contraceptives was not read
        # (only secondary interaction summaries were found): it stays out of enzyme_inducer_contraception until
        # the label itself is checked.
    ),
    Drug.CLONAZEPAM: DrugLabel("clonazepam", ("R226",)),
    Drug.GABAPENTIN: DrugLabel("gabapentin", ("R227",)),
    Drug.BACLOFEN: DrugLabel("baclofen", ("R228",)),
    Drug.LEVETIRACETAM: DrugLabel("levetiracetam", ("R229",)),
    Drug.OTHER: DrugLabel("the oral drug", ()),
}

TOXIN_LABELS: dict[ToxinProduct, DrugLabel] = {
    ToxinProduct.ONABOTULINUMTOXINA: DrugLabel(
        "onabotulinumtoxinA",
        ("R230",),
        pregnancy=(
            "its label reports no adequate data in pregnant women, and reduced fetal weight and skeletal "
            "ossification in animal studies at the higher doses"
        ),
    ),
    ToxinProduct.ABOBOTULINUMTOXINA: DrugLabel("abobotulinumtoxinA", ()),
    ToxinProduct.INCOBOTULINUMTOXINA: DrugLabel("incobotulinumtoxinA", ("R153",)),
    ToxinProduct.RIMABOTULINUMTOXINB: DrugLabel("rimabotulinumtoxinB", ()),
}
