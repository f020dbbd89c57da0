"""What the service records for good: clinicians' feedback, and an audit log of every card it served.

Both go to one SQL database through SQLAlchemy Core: SQLite by default, PostgreSQL when ``database`` names
one (``postgresql://...``, with the psycopg driver). One schema for both, created and upgraded by the
numbered :data:`MIGRATIONS` when the service starts (the version is kept in ``hfs_schema_version``).

Nothing of the patient is recorded: a feedback row holds the card's kind (topic), the outcome, the override
reason's coding, whether a comment was given (never the comment) and the timestamps; an audit row holds the
service, the card's uuid, kind and indicator, and when it was served. Audit rows are written in batches by
a background thread within :data:`AUDIT_BATCH_SECONDS` (the call does not wait for the disk), and the pending
ones when the service stops (SIGTERM, or the end of ``serve``). A worker killed outright (SIGKILL, a crash) loses
the rows of at most its last batch: committing each call's rows before answering measured about 0.5 ms more
server CPU per call (a thread hand-off and a commit per call), a third of the whole call.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

log = logging.getLogger("hfs_pathway.cds")

FIELD_LIMITS = {"service": 64, "card": 36, "topic": 64, "system": 512, "code": 128, "indicator": 16, "outcome": 16}
"""The longest value kept in each recorded text field (feedback longer than these is refused, not cut)."""

AUDIT_BATCH_SECONDS = 0.2
"""How long the audit writer gathers served cards into one insert."""

metadata = sa.MetaData()

schema_version = sa.Table(
    "hfs_schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
)

feedback = sa.Table(
    "cds_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("service", sa.String(FIELD_LIMITS["service"]), nullable=False),
    sa.Column("card", sa.String(FIELD_LIMITS["card"]), nullable=False),
    sa.Column("topic", sa.String(FIELD_LIMITS["topic"])),
    sa.Column("outcome", sa.String(FIELD_LIMITS["outcome"]), nullable=False),
    sa.Column("accepted_suggestions", sa.Integer, nullable=False),
    sa.Column("override_system", sa.String(FIELD_LIMITS["system"])),
    sa.Column("override_code", sa.String(FIELD_LIMITS["code"])),
    sa.Column("comment_given", sa.Boolean, nullable=False),
    sa.Column("outcome_timestamp", sa.DateTime(timezone=True), nullable=False),
)

card_audit = sa.Table(
    "cds_card_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("service", sa.String(FIELD_LIMITS["service"]), nullable=False),
    sa.Column("card", sa.String(FIELD_LIMITS["card"]), nullable=False),
    sa.Column("topic_system", sa.String(FIELD_LIMITS["system"]), nullable=False),
    sa.Column("topic", sa.String(FIELD_LIMITS["topic"]), nullable=False),
    sa.Column("indicator", sa.String(FIELD_LIMITS["indicator"]), nullable=False),
)
sa.Index("ix_cds_card_audit_served_at", card_audit.c.served_at)
sa.Index("ix_cds_feedback_received_at", feedback.c.received_at)


def _create_tables(connection: sa.Connection) -> None:
    feedback.create(connection)  # with its indexes
    card_audit.create(connection)


MIGRATIONS: tuple[tuple[int, str, Callable[[sa.Connection], None]], ...] = (
    (1, "feedback and card audit tables", _create_tables),
)
"""The schema's history, oldest first: (version, description, step). A new version is a new entry."""


def migrate(engine: sa.Engine) -> int:
    """Bring the database's schema up to the newest version; the version it is at afterwards."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Several workers may start at once: one migrates, the others wait and then find nothing to do.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(7412001)"))
        schema_version.create(connection, checkfirst=True)
        current = connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
        for version, description, step in MIGRATIONS:
            if version > current:
                step(connection)
                connection.execute(
                    schema_version.insert().values(
                        version=version, applied_at=dt.datetime.now(dt.UTC), description=description
                    )
                )
                current = version
    return int(current)


def _engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        from sqlalchemy.pool import StaticPool

        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
        )
        if not memory:

            @sa.event.listens_for(engine, "connect")
            def _wal(dbapi_connection: Any, _record: Any) -> None:
                # Several workers write the same file: WAL lets readers and one writer work at once.
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits.
                dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)


class Records:
    """The service's database: feedback written as it comes, served cards written in batches."""

    def __init__(self, url: str, *, batch_seconds: float = AUDIT_BATCH_SECONDS) -> None:
        self.engine = _engine(url)
        self.version = migrate(self.engine)
        self._pending: queue.SimpleQueue[list[dict[str, Any]] | None] = queue.SimpleQueue()
        self._batch_seconds = batch_seconds
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()

    # Feedback ---------------------------------------------------------------------------------------------

    def record_feedback(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store feedback rows (all or none)."""
        if rows:
            with self.engine.begin() as connection:
                connection.execute(feedback.insert(), list(rows))

    def feedback_rows(self) -> list[dict[str, Any]]:
        """Every feedback row, oldest first."""
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(sa.select(feedback).order_by(feedback.c.id))]

    # Audit ------------------------------------------------------------------------------------------------

    def served(self, service_id: str, cards: Sequence[dict[str, Any]]) -> None:
        """Note cards served (written shortly after, by the writer thread)."""
        if not cards:
            return
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "served_at": now,
                "service": service_id,
                "card": card["uuid"],
                "topic_system": card["source"]["topic"]["system"],
                "topic": card["source"]["topic"]["code"],
                "indicator": card["indicator"],
            }
            for card in cards
        ]
        self._pending.put(rows)
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = threading.Thread(target=self._write_batches, name="cds-audit", daemon=True)
                    self._writer.start()

    def _write_batches(self) -> None:
        stop = False
        while not stop:
            first = self._pending.get()
            batch: list[dict[str, Any]] = []
            if first is None:
                stop = True
            else:
                batch.extend(first)
                time.sleep(self._batch_seconds)  # gather what comes in meanwhile into one insert
            while True:
                try:
                    more = self._pending.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                else:
                    batch.extend(more)
            self._insert(batch)

    def _insert(self, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(card_audit.insert(), batch)
        except sa.exc.SQLAlchemyError as exc:
            log.error("the card audit log could not be written (%d rows): %s", len(batch), type(exc).__name__)

    def flush(self) -> None:
        """Write every pending audit row now (and stop the writer; a later card starts it again)."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._pending.put(None)
            writer.join(30)
        pending: list[dict[str, Any]] = []
        while True:
            try:
                more = self._pending.get_nowait()
            except queue.Empty:
                break
            if more is not None:
                pending.extend(more)
        self._insert(pending)

    def audit_rows(self) -> list[dict[str, Any]]:
        """Every audit row, oldest first (pending rows are written first)."""
        self.flush()
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(sa.select(card_audit).order_by(card_audit.c.id))]

    def close(self) -> None:
        self.flush()
        self.engine.dispose()
