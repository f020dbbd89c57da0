"""Readers of the medication records: a botulinum toxin injection (MedicationAdministration) and an oral drug started
(MedicationStatement, MedicationRequest), identified by HCPCS, NDC, RxNorm or ATC codes checked against published
sources (``_codes.py``), with their dose in the units the pathway counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfs_pathway._vocabulary import Drug, ToxinProduct

from ._codes import (
    ATC,
    ATC_DRUG,
    HCPCS,
    HCPCS_TOXIN,
    NDC,
    RXNORM,
    RXNORM_DRUG,
    TOXIN_ATC,
    TOXIN_NDC_PRODUCT,
    TOXIN_RXNORM,
    TOXIN_UNIT_CODES,
    value_system,
)
from ._context import ORDER_INTENTS, Context, dated
from ._read import Where, first_date, is_object, obj, quantity, seq, string

_DAILY = {"d": 1.0, "h": 24.0, "wk": 1 / 7}
"""Timing.repeat.periodUnit to periods per day."""


def ndc_product(code: str) -> str | None:
    """The labeler-product part of an NDC in the 11-digit ``LLLLL-PPPP`` form, from a 10-digit hyphenated code
    (4-4-2, 5-3-2, 5-4-1) or an 11-digit code with or without hyphens; ``None`` when it is not an NDC."""
    parts = code.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and sum(map(len, parts)) in (10, 11):
        return f"{parts[0].zfill(5)}-{parts[1].zfill(4)}"
    if len(parts) == 2 and all(p.isdigit() for p in parts) and sum(map(len, parts)) in (8, 9):
        return f"{parts[0].zfill(5)}-{parts[1].zfill(4)}"  # a product NDC without its package segment
    digits = code.replace("-", "")
    if len(parts) == 1 and digits.isdigit() and len(digits) == 11:
        return f"{digits[:5]}-{digits[5:9]}"
    return None


def toxin_product(codes: list[tuple[str, str]]) -> ToxinProduct | None:
    """The toxin product named by HCPCS, NDC, RxNorm or the project's product code system, if any."""
    product_system = value_system("botox_injection", "product")
    for system, code in codes:
        if system == HCPCS and code in HCPCS_TOXIN:
            return HCPCS_TOXIN[code]
        if system == NDC and (product := ndc_product(code)) in TOXIN_NDC_PRODUCT:
            return TOXIN_NDC_PRODUCT[product]
        if system == RXNORM and code in TOXIN_RXNORM:
            return TOXIN_RXNORM[code]
        if system == product_system and code in ToxinProduct.__members__.values():
            return ToxinProduct(code)
    return None


def _drug(codes: list[tuple[str, str]]) -> Drug | None:
    drug_system = value_system("medication_started", "drug")
    for system, code in codes:
        if system == ATC and code in ATC_DRUG:
            return ATC_DRUG[code]
        if system == RXNORM and code in RXNORM_DRUG:
            return RXNORM_DRUG[code]
        if system == drug_system and code in Drug.__members__.values():
            return Drug(code)
    return None


