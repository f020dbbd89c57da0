"""FHIR input for a cohort (the ``fhir`` extra): a folder of Bundles, or a bulk export's NDJSON files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._evaluate import ChunkResult


def is_fhir_source(path: Path) -> bool:
    """Whether ``path`` is FHIR input: a folder, or an NDJSON file whose first record has a ``resourceType``."""
    if path.is_dir():
        return True
    with path.open("rb") as f:
        for line in f:
            if line.strip():
                return b'"resourceType"' in line and b'"patient"' not in line[:200]
    return False


def fhir_chunks(path: Path, workdir: Path) -> Iterator[Any]:
    raise NotImplementedError("FHIR input is not available yet")


def evaluate_fhir_chunk(chunk: Any) -> ChunkResult:
    raise NotImplementedError("FHIR input is not available yet")
