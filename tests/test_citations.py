"""The citation registry: generated from the evidence file, complete for everything the library cites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import hfs_pathway
from hfs_pathway import citation, citations

ROOT = Path(__file__).resolve().parent.parent
EVIDENCE = ROOT.parent / "shared" / "reference" / "clinical-evidence.md"


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


@pytest.mark.skipif(not EVIDENCE.exists(), reason="the shared evidence file is not beside this checkout")
def test_the_generated_registry_is_up_to_date_with_the_evidence_file() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_citations.py"), "--check", "--source", str(EVIDENCE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_generated_reference_page_is_up_to_date() -> None:
    """docs/reference.md is generated from the definition and the guideline; it must match the code."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_a_reference_whose_host_does_not_serve_the_work_links_to_the_publisher() -> None:
    # The evidence file gives R49 (Toxins 2019;11(9):491) a host unrelated to the journal.
    registry = hfs_pathway.citations()
    assert registry["R49"].url == "https://www.mdpi.com/2072-6651/11/9/491"
    hosts = {c.url.split("/")[2] for c in registry.values() if c.url}
    assert "cricutcom-setup.com" not in hosts
