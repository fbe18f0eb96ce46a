"""``planner serve`` as a real process, with no clock injected, on a fresh database.

``server`` is module-scoped and parametrized by backend: each flow module gets its own
process on a new SQLite file and one on a new PostgreSQL database (``PLANNER_TEST_DATABASE_URL``;
without it that half is skipped with the reason), so flows never see each other's rows and
a migration runs only twice per module. The process is the venv's ``planner`` console script
(beside ``sys.executable``); the fixture waits for ``/api/health`` and stops it with SIGTERM
at the end.

No 5xx anywhere, seen from both sides: after every test, the answers its clients got, the
server's access log and its stderr (no "Traceback") since the test began are checked; after
the process stops, its whole stderr is. A failing test's report carries the server's stderr.
"""

from __future__ import annotations

import itertools
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from models.db import sqlite_url_for
from tests.conftest import PG_URL
from tests.e2e.support import Served, start_server

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not PG_URL, reason="PLANNER_TEST_DATABASE_URL is not set (`.ci/run` sets it)"
        ),
    ),
]
_databases = itertools.count(1)


@contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """A database no process has touched: a new SQLite file, or a new PostgreSQL database
    (named after this run's process, dropped at the end)."""
    if backend == "sqlite":
        yield sqlite_url_for(workdir / "planner.db")
        return
    assert PG_URL
    base = make_url(PG_URL)
    name = f"{base.database}_e2e_{os.getpid()}_{next(_databases)}"
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


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp(f"e2e-{request.param}")
    with fresh_database(request.param, workdir) as url:
        served = start_server(url, workdir)
        try:
            yield served
        finally:
            served.stop()
        stderr = served.stderr()
        assert "Traceback" not in stderr, f"planner serve logged a traceback:\n{stderr[-10000:]}"
        # uvicorn re-raises the SIGTERM it handled once it has shut down gracefully.
        assert served.process.returncode in (0, -signal.SIGTERM), stderr[-5000:]
        assert "Application shutdown complete" in stderr, stderr[-5000:]


@pytest.fixture(autouse=True)
def _no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Nothing the test did made the server answer 5xx or log a traceback."""
    if "server" not in request.fixturenames:
        yield
        return
    served: Served = request.getfixturevalue("server")
    mark = served.mark()
    yield
    errors = served.errors_since(mark)
    assert not errors, "\n".join(errors)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """A failing test's report shows the served process's stderr (and its access log tail)."""
    outcome: Any = yield
    report = outcome.get_result()
    served = getattr(item, "funcargs", {}).get("server")
    if report.failed and isinstance(served, Served):
        report.sections.append(
            (f"planner serve stderr ({served.base_url})", served.stderr()[-20000:])
        )
        report.sections.append(
            (f"planner serve access log ({served.base_url})", served.stdout()[-5000:])
        )
