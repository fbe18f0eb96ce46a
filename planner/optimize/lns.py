"""Large-neighbourhood search: free a small part of the day and re-solve it exactly (CP-SAT).

Each step frees one neighbourhood, everything else stays fixed, and ``cpsat.solve_part``
re-solves it (warm-started from the current plan, kept only when no worse):

- *therapists*: an unplaced item, a few of its qualified therapists and a few other
  therapists sharing a discipline with them; every session of those therapists and a sample
  of the unplaced items that could use them are freed, and may move only between those
  therapists (or stay with their own). The number of therapists adapts: it grows while
  sub-problems are proven optimal and shrinks back (to ``_THERAPISTS``) when they are not.
- *focused* (count phase): the same around an unplaced item, twice as many therapists, but
  only their sessions within 1-3 hours of the item's window.
- *room kind* (count phase): an unplaced item needing a room, every session of that room
  kind near its window (any therapist) and the other sessions of those patients: the room
  kinds (two gyms) are what fills first.
- *time slice*: every session starting in a random slice of the day (any therapist) and a
  few unplaced items whose window meets it. This mostly lowers the deviation.

With ``count=True`` every step is a count step while anything is unplaced: the sub-problem
maximizes the number placed alone (``count_only``; the deviation is ignored, to be lowered
by a later polish), which measured clearly better on large days than the weighted objective.
Otherwise 80% of the steps (40% at the end) are therapist steps, the rest time slices; the
last ``polish`` share of the time uses time slices only.

After each count step that changed the plan, the freed sessions slide towards their
targets where they fit (``heuristic.slide``). The deviation is lowered afterwards by the
heuristic's polish (``planner/optimize/__init__.py``).

Sub-problems are small (tens of items), so each solve takes a fraction of a second (at most
``_STEP_S`` seconds of work, ``work.py``). Seeds are fixed and the limits count work, so the
results do not vary with the machine's load.
"""

from __future__ import annotations

import random

from planner.optimize import cpsat, heuristic
from planner.optimize.state import State

SEED = 7
_SLICE = 150  # minutes
# time limit of one sub-solve; twice the steps of 0.3 s: large-3 171-173 (was 169-172)
_STEP_S = 0.15
_THERAPISTS = 4  # therapists freed by one neighbourhood (at first; then adapted)
_MAX_THERAPISTS = 10.0
_UNPLACED = 8  # unplaced items added to one neighbourhood


