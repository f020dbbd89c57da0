"""The published OpenAPI schema, and a bounded schemathesis run against the live service: no input it
generates may make the service fail with a 5xx."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# In CI the extras are required: a missing one fails the import instead of skipping.
if os.environ.get("CI") != "true":
    pytest.importorskip("fastapi")
if os.environ.get("CI") != "true":
    pytest.importorskip("schemathesis")
import httpx

from hfs_pathway.cds import CdsSettings
from tests.test_cds_harness import StubFhirServer, free_port, serve


def test_openapi_schema_names_every_endpoint() -> None:
    port = free_port()
    settings = CdsSettings(public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True)
    with serve(settings, port) as base:
        schema = httpx.get(f"{base}/openapi.json").json()
    paths = schema["paths"]
    assert "get" in paths["/cds-services"]
    for service in ("hfs-pathway-patient-view", "hfs-pathway-order-select"):
        post = paths[f"/cds-services/{service}"]["post"]
        assert {"200", "400", "401", "412", "413"} <= set(post["responses"])
        assert "post" in paths[f"/cds-services/{service}/feedback"]


def test_schemathesis_finds_no_server_error(tmp_path: Path) -> None:
    port = free_port()
    with StubFhirServer() as stub:
        settings = CdsSettings(
            public_url=f"http://127.0.0.1:{port}",
            allow_unauthenticated=True,  # so that generated calls reach the hooks, not only the JWT check
            fhir_servers=(stub.base,),  # any other fhirServer is refused without a network call
            fhir_timeout_seconds=2,
        )
        with serve(settings, port) as base:
            env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
            result = subprocess.run(
                [
                    str(Path(sys.executable).parent / "st"),
                    "run",
                    f"{base}/openapi.json",
                    "--checks",
                    "not_a_server_error",
                    "--max-examples",
                    "25",
                    "--seed",
                    "20260101",
                    "--phases",
                    "examples,coverage,fuzzing",
                    "--request-timeout",
                    "5",
                ],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
                cwd=tmp_path,
                check=False,
            )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
