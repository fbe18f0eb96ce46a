"""The tests' own plan checker (tests/plan_checker.py) flags every rule it is meant to check.

One small day and a hand-made valid plan; each case breaks one rule and expects the checker
to name it. The optimizer tests trust this checker, so it is tested on its own here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.optimize_support import at, instance, therapist
from tests.plan_checker import check

DAY = "2026-03-10"
Case = Callable[[dict[str, Any], dict[str, Any]], None]


def small_day() -> dict[str, Any]:
    """i1 (p1) wants all three types, i2 (p2) rehab; both infusions 08:00-08:40.

    Windows (anchor 08:40): rehab 10:40-12:40, training 11:40-13:40 with target 12:40
    (midpoint), therapy 10:40-20:40.
    """
    inst = instance(DAY)
    inst["therapists"] = [
        therapist("t1", ["physical"], DAY, buffer_minutes=10, max_sessions_per_day=2),
        therapist("t2", ["cognitive"], DAY),
        therapist("t3", ["psychotherapy"], DAY),
    ]
    inst["rooms"] = [{"id": "gym1", "kind": "gym"}, {"id": "quiet1", "kind": "quiet_room"}]
    everything = ["physical_rehabilitation", "cognitive_training", "cognitive_therapy"]
    inst["infusions"] = [
        {"id": "i1", "patient_id": "p1", "start": at(DAY, "08:00"), "care_plan": everything},
        {
            "id": "i2",
            "patient_id": "p2",
            "start": at(DAY, "08:00"),
            "duration_minutes": 40,
            "care_plan": ["physical_rehabilitation"],
        },
    ]
    return inst


def session(infusion: str, kind: str, ther: str, room: str | None, hhmm: str) -> dict[str, Any]:
    return {
        "infusion_id": infusion,
        "session_type": kind,
        "therapist_id": ther,
        "room_id": room,
        "start": at(DAY, hhmm),
    }


def valid_plan() -> dict[str, Any]:
    return {
        "sessions": [
            session("i1", "physical_rehabilitation", "t1", "gym1", "10:40"),  # until 11:25
            session("i2", "physical_rehabilitation", "t1", "gym1", "11:40"),  # buffer 10 kept
            session("i1", "cognitive_training", "t2", "quiet1", "12:10"),  # midpoint 12:40
            session("i1", "cognitive_therapy", "t3", None, "13:10"),
        ],
        "unplaced": [],
    }


def _start(n: int, hhmm: str) -> Case:
    def change(inst: dict[str, Any], plan: dict[str, Any]) -> None:
        plan["sessions"][n]["start"] = at(DAY, hhmm)

    return change


def _field(n: int, name: str, value: Any) -> Case:
    def change(inst: dict[str, Any], plan: dict[str, Any]) -> None:
        plan["sessions"][n][name] = value

    return change


def _instance(path: str, value: Any) -> Case:
    """Set ``inst[a][b]...`` for ``path`` "a.b..." (list positions as integers)."""

    def change(inst: dict[str, Any], plan: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = inst
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _add_session(extra: dict[str, Any]) -> Case:
    def change(inst: dict[str, Any], plan: dict[str, Any]) -> None:
        plan["sessions"].append(extra)

    return change


def _add_infusion(inst: dict[str, Any], plan: dict[str, Any]) -> None:
    inst["infusions"].append(
        {"id": "i3", "patient_id": "p1", "start": at(DAY, "13:20"), "care_plan": []}
    )


def _drop_last(inst: dict[str, Any], plan: dict[str, Any]) -> None:
    plan["sessions"].pop()


def _unknown_code(inst: dict[str, Any], plan: dict[str, Any]) -> None:
    gone = plan["sessions"].pop()
    plan["unplaced"].append(
        {"infusion_id": gone["infusion_id"], "session_type": gone["session_type"], "code": "?"}
    )


BROKEN: dict[str, tuple[Case, str]] = {
    "placed twice": (_add_session(valid_plan()["sessions"][3]), "placed twice"),
    "not requested": (
        _add_session(session("i2", "cognitive_therapy", "t3", None, "15:00")),
        "not requested",
    ),
    "outside the window": (_start(3, "10:00"), "outside its window"),
    "off the grid": (_start(3, "13:12"), "off the 5-minute local grid"),
    "discipline": (_field(3, "therapist_id", "t2"), "t2 lacks psychotherapy"),
    "working time": (
        _instance("therapists.2.working", [[at(DAY, "07:00"), at(DAY, "13:30")]]),
        "t3 does not work then",
    ),
    "buffer": (_start(1, "11:30"), "too close on t1"),
    "patient sessions": (_start(3, "12:30"), "too close on p1"),
    "patient infusion": (_add_infusion, "infusion i3"),
    "room kind": (_field(2, "room_id", "gym1"), "needs a room of kind quiet_room"),
    "no room": (_field(0, "room_id", None), "needs a room of kind gym"),
    "room for no kind": (_field(3, "room_id", "quiet1"), "a room for a type that needs none"),
    "room overlap": (_start(1, "11:00"), "too close on gym1"),
    "room booked": (
        _instance("rooms.0.booked", [[at(DAY, "11:30"), at(DAY, "11:45")]]),
        "booked time of gym1",
    ),
    "therapist booked": (
        _instance("therapists.2.booked", [[at(DAY, "13:00"), at(DAY, "13:15")]]),
        "booked time of t3",
    ),
    "patient booked": (
        _instance("patients", [{"id": "p2", "booked": [[at(DAY, "12:00"), at(DAY, "12:10")]]}]),
        "booked time of p2",
    ),
    "daily limit": (_instance("therapists.0.sessions_already", 1), "t1: 3 sessions, limit 2"),
    "not before": (_instance("not_before", at(DAY, "11:00")), "before not_before"),
    "unanswered item": (_drop_last, "neither placed nor unplaced"),
    "unknown code": (_unknown_code, "unknown code"),
}


def test_the_hand_made_plan_is_valid_and_scored() -> None:
    result = check(small_day(), valid_plan())
    assert result["violations"] == []
    assert (result["placed"], result["requested"], result["deviation_minutes"]) == (4, 4, 0.0)
    assert result["load_stdev"] == pytest.approx(0.471, abs=1e-3)  # loads 2, 1, 1


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_each_broken_rule_is_named(rule: str) -> None:
    inst, plan = small_day(), copy.deepcopy(valid_plan())
    change, expected = BROKEN[rule]
    change(inst, plan)
    result = check(inst, plan)
    assert not result["valid"]
    assert any(expected in v for v in result["violations"]), result["violations"]


def test_the_deviation_is_the_distance_of_the_midpoint_from_the_target() -> None:
    plan = valid_plan()
    plan["sessions"][2]["start"] = at(DAY, "12:00")  # midpoint 12:30, target 12:40
    result = check(small_day(), plan)
    assert result["valid"] and result["deviation_minutes"] == 10.0
