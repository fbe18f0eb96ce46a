"""POST /api/plan/day: the whole day's care plans at once, confirmed by the booking rules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

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
