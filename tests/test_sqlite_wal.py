"""Processes opening a new SQLite file at the same instant all connect (models/db.py).

Each connection turns the file to WAL. While one process does so, SQLite answered another's
``PRAGMA journal_mode=WAL`` with "database is locked" at once, without waiting the busy
timeout: in about one round in four of four processes, and so one of several ``planner
serve`` started together on a new file now and then exited.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from sqlalchemy import text

from models.db import make_engine, sqlite_url_for
from tests.live_server import processes_at_once

PROCESSES = 4
ROUNDS = 40  # before the fix, at least one round failed in every run (about 1 in 4 did)


def _connect_and_write(barrier: Any, url: str, answers: Any) -> None:
    try:
        engine = make_engine(url)
        barrier.wait(timeout=30)
        try:
            with engine.begin() as connection:
                connection.execute(text("CREATE TABLE IF NOT EXISTS opened (id INTEGER)"))
                connection.execute(text("INSERT INTO opened VALUES (1)"))
        finally:
            engine.dispose()
        answers.put(None)
    except BaseException as exc:  # reported in the test's process
        answers.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_file_together_all_connect(tmp_path: Path) -> None:
    # Forked from a clean server process that has imported this module (not from pytest's,
    # which may run threads): starting a process then takes milliseconds.
    fork = multiprocessing.get_context("forkserver")
    fork.set_forkserver_preload([__name__])
    failed = []
    for round_number in range(ROUNDS):
        url = sqlite_url_for(tmp_path / f"new-{round_number}.db")
        errors = processes_at_once(fork, _connect_and_write, PROCESSES, url, timeout=60)
        failed += [(round_number, error) for error in errors if error]
    assert not failed, failed
