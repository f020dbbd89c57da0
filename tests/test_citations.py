"""The citation registry: generated from the evidence file, complete for everything the library cites."""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import hfs_pathway
from hfs_pathway import citation, citations

ROOT = Path(__file__).resolve().parent.parent


def test_the_registry_holds_the_evidence_file_references() -> None:
    registry = citations()
    assert len(registry) >= 150
    r45 = citation("R45")
    assert r45.url is not None
    assert "BOTOX" in r45.short_title
    assert r45.supports
    assert citation("R26").year == 2012


def test_an_unknown_citation_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="R9999"):
        citation("R9999")


@functools.cache
def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_citations", ROOT / "scripts" / "build_citations.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_citations"] = module
    spec.loader.exec_module(module)
    return module


def evidence_file() -> Path:
    found: Path | None = builder().default_source()
    if found is None or not found.is_file():
        pytest.skip("the shared evidence file is not beside this checkout (set HFS_EVIDENCE_FILE)")
    return found


def test_the_generated_registry_is_up_to_date_with_the_evidence_files() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_citations.py"), "--check", "--source", str(evidence_file())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_building_the_registry_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    source = evidence_file()
    outputs = []
    for name in ("first.json", "second.json"):
        out = tmp_path / name
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "build_citations.py"),
                "--source",
                str(source),
                "--output",
                str(out),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] == (ROOT / "src" / "hfs_pathway" / "data" / "citations.json").read_bytes()


PUBMED = "https://pubmed.ncbi.nlm.nih.gov/12345678/"
REFERENCE_LIST = """# Evidence

## Toxin

- Botulinum toxin works [R1] [SEEN]; a report [R2].

## References

R1 Doe J. A study of spasm. J Neurol 2020;1(2):3-4 — PMID 12345678; doi:10.1000/abc.123 — {LINK} [a note]
R2 [UNVERIFIED-SOURCE] Roe R. An unconfirmed report. Neurology 2011 — DOI/PMID not confirmed [copy removed]
""".replace("{LINK}", PUBMED)


def write(folder: Path, text: str, name: str = "evidence.md") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_reference_line_gives_its_title_pmid_doi_year_and_canonical_link(tmp_path: Path) -> None:
    document, _ = builder().build(write(tmp_path, REFERENCE_LIST))
    first, _ = document["citations"]
    assert first["short_title"] == "Doe J. A study of spasm. J Neurol 2020;1(2):3-4"
    assert (first["pmid"], first["doi"], first["year"]) == ("12345678", "10.1000/abc.123", 2020)
    assert first["url"] == "https://pubmed.ncbi.nlm.nih.gov/12345678/"
    assert (first["supports"], first["strength"]) == (["Toxin"], "seen")
    assert "a note" not in json.dumps(first)


def test_a_reference_without_a_link_keeps_its_details_and_says_it_is_unconfirmed(tmp_path: Path) -> None:
    document, warnings = builder().build(write(tmp_path, REFERENCE_LIST))
    second = document["citations"][1]
    assert second["url"] is None
    assert (second["pmid"], second["doi"]) == (None, None)
    assert second["short_title"] == "Roe R. An unconfirmed report. Neurology 2011"
    assert second["unconfirmed"] is True
    assert any("R2" in w for w in warnings)


def test_a_reference_with_a_doi_and_no_link_links_to_doi_org(tmp_path: Path) -> None:
    text = REFERENCE_LIST.replace(f" — {PUBMED}", "").replace("PMID 12345678; ", "")
    document, _ = builder().build(write(tmp_path, text))
    assert document["citations"][0]["url"] == "https://doi.org/10.1000/abc.123"


@pytest.mark.parametrize(
    "url",
    ["http://203.0.113.7/article.pdf", "https://[2001:db8::1]/paper", "https://www.scribd.com/document/1/copy"],
)
def test_a_link_to_a_raw_ip_address_or_a_known_mirror_fails_the_build(tmp_path: Path, url: str) -> None:
    text = REFERENCE_LIST.replace(PUBMED, url)
    with pytest.raises(builder().EvidenceError, match="R1 links to"):
        builder().build(write(tmp_path, text))
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_citations.py"),
            "--source",
            str(tmp_path / "evidence.md"),
            "--output",
            str(tmp_path / "out.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "R1 links to" in done.stderr
    assert not (tmp_path / "out.json").exists()


ADDITIONS = """# Project evidence

## Drug labels

- Dosing of the label [R201] [SEEN].

## References

R201 Example label. US Prescribing Information, 2024 — https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=x
"""


def test_the_projects_additions_are_merged_with_the_shared_references(tmp_path: Path) -> None:
    document, _ = builder().build(write(tmp_path, REFERENCE_LIST), write(tmp_path, ADDITIONS, "additions.md"))
    by_id = {c["id"]: c for c in document["citations"]}
    assert list(by_id) == ["R1", "R2", "R201"]
    assert by_id["R201"]["origin"] == "project"
    assert by_id["R1"]["origin"] == "shared"
    assert (by_id["R201"]["supports"], by_id["R201"]["strength"]) == (["Drug labels"], "seen")


@pytest.mark.parametrize(("line", "message"), [("R1 Clash", "already in"), ("R150 Too low", "below R201")])
def test_an_addition_that_collides_or_is_numbered_too_low_fails(tmp_path: Path, line: str, message: str) -> None:
    additions = write(tmp_path, ADDITIONS + line + " — https://example.org/x\n", "additions.md")
    with pytest.raises(builder().EvidenceError, match=message):
        builder().build(write(tmp_path, REFERENCE_LIST), additions)


def test_the_shipped_additions_file_follows_the_format() -> None:
    path = ROOT / "evidence" / "additions.md"
    _, references = builder().split_body_and_references(path.read_text(encoding="utf-8").splitlines(), "a")
    parsed = builder().parse_references(references, "a", warnings := [])
    assert warnings == []
    assert all(builder().id_sort_key(ref_id)[0] >= builder().FIRST_ADDITION_ID for ref_id in parsed)


def test_the_generated_reference_page_is_up_to_date() -> None:
    """docs/reference.md is generated from the definition and the guideline; it must match the code."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_registry_links_to_no_raw_ip_address_or_known_mirror_and_shows_identifiers() -> None:
    registry = hfs_pathway.citations()
    problem = builder().link_problem
    assert [c.id for c in registry.values() for u in (c.url, *c.other_urls) if u and problem(u)] == []
    r26 = registry["R26"]
    assert (r26.pmid, r26.doi) == ("22168965", "10.3109/02688697.2011.641613")
    assert registry["R49"].url == "https://doi.org/10.3390/toxins11090491"
    assert registry["R38"].url is None
    assert registry["R38"].unconfirmed
