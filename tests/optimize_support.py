"""Shared helpers for the day-optimizer tests: small instances, shipped days, the checker.

Most tests write their days in the benchmark's JSON format (short, and what ``planner
optimize`` reads) and solve them through the adapter (``planner.optimize.instance``), so they
read plans in that format too. ``tests/data`` holds a few benchmark-format days (see its
README): the tests need nothing beside the checkout. Plans are checked by the tests' own
``plan_checker``.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from planner.optimize import Solver
from planner.optimize.instance import plan_instance, read_instance
from planner.optimize.model import Problem, build_problem
from tests.plan_checker import check

DATA = Path(__file__).resolve().parent / "data"
HAVE_ORTOOLS = importlib.util.find_spec("ortools") is not None
needs_ortools = pytest.mark.skipif(
    not HAVE_ORTOOLS, reason="OR-Tools is not installed (a dependency of the planner: reinstall it)"
)

NY = "America/New_York"
PROTOCOL = {
    "anchor": "end",
    "windows": [
        {
            "key": "spinogenesis",
            "start_offset": "PT2H",
            "end_offset": "PT4H",
            "target_offset": None,
        },
        {"key": "peak", "start_offset": "PT3H", "end_offset": "PT5H", "target_offset": "PT4H"},
        {"key": "plasticity", "start_offset": "PT2H", "end_offset": "PT12H", "target_offset": None},
    ],
}
TYPES = [
    {
        "key": "physical_rehabilitation",
        "duration_minutes": 45,
        "discipline": "physical",
        "window": "spinogenesis",
        "room_kind": "gym",
    },
    {
        "key": "cognitive_training",
        "duration_minutes": 60,
        "discipline": "cognitive",
        "window": "peak",
        "room_kind": "quiet_room",
    },
    {
        "key": "cognitive_therapy",
        "duration_minutes": 50,
        "discipline": "psychotherapy",
        "window": "plasticity",
        "room_kind": None,
    },
]


def at(day: str, hhmm: str, tz: str = NY) -> str:
    local = datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=ZoneInfo(tz))
    return local.isoformat()


def therapist(
    tid: str,
    disciplines: list[str],
    day: str,
    start: str = "07:00",
    end: str = "21:00",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": tid,
        "disciplines": disciplines,
        "working": [[at(day, start), at(day, end)]],
        "buffer_minutes": 0,
        "max_sessions_per_day": None,
        **extra,
    }


def instance(day: str = "2026-03-10", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "hand",
        "date": day,
        "timezone": NY,
        "grid_minutes": 5,
        "protocol": copy.deepcopy(PROTOCOL),
        "session_types": copy.deepcopy(TYPES),
        "therapists": [],
        "rooms": [],
        "infusions": [],
    }
    base.update(extra)
    return base


def solve(inst: dict[str, Any], time_limit_s: float, solver: Solver = "auto") -> dict[str, Any]:
    """The plan of ``inst`` in the benchmark's format, as ``planner optimize`` prints it."""
    return plan_instance(inst, time_limit_s=time_limit_s, solver=solver)


def problem_of(inst: dict[str, Any]) -> Problem:
    """The optimizer's integer model of a benchmark-format day."""
    return build_problem(read_instance(inst).day)


def run_check(inst: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """The checker's verdict on ``plan``; fails the test when the plan breaks a rule."""
    result = check(inst, plan)
    assert result["valid"], result["violations"]
    return result


def placed(plan: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["infusion_id"], s["session_type"]): s for s in plan["sessions"]}


def codes(plan: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(u["infusion_id"], u["session_type"]): u["code"] for u in plan["unplaced"]}


def one_patient(day: str = "2026-03-10", care: list[str] | None = None) -> dict[str, Any]:
    inst = instance(day)
    inst["rooms"] = [{"id": "gym1", "kind": "gym"}, {"id": "quiet1", "kind": "quiet_room"}]
    inst["infusions"] = [
        {
            "id": "i1",
            "patient_id": "p1",
            "start": at(day, "08:00"),
            "duration_minutes": 40,
            "care_plan": care or ["physical_rehabilitation"],
        }
    ]
    return inst


def starts(plan: dict[str, Any]) -> list[str]:
    """The sessions' starts as local wall times, ``HH:MM``."""
    return [datetime.fromisoformat(s["start"]).strftime("%H:%M") for s in plan["sessions"]]


def shipped(name: str) -> dict[str, Any]:
    """A day of ``tests/data`` (``small-1``, ``medium-11``, ...)."""
    day: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return day


def best_known(name: str) -> dict[str, Any]:
    """The benchmark's best-known entry for a shipped copy of one of its instances."""
    entry: dict[str, Any] = json.loads((DATA / "best_known.json").read_text())[name]
    return entry
