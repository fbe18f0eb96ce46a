"""A small clinic with real ids for the access and audit tests, and route-table helpers.

Two therapists (``t1`` Dana, ``t2`` Eli, both physio), each with a therapist user, and a
scheduler. Patient ``p1`` has infusion ``inf1`` on 2026-03-10 07:00 (New York) and session
``s1`` with ``t1`` at 11:10; patient ``p2`` has ``inf2`` and session ``s2`` with ``t2``.
``inf3`` (p1, the next day) carries the spare session ``s3`` with ``t1``; ``inf4`` has no
session. The clock stands at 2026-03-01 12:00 UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from models.tables import AuditEntry
from tests.support import ADMIN, Api

DAY = "2026-03-10"
NEXT_DAY = "2026-03-11"
REHAB = "physical_rehabilitation"
PASSWORD = "correct horse battery"

Headers = dict[str, str]


@dataclass
class Site:
    api: Api
    t1: int
    t2: int
    p1: int
    p2: int
    inf1: int
    inf2: int
    inf3: int
    inf4: int
    s1: int
    s2: int
    s3: int
    dana: Headers
    eli: Headers
    scheduler: Headers
    users: dict[str, int]

    @property
    def admin(self) -> Headers:
        return ADMIN


def book(api: Api, infusion_id: int, start: str, therapist_id: int) -> int:
    return int(api.book(infusion_id, REHAB, start, therapist_id)["id"])


def make_user(api: Api, username: str, role: str, **extra: Any) -> tuple[int, Headers]:
    created = api.ok("POST", "/api/users", {"username": username, "role": role, **extra}, 201)
    return int(created["id"]), {"Authorization": f"Bearer {created['token']}"}


def build_site(api: Api) -> Site:
    t1 = api.therapist("Dana", ("physio",))["id"]
    t2 = api.therapist("Eli", ("physio",))["id"]
    api.session_type(REHAB, "peak", "physio", 60)
    p1 = api.patient("Pat Onename")["id"]
    p2 = api.patient("Quinn Othername")["id"]
    inf1 = api.infusion(p1, f"{DAY}T07:00")["id"]
    inf2 = api.infusion(p2, f"{DAY}T07:00")["id"]
    inf3 = api.infusion(p1, f"{NEXT_DAY}T07:00")["id"]
    inf4 = api.infusion(p2, f"{NEXT_DAY}T07:00")["id"]
    s1 = book(api, inf1, f"{DAY}T11:10", t1)
    s2 = book(api, inf2, f"{DAY}T11:10", t2)
    s3 = book(api, inf3, f"{NEXT_DAY}T11:10", t1)
    users: dict[str, int] = {}
    users["dana"], dana = make_user(api, "dana", "therapist", therapist_id=t1)
    users["eli"], eli = make_user(api, "eli", "therapist", therapist_id=t2)
    users["sched"], scheduler = make_user(api, "sched", "scheduler")
    users["admin"] = next(u["id"] for u in api.ok("GET", "/api/users") if u["username"] == "admin")
    return Site(
        api, t1, t2, p1, p2, inf1, inf2, inf3, inf4, s1, s2, s3, dana, eli, scheduler, users
    )


@pytest.fixture
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with the cheapest parameters, so password tests stay fast.

    The application still hashes and verifies through its own code; only the cost of each
    hash changes (``$argon2id$…`` all the same). The real parameters are checked in
    tests/test_auth.py.
    """
    import services.users

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(services.users, "_hasher", cheap)
    monkeypatch.setattr(services.users, "_DUMMY_HASH", cheap.hash("not a password anyone has"))


@pytest.fixture
def site(api: Api) -> Site:
    return build_site(api)


def api_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    """Every (method, path template, route) the application serves under ``/api``.

    Reads the routes the way the application dispatches them: FastAPI ≥ 0.130 keeps
    included routers as wrappers, older versions list their routes directly.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI
        contexts: list[Any] = list(app.routes)
    else:
        contexts = list(iter_route_contexts(app.routes))
    for context in contexts:
        route = getattr(context, "original_route", context)
        if not isinstance(route, APIRoute):
            continue
        path = getattr(context, "path", None) or route.path
        if path != "/api" and not path.startswith("/api/"):
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, path, route


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def audit_count(app: FastAPI, **where: Any) -> int:
    """Rows in ``audit_entries`` (optionally only those whose columns equal ``where``)."""
    query = select(func.count(AuditEntry.id))
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    with app.state.engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def last_audit_id(app: FastAPI) -> int:
    with app.state.engine.connect() as conn:
        return int(conn.scalar(select(func.max(AuditEntry.id))) or 0)


def audit_after(api: Api, last_id: int, **params: Any) -> list[dict[str, Any]]:
    """The entries GET /api/audit answers (as admin) whose id is above ``last_id``."""
    response = api.get("/api/audit", limit=500, **params)
    assert response.status_code == 200, response.text
    return [entry for entry in response.json() if entry["id"] > last_id]
