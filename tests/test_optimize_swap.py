"""The polish's swap move (``Annealing.swap``): a placed session out, unplaced ones near its
time in, the session back where it still fits; kept or undone by the annealing rule."""

from __future__ import annotations

import random
from typing import Any

from planner.optimize.annealing import Annealing
from planner.optimize.model import Problem
from planner.optimize.state import State
from tests.optimize_support import at, instance, problem_of, therapist

DAY = "2026-03-10"


def _day(shifts: list[tuple[str, str, str]], ends: list[tuple[str, str]]) -> dict[str, Any]:
    """One therapist per shift ``(discipline, start, end)``, a quiet room, and one patient per
    ``(infusion end, session type)`` (40-min infusions), each with that one session."""
    inst = instance(DAY)
    inst["therapists"] = [
        therapist(f"t{n}", [discipline], DAY, start, end)
        for n, (discipline, start, end) in enumerate(shifts, 1)
    ]
    inst["rooms"] = [{"id": "quiet1", "kind": "quiet_room"}]
    inst["infusions"] = []
    for n, (end, session_type) in enumerate(ends, 1):
        hours, minutes = map(int, end.split(":"))
        began = hours * 60 + minutes - 40
        inst["infusions"].append(
            {
                "id": f"i{n}",
                "patient_id": f"p{n}",
                "start": at(DAY, f"{began // 60:02d}:{began % 60:02d}"),
                "duration_minutes": 40,
                "care_plan": [session_type],
            }
        )
    return inst


def _items_by_window(problem: Problem) -> list[int]:
    """The items' indices, by the start of their window (one item per infusion here)."""
    return [item.index for item in sorted(problem.items, key=lambda it: it.window[0])]


def _cold_run(state: State) -> Annealing:
    """An annealing run as cold as the polish's (a worse plan is all but never kept)."""
    problem = state.p
    weight = 4 * (1 + max(it.dev2(t) for it in problem.items for t, _ in it.cands))
    return Annealing(state, problem.work.now() + 60.0, weight, 0.01, 0.001)


def test_a_swap_places_the_session_it_was_blocking_and_keeps_the_session() -> None:
    # one psychotherapist, 10:40-12:20: two 50-min therapies fit only at 10:40 and 11:30.
    # The first patient's window opens at 10:40, the second's at 11:30 (the only start it
    # has). A third patient's cognitive training (peak window 13:30-15:30) would fit with the
    # cognitive therapist, but its window does not meet the swapped session's time: a swap
    # tries only the unplaced items whose window does.
    therapy, training = "cognitive_therapy", "cognitive_training"
    problem = problem_of(
        _day(
            [("psychotherapy", "10:40", "12:20"), ("cognitive", "13:30", "15:30")],
            [("08:40", therapy), ("09:30", therapy), ("10:30", training)],
        )
    )
    first, second, late = _items_by_window(problem)
    state = State(problem)
    cands = problem.items[first].cands
    blocking = next(c for c in cands if c[0] > cands[0][0])  # not its earliest start
    room = state.feasible(first, *blocking)
    assert room is not None
    state.place(first, (*blocking, room))
    state.forget()
    assert state.best_spot(second) is None  # blocked by the first session
    live = [first, second, late]

    kept = _cold_run(state).swap(first, random.Random(1), live)

    assert kept
    assert state.placed == 2
    assert state.assign[second] is not None
    a, b = state.assign[first], state.assign[second]
    assert a is not None and b is not None
    assert a[0] + 50 <= b[0]  # back to back, the first moved earlier to make room
    assert state.assign[late] is None  # its window does not meet the swapped time
    assert state.best_spot(late) is not None  # although it would fit


def test_a_swap_that_only_moves_the_plan_off_target_is_undone() -> None:
    # one therapist for exactly the hour centred on the first patient's peak (12:40, four
    # hours after the infusion): 12:10-13:10. The second patient's peak is 12:50: in the gap
    # its hour could start only at 12:10, 10 minutes off, and the first session would have
    # nowhere to go back to.
    training = "cognitive_training"
    problem = problem_of(
        _day([("cognitive", "12:10", "13:10")], [("08:40", training), ("08:50", training)])
    )
    first, second = _items_by_window(problem)
    state = State(problem)
    spot = state.best_spot(first)
    assert spot is not None and problem.items[first].dev2(spot[0]) == 0
    state.place(first, spot)
    state.forget()
    before = list(state.assign), state.key()

    kept = _cold_run(state).swap(first, random.Random(1), [first, second])

    assert not kept
    assert (list(state.assign), state.key()) == before
    assert state.log == []  # the undo log holds nothing of the undone move
