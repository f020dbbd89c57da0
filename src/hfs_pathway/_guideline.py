"""The guideline configuration: every threshold the rules use, named, versioned and cited.

A :class:`Guideline` is a frozen model. Each parameter carries its default, its unit, a description
and the ids of the evidence behind it (see :func:`hfs_pathway.citations`). Values marked *design*
in their description are the project's own choices derived from cited facts, not published cut-offs.
A clinic may load its own values from TOML or JSON; an unknown key or a bad value is an
:class:`~hfs_pathway.InvalidGuideline` error that names the key.
"""

import json
import re
import textwrap
from functools import cache
from pathlib import Path
from typing import Annotated, Any, NamedTuple, Self

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, ValidationError, model_validator

from ._errors import InvalidGuideline, PathwayError
from ._vocabulary import CONTRACT_REVISION
from ._words import did_you_mean

DEFAULT_NAME = "hfs-pathway reference guideline"
DEFAULT_VERSION = "2026.11-r2"
"""The reference guideline's version: ``2026.11`` was revision 1 of the contract; ``-r2`` marks revision 2."""
_META = ("name", "version", "contract_revision")
"""The keys of a guideline that are not parameters."""


def _param(default: Any, *, unit: str, evidence: tuple[str, ...], description: str, **limits: Any) -> Any:
    return Field(
        default,
        description=description,
        json_schema_extra={"unit": unit, "evidence": list(evidence)},
        **limits,
    )


Days = Annotated[int, Field(strict=True, ge=1, le=3650)]
Percent = Annotated[StrictInt | StrictFloat, Field(ge=0, le=100)]


class PercentRange(BaseModel):
    """A published range of percentages, ``low`` to ``high`` (equal when one figure is quoted)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    low: Percent
    high: Percent

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


def _range(low: float, high: float) -> PercentRange:
    # Built without validation so that importing the library does not build the schema.
    return PercentRange.model_construct(low=low, high=high)


class ToxinDoseLimits(BaseModel):
    """The upper end of the usual total dose per session for one side of the face, per product.

    Units are not interchangeable between products, so each has its own figure; ``None`` means no
    usual range is set and no dose alert is raised for that product.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    onabotulinumtoxinA: Annotated[StrictInt | StrictFloat, Field(gt=0, le=100000)] | None = 70
    abobotulinumtoxinA: Annotated[StrictInt | StrictFloat, Field(gt=0, le=100000)] | None = 200
    incobotulinumtoxinA: Annotated[StrictInt | StrictFloat, Field(gt=0, le=100000)] | None = 70
    rimabotulinumtoxinB: Annotated[StrictInt | StrictFloat, Field(gt=0, le=100000)] | None = None

    def limit(self, product: str) -> float | None:
        value: float | None = self.__dict__[product]
        return value


_MG = Annotated[StrictInt | StrictFloat, Field(gt=0, le=100000)] | None


