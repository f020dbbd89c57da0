"""Every generated Mermaid text renders with the real mermaid library in headless Chromium.

``scripts/browser_check.mjs render`` loads the mermaid script the docs site ships (``node_modules/mermaid``)
into one Chromium page and parses and renders every text there, so a syntax error fails. Needs node, the Node
packages of ``package.json`` (``npm ci``) and Chromium: outside CI a missing tool skips with the reason, with
``CI=true`` it fails.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hfs_pathway import Pathway, Stage, diagram, load_case
from hfs_pathway._words import title_of

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "scripts" / "browser_check.mjs"
ARTEFACTS = ROOT / "test-artifacts" / "diagrams"
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.json") if p.name != "expected.json")
EXPECTED = json.loads((ROOT / "examples" / "expected.json").read_text(encoding="utf-8"))


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason + " (required in CI: .ci/run installs it)")
    pytest.skip(reason)


def render_in_chromium(texts: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each text's ``{"svg": ...}`` or ``{"error": ...}`` from mermaid in headless Chromium."""
    node = shutil.which("node")
    if node is None:
        missing("node is not installed (apt-get install nodejs npm)")
    if not (ROOT / "node_modules" / "mermaid").is_dir() or not (ROOT / "node_modules" / "puppeteer").is_dir():
        missing("the Node packages are not installed: run npm ci")
    browser = os.environ.get("PUPPETEER_EXECUTABLE_PATH", "/usr/bin/chromium")
    if not Path(browser).exists():
        missing(f"Chromium is not installed at {browser} (apt-get install chromium)")
    done = subprocess.run(
        [str(node), str(CHECK), "render"],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, dict[str, str]] = json.loads(done.stdout)
    return results


def mermaid_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for fmt in ("mermaid", "mermaid-state"):
        texts[f"pathway-{fmt}"] = str(diagram(fmt))
        for case_file in EXAMPLES:
            as_of = dt.date.fromisoformat(EXPECTED[case_file.name]["as_of"])
            pathway = Pathway.replay(load_case(case_file))
            texts[f"{case_file.stem}-{fmt}"] = str(diagram(fmt, pathway=pathway, as_of=as_of))
    return texts


def test_every_generated_mermaid_text_renders_in_chromium_and_shows_every_stage() -> None:
    texts = mermaid_texts()
    broken = str(diagram("mermaid")).replace("-->", "->", 1)
    results = render_in_chromium({**texts, "broken": broken})
    # The check can fail: a one-character syntax error is reported, not drawn.
    assert "error" in results["broken"], "mermaid accepted a broken transition line"
    assert "Parse error" in results["broken"]["error"]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for name in texts:
        result = results[name]
        assert "error" not in result, f"{name}: {result.get('error')}"
        svg = result["svg"]
        for stage in Stage:
            title = title_of(stage.value)
            assert f">{title}<" in svg, f"{name}: stage {title} is not drawn"
        assert "[else]" not in svg, name
        (ARTEFACTS / f"{name}.svg").write_text(svg, encoding="utf-8")
