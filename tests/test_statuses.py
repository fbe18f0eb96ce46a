"""When a status may change, and undoing the last change (docs/rules.md, "Statuses").

Check-in opens 30 minutes before the start; completed and no-show need the session to have
started; the last change can be undone for 10 minutes, and an undo that would make a session
active again must find its therapist, patient and room still free.
"""

from __future__ import annotations

from typing import Any

from tests import booking_fixtures
from tests.booking_fixtures import Clinic
from tests.booking_helpers import DAY, book, new_infusion, problem
from tests.support import ADMIN, Api, FakeClock

clinic = booking_fixtures.clinic


def status(api: Api, session_id: int, wanted: str, headers: dict[str, str] = ADMIN) -> Any:
    return api.client.post(
        f"/api/sessions/{session_id}/status", json={"status": wanted}, headers=headers
    )


def undo(api: Api, session_id: int) -> Any:
    return api.client.post(f"/api/sessions/{session_id}/status/undo", headers=ADMIN)


def test_check_in_opens_thirty_minutes_before_the_start(clinic: Clinic, clock: FakeClock) -> None:
    api = clinic.api
    session = book(api, clinic.infusion["id"], f"{DAY}T11:10")
    clock.set_local(f"{DAY}T10:39")  # 31 minutes before (and 17 s)
    body = problem(status(api, session["id"], "checked_in"), 409, "too_early")
    assert "30 minutes" in body["detail"]
    assert api.ok("GET", f"/api/sessions/{session['id']}")["status"] == "booked"
    clock.set_local(f"{DAY}T10:40")
    checked = status(api, session["id"], "checked_in")
    assert checked.status_code == 200 and checked.json()["status"] == "checked_in"


def test_completed_and_no_show_only_once_it_has_started(clinic: Clinic, clock: FakeClock) -> None:
    api = clinic.api
    first = book(api, clinic.infusion["id"], f"{DAY}T10:40")
    second = book(api, new_infusion(api, "Quinn")["id"], f"{DAY}T11:40")
    clock.set_local(f"{DAY}T10:30")
    assert status(api, first["id"], "checked_in").status_code == 200
    problem(status(api, first["id"], "completed"), 409, "too_early")  # checked in early
    problem(status(api, second["id"], "no_show"), 409, "too_early")
    clock.set_local(f"{DAY}T10:40")
    assert status(api, first["id"], "completed").json()["status"] == "completed"
    clock.set_local(f"{DAY}T11:40")
    assert status(api, second["id"], "no_show").json()["status"] == "no_show"


def test_the_last_change_can_be_undone_for_ten_minutes(clinic: Clinic, clock: FakeClock) -> None:
    api = clinic.api
    session = book(api, clinic.infusion["id"], f"{DAY}T11:10")
    problem(undo(api, session["id"]), 409, "invalid_transition")  # nothing to undo yet
    clock.set_local(f"{DAY}T11:12")
    changed = status(api, session["id"], "no_show").json()
    assert changed["status"] == "no_show"
    assert changed["undo_until"] == f"{DAY}T11:22:17.250000-04:00"
    clock.set_local(f"{DAY}T11:21")
    back = undo(api, session["id"])
    assert back.status_code == 200 and back.json()["status"] == "booked"
    assert back.json()["undo_until"] is None
    problem(undo(api, session["id"]), 409, "invalid_transition")  # only the last change
    assert status(api, session["id"], "checked_in").json()["status"] == "checked_in"
    clock.set_local(f"{DAY}T11:32")  # 11 minutes later
    body = problem(undo(api, session["id"]), 409, "invalid_transition")
    assert "10 minutes" in body["detail"]
    assert api.ok("GET", f"/api/sessions/{session['id']}")["status"] == "checked_in"


def test_an_undo_never_double_books(clinic: Clinic, clock: FakeClock) -> None:
    """A no-show frees the therapist; once the time is booked again, the no-show cannot be
    undone (it would make two active sessions overlap)."""
    api, dana = clinic.api, clinic.therapist
    missed = book(api, clinic.infusion["id"], f"{DAY}T11:10", therapist_id=dana["id"])
    clock.set_local(f"{DAY}T11:10")
    assert status(api, missed["id"], "no_show").json()["status"] == "no_show"
    quinn = new_infusion(api, "Quinn")
    taken = book(api, quinn["id"], f"{DAY}T11:20", therapist_id=dana["id"])
    body = problem(undo(api, missed["id"]), 409, "therapist_busy")
    assert body["conflicts"][0]["id"] == taken["id"]
    assert api.ok("GET", f"/api/sessions/{missed['id']}")["status"] == "no_show"


def test_undoing_a_completion_is_audited(clinic: Clinic, clock: FakeClock) -> None:
    api = clinic.api
    session = book(api, clinic.infusion["id"], f"{DAY}T11:10")
    clock.set_local(f"{DAY}T11:15")
    status(api, session["id"], "checked_in")
    status(api, session["id"], "completed")
    assert undo(api, session["id"]).json()["status"] == "checked_in"
    entries = api.ok("GET", "/api/audit?entity=session&limit=500")
    last = entries[-1]
    assert last["action"] == "POST /api/sessions/{session_id}/status/undo"
    assert (last["before"]["status"], last["after"]["status"]) == ("completed", "checked_in")
