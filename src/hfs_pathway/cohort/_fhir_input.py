"""FHIR input for a cohort (the ``fhir`` extra): a folder of Bundles, or a FHIR bulk export's NDJSON.

- A folder of ``*.json`` files: one Bundle per patient, read with :func:`hfs_pathway.fhir.import_bundle`,
  in file-name order.
- A folder of ``*.ndjson`` files, or one ``.ndjson`` file, of a bulk export (one resource per line, every
  resource type in its own file or mixed): the resources are first indexed by patient in an SQLite file in the
  output folder's temporary space (memory stays bounded whatever the export's size), then each patient's
  resources go to :func:`hfs_pathway.fhir.import_resources`, in patient-id order. A resource names its patient
  by ``subject`` or ``patient`` (``Patient/<id>``), or is the ``Patient`` itself; resources of no patient
  (practitioners, organisations) are not used.

A patient the importer refuses (no hemifacial spasm diagnosis, invalid resources) is reported like a bad case,
with the file name or patient reference, and the run goes on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from hfs_pathway._case import DEFAULT_LIMITS, Case

from . import _json
from ._evaluate import ChunkResult, evaluate_items

PATIENTS_PER_CHUNK = 64


class BundleChunk(NamedTuple):
    number: int
    files: tuple[str, ...]
    first: int
    """1-based position of the first file in name order."""


class PatientChunk(NamedTuple):
    number: int
    database: str
    patients: tuple[str, ...]
    first: int


def is_fhir_source(path: Path) -> bool:
    """Whether ``path`` is FHIR input: a folder, or an NDJSON file whose first record has a ``resourceType``."""
    if path.is_dir():
        return True
    with path.open("rb") as f:
        for line in f:
            if line.strip():
                try:
                    first = _json.loads(line)
                except ValueError:
                    return False
                return isinstance(first, dict) and "resourceType" in first and "patient" not in first
    return False


def _importer() -> Any:
    from importlib.util import find_spec

    from ._run import CohortInputError

    if find_spec("fhir.resources") is None or find_spec("hfs_pathway.fhir") is None:
        raise CohortInputError(
            "FHIR input (a folder, or NDJSON of FHIR resources) needs the fhir extra: pip install 'hfs-pathway[fhir]'"
        )
    from hfs_pathway import fhir

    return fhir


def fhir_chunks(path: Path, workdir: Path) -> Iterator[Any]:
    """The chunks of a FHIR source: groups of Bundle files, or groups of patients of an indexed bulk export."""
    from ._run import CohortInputError

    _importer()
    if path.is_dir():
        bundles = sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
        exports = sorted(p for p in path.iterdir() if p.suffix == ".ndjson" and p.is_file())
        if bundles and not exports:
            for number, start in enumerate(range(0, len(bundles), PATIENTS_PER_CHUNK)):
                files = tuple(str(p) for p in bundles[start : start + PATIENTS_PER_CHUNK])
                yield BundleChunk(number, files, start + 1)
            return
        if not exports:
            raise CohortInputError(f"the folder {str(path)!r} holds no FHIR Bundles (*.json) or bulk export (*.ndjson)")
    else:
        exports = [path]
    database = _index_export(exports, workdir)
    yield from _patient_chunks(database)


def _patient_of(resource: dict[str, Any]) -> str | None:
    if resource.get("resourceType") == "Patient":
        pid = resource.get("id")
        return f"Patient/{pid}" if isinstance(pid, str) else None
    for key in ("subject", "patient", "beneficiary"):
        ref = resource.get(key)
        if isinstance(ref, dict):
            reference = ref.get("reference")
            if isinstance(reference, str) and reference.startswith("Patient/"):
                return reference
    return None


def _index_export(files: list[Path], workdir: Path) -> Path:
    """Index every resource of a bulk export by patient, on disk."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="hfs-cohort-fhir-", dir=workdir))
    database = folder / "resources.sqlite"
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("CREATE TABLE resource (patient TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL)")
        seq = 0
        batch: list[tuple[str, int, bytes]] = []
        for file in files:
            with file.open("rb") as f:
                for line in f:
                    if not line.strip():
                        continue
                    try:
                        resource = _json.loads(line)
                    except ValueError:
                        continue  # a line that is not JSON belongs to no patient we can name
                    patient = _patient_of(resource) if isinstance(resource, dict) else None
                    if patient is None:
                        continue
                    batch.append((patient, seq, line.rstrip(b"\r\n")))
                    seq += 1
                    if len(batch) >= 10_000:
                        connection.executemany("INSERT INTO resource VALUES (?, ?, ?)", batch)
                        batch.clear()
        connection.executemany("INSERT INTO resource VALUES (?, ?, ?)", batch)
        connection.execute("CREATE INDEX by_patient ON resource (patient, seq)")
        connection.commit()
    finally:
        connection.close()
    return database


def _patient_chunks(database: Path) -> Iterator[PatientChunk]:
    connection = sqlite3.connect(database)
    try:
        cursor = connection.execute("SELECT DISTINCT patient FROM resource ORDER BY patient")
        number, position = 0, 1
        while rows := cursor.fetchmany(PATIENTS_PER_CHUNK):
            patients = tuple(row[0] for row in rows)
            yield PatientChunk(number, str(database), patients, position)
            number += 1
            position += len(patients)
    finally:
        connection.close()


def _bundle_case(path: str) -> Case:
    case: Case = _importer().import_bundle(Path(path)).case
    return case


def evaluate_fhir_chunk(chunk: Any) -> ChunkResult:
    """Import and evaluate the patients of one chunk (in a worker)."""
    if isinstance(chunk, BundleChunk):
        items = [
            (chunk.first + i, lambda path=path: _bundle_case(path), Path(path).name)
            for i, path in enumerate(chunk.files)
        ]
        return evaluate_items(chunk.number, items, count=len(items))
    fhir = _importer()
    connection = sqlite3.connect(f"file:{chunk.database}?mode=ro", uri=True)
    try:
        found: dict[str, list[Any]] = {p: [] for p in chunk.patients}
        marks = ",".join("?" * len(chunk.patients))
        query = f"SELECT patient, body FROM resource WHERE patient IN ({marks}) ORDER BY patient, seq"
        keep = DEFAULT_LIMITS.max_events + 1  # one more than allowed is enough for the importer to refuse it
        for patient, body in connection.execute(query, chunk.patients):
            resources = found[patient]
            if len(resources) < keep:
                resources.append(_json.loads(body))
    finally:
        connection.close()

    def imported(resources: list[Any]) -> Case:
        case: Case = fhir.import_resources(resources).case
        return case

    items = [(chunk.first + i, lambda r=found[p]: imported(r), p) for i, p in enumerate(chunk.patients)]
    return evaluate_items(chunk.number, items, count=len(items))
