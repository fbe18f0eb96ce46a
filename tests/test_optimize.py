"""The day optimizer (planner.optimize): valid plans, joint assignment, DST, extensions, codes.

Plans are checked by the tests' own checker (tests/plan_checker.py). No database.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from planner import optimize as optimize_pkg
from planner.optimize.command import main as command_main
from planner.optimize.instance import InstanceError
from planner.optimize.state import State
from tests.optimize_support import (
    HAVE_ORTOOLS,
    NY,
    TYPES,
    at,
    best_known,
    codes,
    instance,
    needs_ortools,
    one_patient,
    placed,
    problem_of,
    run_check,
    shipped,
    solve,
    therapist,
)

# --- benchmark instances ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["small-1", "tight-1"])
def test_heuristic_plans_pass_the_checker(name: str) -> None:
    inst = shipped(name)
    plan = solve(inst, time_limit_s=1.0, solver="heuristic")
    assert plan["solver"] == "heuristic"
    result = run_check(inst, plan)
    assert result["placed"] == plan["objective"]["placed"] == len(plan["sessions"])
    assert result["deviation_minutes"] == plan["objective"]["deviation_minutes"]
    assert len(plan["sessions"]) + len(plan["unplaced"]) == result["requested"]
    assert all(u["code"] for u in plan["unplaced"])


@needs_ortools
def test_cp_sat_plan_passes_the_checker_and_is_optimal_on_small() -> None:
    inst = shipped("small-2")
    plan = solve(inst, time_limit_s=3.0, solver="cp-sat")
    assert plan["solver"] == "cp-sat+heuristic"
    result = run_check(inst, plan)
    best = best_known("small-2")
    assert result["placed"] == best["placed"] == best["placed_bound"]  # proven optimal


def test_auto_without_ortools_falls_back_to_the_heuristic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optimize_pkg.cpsat, "available", lambda: False)
    plan = solve(joint_instance(), time_limit_s=0.5)
    assert plan["solver"] == "heuristic"
    with pytest.raises(optimize_pkg.SolverUnavailable):
        solve(joint_instance(), time_limit_s=0.5, solver="cp-sat")


# --- joint assignment ---------------------------------------------------------------------


def joint_instance() -> dict[str, Any]:
    """Two items at one forced time; therapist t1 can do both, t2 only the first.

    First-fit in input order gives i1 to t1 (the first qualified therapist) and then i2,
    which only t1 can take, finds t1 busy. The joint answer is i1 -> t2, i2 -> t1.
    """
    day = "2026-03-10"
    one_slot = {"key": "exact", "start_offset": "PT2H", "end_offset": "PT3H", "target_offset": None}
    inst = instance(day)
    inst["protocol"]["windows"].append(one_slot)
    inst["session_types"] = [
        {
            "key": "walk",
            "duration_minutes": 60,
            "discipline": "physical",
            "window": "exact",
            "room_kind": None,
        },
        {
            "key": "talk",
            "duration_minutes": 60,
            "discipline": "psychotherapy",
            "window": "exact",
            "room_kind": None,
        },
    ]
    inst["therapists"] = [
        therapist("t1", ["physical", "psychotherapy"], day),
        therapist("t2", ["physical"], day),
    ]
    inst["infusions"] = [
        {
            "id": "i1",
            "patient_id": "p1",
            "start": at(day, "08:00"),
            "duration_minutes": 40,
            "care_plan": ["walk"],
        },
        {
            "id": "i2",
            "patient_id": "p2",
            "start": at(day, "08:00"),
            "duration_minutes": 40,
            "care_plan": ["talk"],
        },
    ]
    return inst


def first_fit_in_input_order(inst: dict[str, Any]) -> int:
    problem = problem_of(inst)
    state = State(problem)
    for item in problem.items:
        for t, k in sorted(item.cands, key=lambda c: (c[1], c[0])):
            room = state.feasible(item.index, t, k)
            if room is not None:
                state.place(item.index, (t, k, room))
                break
    return state.placed


@pytest.mark.parametrize("solver", ["heuristic", "cp-sat"])
def test_joint_assignment_beats_first_fit(solver: str) -> None:
    if solver == "cp-sat" and not HAVE_ORTOOLS:
        pytest.skip("OR-Tools (the 'optimize' extra) is not installed")
    inst = joint_instance()
    assert first_fit_in_input_order(inst) == 1
    plan = solve(inst, time_limit_s=0.5, solver=solver)  # type: ignore[arg-type]
    assert plan["objective"]["placed"] == 2 and not plan["unplaced"]
    got = placed(plan)
    assert got[("i1", "walk")]["therapist_id"] == "t2"
    assert got[("i2", "talk")]["therapist_id"] == "t1"
    run_check(inst, plan)


# --- DST ------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["2026-03-08", "2026-11-01"])
def test_dst_day_plan_is_on_the_local_grid(day: str) -> None:
    """A 40-minute grid is not a whole number of hours: counting it in elapsed time from
    midnight would be off by the DST hour after the change; it must follow the wall clock."""
    inst = instance(day, grid_minutes=40)
    inst["therapists"] = [
        therapist(
            f"t{n}",
            ["physical", "cognitive", "psychotherapy"],
            day,
            start="00:00" if day.endswith("08") else "00:30",
            end="23:00",
        )
        for n in range(1, 4)
    ]
    inst["rooms"] = [
        {"id": f"{kind}{n}", "kind": kind} for kind in ("gym", "quiet_room") for n in (1, 2, 3)
    ]
    tz = ZoneInfo(NY)
    starts = ["00:10", "00:30", "01:05"] if day.endswith("08") else ["00:40", "01:00", "01:20"]
    inst["infusions"] = [
        {
            "id": f"i{n}",
            "patient_id": f"p{n}",
            "start": at(day, s),
            "duration_minutes": 40,
            "care_plan": [t["key"] for t in TYPES],
        }
        for n, s in enumerate(starts, 1)
    ]
    plan = solve(inst, time_limit_s=1.0, solver="heuristic")
    assert plan["objective"]["placed"] >= 6
    for s in plan["sessions"]:
        start = datetime.fromisoformat(s["start"])
        local = start.astimezone(tz)
        assert start.utcoffset() == local.utcoffset()  # written with the local offset
        assert (local.hour * 60 + local.minute) % 40 == 0
    run_check(inst, plan)


# --- codes ------------------------------------------------------------------------------------


def test_static_codes() -> None:
    day = "2026-03-10"
    inst = one_patient(care=["physical_rehabilitation", "cognitive_training", "cognitive_therapy"])
    inst["protocol"]["windows"][2]["end_offset"] = "PT2H30M"  # 30 min < a 50-minute session
    inst["therapists"] = [
        therapist("t1", ["physical"], day, start="07:00", end="09:00"),
        therapist("t2", ["cognitive"], day),
    ]
    inst["rooms"] = [{"id": "gym1", "kind": "gym"}]
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert codes(plan) == {
        ("i1", "physical_rehabilitation"): "therapist_unavailable",
        ("i1", "cognitive_training"): "room_unavailable",
        ("i1", "cognitive_therapy"): "no_slot",
    }
    inst["protocol"]["windows"][2]["end_offset"] = "PT12H"
    plan = solve(inst, time_limit_s=0.3, solver="heuristic")
    assert codes(plan)[("i1", "cognitive_therapy")] == "discipline_mismatch"


# --- format and command -----------------------------------------------------------------------


def test_the_adapter_writes_the_bench_plan_format() -> None:
    doc = solve(joint_instance(), time_limit_s=0.3, solver="heuristic")
    assert set(doc) == {"sessions", "unplaced", "solver", "seconds", "objective"}
    assert set(doc["objective"]) == {"placed", "requested", "deviation_minutes", "load_stdev"}
    for s in doc["sessions"]:
        assert set(s) == {"infusion_id", "session_type", "therapist_id", "room_id", "start"}
    assert sorted(s["start"] for s in doc["sessions"]) == ["2026-03-10T10:40:00-04:00"] * 2
    json.dumps(doc)


def test_command_prints_only_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "day.json"
    path.write_text(json.dumps(joint_instance()))
    assert command_main([str(path), "--solver", "heuristic", "--time-limit", "0.3"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["objective"]["placed"] == 2


@pytest.mark.parametrize("content", ["not json", "[]", '{"date": "2026-03-10"}'])
def test_command_refuses_a_bad_file(
    content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert command_main([str(path)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "planner optimize" in out.err
    assert command_main([str(tmp_path / "missing.json")]) == 2


def test_instance_errors_name_the_place() -> None:
    inst = joint_instance()
    inst["infusions"][0]["care_plan"] = ["nope"]
    with pytest.raises(InstanceError, match="unknown session type"):
        solve(inst, time_limit_s=0.3, solver="heuristic")
