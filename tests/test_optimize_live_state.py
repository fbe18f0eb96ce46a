"""The optimizer's live-state extensions: booked time, sessions already, patients, not_before."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from tests.optimize_support import (
    HAVE_ORTOOLS,
    TYPES,
    at,
    codes,
    one_patient,
    placed,
    run_check,
    solve,
    starts,
    therapist,
)

# --- extensions -------------------------------------------------------------------------------


def test_therapist_booked_time_and_buffer_are_respected() -> None:
    # window for physical rehab: 10:40 .. 12:40 (anchor 08:40); 45 minutes
    inst = one_patient()
    inst["therapists"] = [
        therapist(
            "t1",
            ["physical"],
            "2026-03-10",
            buffer_minutes=15,
            booked=[[at("2026-03-10", "10:00"), at("2026-03-10", "11:40")]],
        )
    ]
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert starts(plan) == ["11:55"]  # earliest after booked end + buffer
    inst["therapists"][0]["booked"] = [[at("2026-03-10", "10:00"), at("2026-03-10", "12:30")]]
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert codes(plan) == {("i1", "physical_rehabilitation"): "therapist_busy"}


def test_sessions_already_count_towards_the_daily_limit() -> None:
    inst = one_patient()
    inst["therapists"] = [
        therapist("t1", ["physical"], "2026-03-10", max_sessions_per_day=3, sessions_already=3)
    ]
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert codes(plan) == {("i1", "physical_rehabilitation"): "daily_limit"}
    inst["therapists"][0]["sessions_already"] = 2
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert plan["objective"]["placed"] == 1


def test_room_booked_time_is_respected() -> None:
    inst = one_patient()
    inst["therapists"] = [therapist("t1", ["physical"], "2026-03-10")]
    inst["rooms"][0]["booked"] = [[at("2026-03-10", "10:00"), at("2026-03-10", "11:50")]]
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert starts(plan) == ["11:50"]
    assert plan["sessions"][0]["room_id"] == "gym1"
    inst["rooms"][0]["booked"] = [[at("2026-03-10", "10:00"), at("2026-03-10", "12:30")]]
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert codes(plan) == {("i1", "physical_rehabilitation"): "room_unavailable"}


@pytest.mark.skipif(not HAVE_ORTOOLS, reason="OR-Tools (the 'optimize' extra) is not installed")
def test_room_booked_time_is_respected_by_cp_sat() -> None:
    inst = one_patient()
    inst["therapists"] = [therapist("t1", ["physical"], "2026-03-10")]
    inst["rooms"].append(
        {
            "id": "gym2",
            "kind": "gym",
            "booked": [[at("2026-03-10", "10:00"), at("2026-03-10", "12:40")]],
        }
    )
    inst["rooms"][0]["booked"] = [[at("2026-03-10", "10:00"), at("2026-03-10", "11:30")]]
    plan = solve(inst, time_limit_s=1.0, solver="cp-sat")
    assert starts(plan) == ["11:30"]
    assert plan["sessions"][0]["room_id"] == "gym1"


def test_patient_booked_time_is_respected() -> None:
    inst = one_patient()
    inst["therapists"] = [therapist("t1", ["physical"], "2026-03-10")]
    inst["patients"] = [
        {"id": "p1", "booked": [[at("2026-03-10", "10:30"), at("2026-03-10", "11:20")]]}
    ]
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert starts(plan) == ["11:20"]
    inst["patients"][0]["booked"] = [[at("2026-03-10", "10:30"), at("2026-03-10", "12:00")]]
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert codes(plan) == {("i1", "physical_rehabilitation"): "patient_busy"}


def test_not_before() -> None:
    inst = one_patient()
    inst["therapists"] = [therapist("t1", ["physical"], "2026-03-10")]
    inst["not_before"] = at("2026-03-10", "11:02")
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert starts(plan) == ["11:05"]
    inst["not_before"] = at("2026-03-10", "12:00")
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert codes(plan) == {("i1", "physical_rehabilitation"): "in_the_past"}


def test_one_patient_never_overlaps_itself() -> None:
    day = "2026-03-10"
    inst = one_patient(care=[t["key"] for t in TYPES])
    inst["therapists"] = [
        therapist(f"t{n}", [d], day)
        for n, d in enumerate(["physical", "cognitive", "psychotherapy"], 1)
    ]
    plan = solve(inst, time_limit_s=0.5, solver="heuristic")
    assert plan["objective"]["placed"] == 3
    ends = {(i, k): t["duration_minutes"] for i, k in placed(plan) for t in TYPES if t["key"] == k}
    spans = sorted(
        (start := datetime.fromisoformat(s["start"]), start + timedelta(minutes=ends[key]))
        for key, s in placed(plan).items()
    )
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    run_check(inst, plan)
