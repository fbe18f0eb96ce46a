"""Databases no process has touched, for tests that start servers of their own: a new SQLite
file, or a new PostgreSQL database beside ``PLANNER_TEST_DATABASE_URL``'s (named after its
purpose and this process, dropped at the end; the test is skipped, saying so, without it)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from models.db import sqlite_url_for
from tests.conftest import PG_URL

_numbers = itertools.count(1)


@contextmanager
def scratch_postgresql(purpose: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped (connections and all) after."""
    if not PG_URL:
        pytest.skip("PLANNER_TEST_DATABASE_URL is not set (`.ci/run` sets it)")
    base = make_url(PG_URL)
    name = f"{base.database}_{purpose}_{os.getpid()}_{next(_numbers)}"
    server = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        server.dispose()


@contextmanager
def fresh_database(backend: str, workdir: Path, purpose: str) -> Iterator[str]:
    """A new SQLite file in ``workdir`` or a new PostgreSQL database, by ``backend``."""
    if backend == "sqlite":
        yield sqlite_url_for(workdir / f"{purpose}.db")
        return
    with scratch_postgresql(purpose) as url:
        yield url
