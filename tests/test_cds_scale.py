"""Several workers on one shared store (Redis) and one database (PostgreSQL or SQLite), against the real servers.

``.ci/run`` starts redis-server and PostgreSQL on loopback and names them in ``HFS_PATHWAY_TEST_REDIS`` and
``HFS_PATHWAY_TEST_POSTGRES``. Outside CI, a server that cannot be reached skips its tests with the reason; in
CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# In CI the extras are required: a missing one fails the import instead of skipping.
if os.environ.get("CI") != "true":
    pytest.importorskip("fastapi")
    pytest.importorskip("redis")
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("fhir.resources")
import httpx
import sqlalchemy as sa

from hfs_pathway.cds import CdsSettings, InvalidCdsConfig, create_app
from hfs_pathway.cds._records import AUDIT_BATCH_SECONDS, MIGRATIONS, Records, metadata, migrate
from tests.builder import CaseBuilder
from tests.test_cds_harness import ISSUER, Keys, fhir_resources, free_port, hook_call, prefetch_for, serve

PATIENT_VIEW = "hfs-pathway-patient-view"
TODAY = dt.datetime.now(dt.UTC).date()
REDIS = os.environ.get("HFS_PATHWAY_TEST_REDIS", "redis://127.0.0.1:6391/0")
POSTGRES = os.environ.get("HFS_PATHWAY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5441/hfs_pathway_test")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI: .ci/run starts it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        _unavailable(f"no Redis server at {REDIS} ({type(exc).__name__}); .ci/services.sh starts one")
    return REDIS


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """A database of this test run's own on the PostgreSQL server (runs on one machine do not share tables)."""
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    name = f"hfs_pathway_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _unavailable(f"no PostgreSQL server at {POSTGRES} ({type(exc).__name__}); .ci/services.sh starts one")
    url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    engine = sa.create_engine(postgres_database.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        metadata.drop_all(connection)  # each test starts from an empty database
    engine.dispose()
    return postgres_database


@pytest.fixture(scope="module")
def record() -> tuple[str, dict[str, Any]]:
    story = CaseBuilder("p-scale").on(TODAY - dt.timedelta(days=200)).presentation()
    story = story.after(14).mri().after(7).decide("botulinum_toxin").inject().after(60).respond(peak=70, benefit=55)
    by_type = fhir_resources(story.after(10).inject().case())
    return by_type["Patient"][0]["id"], prefetch_for(by_type)


def _settings(public: str, keys: Keys, **extra: Any) -> CdsSettings:
    return CdsSettings(public_url=public, issuers=({"iss": ISSUER, "jwks": keys.jwks},), **extra)


def _call(base: str, token: str, body: dict[str, Any], suffix: str = "") -> httpx.Response:
    return httpx.post(
        f"{base}/cds-services/{PATIENT_VIEW}{suffix}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
    )


def test_a_token_used_on_one_worker_is_refused_by_another_and_after_a_restart(
    redis_url: str, record: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    pid, prefetch = record
    keys = Keys()
    public = "http://cds.example.test"  # both workers stand behind one public URL
    aud = f"{public}/cds-services/{PATIENT_VIEW}"
    token = keys.token(aud, exp=int(time.time()) + 60)
    settings = _settings(public, keys, store=redis_url, database=f"sqlite:///{tmp_path}/cds.sqlite3")
    body = hook_call("patient-view", pid, prefetch=prefetch)
    with serve(settings, free_port()) as first, serve(settings, free_port()) as second:
        assert _call(first, token, body).status_code == 200
        replay = _call(second, token, body)
        assert replay.status_code == 401
        assert "already used" in replay.json()["detail"]
    # A restarted service (new processes' state, same store) still remembers the token.
    with serve(settings, free_port()) as restarted:
        assert _call(restarted, token, body).status_code == 401


def test_the_in_process_store_forgets_on_restart_which_is_why_workers_need_redis(
    record: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    pid, prefetch = record
    keys = Keys()
    public = "http://cds.example.test"
    token = keys.token(f"{public}/cds-services/{PATIENT_VIEW}")
    settings = _settings(public, keys, database=f"sqlite:///{tmp_path}/cds.sqlite3")
    body = hook_call("patient-view", pid, prefetch=prefetch)
    with serve(settings, free_port()) as first:
        assert _call(first, token, body).status_code == 200
        assert _call(first, token, body).status_code == 401
    with serve(settings, free_port()) as restarted:
        assert _call(restarted, token, body).status_code == 200


def test_diagram_links_and_issued_cards_work_from_any_worker(
    redis_url: str, record: tuple[str, dict[str, Any]], postgres_url: str
) -> None:
    pid, prefetch = record
    keys = Keys()
    public = "http://cds.example.test"
    aud = f"{public}/cds-services/{PATIENT_VIEW}"
    settings = _settings(public, keys, store=redis_url, database=postgres_url)
    first_app, second_app = create_app(settings), create_app(settings)
    with serve(settings, free_port(), first_app) as first, serve(settings, free_port(), second_app) as second:
        response = _call(first, keys.token(aud), hook_call("patient-view", pid, prefetch=prefetch))
        assert response.status_code == 200, response.text
        cards = response.json()["cards"]
        link = next(k["url"] for c in cards for k in c.get("links", []) if "/diagrams/" in k["url"])
        diagram = httpx.get(link.replace(public, second), timeout=20)
        assert diagram.status_code == 200, diagram.text
        assert pid not in diagram.text
        warning = next(c for c in cards if c["indicator"] == "warning")
        entry = {
            "card": warning["uuid"],
            "outcome": "overridden",
            "overrideReason": {"reason": warning["overrideReasons"][0]},
            "outcomeTimestamp": "2026-01-01T10:00:00Z",
        }
        receipt = _call(second, keys.token(aud), {"feedback": [entry]}, suffix="/feedback")
        assert receipt.json() == {"recorded": 1}
    # Both workers write the one PostgreSQL database: the feedback knows the card's kind, the audit has every card.
    records = Records(postgres_url)
    try:
        [row] = records.feedback_rows()
        assert row["topic"] == warning["source"]["topic"]["code"]
        audit = records.audit_rows()
        assert {r["card"] for r in audit} == {c["uuid"] for c in cards}
        assert all(pid not in repr(r) for r in audit)
    finally:
        records.close()
        first_app.state.records.close()
        second_app.state.records.close()


def test_the_postgresql_schema_is_migrated_once_and_kept_across_restarts(postgres_url: str) -> None:
    records = Records(postgres_url)
    assert records.version == MIGRATIONS[-1][0]
    card = {
        "uuid": str(uuid.uuid4()),
        "indicator": "info",
        "source": {"topic": {"system": "https://example.test/stage", "code": "botulinum_toxin"}},
    }
    records.served(PATIENT_VIEW, [card])
    records.close()  # a restart: pending audit rows are written before the service stops
    again = Records(postgres_url)
    try:
        assert migrate(again.engine) == MIGRATIONS[-1][0]  # nothing left to do, nothing redone
        with again.engine.connect() as connection:
            versions = connection.execute(sa.text("SELECT version FROM hfs_schema_version")).scalars().all()
        assert versions == [m[0] for m in MIGRATIONS]
        [row] = again.audit_rows()
        assert (row["card"], row["topic"], row["indicator"]) == (card["uuid"], "botulinum_toxin", "info")
    finally:
        again.close()


def test_settings_from_a_file_record_to_sqlite_beside_it_by_default(tmp_path: Path) -> None:
    config = tmp_path / "cds.toml"
    config.write_text("allow_unauthenticated = true\n")
    settings = CdsSettings.load(config)
    assert settings.database == f"sqlite:///{tmp_path.resolve()}/hfs-pathway-cds.sqlite3"
    app = create_app(settings)
    app.state.records.close()
    assert (tmp_path / "hfs-pathway-cds.sqlite3").exists()


def test_several_workers_without_a_shared_store_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hfs_pathway.cli import main

    config = tmp_path / "cds.toml"
    config.write_text(f'allow_unauthenticated = true\ndatabase = "sqlite:///{tmp_path}/cds.sqlite3"\n')
    assert main(["serve", "--config", str(config), "--workers", "2", "--port", "1"]) == 2
    assert "shared store" in capsys.readouterr().err


def test_a_bad_store_setting_is_named() -> None:
    with pytest.raises(InvalidCdsConfig, match="store"):
        CdsSettings.from_mapping({"allow_unauthenticated": True, "store": "memcached://x"})


def _children(pid: int) -> list[int]:
    """The live worker processes of ``hfs-pathway serve`` (multiprocessing's helper process left out)."""
    found = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        for child in Path(f"/proc/{pid}/task/{tid}/children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if b"resource_tracker" not in command and state != "Z":
                found.append(int(child))
    return found


def test_serve_with_two_workers_on_redis_refuses_replays_and_serves_links_from_either(
    redis_url: str, postgres_url: str, record: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    """The real command: `hfs-pathway serve --workers 2` with Redis and PostgreSQL. Every call opens a new
    connection, so the calls are spread over both workers."""
    pid, prefetch = record
    keys = Keys()
    (tmp_path / "keys.json").write_text(__import__("json").dumps(keys.jwks))
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    config = tmp_path / "cds.toml"
    config.write_text(
        f'public_url = "{public}"\nstore = "{redis_url}"\ndatabase = "{postgres_url}"\n\n'
        f'[[issuers]]\niss = "{ISSUER}"\njwks_file = "keys.json"\n'
    )
    exe = Path(sys.executable).parent / "hfs-pathway"
    process = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--config", str(config), "--workers", "2", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    aud = f"{public}/cds-services/{PATIENT_VIEW}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{public}/cds-services")
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        token = keys.token(aud)
        body = hook_call("patient-view", pid, prefetch=prefetch)
        first = _call(public, token, body)
        assert first.status_code == 200, first.text
        assert [_call(public, token, body).status_code for _ in range(8)] == [401] * 8
        links = []
        for _ in range(6):
            cards = _call(public, keys.token(aud), body).json()["cards"]
            links.append(next(k["url"] for c in cards for k in c.get("links", []) if "/diagrams/" in k["url"]))
        assert [httpx.get(link, timeout=20).status_code for link in links * 2] == [200] * 12
        # A worker that dies is replaced, and the service keeps answering meanwhile. (Killed outright, a worker
        # loses the audit rows of at most its last batch: wait for it to be written first.)
        time.sleep(AUDIT_BATCH_SECONDS * 3)
        workers = _children(process.pid)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        # A request already handed to the worker as it dies is lost with it (the client sees its connection
        # reset); a request sent once it is gone is answered by the other worker.
        deadline = time.monotonic() + 10
        while workers[0] in _children(process.pid):
            assert time.monotonic() < deadline, "the killed worker did not die"
            time.sleep(0.02)
        assert _call(public, keys.token(aud), body).status_code == 200
        deadline = time.monotonic() + 30
        while len(replaced := _children(process.pid)) != 2 or workers[0] in replaced:
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.2)
        assert [_call(public, keys.token(aud), body).status_code for _ in range(4)] == [200] * 4
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert pid not in out
    records = Records(postgres_url)
    try:
        assert len({r["card"] for r in records.audit_rows()}) >= 7 * 2  # every card of the 7 answered calls
    finally:
        records.close()
