"""Courses of infusions (docs/rules.md, "Courses"), on both databases: every infusion of the
course in a chair and its care plan in the windows after it, the wall time kept across a DST
change; a full preferred time moves within the tolerance and says so; the joint planner finds
a visit that recording the infusion first and planning after does not; a preview books
nothing and equals the booking; moving one visit re-plans only that visit.

The clock stands at 2026-03-01 12:00 UTC; New York's clocks go forward on 2026-03-08.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.problems import assert_problem
from tests.support import ADMIN, Api
from tests.web_support import csrf_of, log_in

SIX = "FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6"  # 2, 4, 6, 9, 11, 13 March


@pytest.fixture
def clinic(api: Api) -> dict[str, Any]:
    api.therapist("Rae", ("physio",), start="08:00", end="18:00")
    api.therapist("Sol", ("cognitive",), start="08:00", end="18:00")
    chair = api.room("Chair 1", "infusion_chair")["id"]
    api.room("Gym", "gym")
    api.session_type("rehab", "spinogenesis", "physio", 45, room_kind="gym")
    api.session_type("training", "peak", "cognitive", 60)
    patient = api.patient("Nora Quill")["id"]
    return {"chair": chair, "patient": patient}


def _course(api: Api, patient: int, **body: Any) -> Any:
    wanted = {"rrule": SIX, "start": "2026-03-02T09:00", "care_plan": ["rehab", "training"]}
    return api.post(f"/api/patients/{patient}/courses", {**wanted, **body})


def _wall(text: str) -> str:
    return datetime.fromisoformat(text).strftime("%H:%M")


def test_a_course_of_six_books_every_visit_and_keeps_its_wall_time(
    api: Api, clinic: dict[str, Any]
) -> None:
    answer = _course(api, clinic["patient"], commit=True)
    assert answer.status_code == 200, answer.text
    course = answer.json()
    visits = course["visits"]
    assert [v["start"][:10] for v in visits] == [
        "2026-03-02", "2026-03-04", "2026-03-06", "2026-03-09", "2026-03-11", "2026-03-13"
    ]  # fmt: skip
    assert {_wall(v["start"]) for v in visits} == {"09:00"}  # across the DST change
    assert visits[0]["start"].endswith("-05:00") and visits[-1]["start"].endswith("-04:00")
    for visit in visits:
        assert visit["chair_id"] == clinic["chair"] and visit["shifted_minutes"] == 0
        assert sorted(s["session_type"] for s in visit["sessions"]) == ["rehab", "training"]
        assert visit["unplaced"] == [] and visit["refused"] is None
        infusion = api.get(f"/api/infusions/{visit['infusion_id']}").json()
        assert all(not s["outside_window"] for s in infusion["sessions"])
        assert all(s["start"] >= infusion["recovery_end"] for s in infusion["sessions"])
    again = api.get(f"/api/courses/{course['id']}").json()
    assert [v["infusion_id"] for v in again["visits"]] == [v["infusion_id"] for v in visits]
    assert [len(v["sessions"]) for v in again["visits"]] == [2] * 6


def test_a_preview_books_nothing_and_is_what_booking_gives(
    api: Api, clinic: dict[str, Any]
) -> None:
    preview = _course(api, clinic["patient"])
    assert preview.status_code == 200, preview.text
    assert preview.json()["id"] is None and preview.json()["committed"] is False
    assert all(v["infusion_id"] is None for v in preview.json()["visits"])
    assert api.get("/api/infusions").json() == [] and api.get("/api/sessions").json() == []
    booked = _course(api, clinic["patient"], commit=True).json()

    def placed(course: Any) -> list[Any]:
        return [
            (
                v["start"],
                [(s["session_type"], s["start"], s["therapist_id"]) for s in v["sessions"]],
            )
            for v in course["visits"]
        ]

    assert placed(preview.json()) == placed(booked)


def test_a_full_preferred_time_moves_within_the_tolerance_and_says_so(
    api: Api, clinic: dict[str, Any]
) -> None:
    other = api.patient("Otto Lind")["id"]
    api.infusion(other, "2026-03-04T09:00")  # holds the only chair 09:00–10:40
    strict = _course(api, clinic["patient"]).json()["visits"][1]
    assert strict["infusion_id"] is None and strict["start"] is None
    assert strict["refused"]["code"] == "chair_unavailable"
    loose = _course(api, clinic["patient"], tolerance_minutes=120, commit=True).json()
    moved = loose["visits"][1]
    assert moved["shifted_minutes"] == 105 and _wall(moved["start"]) == "10:45"
    assert [v["shifted_minutes"] for v in loose["visits"]] == [0, 105, 0, 0, 0, 0]
    assert len(moved["sessions"]) == 2


def test_the_joint_planner_moves_an_infusion_so_its_window_has_a_therapist(api: Api) -> None:
    """Rehab (45 min) is 2-4 h after the infusion's end, with the one therapist who works
    11:30-12:30. An infusion at 07:00 (window 09:40-11:40) leaves it unplaced; at 07:45
    (window 10:25-12:25) it fits."""
    api.therapist("Rae", ("physio",), start="11:30", end="12:30")
    api.session_type("rehab", "spinogenesis", "physio", 45)
    first = api.patient("Ann")["id"]
    body = {"patient_id": first, "start": "2026-03-10T07:00", "care_plan": ["rehab"]}
    infusion_first = api.ok("POST", "/api/infusions", {**body, "auto_book": True}, 201)
    assert [u["session_type"] for u in infusion_first["unplaced"]] == ["rehab"]
    second = api.patient("Ben")["id"]
    wanted = {
        "rrule": "FREQ=DAILY;COUNT=1",
        "start": "2026-03-11T07:00",
        "care_plan": ["rehab"],
        "tolerance_minutes": 60,
        "commit": True,
    }
    [visit] = api.ok("POST", f"/api/patients/{second}/courses", wanted)["visits"]
    assert visit["shifted_minutes"] == 45 and _wall(visit["start"]) == "07:45"
    assert [s["session_type"] for s in visit["sessions"]] == ["rehab"]
    assert _wall(visit["sessions"][0]["start"]) == "11:30"


def test_moving_one_visit_replans_only_that_visit(
    client: TestClient, api: Api, clinic: dict[str, Any]
) -> None:
    visits = _course(api, clinic["patient"], commit=True).json()["visits"]

    def sessions_of(visit: Any) -> list[Any]:
        found = api.get(f"/api/infusions/{visit['infusion_id']}").json()["sessions"]
        return [(s["id"], s["start"]) for s in found]

    before = [sessions_of(v) for v in visits]
    target = visits[3]
    moved = client.patch(
        f"/api/infusions/{target['infusion_id']}",
        json={"start": "2026-03-09T10:00"},
        headers=ADMIN,
    )
    assert moved.status_code == 200, moved.text
    after = [sessions_of(v) for v in visits]
    assert after[:3] == before[:3] and after[4:] == before[4:]
    assert after[3] != before[3]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"rrule": "FREQ=WEEKLY;BYDAY=MO"}, 422, "validation_error"),  # never ends
        ({"rrule": "FREQ=DAILY;COUNT=400"}, 422, "validation_error"),
        ({"tolerance_minutes": 300}, 422, "validation_error"),
        ({"care_plan": ["nothing"]}, 422, "unknown_reference"),
    ],
)
def test_a_course_is_checked(
    api: Api, clinic: dict[str, Any], body: dict[str, Any], status: int, code: str
) -> None:
    assert_problem(_course(api, clinic["patient"], **body), status, code)


def test_who_may_plan_a_course(client: TestClient, api: Api, clinic: dict[str, Any]) -> None:
    assert_problem(_course(api, 999), 404, "not_found")
    therapist = api.user("therapist", 1, name="rae")
    refused = client.post(
        f"/api/patients/{clinic['patient']}/courses",
        json={"rrule": SIX, "start": "2026-03-02T09:00"},
        headers=therapist,
    )
    assert_problem(refused, 403, "forbidden")


def test_the_course_pages(client: TestClient, api: Api, clinic: dict[str, Any]) -> None:
    api.ok(
        "POST",
        "/api/users",
        {"username": "sam", "role": "scheduler", "password": "pw-sam-123"},
        201,
    )
    assert log_in(client, "sam", "pw-sam-123").status_code == 303
    form_page = client.get("/courses/new", params={"date": "2026-03-02"})
    assert form_page.status_code == 200 and 'name="rrule"' in form_page.text
    form = {
        "csrf_token": csrf_of(form_page.text),
        "patient_id": str(clinic["patient"]),
        "start": "2026-03-02T09:00",
        "repeat": "custom",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",  # no end: refused, back to the form with why
        "care_plan": "rehab",
        "commit": "0",
        "day": "2026-03-02",
    }
    refused = client.post("/courses", data=form)
    assert refused.status_code == 200 and "COUNT or UNTIL" in refused.text
    preview = client.post("/courses", data={**form, "repeat": SIX})
    assert "proposed course, not booked yet" in preview.text
    assert api.get("/api/infusions").json() == []
    booked = client.post("/courses", data={**form, "repeat": SIX, "commit": "1"})
    assert "6 of 6 infusions placed" in booked.text and booked.url.path.startswith("/courses/")


def test_a_long_search_stays_bounded_and_answers_every_visit(
    api: Api, clinic: dict[str, Any]
) -> None:
    """Night rehab: its one therapist works 00:00-00:30, so no time places it and every visit
    tries all 33 times of a four-hour tolerance: the course's budget of tries runs out
    during the fifth visit, and the last visits are tried at their preferred time only."""
    api.therapist("Nox", ("night",), start="00:00", end="00:30")
    api.session_type("night_rehab", "spinogenesis", "night", 30)
    wanted = {"care_plan": ["rehab", "night_rehab"], "tolerance_minutes": 240}
    visits = _course(api, clinic["patient"], **wanted).json()["visits"]
    assert [v["shifted_minutes"] for v in visits] == [0] * 6
    for visit in visits:
        assert [s["session_type"] for s in visit["sessions"]] == ["rehab"]
        assert [u["session_type"] for u in visit["unplaced"]] == ["night_rehab"]
