"""`planner demo`: a demo clinic for the clock's today; running it twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.tables import Infusion, Patient, Room, SessionType, Therapist, TherapySession, User
from services.demo import load_demo
from services.settings import Settings
from tests.support import FakeClock

TABLES = (Therapist, Room, SessionType, Patient, User, Infusion, TherapySession)


def _counts(client: TestClient) -> dict[str, int]:
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return {t.__tablename__: conn.scalar(select(func.count()).select_from(t)) for t in TABLES}


def test_demo_fills_today_and_is_idempotent(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # 19:00 in New York, late in the day
    printed = load_demo(settings, clock)
    first = _counts(client)
    assert first["therapists"] == 4 and first["rooms"] == 7 and first["session_types"] == 4
    assert first["infusions"] >= 4 and first["sessions"] >= 6
    assert "scheduler / demo-scheduler" in printed
    again = load_demo(settings, clock)
    assert _counts(client) == first
    assert again.startswith("Demo clinic ready (0 sessions booked now")

    token = client.post(
        "/api/login", json={"username": "scheduler", "password": "demo-scheduler"}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    infusions = client.get("/api/infusions?date=2026-03-10", headers=auth).json()
    assert len(infusions) == first["infusions"]
    assert all(i["start"].startswith("2026-03-10") for i in infusions)
    assert all(i["chair_id"] is not None for i in infusions)  # three chairs hold them all
    board = client.get("/api/sessions?date=2026-03-10", headers=auth).json()
    assert board, "the demo day has sessions on it"
    # The README's flow: a follow-up slot for a demo infusion, then booking it.
    with_follow_up = next(i for i in infusions if "follow_up_rehabilitation" in i["care_plan"])
    slots = client.get(
        f"/api/infusions/{with_follow_up['id']}/slots",
        params={"session_type": "follow_up_rehabilitation", "limit": 3},
        headers=auth,
    ).json()
    booked = client.post(
        "/api/sessions",
        headers=auth,
        json={
            "infusion_id": with_follow_up["id"],
            "session_type": "follow_up_rehabilitation",
            "start": slots[0]["start"],
        },
    )
    assert booked.status_code == 201, booked.text
