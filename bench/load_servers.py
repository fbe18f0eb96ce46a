"""The processes and databases of bench/load.py: a fresh database per configuration, and
``planner serve``, the bare FastAPI app and the ceiling server as processes of their own."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
PLANNER = Path(sys.executable).with_name("planner")
"""The console script of this virtual environment (``pip install -e .`` puts it there)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int, path: str) -> bool:
    """Whether ``GET path`` on 127.0.0.1:``port`` answers 200 now."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def served(
    command: list[str], port: int, ready_path: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run ``command`` (a server on ``port``) until the block ends; yields its base URL once
    ``ready_path`` answers 200. Its output goes to ``log``."""
    environment = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=log.parent, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 90
        while not answers(port, ready_path):
            if process.poll() is not None:
                raise RuntimeError(f"{command[:2]} exited ({process.returncode}); see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[:2]} did not start in 90 s; see {log}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def planner_serve(
    database_url: str, token: str, workers: int
) -> tuple[list[str], int, dict[str, str]]:
    """The command, port and environment of ``planner serve`` on ``database_url`` (``served``
    runs it in the log's folder, so no ``.env`` of the developer's is read)."""
    port = free_port()
    command = [str(PLANNER), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = {"PLANNER_DATABASE_URL": database_url, "PLANNER_BOOTSTRAP_ADMIN_TOKEN": token}
    return command, port, env


def bare_app(workers: int) -> tuple[list[str], int]:
    port = free_port()
    command = [sys.executable, str(BENCH / "bare_app.py"), "--port", str(port)]
    return [*command, "--workers", str(workers)], port


def ceiling_server() -> tuple[list[str], int]:
    port = free_port()
    return [sys.executable, str(BENCH / "ceiling_server.py"), "--port", str(port)], port


@contextmanager
def postgres_database(admin_url: str, name: str) -> Iterator[str]:
    """A new database ``name`` on the server of ``admin_url`` (dropped after); yields its URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
