"""How fast is a slot search on a full day? (issue 14: p50 ≤ 5 ms, p99 ≤ 10 ms in process.)

Builds a clinic of 40 therapists and 12 gyms, fills the measured day: every therapist booked
from 07:00 to 18:00 (45-minute sessions, the 10-minute buffer between), except a gap at
11:00–12:00 for every fourth therapist, so the search has to look at every therapist and
still finds a few slots. Then times the slot search for one infusion's peak window, 300
times: the use case alone (``services.booking.slot_search``, what both edges call) and through
the whole app in process (TestClient), once with its answer kept (api/answers.py) and once
with a commit from elsewhere before each search, so that every search is computed again.
Prints median, p99 and the worst, in milliseconds.

    python bench/slot_search.py [--database-url postgresql+psycopg://...] [--repeat 300]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from scale import AUTH, DAY, NOW, empty_database, ok  # the same clinic day and clock
from sqlalchemy import insert, update

from app import create_app
from models.db import make_engine, sqlite_url_for
from models.tables import Patient, TherapySession
from models.uow import UnitOfWork
from services import booking

THERAPISTS, GYMS = 40, 12


def build_clinic(client: TestClient) -> int:
    """The therapists, gyms, two session types and the infusion searched for; its id."""
    hours = [{"rrule": "FREQ=DAILY", "start": "07:00", "end": "19:00"}]
    for n in range(THERAPISTS):
        therapist = {
            "name": f"Therapist {n}",
            "disciplines": ["physical"],
            "working_hours": hours,
            "buffer_minutes": 10,
            "max_sessions_per_day": 14,
        }
        ok(client.post("/api/therapists", headers=AUTH, json=therapist), 201)
    for n in range(GYMS):
        ok(client.post("/api/rooms", headers=AUTH, json={"name": f"Gym {n}", "kind": "gym"}), 201)
    for key, room in (("rehab", "gym"), ("talk", None)):
        kind = {
            "key": key,
            "name": key.title(),
            "duration_minutes": 45,
            "discipline": "physical",
            "window": "peak",
            "room_kind": room,
        }
        ok(client.post("/api/session-types", headers=AUTH, json=kind), 201)
    patient = ok(client.post("/api/patients", headers=AUTH, json={"name": "Searched"}), 201)
    infusion = {"patient_id": patient["id"], "start": f"{DAY}T07:00"}
    return int(ok(client.post("/api/infusions", headers=AUTH, json=infusion), 201)["id"])


def fill_the_day(database_url: str, infusion_id: int) -> int:
    """Every therapist booked all day (a gap at 10:40–12:30 for every fourth); how many."""
    engine = make_engine(database_url)
    day_start = datetime(2026, 3, 10, 11, 0, tzinfo=UTC)  # 07:00 in New York (EDT)
    rows = []
    with engine.begin() as conn:
        patients = conn.execute(
            insert(Patient).returning(Patient.id),
            [{"name": f"Booked {n}", "mrn": None} for n in range(THERAPISTS * 12)],
        )
        patient_ids = list(patients.scalars())
        for therapist in range(THERAPISTS):
            for slot in range(12):
                start = day_start + timedelta(minutes=55 * slot)
                if therapist % 4 == 0 and slot in (4, 5):
                    continue  # the gap
                rows.append(
                    {
                        "infusion_id": infusion_id,
                        "patient_id": patient_ids[therapist * 12 + slot],
                        "session_type": "talk",
                        "therapist_id": therapist + 1,
                        "room_id": None,
                        "start": start,
                        "end": start + timedelta(minutes=45),
                        "status": "booked",
                        "window": "peak",
                        "outside_window": True,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
        conn.execute(insert(TherapySession), rows)
    engine.dispose()
    return len(rows)


def touch(database_url: str, renamed: Iterator[int] = itertools.count()) -> None:
    """A commit from another connection, like the bookings of a clinic's day (a patient
    renamed; writing a value again is no change, and SQLite's data version stays): the kept
    answers of the app no longer hold (api/answers.py), so its next search is computed. The
    reference data (therapists, rooms, session types: models/reference.py) stays kept, as it
    does through a day of bookings."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        renamed_patient = update(Patient).where(Patient.id == 1)
        connection.execute(renamed_patient.values(name=f"Booked {next(renamed)}"))
    engine.dispose()


def timed(
    call: Callable[[], Any], repeat: int, before: Callable[[], Any] = lambda: None
) -> tuple[float, float, float]:
    """Median, 99th percentile and the worst, in milliseconds (``before`` each, not timed)."""
    for _ in range(10):
        call()  # warm up: first-call imports and caches are not what is measured
    samples = []
    for _ in range(repeat):
        before()
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[int(0.99 * (len(samples) - 1))], samples[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    url = args.database_url or sqlite_url_for(Path(folder.name) / "slots.db")
    app = create_app(empty_database(url), clock=lambda: NOW)
    with TestClient(app) as client:
        infusion = build_clinic(client)
        booked = fill_the_day(url, infusion)
        path = f"/api/infusions/{infusion}/slots?session_type=rehab&limit=10"
        found = ok(client.get(path, headers=AUTH))
        factory = app.state.sessions

        def use_case() -> Any:
            uow = UnitOfWork(factory)
            return booking.slot_search(uow, infusion, "rehab", 10, None, lambda: NOW).slots

        def search() -> Any:
            return ok(client.get(path, headers=AUTH))

        alone = timed(use_case, args.repeat)
        kept = timed(search, args.repeat)
        changed = timed(search, args.repeat, before=lambda: touch(url))
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"{backend}: {THERAPISTS} therapists, {GYMS} gyms, {booked} sessions on the day; "
        f"{len(found)} slots found; {args.repeat} searches each, in process\n"
    )
    print("| slot search | median ms | p99 ms | worst ms |")
    print("|---|---|---|---|")
    rows = (
        ("use case", alone),
        ("app (TestClient), the answer kept", kept),
        ("app (TestClient), a commit before each", changed),
    )
    for name, (median, p99, worst) in rows:
        print(f"| {name} | {median:.1f} | {p99:.1f} | {worst:.1f} |")
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
