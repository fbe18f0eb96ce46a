"""Real servers for tests that need real concurrency: uvicorn in a background thread, or
``planner serve`` as a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import httpx2
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import make_engine
from models.tables import TherapySession
from tests.support import ADMIN

PLANNER = Path(sys.executable).with_name("planner")
"""The console script of this virtual environment (``pip install -e .`` puts it there)."""


def free_ports(count: int) -> list[int]:
    """``count`` different free 127.0.0.1 ports (each socket is held until all are chosen)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port; yields the base URL; stops the server after."""
    [port] = free_ports(1)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the server thread died while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def start_planner_serve(
    port: int,
    workdir: Path,
    env: dict[str, str],
    out: IO[bytes],
    err: IO[bytes] | int,
    extra: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """``planner serve --port PORT [extra]`` with ``env``, run in ``workdir`` (so no ``.env``
    of the developer's is read), writing to ``out`` and ``err`` (``subprocess.STDOUT``: to
    ``out``)."""
    command = [str(PLANNER), "serve", "--port", str(port), *extra]
    return subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=err)


def answers_health(process: subprocess.Popen[bytes], base_url: str, deadline: float) -> bool:
    """Whether ``base_url/api/health`` answers 200 ``{"status": "ok"}`` before ``deadline``
    (``time.monotonic``); False at once when the process exits."""
    with httpx2.Client(timeout=5, trust_env=False) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                answer = http.get(f"{base_url}/api/health")
            except httpx2.TransportError:
                time.sleep(0.05)
                continue
            return answer.status_code == 200 and answer.json() == {"status": "ok"}
    return False


@contextmanager
def planner_servers(
    count: int, environment: dict[str, str], workdir: Path, extra: Sequence[str] = ()
) -> Iterator[list[str]]:
    """``count`` real ``planner serve [extra]`` processes with ``environment``; yields their
    base URLs once each answers ``/api/health``; stops them after (their output is in
    ``workdir``)."""
    ports = free_ports(count)
    env = {**os.environ, **environment, "PYTHONUNBUFFERED": "1"}
    processes = []
    try:
        for port in ports:
            with (workdir / f"serve-{port}.log").open("wb") as out:
                processes.append(start_planner_serve(port, workdir, env, out, out, extra))
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 90
        for url, process in zip(urls, processes, strict=True):
            started = answers_health(process, url, deadline)
            assert started, f"{url} did not start; see {workdir}/serve-*.log"
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def client(base_url: str) -> httpx2.Client:
    return httpx2.Client(base_url=base_url, headers=ADMIN, timeout=60)


def created(http: httpx2.Client, path: str, body: dict[str, Any]) -> Any:
    response = http.post(path, json=body)
    assert response.status_code == 201, (path, response.text)
    return response.json()


def all_at_once(calls: list[Callable[[], httpx2.Response]]) -> list[httpx2.Response]:
    """Run every call in its own thread, released together by a barrier; their answers."""
    barrier = threading.Barrier(len(calls))
    answers: list[httpx2.Response | BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            answers[index] = calls[index]()
        except BaseException as exc:  # reported below, in the test's thread
            answers[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    failures = [a for a in answers if not isinstance(a, httpx2.Response)]
    assert not failures, failures
    return [a for a in answers if isinstance(a, httpx2.Response)]


def processes_at_once(
    context: Any, target: Callable[..., None], count: int, *args: Any, timeout: float = 120
) -> list[Any]:
    """Run ``target(barrier, *args, answers)`` in ``count`` processes of the multiprocessing
    ``context``; each waits at the barrier (so their steps overlap for certain) and puts one
    answer in the queue. The answers, in the order they came."""
    barrier, answers = context.Barrier(count), context.Queue()
    processes = [
        context.Process(target=target, args=(barrier, *args, answers)) for _ in range(count)
    ]
    for process in processes:
        process.start()
    results = [answers.get(timeout=timeout) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    return results


def overlapping_active(database_url: str) -> list[tuple[str, int, int]]:
    """Pairs of active sessions that share a therapist, a patient or a room and overlap."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = [
                row
                for row in session.scalars(select(TherapySession))
                if row.status in ("booked", "checked_in")
            ]
    finally:
        engine.dispose()
    clashes = []
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if not (a.start < b.end and b.start < a.end):
                continue
            for resource in ("therapist_id", "patient_id", "room_id"):
                value = getattr(a, resource)
                if value is not None and value == getattr(b, resource):
                    clashes.append((resource, a.id, b.id))
    return clashes
