"""Fixtures: every API test runs against SQLite (a file) and PostgreSQL.

PostgreSQL comes from ``PLANNER_TEST_DATABASE_URL`` (``.ci/run`` sets it); without it the
PostgreSQL half is skipped with that reason. Each database is migrated once per run and
emptied between tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text

from app import create_app
from models.db import make_engine, sqlite_url_for
from models.migrate import upgrade
from models.tables import Base
from services.settings import Settings
from tests.support import ADMIN_TOKEN, Api, FakeClock

PG_URL = os.environ.get("PLANNER_TEST_DATABASE_URL")
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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(sqlite_url_for(path))
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test run's own on the server of ``PLANNER_TEST_DATABASE_URL``.

    Runs that share the server (two terminals, CI beside a developer) never see each
    other's rows; the database is dropped at the end.
    """
    assert PG_URL
    base = make_url(PG_URL)
    name = f"{base.database}_run_{os.getpid()}"
    server = create_engine(base, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _empty_pg(engine: Engine) -> None:
    """DELETE and restart the id sequences: on a few rows ~10x faster than TRUNCATE.

    Triggers are off for this transaction only: the audit log refuses DELETE by design.
    """
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))
        for table in Base.metadata.sorted_tables:
            for column in table.primary_key.columns:
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence(:table, :column), 1, false)"),
                    {"table": f'"{table.name}"', "column": column.name},
                )
        conn.execute(
            text(
                "INSERT INTO protocol_versions (version, anchor, windows, created_at) "
                "VALUES (1, :anchor, CAST(:windows AS json), now())"
            ),
            {"anchor": "end", "windows": _default_windows_json()},
        )


def _default_windows_json() -> str:
    import json

    from models.repositories.clinic import windows_to_json
    from planner.protocol import DEFAULT_WINDOWS

    return json.dumps(windows_to_json(DEFAULT_WINDOWS))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "planner.db"
        shutil.copyfile(template, path)
        return sqlite_url_for(path)
    engine: Engine = request.getfixturevalue("pg_engine")
    _empty_pg(engine)
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        bootstrap_admin_token=ADMIN_TOKEN,
        clinic_name="Test Clinic",
        clinic_timezone="America/New_York",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> FastAPI:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
