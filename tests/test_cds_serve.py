"""``hfs-pathway serve``: the one command that starts the service."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

# In CI the extras are required: a missing one fails the import instead of skipping.
if os.environ.get("CI") != "true":
    pytest.importorskip("fastapi")
import httpx

from hfs_pathway.cli import main
from tests.test_cds_harness import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_serve_refuses_to_start_trusting_no_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "1"]) == 2
    assert "no trusted issuers" in capsys.readouterr().err


def test_serve_names_a_bad_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "cds.toml"
    config.write_text("allow_unauthenticated = true\nmax_body_bytes = 5\n")
    assert main(["serve", "--config", str(config)]) == 2
    assert "max_body_bytes" in capsys.readouterr().err


def test_serve_with_the_development_settings_answers_discovery_and_says_it_is_unauthenticated() -> None:
    port = free_port()
    exe = Path(sys.executable).parent / "hfs-pathway"
    config = ROOT / "examples" / "cds" / "dev.toml"
    process = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/cds-services")
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert len(response.json()["services"]) == 2
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    assert "DEVELOPMENT MODE" in err
