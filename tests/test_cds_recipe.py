"""The guide's "An authenticated call" recipe, run as written: its shell steps, its configuration file and
examples/cds/make_token.py, against a started ``hfs-pathway serve`` (only the port and paths are adapted)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# In CI the extras are required: a missing one fails the import instead of skipping.
if os.environ.get("CI") != "true":
    pytest.importorskip("fastapi")
    pytest.importorskip("jwt")
    if shutil.which("curl") is None:
        pytest.skip("the recipe calls the service with curl, which is not installed", allow_module_level=True)
import httpx

from tests.test_cds_harness import free_port

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "cds-hooks.md"


def recipe_blocks() -> list[tuple[str, str]]:
    """The fenced blocks (language, text) of the guide's "An authenticated call" section, in order."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("\n## An authenticated call\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^( *)```(\w+)\n(.*?)^\1```", section, flags=re.MULTILINE | re.DOTALL)
    return [(lang, textwrap.dedent(body)) for _indent, lang, body in blocks]


def adapt(step: str, port: int) -> str:
    """The step on this machine: a free port, this venv's Python and the checkout's example files."""
    exe = Path(sys.executable).parent / "hfs-pathway"
    step = step.replace("8080", str(port))
    step = step.replace("python examples/cds/", f"{shlex.quote(sys.executable)} {ROOT}/examples/cds/")
    step = step.replace("@examples/cds/", f"@{ROOT}/examples/cds/")
    return step.replace("hfs-pathway serve", f"{shlex.quote(str(exe))} serve")


def shell(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-euc", script], cwd=cwd, capture_output=True, text=True, check=False)


def test_the_recipe_has_its_four_steps() -> None:
    assert [lang for lang, _ in recipe_blocks()] == ["sh", "toml", "sh", "sh"]


def test_the_authenticated_call_recipe_works_as_written(tmp_path: Path) -> None:
    make_keys, config, serve, call = (body for _, body in recipe_blocks())
    port = free_port()
    subprocess.run(["bash", "-euc", adapt(make_keys, port)], cwd=tmp_path, check=True, capture_output=True)
    private_key = tmp_path / "client-keys" / "client-key.pem"
    assert stat.S_IMODE(private_key.stat().st_mode) == 0o600
    assert "d" not in json.loads((tmp_path / "client-keys" / "jwks.json").read_text())["keys"][0]  # public only
    (tmp_path / "cds.toml").write_text(adapt(config, port))
    process = subprocess.Popen(
        shlex.split(adapt(serve, port)), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/cds-services")
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.1)
        answer = shell(adapt(call, port), tmp_path)
        assert answer.returncode == 0, answer.stderr
        body = json.loads(answer.stdout)
        assert "cards" in body, body  # a refusal is {"detail": <the rule it failed>}
        cards = body["cards"]
        assert cards, body
        assert all(card["summary"] and card["source"]["label"] == "hfs-pathway" for card in cards)
        # Without the token, the same call is refused: the answer above was authenticated.
        unauthenticated = re.sub(r'-H "Authorization: Bearer \$TOKEN" ', "", adapt(call, port))
        assert unauthenticated != adapt(call, port)
        refused = shell(unauthenticated, tmp_path)
        assert "no bearer token" in json.loads(refused.stdout)["detail"]
    finally:
        process.terminate()
        process.communicate(timeout=10)
