"""Test helpers: a settable clock and shortcuts that build a small clinic through the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from models.db import reading_engine

ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
WEEKDAYS = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
EVERY_DAY = "FREQ=DAILY"


@dataclass
class FakeClock:
    """A clock the test sets; code under test only ever asks it."""

    # Between two minutes, as the real clock nearly always is (whole-minute "now" hid a 500).
    now: datetime = field(
        default_factory=lambda: datetime(2026, 3, 1, 12, 0, 17, 250000, tzinfo=UTC)
    )

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, wall: str, zone: str = "America/New_York") -> None:
        """Stand at ``wall`` (``2026-03-10T10:41``) on the clinic's clock, 17.25 s past it."""
        local = datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone))
        self.now = local.astimezone(UTC) + timedelta(seconds=17.25)


@dataclass
class Api:
    """A client with the admin token, and helpers that create things and return their JSON."""

    client: TestClient

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(path, params=params or None, headers=headers or ADMIN)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, json=body, headers=headers or ADMIN)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.client.request(method, path, json=body, headers=ADMIN)
        assert response.status_code == status, response.text
        return response.json()

    def user(
        self, role: str, therapist_id: int | None = None, name: str | None = None
    ) -> dict[str, str]:
        body: dict[str, Any] = {"username": name or f"{role}-{therapist_id or 0}", "role": role}
        if therapist_id is not None:
            body["therapist_id"] = therapist_id
        token = self.ok("POST", "/api/users", body, 201)["token"]
        return {"Authorization": f"Bearer {token}"}

    def therapist(
        self,
        name: str = "Dana",
        disciplines: tuple[str, ...] = ("physio",),
        start: str = "08:00",
        end: str = "17:00",
        rrule: str = EVERY_DAY,
        **extra: Any,
    ) -> Any:
        body = {
            "name": name,
            "disciplines": list(disciplines),
            "working_hours": [{"rrule": rrule, "start": start, "end": end}],
            **extra,
        }
        return self.ok("POST", "/api/therapists", body, 201)

    def room(self, name: str = "Gym", kind: str = "gym") -> Any:
        return self.ok("POST", "/api/rooms", {"name": name, "kind": kind}, 201)

    def session_type(
        self,
        key: str = "physical_rehabilitation",
        window: str = "peak",
        discipline: str = "physio",
        duration_minutes: int = 60,
        room_kind: str | None = None,
    ) -> Any:
        body = {
            "key": key,
            "name": key.replace("_", " ").title(),
            "duration_minutes": duration_minutes,
            "discipline": discipline,
            "window": window,
            "room_kind": room_kind,
        }
        return self.ok("POST", "/api/session-types", body, 201)

    def patient(self, name: str = "Pat Example", mrn: str | None = None) -> Any:
        return self.ok("POST", "/api/patients", {"name": name, "mrn": mrn}, 201)

    def infusion(self, patient_id: int, start: str, **extra: Any) -> Any:
        return self.ok(
            "POST", "/api/infusions", {"patient_id": patient_id, "start": start, **extra}, 201
        )

    def book(
        self, infusion_id: int, session_type: str, start: str, therapist_id: int | None = None
    ) -> Any:
        """``POST /api/sessions`` (no therapist: the best free one); the session booked."""
        body: dict[str, Any] = {"infusion_id": infusion_id, "session_type": session_type}
        body["start"] = start
        if therapist_id is not None:
            body["therapist_id"] = therapist_id
        return self.ok("POST", "/api/sessions", body, 201)


@contextmanager
def counted(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app's engines run inside the ``with`` block (PostgreSQL reads
    have an engine of their own, ``models.db.reading_engine``; SQLite's shares the events)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine
    reading = reading_engine(engine)
    engines = [engine] if reading.pool is engine.pool else [engine, reading]
    for each in engines:
        event.listen(each, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for each in engines:
            event.remove(each, "before_cursor_execute", count)
