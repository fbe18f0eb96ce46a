"""The day optimizer: place as many of a day's requested sessions as possible (docs/rules.md).

``optimize(day)`` takes a typed :class:`Day` (``day.py``: integer ids, aware datetimes) and
answers a :class:`DayPlan` with the same ids. The benchmark's JSON format
(``../shared/bench/README.md``) is only an adapter around it (``instance.py``, used by
``planner optimize``). Its rules are exactly the booking rules, as the benchmark checker has
them: each session fits its window (elapsed-time offsets from the anchor, the infusion's end
or start); starts lie on the ``grid_minutes`` marks of the local wall clock counted from
local midnight (so DST days stay on the local grid); the therapist has the discipline and
works the whole session; a therapist's sessions are ``buffer`` apart; a patient's sessions
never overlap each other nor the patient's infusions; a room of the right kind, never
double-booked; the daily limit respected.

Objective, in order: most sessions placed, then least total |midpoint - target| minutes, then
even therapist loads (a final pass only). Method: the best of many randomized
most-constrained-first constructions and a local search for the count alone (simulated
annealing over forced insertion with ejection and repair; alone, the heuristic then lowers
the deviation with the count kept); then, when OR-Tools is importable (a regular
dependency), CP-SAT: the whole-day model on small days (proved optimal in well under a second),
else a large-neighbourhood search (``lns``: free a few therapists' sessions, a room kind's
sessions near a window or a time slice, re-solve it exactly, keep it if no worse) maximizing
the count alone; on medium days (up to 120 items) followed by the whole-day model, count
only, warm-started from the LNS plan; and last, with the count kept, the deviation: a slide
of each session towards its target, then a cold annealing (forced moves, half of them aimed
at sessions off their targets, never fewer placed). The time is counted in work, not on
the wall clock (``work.py``) and seeds are fixed: the same day and budget give the same plan
whatever the machine's load.

The day may carry live state (all optional): therapists' booked sessions (the buffer applies
between them and new sessions) and sessions already booked that day (counted towards the
daily limit), rooms' and patients' booked time (every infusion of a patient blocks them too),
and ``not_before``: no session starts earlier (items whose whole window lies before it are
unplaced with code ``in_the_past``).

Unplaced items carry a §4 code: ``no_slot`` (the window holds no grid time at all),
``in_the_past``, ``discipline_mismatch``, ``therapist_unavailable``, or, for the nearest miss
against the final plan, ``therapist_busy``, ``patient_busy``, ``room_unavailable``,
``daily_limit`` (see ``codes``).

Pure domain code: no web framework, no database.
"""

from __future__ import annotations

import time
from typing import Literal

from planner.optimize import cpsat, heuristic, lns
from planner.optimize.codes import diagnose
from planner.optimize.day import Day, DayError, DayInfusion, DayPatient, DayRoom, DayTherapist
from planner.optimize.model import build_problem
from planner.optimize.plan import DayPlan, Objective, PlacedSession, UnplacedItem, build
from planner.optimize.state import State, assign_rooms

__all__ = [
    "Day",
    "DayError",
    "DayInfusion",
    "DayPatient",
    "DayPlan",
    "DayRoom",
    "DayTherapist",
    "Objective",
    "PlacedSession",
    "SolverUnavailable",
    "UnplacedItem",
    "optimize",
]

Solver = Literal["auto", "heuristic", "cp-sat"]

