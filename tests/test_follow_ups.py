"""Follow-up series from an RRULE, in wall time across DST."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.problems import assert_problem
from tests.support import Api


@pytest.fixture
def series(api: Api) -> dict[str, Any]:
    """An infusion on 2026-03-03 (EST); long_term runs 2026-03-04 … 2026-03-31 (EDT from 03-08)."""
    therapist = api.therapist("Lee", ("physio",), start="08:00", end="17:00")
    api.session_type("follow_up", "long_term", "physio", 45, room_kind=None)
    patient = api.patient("Pat")
    infusion = api.infusion(patient["id"], "2026-03-03T08:00")
    return {"infusion": infusion, "therapist": therapist}


def test_weekly_series_keeps_local_time_across_dst(api: Api, series: dict[str, Any]) -> None:
    answer = api.ok(
        "POST",
        f"/api/infusions/{series['infusion']['id']}/follow-ups",
        {"session_type": "follow_up", "rrule": "FREQ=WEEKLY;COUNT=4", "start": "2026-03-04T10:00"},
    )
    assert [s["start"] for s in answer["sessions"]] == [
        "2026-03-04T10:00:00-05:00",
        "2026-03-11T10:00:00-04:00",  # after the spring-forward night: still 10:00 local
        "2026-03-18T10:00:00-04:00",
        "2026-03-25T10:00:00-04:00",
    ]
    assert answer["unplaced"] == []


def test_rule_without_count_stops_at_window_end(api: Api, series: dict[str, Any]) -> None:
    answer = api.ok(
        "POST",
        f"/api/infusions/{series['infusion']['id']}/follow-ups",
        {"session_type": "follow_up", "rrule": "FREQ=WEEKLY", "start": "2026-03-04T10:00"},
    )
    assert len(answer["sessions"]) == 4  # 04, 11, 18, 25; 04-01 is past the window's end
    assert answer["unplaced"] == []


def take_march_11_at_ten(api: Api, infusion: dict[str, Any]) -> None:
    """Book the patient's follow-up on 2026-03-11 10:00–10:45, before the series is asked for."""
    body = {"infusion_id": infusion["id"], "session_type": "follow_up", "start": "2026-03-11T10:00"}
    api.ok("POST", "/api/sessions", body, 201)


def test_occurrences_past_window_and_taken_times(api: Api, series: dict[str, Any]) -> None:
    infusion = series["infusion"]
    take_march_11_at_ten(api, infusion)
    answer = api.ok(
        "POST",
        f"/api/infusions/{infusion['id']}/follow-ups",
        {"session_type": "follow_up", "rrule": "FREQ=WEEKLY;COUNT=5", "start": "2026-03-04T10:00"},
    )
    codes = {u["occurrence"][:10]: u["code"] for u in answer["unplaced"]}
    # No therapist named: the patient's own session is the first rule in the way (§4 order).
    assert codes == {"2026-03-11": "patient_busy", "2026-04-01": "outside_window"}
    assert len(answer["sessions"]) == 3


def test_tolerance_moves_to_nearest_free_time(api: Api, series: dict[str, Any]) -> None:
    infusion = series["infusion"]
    take_march_11_at_ten(api, infusion)
    answer = api.ok(
        "POST",
        f"/api/infusions/{infusion['id']}/follow-ups",
        {
            "session_type": "follow_up",
            "rrule": "FREQ=WEEKLY;COUNT=2",
            "start": "2026-03-04T10:00",
            "tolerance_minutes": 60,
        },
    )
    assert [s["start"] for s in answer["sessions"]] == [
        "2026-03-04T10:00:00-05:00",
        "2026-03-11T09:15:00-04:00",  # 10:00–10:45 is taken; 09:15 and 10:45 tie: earlier
    ]


def test_dst_gap_occurrence_is_reported(api: Api, series: dict[str, Any]) -> None:
    api.therapist("Night", ("physio",), start="00:00", end="06:00")
    answer = api.ok(
        "POST",
        f"/api/infusions/{series['infusion']['id']}/follow-ups",
        {"session_type": "follow_up", "rrule": "FREQ=DAILY;COUNT=6", "start": "2026-03-05T02:30"},
    )
    assert [u["code"] for u in answer["unplaced"]] == ["nonexistent_local_time"]
    assert answer["unplaced"][0]["occurrence"].startswith("2026-03-08T02:30")
    assert len(answer["sessions"]) == 5


def test_bad_rrule_is_422(api: Api, series: dict[str, Any]) -> None:
    response = api.post(
        f"/api/infusions/{series['infusion']['id']}/follow-ups",
        {"session_type": "follow_up", "rrule": "FREQ=SOMETIMES", "start": "2026-03-04T10:00"},
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


HOSTILE_RULES = [
    "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=1;COUNT=1",  # searched for 61 s
    "FREQ=DAILY;INTERVAL=-1;COUNT=3",  # these three answered 500
    "FREQ=DAILY;INTERVAL=-5",
    "FREQ=YEARLY;BYEASTER=-100000;COUNT=1",
    "FREQ=SECONDLY;INTERVAL=7;COUNT=4",  # booked sessions at 10:30:07
    "FREQ=YEARLY;BYEASTER=-100000",
    "FREQ=DAILY;BYSETPOS=1;BYMONTH=2;BYMONTHDAY=31",
    "FREQ=WEEKLY;COUNT=200",  # runs four years past its start
]


def test_hostile_rules_are_422_and_book_nothing(api: Api, series: dict[str, Any]) -> None:
    infusion = series["infusion"]
    path = f"/api/infusions/{infusion['id']}/follow-ups"
    for rule in HOSTILE_RULES:
        began = time.perf_counter()
        body = {"session_type": "follow_up", "rrule": rule, "start": "2026-03-04T10:30"}
        problem = assert_problem(api.post(path, body), 422, "validation_error", rule)
        assert time.perf_counter() - began < 2, rule
        assert problem["detail"].startswith(f"rrule {rule!r}"), problem
    booked = api.get("/api/sessions", patient_id=infusion["patient_id"])
    assert booked.status_code == 200 and booked.json() == []


def test_until_is_inclusive_and_times_stay_whole_minutes(api: Api, series: dict[str, Any]) -> None:
    answer = api.ok(
        "POST",
        f"/api/infusions/{series['infusion']['id']}/follow-ups",
        {
            "session_type": "follow_up",
            "rrule": "FREQ=WEEKLY;UNTIL=20260318",
            "start": "2026-03-04T10:30",
        },
    )
    assert [s["start"] for s in answer["sessions"]] == [
        "2026-03-04T10:30:00-05:00",
        "2026-03-11T10:30:00-04:00",
        "2026-03-18T10:30:00-04:00",
    ]
