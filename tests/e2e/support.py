"""What the end-to-end flows share: the served process, clients that remember every answer,
and the clinic's real clock (the small clinic they build is in ``tests/e2e/clinic.py``).

Nothing here injects a clock: the server runs on ``datetime.now``, and the tests compute
their times from the same real now, in the clinic's zone, at whatever second they run.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import pytest

from tests.databases import fresh_database
from tests.live_server import PLANNER, answers_health, free_ports, start_planner_serve
from tests.web_support import csrf_of

ADMIN_TOKEN = "e2e-bootstrap-admin-token"
CLINIC_NAME = "E2E Riverside Clinic"
ZONE_NAME = "America/New_York"
ZONE = ZoneInfo(ZONE_NAME)
START_SECONDS = 90  # a migration on a busy 2-core machine, with other test runs beside it
ALL_DAY = {"rrule": "FREQ=DAILY", "start": "00:00", "end": "23:59"}
"""Working hours that cover every minute of every day but the last (ends are same-day)."""

FIRST_ADMIN = re.compile(r"First start: log in as {2}admin / (\S+) ")
ACCESS_5XX = re.compile(r'HTTP/[0-9.]+" 5\d\d\b')


# --- the clinic's real clock -------------------------------------------------------------


def now() -> datetime:
    """The real now (seconds and microseconds as they happen to be), in UTC: arithmetic on
    an aware datetime in the clinic's zone is wall-clock arithmetic, wrong on DST nights."""
    return datetime.now(UTC)


def today() -> date:
    """The clinic's local date now."""
    return datetime.now(ZONE).date()


def tomorrow() -> date:
    return today() + timedelta(days=1)


def wall(day: date, hhmm: str) -> str:
    """A wall time as a clinic user types it (no offset): ``2026-03-11T07:00``."""
    return f"{day.isoformat()}T{hhmm}"


def local(day: date, hhmm: str) -> datetime:
    """The instant (in UTC) the clinic's clock shows ``hhmm`` on ``day`` (a time that exists)."""
    return datetime.combine(day, wall_time.fromisoformat(hhmm), tzinfo=ZONE).astimezone(UTC)


def rfc3339(instant: datetime) -> str:
    """An instant as the API answers it: on the clinic's clock, with its offset."""
    return instant.astimezone(ZONE).isoformat()


def instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    assert parsed.tzinfo is not None, f"{text!r} has no offset"
    return parsed


def whole_minute(moment: datetime, *, plus_minutes: int = 0) -> datetime:
    """``moment`` rounded up to a whole minute, then ``plus_minutes`` later (UTC)."""
    utc = moment.astimezone(UTC)
    floor = utc.replace(second=0, microsecond=0)
    up = floor if floor == utc else floor + timedelta(minutes=1)
    return up + timedelta(minutes=plus_minutes)


# --- HTTP ----------------------------------------------------------------------------------


