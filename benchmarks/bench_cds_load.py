"""Load on the CDS Hooks service over loopback, driven by ``wrk`` (Debian package ``wrk``), not by our own client.

Starts ``hfs-pathway serve`` with JWT authentication on (an EC P-256 key generated for the run) and drives it with
``wrk`` from 16 keep-alive connections. Every ``patient-view`` call sends the documented example request
(``examples/cds/patient-view.json``, its full prefetch) with a fresh ES256 token: the tokens are signed before the
run, one per call, each with its own ``jti`` (a Lua script hands them out in turn), so replay protection does its
full work on every call. A call counts as an error unless it answers 200 with at least one card.

For each configuration the same server run is measured twice, for the same duration and connections:
``patient-view``, then ``GET /cds-services`` (discovery: HTTP and routing only) as the baseline, and the ratio of the
two is reported. Server CPU per call is the CPU time of the server's processes (all workers) during the measured
run, from /proc, divided by the calls answered.

    .venv/bin/python benchmarks/bench_cds_load.py                      # both configurations below, 20 s each
    .venv/bin/python benchmarks/bench_cds_load.py --config workers2     # one of: inprocess, workers2
    .venv/bin/python benchmarks/bench_cds_load.py --profile 500         # in-process cProfile of the request path

Configurations: ``inprocess`` (one worker, the in-process store) and ``workers2`` (``--workers 2`` with a Redis
store: a ``redis-server`` started for the run on a free loopback port, or ``--redis URL``). Feedback and the card
audit log go to a SQLite file in the run's temporary folder (``--database URL`` for another). ``--config inprocess``
writes only settings an older version of the service knows, so the same run can measure it for comparison.

Targets (docs/performance.md): server CPU per patient-view call at most 2.5 ms; with ``--workers 2`` and Redis,
p99 at most 50 ms at 16 connections and at least 400 calls/s; no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cds" / "patient-view.json"
SERVICE = "hfs-pathway-patient-view"
ISSUER = "https://ehr.bench.test"
CONNECTIONS = 16

TARGET_CPU_MS = 2.5
TARGET_P99_MS = 50.0
TARGET_CALLS_PER_SECOND = 400.0

LUA = r"""
-- Hands out one pre-signed token per call (args: path, tokens file, body file); counts answers without cards.
local tokens, body, path = {}, nil, nil
local next_token = 0
bad = 0
init = function(args)
  path = args[1]
  if args[2] ~= "-" then
    for line in io.lines(args[2]) do tokens[#tokens + 1] = line end
    local f = assert(io.open(args[3], "rb")); body = f:read("*a"); f:close()
  end
end
request = function()
  if body == nil then return wrk.format("GET", path) end
  next_token = next_token + 1
  local token = tokens[next_token] or "tokens-exhausted"
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. token,
                                  ["Content-Type"] = "application/json"}, body)
end
response = function(status, headers, answer)
  if status ~= 200 or (body ~= nil and string.sub(answer, 1, 11) ~= '{"cards":[{') then bad = bad + 1 end
end
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
done = function(summary, latency, requests)
  local wrong = 0
  for _, thread in ipairs(threads) do wrong = wrong + thread:get("bad") end
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"bad":%d,"socket_errors":%d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, wrong,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


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
        headers = {"kid": "bench", "typ": "JWT"}
        return str(self._jwt.encode(claims, self.private, algorithm="ES256", headers=headers))


def process_tree(pid: int) -> list[int]:
    found = [pid]
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            children = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += process_tree(int(child))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server), or pass --redis URL")
    port = free_port()
    cmd = [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(workdir)]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port).ping()
            return process, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.05)


def start_server(
    port: int, signer: Signer, workdir: Path, *, workers: int, store: str, database: str | None
) -> subprocess.Popen[bytes]:
    (workdir / "keys.json").write_text(json.dumps(signer.jwks))
    settings = f'public_url = "http://127.0.0.1:{port}"\n'
    # Written only when not the default, so that the same run can be made against an older version of the service.
    settings += f'store = "{store}"\n' if store != "memory" else ""
    settings += f'database = "{database}"\n' if database else ""
    (workdir / "cds.toml").write_text(settings + f'\n[[issuers]]\niss = "{ISSUER}"\njwks_file = "keys.json"\n')
    exe = Path(sys.executable).parent / "hfs-pathway"
    cmd = [str(exe), "serve", "--port", str(port), "--config", str(workdir / "cds.toml"), "--log-level", "warning"]
    cmd += ["--workers", str(workers)] if workers > 1 else []
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/cds-services").status_code == 200:
                time.sleep(1.0 if workers > 1 else 0.1)  # every worker up
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the service did not start")


def run_wrk(url: str, seconds: float, script: Path, args: list[str], pids: list[int]) -> dict[str, Any]:
    each_before = [cpu_seconds([pid]) for pid in pids]
    cmd = ["wrk", "-t", "1", "-c", str(CONNECTIONS), "-d", f"{seconds:g}s", "--timeout", "10s", "-s", str(script)]
    out = subprocess.run([*cmd, url, "--", *args], capture_output=True, text=True, check=True).stdout
    each = [cpu_seconds([pid]) - before for pid, before in zip(pids, each_before, strict=True)]
    cpu = sum(each)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    requests = max(1, int(data["requests"]))
    return {
        "calls": requests,
        "calls_per_s": requests / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p90_ms": data["p90_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "errors": data["bad"] + data["socket_errors"],
        "cpu_ms_per_call": cpu * 1000 / requests,
        # How the work was shared between the server's processes (a supervisor's share is about 0).
        "cpu_share": [round(x / cpu, 2) if cpu else 0.0 for x in each],
    }


