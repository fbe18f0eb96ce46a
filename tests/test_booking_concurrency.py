"""Concurrent bookings for one therapist, patient or room: exactly one succeeds (docs/rules.md).

Real threads against a real server (uvicorn), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial

import httpx2
import pytest
from fastapi import FastAPI

from tests.live_server import all_at_once, client, created, overlapping_active, serve

N = 32
DAY = "2026-03-10"


@pytest.fixture
def http(app: FastAPI) -> Iterator[httpx2.Client]:
    with serve(app) as base_url, client(base_url) as live:
        yield live


def _setup(
    http: httpx2.Client, therapists: int, patients: int, room_kind: str | None = None
) -> tuple[list[int], list[int]]:
    """Therapists (physio, 08:00–17:00 daily), patients each with an infusion at 07:00."""
    created(
        http,
        "/api/session-types",
        {
            "key": "rehab",
            "name": "Rehab",
            "duration_minutes": 60,
            "discipline": "physio",
            "window": "peak",
            "room_kind": room_kind,
        },
    )
    therapist_ids = [
        created(
            http,
            "/api/therapists",
            {
                "name": f"T{i}",
                "disciplines": ["physio"],
                "working_hours": [{"rrule": "FREQ=DAILY", "start": "08:00", "end": "17:00"}],
            },
        )["id"]
        for i in range(therapists)
    ]
    infusion_ids = []
    for i in range(patients):
        patient = created(http, "/api/patients", {"name": f"P{i}"})
        infusion = {"patient_id": patient["id"], "start": f"{DAY}T07:00"}
        infusion_ids.append(created(http, "/api/infusions", infusion)["id"])
    return therapist_ids, infusion_ids


def _start(i: int) -> str:
    """Starts between 10:40 and 11:05 (peak 10:40–12:40): any two 60-minute sessions overlap."""
    minute = 40 + 5 * (i % 6)
    return f"{DAY}T{10 + minute // 60}:{minute % 60:02d}"


def _book(http: httpx2.Client, body: dict[str, object]) -> httpx2.Response:
    return http.post("/api/sessions", json=body)


def _fire(http: httpx2.Client, bodies: list[dict[str, object]]) -> Counter[tuple[int, str]]:
    calls: list[Callable[[], httpx2.Response]] = [partial(_book, http, b) for b in bodies]
    answers = all_at_once(calls)
    assert all(a.status_code != 500 for a in answers), [a.text for a in answers]
    return Counter(
        (a.status_code, "created" if a.status_code == 201 else a.json()["code"]) for a in answers
    )


def _active(http: httpx2.Client) -> list[dict[str, object]]:
    response = http.get("/api/sessions", params={"limit": 500})
    assert response.status_code == 200
    return [s for s in response.json() if s["status"] in ("booked", "checked_in")]


def test_one_therapist(http: httpx2.Client, database_url: str) -> None:
    (therapist,), infusions = _setup(http, therapists=1, patients=N)
    bodies = [
        {
            "infusion_id": infusions[i],
            "session_type": "rehab",
            "start": _start(i),
            "therapist_id": therapist,
        }
        for i in range(N)
    ]
    outcome = _fire(http, bodies)
    assert outcome == {(201, "created"): 1, (409, "therapist_busy"): N - 1}
    assert len(_active(http)) == 1
    assert overlapping_active(database_url) == []


def test_one_patient(http: httpx2.Client, database_url: str) -> None:
    therapists, (infusion,) = _setup(http, therapists=N, patients=1)
    bodies = [
        {"infusion_id": infusion, "session_type": "rehab", "start": _start(i), "therapist_id": t}
        for i, t in enumerate(therapists)
    ]
    outcome = _fire(http, bodies)
    assert outcome == {(201, "created"): 1, (409, "patient_busy"): N - 1}
    assert len(_active(http)) == 1
    assert overlapping_active(database_url) == []


def test_one_room(http: httpx2.Client, database_url: str) -> None:
    therapists, infusions = _setup(http, therapists=N, patients=N, room_kind="pool")
    created(http, "/api/rooms", {"name": "Pool", "kind": "pool"})
    bodies = [
        {"infusion_id": f, "session_type": "rehab", "start": _start(i), "therapist_id": t}
        for i, (f, t) in enumerate(zip(infusions, therapists, strict=True))
    ]
    outcome = _fire(http, bodies)
    assert outcome == {(201, "created"): 1, (409, "room_unavailable"): N - 1}
    assert overlapping_active(database_url) == []


def test_no_therapist_named(http: httpx2.Client, database_url: str) -> None:
    """Four therapists, 32 patients, the same hour, no therapist named: four bookings."""
    _, infusions = _setup(http, therapists=4, patients=N)
    bodies = [
        {"infusion_id": f, "session_type": "rehab", "start": _start(i)}
        for i, f in enumerate(infusions)
    ]
    outcome = _fire(http, bodies)
    assert outcome == {(201, "created"): 4, (409, "no_therapist_free"): N - 4}
    assert len({s["therapist_id"] for s in _active(http)}) == 4
    assert overlapping_active(database_url) == []
