"""Shared helpers for the day-optimizer tests: small instances and the benchmark checker."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from planner.optimize import DayPlan

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(os.environ.get("PLANNER_BENCH_DIR", REPO.parent / "shared" / "bench"))
HAVE_ORTOOLS = importlib.util.find_spec("ortools") is not None
needs_bench = pytest.mark.skipif(
    not (BENCH / "check.py").exists(), reason=f"benchmark not found at {BENCH}"
)
needs_ortools = pytest.mark.skipif(
    not HAVE_ORTOOLS, reason="OR-Tools (the 'optimize' extra) is not installed"
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


def run_check(inst: dict[str, Any], plan: DayPlan, tmp_path: Path) -> dict[str, Any]:
    ipath, ppath = tmp_path / "instance.json", tmp_path / "plan.json"
    ipath.write_text(json.dumps(inst))
    ppath.write_text(json.dumps(plan.to_json()))
    done = subprocess.run(
        [sys.executable, str(BENCH / "check.py"), str(ipath), str(ppath)],
        capture_output=True,
        text=True,
        check=False,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == 0, result["violations"]
    return result


def placed(plan: DayPlan) -> dict[tuple[str, str], Any]:
    return {(s.infusion_id, s.session_type): s for s in plan.sessions}


def codes(plan: DayPlan) -> dict[tuple[str, str], str]:
    return {(u.infusion_id, u.session_type): u.code for u in plan.unplaced}


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


def spinogenesis_starts(plan: DayPlan) -> list[str]:
    return [s.start.strftime("%H:%M") for s in plan.sessions]


def generated(size: str, seed: int) -> dict[str, Any]:
    """A day from the benchmark's own generator (``generate.py``)."""
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out: dict[str, Any] = module.generate(size, seed)
    return out
