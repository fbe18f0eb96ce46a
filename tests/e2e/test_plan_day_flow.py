"""Plan this day, on a served process and the real clock (it answered 500 there: the real
clock is never on a whole minute, and "now" reached the day optimizer with its seconds).

Tomorrow's care plans through ``POST /api/plan/day`` (preview, then commit) and the board's
"Plan this day" form; and the day of an infusion under way, where "now" cuts its windows.
"""

from __future__ import annotations

import html
import itertools
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import httpx2
import pytest

from tests.e2e.clinic import CARE_PLAN, Clinic, build_clinic, user
from tests.e2e.support import (
    Served,
    expect,
    instant,
    now,
    page_ok,
    rfc3339,
    tomorrow,
    wall,
    whole_minute,
)
from tests.web_support import csrf_of

THERAPY = "cognitive_therapy"


@pytest.fixture(scope="module")
def clinic(server: Served) -> Clinic:
    admin = server.admin()
    built = build_clinic(admin)
    user(admin, "pat", "scheduler", "pat-secret-1")
    return built


def _record(api: httpx2.Client, name: str, start: str, care_plan: list[str]) -> dict[str, Any]:
    patient = expect(api.post("/api/patients", json={"name": name}), 201)["id"]
    body = {"patient_id": patient, "start": start, "care_plan": care_plan}
    return dict(expect(api.post("/api/infusions", json=body), 201))


def _check_plan(
    plan: dict[str, Any],
    infusions: dict[int, dict[str, Any]],
    clinic: Clinic,
    not_before: datetime,
) -> None:
    """Every proposed session: its infusion's care plan, its window, whole minutes from
    ``not_before``, a therapist and room that fit; no two share a patient, therapist or room."""
    assert plan["objective"]["placed"] == len(plan["sessions"])
    assert plan["objective"]["requested"] == len(plan["sessions"]) + len(plan["unplaced"])
    # OR-Tools is a dependency: the default set-up plans with CP-SAT after the heuristic
    assert plan["solver"] == "cp-sat+heuristic" and plan["seconds"] >= 0
    by: dict[tuple[str, int], list[tuple[datetime, datetime]]] = defaultdict(list)
    for session in plan["sessions"]:
        infusion = infusions[session["infusion_id"]]
        kind = clinic.types[session["session_type"]]
        assert session["session_type"] in infusion["care_plan"]
        assert session["patient_id"] == infusion["patient_id"]
        assert session["therapist_id"] in clinic.disciplines[kind["discipline"]]
        if kind["room_kind"]:
            assert session["room_id"] in clinic.rooms[kind["room_kind"]]
        start, end = instant(session["start"]), instant(session["end"])
        assert start.second == 0 and start.microsecond == 0 and start >= not_before, session
        assert end - start == timedelta(minutes=kind["duration_minutes"])
        window = next(w for w in infusion["windows"] if w["key"] == session["window"])
        assert instant(window["start"]) <= start and end <= instant(window["end"]), session
        for resource in ("patient_id", "therapist_id", "room_id"):
            if session[resource] is not None:
                by[(resource, session[resource])].append((start, end))
    for spans in by.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), spans


def _day_sessions(api: httpx2.Client, day: date) -> list[dict[str, Any]]:
    return list(expect(api.get("/api/sessions", params={"date": day.isoformat()}), 200))