def medication(resource: Mapping[str, Any], where: Where, context: Context, facts: dict[str, Any]) -> Any:
    kind = where.resource_type
    if kind == "MedicationRequest":
        intent = string(resource, "intent", where)
        if intent not in ORDER_INTENTS:
            return f"intent {intent!r}: a {intent or 'request'} is not an order to give the drug"
        if resource.get("doNotPerform") is True:
            return "an order not to give the drug (doNotPerform)"
    codes = context.medication_codes(resource, where)
    if isinstance(codes, str):
        return codes
    product = toxin_product(codes)
    toxin = product is not None or (ATC, TOXIN_ATC) in codes or "product" in facts
    if toxin:
        if kind == "MedicationRequest":
            return "an order for botulinum toxin, not an injection given"
        if product is None and "product" not in facts:
            return "the botulinum toxin product is not identified (ATC M03AX01 does not say which product)"
        event: dict[str, Any] = {"type": "botox_injection", **facts}
        if product is not None:
            event.setdefault("product", product.value)
        if "total_units" not in event:
            dose = _toxin_units(resource, where)
            if isinstance(dose, str):
                return dose
            event["total_units"] = dose
        return dated(event, first_date(resource, ("effectiveDateTime", "effectivePeriod"), where))
    drug = _drug(codes)
    if drug is None:
        return "the medication is not one of the pathway's drugs (by its ATC or RxNorm ingredient code)"
    if kind == "MedicationAdministration":
        return "a single dose given; a MedicationStatement or MedicationRequest says that a drug was started"
    event = {"type": "medication_started", **facts, "drug": drug.value}
    if "dose_mg_per_day" not in event:
        dose = _daily_mg(resource, where)
        if isinstance(dose, str):
            return dose
        event["dose_mg_per_day"] = dose
    keys: tuple[str, ...] = ("authoredOn",) if kind == "MedicationRequest" else ("effectivePeriod", "effectiveDateTime")
    return dated(event, first_date(resource, keys, where))


def _toxin_units(resource: Mapping[str, Any], where: Where) -> float | int | str:
    """The units given, from ``dosage.dose`` in toxin units (UCUM ``[USP'U]``, a ``{units}`` annotation or ``U``)."""
    dosage = obj(resource, "dosage", where)
    dose = obj(dosage, "dose", where, "dosage.") if dosage is not None else None
    amount = quantity(dose, where, "dosage.dose")
    if amount is None:
        return "no dose given"
    value, unit = amount
    if value <= 0:
        return "the dose is not a positive amount"
    if unit not in TOXIN_UNIT_CODES:
        return f"the dose unit {unit!r} is not units of toxin (read: {', '.join(sorted(TOXIN_UNIT_CODES))})"
    return value


def _daily_mg(resource: Mapping[str, Any], where: Where) -> float | int | str:
    """Milligrams per day: the sum over the dosage lines, each in ``mg/d`` or ``mg`` with a daily timing."""
    key = "dosageInstruction" if where.resource_type == "MedicationRequest" else "dosage"
    lines = seq(resource, key, where)
    if not lines:
        return f"no dose ({key})"
    total = 0.0
    for i, line in enumerate(lines):
        daily = _line_mg(line, where, f"{key}[{i}]")
        if isinstance(daily, str):
            return daily if len(lines) == 1 else f"{key}[{i}] of {len(lines)}: {daily}"
        total += daily
    if total.is_integer():
        return int(total)
    # One line gives its amount exactly; a sum of several is rounded only past the noise of adding decimals in
    # binary (0.1 + 0.2 mg is 0.3 mg), so every amount a record can give survives.
    return total if len(lines) == 1 else round(total, 9)


def _line_mg(line: Any, where: Where, path: str) -> float | str:
    if not is_object(line):
        raise where.error(path, "must be a Dosage object")
    rates = seq(line, "doseAndRate", where, f"{path}.")
    rate = rates[0] if rates else None
    if rate is not None and not is_object(rate):
        raise where.error(f"{path}.doseAndRate[0]", "must be an object")
    amount = quantity(rate.get("doseQuantity") if rate else None, where, f"{path}.doseAndRate[0].doseQuantity")
    if amount is None:
        return "no dose given"
    value, unit = amount
    if value <= 0:
        return "the dose is not a positive amount"
    if unit == "mg/d":
        return float(value)
    timing = obj(line, "timing", where, f"{path}.")
    repeat = obj(timing, "repeat", where, f"{path}.timing.") if timing is not None else None
    if unit == "mg" and repeat is not None:
        frequency = repeat.get("frequency", 1)
        period = repeat.get("period")
        per = _DAILY.get(str(repeat.get("periodUnit")))
        if isinstance(frequency, int) and isinstance(period, (int, float)) and period > 0 and per is not None:
            return float(value) * frequency * per / period
    return f"the daily dose cannot be read (unit {unit!r} without a daily timing)"
