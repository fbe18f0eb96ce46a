"""The infusion visit on ``planner serve`` with the real clock, on both databases: a chair is
taken until the recovery ends and a second infusion then is refused; nothing is booked in the
recovery, override or not; with the clinic's cap on waits, auto-book keeps the day compact.

The clinic's day is tomorrow, so every time is ahead of now at whatever second this runs.
"""

from __future__ import annotations

from datetime import timedelta

from planner.compact import longest_wait
from planner.intervals import Interval
from tests.e2e.clinic import created, session_type
from tests.e2e.support import ALL_DAY, Served, expect, instant, tomorrow, wall

WINDOWS = [
    {"key": "early", "label": "Early", "start_offset": "PT2H", "end_offset": "PT3H"},
    {
        "key": "late",
        "label": "Late",
        "start_offset": "PT0M",
        "end_offset": "PT8H",
        "target_offset": "PT6H",
    },
]


def _hm(text: str) -> str:
    return instant(text).strftime("%H:%M")


def test_chair_recovery_and_a_compact_day(server: Served) -> None:
    admin = server.admin()
    expect(admin.put("/api/protocol", json={"anchor": "end", "windows": WINDOWS}), 200)
    body = {"name": "Vera Visit", "disciplines": ["visit"], "working_hours": [ALL_DAY]}
    therapist = created(admin, "/api/therapists", body)["id"]
    chair = created(admin, "/api/rooms", {"name": "Visit chair", "kind": "infusion_chair"})["id"]
    session_type(admin, "visit_stretch", "Stretch", 45, "visit", "early", None)
    session_type(admin, "visit_talk", "Talk", 30, "visit", "late", None)
    day = tomorrow()

    first = created(admin, "/api/patients", {"name": "Ida Chair"})["id"]
    body = {"patient_id": first, "start": wall(day, "07:00")}
    held = expect(admin.post("/api/infusions", json=body), 201)
    assert held["chair_id"] == chair and _hm(held["recovery_end"]) == "08:40"
    second = created(admin, "/api/patients", {"name": "Jon Chair"})["id"]
    refused = admin.post("/api/infusions", json={"patient_id": second, "start": wall(day, "08:30")})
    assert expect(refused, 409)["code"] == "chair_unavailable"

    booking = {"infusion_id": held["id"], "session_type": "visit_talk", "start": wall(day, "08:00")}
    for extra in ({}, {"override_reason": "asked for it"}):
        answer = admin.post("/api/sessions", json={**booking, **extra})
        assert expect(answer, 409)["code"] == "in_recovery", answer.text
    late = expect(admin.post("/api/sessions", json={**booking, "start": wall(day, "08:40")}), 201)
    assert late["therapist_id"] == therapist

    clinic = expect(admin.get("/api/clinic"), 200)
    expect(admin.put("/api/clinic", json={**clinic, "max_wait_minutes": 60}), 200)
    body = {
        "patient_id": second,
        "start": wall(day, "12:00"),
        "care_plan": ["visit_stretch", "visit_talk"],
        "auto_book": True,
    }
    planned = expect(admin.post("/api/infusions", json=body), 201)
    starts = {s["session_type"]: _hm(s["start"]) for s in planned["sessions"]}
    # the talk's target is 18:40; within the hour after the stretch it goes at 16:25
    assert starts == {"visit_stretch": "14:40", "visit_talk": "16:25"}
    spans = [Interval(instant(planned["start"]), instant(planned["recovery_end"]))]
    spans += [Interval(instant(s["start"]), instant(s["end"])) for s in planned["sessions"]]
    assert longest_wait(spans) == timedelta(hours=1)
