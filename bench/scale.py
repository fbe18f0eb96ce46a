"""Does the API stay fast as history grows? (docs/rules.md#scale: bounded queries.)

Builds a clinic of 30 therapists and 10 rooms, then measures the everyday calls — slot
search, booking (and cancelling again), a therapist's day, a day's session list — first on
an empty history and then after bulk-loading years of past sessions (300 a day) and
infusions. Every query is bounded by the time range it looks at, so the two columns should
be close. Prints a Markdown table; the clock is fixed, so runs are comparable.

    python bench/scale.py [--years 3] [--database-url postgresql+psycopg://...] [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from app import create_app
from models.db import make_engine, sqlite_url_for
from models.migrate import upgrade
from models.tables import Infusion, Patient, TherapySession
from services.settings import Settings

TOKEN = "bench-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # the clock; the measured day is 2026-03-10
DAY = "2026-03-10"
THERAPISTS, ROOMS, SESSIONS_PER_DAY = 30, 10, 300


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def build_clinic(client: TestClient) -> dict[str, Any]:
    for n in range(THERAPISTS):
        ok(
            client.post(
                "/api/therapists",
                headers=AUTH,
                json={
                    "name": f"Therapist {n}",
                    "disciplines": ["physical", "cognitive"],
                    "working_hours": [{"rrule": "FREQ=DAILY", "start": "07:00", "end": "19:00"}],
                    "buffer_minutes": 10,
                    "max_sessions_per_day": 12,
                },
            ),
            201,
        )
    for n in range(ROOMS):
        ok(client.post("/api/rooms", headers=AUTH, json={"name": f"Gym {n}", "kind": "gym"}), 201)
    ok(
        client.post(
            "/api/session-types",
            headers=AUTH,
            json={
                "key": "rehab",
                "name": "Rehab",
                "duration_minutes": 45,
                "discipline": "physical",
                "window": "peak",
                "room_kind": "gym",
            },
        ),
        201,
    )
    patient = ok(client.post("/api/patients", headers=AUTH, json={"name": "Bench"}), 201)
    infusion = ok(
        client.post(
            "/api/infusions",
            headers=AUTH,
            json={"patient_id": patient["id"], "start": f"{DAY}T08:00"},
        ),
        201,
    )
    return {"infusion": infusion}


def load_history(database_url: str, years: float) -> int:
    """Bulk-insert past days: 300 completed sessions and 100 infusions a day."""
    engine = make_engine(database_url)
    days = int(years * 365)
    patients = 2000
    with engine.begin() as conn:
        conn.execute(insert(Patient), [{"name": f"Past {n}", "mrn": None} for n in range(patients)])
        first_patient = conn.execute(text("SELECT min(id) FROM patients WHERE name LIKE 'Past %'"))
        base_patient = int(first_patient.scalar_one())
    total = 0
    start_day = datetime(2026, 3, 1, 12, 0, tzinfo=UTC) - timedelta(days=days)
    for day in range(days):
        midday = start_day + timedelta(days=day)
        with engine.begin() as conn:
            infusions = [
                {
                    "patient_id": base_patient + (day * 100 + n) % patients,
                    "start": midday - timedelta(hours=5) + timedelta(minutes=5 * n),
                    "end": midday - timedelta(hours=5) + timedelta(minutes=5 * n + 40),
                    "duration_minutes": 40,
                    "protocol_version": 1,
                    "status": "scheduled",
                    "care_plan": [],
                    "created_at": midday,
                }
                for n in range(100)
            ]
            ids = conn.execute(insert(Infusion).returning(Infusion.id), infusions).scalars().all()
            sessions = [
                {
                    "infusion_id": ids[n % 100],
                    "patient_id": infusions[n % 100]["patient_id"],
                    "session_type": "rehab",
                    "therapist_id": 1 + n % THERAPISTS,
                    "room_id": 1 + n % ROOMS,
                    "start": midday
                    - timedelta(hours=4)
                    + timedelta(minutes=45 * (n // THERAPISTS)),
                    "end": midday
                    - timedelta(hours=4)
                    + timedelta(minutes=45 * (n // THERAPISTS) + 40),
                    "status": "completed",
                    "window": "peak",
                    "outside_window": False,
                    "created_at": midday,
                    "updated_at": midday,
                }
                for n in range(SESSIONS_PER_DAY)
            ]
            conn.execute(insert(TherapySession), sessions)
            total += len(sessions)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return total


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds."""
    call()  # warm up (first-call imports and caches are not what is measured)
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def measure(client: TestClient, infusion_id: int, repeat: int) -> dict[str, tuple[float, float]]:
    slots_path = f"/api/infusions/{infusion_id}/slots?session_type=rehab&limit=10"

    def book_and_cancel() -> None:
        slot = ok(client.get(slots_path, headers=AUTH))[0]
        booked = ok(
            client.post(
                "/api/sessions",
                headers=AUTH,
                json={"infusion_id": infusion_id, "session_type": "rehab", "start": slot["start"]},
            ),
            201,
        )
        ok(client.post(f"/api/sessions/{booked['id']}/cancel", headers=AUTH, json={}))

    return {
        "slot search (peak window)": timed(
            lambda: ok(client.get(slots_path, headers=AUTH)), repeat
        ),
        "book + cancel (3 calls)": timed(book_and_cancel, repeat),
        "therapist's day": timed(
            lambda: ok(client.get(f"/api/therapists/1/day?date={DAY}", headers=AUTH)), repeat
        ),
        "sessions of a day": timed(
            lambda: ok(client.get(f"/api/sessions?date={DAY}&limit=500", headers=AUTH)), repeat
        ),
    }


def empty_database(url: str) -> Settings:
    """``url`` emptied (PostgreSQL: its public schema) and migrated; settings for it."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    return Settings(database_url=url, bootstrap_admin_token=TOKEN, _env_file=None)  # type: ignore[call-arg]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    url = args.database_url or sqlite_url_for(Path(folder.name) / "scale.db")
    settings = empty_database(url)
    with TestClient(create_app(settings, clock=lambda: NOW)) as client:
        made = build_clinic(client)
        empty = measure(client, made["infusion"]["id"], args.repeat)
        began = time.perf_counter()
        rows = load_history(url, args.years)
        loaded = time.perf_counter() - began
        full = measure(client, made["infusion"]["id"], args.repeat)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"{backend}: history of {args.years:g} years = {rows:,} past sessions "
        f"(loaded in {loaded:.0f} s); {THERAPISTS} therapists, {ROOMS} rooms; "
        f"median / p95 over {args.repeat} calls, in-process (TestClient)\n"
    )
    print("| call | empty history: median ms | p95 | with history: median ms | p95 |")
    print("|---|---|---|---|---|")
    for name, (median, p95) in empty.items():
        m2, p2 = full[name]
        print(f"| {name} | {median:.1f} | {p95:.1f} | {m2:.1f} | {p2:.1f} |")
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
