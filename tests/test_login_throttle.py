"""Login throttling under a burst, per user and address, and the client address behind proxies.

A burst of wrong passwords for one user is checked at most ``login_max_failures`` times and
refused with 429 after, on SQLite and PostgreSQL, in one served app and across two
``planner serve`` processes on one PostgreSQL database (concurrent transactions used to miss
each other's uncommitted failures: 30 x 401). A user guessed at from one address still logs
in from another. ``X-Forwarded-For`` is believed only from a trusted proxy
(``PLANNER_TRUSTED_PROXIES``), and the address it names is the one counted and audited.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from functools import partial
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from api.forwarded import client_address
from models.db import make_engine
from models.tables import LoginAttempt
from services.settings import Settings
from tests import access_fixtures, live_server
from tests.databases import scratch_postgresql
from tests.live_server import PLANNER, all_at_once, created, planner_servers, serve
from tests.problems import assert_problem
from tests.support import ADMIN, ADMIN_TOKEN
from tests.web_support import csrf_of

cheap_argon2 = access_fixtures.cheap_argon2
pytestmark = pytest.mark.usefixtures("cheap_argon2")  # in this process; not in `planner serve`

PASSWORD = "correct horse battery"
BURST = 30
PROXY = ("10.0.0.2", 50000)  # the test client's address, trusted as a proxy below
ATTACKER = "198.51.100.7"
NURSE = "198.51.100.8"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest settings, without the slowdown between failed logins (keeps tests fast)."""
    return settings.model_copy(update={"login_slowdown_seconds": 0})


def wrong_password(http: Any, username: str = "sam") -> Any:
    return http.post("/api/login", json={"username": username, "password": "a wrong guess"})


def statuses(answers: list[Any]) -> Counter[int]:
    return Counter(answer.status_code for answer in answers)


def failures_stored(database_url: str) -> list[tuple[str, str]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(LoginAttempt.username, LoginAttempt.address)).all()
    finally:
        engine.dispose()
    return [(row[0], row[1]) for row in rows]


# --- a burst -------------------------------------------------------------------------------


def test_a_burst_of_wrong_passwords_is_checked_at_most_max_failures_times(
    app: FastAPI, database_url: str
) -> None:
    limit = app.state.settings.login_max_failures
    with serve(app) as base_url, live_server.client(base_url) as http:
        created(http, "/api/users", {"username": "sam", "role": "scheduler", "password": PASSWORD})
        http.headers.pop("Authorization", None)
        answers = all_at_once([partial(wrong_password, http)] * BURST)
    assert statuses(answers) == {401: limit, 429: BURST - limit}
    for answer in answers:
        code = {401: "unauthorized", 429: "too_many_requests"}[answer.status_code]
        assert_problem(answer, answer.status_code, code)
    assert len(failures_stored(database_url)) == limit


