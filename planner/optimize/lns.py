"""Large-neighbourhood search: free a small part of the day and re-solve it exactly (CP-SAT).

Each step frees one neighbourhood, everything else stays fixed, and ``cpsat.solve_part``
re-solves it (warm-started from the current plan, kept only when no worse):

- *therapists* (80% of the steps at first, 40% at the end): an unplaced item, a few of its
  qualified therapists and a few other therapists sharing a discipline with them; every
  session of those therapists and a sample of the unplaced items that could use them are
  freed, and may move only between those therapists (or stay with their own). This is what
  places more sessions. The number of therapists adapts: it grows while sub-problems are
  proven optimal and shrinks back (to ``_THERAPISTS``) when they are not.
- *time slice* (the other steps): every session starting in a random slice of the day (any
  therapist) and a few unplaced items whose window meets it. This mostly lowers the
  deviation, as the end of the search leans towards it.

Sub-problems are small (tens of items), so each solve takes a fraction of a second (at most
``_STEP_S``). Seeds are fixed; being time-limited, results still vary with machine load.
"""

from __future__ import annotations

import random
import time

from planner.optimize import cpsat
from planner.optimize.state import State

SEED = 7
_SLICE = 150  # minutes
_STEP_S = 0.3  # time limit of one sub-solve
_THERAPISTS = 4  # therapists freed by one neighbourhood (at first; then adapted)
_MAX_THERAPISTS = 10.0
_UNPLACED = 8  # unplaced items added to one neighbourhood


def search(
    state: State, deadline: float, *, workers: int = 2, seed: int = SEED, polish: float = 0.25
) -> State:
    """Improve ``state`` in place by LNS steps until ``deadline`` (monotonic); answer it.

    The last ``polish`` share of the time uses time slices only (the deviation).
    """
    p = state.p
    rng = random.Random(seed)
    live = [item.index for item in p.items if item.cands]
    if not live:
        return state
    lo = min(p.items[i].window[0] for i in live)
    hi = max(p.items[i].window[1] for i in live)
    quals = {i: [k for k, _ in p.items[i].by_ther] for i in live}
    began = time.monotonic()
    steps = 0
    size = float(_THERAPISTS)
    while True:
        now = time.monotonic()
        left = deadline - now
        if left < 0.05 or _finished(state, live):
            break
        steps += 1
        unplaced = [i for i in live if state.assign[i] is None]
        late = (now - began) / max(1e-3, deadline - began)
        if unplaced and late < 1 - polish and rng.random() < 0.8 - 0.4 * late:
            free, ks = _by_therapists(state, rng, unplaced, quals, round(size))
            _, optimal = cpsat.solve_part(
                state, free, min(_STEP_S, left), workers=workers, seed=steps, therapists=ks
            )
            # adapt: grow while sub-problems are solved to optimality, else shrink
            size = min(size + 0.5, _MAX_THERAPISTS) if optimal else max(_THERAPISTS, size - 0.25)
        else:
            a = rng.randrange(lo, max(lo + 1, hi - _SLICE))
            free = [
                i for i in live if (x := state.assign[i]) is not None and a <= x[0] < a + _SLICE
            ]
            near = [
                i
                for i in unplaced
                if p.items[i].window[0] < a + _SLICE and a < p.items[i].window[1]
            ]
            free += rng.sample(near, min(len(near), _UNPLACED // 2))
            cpsat.solve_part(state, free, min(_STEP_S, left), workers=workers, seed=steps)
    return state


def _by_therapists(
    state: State, rng: random.Random, unplaced: list[int], quals: dict[int, list[int]], n: int
) -> tuple[list[int], set[int]]:
    p = state.p
    u = rng.choice(unplaced)
    own = quals[u]
    ks = set(rng.sample(own, min(len(own), max(1, n // 2))))
    shared = set().union(*(p.therapists[k].disciplines for k in ks))
    others = [
        k for k in range(len(p.therapists)) if k not in ks and p.therapists[k].disciplines & shared
    ]
    rng.shuffle(others)
    ks.update(others[: n - len(ks)])
    free = [i for i, x in enumerate(state.assign) if x is not None and x[1] in ks]
    extra = [i for i in unplaced if i != u and any(k in ks for k in quals[i])]
    rng.shuffle(extra)
    return [*free, u, *extra[: 2 * n]], ks


def _finished(state: State, live: list[int]) -> bool:
    """Every item that can be placed is, each at its best possible deviation."""
    items = state.p.items
    if state.placed < len(live):
        return False
    return all(
        (a := state.assign[i]) is not None
        and items[i].dev2(a[0]) == items[i].dev2(items[i].cands[0][0])
        for i in live
    )
