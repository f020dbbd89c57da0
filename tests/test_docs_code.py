"""Every code block of the docs and the README that claims to run does run, as written.

A block claims to run when its language is ``python``, ``sh`` or ``bash``; ``json`` blocks holding a case and
``toml`` blocks holding a guideline must load. A block that cannot run in a test (it installs packages, starts a
server) says so on the line before it: ``<!-- not run: the reason -->``. Plain ``text`` blocks (command
synopses with placeholders) are not code. Blocks run in a scratch folder holding ``examples/``; the Python
blocks of one page share their names, in page order; ``hfs-pathway`` in a shell block is this checkout's
command line. The CDS Hooks guide has its own recipe test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hfs_pathway import Guideline, load_case

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "cds-hooks.md"), ROOT / "README.md"]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
NOT_RUN = re.compile(r"<!--\s*not run:\s*\S[^>]*-->\s*$")
RUNS = ("python", "sh", "bash")


def blocks(page: Path) -> list[tuple[str, str, bool, int]]:
    """``(language, code, marked not run, line)`` of each fenced block of ``page``."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        line = text.count("\n", 0, match.start()) + 1
        found.append((match.group(1), match.group(2), bool(NOT_RUN.search(before)), line))
    return found


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_pages_have_code_to_run() -> None:
    runnable = [b for page in PAGES for b in blocks(page) if b[0] in RUNS and not b[2]]
    assert len(runnable) >= 8


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_python_block_runs(page: Path, scratch: Path) -> None:
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for language, code, not_run, line in blocks(page):
        if language == "python" and not not_run:
            try:
                exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
            except Exception as error:
                pytest.fail(f"{page.name} line {line}: {type(error).__name__}: {error}")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_shell_block_runs(page: Path, scratch: Path) -> None:
    prelude = f'set -euo pipefail\nhfs-pathway() {{ "{sys.executable}" -m hfs_pathway "$@"; }}\n'
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed (the diagram commands need it)")
    for language, code, not_run, line in blocks(page):
        if language in ("sh", "bash") and not not_run:
            done = subprocess.run(
                ["bash", "-c", prelude + code],
                cwd=scratch,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
            assert done.returncode == 0, f"{page.name} line {line}:\n{code}\n{done.stderr[-2000:]}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_case_and_guideline_shown_loads(page: Path) -> None:
    for language, code, not_run, line in blocks(page):
        if not_run:
            continue
        if language == "json" and '"patient"' in code:
            load_case(json.loads(code))
        elif language == "toml":
            Guideline.from_mapping(tomllib.loads(code), source=f"{page.name}:{line}")


def test_a_block_that_does_not_run_says_why() -> None:
    for page in PAGES:
        for language, _, not_run, line in blocks(page):
            if not_run:
                assert language in RUNS, f"{page.name} line {line}: a not-run marker on a block that is not code"
