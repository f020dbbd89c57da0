"""The findings of the CDS service's security audit (issue 12), one or more tests each, over real HTTP.

1. published test keys (the CDS Hooks sandbox's) are refused at start-up outside development;
2. no patient id or name reaches the logs of a real server run (third-party request logging included);
3. every stored feedback field is bounded;
4. jku key sets are fetched once for concurrent tokens, and failures are remembered briefly;
6. paging ``next`` links stay under the configured path; encoded dot segments are refused;
7. ``exp`` of the wrong type is a 401, not a 500; ``typ`` is compared case-insensitively;
8. diagram links name no patient and are not cached; clinical answers carry no-store and nosniff;
   Graphviz runs off the event loop; no page loads anything from a CDN.

(Finding 5, replay across workers and restarts, is tested with Redis in ``test_cds_scale.py``.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# In CI the extras are required: a missing one fails the import instead of skipping.
if os.environ.get("CI") != "true":
    pytest.importorskip("fastapi")
if os.environ.get("CI") != "true":
    pytest.importorskip("fhir.resources")
import httpx
import jwt

from hfs_pathway.cds import CdsSettings, InvalidCdsConfig, create_app
from tests.builder import CaseBuilder
from tests.test_cds_harness import (
    ISSUER,
    PREFETCH_TYPES,
    Keys,
    StubFhirServer,
    fhir_resources,
    free_port,
    hook_call,
    prefetch_for,
    searchset,
    serve,
)

ROOT = Path(__file__).resolve().parent.parent
PATIENT_VIEW = "hfs-pathway-patient-view"
TODAY = dt.datetime.now(dt.UTC).date()

# The CDS Hooks sandbox's current signing key (public part only; its private half is in the public sandbox
# repository, keys/jwk-keypair.json), as the sandbox publishes it at /.well-known/jwks.json.
SANDBOX_JWKS = {
    "keys": [
        {
            "kty": "EC",
            "use": "sig",
            "crv": "P-384",
            "kid": "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f",
            "x": "dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB",
            "y": "Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy",
            "alg": "ES384",
        }
    ]
}


# 1. Published test keys --------------------------------------------------------------------------------------


def test_the_production_template_trusts_no_published_sandbox_issuer() -> None:
    text = (ROOT / "examples" / "cds" / "production.example.toml").read_text()
    config = tomllib.loads(text)
    assert all("sandbox.cds-hooks.org" not in str(issuer) for issuer in config["issuers"])


def test_a_published_test_key_is_refused_at_start_up() -> None:
    settings = CdsSettings(issuers=({"iss": "https://sandbox.cds-hooks.org", "jwks": SANDBOX_JWKS},))
    with pytest.raises(InvalidCdsConfig, match="published"):
        create_app(settings)


def test_a_published_test_key_under_another_kid_and_issuer_is_refused_too() -> None:
    """The key is recognised by its thumbprint, not by its kid or its issuer's name."""
    renamed = {"keys": [{**SANDBOX_JWKS["keys"][0], "kid": "ours-1"}]}
    with pytest.raises(InvalidCdsConfig, match="published"):
        create_app(CdsSettings(issuers=({"iss": "https://ehr.example.org", "jwks": renamed},)))


def test_the_sandbox_key_set_url_is_refused_at_start_up() -> None:
    settings = CdsSettings(
        issuers=(
            {"iss": "https://sandbox.cds-hooks.org", "jku": ("https://sandbox.cds-hooks.org/.well-known/jwks.json",)},
        )
    )
    with pytest.raises(InvalidCdsConfig, match="published"):
        create_app(settings)


def test_development_mode_may_trust_the_sandbox_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    settings = CdsSettings(development=True, issuers=({"iss": "https://sandbox.cds-hooks.org", "jwks": SANDBOX_JWKS},))
    with caplog.at_level("WARNING"):
        create_app(settings)
    assert "published test key" in caplog.text


def test_a_published_key_served_at_an_allowed_jku_is_refused() -> None:
    """A jku key set is read at run time: a published key in it is dropped as if it were not there."""
    with StubFhirServer() as stub:
        stub.routes["/jwks/set.json"] = SANDBOX_JWKS
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        jku = f"{stub.base}/jwks/set.json"
        settings = CdsSettings(public_url=public, issuers=({"iss": ISSUER, "jku": (jku,)},))
        token = _sandbox_token(f"{public}/cds-services/{PATIENT_VIEW}", jku)
        with serve(settings, port) as base:
            response = httpx.post(
                f"{base}/cds-services/{PATIENT_VIEW}",
                json=hook_call("patient-view"),
                headers={"Authorization": f"Bearer {token}"},
            )
    assert response.status_code == 401
    assert "published test key" in response.json()["detail"]


