"""Status changes on the real clock, by the session's own therapist, on a served process.

Check-in opens 30 minutes before a session; completed and no-show need its start; the last
change can be undone for 10 minutes. A session a few minutes ahead (its infusion ended three
hours ago, so the neuroadaptive window spans now) is checked in and the check-in undone; a
session tomorrow is refused as too early. Nothing waits for a session to start.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx2
import pytest

from tests.e2e.clinic import Clinic, build_clinic, user
from tests.e2e.support import (
    ZONE,
    Served,
    expect,
    instant,
    local,
    now,
    rfc3339,
    tomorrow,
    wall,
    whole_minute,
)
from tests.problems import assert_problem

SHORT = "short_therapy"  # 15 minutes in the neuroadaptive window, no room
LEAD = 5  # minutes between now and the soon session's start


@pytest.fixture(scope="module")
def clinic(server: Served) -> Clinic:
    admin = server.admin()
    built = build_clinic(admin)
    body = {
        "key": SHORT,
        "name": "Short therapy",
        "duration_minutes": 15,
        "discipline": "psychotherapy",
        "window": "plasticity",
        "room_kind": None,
    }
    built.types[SHORT] = expect(admin.post("/api/session-types", json=body), 201)
    user(admin, "ops", "scheduler", "ops-secret-1")
    user(admin, "dee", "therapist", "dee-secret-1", therapist_id=built.therapists["Dee Novak"])
    user(admin, "cam", "therapist", "cam-secret-1", therapist_id=built.therapists["Cam Ito"])
    return built


def _soon_start() -> datetime:
    """A whole minute a few minutes ahead; past the therapists' one unworked minute
    (23:59–24:00, working hours end on their own day) if the session would touch it."""
    start = whole_minute(now(), plus_minutes=LEAD)
    midnight = local(start.astimezone(ZONE).date() + timedelta(days=1), "00:00")
    if start + timedelta(minutes=15) > midnight - timedelta(minutes=1):
        start = midnight  # at most 21 minutes ahead: check-in is open
    return start


def _status(api: httpx2.Client, session_id: int, status: str) -> httpx2.Response:
    return api.post(f"/api/sessions/{session_id}/status", json={"status": status})


def _book(api: httpx2.Client, infusion_id: int, start: str, therapist_id: int) -> dict[str, Any]:
    body = {
        "infusion_id": infusion_id,
        "session_type": SHORT,
        "start": start,
        "therapist_id": therapist_id,
    }
    return dict(expect(api.post("/api/sessions", json=body), 201))


def test_soon_session_checked_in_and_undone(server: Served, clinic: Clinic) -> None:
    staff = server.login("ops", "ops-secret-1")
    dee = server.login("dee", "dee-secret-1")
    cam = server.login("cam", "cam-secret-1")
    patient = expect(staff.post("/api/patients", json={"name": "Soon Patient"}), 201)["id"]
    ended = whole_minute(now(), plus_minutes=-1) - timedelta(hours=3)
    body = {"patient_id": patient, "start": rfc3339(ended - timedelta(minutes=40))}
    infusion = expect(staff.post("/api/infusions", json=body), 201)
    plasticity = next(w for w in infusion["windows"] if w["key"] == "plasticity")
    assert instant(plasticity["start"]) < now() < instant(plasticity["end"])

    start = _soon_start()
    therapist = clinic.therapists["Dee Novak"]
    session = _book(staff, infusion["id"], rfc3339(start), therapist)
    assert session["start"] == rfc3339(start) and session["status"] == "booked"
    sid = session["id"]

    assert_problem(_status(dee, sid, "no_show"), 409, "too_early")  # it has not started
    assert_problem(_status(cam, sid, "checked_in"), 404, "not_found")  # not cam's session

    before = now()
    checked = expect(_status(dee, sid, "checked_in"), 200)
    assert checked["status"] == "checked_in"
    changed_at = instant(checked["status_changed_at"])
    assert before - timedelta(minutes=1) < changed_at < now() + timedelta(minutes=1)
    assert instant(checked["undo_until"]) == changed_at + timedelta(minutes=10)
    assert expect(staff.get(f"/api/sessions/{sid}"), 200)["status"] == "checked_in"

    assert_problem(_status(dee, sid, "completed"), 409, "too_early")  # not started yet
    assert_problem(_status(dee, sid, "no_show"), 409, "invalid_transition")

    undone = expect(dee.post(f"/api/sessions/{sid}/status/undo"), 200)
    assert undone["status"] == "booked"
    assert undone["status_changed_at"] is None and undone["undo_until"] is None
    assert_problem(dee.post(f"/api/sessions/{sid}/status/undo"), 409, "invalid_transition")
    day = expect(
        dee.get(
            f"/api/therapists/{therapist}/day",
            params={"date": start.astimezone(ZONE).date().isoformat()},
        ),
        200,
    )
    assert {s["id"]: s["status"] for s in day["sessions"]}[sid] == "booked"

    # Checked in again (the undo was a mis-tap on the mis-tap): the staff see it.
    assert expect(_status(dee, sid, "checked_in"), 200)["status"] == "checked_in"
    assert expect(staff.get(f"/api/sessions/{sid}"), 200)["status"] == "checked_in"


def test_session_far_ahead_is_too_early(server: Served, clinic: Clinic) -> None:
    staff = server.login("ops", "ops-secret-1")
    dee = server.login("dee", "dee-secret-1")
    patient = expect(staff.post("/api/patients", json={"name": "Later Patient"}), 201)["id"]
    body = {"patient_id": patient, "start": wall(tomorrow(), "07:00")}
    infusion = expect(staff.post("/api/infusions", json=body), 201)
    therapist = clinic.therapists["Dee Novak"]
    slots = expect(
        staff.get(
            f"/api/infusions/{infusion['id']}/slots",
            params={"session_type": SHORT, "limit": 1, "therapist_id": therapist},
        ),
        200,
    )
    session = _book(staff, infusion["id"], slots[0]["start"], therapist)
    assert instant(session["start"]) > now() + timedelta(hours=1)
    sid = session["id"]

    refused = assert_problem(_status(dee, sid, "checked_in"), 409, "too_early")
    assert "30 minutes" in refused["detail"]
    assert_problem(_status(dee, sid, "no_show"), 409, "too_early")
    # booked → completed is no transition at all (README: booked → checked_in → completed).
    assert_problem(_status(dee, sid, "completed"), 409, "invalid_transition")
    assert_problem(dee.post(f"/api/sessions/{sid}/status/undo"), 409, "invalid_transition")
    for status in ("booked", "cancelled"):  # not set through the status route
        assert_problem(_status(dee, sid, status), 409, "invalid_transition")
    assert expect(dee.get(f"/api/sessions/{sid}"), 200)["status"] == "booked"