class OralDoseLimits(BaseModel):
    """The labelled adult maximum daily dose of each oral drug, in mg per day, from its US label's adult
    indication; ``None`` means the label sets no fixed maximum (phenytoin is dosed by its blood level) and no
    dose alert is raised for that drug."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    carbamazepine: _MG = 1200
    oxcarbazepine: _MG = 2400
    clonazepam: _MG = 20
    gabapentin: _MG = 3600
    baclofen: _MG = 80
    levetiracetam: _MG = 3000
    phenytoin: _MG = None

    def limit(self, drug: str) -> float | None:
        value: float | None = self.__dict__.get(drug)
        return value


class Guideline(BaseModel):
    """A named, versioned set of every threshold and figure the pathway's rules use."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: Annotated[str, Field(min_length=1, max_length=200)] = DEFAULT_NAME
    version: Annotated[str, Field(min_length=1, max_length=50)] = DEFAULT_VERSION
    contract_revision: Annotated[int, Field(strict=True, ge=1, le=CONTRACT_REVISION)] = CONTRACT_REVISION
    """The revision of the contract the guideline was written for. Under revision 1 a case may only say what
    revision 1 could record: an event, field or value that revision 2 added is refused as ``invalid_case``."""

    # Presentation and imaging
    young_onset_age_years: Annotated[int, Field(strict=True, ge=1, le=120)] = _param(
        40,
        unit="years",
        evidence=("R5", "R8"),
        description="Onset of spasm before this age is unusual and raises the young_onset alert.",
    )
    mri_due_days: Days = _param(
        30,
        unit="days",
        evidence=("R58", "R9", "R21"),
        description="Design: MRI is due this many days after presentation (or after a red flag).",
    )
    urgent_imaging_due_days: Days = _param(
        14,
        unit="days",
        evidence=("R201", "R133", "R145b", "R135"),
        description=(
            "Contrast MRI for an urgent indication (a new or progressive deficit, a fast course, a child) "
            "is due this many days after the presentation or red flag; urgent_imaging_overdue fires after it."
        ),
    )
    paediatric_age_years: Annotated[int, Field(strict=True, ge=1, le=120)] = _param(
        18,
        unit="years",
        evidence=("R2", "R135"),
        description=(
            "A patient younger than this at presentation is in the urgent imaging tier (tumours are more likely "
            "in childhood-onset spasm); childhood onset in an adult is a contrast-tier feature."
        ),
    )
    imaging_overdue_days: Days = _param(
        90,
        unit="days",
        evidence=("R58", "R9"),
        description="Design: imaging_overdue fires once more than this many days pass with no result.",
    )

    # Botulinum toxin
    min_reinjection_interval_days: Days = _param(
        84,
        unit="days",
        evidence=("R45", "R49"),
        description=(
            "Design: minimum interval between injections (12 weeks). Shorter intervals risk tolerance "
            "and neutralising antibodies."
        ),
    )
    insufficient_benefit_days: Days = _param(
        56,
        unit="days",
        evidence=("R45",),
        description="A cycle whose benefit lasted this many days or fewer (8 weeks) is insufficient.",
    )
    insufficient_peak_percent: Percent = _param(
        50,
        unit="percent",
        evidence=("R45", "R47", "R38"),
        description="Design: a cycle whose peak improvement is below this is insufficient.",
    )
    no_response_peak_percent: Percent = _param(
        25,
        unit="percent",
        evidence=("R35", "R50"),
        description="Design: a cycle whose peak improvement is below this is classed no_response.",
    )
    waning_drop_percent: Percent = _param(
        30,
        unit="percent",
        evidence=("R45", "R104", "R72"),
        description=(
            "Design: a cycle's benefit counts as shortened when it is this much or more below the median "
            "of the earlier cycles."
        ),
    )
    waning_baseline_max_cycles: Annotated[int, Field(strict=True, ge=1, le=12)] = _param(
        3,
        unit="cycles",
        evidence=("R45",),
        description="Design: the median benefit is taken over at most this many cycles before the recent ones.",
    )
    waning_baseline_min_cycles: Annotated[int, Field(strict=True, ge=1, le=12)] = _param(
        2,
        unit="cycles",
        evidence=("R45",),
        description="Design: the shortened-benefit rule needs at least this many earlier cycles with a duration.",
    )
    waning_consecutive_cycles: Annotated[int, Field(strict=True, ge=1, le=12)] = _param(
        2,
        unit="cycles",
        evidence=("R45", "R72"),
        description="Design: how many of the most recent intervals or cycles must each show the problem.",
    )
    poorly_tolerated_window_cycles: Annotated[int, Field(strict=True, ge=1, le=12)] = _param(
        3,
        unit="cycles",
        evidence=("R104", "R72"),
        description="Design: the number of most recent cycles looked at for significant adverse effects.",
    )
    poorly_tolerated_min_cycles: Annotated[int, Field(strict=True, ge=1, le=12)] = _param(
        2,
        unit="cycles",
        evidence=("R104", "R72"),
        description="Design: this many cycles with significant adverse effects in the window is poor tolerance.",
    )
    primary_non_response_cycles: Annotated[int, Field(strict=True, ge=1, le=12)] = _param(
        2,
        unit="cycles",
        evidence=("R50", "R22"),
        description="Design: the first this-many cycles all without response is primary non-response.",
    )
    toxin_resistance_prior_adequate_cycles: Annotated[int, Field(strict=True, ge=1, le=12)] = _param(
        2,
        unit="cycles",
        evidence=("R50", "R49"),
        description=(
            "Design: an insufficient response after at least this many earlier adequate cycles suggests "
            "secondary non-response (possibly antibodies) and recommends review_toxin_resistance."
        ),
    )
    response_review_days: Days = _param(
        28,
        unit="days",
        evidence=("R45", "R83"),
        description="Design: the response to an injection is reviewed this many days after it (peak effect).",
    )
    response_assessment_overdue_days: Days = _param(
        150,
        unit="days",
        evidence=("R35", "R41", "R103"),
        description=(
            "Design: response_assessment_overdue fires once an injection is this old with no response; longer "
            "than the usual 3-4 month cycle, so a stable patient is not warned before the next injection."
        ),
    )
    bridging_toxin_effect_days: Days = _param(
        120,
        unit="days",
        evidence=("R35", "R41", "R36"),
        description=(
            "Design: a toxin injection after surgery can mask the spasm this long (benefit lasts about 12-15 "
            "weeks), so a resolved review within it does not count towards discharge."
        ),
    )
    usual_max_units: ToxinDoseLimits = Field(
        default_factory=ToxinDoseLimits,
        description=(
            "Design: upper end of the usual total units per session, per product (about twice the mean "
            "session doses reported; the label allows up to doubling an insufficient dose)."
        ),
        json_schema_extra={"unit": "units", "evidence": ["R48", "R38", "R47", "R45", "R153"]},
    )

    # Oral medication and observation
    medication_review_days: Days = _param(
        56,
        unit="days",
        evidence=("R58", "R24"),
        description="Design: an oral drug's effect is reviewed this many days after it is started.",
    )
    follow_up_treatment_selection_days: Days = _param(
        90,
        unit="days",
        evidence=("R58", "R104"),
        description="Design: follow_up_overdue fires when nothing is recorded this long while an option is chosen.",
    )
    follow_up_waning_response_days: Days = _param(
        90,
        unit="days",
        evidence=("R72", "R104"),
        description="Design: follow_up_overdue fires when nothing is recorded this long after toxin benefit waned.",
    )
    follow_up_surgical_evaluation_days: Days = _param(
        180,
        unit="days",
        evidence=("R105",),
        description=(
            "Design: follow_up_overdue fires when nothing is recorded this long at the risk-benefit checkpoint "
            "(as long as a risk assessment stays valid)."
        ),
    )
    follow_up_secondary_cause_days: Days = _param(
        365,
        unit="days",
        evidence=("R159", "R135"),
        description=(
            "Design: follow_up_overdue fires when nothing is recorded this long while another specialty manages "
            "a secondary cause."
        ),
    )
    follow_up_botulinum_toxin_days: Days = _param(
        270,
        unit="days",
        evidence=("R103", "R44"),
        description=(
            "Design: follow_up_overdue fires when nothing is recorded this long on toxin (two to three missed "
            "3-4 monthly cycles)."
        ),
    )
    follow_up_oral_medication_days: Days = _param(
        180,
        unit="days",
        evidence=("R24",),
        description=(
            "Design: follow_up_overdue fires when nothing is recorded this long on an oral drug, whose dose should "
            "be reviewed at least every 3 months."
        ),
    )
    label_max_mg_per_day: OralDoseLimits = Field(
        default_factory=OralDoseLimits,
        description=(
            "The labelled adult maximum daily dose per oral drug (US labels, adult indication): carbamazepine "
            "1,200 mg, oxcarbazepine 2,400 mg (monotherapy), clonazepam 20 mg (seizure disorders), gabapentin "
            "3,600 mg (the highest adult dose its label reports), baclofen 80 mg, levetiracetam 3,000 mg; phenytoin "
            "none (dosed by level). dose_above_label_maximum fires above it."
        ),
        json_schema_extra={"unit": "mg/day", "evidence": ["R221", "R222", "R226", "R227", "R228", "R229", "R224"]},
    )
    contraception_age_min_years: Annotated[int, Field(strict=True, ge=1, le=120)] = _param(
        12,
        unit="years",
        evidence=("R221", "R222"),
        description=(
            "Design: from this age a woman starting an enzyme-inducing drug is reminded that it can make hormonal "
            "contraception fail (enzyme_inducer_contraception)."
        ),
    )
    contraception_age_max_years: Annotated[int, Field(strict=True, ge=1, le=120)] = _param(
        55,
        unit="years",
        evidence=("R221", "R222"),
        description="Design: up to this age (inclusive) enzyme_inducer_contraception is raised.",
    )
    observation_review_months: Annotated[int, Field(strict=True, ge=1, le=60)] = _param(
        6,
        unit="months",
        evidence=("R59", "R34"),
        description="Design: a patient under observation is reviewed this many months on.",
    )

    # Risk-benefit checkpoint
    risk_assessment_validity_days: Days = _param(
        180,
        unit="days",
        evidence=("R105",),
        description="Design: a surgical risk assessment supports a referral for this many days.",
    )
    referral_overdue_days: Days = _param(
        180,
        unit="days",
        evidence=("R72", "R104"),
        description=(
            "Design: referral_overdue fires once a referral for MVD is this old with neither an operation nor a "
            "closed referral on record."
        ),
    )
    older_age_hearing_years: Annotated[int, Field(strict=True, ge=1, le=120)] = _param(
        60,
        unit="years",
        evidence=("R68",),
        description=(
            "From this age, more ear and hearing complications were reported after MVD "
            "(age alone never contraindicates it)."
        ),
    )
    asa_caution_class: Annotated[int, Field(strict=True, ge=1, le=5)] = _param(
        3,
        unit="ASA class",
        evidence=("R120",),
        description="ASA physical status from which adverse events after MVD are more likely (a caution modifier).",
    )
    asa_unfavourable_class: Annotated[int, Field(strict=True, ge=1, le=5)] = _param(
        4,
        unit="ASA class",
        evidence=("R120",),
        description="Design: ASA physical status from which the risk-benefit verdict is unfavourable.",
    )
    mvd_complete_relief: PercentRange = _param(
        _range(85, 91),
        unit="percent",
        evidence=("R26", "R27", "R105"),
        description="Expected complete relief of spasm after MVD.",
    )
    mvd_delayed_relief: PercentRange = _param(
        _range(25, 33),
        unit="percent",
        evidence=("R76", "R105"),
        description="Share of patients whose relief comes only weeks to months after surgery.",
    )
    mvd_recurrence_5_years: PercentRange = _param(
        _range(2.9, 2.9),
        unit="percent",
        evidence=("R122",),
        description="Recurrence within five years after an initially successful MVD.",
    )
    risk_hearing_loss_permanent: PercentRange = _param(
        _range(2, 3),
        unit="percent",
        evidence=("R26", "R105", "R118"),
        description="Permanent hearing loss on the operated side.",
    )
    risk_facial_palsy_permanent: PercentRange = _param(
        _range(0.9, 2),
        unit="percent",
        evidence=("R26", "R105"),
        description="Permanent facial palsy (0.9% in a systematic review; 1-2% in a review of over 10,000 patients).",
    )
    risk_facial_palsy_transient: PercentRange = _param(
        _range(6, 10),
        unit="percent",
        evidence=("R26", "R27"),
        description="Transient facial palsy.",
    )
    risk_csf_leak: PercentRange = _param(
        _range(1.4, 3),
        unit="percent",
        evidence=("R26", "R119"),
        description="Cerebrospinal fluid leak.",
    )
    risk_lower_cranial_nerve: PercentRange = _param(
        _range(0.5, 1),
        unit="percent",
        evidence=("R105",),
        description="Permanent lower cranial nerve deficit.",
    )
    risk_stroke: PercentRange = _param(
        _range(0.1, 0.3),
        unit="percent",
        evidence=("R105", "R118"),
        description="Stroke or brainstem ischaemia (0.1% in a review; brainstem infarction in 0.3% of a large series).",
    )
    risk_death: PercentRange = _param(
        _range(0.1, 0.1),
        unit="percent",
        evidence=("R26", "R105", "R118"),
        description="Death.",
    )

    # After surgery
    post_mvd_review_months: tuple[Annotated[int, Field(strict=True, ge=1, le=120)], ...] = _param(
        (3, 6, 12, 24),
        unit="months",
        evidence=("R73", "R123"),
        description="Reviews are due this many months after surgery.",
    )
    post_mvd_review_early_days: Annotated[int, Field(strict=True, ge=0, le=180)] = _param(
        28,
        unit="days",
        evidence=("R73", "R123"),
        description="Design: a review up to this many days before a scheduled post-surgery review counts as it.",
    )
    post_mvd_failure_months: Annotated[int, Field(strict=True, ge=1, le=60)] = _param(
        12,
        unit="months",
        evidence=("R73", "R74", "R105"),
        description=(
            "Spasm that is only improved or unchanged this long after surgery is no longer called delayed "
            "resolution; earlier, delayed cure remains common."
        ),
    )
    post_mvd_complication_window_days: Annotated[int, Field(strict=True, ge=0, le=365)] = _param(
        30,
        unit="days",
        evidence=("R70", "R26"),
        description=(
            "New facial weakness or hearing loss this many days or fewer after MVD is recorded as a complication "
            "of the operation (delayed facial palsy is common), with contact_neurosurgery, not as a red flag."
        ),
    )
    post_mvd_discharge_months: Annotated[int, Field(strict=True, ge=1, le=120)] = _param(
        24,
        unit="months",
        evidence=("R118", "R122"),
        description=(
            "Resolved spasm at a review this long after surgery completes the pathway (recurrence is rare after)."
        ),
    )

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        problems: list[str] = []
        if self.urgent_imaging_due_days > self.mri_due_days:
            problems.append("urgent_imaging_due_days must not exceed mri_due_days")
        if self.imaging_overdue_days < self.mri_due_days:
            problems.append("imaging_overdue_days must not be less than mri_due_days")
        if self.response_assessment_overdue_days <= self.response_review_days:
            problems.append("response_assessment_overdue_days must exceed response_review_days")
        if self.no_response_peak_percent > self.insufficient_peak_percent:
            problems.append("no_response_peak_percent must not exceed insufficient_peak_percent")
        if self.waning_baseline_min_cycles > self.waning_baseline_max_cycles:
            problems.append("waning_baseline_min_cycles must not exceed waning_baseline_max_cycles")
        if self.poorly_tolerated_min_cycles > self.poorly_tolerated_window_cycles:
            problems.append("poorly_tolerated_min_cycles must not exceed poorly_tolerated_window_cycles")
        if self.asa_caution_class > self.asa_unfavourable_class:
            problems.append("asa_caution_class must not exceed asa_unfavourable_class")
        if self.contraception_age_min_years > self.contraception_age_max_years:
            problems.append("contraception_age_min_years must not exceed contraception_age_max_years")
        if self.post_mvd_failure_months >= self.post_mvd_discharge_months:
            problems.append("post_mvd_failure_months must be less than post_mvd_discharge_months")
        months = self.post_mvd_review_months
        if not months or list(months) != sorted(set(months)) or months[0] < 1:
            problems.append("post_mvd_review_months must be distinct whole months in increasing order")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def evidence_for(cls, name: str) -> tuple[str, ...]:
        """The evidence ids behind one parameter."""
        extra = cls.model_fields[name].json_schema_extra
        evidence = extra.get("evidence", []) if isinstance(extra, dict) else []
        return tuple(str(e) for e in evidence) if isinstance(evidence, list) else ()

    def parameters(self) -> "list[Parameter]":
        """Every parameter with its current value, default, unit, description and evidence."""
        defaults = _defaults()
        rows: list[Parameter] = []
        for name, info in type(self).model_fields.items():
            extra = info.json_schema_extra
            if not isinstance(extra, dict):
                continue
            rows.append(
                Parameter(
                    name=name,
                    value=_plain(getattr(self, name)),
                    default=_plain(getattr(defaults, name)),
                    unit=str(extra.get("unit", "")),
                    description=info.description or "",
                    evidence=self.evidence_for(name),
                )
            )
        return rows

    @classmethod
    def from_mapping(cls, data: Any, *, source: str = "guideline") -> "Guideline":
        """Build a guideline from ``{"name", "version", "parameters": {...}}``.

        Unset parameters keep their defaults; tables (``usual_max_units``, a percentage range) are merged key by
        key with the default. Parameters may also stand at the top level beside ``name`` and ``version`` (a
        TOML file without a ``[parameters]`` table), and ``parameters`` may be the list of rows that
        ``hfs-pathway guideline show --format json`` prints. The text ``"none"`` stands for no value (TOML has
        no null), as in ``rimabotulinumtoxinB = "none"``: no usual maximum for that product.
        """
        if not isinstance(data, dict):
            raise InvalidGuideline(f"{source}: expected a table with name, version and parameters")
        fields = {k: v for k, v in cls.model_fields.items() if k not in _META}
        unknown = sorted(set(data) - {*_META, "parameters"} - set(fields))
        if unknown:
            hint = did_you_mean(unknown[0], [*fields, "parameters"])
            raise InvalidGuideline(
                f"{source}: unknown key {unknown[0]!r}{hint} (allowed: name, version, contract_revision, "
                "parameters and the parameter names)"
            )
        params = _parameter_table(data.get("parameters", {}), source)
        for key in set(data) & set(fields):
            if key in params:
                raise InvalidGuideline(f"{source}: {key!r} is given twice, at the top level and under parameters")
            params[key] = data[key]
        for key in params:
            if key not in fields:
                hint = did_you_mean(key, fields)
                raise InvalidGuideline(f"{source}: unknown parameter 'parameters.{key}'{hint}")
        defaults = _defaults()
        merged: dict[str, Any] = {}
        for key, given in params.items():
            value = _none_for_text(given)
            default = getattr(defaults, key)
            if isinstance(value, dict) and isinstance(default, BaseModel):
                value = {**default.model_dump(), **value}
            elif isinstance(value, list):
                value = tuple(value)
            merged[key] = value
        for key in _META:
            if key in data:
                merged[key] = data[key]
        try:
            return cls.model_validate(merged)
        except ValidationError as exc:
            raise InvalidGuideline(f"{source}: {_describe(exc)}") from None

    @classmethod
    def load(cls, path: str | Path) -> "Guideline":
        """Load a guideline from a ``.toml`` or ``.json`` file (the format is documented in the docs'
        guideline page; ``examples/clinic-guideline.toml`` is one)."""
        path = Path(path)
        return cls.from_mapping(read_settings_file(path, InvalidGuideline, "guideline"), source=path.name)

    def to_toml(self) -> str:
        """The guideline as a TOML file that :meth:`load` reads back to an equal guideline: every parameter,
        each with its description, unit, default and evidence as comments."""
        return guideline_toml(self)


