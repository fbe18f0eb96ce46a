"""Tokens and password login (docs/rules.md): shown once, stored hashed, expiring, revocable;
logins throttled per user at one address and per address (bursts, proxies and the client
address: tests/test_login_throttle.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.settings import Settings
from tests import access_fixtures
from tests.problems import assert_problem
from tests.support import ADMIN, FakeClock

cheap_argon2 = access_fixtures.cheap_argon2

PASSWORD = "correct horse battery"
OTHER_ADDRESS = ("203.0.113.9", 40000)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest settings, without the slowdown between failed logins (keeps tests fast)."""
    return settings.model_copy(update={"login_slowdown_seconds": 0})


@pytest.fixture(autouse=True)
def _fast_hashes(request: pytest.FixtureRequest) -> None:
    """Cheap argon2 parameters, except in tests that ask for ``real_argon2``."""
    if "real_argon2" not in request.fixturenames:
        request.getfixturevalue("cheap_argon2")


@pytest.fixture
def real_argon2() -> None:
    """The application's own argon2 parameters (the ``cheap_argon2`` patch is not applied)."""


@pytest.fixture
def elsewhere(app: FastAPI, client: TestClient) -> Iterator[TestClient]:
    """A second client, calling from another address (``client`` started the app)."""
    yield TestClient(app, raise_server_exceptions=False, client=OTHER_ADDRESS)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create(client: TestClient, username: str, **extra: Any) -> dict[str, Any]:
    body = {"username": username, "role": "scheduler", **extra}
    response = client.post("/api/users", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/login", json={"username": username, "password": password})


def works(client: TestClient, token: str) -> bool:
    response = client.get("/api/clinic", headers=bearer(token))
    if response.status_code == 401:
        assert_problem(response, 401, "unauthorized")
        return False
    assert response.status_code == 200, response.text
    return True


def test_settings_are_the_ones_these_tests_assume(app: FastAPI) -> None:
    assert app.state.settings.login_slowdown_seconds == 0
    assert app.state.settings.login_max_failures >= 2
    assert app.state.settings.login_max_failures_per_address > app.state.settings.login_max_failures


# --- tokens ---------------------------------------------------------------------------------


def test_a_new_users_token_is_shown_once_and_stored_as_a_hash(
    app: FastAPI, client: TestClient
) -> None:
    created = create(client, "sam")
    token = created["token"]
    assert isinstance(token, str) and len(token) >= 32
    assert works(client, token)
    listed = client.get("/api/users", headers=ADMIN)
    assert listed.status_code == 200 and token not in listed.text
    assert all(user.get("token") is None for user in listed.json())
    assert token not in client.get("/api/audit", params={"limit": 500}, headers=ADMIN).text
    with app.state.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM api_tokens")).mappings().all()
    assert len(rows) == 2  # the bootstrap admin's and sam's
    assert all(token not in str(value) for row in rows for value in row.values())
    assert hashlib.sha256(token.encode()).hexdigest() in {row["token_hash"] for row in rows}


def test_tokens_expire_after_token_ttl_hours(
    app: FastAPI, client: TestClient, clock: FakeClock
) -> None:
    issued = clock.now
    created = create(client, "sam")
    ttl = timedelta(hours=app.state.settings.token_ttl_hours)
    assert datetime.fromisoformat(created["token_expires_at"]) == issued + ttl
    clock.now = issued + ttl - timedelta(minutes=1)
    assert works(client, created["token"])
    clock.now = issued + ttl
    assert not works(client, created["token"])
    assert works(client, ADMIN["Authorization"][7:])  # the bootstrap token does not expire


def test_login_tokens_expire_after_login_token_ttl_hours(
    app: FastAPI, client: TestClient, clock: FakeClock
) -> None:
    create(client, "sam", password=PASSWORD)
    issued = clock.now
    answer = login(client, "sam").json()
    ttl = timedelta(hours=app.state.settings.login_token_ttl_hours)
    assert datetime.fromisoformat(answer["expires_at"]) == issued + ttl
    clock.now = issued + ttl - timedelta(seconds=1)
    assert works(client, answer["token"])
    clock.now = issued + ttl + timedelta(seconds=1)
    assert not works(client, answer["token"])


def test_revoking_a_users_tokens_takes_effect_at_once(client: TestClient) -> None:
    sam = create(client, "sam", password=PASSWORD)
    kim = create(client, "kim")
    second = login(client, "sam").json()["token"]
    assert works(client, sam["token"]) and works(client, second)
    revoked = client.delete(f"/api/users/{sam['id']}/tokens", headers=ADMIN)
    assert revoked.status_code == 200 and revoked.json() == {"revoked": 2}
    assert not works(client, sam["token"])
    assert not works(client, second)
    assert works(client, kim["token"])
    # The user may still log in and get a new token.
    assert works(client, login(client, "sam").json()["token"])
    missing = client.delete("/api/users/9999/tokens", headers=ADMIN)
    assert_problem(missing, 404, "not_found")


def test_a_disabled_user_can_neither_call_nor_log_in(client: TestClient) -> None:
    sam = create(client, "sam", password=PASSWORD)
    kim = create(client, "kim")
    disabled = client.patch(f"/api/users/{sam['id']}", json={"disabled": True}, headers=ADMIN)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert not works(client, sam["token"])
    assert_problem(login(client, "sam"), 401, "unauthorized")
    assert works(client, kim["token"])
    enabled = client.patch(f"/api/users/{sam['id']}", json={"disabled": False}, headers=ADMIN)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert works(client, login(client, "sam").json()["token"])


def test_logout_revokes_only_the_token_it_carries(client: TestClient) -> None:
    sam = create(client, "sam", password=PASSWORD)
    session_token = login(client, "sam").json()["token"]
    out = client.post("/api/logout", headers=bearer(session_token))
    assert out.status_code == 200, out.text
    assert not works(client, session_token)
    assert_problem(client.post("/api/logout", headers=bearer(session_token)), 401, "unauthorized")
    assert works(client, sam["token"])
    assert_problem(client.post("/api/logout"), 401, "unauthorized")


# --- login ----------------------------------------------------------------------------------


def test_login_with_the_right_password_gives_a_working_token(client: TestClient) -> None:
    create(client, "sam", password=PASSWORD)
    response = login(client, "sam")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["role"] == "scheduler"
    assert works(client, answer["token"])
    # The token carries the user's role: a scheduler, not an administrator.
    assert_problem(client.get("/api/users", headers=bearer(answer["token"])), 403, "forbidden")


def test_login_failures_are_401(client: TestClient) -> None:
    create(client, "sam", password=PASSWORD)
    create(client, "tokenonly")  # no password: it cannot log in with one
    wrong = assert_problem(login(client, "sam", "wrong password"), 401, "unauthorized")
    unknown = assert_problem(login(client, "nobody"), 401, "unauthorized")
    assert wrong["detail"] == unknown["detail"]  # no hint which one exists
    assert_problem(login(client, "tokenonly", "anything at all"), 401, "unauthorized")
    assert_problem(client.post("/api/login", json={"username": "sam"}), 422, "validation_error")


def test_passwords_are_stored_as_argon2_hashes(
    app: FastAPI, client: TestClient, real_argon2: None
) -> None:
    sam = create(client, "sam", password=PASSWORD)
    with app.state.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM users WHERE id = :id"), {"id": sam["id"]}
        ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PasswordHasher().check_needs_rehash(stored) is False  # today's recommended cost
    changed = client.patch(
        f"/api/users/{sam['id']}", json={"password": "a new long password"}, headers=ADMIN
    )
    assert changed.status_code == 200, changed.text
    with app.state.engine.connect() as conn:
        again = conn.execute(
            text("SELECT password_hash FROM users WHERE id = :id"), {"id": sam["id"]}
        ).scalar_one()
    assert again.startswith("$argon2") and again != stored
    assert_problem(login(client, "sam"), 401, "unauthorized")
    assert login(client, "sam", "a new long password").status_code == 200


def test_repeated_failures_for_one_user_are_429_from_that_address_only(
    app: FastAPI, client: TestClient, elsewhere: TestClient, clock: FakeClock
) -> None:
    create(client, "sam", password=PASSWORD)
    create(client, "kim", password=PASSWORD)
    limit = app.state.settings.login_max_failures
    for _ in range(limit - 1):
        assert_problem(login(elsewhere, "sam", "guess"), 401, "unauthorized")
    # Sam logging in from the first address does not give the guesser fresh attempts.
    assert login(client, "sam").status_code == 200
    assert_problem(login(elsewhere, "sam", "guess"), 401, "unauthorized")
    # Even the right password is refused from the guessing address ...
    assert_problem(login(elsewhere, "sam"), 429, "too_many_requests")
    # ... but not from another address (sam is not locked out by someone else's guesses),
    assert login(client, "sam").status_code == 200
    # and another user from the guessing address is below the address's own, higher limit.
    assert login(elsewhere, "kim").status_code == 200
    clock.now += timedelta(minutes=app.state.settings.login_window_minutes, seconds=1)
    assert works(elsewhere, login(elsewhere, "sam").json()["token"])


def test_repeated_failures_from_one_address_are_429(
    app: FastAPI, client: TestClient, elsewhere: TestClient, clock: FakeClock
) -> None:
    create(client, "sam", password=PASSWORD)
    limit = app.state.settings.login_max_failures_per_address
    for index in range(limit):
        assert_problem(login(client, f"guess{index}", "guess"), 401, "unauthorized")
    assert_problem(login(client, "sam"), 429, "too_many_requests")
    assert_problem(login(client, "someone-else", "guess"), 429, "too_many_requests")
    # The same user from another address is let in.
    assert login(elsewhere, "sam").status_code == 200
    clock.now += timedelta(minutes=app.state.settings.login_window_minutes - 1)
    assert_problem(login(client, "sam"), 429, "too_many_requests")
    clock.now += timedelta(minutes=1, seconds=1)
    assert login(client, "sam").status_code == 200


def test_one_failure_short_of_the_limit_still_logs_in(app: FastAPI, client: TestClient) -> None:
    create(client, "sam", password=PASSWORD)
    for _ in range(app.state.settings.login_max_failures - 1):
        assert_problem(login(client, "sam", "guess"), 401, "unauthorized")
    assert login(client, "sam").status_code == 200
    # A success clears the user's failures.
    for _ in range(app.state.settings.login_max_failures - 1):
        assert_problem(login(client, "sam", "guess"), 401, "unauthorized")
    assert login(client, "sam").status_code == 200


def test_the_bootstrap_admin_exists(client: TestClient) -> None:
    response = client.get("/api/users", headers=ADMIN)
    assert response.status_code == 200
    assert [(u["username"], u["role"]) for u in response.json()] == [("admin", "admin")]


def test_a_login_is_audited_with_the_user_who_logged_in(client: TestClient) -> None:
    user = create(client, "sam", password=PASSWORD)
    assert login(client, "sam").status_code == 200
    entries = client.get("/api/audit", params={"entity": "user"}, headers=ADMIN).json()
    logins = [e for e in entries if e["action"] == "POST /api/login"]
    assert [(e["actor_id"], e["actor"], e["role"], e["outcome"]) for e in logins] == [
        (user["id"], "sam", "scheduler", "success")
    ]