# share of the budget the heuristic gets before CP-SAT takes over (auto / cp-sat), at most
# _HEURISTIC_MAX_S (_MEDIUM_HEURISTIC_MAX_S on medium days: the whole-day model needs the time)
_HEURISTIC_SHARE = 0.25
_HEURISTIC_MAX_S = 1.5
_MEDIUM_HEURISTIC_MAX_S = 0.6
# whole-day CP-SAT model: alone up to _SMALL_ITEMS items (proves small days optimal); after
# the count LNS up to _MEDIUM_ITEMS, count only, from the last _FULL_SHARE of the time
_SMALL_ITEMS = 40
_MEDIUM_ITEMS = 120
_FULL_SHARE = 0.9
# the last share: the deviation (``_polish``, a cold annealing aimed at the sessions off
# their targets). Medium days give the whole-day model more of their time: it alone finds
# the last session. Measured with the work clock (bench/RESULTS.md, "Steady day plans"):
# 40 % on large days and 20 % on medium ones took the mean deviation per session from
# 2.3-2.9 to 1.0-1.8 on the large days (medium-3 3.7 to 3.0), every count kept; deviation
# LNS steps (CP-SAT, each placed item kept placed) did less in the same time and were dropped
_POLISH_SHARE = 0.4
_MEDIUM_POLISH_SHARE = 0.2
# kept back for building the answer (codes, rooms, JSON)
_MARGIN_S = 0.25


class SolverUnavailable(RuntimeError):
    """``solver="cp-sat"`` was asked for but OR-Tools is not installed."""


def optimize(day: Day, *, time_limit_s: float = 8.0, solver: Solver = "auto") -> DayPlan:
    """Plan ``day`` within about ``time_limit_s`` seconds.

    Raises :class:`SolverUnavailable` for ``solver="cp-sat"`` without OR-Tools.
    """
    began = time.monotonic()
    if solver not in ("auto", "heuristic", "cp-sat"):
        raise ValueError(f"unknown solver {solver!r}: auto, heuristic or cp-sat")
    use_cp = solver != "heuristic" and cpsat.available()
    if solver == "cp-sat" and not use_cp:
        raise SolverUnavailable("solver cp-sat needs OR-Tools: pip install ortools")
    problem = build_problem(day)
    work = problem.work
    work.start(time_limit_s)
    deadline = max(0.0, time_limit_s - _MARGIN_S)  # in seconds of work (work.py)

    if use_cp:
        live = [item.index for item in problem.items if item.cands]
        medium = _SMALL_ITEMS < len(live) <= _MEDIUM_ITEMS
        most = _MEDIUM_HEURISTIC_MAX_S if medium else _HEURISTIC_MAX_S
        budget = min(most, _HEURISTIC_SHARE * (deadline - work.now()))
        state = heuristic.solve(problem, work.now() + max(0.0, budget))
        state = _exact(state, live, deadline)
    else:
        state = heuristic.solve(problem, deadline, alone=True)
    heuristic.fill(state)
    heuristic.slide(state)
    heuristic.balance(state)
    plan = assign_rooms(problem, _assignments(state))
    codes = {i: diagnose(state, i) for i, a in enumerate(state.assign) if a is None}
    name = "cp-sat+heuristic" if use_cp else "heuristic"
    return build(problem, plan, codes, name, time.monotonic() - began)


def _exact(state: State, live: list[int], deadline: float) -> State:
    """CP-SAT: the whole day when small, else count LNS, (medium) whole day; then the polish.

    ``live`` are the items with at least one candidate.
    """
    work = state.p.work
    left = deadline - work.now()
    if len(live) <= _SMALL_ITEMS and left > 0.3:
        _, optimal = cpsat.solve_part(state, live, 0.5 * left)
        if optimal:
            return state
    if len(live) > _MEDIUM_ITEMS:
        left = deadline - work.now()
        lns.search(state, deadline - _POLISH_SHARE * left, polish=0.0, count=True)
        return _polish(state, deadline)
    left = deadline - work.now()
    lns.search(state, deadline - _FULL_SHARE * left, polish=0.0, count=True)
    cpsat.improve(state, deadline - _MEDIUM_POLISH_SHARE * left, count_only=True)
    return _polish(state, deadline)


def _polish(state: State, deadline: float) -> State:
    """The deviation, the count kept: slide, then a cold annealing aimed at the sessions off
    their targets (it may still place one more)."""
    return heuristic.polish(state, deadline, swaps=True)


def _assignments(state: State) -> dict[int, tuple[int, int, int]]:
    return {i: a for i, a in enumerate(state.assign) if a is not None}