@pytest.fixture
def throwaway_pg(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL database of this test's own (dropped after), for servers of their own."""
    with scratch_postgresql("throttle") as url:
        yield url


def test_a_burst_over_two_server_processes_is_checked_at_most_max_failures_times(
    throwaway_pg: str, tmp_path: Path
) -> None:
    environment = {
        "PLANNER_DATABASE_URL": throwaway_pg,
        "PLANNER_BOOTSTRAP_ADMIN_TOKEN": ADMIN_TOKEN,
        "PLANNER_LOGIN_SLOWDOWN_SECONDS": "0",
    }
    limit = Settings(_env_file=None).login_max_failures  # type: ignore[call-arg]
    with planner_servers(2, environment, tmp_path) as urls:
        first, second = (httpx2.Client(base_url=url, timeout=60) for url in urls)
        with first, second:
            body = {"username": "sam", "role": "scheduler", "password": PASSWORD}
            assert first.post("/api/users", json=body, headers=ADMIN).status_code == 201
            calls = [partial(wrong_password, (first, second)[i % 2]) for i in range(BURST)]
            answers = all_at_once(calls)
    assert statuses(answers) == {401: limit, 429: BURST - limit}
    assert len(failures_stored(throwaway_pg)) == limit


# --- who is locked out ---------------------------------------------------------------------


@pytest.fixture
def proxied(app: FastAPI, client: TestClient) -> Iterator[TestClient]:
    """A client calling from the trusted proxy's address (``client`` started the app)."""
    yield TestClient(app, raise_server_exceptions=False, client=PROXY)


def trusting_the_proxy(settings: Settings) -> Settings:
    return settings.model_copy(update={"trusted_proxies": (ip_network(PROXY[0]),)})


def login_from(http: TestClient, address: str, password: str = PASSWORD, user: str = "sam") -> Any:
    return http.post(
        "/api/login",
        json={"username": user, "password": password},
        headers={"X-Forwarded-For": address},
    )


def create_sam(client: TestClient) -> None:
    body = {"username": "sam", "role": "scheduler", "password": PASSWORD}
    assert client.post("/api/users", json=body, headers=ADMIN).status_code == 201


class TestBehindATrustedProxy:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return trusting_the_proxy(settings.model_copy(update={"login_slowdown_seconds": 0}))

    def test_a_user_guessed_at_from_one_address_logs_in_from_another(
        self, app: FastAPI, client: TestClient, proxied: TestClient
    ) -> None:
        create_sam(client)
        limit = app.state.settings.login_max_failures
        for _ in range(limit):
            assert_problem(login_from(proxied, ATTACKER, "guess"), 401, "unauthorized")
        assert_problem(login_from(proxied, ATTACKER, "guess"), 429, "too_many_requests")
        # The attacker's address is refused even the right password ...
        assert_problem(login_from(proxied, ATTACKER), 429, "too_many_requests")
        # ... and the nurse at her own workstation is let in.
        assert login_from(proxied, NURSE).status_code == 200
        assert login_from(proxied, NURSE).status_code == 200

    def test_the_forwarded_address_is_counted_and_audited(
        self, client: TestClient, proxied: TestClient, database_url: str
    ) -> None:
        create_sam(client)
        # A client-supplied entry on the left; the proxy appended the address it saw.
        chain = f"203.0.113.99, {ATTACKER}"
        assert_problem(login_from(proxied, chain, "guess"), 401, "unauthorized")
        assert login_from(proxied, NURSE).status_code == 200
        assert failures_stored(database_url) == [("sam", ATTACKER)]
        entries = client.get("/api/audit", params={"entity": "user"}, headers=ADMIN).json()
        logins = [e for e in entries if e["action"] == "POST /api/login"]
        assert [(e["outcome"], e["client_address"]) for e in logins] == [
            ("denied", ATTACKER),
            ("success", NURSE),
        ]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(
    app: FastAPI, client: TestClient, proxied: TestClient, database_url: str
) -> None:
    create_sam(client)
    limit = app.state.settings.login_max_failures
    # An attacker cannot pick a new address for each guess.
    for index in range(limit):
        assert_problem(login_from(proxied, f"198.51.100.{index}", "guess"), 401, "unauthorized")
    assert_problem(login_from(proxied, NURSE), 429, "too_many_requests")
    assert {address for _, address in failures_stored(database_url)} == {PROXY[0]}
    entries = client.get("/api/audit", params={"entity": "user"}, headers=ADMIN).json()
    assert {e["client_address"] for e in entries if e["action"] == "POST /api/login"} == {PROXY[0]}


def test_the_login_page_counts_the_forwarded_address_too(
    client: TestClient, settings: Settings, clock: Any
) -> None:
    """The pages read the same address as the API (one place resolves it)."""
    from app import create_app

    app = create_app(trusting_the_proxy(settings), clock=clock)
    with TestClient(app, raise_server_exceptions=False, client=PROXY) as proxied:
        create_sam(proxied)
        for _ in range(app.state.settings.login_max_failures):
            assert_problem(login_from(proxied, ATTACKER, "guess"), 401, "unauthorized")
        nurse = {"X-Forwarded-For": NURSE}
        page = proxied.get("/login", headers=nurse)
        assert page.status_code == 200
        form = {"username": "sam", "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        answer = proxied.post("/login", data=form, headers=nurse, follow_redirects=False)
        assert answer.status_code == 303, answer.text


TRUSTED = (ip_network("10.0.0.0/8"), ip_network("fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.5", ["198.51.100.7"], "203.0.113.5"),  # an untrusted peer: ignored
        ("10.0.0.2", [], "10.0.0.2"),  # a trusted peer that forwards nothing
        ("10.0.0.2", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.2", ["1.1.1.1, 198.51.100.7, 10.0.0.9"], "198.51.100.7"),  # past proxies
        ("10.0.0.2", ["1.1.1.1", "198.51.100.7"], "198.51.100.7"),  # several header lines
        ("10.0.0.2", ["10.0.0.7, 10.0.0.9"], "10.0.0.7"),  # all trusted: the left-most
        ("10.0.0.2", ["198.51.100.7, junk"], "10.0.0.2"),  # a bad entry ends the walk
        ("10.0.0.2", ["1.1.1.1, junk, 10.0.0.9"], "10.0.0.9"),
        ("10.0.0.2", ["198.51.100.7:4711"], "198.51.100.7"),
        ("10.0.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("::ffff:10.0.0.2", ["198.51.100.7"], "198.51.100.7"),  # IPv4-mapped peer
        ("fd00::2", ["2001:DB8:0::1"], "2001:db8::1"),
        ("testclient", ["198.51.100.7"], "testclient"),  # not an address: never trusted
        (None, ["198.51.100.7"], "unknown"),
    ],
)
def test_the_client_address_behind_trusted_proxies(
    peer: str | None, forwarded: list[str], client: str
) -> None:
    assert client_address(peer, forwarded, TRUSTED) == client


# --- the setting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "networks"),
    [
        ("", []),
        ("10.0.0.2", ["10.0.0.2/32"]),
        ("10.0.0.2, 192.168.0.0/16,fd00::/8", ["10.0.0.2/32", "192.168.0.0/16", "fd00::/8"]),
        ('["10.0.0.2", "::1"]', ["10.0.0.2/32", "::1/128"]),
    ],
)
def test_trusted_proxies_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, given: str, networks: list[str]
) -> None:
    monkeypatch.setenv("PLANNER_TRUSTED_PROXIES", given)
    read = Settings(_env_file=None)  # type: ignore[call-arg]
    assert [str(network) for network in read.trusted_proxies] == networks


@pytest.mark.parametrize("given", ["10.0.0.300", "10.0.0.1/8", "proxy.local", "10.0.0.1,,x"])
def test_a_malformed_trusted_proxy_is_refused_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("PLANNER_TRUSTED_PROXIES", given)
    with pytest.raises(ValidationError, match="PLANNER_TRUSTED_PROXIES"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_planner_serve_refuses_a_malformed_trusted_proxy_at_start_up(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "PLANNER_DATABASE_URL": f"sqlite:///{tmp_path / 'planner.db'}",
        "PLANNER_TRUSTED_PROXIES": "10.0.0.1/8",
    }
    finished = subprocess.run(
        [str(PLANNER), "serve", "--port", "1"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert "PLANNER_TRUSTED_PROXIES" in finished.stderr
    assert "10.0.0.1/8" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert not (tmp_path / "planner.db").exists()  # refused before anything was touched
