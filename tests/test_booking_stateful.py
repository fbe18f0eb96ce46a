"""A hypothesis state machine: book, move, cancel and change statuses at random through the
API, against an in-memory model; after every step the database holds no overlap, every active
session fits its window (or carries an override), and the API agrees with the model.

Each run gets a fresh database: a copy of the migrated SQLite template, or PostgreSQL emptied
the way conftest does it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app import create_app
from models.db import sqlite_url_for
from models.tables import TherapySession
from planner.sessions import ALLOWED
from services.settings import Settings
from tests.support import ADMIN, ADMIN_TOKEN, Api, FakeClock

DAY = "2026-03-10"
TYPES = {
    "rehab": ("peak", 60, None),
    "hydro": ("peak", 45, "pool"),
    "walk": ("plasticity", 30, None),
}
THERAPISTS = [  # name, buffer, daily limit, shift
    ("Dana", 0, None, ("08:00", "17:00")),
    ("Eli", 10, None, ("08:00", "17:00")),
    ("Fay", 0, 2, ("10:30", "13:00")),
]
INFUSIONS = [
    ("Pat", "07:00"),
    ("Quinn", "07:30"),
    ("Rae", "08:00"),
    ("Pat", "05:00"),
    ("Sam", "07:15"),
]
REFUSALS = {
    "in_the_past",
    "outside_window",
    "therapist_unavailable",
    "therapist_busy",
    "patient_busy",
    "in_recovery",
    "room_unavailable",
    "daily_limit",
    "no_therapist_free",
}


@dataclass
class Booked:
    infusion: int
    kind: str
    start: datetime
    end: datetime
    therapist_id: int
    room_id: int | None
    status: str = "booked"
    outside_window: bool = False


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        bootstrap_admin_token=ADMIN_TOKEN,
        clinic_name="Test Clinic",
        clinic_timezone="America/New_York",
        _env_file=None,
    )


def build_clinic(url: str) -> tuple[list[dict[str, Any]], dict[int, timedelta]]:
    """Therapists, a pool, session types, patients and infusions: once per backend."""
    with TestClient(create_app(_settings(url), clock=FakeClock())) as client:
        api = Api(client)
        buffers: dict[int, timedelta] = {}
        for name, buffer, limit, (start, end) in THERAPISTS:
            extra: dict[str, Any] = {"max_sessions_per_day": limit} if limit else {}
            made = api.therapist(name, ("physio",), start, end, buffer_minutes=buffer, **extra)
            buffers[made["id"]] = timedelta(minutes=buffer)
        api.therapist("Gus", ("speech",))
        api.room("Pool", "pool")
        for key, (window, minutes, room_kind) in TYPES.items():
            api.session_type(key, window, "physio", minutes, room_kind=room_kind)
        patients: dict[str, int] = {}
        infusions = []
        for name, start in INFUSIONS:
            if name not in patients:
                patients[name] = api.patient(name)["id"]
            infusions.append(api.infusion(patients[name], f"{DAY}T{start}"))
    return infusions, buffers


class BookingMachine(RuleBasedStateMachine):
    fresh_database: ClassVar[Callable[[], str]]
    """A URL whose database holds the clinic of ``build_clinic`` and no session."""
    infusions: ClassVar[list[dict[str, Any]]]
    buffers: ClassVar[dict[int, timedelta]]

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.app = create_app(_settings(type(self).fresh_database()), clock=self.clock)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.client.__enter__()
        self.api = Api(self.client)
        self.model: dict[int, Booked] = {}

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)

    # -- helpers ---------------------------------------------------------------------------
    def _window(self, infusion: int, kind: str) -> tuple[datetime, datetime]:
        key = TYPES[kind][0]
        window = next(w for w in self.infusions[infusion]["windows"] if w["key"] == key)
        return _at(window["start"]), _at(window["end"])

    def _check_refusal(self, response: Any, allowed: set[str], moving: int | None = None) -> None:
        assert response.status_code in (409, 422), response.text
        body = response.json()
        assert body["code"] in allowed, body
        for conflict in body.get("conflicts", []):
            if conflict["kind"] == "session":  # another active session is in the way
                assert conflict["id"] != moving, body
                assert self.model[conflict["id"]].status in ("booked", "checked_in")

    # -- rules -----------------------------------------------------------------------------
    @rule(
        infusion=st.integers(0, len(INFUSIONS) - 1),
        kind=st.sampled_from(sorted(TYPES)),
        steps=st.integers(-2, 14),
        therapist=st.sampled_from([None, None, 1, 2, 3]),
        override=st.sampled_from([False, False, False, True]),
    )
    def book(
        self, infusion: int, kind: str, steps: int, therapist: int | None, override: bool
    ) -> None:
        opens, _ = self._window(infusion, kind)
        start = opens + timedelta(minutes=5 * steps)
        body: dict[str, Any] = {
            "infusion_id": self.infusions[infusion]["id"],
            "session_type": kind,
            "start": start.isoformat(),
        }
        if therapist is not None:
            body["therapist_id"] = therapist
        if override:
            body["override_reason"] = "staff decided"
        response = self.api.post("/api/sessions", body)
        if response.status_code != 201:
            self._check_refusal(response, REFUSALS - ({"outside_window"} if override else set()))
            return
        made = response.json()
        assert made["id"] not in self.model
        assert _at(made["start"]) == start
        assert therapist is None or made["therapist_id"] == therapist
        assert (made["room_id"] is not None) == (TYPES[kind][2] is not None)
        self.model[made["id"]] = Booked(
            infusion,
            kind,
            start,
            _at(made["end"]),
            made["therapist_id"],
            made["room_id"],
            outside_window=made["outside_window"],
        )

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), steps=st.integers(-3, 24), change_therapist=st.booleans())
    def move(self, data: st.DataObject, steps: int, change_therapist: bool) -> None:
        sid = data.draw(st.sampled_from(sorted(self.model)))
        booked = self.model[sid]
        opens, _ = self._window(booked.infusion, booked.kind)
        start = opens + timedelta(minutes=5 * steps)
        body: dict[str, Any] = {"start": start.isoformat()}
        if change_therapist:
            body["therapist_id"] = data.draw(st.sampled_from([1, 2, 3]))
        response = self.client.patch(f"/api/sessions/{sid}", json=body, headers=ADMIN)
        if booked.status != "booked":
            self._check_refusal(response, {"invalid_transition"})
            return
        if response.status_code != 200:
            self._check_refusal(response, REFUSALS - {"no_therapist_free"}, moving=sid)
            return
        moved = response.json()
        assert moved["id"] == sid and _at(moved["start"]) == start
        booked.start, booked.end = start, _at(moved["end"])
        booked.therapist_id, booked.room_id = moved["therapist_id"], moved["room_id"]
        booked.outside_window = moved["outside_window"]

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        sid = data.draw(st.sampled_from(sorted(self.model)))
        response = self.api.post(f"/api/sessions/{sid}/cancel", {"reason": "random"})
        if "cancelled" in ALLOWED[self.model[sid].status]:
            assert response.status_code == 200, response.text
            self.model[sid].status = "cancelled"
        else:
            self._check_refusal(response, {"invalid_transition"})

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), status=st.sampled_from(["checked_in", "completed", "no_show"]))
    def change_status(self, data: st.DataObject, status: str) -> None:
        """At the session's start (allowed) or well before it (too early), then back."""
        sid = data.draw(st.sampled_from(sorted(self.model)))
        early = data.draw(st.booleans())
        start = self.model[sid].start
        before = self.clock.now
        self.clock.now = start - timedelta(minutes=45) if early else start + timedelta(seconds=17)
        try:
            response = self.api.post(f"/api/sessions/{sid}/status", {"status": status})
        finally:
            self.clock.now = before
        if status not in ALLOWED[self.model[sid].status]:
            self._check_refusal(response, {"invalid_transition"})
        elif early:
            self._check_refusal(response, {"too_early"})
        else:
            assert response.status_code == 200, response.text
            self.model[sid].status = status

    # -- invariants ------------------------------------------------------------------------
    @invariant()
    def the_database_holds_no_overlap_and_no_silent_outside_window(self) -> None:
        with Session(self.app.state.engine) as session:
            rows = [
                r
                for r in session.scalars(select(TherapySession))
                if r.status in ("booked", "checked_in")
            ]
        for i, a in enumerate(rows):
            for b in rows[i + 1 :]:
                overlap = a.start < b.end and b.start < a.end
                if a.therapist_id == b.therapist_id:
                    pad = self.buffers[a.therapist_id]
                    assert not (a.start - pad < b.end and b.start < a.end + pad), (a.id, b.id)
                assert not (overlap and a.patient_id == b.patient_id), (a.id, b.id)
                assert not (overlap and a.room_id is not None and a.room_id == b.room_id)
        for row in rows:
            booked = self.model[row.id]
            opens, closes = self._window(booked.infusion, booked.kind)
            fits = opens <= row.start and row.end <= closes
            assert row.outside_window == (not fits), row.id
            if not fits:
                assert row.override_reason, row.id

    @invariant()
    def no_session_lies_in_an_infusion_or_its_recovery(self) -> None:
        """Override or not: a patient's infusion and its recovery hold the patient."""
        visits = [
            (i["patient_id"], _at(i["start"]), _at(i["recovery_end"])) for i in self.infusions
        ]
        assert all(
            end - _at(i["end"]) == timedelta(hours=1)
            for (_, _, end), i in zip(visits, self.infusions, strict=True)
        )
        with Session(self.app.state.engine) as session:
            for row in session.scalars(select(TherapySession)):
                if row.status not in ("booked", "checked_in"):
                    continue
                for patient, start, until in visits:
                    inside = row.start < until and start < row.end
                    assert not (patient == row.patient_id and inside), row.id

    @invariant()
    def the_api_agrees_with_the_model(self) -> None:
        response = self.api.get("/api/sessions", limit=500)
        assert response.status_code == 200
        seen = {
            s["id"]: (_at(s["start"]), s["therapist_id"], s["status"], s["outside_window"])
            for s in response.json()
        }
        assert seen == {
            sid: (b.start, b.therapist_id, b.status, b.outside_window)
            for sid, b in self.model.items()
        }


def test_booking_state_machine(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        clinic_file = Path(database_url.removeprefix("sqlite:///"))
        BookingMachine.infusions, BookingMachine.buffers = build_clinic(database_url)
        runs = iter(range(10_000))

        def fresh_database() -> str:
            path = tmp_path / f"run-{next(runs)}.db"
            shutil.copyfile(clinic_file, path)
            return sqlite_url_for(path)
    else:
        BookingMachine.infusions, BookingMachine.buffers = build_clinic(database_url)
        engine = request.getfixturevalue("pg_engine")

        def fresh_database() -> str:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM sessions"))
                conn.execute(text("DELETE FROM idempotency_keys"))
            return database_url

    BookingMachine.fresh_database = staticmethod(fresh_database)
    run_state_machine_as_test(
        BookingMachine,
        settings=settings(max_examples=15, stateful_step_count=15, deadline=None),
    )
