"""The server-rendered pages through the TestClient (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services import day_plan
from tests.support import EVERY_DAY, Api, FakeClock, counted
from tests.web_support import csrf_of, log_in

DAY = "2026-03-02"


def clinic(api: Api) -> dict[str, Any]:
    """One therapist working all day, a room, a peak-window type, a patient, an infusion."""
    therapist = api.therapist("Dana Lee", ("physio",), "00:00", "23:55", EVERY_DAY)
    api.room("Gym 1", "gym")
    api.session_type("physical_rehabilitation", "peak", "physio", 60, "gym")
    api.session_type("talk", "plasticity", "physio", 30)
    patient = api.patient("Robin Test", "MRN-1")
    infusion = api.infusion(patient["id"], f"{DAY}T08:00")
    api.ok(
        "POST",
        "/api/users",
        {"username": "sam", "role": "scheduler", "password": "sam-secret-1"},
        201,
    )
    api.ok(
        "POST",
        "/api/users",
        {
            "username": "dana",
            "role": "therapist",
            "therapist_id": therapist["id"],
            "password": "dana-secret-1",
        },
        201,
    )
    return {"therapist": therapist, "patient": patient, "infusion": infusion}


def test_the_start_page_is_the_login_page_when_logged_out(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    page = client.get("/")
    assert page.status_code == 200
    assert '<h1 id="login-title">Log in</h1>' in page.text
    assert 'for="username"' in page.text and 'for="password"' in page.text
    assert client.get("/board", follow_redirects=False).headers["location"] == "/login"


def test_login_sets_a_safe_cookie_and_logout_ends_it(client: TestClient, api: Api) -> None:
    clinic(api)
    answer = log_in(client, "sam", "sam-secret-1")
    assert answer.status_code == 303 and answer.headers["location"] == "/board"
    cookie = answer.headers["set-cookie"].lower()
    assert "planner_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    board = client.get("/board")
    assert board.status_code == 200 and "Dana Lee" in board.text
    out = client.post("/logout", data={"csrf_token": csrf_of(board.text)}, follow_redirects=False)
    assert out.headers["location"] == "/login"
    assert client.get("/board", follow_redirects=False).headers["location"] == "/login"


def test_a_wrong_password_is_a_readable_message(client: TestClient, api: Api) -> None:
    clinic(api)
    answer = log_in(client, "sam", "not-the-password")
    assert answer.status_code == 401
    assert 'role="alert"' in answer.text and "Unknown user or wrong password." in answer.text


def test_forms_without_the_csrf_token_are_refused(client: TestClient, api: Api) -> None:
    made = clinic(api)
    page = client.get("/login")
    refused_login = client.post(
        "/login", data={"username": "sam", "password": "sam-secret-1", "csrf_token": "forged"}
    )
    assert refused_login.status_code == 403
    assert "could not be verified" in refused_login.text
    assert csrf_of(page.text) != "forged"
    log_in(client, "sam", "sam-secret-1")
    path = f"/infusions/{made['infusion']['id']}/book"
    body = {"session_type": "physical_rehabilitation", "start": f"{DAY}T12:10"}
    for token in (None, "0" * 64):
        data = dict(body, csrf_token=token) if token else body
        answer = client.post(path, data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert 'role="alert"' in answer.text and "Traceback" not in answer.text
    assert api.get(f"/api/infusions/{made['infusion']['id']}").json()["sessions"] == []


def test_a_therapist_sees_only_its_own_day(client: TestClient, api: Api) -> None:
    made = clinic(api)
    other = api.therapist("Other One", ("physio",))
    answer = log_in(client, "dana", "dana-secret-1")
    assert answer.headers["location"] == "/my-day"
    for path in (
        "/board",
        "/settings",
        "/infusions",
        f"/infusions/{made['infusion']['id']}",
        f"/therapists/{other['id']}/day",
    ):
        assert client.get(path, follow_redirects=False).headers["location"] == "/my-day", path
    mine = client.get("/my-day")
    assert mine.status_code == 200 and "My day" in mine.text


def test_settings_are_for_administrators_only(client: TestClient, api: Api) -> None:
    clinic(api)
    log_in(client, "sam", "sam-secret-1")
    answer = client.get("/settings")
    assert answer.status_code == 403 and "Only an administrator" in answer.text
    api.ok(
        "POST", "/api/users", {"username": "ada", "role": "admin", "password": "ada-secret-1"}, 201
    )
    log_in(client, "ada", "ada-secret-1")
    page = client.get("/settings")
    assert page.status_code == 200
    for heading in ("Clinic", "Window protocol", "Therapists", "Rooms", "Session types", "Users"):
        assert heading in page.text
    saved = client.post(
        "/settings/rooms",
        data={"name": "Quiet 2", "kind": "quiet_room", "csrf_token": csrf_of(page.text)},
    )
    assert "Room Quiet 2 added." in saved.text


def test_a_refused_booking_shows_its_message(client: TestClient, api: Api) -> None:
    made = clinic(api)
    log_in(client, "sam", "sam-secret-1")
    path = f"/infusions/{made['infusion']['id']}"
    page = client.get(path)
    assert page.status_code == 200 and "<svg" in page.text and "Robin Test" in page.text
    answer = client.post(
        f"{path}/book",
        data={
            "session_type": "physical_rehabilitation",
            "start": f"{DAY}T09:00",
            "csrf_token": csrf_of(page.text),
        },
    )
    # the page comes back with the refusal beside the start field and the values typed
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text and 'id="book-start-error"' in answer.text
    assert "The session was not booked" in answer.text and "outside_window" in answer.text
    assert f'value="{DAY}T09:00"' in answer.text and 'aria-invalid="true"' in answer.text
    assert '<details class="more" id="book-at" open' in answer.text
    assert "Traceback" not in answer.text


def test_booking_the_top_slot_then_the_therapist_completes_it(
    client: TestClient, api: Api, clock: FakeClock
) -> None:
    made = clinic(api)
    log_in(client, "sam", "sam-secret-1")
    path = f"/infusions/{made['infusion']['id']}"
    page = client.get(path)
    booked = client.post(
        f"{path}/book",
        data={
            "session_type": "physical_rehabilitation",
            "start": f"{DAY}T12:10",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert "Booked physical rehabilitation 12:10–13:10." in booked.text
    assert "Robin Test" in client.get(f"/board?date={DAY}").text
    session_id = int(booked.history[0].headers["location"].rsplit("#session-", 1)[1])
    clock.set_local(f"{DAY}T12:15")  # the session is under way (a login lasts 12 hours)
    log_in(client, "dana", "dana-secret-1")
    day = client.get(f"/my-day?date={DAY}")
    assert "Robin Test" in day.text and "12:10–13:10" in day.text
    for status in ("checked_in", "completed"):
        day = client.post(
            f"/sessions/{session_id}/status",
            data={
                "status": status,
                "back": f"/therapists/{made['therapist']['id']}/day?date={DAY}",
                "csrf_token": csrf_of(day.text),
            },
        )
        assert day.status_code == 200
    assert "badge-completed" in day.text
    printed = client.get(f"/therapists/{made['therapist']['id']}/day?date={DAY}&print=1")
    assert printed.status_code == 200 and "print-table" in printed.text


def test_a_missing_infusion_is_a_page_not_a_stack_trace(client: TestClient, api: Api) -> None:
    clinic(api)
    log_in(client, "sam", "sam-secret-1")
    answer = client.get("/infusions/9999")
    assert answer.status_code == 404
    assert "infusion 9999 does not exist" in answer.text and 'role="alert"' in answer.text


def test_the_board_makes_a_fixed_number_of_queries(
    client: TestClient, api: Api, app: FastAPI
) -> None:
    """A day with 1 session and a day with 10 (two infusions) cost the same queries."""
    made = clinic(api)
    first = made["infusion"]
    api.ok(
        "POST",
        "/api/sessions",
        {"infusion_id": first["id"], "session_type": "talk", "start": f"{DAY}T11:00"},
        201,
    )
    busy_day = "2026-03-03"
    for index, hour in enumerate((6, 7)):
        patient = api.patient(f"Busy {index}")
        infusion = api.infusion(patient["id"], f"{busy_day}T{hour:02d}:00")
        for k in range(5):
            start = f"{busy_day}T{hour + 3 + k:02d}:{'00' if index == 0 else '30'}"
            api.ok(
                "POST",
                "/api/sessions",
                {"infusion_id": infusion["id"], "session_type": "talk", "start": start},
                201,
            )
    log_in(client, "sam", "sam-secret-1")
    # each day once first: the reference data they read (therapists, session types, the
    # protocol) is kept from then on (models/reference.py), so the two measured start alike
    for day in (DAY, busy_day):
        assert client.get(f"/board?date={day}").status_code == 200
    costs = []
    for day, sessions in ((DAY, 1), (busy_day, 10)):
        with counted(app) as statements:
            page = client.get(f"/board?date={day}")
        assert page.status_code == 200
        assert page.text.count('class="session ') == sessions
        costs.append(len(statements))
    assert costs[0] == costs[1], costs


def test_plan_this_day_books_the_care_plans_from_the_board(client: TestClient, api: Api) -> None:
    made = clinic(api)
    patient = api.patient("Casey Plan", "MRN-2")
    planned = api.infusion(patient["id"], f"{DAY}T09:00", care_plan=["physical_rehabilitation"])
    log_in(client, "sam", "sam-secret-1")
    board = client.get(f"/board?date={DAY}")
    preview = client.post("/board/plan", data={"date": DAY, "csrf_token": csrf_of(board.text)})
    # first a preview: the proposal drawn on the board, nothing booked yet
    assert preview.status_code == 200 and "Proposed plan" in preview.text
    assert "session type-0 proposed" in preview.text and "Book these 1" in preview.text
    assert api.ok("GET", f"/api/infusions/{planned['id']}")["sessions"] == []
    plan = re.search(r'name="plan" value="([^"]+)"', preview.text)
    assert plan is not None
    booked_page = client.post(
        "/board/plan/book",
        data={
            "date": DAY,
            "plan": html.unescape(plan.group(1)),
            "csrf_token": csrf_of(preview.text),
        },
    )
    assert "Booked the plan: 1 session." in booked_page.text
    booked = api.ok("GET", f"/api/infusions/{planned['id']}")["sessions"]
    assert [s["session_type"] for s in booked] == ["physical_rehabilitation"]
    assert api.ok("GET", f"/api/infusions/{made['infusion']['id']}")["sessions"] == []
    again = client.post("/board/plan", data={"date": DAY, "csrf_token": csrf_of(booked_page.text)})
    assert "already has a session" in again.text


def test_the_board_plans_with_the_time_chosen_for_it(
    client: TestClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clinic may prefer a quick plan to a thorough one: the board offers 3, 5 and 9 s
    (5 chosen) and plans with the one sent; any other is refused and nothing is planned."""
    clinic(api)
    patient = api.patient("Casey Plan", "MRN-2")
    api.infusion(patient["id"], f"{DAY}T09:00", care_plan=["physical_rehabilitation"])
    log_in(client, "sam", "sam-secret-1")
    board = client.get(f"/board?date={DAY}")
    choices = re.findall(r'<option value="(\d+)"( selected)?>', board.text)
    assert choices == [("3", ""), ("5", " selected"), ("9", "")]
    asked: list[float] = []
    plan_day = day_plan.plan_day

    def spy(uow: Any, wanted: Any, clock: Any) -> Any:
        asked.append(wanted.time_limit_seconds)
        return plan_day(uow, wanted, clock)

    monkeypatch.setattr(day_plan, "plan_day", spy)
    quick = client.post(
        "/board/plan", data={"date": DAY, "budget": "3", "csrf_token": csrf_of(board.text)}
    )
    assert quick.status_code == 200 and "Proposed plan" in quick.text
    assert asked == [3] and "Planned by cp-sat+heuristic in" in quick.text
    odd = client.post(
        "/board/plan", data={"date": DAY, "budget": "4", "csrf_token": csrf_of(board.text)}
    )
    assert odd.status_code == 422 and "is not one of 3, 5, 9" in odd.text
    assert asked == [3]


