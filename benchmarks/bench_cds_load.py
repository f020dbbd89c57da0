"""Load on the CDS Hooks service over loopback: N concurrent clients, a fixed number of requests.

Starts ``hfs-pathway serve`` in a subprocess with JWT authentication on (an EC key generated for the
run, one fresh signed token per request, so replay protection is exercised), then sends ``--requests``
``patient-view`` calls for a typical patient (a botulinum toxin responder, prefetch from the FHIR
mapping) from ``--clients`` concurrent clients, and reports latency percentiles and errors. The same
run measures GET /cds-services (no work beyond HTTP) under the same concurrency as the baseline.

    .venv/bin/python benchmarks/bench_cds_load.py                 # 16 clients, 4000 requests
    .venv/bin/python benchmarks/bench_cds_load.py --profile 500   # in-process profile of the request path

Target: p99 under 50 ms with 16 concurrent clients, zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "examples" / "typical_toxin_responder.json"
SERVICE = "hfs-pathway-patient-view"
ISSUER = "https://ehr.bench.test"


def typical_prefetch() -> tuple[str, dict[str, Any]]:
    """The typical patient's resources, grouped under the service's prefetch keys."""
    from hfs_pathway import Pathway, load_case
    from hfs_pathway.cds._sources import PREFETCH
    from hfs_pathway.fhir import export_evaluation

    case = load_case(CASE)
    evaluation = Pathway.replay(case).evaluate(case.events[-1].date + dt.timedelta(days=30))
    bundle = export_evaluation(evaluation, case)
    # As a FHIR server holds them: references by urn:uuid full URL become Type/id.
    local = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    text = json.dumps([e["resource"] for e in bundle["entry"]])
    for full_url, reference in local.items():
        text = text.replace(f'"{full_url}"', f'"{reference}"')
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in json.loads(text):
        by_type.setdefault(resource["resourceType"], []).append(resource)
    patient = by_type["Patient"][0]
    prefetch: dict[str, Any] = {"patient": patient}
    for template in PREFETCH[1:]:
        kind = template.query.split("?")[0]
        resources = by_type.get(kind, [])
        prefetch[template.key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(resources),
            "entry": [{"resource": r} for r in resources],
        }
    return str(patient["id"]), prefetch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Signer:
    def __init__(self) -> None:
        import jwt
        from cryptography.hazmat.primitives.asymmetric import ec

        self._jwt = jwt
        self.private = ec.generate_private_key(ec.SECP256R1())
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        self.jwks = {"keys": [{**public, "kid": "bench", "use": "sig", "alg": "ES256"}]}

    def token(self, aud: str) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": "bench", "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
        return str(self._jwt.encode(claims, self.private, algorithm="ES256", headers={"kid": "bench"}))


def start_server(port: int, signer: Signer, workdir: Path) -> subprocess.Popen[bytes]:
    (workdir / "keys.json").write_text(json.dumps(signer.jwks))
    (workdir / "cds.toml").write_text(
        f'public_url = "http://127.0.0.1:{port}"\n\n[[issuers]]\niss = "{ISSUER}"\njwks_file = "keys.json"\n'
    )
    exe = Path(sys.executable).parent / "hfs-pathway"
    cmd = [str(exe), "serve", "--port", str(port), "--config", str(workdir / "cds.toml"), "--log-level", "warning"]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/cds-services").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the service did not start")


async def run_load(
    url: str, *, method: str, bodies: list[bytes] | None, tokens: list[str] | None, clients: int
) -> tuple[list[float], int]:
    """Send the requests from ``clients`` keep-alive connections, each sending its next request as soon
    as the previous answer is in. A minimal HTTP/1.1 client on asyncio streams: an HTTP library's own
    cost (several times the server's per request) would otherwise be measured, on the same two cores."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    n = len(tokens) if tokens is not None else len(bodies or [])
    latencies: list[float] = []
    errors = 0
    next_index = 0

    def request(i: int) -> bytes:
        body = bodies[i] if bodies else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
        if tokens is not None:
            lines.append(f"Authorization: Bearer {tokens[i]}")
        if method == "POST":
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def worker() -> None:
        nonlocal next_index, errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < n:
                i = next_index
                next_index += 1
                data = request(i)
                start = time.perf_counter()
                writer.write(data)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line[15:])
                payload = await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                # A hook call must answer 200 with at least one card; discovery must answer 200.
                errors += status != 200 or (method == "POST" and not payload.startswith(b'{"cards":[{'))
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(label: str, latencies: list[float], errors: int, seconds: float) -> dict[str, float]:
    ms = [x * 1000 for x in latencies]
    row = {
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms),
        "mean": statistics.fmean(ms),
        "rps": len(ms) / seconds,
    }
    print(
        f"{label:<28} n={len(ms):>5}  p50 {row['p50']:6.2f} ms  p95 {row['p95']:6.2f} ms  p99 {row['p99']:6.2f} ms"
        f"  max {row['max']:6.2f} ms  {row['rps']:7.0f} req/s  errors {errors}"
    )
    return row


