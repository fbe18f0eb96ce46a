"""Engines and sessions. Nothing here runs at import: callers build what they need."""

from __future__ import annotations

import hashlib
import sqlite3
import time
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
# A PostgreSQL connection that waited in the pool longer than this is pinged before use (a
# server restart or an idle timeout may have closed it); one in steady use is not.
PING_AFTER_IDLE_SECONDS = 1.0
# The key of the PostgreSQL advisory lock that serialises start-up work (the migration, the
# first admin, the bootstrap admin, the clinic row) across processes: "planner1" as an int64.
STARTUP_LOCK_KEY = int.from_bytes(b"planner1", "big")
# Namespaces of the keyed advisory locks (``hold_keyed_lock``). Their two-int keys live apart
# from the start-up lock's bigint key: PostgreSQL's two kinds of key never overlap.
LOGIN_ADDRESS_LOCK = 1
# The execution option that marks a connection of a read-only unit of work (``reading_engine``).
READ_ONLY = "planner_read_only"
_reading_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``. SQLite writes are serialised (BEGIN IMMEDIATE, WAL, FULL sync)."""
    kwargs.setdefault("hide_parameters", True)  # SQL values (patients' names) stay out of logs
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _serialise_sqlite_writes(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    _ping_after_idle(engine)
    return engine


def reading_engine(engine: Engine) -> Engine:
    """``engine`` for transactions that only read: they take no write lock and wait for none.

    SQLite: a deferred ``BEGIN`` instead of ``BEGIN IMMEDIATE``; WAL gives the transaction a
    snapshot at its first read, so it neither waits for a writer nor sees half a booking.
    PostgreSQL: a pool of its own whose connections run each statement on its own, read only
    (``default_transaction_read_only``), so a ``FOR UPDATE`` slipped into a read-only use case
    fails instead of queueing behind bookings. Under READ COMMITTED every statement of a
    transaction took a snapshot of its own anyway, so this sees what a ``BEGIN READ ONLY``
    transaction saw, without its two round trips (``BEGIN``, ``ROLLBACK``): a slot search
    is a few statements, and a round trip costs about as much as one of them.
    One per engine; disposed with it.
    """
    found = _reading_engines.get(engine)
    if found is None:
        if engine.dialect.name == "postgresql":
            found = _postgres_reading_engine(engine)
        else:
            found = engine.execution_options(**{READ_ONLY: True})
        _reading_engines[engine] = found
    return found


def _postgres_reading_engine(engine: Engine) -> Engine:
    reading = create_engine(
        engine.url,
        hide_parameters=True,
        isolation_level="AUTOCOMMIT",
        pool_size=10,
        max_overflow=10,
        connect_args={"options": "-c default_transaction_read_only=on"},
        execution_options={READ_ONLY: True},
    )
    _ping_after_idle(reading)
    event.listen(engine, "engine_disposed", lambda _engine: reading.dispose())
    return reading


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only if it sat idle (``PING_AFTER_IDLE_SECONDS``).

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip per request. A
    connection returned a moment ago was working a moment ago; one that waited may have been
    closed by a server restart, and the pool then replaces it (``DisconnectionError``).
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as failure:
            raise exc.DisconnectionError("a pooled connection was closed") from failure


def _serialise_sqlite_writes(engine: Engine) -> None:
    """Every writing transaction takes SQLite's write lock up front, so checks and writes are
    atomic; reading ones (``reading_engine``) begin deferred and read a WAL snapshot.

    pysqlite's own BEGIN handling is turned off (isolation_level = None) and SQLAlchemy's
    begin emits ``BEGIN IMMEDIATE`` (or ``BEGIN``); a second writer waits up to the busy
    timeout, a reader never waits.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _use_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while the database is locked, up to the busy
    timeout. While another process turns a new file to WAL, SQLite answers "database is
    locked" at once instead of waiting (its busy handler is not called for that step), so
    servers started together on a new file failed now and then (tests/test_sqlite_wal.py)."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as refusal:
            if "locked" not in str(refusal) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def hold_startup_lock(connection: Connection) -> None:
    """Until this transaction ends, no other process does start-up work on the same database.

    Several ``planner serve`` started at once each migrate and create the first rows; without
    this the second one fails on a unique key. PostgreSQL: a transaction-level advisory lock,
    released at commit or rollback, so a waiting process reads what the first one committed.
    SQLite: every transaction already began with ``BEGIN IMMEDIATE`` (see above), which holds
    the database's single write lock from the first statement to the end, so nothing to add.
    """
    if not connection.in_transaction():
        raise RuntimeError("the start-up lock is held for a transaction; begin one first")
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STARTUP_LOCK_KEY})


def hold_keyed_lock(connection: Connection, namespace: int, name: str) -> None:
    """Until this transaction ends, no other transaction (of any process) holds ``name``'s lock.

    PostgreSQL: a transaction-level advisory lock on (namespace, a 32-bit hash of ``name``),
    released at commit or rollback; a waiting transaction's next statement sees what the
    holder committed (READ COMMITTED). Two names may share a hash: they then only wait for
    each other. SQLite: ``BEGIN IMMEDIATE`` already serialises every transaction.
    """
    if not connection.in_transaction():
        raise RuntimeError("a keyed lock is held for a transaction; begin one first")
    if connection.dialect.name == "postgresql":
        digest = hashlib.blake2b(name.encode(), digest_size=4).digest()
        key = int.from_bytes(digest, "big", signed=True)
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": namespace, "key": key},
        )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def sqlite_url_for(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"
