"""The documentation site builds strictly from the code, and its pathway page draws in a real browser.

``mkdocs build --strict`` runs once per test session into a temporary folder. The pathway page is then served on
127.0.0.1 and opened in headless Chromium (``scripts/browser_check.mjs page``): its diagrams must render to SVG
with every stage's label, with no request leaving the site (mermaid is shipped, not fetched from a CDN). A
screenshot is kept in ``test-artifacts/docs/``. Outside CI a missing tool (mkdocs, dot, node packages, Chromium)
skips with the reason; with ``CI=true`` it fails.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from hfs_pathway import HFS_PATHWAY, Stage, citations, default_guideline
from hfs_pathway._words import title_of

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "test-artifacts" / "docs"


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason + " (required in CI: .ci/run installs it)")
    pytest.skip(reason)


def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "scripts" / "docs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        missing("the docs extra is not installed: pip install -e '.[docs]'")
    if shutil.which("dot") is None:
        missing("Graphviz dot is not installed (apt-get install graphviz)")
    if not (ROOT / "node_modules" / "mermaid").is_dir():
        missing("the Node packages are not installed: run npm ci")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return out


@pytest.fixture(scope="session")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_every_stage_has_its_page_at_stages_slash_its_value(site: Path) -> None:
    for stage in Stage:
        page = site / "stages" / stage.value / "index.html"
        assert page.exists(), f"no page for {stage.value}"
        html = page.read_text(encoding="utf-8")
        assert HFS_PATHWAY.stage_info(stage).meaning.split(";")[0].split(":")[0] in html


def test_stage_pages_show_the_guidelines_thresholds_with_their_values(site: Path) -> None:
    mapping = hooks().STAGE_PARAMETERS
    parameters = {p.name: p for p in default_guideline().parameters()}
    assert set(parameters) == {name for names in mapping.values() for name in names}, "a parameter has no page"
    html = (site / "stages" / "botulinum_toxin" / "index.html").read_text(encoding="utf-8")
    for name in mapping[Stage.BOTULINUM_TOXIN]:
        assert f"<code>{name}</code>" in html
    assert f"{parameters['min_reinjection_interval_days'].value} days" in html
    for event in HFS_PATHWAY.accepted_events(Stage.BOTULINUM_TOXIN):
        assert f"<code>{event.value}</code>" in html


def test_the_citation_page_has_an_anchor_for_every_citation(site: Path) -> None:
    html = (site / "citations" / "index.html").read_text(encoding="utf-8")
    for cid in citations():
        assert f'id="{cid.lower()}"' in html


def test_the_cli_page_is_the_commands_own_help(site: Path) -> None:
    html = (site / "cli" / "index.html").read_text(encoding="utf-8")
    for command in ("evaluate", "validate", "guideline show", "diagram"):
        assert f"hfs-pathway {command}" in html
    assert "--as-of" in html


def test_mermaid_is_shipped_with_the_site_not_loaded_from_a_cdn(site: Path) -> None:
    shipped = site / "js" / "mermaid.min.js"
    assert shipped.read_bytes() == (ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js").read_bytes()
    html = (site / "pathway" / "index.html").read_text(encoding="utf-8")
    assert '<script src="../js/mermaid.min.js">' in html
    assert "unpkg.com" not in html
    assert "cdn.jsdelivr" not in html


def test_the_pathway_page_draws_every_stage_in_headless_chromium(served: str) -> None:
    node = shutil.which("node")
    if node is None:
        missing("node is not installed (apt-get install nodejs npm)")
    browser = os.environ.get("PUPPETEER_EXECUTABLE_PATH", "/usr/bin/chromium")
    if not Path(browser).exists():
        missing(f"Chromium is not installed at {browser} (apt-get install chromium)")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / "pathway-page.png"
    screenshot.unlink(missing_ok=True)
    done = subprocess.run(
        [str(node), str(ROOT / "scripts" / "browser_check.mjs"), "page", served + "pathway/", str(screenshot)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert len(result["svgs"]) == 2, "the Graphviz picture and the flowchart"
    for svg_text in result["svgs"]:
        for stage in Stage:
            title = title_of(stage.value)
            assert title in svg_text, f"stage {title} is missing from a drawn diagram"
        assert "Syntax error" not in svg_text
    assert result["external"] == [], "the page fetched something from outside the site"
    assert result["errors"] == []
    assert screenshot.stat().st_size > 10_000