def measure(name: str, *, workers: int, seconds: float, redis_url: str | None, database: str | None) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    signer = Signer()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hook_url = f"{base}/cds-services/{SERVICE}"
    redis_process = None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        store = "memory"
        if workers > 1:
            if redis_url is None:
                redis_process, redis_url = start_redis(workdir)
            store = redis_url
        script = workdir / "calls.lua"
        script.write_text(LUA)
        (workdir / "body.json").write_bytes(EXAMPLE.read_bytes())
        # Enough tokens for the warm-up and for 2,000 calls/s over the run: none is ever used twice.
        for part, count in (("warmup", 6000), ("run", int(2000 * seconds) + 1000)):
            (workdir / f"{part}.tokens").write_text("\n".join(signer.token(hook_url) for _ in range(count)) + "\n")
        server = start_server(
            port,
            signer,
            workdir,
            workers=workers,
            store=store,
            database=database,  # default: a SQLite file beside the configuration, in the temporary folder
        )
        try:
            pids = process_tree(server.pid)
            path = f"/cds-services/{SERVICE}"
            run_wrk(base, 3, script, [path, str(workdir / "warmup.tokens"), str(workdir / "body.json")], pids)
            run_wrk(base, 2, script, ["/cds-services", "-", "-"], pids)
            hook = run_wrk(base, seconds, script, [path, str(workdir / "run.tokens"), str(workdir / "body.json")], pids)
            floor = run_wrk(base, seconds, script, ["/cds-services", "-", "-"], pids)
        finally:
            server.terminate()
            server.wait(30)
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(10)
    return {
        "name": name,
        "workers": workers,
        "store": "Redis" if workers > 1 else "in-process",
        "hook": hook,
        "baseline": floor,
    }


def report(result: dict[str, Any]) -> None:
    hook, floor = result["hook"], result["baseline"]
    print(
        f"\n{result['name']}: {result['workers']} worker(s), {result['store']} store, {CONNECTIONS} connections (wrk)"
    )
    for label, row in (("patient-view", hook), ("GET /cds-services", floor)):
        print(
            f"  {label:<18} {row['calls_per_s']:7.0f} calls/s  p50 {row['p50_ms']:6.2f} ms  p90 {row['p90_ms']:6.2f} ms"
            f"  p99 {row['p99_ms']:6.2f} ms  max {row['max_ms']:7.2f} ms"
            f"  server CPU {row['cpu_ms_per_call']:5.2f} ms/call"
            f"  errors {row['errors']}  ({row['calls']} calls)"
        )
    print(
        f"  ratio patient-view / baseline: calls/s {hook['calls_per_s'] / floor['calls_per_s']:.2f}, "
        f"p99 {hook['p99_ms'] / floor['p99_ms']:.2f}x, "
        f"server CPU {hook['cpu_ms_per_call'] / floor['cpu_ms_per_call']:.2f}x"
    )
    print(f"  patient-view CPU share of the server's processes: {hook['cpu_share']}")
    checks = [f"CPU {hook['cpu_ms_per_call']:.2f} <= {TARGET_CPU_MS} ms: {hook['cpu_ms_per_call'] <= TARGET_CPU_MS}"]
    if result["workers"] > 1:
        checks.append(f"p99 {hook['p99_ms']:.1f} <= {TARGET_P99_MS} ms: {hook['p99_ms'] <= TARGET_P99_MS}")
        checks.append(
            f"{hook['calls_per_s']:.0f} >= {TARGET_CALLS_PER_SECOND} calls/s: "
            f"{hook['calls_per_s'] >= TARGET_CALLS_PER_SECOND}"
        )
    checks.append(f"errors 0: {hook['errors'] == 0}")
    print("  targets: " + "; ".join(checks))


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
    body = EXAMPLE.read_bytes()
    aud = settings.service_url(SERVICE)
    tokens = [signer.token(aud) for _ in range(calls + 20)]

    async def send(batch: list[str]) -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            start = time.process_time()
            for token in batch:
                response = await client.post(
                    f"/cds-services/{SERVICE}",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                assert response.status_code == 200, response.text
            return (time.process_time() - start) / len(batch)

    asyncio.run(send(tokens[:20]))
    profiler = cProfile.Profile()
    profiler.enable()
    per_call = asyncio.run(send(tokens[20:]))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    print(f"{per_call * 1000:.2f} ms CPU per call under the profiler (including the in-process httpx client)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", choices=("inprocess", "workers2", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each measured run (default 20)")
    parser.add_argument("--redis", help="a Redis URL for the workers2 configuration (default: start redis-server)")
    parser.add_argument("--database", help="a SQLAlchemy URL for feedback and the audit log (default: SQLite file)")
    parser.add_argument("--profile", type=int, metavar="CALLS", help="profile the request path in-process instead")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
        return
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before the run")
    print(f"request: {EXAMPLE.relative_to(ROOT)} ({EXAMPLE.stat().st_size} bytes), a fresh ES256 token per call")
    results = []
    if args.config in ("inprocess", "both"):
        results.append(measure("inprocess", workers=1, seconds=args.seconds, redis_url=None, database=args.database))
        report(results[-1])
    if args.config in ("workers2", "both"):
        results.append(
            measure("workers2", workers=2, seconds=args.seconds, redis_url=args.redis, database=args.database)
        )
        report(results[-1])
    load = os.getloadavg()
    print(f"\nload average after the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"load_after": load, "results": results}, indent=2))


if __name__ == "__main__":
    main()
