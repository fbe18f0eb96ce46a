"""Several server processes on one PostgreSQL database (issue 14): ``planner serve
--workers N``, and two ``planner serve`` side by side, keep every rule that must hold across
processes: exactly one booking wins, an idempotency key books once, a page's CSRF token
works on any process, and the first admin is created once. SQLite refuses ``--workers``,
saying why. Real processes, the real clock.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2
import pytest
from sqlalchemy import select

from models.db import make_engine, sqlite_url_for
from models.tables import User
from tests.databases import scratch_postgresql
from tests.live_server import (
    PLANNER,
    all_at_once,
    created,
    overlapping_active,
    planner_servers,
)
from tests.support import ADMIN, ADMIN_TOKEN
from tests.web_support import csrf_of

N = 32
ZONE = ZoneInfo("America/New_York")
PASSWORD_LINE = re.compile(r"log in as\s+admin / (\S+)")


@pytest.fixture
def pg_url() -> Iterator[str]:
    with scratch_postgresql("processes") as url:
        yield url


def _environment(url: str) -> dict[str, str]:
    return {"PLANNER_DATABASE_URL": url, "PLANNER_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN}


def _clinic(http: httpx2.Client) -> tuple[int, list[int], str]:
    """One therapist, N patients with an infusion tomorrow at 07:00; a start in every peak."""
    tomorrow = (datetime.now(ZONE) + timedelta(days=1)).date().isoformat()
    created(
        http,
        "/api/session-types",
        {
            "key": "rehab",
            "name": "Rehab",
            "duration_minutes": 60,
            "discipline": "physio",
            "window": "peak",
        },
    )
    hours = [{"rrule": "FREQ=DAILY", "start": "08:00", "end": "17:00"}]
    therapist = created(
        http, "/api/therapists", {"name": "T", "disciplines": ["physio"], "working_hours": hours}
    )["id"]
    infusions = []
    for n in range(N):
        patient = created(http, "/api/patients", {"name": f"P{n}"})["id"]
        body = {"patient_id": patient, "start": f"{tomorrow}T07:00"}
        infusions.append(created(http, "/api/infusions", body)["id"])
    return therapist, infusions, f"{tomorrow}T11:00"


def _clients(urls: list[str]) -> list[httpx2.Client]:
    return [httpx2.Client(base_url=url, headers=ADMIN, timeout=60) for url in urls]


def _book(http: httpx2.Client, body: dict[str, object], key: str | None = None) -> httpx2.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return http.post("/api/sessions", json=body, headers=headers)


def _outcome(answers: list[httpx2.Response]) -> Counter[tuple[int, str]]:
    return Counter(
        (a.status_code, "created" if a.status_code == 201 else a.json()["code"]) for a in answers
    )


def test_bookings_raced_over_two_processes_exactly_one_wins(pg_url: str, tmp_path: Path) -> None:
    with planner_servers(2, _environment(pg_url), tmp_path) as urls:
        first, second = clients = _clients(urls)
        with first, second:
            therapist, infusions, start = _clinic(first)
            calls = [
                partial(
                    _book,
                    clients[n % 2],
                    {
                        "infusion_id": infusion,
                        "session_type": "rehab",
                        "start": start,
                        "therapist_id": therapist,
                    },
                )
                for n, infusion in enumerate(infusions)
            ]
            outcome = _outcome(all_at_once(calls))
    assert outcome == {(201, "created"): 1, (409, "therapist_busy"): N - 1}
    assert overlapping_active(pg_url) == []


def test_one_idempotency_key_sent_to_two_processes_books_once(pg_url: str, tmp_path: Path) -> None:
    with planner_servers(2, _environment(pg_url), tmp_path) as urls:
        first, second = clients = _clients(urls)
        with first, second:
            therapist, infusions, start = _clinic(first)
            body = {"infusion_id": infusions[0], "session_type": "rehab", "start": start}
            calls = [partial(_book, clients[n % 2], body, "same-key-1") for n in range(8)]
            answers = all_at_once(calls)
            listed = first.get("/api/sessions", params={"therapist_id": therapist}).json()
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(listed) == 1


def test_a_page_form_from_one_process_is_accepted_by_the_other(pg_url: str, tmp_path: Path) -> None:
    """The CSRF token is an HMAC of the login token: no per-process secret to share."""
    with planner_servers(2, _environment(pg_url), tmp_path) as (url_a, url_b):
        with httpx2.Client(base_url=url_a, timeout=60, follow_redirects=True) as browser:
            created_user = {"username": "sam", "role": "scheduler", "password": "a long password"}
            assert browser.post("/api/users", json=created_user, headers=ADMIN).status_code == 201
            login_page = browser.get("/login")
            logged_in = browser.post(
                "/login",
                data={
                    "username": "sam",
                    "password": "a long password",
                    "csrf_token": csrf_of(login_page.text),
                },
            )
            assert logged_in.status_code == 200, logged_in.text
            form_token = csrf_of(logged_in.text)  # the board's forms, as process A drew them
            cookies = dict(browser.cookies)
        with httpx2.Client(base_url=url_b, timeout=60, cookies=cookies) as same_browser:
            forged = same_browser.post(
                "/logout", data={"csrf_token": "0" * 64}, follow_redirects=False
            )
            out = same_browser.post(
                "/logout", data={"csrf_token": form_token}, follow_redirects=False
            )
    assert out.status_code == 303, out.text
    assert forged.status_code == 403


def test_workers_serve_one_database_and_set_it_up_once(pg_url: str, tmp_path: Path) -> None:
    with planner_servers(1, _environment(pg_url), tmp_path, ["--workers", "2"]) as (url,):
        (http,) = _clients([url])
        with http:
            therapist, infusions, start = _clinic(http)
            calls = [
                partial(
                    _book,
                    http,
                    {
                        "infusion_id": infusion,
                        "session_type": "rehab",
                        "start": start,
                        "therapist_id": therapist,
                    },
                )
                for infusion in infusions
            ]
            outcome = _outcome(all_at_once(calls))
    assert outcome == {(201, "created"): 1, (409, "therapist_busy"): N - 1}
    output = "".join(log.read_text() for log in tmp_path.glob("serve-*.log"))
    assert "2 processes" in output
    assert len(PASSWORD_LINE.findall(output)) == 1
    engine = make_engine(pg_url)
    try:
        with engine.connect() as connection:
            names = list(connection.scalars(select(User.username)))
    finally:
        engine.dispose()
    assert names.count("admin") == 1


def test_sqlite_refuses_several_workers_and_says_why(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PLANNER_DATABASE_URL": sqlite_url_for(tmp_path / "planner.db"),
        "PYTHONUNBUFFERED": "1",
    }
    done = subprocess.run(
        [str(PLANNER), "serve", "--port", "1", "--workers", "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--workers 2 needs PostgreSQL" in done.stderr
    assert "PLANNER_DATABASE_URL=postgresql" in done.stderr
