"""The optimizer's answer: placed sessions, unplaced items with a §4 code, and the score.

Ids are the :class:`~planner.optimize.day.Day`'s own; times are aware, in the day's zone.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from planner.optimize.model import Problem
from planner.optimize.state import Assignment


@dataclass(frozen=True)
class PlacedSession:
    infusion_id: int
    session_type: str
    therapist_id: int
    room_id: int | None
    start: datetime  # aware, in the day's time zone
    end: datetime


@dataclass(frozen=True)
class UnplacedItem:
    infusion_id: int
    session_type: str
    code: str  # the §4 code of the rule that blocked it, or "no_slot"


@dataclass(frozen=True)
class Objective:
    placed: int
    requested: int
    deviation_minutes: float  # sum of |midpoint - target| over sessions whose window has one
    load_stdev: float  # population stdev of new sessions per therapist (reported, not scored)


@dataclass(frozen=True)
class DayPlan:
    sessions: list[PlacedSession]
    unplaced: list[UnplacedItem]
    solver: str  # "heuristic" or "cp-sat+heuristic"
    seconds: float
    objective: Objective


def build(
    problem: Problem,
    plan: dict[int, Assignment],
    codes: dict[int, str],
    solver: str,
    seconds: float,
) -> DayPlan:
    """A DayPlan from concrete assignments (rooms already assigned) and unplaced codes."""
    sessions: list[PlacedSession] = []
    loads = [0] * len(problem.therapists)
    dev2 = 0
    for i in sorted(plan, key=lambda i: (plan[i][0], i)):
        item = problem.items[i]
        t, k, r = plan[i]
        loads[k] += 1
        dev2 += item.dev2(t)
        start = datetime.fromtimestamp(t * 60, tz=problem.zone)
        end = datetime.fromtimestamp((t + item.duration) * 60, tz=problem.zone)
        sessions.append(
            PlacedSession(
                infusion_id=item.infusion_id,
                session_type=item.session_type,
                therapist_id=problem.therapists[k].id,
                room_id=problem.rooms[r].id if r >= 0 else None,
                start=start,
                end=end,
            )
        )
    unplaced = [
        UnplacedItem(item.infusion_id, item.session_type, codes[item.index])
        for item in problem.items
        if item.index not in plan
    ]
    objective = Objective(
        placed=len(sessions),
        requested=len(problem.items),
        deviation_minutes=round(dev2 / 2, 1),
        load_stdev=round(statistics.pstdev(loads), 3) if loads else 0.0,
    )
    return DayPlan(sessions, unplaced, solver, round(seconds, 3), objective)