def search(
    state: State,
    deadline: float,
    *,
    seed: int = SEED,
    polish: float = 0.25,
    count: bool = False,
    focus: float = 0.5,
) -> State:
    """Improve ``state`` in place by LNS steps until ``deadline`` (work.py); answer it.

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
    began = p.work.now()
    steps = 0
    size = float(_THERAPISTS)
    while True:
        now = p.work.now()
        left = deadline - now
        if left < 0.05 or _finished(state, live):
            break
        steps += 1
        unplaced = [i for i in live if state.assign[i] is None]
        late = (now - began) / max(1e-3, deadline - began)
        if unplaced and late < 1 - polish and (count or rng.random() < 0.8 - 0.4 * late):
            free, ks = _unplaced_neighbourhood(state, rng, unplaced, quals, size, count, focus)
            changed, optimal = cpsat.solve_part(
                state,
                free,
                min(_STEP_S, left),
                seed=steps,
                therapists=ks,
                count_only=count,
            )
            if changed and count:  # the count-only plan ignores targets: slide towards them
                heuristic.slide(state, free)
            # adapt: grow while sub-problems are solved to optimality, else shrink
            size = min(size + 0.5, _MAX_THERAPISTS) if optimal else max(_THERAPISTS, size - 0.25)
        else:
            free, near = _time_slice(state, rng, live, unplaced, (lo, hi))
            free += rng.sample(near, min(len(near), _UNPLACED // 2))
            cpsat.solve_part(state, free, min(_STEP_S, left), seed=steps)
    return state


def _unplaced_neighbourhood(
    state: State,
    rng: random.Random,
    unplaced: list[int],
    quals: dict[int, list[int]],
    size: float,
    count: bool,
    focus: float,
) -> tuple[list[int], set[int] | None]:
    """The items to free around a random unplaced one, and the therapists they may move
    between (None: any). Count steps take a room kind (``focus / 2`` of them) or a focused
    group of about ``2 * size`` therapists (as many again); the others, and every step
    without ``count``, about ``size`` therapists with all their sessions."""
    pick = rng.random()
    if count and pick < focus * 0.5:
        return _by_kind(state, rng, unplaced), None
    if count and pick < focus:
        return _focused(state, rng, unplaced, quals, round(2 * size))
    return _by_therapists(state, rng, unplaced, quals, round(size))


def _time_slice(
    state: State, rng: random.Random, live: list[int], unplaced: list[int], day: tuple[int, int]
) -> tuple[list[int], list[int]]:
    """A random ``_SLICE`` of the ``day`` (the live items' window span): the placed items
    starting in it, and the unplaced ones whose window meets it."""
    items = state.p.items
    lo, hi = day
    a = rng.randrange(lo, max(lo + 1, hi - _SLICE))
    inside = [i for i in live if (x := state.assign[i]) is not None and a <= x[0] < a + _SLICE]
    near = [i for i in unplaced if items[i].window[0] < a + _SLICE and a < items[i].window[1]]
    return inside, near


def _by_kind(state: State, rng: random.Random, unplaced: list[int]) -> list[int]:
    """An unplaced item needing a room, and every session of that room kind near its window
    (any therapist), with the other sessions of those patients."""
    p = state.p
    items = p.items
    roomy = [i for i in unplaced if items[i].room_kind is not None] or unplaced
    u = rng.choice(roomy)
    kind = items[u].room_kind
    w0, w1 = items[u].window
    pad = rng.choice((30, 60, 90))
    a, b = w0 - pad, w1 + pad
    free = [
        i
        for i, x in enumerate(state.assign)
        if x is not None and items[i].room_kind == kind and a <= x[0] < b
    ]
    pats = {items[i].patient for i in free}
    free += [
        i
        for i, x in enumerate(state.assign)
        if x is not None and items[i].room_kind != kind and items[i].patient in pats
    ]
    extra = [
        i
        for i in unplaced
        if i != u
        and items[i].room_kind == kind
        and items[i].window[0] < b
        and a < items[i].window[1]
    ]
    rng.shuffle(extra)
    return [*free, u, *extra[:_UNPLACED]]


def _focused(
    state: State, rng: random.Random, unplaced: list[int], quals: dict[int, list[int]], n: int
) -> tuple[list[int], set[int]]:
    """An unplaced item, its therapists and kin, and their sessions near its window only."""
    p = state.p
    u = rng.choice(unplaced)
    w0, w1 = p.items[u].window
    pad = rng.choice((60, 90, 120, 180))
    a, b = w0 - pad, w1 + pad
    ks = _therapist_group(state, rng, quals[u], n)
    free = [i for i, x in enumerate(state.assign) if x is not None and x[1] in ks and a <= x[0] < b]
    extra = [
        i
        for i in unplaced
        if i != u
        and any(k in ks for k in quals[i])
        and p.items[i].window[0] < b
        and a < p.items[i].window[1]
    ]
    rng.shuffle(extra)
    return [*free, u, *extra[:n]], ks


def _by_therapists(
    state: State, rng: random.Random, unplaced: list[int], quals: dict[int, list[int]], n: int
) -> tuple[list[int], set[int]]:
    u = rng.choice(unplaced)
    ks = _therapist_group(state, rng, quals[u], n)
    free = [i for i, x in enumerate(state.assign) if x is not None and x[1] in ks]
    extra = [i for i in unplaced if i != u and any(k in ks for k in quals[i])]
    rng.shuffle(extra)
    return [*free, u, *extra[: 2 * n]], ks


def _therapist_group(state: State, rng: random.Random, own: list[int], n: int) -> set[int]:
    """Up to ``n`` therapists: about half of ``own`` (the item's qualified ones), the rest
    others sharing a discipline with those."""
    therapists = state.p.therapists
    ks = set(rng.sample(own, min(len(own), max(1, n // 2))))
    shared = set().union(*(therapists[k].disciplines for k in ks))
    others = [
        k for k in range(len(therapists)) if k not in ks and therapists[k].disciplines & shared
    ]
    rng.shuffle(others)
    ks.update(others[: n - len(ks)])
    return ks


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
