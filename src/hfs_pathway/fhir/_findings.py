"""What an import reports besides the case: the resources left out and the findings about the record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hfs_pathway._vocabulary import Severity

from ._read import Where


@dataclass(frozen=True)
class SkippedResource:
    """A resource that did not become an event, and why."""

    resource_type: str
    id: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"resource_type": self.resource_type, "id": self.id, "reason": self.reason}


@dataclass(frozen=True)
class ImportFinding:
    """Something about the record a clinician should check. Codes (``FINDING_CODES``): a record out of the
    pathway's order, an incomplete or contradictory diagnosis, a fact read with a caveat or inferred."""

    code: str
    severity: Severity
    text: str
    resource_type: str
    resource_id: str | None
    date: dt.date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "text": self.text,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "date": None if self.date is None else self.date.isoformat(),
        }


FINDING_CODES: dict[str, tuple[Severity, str]] = {
    "treatment_before_imaging": (Severity.WARNING, "a treatment is on record before any brain imaging result"),
    "record_out_of_pathway": (Severity.WARNING, "a fact does not fit the pathway where it comes"),
    "presentation_incomplete": (Severity.WARNING, "the diagnosis does not say what the presentation needs"),
    "side_conflict": (Severity.WARNING, "the records of the diagnosis name different sides"),
    "presentation_date_from_onset": (Severity.INFO, "the diagnosis has no recorded date; its onset date is used"),
    "presentation_not_documented": (
        Severity.INFO,
        "the record does not say the onset region or the examination findings (null, not normal)",
    ),
    "datetime_without_zone": (Severity.INFO, "a date and time without a time zone; the day was read as written"),
    "decision_inferred": (Severity.INFO, "a treatment is on record without the decision that started it"),
    "referral_on_record": (Severity.INFO, "a referral is on record; the pathway reads its outcome, not the order"),
    "injection_without_product": (Severity.WARNING, "a toxin injection is on record without its product or dose"),
}
"""Every finding code the importer reports, its severity and what it means (the docs table is built from it)."""


def finding(code: str, text: str, where: Where, date: dt.date | None) -> ImportFinding:
    """A finding of ``code`` (its severity from ``FINDING_CODES``) about the resource at ``where``."""
    severity = FINDING_CODES[code][0]
    return ImportFinding(code, severity, text, where.resource_type, where.resource_id, date)
