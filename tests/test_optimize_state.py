"""The optimizer's partial plan: the ejection query, pooled room kinds, the undo log."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from planner.optimize import heuristic
from planner.optimize.model import Problem
from planner.optimize.spans import first_full
from planner.optimize.state import POOL, State
from tests.optimize_support import problem_of, shipped

bookings = st.lists(
    st.tuples(st.integers(0, 200), st.integers(1, 90)).map(lambda s: (s[0], s[0] + s[1])),
    max_size=12,
)


@given(bookings, st.integers(1, 4), st.integers(0, 150))
def test_first_full_is_the_earliest_minute_where_the_kind_is_full(
    spans: list[tuple[int, int]], cap: int, since: int
) -> None:
    running = sorted((a, b, j) for j, (a, b) in enumerate(spans) if b > since)
    expected = next(
        (x for x in range(since, 300) if sum(a <= x < b for a, b, _ in running) >= cap), None
    )
    assert first_full(running, cap, since) == expected


def _kind_invariant(state: State) -> None:
    """Each pooled kind lists exactly its placed sessions, sorted by start."""
    items = state.p.items
    for kind, books in state.kind.items():
        assert books == sorted(books)
        expected = sorted(
            (a[0], a[0] + items[i].duration, i)
            for i, a in enumerate(state.assign)
            if a is not None and a[2] == POOL and items[i].room_kind == kind
        )
        assert books == expected


def _medium_day() -> tuple[Problem, State]:
    problem = problem_of(shipped("medium-13"))
    state = heuristic.construct(problem)
    assert any(item.pooled for item in problem.items)
    return problem, state


def test_ejecting_the_blockers_always_makes_room() -> None:
    """For any candidate of any item: with the reported blockers removed the item fits there,
    and a candidate that fits already reports none."""
    problem, state = _medium_day()
    rng = random.Random(5)
    tried = ejected = 0
    for _ in range(600):
        i = rng.randrange(len(problem.items))
        cands = problem.items[i].cands
        if not cands:
            continue
        t, k = rng.choice(cands)
        mark = state.mark()
        if state.assign[i] is not None:
            state.remove(i)
        fits = state.feasible(i, t, k) is not None
        found = state.blockers(i, t, k, rng.randrange(1 << 16))
        if found is not None:
            tried += 1
            assert (found == set()) == fits
            for j in found:
                state.remove(j)
            ejected += len(found)
            assert state.feasible(i, t, k) is not None
        else:
            assert not fits
        state.undo(mark)
        _kind_invariant(state)
    assert tried > 300 and ejected > 100  # the day is busy enough to need ejections


def test_undo_restores_the_plan_and_the_pooled_kinds() -> None:
    problem, state = _medium_day()
    before = (list(state.assign), state.placed, state.dev2)
    mark = state.mark()
    rng = random.Random(8)
    for _ in range(300):
        i = rng.randrange(len(problem.items))
        if state.assign[i] is not None and rng.random() < 0.5:
            state.remove(i)
        elif state.assign[i] is None:
            state.insert_best(i)
        _kind_invariant(state)
    assert state.assign != before[0]
    state.undo(mark)
    _kind_invariant(state)
    assert (state.assign, state.placed, state.dev2) == before


def test_counting_first_then_polishing_never_places_fewer() -> None:
    """The heuristic alone anneals for the count only, then lowers the deviation: that last
    phase keeps every session it was given placed and never ends with more deviation."""
    _, state = _medium_day()
    counted = heuristic.improve(state, state.p.work.now() + 0.3, seed=2, wmul=1000.0)
    assert counted.placed >= state.placed
    placed, dev2 = counted.placed, counted.dev2
    polished = heuristic.polish(counted, counted.p.work.now() + 0.3, seed=2)
    assert polished.placed >= placed
    assert polished.key() >= (placed, -dev2)
    assert polished.dev2 < dev2 or polished.placed > placed  # the count-only plan is far off
