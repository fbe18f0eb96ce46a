"""A ``planner serve`` to kill at the right instant, for the crash test
(``tests/test_idempotency_crash.py``): the process, started and signalled at will, and the
``Killer`` that SIGKILLs it while a committed booking's answer has not reached its client."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from tests.live_server import answers_health, free_ports, start_planner_serve

TOKEN = "crash-test-bootstrap-token"
SETTLE = 0.2  # seconds a frozen server's answers already sent are given to arrive


class Server:
    """``planner serve`` on ``url`` in a process of its own, started and SIGKILLed at will."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.url = url
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.log = workdir / "serve.log"
        self.starts = 0

    def start(self) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
        env |= {
            "PLANNER_DATABASE_URL": self.url,
            "PLANNER_BOOTSTRAP_ADMIN_TOKEN": TOKEN,
            "PYTHONUNBUFFERED": "1",
        }
        [port] = free_ports(1)
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts} on port {port}\n".encode())
            out.flush()
            self.process = start_planner_serve(port, self.workdir, env, out, subprocess.STDOUT)
        self.base_url = f"http://127.0.0.1:{port}"
        if answers_health(self.process, self.base_url, time.monotonic() + 60):
            return self.base_url
        if self.process.poll() is not None:
            pytest.fail(f"planner serve exited:\n{self.tail()}")
        pytest.fail(f"planner serve did not answer /api/health:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, no flush; the process is gone."""
        self.signal(signal.SIGKILL)

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def wait_dead(self) -> None:
        assert self.process is not None
        self.process.wait(timeout=30)

    def stop(self) -> None:
        self.kill()
        if self.process is not None:
            self.process.wait(timeout=30)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


class Killer:
    """Kills the server while a key is committed whose answer has not reached its client.

    Armed once ``arm_after`` answers have arrived, it polls the committed keys (a reader:
    WAL on SQLite, its own connection on PostgreSQL). When one is still unanswered it freezes
    the server (SIGSTOP), lets what was already sent arrive, and SIGKILLs the frozen process
    if a committed key is still unanswered: the window between a commit and its answer, which
    a blind kill rarely hits. Otherwise the server runs on (SIGCONT) and the watch goes on;
    should it never succeed, the sender that receives the ``last``-th answer kills anyway.
    """

    def __init__(self, server: Server, prefix: str, arm_after: int, last: int) -> None:
        self.server = server
        self.prefix = prefix
        self.arm_after = arm_after
        self.last = last
        self.armed = threading.Event()
        self.done = threading.Event()
        self.aimed = False  # killed by the watcher (rather than by the fallback)

    def answered(self, received: int) -> None:
        """Called (under the senders' lock) with the number of answers received so far."""
        if received >= self.arm_after:
            self.armed.set()
        if received >= self.last and not self.done.is_set():
            self.fire()

    def fire(self, aimed: bool = False) -> None:
        self.server.kill()
        self.aimed = self.aimed or aimed
        self.done.set()

    def watch(self, heard: Callable[[], set[str]], lock: threading.Lock) -> None:
        self.armed.wait(timeout=120)
        with _committed_keys(self.server.url, self.prefix) as committed:
            while not self.done.is_set():
                keys = committed()
                with lock:
                    unanswered = keys - heard()
                if not unanswered:
                    continue
                self.server.signal(signal.SIGSTOP)
                time.sleep(SETTLE)  # answers already on their way reach their clients
                keys = committed()
                with lock:
                    if self.done.is_set():
                        return
                    if keys - heard():
                        self.fire(aimed=True)
                        return
                self.server.signal(signal.SIGCONT)


@contextmanager
def _committed_keys(url: str, prefix: str) -> Iterator[Callable[[], set[str]]]:
    """Reads the committed keys starting with ``prefix``, each call anew, without taking
    SQLite's write lock (the planner's engine begins every transaction IMMEDIATE)."""
    query = "SELECT key FROM idempotency_keys WHERE key LIKE ?"
    if url.startswith("sqlite"):
        path = make_url(url).database
        assert path
        conn = sqlite3.connect(path, isolation_level=None)  # autocommit: WAL reader
        try:
            yield lambda: {row[0] for row in conn.execute(query, (f"{prefix}%",))}
        finally:
            conn.close()
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as pg:
            yield lambda: set(
                pg.execute(text(query.replace("?", ":p")), {"p": f"{prefix}%"}).scalars()
            )
    finally:
        engine.dispose()
