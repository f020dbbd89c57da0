"""The citation registry: every evidence id a rule, threshold, recommendation or alert may cite.

The registry is generated from the shared evidence file and the project's ``evidence/additions.md`` by
``scripts/build_citations.py`` into ``data/citations.json`` and read lazily on first use, so importing the
library stays cheap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Citation:
    """One source of evidence."""

    id: str
    short_title: str
    url: str | None
    year: int | None
    supports: tuple[str, ...]
    """The sections of the evidence file in which this source is cited."""
    strength: str
    """``seen`` (read in the source), ``seen-weak`` (secondary source), or weaker."""
    other_urls: tuple[str, ...] = ()
    pmid: str | None = None
    """The PubMed id, when the source has one."""
    doi: str | None = None
    """The Digital Object Identifier (without ``https://doi.org/``), when the source has one."""
    pmcid: str | None = None
    """The PubMed Central id (``PMC...``), when the source has one."""
    unconfirmed: bool = False
    """The source's bibliographic details (journal, year, identifiers) are not confirmed."""


@cache
def _registry() -> dict[str, Citation]:
    raw = (Path(__file__).parent / "data" / "citations.json").read_text(encoding="utf-8")
    entries = json.loads(raw)["citations"]
    return {
        entry["id"]: Citation(
            id=entry["id"],
            short_title=entry["short_title"],
            url=entry["url"],
            year=entry["year"],
            supports=tuple(entry["supports"]),
            strength=entry["strength"],
            other_urls=tuple(entry.get("other_urls", ())),
            pmid=entry.get("pmid"),
            doi=entry.get("doi"),
            pmcid=entry.get("pmcid"),
            unconfirmed=bool(entry.get("unconfirmed", False)),
        )
        for entry in entries
    }


def citations() -> dict[str, Citation]:
    """The whole registry, keyed by id (``"R26"``)."""
    return dict(_registry())


def citation(citation_id: str) -> Citation:
    """One citation by id; ``KeyError`` names an id that is not in the registry."""
    try:
        return _registry()[citation_id]
    except KeyError:
        raise KeyError(f"no citation {citation_id!r} in the registry") from None