class Parameter(NamedTuple):
    """One guideline parameter, for display and documentation."""

    name: str
    value: Any
    default: Any
    unit: str
    description: str
    evidence: tuple[str, ...]


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, tuple):
        return list(value)
    return value


def _parameter_table(params: Any, source: str) -> dict[str, Any]:
    """``parameters`` as a table of names to values: a table, or the rows of ``guideline show --format json``."""
    if isinstance(params, list) and all(isinstance(r, dict) and "name" in r and "value" in r for r in params):
        return {str(row["name"]): row["value"] for row in params}
    if not isinstance(params, dict):
        raise InvalidGuideline(f"{source}: 'parameters' must be a table of parameter names to values")
    return dict(params)


NO_VALUE = "none"
"""How a guideline file writes "no value" (TOML has no null)."""


def _none_for_text(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() == NO_VALUE:
        return None
    if isinstance(value, dict):
        return {k: _none_for_text(v) for k, v in value.items()}
    return value


def guideline_toml(guideline: "Guideline") -> str:
    """The TOML text of :meth:`Guideline.to_toml`."""
    out = [
        "# A guideline for hfs-pathway: every threshold the pathway's rules use.",
        "# Load it with `hfs-pathway evaluate CASE --guideline FILE` or `Guideline.load(FILE)`; a parameter left out",
        '# keeps its default. "none" means no value. Evidence ids are those of the citation registry.',
        "",
        f"name = {_toml(guideline.name)}",
        f"version = {_toml(guideline.version)}",
        f"contract_revision = {guideline.contract_revision}",
        "",
        "[parameters]",
    ]
    for p in guideline.parameters():
        out.append("")
        out += [f"# {line}" for line in textwrap.wrap(p.description, 110)]
        facts = [f"unit: {p.unit}", f"default: {_toml(p.default)}"]
        if p.evidence:
            facts.append("evidence: " + ", ".join(p.evidence))
        out.append("# " + "; ".join(facts))
        out.append(f"{p.name} = {_toml(p.value)}")
    return "\n".join(out) + "\n"


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml(value: Any) -> str:
    """One value in TOML: numbers, text, lists and inline tables; ``None`` as the text "none"."""
    if value is None:
        return f'"{NO_VALUE}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{k if _BARE_KEY.fullmatch(k) else json.dumps(k)} = {_toml(v)}" for k, v in value.items()]
        return "{ " + ", ".join(items) + " }"
    if isinstance(value, BaseModel):
        return _toml(value.model_dump())
    raise TypeError(f"no TOML form for {type(value).__name__}")


def read_settings_file(path: Path, error: type[PathwayError], what: str) -> Any:
    """The parsed content of a ``.toml`` file (any other suffix is read as JSON); an unreadable or
    malformed file raises ``error`` naming the file (``what`` says which kind of file it is)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} file {str(path)!r}: {exc.strerror}") from None
    toml = path.suffix.lower() == ".toml"
    try:
        if toml:
            import tomllib

            return tomllib.loads(raw.decode("utf-8"))
        import json

        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # TOML and JSON decode errors are ValueErrors
        raise error(f"{path.name}: not valid {'TOML' if toml else 'JSON'}: {exc}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if not loc:
            parts.append(message)
            continue
        where = loc if loc in _META else f"parameters.{loc}"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


@cache
def _defaults() -> Guideline:
    return Guideline()


def default_guideline() -> Guideline:
    """The reference guideline shipped with the library (the spec's defaults)."""
    return _defaults()