def expect(response: httpx2.Response, status: int) -> Any:
    """The JSON body of an answer that must have ``status``."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} answered "
        f"{response.status_code}, not {status}: {response.text[:2000]}"
    )
    return response.json()


def page_ok(response: httpx2.Response) -> str:
    """The HTML of a page that must render: 200, HTML, and no traceback shown to the user."""
    assert response.status_code == 200, (response.request.url, response.status_code)
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text
    assert "Internal Server Error" not in response.text
    return response.text


@dataclass
class Served:
    """One ``planner serve`` process, its database and its logs."""

    base_url: str
    database_url: str
    workdir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    answers: list[tuple[str, str, int]] = field(default_factory=list)
    clients: list[httpx2.Client] = field(default_factory=list)

    # -- logs

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def first_admin_password(self) -> str | None:
        found = FIRST_ADMIN.search(self.stdout())
        return found.group(1) if found else None

    def mark(self) -> tuple[int, int, int]:
        return len(self.stdout()), len(self.stderr()), len(self.answers)

    def errors_since(self, mark: tuple[int, int, int]) -> list[str]:
        """Every sign of a server error after ``mark``: a 5xx a client got, a 5xx in the
        access log, a traceback on stderr."""
        out, err, seen = mark
        found = [f"{m} {u} answered {s}" for m, u, s in self.answers[seen:] if s >= 500]
        found += [
            f"access log: {line.strip()}"
            for line in self.stdout()[out:].splitlines()
            if ACCESS_5XX.search(line)
        ]
        new_err = self.stderr()[err:]
        if "Traceback" in new_err:
            found.append(f"stderr has a traceback:\n{new_err[-8000:]}")
        return found

    # -- clients

    def client(self, token: str | None = None) -> httpx2.Client:
        """A client of this server (bearer ``token`` if given); every answer is recorded."""

        def remember(response: httpx2.Response) -> None:
            request = response.request
            self.answers.append((request.method, str(request.url), response.status_code))

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx2.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=60,
            trust_env=False,  # no proxy between the test and 127.0.0.1
            event_hooks={"response": [remember]},
        )
        self.clients.append(client)
        return client

    def admin(self) -> httpx2.Client:
        return self.client(ADMIN_TOKEN)

    def login(self, username: str, password: str) -> httpx2.Client:
        """``POST /api/login`` with a password; a client with the bearer token it gives."""
        answer = expect(
            self.client().post("/api/login", json={"username": username, "password": password}),
            200,
        )
        assert answer["token"] and answer["expires_at"], answer
        return self.client(answer["token"])

    def browser(self, username: str, password: str) -> tuple[httpx2.Client, httpx2.Response]:
        """A cookie-keeping client logged in through the ``/login`` form; and the answer."""
        browser = self.client()
        form = page_ok(browser.get("/login"))
        answer = browser.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_of(form)},
        )
        return browser, answer

    def planner(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``planner ARGS`` as a process of its own, on this server's database."""
        return subprocess.run(
            [str(PLANNER), *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    # -- life

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def server_env(database_url: str) -> dict[str, str]:
    """The environment of the served process: nothing of the developer's ``PLANNER_*``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.update(
        PLANNER_DATABASE_URL=database_url,
        PLANNER_BOOTSTRAP_ADMIN_TOKEN=ADMIN_TOKEN,
        PLANNER_CLINIC_NAME=CLINIC_NAME,
        PLANNER_CLINIC_TIMEZONE=ZONE_NAME,
        PYTHONUNBUFFERED="1",
    )
    return env


def start_server(database_url: str, workdir: Path, attempts: int = 3) -> Served:
    """``planner serve --port <free port>`` on ``database_url``, answering ``/api/health``.

    A port taken between choosing it and binding it (other test runs share the machine) is
    retried on another; any other failure to start fails with the server's output.
    """
    assert PLANNER.exists(), f"{PLANNER} is missing: run the tests with the venv's python"
    env = server_env(database_url)
    for _ in range(attempts):
        [port] = free_ports(1)
        stdout_path = workdir / f"serve-{port}.stdout"
        stderr_path = workdir / f"serve-{port}.stderr"
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            process = start_planner_serve(port, workdir, env, out, err, ["--access-log"])
        served = Served(
            f"http://127.0.0.1:{port}",
            database_url,
            workdir,
            env,
            process,
            stdout_path,
            stderr_path,
        )
        if answers_health(process, served.base_url, time.monotonic() + START_SECONDS):
            return served
        served.stop()
        if "address already in use" not in served.stderr().lower():
            break
    raise AssertionError(
        f"planner serve did not start on {database_url} (exit code {served.process.returncode})"
        f"\n--- stdout\n{served.stdout()[-5000:]}\n--- stderr\n{served.stderr()[-10000:]}"
    )


@contextmanager
def served_process(backend: str, workdir: Path) -> Iterator[Served]:
    """``planner serve`` on a fresh database of ``backend``; stopped at the end, and then its
    whole stderr must be free of tracebacks and its shutdown graceful."""
    with fresh_database(backend, workdir, "e2e") as url:
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


def watch_for_server_errors(request: pytest.FixtureRequest, fixture: str) -> Iterator[None]:
    """(An autouse fixture's body.) Nothing the test did made the served process named
    ``fixture`` answer 5xx or log a traceback; tests that do not use it are not watched."""
    if fixture not in request.fixturenames:
        yield
        return
    served: Served = request.getfixturevalue(fixture)
    mark = served.mark()
    yield
    errors = served.errors_since(mark)
    assert not errors, "\n".join(errors)
