"""Harness for the CDS Hooks tests: a real uvicorn server on a free loopback port, a tiny FHIR/JWKS
stub server, and signed tokens from keys generated at test time (no key is ever stored)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# In CI the extras are required: a missing one fails the import instead of skipping.
if os.environ.get("CI") != "true":
    pytest.importorskip("fastapi")
if os.environ.get("CI") != "true":
    pytest.importorskip("jwt")
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hfs_pathway.cds import CdsSettings, create_app

ISSUER = "https://ehr.example.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Keys:
    """An EC P-256 signing key made for this test run, and its public JWK Set."""

    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "ES256"}]}
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def token(self, aud: str, *, iss: str = ISSUER, headers: Mapping[str, Any] | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": iss, "sub": "ehr-client", "aud": aud, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return str(jwt.encode(payload, self.private, algorithm="ES256", headers={"kid": self.kid, **(headers or {})}))


@contextmanager
def serve(settings: CdsSettings, port: int, app: Any = None) -> Iterator[str]:
    """Run the service with uvicorn in a thread on 127.0.0.1:port; yields its base URL."""
    app = app if app is not None else create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the CDS service did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class StubFhirServer:
    """A FHIR server on loopback serving fixed JSON by path (and query), requiring a bearer token."""

    def __init__(self, token: str = "fhir-access-token") -> None:
        self.token = token
        self.routes: dict[str, Any] = {}
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append(self.path)
                open_paths = self.path.startswith("/jwks")
                if not open_paths and self.headers.get("Authorization") != f"Bearer {stub.token}":
                    self._send(401, {"resourceType": "OperationOutcome"})
                    return
                body = stub.routes.get(self.path.removeprefix("/fhir/"))
                if body is None:
                    self._send(404, {"resourceType": "OperationOutcome"})
                elif callable(body):
                    body(self)  # a route that answers by itself (slowly, say)
                else:
                    self._send(200, body)

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 64  # the service reads all its queries at once; the default 5 drops some

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StubFhirServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


PREFETCH_TYPES = {
    "patient": "Patient",
    "conditions": "Condition",
    "observations": "Observation",
    "procedures": "Procedure",
    "medicationStatements": "MedicationStatement",
    "medicationAdministrations": "MedicationAdministration",
    "medicationRequests": "MedicationRequest",
    "diagnosticReports": "DiagnosticReport",
    "serviceRequests": "ServiceRequest",
    "imagingStudies": "ImagingStudy",
}


def fhir_resources(case: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The case as the FHIR mapping exports it, the resources grouped by type."""
    import datetime as dt

    from hfs_pathway import Pathway, load_case
    from hfs_pathway.fhir import export_evaluation

    typed = load_case(dict(case))
    last = typed.events[-1].date if typed.events else dt.date.today()
    evaluation = Pathway.replay(typed).evaluate(max(last, dt.date.today()))
    return as_server_resources(export_evaluation(evaluation, typed))


def as_server_resources(bundle: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A Bundle's resources as a FHIR server holds them, grouped by type: references by ``urn:uuid`` full
    URL become ``Type/id``, as a search of the server returns them."""
    local = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    text = json.dumps([e["resource"] for e in bundle["entry"]])
    for full_url, reference in local.items():
        text = text.replace(f'"{full_url}"', f'"{reference}"')
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in json.loads(text):
        by_type.setdefault(resource["resourceType"], []).append(resource)
    return by_type


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def prefetch_for(by_type: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Prefetch for every template of the services from resources grouped by type."""
    prefetch: dict[str, Any] = {"patient": by_type["Patient"][0]}
    for key, kind in PREFETCH_TYPES.items():
        if key != "patient":
            prefetch[key] = searchset(list(by_type.get(kind, [])))
    return prefetch


def hook_call(hook: str, patient_id: str = "p1", **fields: Any) -> dict[str, Any]:
    call: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/u1", "patientId": patient_id},
    }
    call.update(fields)
    return call


def check_cds_response(body: Any) -> list[dict[str, Any]]:
    """Assert the CDS Hooks 2.0 rules for a service response; return its cards."""
    assert isinstance(body, dict)
    assert isinstance(body["cards"], list)
    for card in body["cards"]:
        assert isinstance(card["summary"], str)
        assert 0 < len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert isinstance(card["source"]["label"], str)
        assert card["source"]["label"]
        uuid.UUID(card["uuid"])
        topic = card["source"].get("topic")
        if topic is not None:
            assert topic["code"]
            assert topic["system"]
        if card.get("suggestions"):
            assert card["selectionBehavior"] in ("at-most-one", "any")
            for suggestion in card["suggestions"]:
                assert suggestion["label"]
                uuid.UUID(suggestion["uuid"])
                for action in suggestion["actions"]:
                    assert action["type"] in ("create", "update", "delete")
                    assert action["description"]
        for reason in card.get("overrideReasons") or ():
            assert reason["code"]
            assert reason["display"]
        for link in card.get("links") or ():
            assert link["type"] in ("absolute", "smart")
            assert link["url"].startswith(("http://", "https://"))
    return list(body["cards"])


def test_check_cds_response_rejects_a_long_summary() -> None:
    card = {"uuid": str(uuid.uuid4()), "summary": "x" * 140, "indicator": "info", "source": {"label": "s"}}
    with pytest.raises(AssertionError):
        check_cds_response({"cards": [card]})


def test_stub_fhir_server_requires_its_token() -> None:
    import httpx

    with StubFhirServer() as stub:
        stub.routes["Patient/p1"] = {"resourceType": "Patient", "id": "p1"}
        assert httpx.get(f"{stub.base}/fhir/Patient/p1").status_code == 401
        ok = httpx.get(f"{stub.base}/fhir/Patient/p1", headers={"Authorization": f"Bearer {stub.token}"})
        assert ok.json()["id"] == "p1"
