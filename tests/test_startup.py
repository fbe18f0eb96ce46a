"""Several ``planner serve`` started at once on one database all start, and set it up once.

Real ``planner serve`` processes (the console script of this virtual environment) started
together on a new database, and the same start-up steps in separate processes released by
one barrier on a new or a migrated empty database: they race for the migration, the first
admin, the bootstrap admin's token and the clinic row. On PostgreSQL the second used to die
on a unique key (``alembic_version``'s type, ``users_username_key``); SQLite serialised them
already (BEGIN IMMEDIATE) and is run the same way to show it.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app import create_app
from models.db import make_engine
from models.migrate import upgrade
from models.repositories.users import hash_token
from models.tables import ApiToken, Clinic, User
from services.settings import Settings
from tests.databases import fresh_database
from tests.live_server import answers_health, free_ports, processes_at_once, start_planner_serve

SERVERS = 4  # planner serve processes started together
RELEASED = 3  # processes released together by a barrier (they overlap for certain)
BOOTSTRAP_TOKEN = "startup-race-bootstrap-token"
PASSWORD_LINE = re.compile(r"First start: log in as {2}admin / (\S+) ")


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no process has touched yet: a new SQLite file or a new PostgreSQL database."""
    with fresh_database(request.param, tmp_path, "startup") as url:
        yield url


def _serve_all_at_once(url: str, workdir: Path) -> list[tuple[int, str, int | None]]:
    """Start SERVERS ``planner serve`` together; (port, output, exit code or None) of each.

    A server counts as started when it answers ``/api/health``; all are stopped after.
    """
    env = {
        **os.environ,
        "PLANNER_DATABASE_URL": url,
        "PLANNER_BOOTSTRAP_ADMIN_TOKEN": BOOTSTRAP_TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    ports = free_ports(SERVERS)
    logs = [workdir / f"serve-{port}.log" for port in ports]
    processes = []
    for port, log in zip(ports, logs, strict=True):
        with log.open("wb") as out:
            processes.append(start_planner_serve(port, workdir, env, out, subprocess.STDOUT))
    healthy: dict[int, bool] = {}
    try:
        deadline = time.monotonic() + 90
        for port, process in zip(ports, processes, strict=True):
            healthy[port] = answers_health(process, f"http://127.0.0.1:{port}", deadline)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)
    results = []
    for port, log, process in zip(ports, logs, processes, strict=True):
        # A server that never answered counts as failed even if it exited with 0 when stopped.
        exit_code = None if healthy.get(port) else (process.returncode or -1)
        results.append((port, log.read_text(errors="replace"), exit_code))
    return results


def _failure_line(output: str) -> str:
    """The error a server exited with (its last line naming one), or its last line."""
    lines = output.strip().splitlines() or ["(no output)"]
    named = [line for line in lines if "Error" in line or "Exception" in line]
    return (named or lines)[-1][:500]


def _assert_set_up_once(url: str, passwords: list[str | None]) -> None:
    """One admin (with the one password printed), one bootstrap token, one clinic row."""
    printed = [p for p in passwords if p]
    assert len(printed) == 1, passwords

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            users = conn.execute(select(User.username, User.role)).all()
            clinics = conn.scalar(select(func.count()).select_from(Clinic))
            tokens = conn.scalar(
                select(func.count())
                .select_from(ApiToken)
                .where(ApiToken.token_hash == hash_token(BOOTSTRAP_TOKEN))
            )
            version = conn.scalar(text("SELECT count(*) FROM alembic_version"))
    finally:
        engine.dispose()
    assert [tuple(u) for u in users] == [("admin", "admin")]
    assert clinics == 1
    assert tokens == 1
    assert version == 1
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        login = client.post("/api/login", json={"username": "admin", "password": printed[0]})
        assert login.status_code == 200, login.text
        users = client.get("/api/users", headers={"Authorization": f"Bearer {BOOTSTRAP_TOKEN}"})
        assert users.status_code == 200, users.text


def test_servers_started_together_all_serve_and_set_up_once(fresh_url: str, tmp_path: Path) -> None:
    """On a new database (no tables); a migrated empty one is raced in the test below."""
    results = _serve_all_at_once(fresh_url, tmp_path)
    failed = [
        (port, code, _failure_line(output)) for port, output, code in results if code is not None
    ]
    assert not failed, f"servers that did not start (port, exit code, last line): {failed}"
    passwords = [
        found.group(1) if (found := PASSWORD_LINE.search(output)) else None
        for _, output, _ in results
    ]
    _assert_set_up_once(fresh_url, passwords)


def _start_up_after(barrier: Any, url: str, answers: Any) -> None:
    """In a process of its own: what ``planner serve`` does before and as it starts serving,
    begun at the same instant as the other processes (the barrier)."""
    from models.db import session_factory
    from models.uow import UnitOfWork
    from services.users import ensure_first_admin

    settings = Settings(
        database_url=url,
        bootstrap_admin_token=BOOTSTRAP_TOKEN,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = create_app(settings)
    try:
        barrier.wait(timeout=60)
        engine = make_engine(url)
        try:
            upgrade(engine)  # cli.py: migrate
            password = ensure_first_admin(UnitOfWork(session_factory(engine)))
        finally:
            engine.dispose()
        with TestClient(app) as client:  # the lifespan: the clinic row, the bootstrap admin
            health = client.get("/api/health").status_code
        answers.put((password, health, None))
    except BaseException as exc:
        answers.put((None, None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"))


@pytest.mark.parametrize("state", ["fresh", "migrated"])
def test_start_up_code_paths_released_together_set_up_once(fresh_url: str, state: str) -> None:
    """The same start-up steps in separate processes, released by one barrier: they overlap
    for certain, where processes merely started together may happen not to."""
    if state == "migrated":
        engine = make_engine(fresh_url)
        upgrade(engine)
        engine.dispose()
    spawn = multiprocessing.get_context("spawn")
    results = processes_at_once(spawn, _start_up_after, RELEASED, fresh_url)
    errors = [error for _, _, error in results if error]
    assert not errors, errors
    assert [health for _, health, _ in results] == [200] * RELEASED
    _assert_set_up_once(fresh_url, [password for password, _, _ in results])
