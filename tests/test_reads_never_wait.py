"""Reads never wait for writes (issue 14): slot searches, day views, lists and plan previews
run in reading transactions, which take no write lock on SQLite and no row lock on
PostgreSQL. Real threads against a real server (uvicorn), on both databases.

The first test holds, in a transaction of its own, exactly the locks a booking holds while it
checks the calendar (SQLite's write lock; on PostgreSQL the patient's, every therapist's and
every room's row) and shows that every read answers while a booking sent meanwhile waits.
The second reads all through a booking storm.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from models.db import make_engine, session_factory
from models.uow import UnitOfWork
from planner.intervals import Interval
from services import day_plan
from tests.live_server import all_at_once, client, created, overlapping_active, serve

DAY = "2026-03-10"
READ_DEADLINE_S = 10  # far below SQLite's 15 s busy timeout: a waiting read would miss it


@pytest.fixture
def http(app: FastAPI) -> Iterator[httpx2.Client]:
    with serve(app) as base_url, client(base_url) as live:
        yield live


def _clinic(
    http: httpx2.Client, therapists: int, patients: int, care_plan: tuple[str, ...] = ()
) -> tuple[list[int], list[int]]:
    created(
        http,
        "/api/session-types",
        {
            "key": "rehab",
            "name": "Rehab",
            "duration_minutes": 45,
            "discipline": "physio",
            "window": "peak",
            "room_kind": "gym",
        },
    )
    for n in range(3):
        created(http, "/api/rooms", {"name": f"Gym {n}", "kind": "gym"})
    hours = [{"rrule": "FREQ=DAILY", "start": "08:00", "end": "18:00"}]
    therapist_ids = [
        created(
            http,
            "/api/therapists",
            {"name": f"T{n}", "disciplines": ["physio"], "working_hours": hours},
        )["id"]
        for n in range(therapists)
    ]
    infusion_ids = []
    for n in range(patients):
        patient = created(http, "/api/patients", {"name": f"P{n}"})
        infusion = {  # peak 10:40–12:40
            "patient_id": patient["id"],
            "start": f"{DAY}T07:00",
            "care_plan": list(care_plan),
        }
        infusion_ids.append(created(http, "/api/infusions", infusion)["id"])
    return therapist_ids, infusion_ids


def _reads(
    http: httpx2.Client, therapist: int, infusion: int
) -> list[Callable[[], httpx2.Response]]:
    """One of every kind of read a page or a client makes while others book."""

    def get(path: str, **params: object) -> httpx2.Response:
        return http.get(path, params=params)

    return [
        partial(get, f"/api/infusions/{infusion}/slots", session_type="rehab"),
        partial(get, f"/api/therapists/{therapist}/day", date=DAY),
        partial(get, "/api/sessions", date=DAY),
        partial(get, f"/api/infusions/{infusion}"),
        partial(get, "/api/infusions", date=DAY),
        partial(get, "/api/therapists"),
        partial(
            http.post,
            "/api/plan/day",
            json={"date": DAY, "commit": False, "time_limit_seconds": 1},
        ),
        partial(
            http.post,
            f"/api/infusions/{infusion}/plan",
            json={"session_types": ["rehab"], "commit": False},
        ),
    ]


class BookingLocks:
    """Holds, until ``release``, what a booking holds while it checks the calendar."""

    def __init__(self, database_url: str, infusion_id: int) -> None:
        self.engine = make_engine(database_url)
        self.uow = UnitOfWork(session_factory(self.engine))
        self.held = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(infusion_id,))

    def _hold(self, infusion_id: int) -> None:
        with self.uow as uow:
            infusion = uow.infusions.get(infusion_id)
            span = Interval(infusion.start, infusion.start + timedelta(hours=12))
            uow.calendar.board(infusion, span, uow.clinic.zone(), datetime.now().astimezone())
            self.held.set()
            self.done.wait(timeout=60)

    def __enter__(self) -> BookingLocks:
        self.thread.start()
        assert self.held.wait(timeout=20), "the booking's locks were not taken"
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join(timeout=30)
        self.engine.dispose()


def _in_thread(call: Callable[[], httpx2.Response]) -> tuple[threading.Thread, list[object]]:
    answer: list[object] = []
    thread = threading.Thread(target=lambda: answer.append(call()), daemon=True)
    thread.start()
    return thread, answer


def test_every_read_answers_while_a_booking_holds_its_locks(
    http: httpx2.Client, database_url: str
) -> None:
    therapists, infusions = _clinic(http, therapists=3, patients=2)
    booking = {"infusion_id": infusions[0], "session_type": "rehab", "start": f"{DAY}T11:00"}
    with BookingLocks(database_url, infusions[0]):
        waiting_booking, booked = _in_thread(partial(http.post, "/api/sessions", json=booking))
        reads = [_in_thread(read) for read in _reads(http, therapists[0], infusions[1])]
        for thread, _ in reads:
            thread.join(timeout=READ_DEADLINE_S)
        answers = [answer[0] if answer else None for _, answer in reads]
        assert all(isinstance(a, httpx2.Response) for a in answers), answers
        assert [a.status_code for a in answers if isinstance(a, httpx2.Response)] == [200] * 8
        # the control: the locks are real, so the booking sent meanwhile is still waiting
        assert waiting_booking.is_alive() and not booked
    waiting_booking.join(timeout=30)
    assert [getattr(a, "status_code", a) for a in booked] == [201]


def test_reads_answer_through_a_booking_storm(http: httpx2.Client, database_url: str) -> None:
    therapists, infusions = _clinic(http, therapists=4, patients=16)
    storm = [
        partial(
            http.post,
            "/api/sessions",
            json={
                "infusion_id": infusion,
                "session_type": "rehab",
                "start": f"{DAY}T10:{40 + (n % 4) * 5:02d}",
            },
        )
        for n, infusion in enumerate(infusions)
    ]
    reads = [read for n in range(2) for read in _reads(http, therapists[n], infusions[n])]
    answers = all_at_once([*storm, *reads])
    bookings, read_answers = answers[: len(storm)], answers[len(storm) :]
    assert {a.status_code for a in bookings} <= {201, 409}, [a.text for a in bookings]
    assert sum(a.status_code == 201 for a in bookings) >= 3  # 3 gyms
    assert [a.status_code for a in read_answers] == [200] * len(reads)
    assert overlapping_active(database_url) == []


def test_a_booking_does_not_wait_while_plan_this_day_optimizes(
    http: httpx2.Client, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Plan this day" with ``commit`` optimizes in a reading transaction and books after:
    here the optimizer is held until a booking made meanwhile has its answer (before, the
    booking waited for the plan's write lock, and the optimizer for the booking)."""
    therapists, infusions = _clinic(http, therapists=3, patients=3, care_plan=("rehab",))
    optimizing, booked = threading.Event(), threading.Event()
    real = day_plan.optimize

    def held_optimizer(*args: Any, **kwargs: Any) -> Any:
        optimizing.set()
        booked.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(day_plan, "optimize", held_optimizer)
    body = {"date": DAY, "commit": True, "time_limit_seconds": 1}
    planning, planned = _in_thread(partial(http.post, "/api/plan/day", json=body))
    assert optimizing.wait(timeout=20)
    booking = {
        "infusion_id": infusions[0],
        "session_type": "rehab",
        "start": f"{DAY}T10:40",
        "therapist_id": therapists[0],
    }
    answer = http.post("/api/sessions", json=booking, timeout=READ_DEADLINE_S)
    booked.set()
    assert answer.status_code == 201, answer.text
    planning.join(timeout=60)
    plan = planned[0]
    assert isinstance(plan, httpx2.Response) and plan.status_code == 200, plan
    assert plan.json()["committed"] is True
    booked_types = {(s["infusion_id"], s["session_type"]) for s in plan.json()["sessions"]}
    assert booked_types == {(infusions[1], "rehab"), (infusions[2], "rehab")}
    assert overlapping_active(database_url) == []