def _placed(sessions: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = ("id", "infusion_id", "session_type", "therapist_id", "room_id", "start", "end")
    return sorted(tuple(s[k] for k in keys) for s in sessions)


def test_plan_tomorrow_through_the_api_then_the_board(server: Served, clinic: Clinic) -> None:
    api = server.login("pat", "pat-secret-1")
    day = tomorrow()
    infusions = {
        i["id"]: i
        for i in (
            _record(api, f"Day patient {n}", wall(day, hhmm), CARE_PLAN)
            for n, hhmm in enumerate(["07:00", "07:30", "09:00"])
        )
    }
    body = {"date": day.isoformat(), "commit": False, "time_limit_seconds": 2}

    asked = whole_minute(now())
    preview = expect(api.post("/api/plan/day", json=body), 200)
    assert preview["committed"] is False
    assert preview["objective"]["requested"] == 9
    assert preview["objective"]["placed"] == 9, preview["unplaced"]  # an easy day
    assert all(s["id"] is None and s["status"] == "proposed" for s in preview["sessions"])
    _check_plan(preview, infusions, clinic, asked)
    assert _day_sessions(api, day) == [], "a preview books nothing"
    # Steady: the optimizer counts work, not seconds, so asking again gives the same plan.
    again_preview = expect(api.post("/api/plan/day", json=body), 200)
    assert again_preview["sessions"] == preview["sessions"]

    committed = expect(api.post("/api/plan/day", json={**body, "commit": True}), 200)
    assert committed["committed"] is True and committed["unplaced"] == []
    assert committed["objective"] == {**committed["objective"], "placed": 9, "requested": 9}
    _check_plan(committed, infusions, clinic, asked)
    assert all(s["id"] and s["status"] == "booked" for s in committed["sessions"])
    stored = _day_sessions(api, day)
    assert _placed(stored) == _placed(committed["sessions"])
    assert all(s["outside_window"] is False for s in stored)

    # The board's "Plan this day" form proposes what is new, one more infusion's therapy,
    # and books nothing until "Book these".
    late = _record(api, "Day patient 3", wall(day, "10:00"), [THERAPY])
    browser, login = server.browser("pat", "pat-secret-1")
    assert login.status_code == 303
    board = page_ok(browser.get("/board", params={"date": day.isoformat()}))
    # the board asks how long to plan: Quick 3 s, Standard 5 s (chosen), Thorough 9 s
    assert re.findall(r'<option value="(\d+)"', board) == ["3", "5", "9"]
    form = {"date": day.isoformat(), "csrf_token": csrf_of(board), "budget": "3"}
    proposed = page_ok(browser.post("/board/plan", data=form))
    assert "Proposed plan" in proposed and "1 of 1 care-plan item placed" in proposed
    assert "Planned by cp-sat+heuristic in" in proposed
    assert expect(api.get(f"/api/infusions/{late['id']}"), 200)["sessions"] == []
    plan = re.search(r'name="plan" value="([^"]*)"', proposed)
    assert plan is not None
    booking = {**form, "csrf_token": csrf_of(proposed), "plan": html.unescape(plan.group(1))}
    booked_page = browser.post("/board/plan/book", data=booking)
    assert booked_page.status_code == 303
    assert booked_page.headers["location"] == f"/board?date={day.isoformat()}"
    shown = page_ok(browser.get(booked_page.headers["location"]))
    assert "alert-success" in shown and "Booked the plan: 1 session." in shown
    booked = expect(api.get(f"/api/infusions/{late['id']}"), 200)["sessions"]
    assert [(s["session_type"], s["status"]) for s in booked] == [(THERAPY, "booked")]
    assert len(_day_sessions(api, day)) == 10
    # A double click on "Book these" books nothing twice: the plan is refused as stale.
    twice = browser.post("/board/plan/book", data=booking)
    assert twice.status_code == 409 and "The plan was not booked" in twice.text
    assert len(_day_sessions(api, day)) == 10

    # Again: nothing is left to plan, and the board says so.
    again = browser.post("/board/plan", data=form)
    assert again.status_code == 303
    shown = page_ok(browser.get(again.headers["location"]))
    assert "Every care-plan item of this day already has a session." in shown
    # Without its CSRF token the form is refused, as a page, not a server error.
    forged = browser.post("/board/plan", data={"date": day.isoformat()})
    assert forged.status_code == 403 and "Form expired" in forged.text


def test_plan_the_day_of_an_infusion_under_way(server: Served, clinic: Clinic) -> None:
    """It ended two and a half hours ago: the rehabilitation's window opened half an hour ago
    and is cut by now. It leaves 90 minutes for a 45-minute session, so the therapists' one
    unworked minute (23:59) never makes it impossible. Times are sent with their offset
    (they may fall on a DST night)."""
    api = server.login("pat", "pat-secret-1")
    started = whole_minute(now(), plus_minutes=-1) - timedelta(hours=3, minutes=10)
    infusion = _record(api, "Under way", rfc3339(started), CARE_PLAN)
    assert infusion["start"] == rfc3339(started)
    day = instant(infusion["start"]).date()  # the clinic's date it started on
    body = {"date": day.isoformat(), "commit": False, "time_limit_seconds": 2}

    asked = whole_minute(now())
    preview = expect(api.post("/api/plan/day", json=body), 200)
    _check_plan(preview, {infusion["id"]: infusion}, clinic, asked)
    assert preview["objective"]["requested"] == 3
    assert preview["objective"]["placed"] == 3, preview["unplaced"]

    asked = whole_minute(now())
    committed = expect(api.post("/api/plan/day", json={**body, "commit": True}), 200)
    _check_plan(committed, {infusion["id"]: infusion}, clinic, asked)
    assert committed["committed"] is True and committed["objective"]["placed"] == 3
    stored = expect(api.get(f"/api/infusions/{infusion['id']}"), 200)["sessions"]
    assert _placed(stored) == _placed(committed["sessions"])
