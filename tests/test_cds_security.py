"""Who may call the CDS service: every JWT rule of the specification, over real HTTP on loopback.

Each refusal is a 401 naming the failed rule; an accepted token gets past authentication, which the
calls show by reaching the next check (412: no prefetch and no FHIR server to read from).
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

# In CI the extras are required: a missing one fails the import instead of skipping.
if os.environ.get("CI") != "true":
    pytest.importorskip("fastapi")
import httpx
import jwt

from hfs_pathway.cds import CdsSettings, InvalidCdsConfig
from tests.test_cds_harness import ISSUER, Keys, StubFhirServer, free_port, hook_call, serve

SERVICE = "hfs-pathway-patient-view"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def other_keys() -> Keys:
    return Keys(kid="jku-key")


@pytest.fixture(scope="module")
def jwks_server(other_keys: Keys) -> Iterator[StubFhirServer]:
    with StubFhirServer() as stub:
        stub.routes["/jwks/allowed.json"] = other_keys.jwks
        stub.routes["/jwks/elsewhere.json"] = other_keys.jwks
        yield stub


@pytest.fixture(scope="module")
def service(keys: Keys, jwks_server: StubFhirServer) -> Iterator[tuple[str, str]]:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    jku_issuer = "https://jku-ehr.example.test"
    settings = CdsSettings(
        public_url=public,
        issuers=(
            {"iss": ISSUER, "jwks": keys.jwks},
            {"iss": jku_issuer, "jku": (f"{jwks_server.base}/jwks/allowed.json",)},
        ),
        max_body_bytes=64 * 1024,
    )
    with serve(settings, port) as base:
        yield base, f"{public}/cds-services/{SERVICE}"


def call(base: str, token: str | None, headers: dict[str, str] | None = None) -> httpx.Response:
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{base}/cds-services/{SERVICE}", json=hook_call("patient-view"), headers=all_headers)


def refused(response: httpx.Response, words: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert words in response.json()["detail"]


def test_a_valid_token_passes_authentication(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    response = call(base, keys.token(aud))
    assert response.status_code == 412  # authenticated; then no prefetch and no fhirServer


def test_no_token_is_refused(service: tuple[str, str]) -> None:
    refused(call(service[0], None), "no bearer token")


def test_a_token_in_another_scheme_is_refused(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    refused(call(base, None, {"Authorization": f"Basic {keys.token(aud)}"}), "Bearer")


def test_alg_none_is_refused(service: tuple[str, str]) -> None:
    base, aud = service
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
    token = jwt.encode(claims, None, algorithm="none")
    refused(call(base, token), "'none' is not accepted")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_hs256_signed_with_the_public_key_is_refused(service: tuple[str, str], keys: Keys) -> None:
    """The classic key-confusion attack: HMAC with the issuer's public key as the secret."""
    import hashlib
    import hmac

    base, aud = service
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": keys.kid}).encode())
    claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(keys.public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    refused(call(base, f"{header}.{payload}.{_b64(signature)}"), "'HS256' is not accepted")


def test_an_expired_token_is_refused(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    now = int(time.time())
    refused(call(base, keys.token(aud, iat=now - 200, exp=now - 100)), "expired")


def test_a_token_issued_in_the_future_is_refused(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    now = int(time.time())
    refused(call(base, keys.token(aud, iat=now + 600, exp=now + 660)), "future")


def test_a_token_living_too_long_is_refused(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    now = int(time.time())
    refused(call(base, keys.token(aud, iat=now, exp=now + 3600)), "lives longer")


def test_a_small_clock_skew_is_tolerated(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    now = int(time.time())
    assert call(base, keys.token(aud, iat=now + 10, exp=now + 70)).status_code == 412
    assert call(base, keys.token(aud, iat=now - 70, exp=now - 10)).status_code == 412


def test_a_wrong_audience_is_refused(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    refused(call(base, keys.token(aud.replace(SERVICE, "hfs-pathway-order-select"))), "audience")
    refused(call(base, keys.token("https://elsewhere.example.test/cds-services/x")), "audience")


def test_an_unknown_issuer_is_refused(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    refused(call(base, keys.token(aud, iss="https://stranger.example.test")), "issuer")


def test_a_key_that_is_not_the_issuers_is_refused(service: tuple[str, str]) -> None:
    base, aud = service
    refused(call(base, Keys().token(aud)), "signature does not verify")


def test_a_replayed_jti_is_refused(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    jti = str(uuid.uuid4())
    assert call(base, keys.token(aud, jti=jti)).status_code == 412
    refused(call(base, keys.token(aud, jti=jti)), "replayed jti")


def test_a_tampered_payload_is_refused(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    header, payload, signature = keys.token(aud).split(".")
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    refused(call(base, f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"), "signature does not verify")


def test_missing_claims_are_refused(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    refused(call(base, keys.token(aud, jti=None)), "'jti'")


def test_garbage_is_refused(service: tuple[str, str]) -> None:
    refused(call(service[0], "not.a.jwt"), "well-formed")


def test_an_allowed_jku_is_followed(service: tuple[str, str], other_keys: Keys, jwks_server: StubFhirServer) -> None:
    base, aud = service
    jku = f"{jwks_server.base}/jwks/allowed.json"
    token = other_keys.token(aud, iss="https://jku-ehr.example.test", headers={"jku": jku})
    assert call(base, token).status_code == 412


def test_a_jku_off_the_list_is_refused(service: tuple[str, str], other_keys: Keys, jwks_server: StubFhirServer) -> None:
    base, aud = service
    jku = f"{jwks_server.base}/jwks/elsewhere.json"
    token = other_keys.token(aud, iss="https://jku-ehr.example.test", headers={"jku": jku})
    refused(call(base, token), "jku")
    assert "/jwks/elsewhere.json" not in jwks_server.requests  # never fetched


def test_feedback_needs_a_token_too(service: tuple[str, str], keys: Keys) -> None:
    base, aud = service
    body = {
        "feedback": [
            {
                "card": str(uuid.uuid4()),
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
                "outcomeTimestamp": "2026-01-01T00:00:00Z",
            }
        ]
    }
    assert httpx.post(f"{base}/cds-services/{SERVICE}/feedback", json=body).status_code == 401
    ok = httpx.post(
        f"{base}/cds-services/{SERVICE}/feedback", json=body, headers={"Authorization": f"Bearer {keys.token(aud)}"}
    )
    assert ok.status_code == 200
    assert ok.json() == {"recorded": 1}


def test_discovery_is_public(service: tuple[str, str]) -> None:
    response = httpx.get(f"{service[0]}/cds-services")
    assert response.status_code == 200
    assert {s["id"] for s in response.json()["services"]} == {SERVICE, "hfs-pathway-order-select"}


def test_an_oversized_body_is_refused_before_authentication(service: tuple[str, str]) -> None:
    big = {"hook": "patient-view", "padding": "x" * (65 * 1024)}
    response = httpx.post(f"{service[0]}/cds-services/{SERVICE}", json=big)
    assert response.status_code == 413


def test_settings_refuse_to_run_without_issuers_unless_development_is_explicit() -> None:
    with pytest.raises(InvalidCdsConfig, match="no trusted issuers"):
        CdsSettings.from_mapping({})
    assert CdsSettings.from_mapping({"allow_unauthenticated": True}).allow_unauthenticated


def test_settings_refuse_symmetric_and_private_keys() -> None:
    from hfs_pathway.cds import create_app

    oct_key = {"keys": [{"kty": "oct", "k": _b64(b"secret"), "kid": "s"}]}
    with pytest.raises(InvalidCdsConfig, match="symmetric"):
        create_app(CdsSettings(issuers=({"iss": ISSUER, "jwks": oct_key},)))
    private = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(Keys().private))
    with pytest.raises(InvalidCdsConfig, match="private"):
        create_app(CdsSettings(issuers=({"iss": ISSUER, "jwks": {"keys": [private]}},)))


def test_settings_name_an_unknown_key() -> None:
    with pytest.raises(InvalidCdsConfig, match="unknown setting 'allow_unauthenticatd'"):
        CdsSettings.from_mapping({"allow_unauthenticatd": True})


def test_cors_answers_only_the_configured_origins(keys: Keys) -> None:
    port = free_port()
    settings = CdsSettings(
        public_url=f"http://127.0.0.1:{port}",
        issuers=({"iss": ISSUER, "jwks": keys.jwks},),
        cors_origins=("https://sandbox.cds-hooks.org",),
    )
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    with serve(settings, port) as base:
        url = f"{base}/cds-services/{SERVICE}"
        allowed = httpx.options(url, headers={"Origin": "https://sandbox.cds-hooks.org", **preflight})
        other = httpx.options(url, headers={"Origin": "https://evil.example.test", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    assert "access-control-allow-origin" not in other.headers


def test_without_cors_settings_no_origin_is_allowed(service: tuple[str, str]) -> None:
    response = httpx.get(f"{service[0]}/cds-services", headers={"Origin": "https://sandbox.cds-hooks.org"})
    assert "access-control-allow-origin" not in response.headers


def test_an_algorithm_that_does_not_fit_the_issuers_key_is_refused_not_a_server_error(
    service: tuple[str, str], keys: Keys
) -> None:
    """The header names ES384 while the issuer's key is a P-256 key: the library refuses the key for that
    algorithm; the service must answer 401, not fail."""
    from cryptography.hazmat.primitives.asymmetric import ec

    base, aud = service
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
    p384 = ec.generate_private_key(ec.SECP384R1())
    token = jwt.encode(claims, p384, algorithm="ES384", headers={"kid": keys.kid})
    refused(call(base, token), "signature does not verify")


def test_a_jku_key_set_is_read_within_the_time_and_size_limits(other_keys: Keys, jwks_server: StubFhirServer) -> None:
    """An allowed jku URL that answers too much, or too slowly, refuses the token (401) within the limit."""

    def drip(handler: Any) -> None:
        handler.send_response(200)
        handler.end_headers()
        try:
            for _ in range(300):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    padded = {"keys": other_keys.jwks["keys"], "padding": "x" * 8192}
    jwks_server.routes["/jwks/large.json"] = padded
    jwks_server.routes["/jwks/slow.json"] = drip
    large, slow = f"{jwks_server.base}/jwks/large.json", f"{jwks_server.base}/jwks/slow.json"
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    settings = CdsSettings(
        public_url=public,
        issuers=({"iss": "https://jku-ehr.example.test", "jku": (large, slow)},),
        fhir_timeout_seconds=1,
        fhir_max_response_bytes=4096,
    )
    with serve(settings, port) as base:
        aud = f"{public}/cds-services/{SERVICE}"
        for jku in (large, slow):
            token = other_keys.token(aud, iss="https://jku-ehr.example.test", headers={"jku": jku})
            response = httpx.post(
                f"{base}/cds-services/{SERVICE}",
                json=hook_call("patient-view"),
                headers={"Authorization": f"Bearer {token}"},
                timeout=8,
            )
            refused(response, "could not be fetched")


def test_an_oversized_body_sent_without_a_length_is_refused_too(service: tuple[str, str]) -> None:
    """Chunked transfer declares no length: the limit is applied as the body streams in, and the answer is
    still 413 (not a parse error)."""
    chunks = iter([b'{"hook": "patient-view", "padding": "', *([b"x" * 16384] * 5), b'"}'])
    response = httpx.post(
        f"{service[0]}/cds-services/{SERVICE}", content=chunks, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert "larger than" in response.json()["detail"]


def test_a_token_without_kid_is_refused(service: tuple[str, str], keys: Keys) -> None:
    """CDS Hooks requires the kid header: it names the issuer's key the token is signed with."""
    base, aud = service
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
    token = jwt.encode(claims, keys.private, algorithm="ES256")  # correctly signed, no kid
    refused(call(base, token), "kid")


def test_a_refusal_does_not_repeat_a_long_header_value(service: tuple[str, str]) -> None:
    """The refusal (answered and logged) quotes the header's alg, cut short: a caller cannot fill the logs."""
    header = _b64(json.dumps({"alg": "A" * 8000, "kid": "k"}).encode())
    refused(call(service[0], f"{header}.{_b64(b'{}')}.c2ln"), "is not accepted")
    assert len(call(service[0], f"{header}.{_b64(b'{}')}.c2ln").text) < 400


def test_a_jku_that_redirects_is_not_followed(other_keys: Keys, jwks_server: StubFhirServer) -> None:
    """The allow-list holds URLs, not whatever they redirect to."""

    def redirect(handler: Any) -> None:
        handler.send_response(302)
        handler.send_header("Location", f"{jwks_server.base}/jwks/elsewhere.json")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    jwks_server.routes["/jwks/moved.json"] = redirect
    moved = f"{jwks_server.base}/jwks/moved.json"
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    settings = CdsSettings(public_url=public, issuers=({"iss": "https://jku-ehr.example.test", "jku": (moved,)},))
    with serve(settings, port) as base:
        token = other_keys.token(
            f"{public}/cds-services/{SERVICE}", iss="https://jku-ehr.example.test", headers={"jku": moved}
        )
        refused(call(base, token), "could not be fetched")
    assert "/jwks/elsewhere.json" not in jwks_server.requests


@pytest.mark.parametrize(
    ("typ", "words"),
    [("at+jwt", "typ must be 'JWT'"), ("JWS", "typ must be 'JWT'"), (None, "no typ")],
)
def test_a_token_whose_typ_is_not_jwt_is_refused(
    service: tuple[str, str], keys: Keys, typ: str | None, words: str
) -> None:
    """CDS Hooks fixes the typ header to JWT (a required field): another type, or none, is refused,
    even when the token is correctly signed by a trusted issuer."""
    base, aud = service
    token = keys.token(aud, headers={"typ": typ})
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header.get("typ") == typ  # the token really carries that typ (or none)
    refused(call(base, token), words)
