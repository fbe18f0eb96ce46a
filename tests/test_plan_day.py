"""POST /api/plan/day: the whole day's care plans at once, confirmed by the booking rules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.problems import assert_problem as problem_of
from tests.support import Api

DAY = "2026-03-10"


@pytest.fixture
def day(api: Api) -> list[dict[str, Any]]:
    api.therapist("Rhea", ("physio",), start="08:00", end="16:00", buffer_minutes=10)
    api.therapist("Cole", ("cognitive",), start="09:00", end="17:00", max_sessions_per_day=3)
    api.therapist("Ivy", ("cognitive", "physio"), start="10:00", end="18:00")
    api.room("Gym", "gym")
    api.room("Quiet", "quiet_room")
    api.session_type("rehab", "spinogenesis", "physio", 45, room_kind="gym")
    api.session_type("training", "peak", "cognitive", 60, room_kind="quiet_room")
    api.session_type("therapy", "plasticity", "cognitive", 50)
    infusions = []
    for index, wall in enumerate(["07:00", "07:00", "07:30", "08:00", "09:00"]):
        patient = api.patient(f"P{index}")
        infusions.append(
            api.infusion(patient["id"], f"{DAY}T{wall}", care_plan=["rehab", "training", "therapy"])
        )
    return infusions


def _sessions_of_day(api: Api) -> list[dict[str, Any]]:
    return api.ok("GET", f"/api/sessions?date={DAY}")


def test_plan_without_commit_books_nothing(api: Api, day: list[dict[str, Any]]) -> None:
    plan = api.ok("POST", "/api/plan/day", {"date": DAY, "commit": False, "time_limit_seconds": 2})
    assert plan["objective"]["requested"] == 15
    assert plan["objective"]["placed"] == len(plan["sessions"]) > 0
    assert len(plan["unplaced"]) == 15 - len(plan["sessions"])
    assert _sessions_of_day(api) == []


def test_commit_books_exactly_the_plan(api: Api, day: list[dict[str, Any]]) -> None:
    plan = api.ok("POST", "/api/plan/day", {"date": DAY, "commit": True, "time_limit_seconds": 2})
    stored = _sessions_of_day(api)
    as_planned = sorted(
        (s["id"], s["infusion_id"], s["session_type"], s["therapist_id"], s["room_id"], s["start"])
        for s in plan["sessions"]
    )
    as_stored = sorted(
        (s["id"], s["infusion_id"], s["session_type"], s["therapist_id"], s["room_id"], s["start"])
        for s in stored
    )
    assert as_planned == as_stored and len(as_stored) == plan["objective"]["placed"]
    # Planning again finds only what is still unplaced, and books nothing twice.
    again = api.ok("POST", "/api/plan/day", {"date": DAY, "commit": True, "time_limit_seconds": 1})
    assert again["objective"]["requested"] == len(plan["unplaced"])
    assert len(_sessions_of_day(api)) == len(stored) + len(again["sessions"])


def test_planned_sessions_obey_every_rule(api: Api, day: list[dict[str, Any]]) -> None:
    plan = api.ok("POST", "/api/plan/day", {"date": DAY, "commit": True, "time_limit_seconds": 2})
    by_therapist: dict[int, list[tuple[str, str]]] = {}
    for s in plan["sessions"]:
        by_therapist.setdefault(s["therapist_id"], []).append((s["start"], s["end"]))
    cole = next(t for t in api.ok("GET", "/api/therapists") if t["name"] == "Cole")
    assert len(by_therapist.get(cole["id"], [])) <= 3  # max_sessions_per_day
    for spans in by_therapist.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    # Every committed session can be read back and sits in its window.
    for s in plan["sessions"]:
        stored = api.ok("GET", f"/api/sessions/{s['id']}")
        assert stored["outside_window"] is False


@pytest.mark.parametrize("commit", [False, True])
def test_plan_day_on_a_clock_between_minutes(
    api: Api, day: list[dict[str, Any]], clock: Any, commit: bool
) -> None:
    """The real clock is never on a whole minute: planning the day must still work (was 500)."""
    clock.now = datetime(2026, 3, 10, 11, 41, 48, 209625, tzinfo=UTC)  # 07:41:48 in New York
    plan = api.ok("POST", "/api/plan/day", {"date": DAY, "commit": commit, "time_limit_seconds": 2})
    assert plan["objective"]["placed"] == len(plan["sessions"]) > 0
    for s in plan["sessions"]:
        start = datetime.fromisoformat(s["start"])
        assert start >= clock.now and start.second == 0


def _proposed(plan: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("infusion_id", "session_type", "therapist_id", "room_id", "start")
    return [{k: s[k] for k in keys} for s in plan["sessions"]]


def test_the_preview_is_what_gets_booked(api: Api, day: list[dict[str, Any]]) -> None:
    preview = api.ok(
        "POST", "/api/plan/day", {"date": DAY, "commit": False, "time_limit_seconds": 2}
    )
    assert preview["sessions"] and _sessions_of_day(api) == []
    booked = api.ok("POST", "/api/plan/day/book", {"date": DAY, "sessions": _proposed(preview)})
    assert booked["committed"] is True
    as_previewed = sorted(
        (s["infusion_id"], s["session_type"], s["therapist_id"], s["start"])
        for s in preview["sessions"]
    )
    as_stored = sorted(
        (s["infusion_id"], s["session_type"], s["therapist_id"], s["start"])
        for s in _sessions_of_day(api)
    )
    assert as_stored == as_previewed
    assert all(s["id"] is not None and s["status"] == "booked" for s in booked["sessions"])


def test_a_day_that_changed_since_the_preview_books_nothing(
    api: Api, day: list[dict[str, Any]]
) -> None:
    preview = api.ok(
        "POST", "/api/plan/day", {"date": DAY, "commit": False, "time_limit_seconds": 2}
    )
    first = preview["sessions"][0]
    # meanwhile, someone books that care-plan item by hand (another tab)
    api.ok(
        "POST",
        "/api/sessions",
        {
            "infusion_id": first["infusion_id"],
            "session_type": first["session_type"],
            "start": first["start"],
            "therapist_id": first["therapist_id"],
        },
        201,
    )
    answer = api.post("/api/plan/day/book", {"date": DAY, "sessions": _proposed(preview)})
    body = problem_of(answer, 409, "conflict")
    assert "changed since the preview" in body["detail"] and "Plan the day again" in body["detail"]
    assert len(_sessions_of_day(api)) == 1  # only the one booked by hand


def test_a_preview_of_another_day_is_refused(api: Api, day: list[dict[str, Any]]) -> None:
    preview = api.ok(
        "POST", "/api/plan/day", {"date": DAY, "commit": False, "time_limit_seconds": 1}
    )
    answer = api.post("/api/plan/day/book", {"date": "2026-03-11", "sessions": _proposed(preview)})
    problem_of(answer, 422, "validation_error")
    assert _sessions_of_day(api) == []