def _sandbox_token(aud: str, jku: str) -> str:
    # Signed with a key of our own under the sandbox's kid: the refusal must come before the signature check.
    from cryptography.hazmat.primitives.asymmetric import ec

    now = int(time.time())
    claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
    key = ec.generate_private_key(ec.SECP384R1())
    headers = {"kid": SANDBOX_JWKS["keys"][0]["kid"], "jku": jku}
    return str(jwt.encode(claims, key, algorithm="ES384", headers=headers))


# 2. No patient data in the logs of a real run ----------------------------------------------------------------

DISTINCT_ID = "pq7Zx93817"
DISTINCT_NAME = "Quixotica-Marchetti"


def test_a_real_server_run_logs_no_patient_id_or_name(tmp_path: Path) -> None:
    """`hfs-pathway serve` at debug level reads a patient's record from a FHIR server: neither the patient's
    id nor their name appears anywhere in what the process writes."""
    story = CaseBuilder(DISTINCT_ID).on(TODAY - dt.timedelta(days=200)).presentation()
    story = story.after(14).mri().after(7).decide("botulinum_toxin").inject()
    by_type = fhir_resources(story.case())
    patient = {**by_type["Patient"][0], "name": [{"family": DISTINCT_NAME, "given": ["Anna"]}]}
    assert patient["id"] == DISTINCT_ID
    with StubFhirServer() as stub:
        stub.routes[f"Patient/{DISTINCT_ID}"] = patient
        for kind in PREFETCH_TYPES.values():
            if kind != "Patient":
                stub.routes[f"{kind}?patient={DISTINCT_ID}"] = searchset(by_type.get(kind, []))
        port = free_port()
        config = tmp_path / "cds.toml"
        config.write_text(
            f'public_url = "http://127.0.0.1:{port}"\nallow_unauthenticated = true\n'
            f'fhir_servers = ["{stub.base}"]\ndatabase = "sqlite:///{tmp_path}/cds.sqlite3"\n'
        )
        exe = Path(sys.executable).parent / "hfs-pathway"
        process = subprocess.Popen(
            [str(exe), "serve", "--port", str(port), "--config", str(config), "--log-level", "debug"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_until_up(port, process)
            auth = {"access_token": stub.token, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read"}
            auth["subject"] = "hfs-pathway"
            call = hook_call("patient-view", DISTINCT_ID, fhirServer=f"{stub.base}/fhir", fhirAuthorization=auth)
            response = httpx.post(f"http://127.0.0.1:{port}/cds-services/{PATIENT_VIEW}", json=call, timeout=20)
            assert response.status_code == 200, response.text
            assert any(p.startswith("/fhir/Condition?patient=") for p in stub.requests)  # really read from FHIR
        finally:
            process.terminate()
            logged, _ = process.communicate(timeout=20)
    assert "HTTP Request: GET http://127.0.0.1:" in logged  # the client's request lines were logged, redacted
    assert DISTINCT_ID not in logged
    assert DISTINCT_NAME not in logged


def _wait_until_up(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/cds-services")
            return
        except httpx.TransportError:
            if process.poll() is not None:
                raise AssertionError(process.stdout.read() if process.stdout else "exited") from None
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)


# 3. Bounded feedback -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def open_service() -> Iterator[tuple[str, Any]]:
    port = free_port()
    settings = CdsSettings(public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True)
    app = create_app(settings)
    with serve(settings, port, app) as base:
        yield base, app


@pytest.mark.parametrize(
    "reason",
    [
        {"system": "https://example.org", "code": "x" * 1_900_000},
        {"system": "https://example.org", "code": "x" * 300},
        {"system": "https://example.org/" + "s" * 600, "code": "c"},
        {"system": "https://example.org", "code": "c", "display": "d" * 2000},
    ],
    ids=["code-1.9MB", "code-300", "system-600", "display-2000"],
)
def test_oversized_feedback_fields_are_refused_and_nothing_is_kept(reason: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    settings = CdsSettings(
        public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True, max_body_bytes=4 * 1024 * 1024
    )
    app = create_app(settings)
    entry = {
        "card": str(uuid.uuid4()),
        "outcome": "overridden",
        "overrideReason": {"reason": reason},
        "outcomeTimestamp": "2026-01-01T10:00:00Z",
    }
    with serve(settings, port, app) as base:
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}/feedback", json={"feedback": [entry]}, timeout=20)
        assert response.status_code in (400, 422), response.text[:300]
        assert len(response.text) < 2000
        assert app.state.records.feedback_rows() == []


# 4. jku: single flight, failures cached ---------------------------------------------------------------------


def test_concurrent_tokens_fetch_a_jku_once_and_a_failure_is_remembered() -> None:
    other = Keys(kid="jku-key")
    with StubFhirServer() as stub:
        gate = threading.Event()

        def slow_keys(handler: Any) -> None:
            gate.wait(5)
            handler._send(200, other.jwks)

        def failing(handler: Any) -> None:
            gate.wait(5)
            handler._send(500, {"error": "down"})

        stub.routes["/jwks/slow.json"] = slow_keys
        stub.routes["/jwks/down.json"] = failing
        good, down = f"{stub.base}/jwks/slow.json", f"{stub.base}/jwks/down.json"
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        aud = f"{public}/cds-services/{PATIENT_VIEW}"
        settings = CdsSettings(public_url=public, issuers=({"iss": ISSUER, "jku": (good, down)},))

        async def burst(jku: str, n: int) -> list[int]:
            async with httpx.AsyncClient(base_url=base, timeout=20) as client:
                calls = [
                    client.post(
                        f"/cds-services/{PATIENT_VIEW}",
                        json=hook_call("patient-view"),
                        headers={"Authorization": f"Bearer {other.token(aud, headers={'jku': jku})}"},
                    )
                    for _ in range(n)
                ]
                threading.Timer(0.5, gate.set).start()
                return [r.status_code for r in await asyncio.gather(*calls)]

        with serve(settings, port) as base:
            statuses = asyncio.run(burst(good, 12))
            assert statuses == [412] * 12  # authenticated (no prefetch, no FHIR server: 412)
            assert stub.requests.count("/jwks/slow.json") == 1
            gate.clear()
            statuses = asyncio.run(burst(down, 12))
            assert statuses == [401] * 12
            assert stub.requests.count("/jwks/down.json") == 1
            # The failure is remembered for a while: more tokens naming it do not reach the URL again.
            statuses = asyncio.run(burst(down, 3))
            assert statuses == [401] * 3
            assert stub.requests.count("/jwks/down.json") == 1


def test_a_failing_listed_jku_does_not_refuse_tokens_whose_key_is_at_another() -> None:
    other = Keys(kid="jku-key")
    with StubFhirServer() as stub:
        stub.routes["/jwks/good.json"] = other.jwks
        down, good = f"{stub.base}/jwks/missing.json", f"{stub.base}/jwks/good.json"
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        settings = CdsSettings(public_url=public, issuers=({"iss": ISSUER, "jku": (down, good)},))
        with serve(settings, port) as base:
            token = other.token(f"{public}/cds-services/{PATIENT_VIEW}")  # no jku header: any listed set
            response = httpx.post(
                f"{base}/cds-services/{PATIENT_VIEW}",
                json=hook_call("patient-view"),
                headers={"Authorization": f"Bearer {token}"},
            )
    assert response.status_code == 412, response.text


# 6. Paging stays under the configured path ------------------------------------------------------------------


def _fhir_call(stub: StubFhirServer, pid: str, server: str) -> dict[str, Any]:
    auth = {"access_token": stub.token, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read"}
    auth["subject"] = "hfs-pathway"
    return hook_call("patient-view", pid, fhirServer=server, fhirAuthorization=auth)


@pytest.mark.parametrize(
    "climb",
    ["/fhir/../jwks/secret?patient=x", "/fhir/%2e%2e/jwks/secret?patient=x", "/fhir/%2E%2E/jwks/secret?patient=x"],
)
def test_a_next_link_that_climbs_out_of_the_configured_path_is_not_followed(climb: str) -> None:
    story = CaseBuilder("p-page").on(TODAY - dt.timedelta(days=100)).presentation()
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    with StubFhirServer() as stub:
        stub.routes[f"Patient/{pid}"] = by_type["Patient"][0]
        for kind in PREFETCH_TYPES.values():
            if kind != "Patient":
                stub.routes[f"{kind}?patient={pid}"] = searchset(by_type.get(kind, []))
        first = searchset(by_type["Condition"])
        first["link"] = [{"relation": "next", "url": f"{stub.base}{climb}"}]
        stub.routes[f"Condition?patient={pid}"] = first
        port = free_port()
        settings = CdsSettings(
            public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True, fhir_servers=(f"{stub.base}/fhir",)
        )
        with serve(settings, port) as base:
            response = httpx.post(
                f"{base}/cds-services/{PATIENT_VIEW}", json=_fhir_call(stub, pid, f"{stub.base}/fhir"), timeout=10
            )
        assert not any("jwks" in p for p in stub.requests), stub.requests
    assert response.status_code in (200, 412), response.text


@pytest.mark.parametrize("climb", ["%2e%2e", "%2E%2e", ".%2e", "%2e"])
def test_a_fhir_server_with_encoded_dot_segments_is_refused(climb: str) -> None:
    with StubFhirServer() as stub:
        port = free_port()
        settings = CdsSettings(
            public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True, fhir_servers=(f"{stub.base}/fhir",)
        )
        with serve(settings, port) as base:
            call = _fhir_call(stub, "p-climb", f"{stub.base}/fhir/{climb}/jwks")
            response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", json=call, timeout=10)
        assert stub.requests == []
    assert response.status_code == 400, response.text
    assert "fhirServer" in response.json()["detail"]


# 7. Claim types and typ --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed_service() -> Iterator[tuple[str, str, Keys]]:
    keys = Keys()
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    settings = CdsSettings(public_url=public, issuers=({"iss": ISSUER, "jwks": keys.jwks},))
    with serve(settings, port) as base:
        yield base, f"{public}/cds-services/{PATIENT_VIEW}", keys


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": str(int(time.time()) + 60)},
        {"iat": str(int(time.time()))},
        {"exp": True},
        {"exp": [1]},
        {"nbf": str(int(time.time()))},
        {"exp": 1e300},
    ],
    ids=["exp-string", "iat-string", "exp-bool", "exp-list", "nbf-string", "exp-huge"],
)
def test_a_signed_token_with_a_claim_of_the_wrong_type_is_401_not_500(
    keyed_service: tuple[str, str, Keys], claims: dict[str, Any]
) -> None:
    base, aud, keys = keyed_service
    token = keys.token(aud, **claims)
    response = httpx.post(
        f"{base}/cds-services/{PATIENT_VIEW}",
        json=hook_call("patient-view"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("typ", ["jwt", "Jwt", "JWT"])
def test_typ_is_compared_without_regard_to_case(keyed_service: tuple[str, str, Keys], typ: str) -> None:
    base, aud, keys = keyed_service
    token = keys.token(aud, headers={"typ": typ})
    response = httpx.post(
        f"{base}/cds-services/{PATIENT_VIEW}",
        json=hook_call("patient-view"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 412, response.text  # past authentication


# 8. Diagram links and response headers ----------------------------------------------------------------------


def _diagram_link(base: str, pid: str = "p-diagram-55123") -> tuple[str, dict[str, Any]]:
    story = CaseBuilder(pid).on(TODAY - dt.timedelta(days=200)).presentation()
    story = story.after(14).mri().after(7).decide("botulinum_toxin").inject()
    by_type = fhir_resources(story.case())
    response = httpx.post(
        f"{base}/cds-services/{PATIENT_VIEW}",
        json=hook_call("patient-view", pid, prefetch=prefetch_for(by_type)),
        timeout=20,
    )
    assert response.status_code == 200, response.text
    links = [link["url"] for card in response.json()["cards"] for link in card.get("links", [])]
    return next(url for url in links if "/diagrams/" in url), dict(response.headers)


def test_a_diagram_link_names_no_patient_and_is_not_cached(open_service: tuple[str, Any]) -> None:
    base, _app = open_service
    url, _ = _diagram_link(base)
    response = httpx.get(url.replace("http://127.0.0.1", "http://127.0.0.1"), timeout=20)
    assert response.status_code == 200
    assert "p-diagram-55123" not in response.text
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_clinical_answers_are_not_cached_or_sniffed(open_service: tuple[str, Any]) -> None:
    base, _app = open_service
    _, headers = _diagram_link(base, "p-headers")
    assert "no-store" in headers["cache-control"]
    assert headers["x-content-type-options"] == "nosniff"
    entry = {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-01-01T10:00:00Z"}
    feedback = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}/feedback", json={"feedback": [entry]})
    assert "no-store" in feedback.headers["cache-control"]
    refused = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", json={"hook": "patient-view"})
    assert "no-store" in refused.headers["cache-control"]
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_graphviz_runs_off_the_event_loop(open_service: tuple[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from hfs_pathway import diagrams

    base, _app = open_service
    url, _ = _diagram_link(base, "p-thread")
    rendered_on: list[str] = []
    real = diagrams.diagram

    def watched(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            rendered_on.append("event loop")
        except RuntimeError:
            rendered_on.append("worker thread")
        return real(*args, **kwargs)

    monkeypatch.setattr(diagrams, "diagram", watched)
    assert httpx.get(url, timeout=20).status_code == 200
    assert rendered_on == ["worker thread"]


def test_no_page_of_the_service_loads_anything_from_a_cdn(open_service: tuple[str, Any]) -> None:
    base, _app = open_service
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        response = httpx.get(f"{base}{path}")
        if response.status_code == 200:
            assert "cdn" not in response.text.lower()
            assert "https://" not in response.text
        else:
            assert response.status_code == 404
    assert httpx.get(f"{base}/openapi.json").status_code == 200  # the schema itself stays published