def profile(calls: int) -> None:
    """cProfile of the request path in one thread (the ASGI app called in-process, no sockets): token check,
    prefetch to case, evaluation, cards, JSON."""
    import cProfile
    import pstats

    import httpx

    from hfs_pathway.cds import CdsSettings, create_app

    signer = Signer()
    settings = CdsSettings(public_url="http://testserver", issuers=({"iss": ISSUER, "jwks": signer.jwks},))
    app = create_app(settings)
    patient_id, prefetch = typical_prefetch()
    context = {"userId": "Practitioner/1", "patientId": patient_id}
    body = json.dumps(
        {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": context, "prefetch": prefetch}
    )
    aud = settings.service_url(SERVICE)
    tokens = [signer.token(aud) for _ in range(calls + 20)]

    async def send(batch: list[str]) -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            start = time.perf_counter()
            for token in batch:
                response = await client.post(
                    f"/cds-services/{SERVICE}",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                assert response.status_code == 200, response.text
            return (time.perf_counter() - start) / len(batch)

    asyncio.run(send(tokens[:20]))
    profiler = cProfile.Profile()
    profiler.enable()
    per_call = asyncio.run(send(tokens[20:]))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    print(f"{per_call * 1000:.2f} ms per call under the profiler (including the in-process httpx client)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--profile", type=int, metavar="CALLS", help="profile the request path in-process instead")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
        return
    signer = Signer()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    aud = f"{base}/cds-services/{SERVICE}"
    patient_id, prefetch = typical_prefetch()
    context = {"userId": "Practitioner/1", "patientId": patient_id}
    total = args.warmup + args.requests
    bodies = [
        json.dumps(
            {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": context, "prefetch": prefetch}
        ).encode()
        for _ in range(total)
    ]
    tokens = [signer.token(aud) for _ in range(total)]
    print(f"prefetch: {sum(len(v.get('entry', [1])) for v in prefetch.values())} resources, {len(bodies[0])} bytes")
    print(
        f"machine: {os.cpu_count()} CPUs; server: 1 uvicorn process; client: 1 asyncio process, {args.clients} clients"
    )
    with tempfile.TemporaryDirectory() as tmp:
        process = start_server(port, signer, Path(tmp))
        try:
            asyncio.run(
                run_load(
                    aud, method="POST", bodies=bodies[: args.warmup], tokens=tokens[: args.warmup], clients=args.clients
                )
            )
            start = time.perf_counter()
            latencies, errors = asyncio.run(
                run_load(
                    aud, method="POST", bodies=bodies[args.warmup :], tokens=tokens[args.warmup :], clients=args.clients
                )
            )
            hook = report("patient-view (JWT + cards)", latencies, errors, time.perf_counter() - start)
            start = time.perf_counter()
            base_lat, base_err = asyncio.run(
                run_load(
                    f"{base}/cds-services",
                    method="GET",
                    bodies=[b""] * args.requests,
                    tokens=None,
                    clients=args.clients,
                )
            )
            floor = report("baseline GET /cds-services", base_lat, base_err, time.perf_counter() - start)
        finally:
            process.terminate()
            process.wait(10)
    print(
        f"ratio p99 hook / baseline: {hook['p99'] / floor['p99']:.2f}x; target p99 < 50 ms: "
        f"{'met' if hook['p99'] < 50 and errors == 0 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
