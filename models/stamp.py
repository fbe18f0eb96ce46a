"""The data stamp: a short text that changes whenever any transaction commits, in any process.

Two equal stamps read at two moments mean that nothing was committed in between. So an answer
computed from the database after a stamp was read still holds for as long as the stamp reads
the same (``api/answers.py`` keeps read answers that way).

- SQLite: ``PRAGMA data_version`` on a connection of the stamp's own that never writes: it
  changes when any other connection, of this process or another, commits. A few microseconds.
- PostgreSQL: ``pg_current_snapshot()`` on a connection of the stamp's own. The snapshot's
  ``xmax`` (one past the newest finished transaction) grows when a transaction that was not
  in its running list ends, and the running list only shrinks while ``xmax`` stays, so every
  commit changes the text and no text comes back. Transactions of other databases of the
  server change it too: that costs a recomputation, never a wrong answer. The query is a
  round trip, so it is awaited (the event loop serves others meanwhile), and the requests that
  ask while one read is on its way share the next one: a read that *began* after a request
  asked is as good for it as its own (``SharedReads``).

A stamp that cannot be read (the server restarting) reads ``None``: nothing is kept or served
then, and the connection is opened again at the next read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import URL, Engine

log = logging.getLogger("planner.db")
STAMP_TIMEOUT_SECONDS = 2
T = TypeVar("T")


class DataStamp:
    """``await read()``: the database's stamp now, or ``None`` if it cannot be read."""

    def __init__(self, engine: Engine) -> None:
        self._reader: _SqliteStamp | _PostgresStamp | None
        database = engine.url.database
        if engine.dialect.name == "postgresql":
            self._reader = _PostgresStamp(engine.url)
        elif database and database != ":memory:":
            self._reader = _SqliteStamp(database)
        else:  # an in-memory SQLite database is one connection's own: nothing to watch
            self._reader = None

    async def read(self) -> str | None:
        return None if self._reader is None else await self._reader.read()

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()


def _unreadable(failure: BaseException) -> None:
    log.warning("data stamp unreadable: %s", failure.__class__.__name__)


class _SqliteStamp:
    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    async def read(self) -> str | None:
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = sqlite3.connect(
                        self._path,
                        isolation_level=None,
                        check_same_thread=False,
                        timeout=STAMP_TIMEOUT_SECONDS,
                    )
                    self._connection.execute("PRAGMA query_only=ON")
                row = self._connection.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error as failure:
                _unreadable(failure)
                self._close()
                return None
            return None if row is None else str(row[0])

    async def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(sqlite3.Error):
                connection.close()


class _PostgresStamp:
    def __init__(self, url: URL) -> None:
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shared: SharedReads[str | None] | None = None

    async def read(self) -> str | None:
        loop = asyncio.get_running_loop()
        if self._shared is None or self._loop is not loop:
            # a connection serves the event loop it was opened on (tests start new loops)
            self._loop, self._connection = loop, None
            self._shared = SharedReads(self._query)
        return await self._shared.read()

    async def _query(self) -> str | None:
        import psycopg

        try:
            if self._connection is None:
                self._connection = await psycopg.AsyncConnection.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=STAMP_TIMEOUT_SECONDS,
                    options=f"-c statement_timeout={STAMP_TIMEOUT_SECONDS * 1000}",
                )
            cursor = await self._connection.execute("SELECT pg_current_snapshot()::text")
            row = await cursor.fetchone()
        except psycopg.Error as failure:
            _unreadable(failure)
            await self._close()
            return None
        return None if row is None else str(row[0])

    async def close(self) -> None:
        if self._loop is asyncio.get_running_loop():
            await self._close()
        self._connection = None

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken connection: nothing to keep
                await connection.close()


class SharedReads(Generic[T]):
    """Callers of ``read`` while one read is on its way wait for the next one and share it.

    A read that began before a caller asked may miss a commit the caller already saw (its
    own booking, say), so it is not theirs; the next one begins after all of them asked.
    At most one read is on its way, so a burst of requests costs two round trips, not one each.
    """

    def __init__(self, query: Callable[[], Awaitable[T]]) -> None:
        self._query = query
        self._flight: asyncio.Future[T] | None = None
        self._waiting: asyncio.Future[T] | None = None

    async def read(self) -> T:
        if self._flight is None:
            self._flight = self._start()
            return await asyncio.shield(self._flight)
        if self._waiting is None:
            self._waiting = asyncio.get_running_loop().create_future()
        return await asyncio.shield(self._waiting)

    def _start(self) -> asyncio.Future[T]:
        flight = asyncio.ensure_future(self._query())
        flight.add_done_callback(self._landed)
        return flight

    def _landed(self, _flight: asyncio.Future[T]) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            self._flight = None
            return
        self._flight = self._start()
        self._flight.add_done_callback(lambda done: _settle(waiting, done))


def _settle(waiting: asyncio.Future[T], done: asyncio.Future[T]) -> None:
    if waiting.cancelled():
        return
    if done.cancelled():
        waiting.cancel()
    elif (failure := done.exception()) is not None:
        waiting.set_exception(failure)
    else:
        waiting.set_result(done.result())