def test_an_administrator_adds_and_edits_a_therapist_in_settings(
    client: TestClient, api: Api
) -> None:
    api.ok(
        "POST", "/api/users", {"username": "ada", "role": "admin", "password": "ada-secret-1"}, 201
    )
    log_in(client, "ada", "ada-secret-1")
    page = client.get("/settings")
    fields = {
        "name": "Noor Aziz",
        "disciplines": "Physio, cognitive",
        "days": ["MO", "WE"],
        "start": "09:00",
        "end": "15:30",
        "buffer_minutes": "10",
        "max_sessions_per_day": "5",
        "csrf_token": csrf_of(page.text),
    }
    added = client.post("/settings/therapists", data=fields)
    assert added.status_code == 200 and "Noor Aziz added." in added.text
    noor = next(t for t in api.ok("GET", "/api/therapists") if t["name"] == "Noor Aziz")
    assert noor["disciplines"] == ["cognitive", "physio"]
    assert noor["working_hours"] == [
        {"rrule": "FREQ=WEEKLY;BYDAY=MO,WE", "start": "09:00", "end": "15:30"}
    ]
    assert (noor["buffer_minutes"], noor["max_sessions_per_day"]) == (10, 5)
    edited = client.post(
        f"/settings/therapists/{noor['id']}",
        data={
            **fields,
            "rrule": "FREQ=DAILY",
            "buffer_minutes": "",
            "csrf_token": csrf_of(added.text),
        },
    )
    assert "Noor Aziz saved." in edited.text
    saved = api.ok("GET", f"/api/therapists/{noor['id']}")
    assert saved["working_hours"][0]["rrule"] == "FREQ=DAILY" and saved["buffer_minutes"] == 0


def test_the_audit_log_page_shows_changes_newest_first_to_administrators(
    client: TestClient, api: Api
) -> None:
    made = clinic(api)
    api.ok(
        "POST", "/api/users", {"username": "ada", "role": "admin", "password": "ada-secret-1"}, 201
    )
    api.ok("POST", "/api/rooms", {"name": "Quiet 9", "kind": "quiet"}, 201)
    log_in(client, "sam", "sam-secret-1")
    refused = client.get("/audit")
    assert refused.status_code == 403 and "Administrators only" in refused.text
    log_in(client, "ada", "ada-secret-1")
    page = client.get("/audit")
    assert page.status_code == 200
    assert page.text.index("Quiet 9") < page.text.index("Robin Test")  # newest first
    assert "POST /api/rooms" in page.text
    rooms_only = client.get("/audit", params={"entity": "room"})
    assert "Quiet 9" in rooms_only.text and "Robin Test" not in rooms_only.text
    by_admin = client.get("/audit", params={"who": "nobody-at-all"})
    assert "No entries match." in by_admin.text
    assert f"patient #{made['patient']['id']}" in page.text
