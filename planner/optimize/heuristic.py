"""Greedy construction, then local search by forced insertion with ejection and repair.

Construction places the most constrained items first (fewest static candidates), each at its
best feasible candidate. The local search repeats one move: force an item into a chosen
candidate ``(start, therapist, room)``, eject whatever is in the way, reinsert the ejected
items (most constrained first, each at its best feasible candidate), then try a few of the
unplaced items; the move is kept by simulated annealing on ``W * placed - deviation``,
otherwise undone. Forcing an unplaced item is an ejection chain that places more sessions;
forcing a placed one nearer its target lowers the deviation. ``solve`` first anneals for the
count alone (``W`` so large that the deviation is noise beside the temperature: sessions
packed around their targets leave gaps others cannot use), then, when it runs alone, lowers
the deviation with the count kept (``polish``).
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Iterable

from planner.optimize.annealing import Annealing
from planner.optimize.model import Problem
from planner.optimize.state import Assignment, State

SEED = 20260310
_CONSTRUCT_SHARE = 0.08  # of the heuristic's time: randomized constructions (construct_many)
_ALONE_POLISH = 0.25  # of the time left after them, alone: the deviation, the count kept
Q_OFF = 0.5  # polish: the share of moves aimed at a session off its target
# polish: the share of the aimed moves that are swaps (``Annealing.swap``) once the best
# count has not grown for ``SWAP_STALL`` of the time (``annealing.SWAP_TRIES``: how many
# unplaced items a swap tries).
# Measured (bench/RESULTS.md, "swaps"): large-2 0.73 min per session (was 1.02), every
# count kept; swaps from the start cost large-3 its 172nd session (found late in the polish)
Q_SWAP = 0.8
SWAP_STALL = 0.5
_COUNT_W = 1000.0  # score weight of one placed session (times the largest deviation): count only


def construct(problem: Problem) -> State:
    """Most constrained first: fewest static candidates, then earliest window."""
    order = sorted(
        (item for item in problem.items if item.cands),
        key=lambda item: (len(item.cands), item.window[0], item.index),
    )
    return _insert_in_order(problem, [item.index for item in order])


def _insert_in_order(problem: Problem, order: Iterable[int]) -> State:
    """A new state with each item of ``order`` at its best feasible spot, in that order."""
    state = State(problem)
    for i in order:
        state.insert_best(i)
    state.forget()
    return state


def construct_many(problem: Problem, deadline: float, *, seed: int = SEED) -> State:
    """Randomized greedy constructions until ``deadline`` (work.py); the best of them.

    The first is :func:`construct`. Each other orders the items by a random mix of window
    slack, window end and number of candidates (plus some noise), each at its best spot. A
    construction takes milliseconds, so a fraction of a second tries dozens of orders (GRASP).
    Measured with the heuristic alone (1.6 s, 8 seeds): medium-2 64-66 (was 63-64), large-3
    163-166 (was 160-165), tight-1 30-31 as before; packing the starts early as well placed
    more at first but fewer after the local search on tight days.
    """
    rng = random.Random(seed)
    live = [item for item in problem.items if item.cands]
    best = construct(problem)
    while problem.work.now() < deadline:
        a, b, c = rng.random(), rng.random(), 3 * rng.random()
        noise = rng.choice((0, 10, 30, 60))
        keys = {
            item.index: a * (item.window[1] - item.window[0] - item.duration)
            + b * item.window[1]
            + c * len(item.cands)
            + noise * rng.random()
            for item in live
        }
        state = _insert_in_order(problem, sorted(keys, key=keys.__getitem__))
        if state.key() > best.key():
            best = state
    return best


def load_assignments(problem: Problem, assignments: dict[int, Assignment]) -> State:
    """A state holding the given assignments (the caller guarantees they are feasible)."""
    state = State(problem)
    for i, a in sorted(assignments.items()):
        state.place(i, a)
    state.forget()
    return state


def improve(
    state: State,
    deadline: float,
    *,
    seed: int = SEED,
    t_hot: float = 0.25,
    t_cold: float = 0.004,
    pack: float = 0.3,
    wmul: float = 4.0,
    q_unplaced: float = 0.5,
    q_augment: float = 0.1,
    depth: int = 3,
    nodes: int = 40,
    q_off: float = 0.0,
    q_swap: float = 0.0,
    swap_stall: float = 0.0,
) -> State:
    """Simulated annealing over forced-insertion moves until ``deadline`` (work.py).

    The score is ``W * placed - deviation``; a worse move is kept with probability
    ``exp(delta / T)``, ``T`` cooling from ``t_hot * W`` to ``t_cold * W``. Each move picks an
    item (unplaced with probability ``q_unplaced``); an unplaced one is placed by an ejection
    chain with probability ``q_augment``, else forced into a candidate (``pack``: the
    probability that the move packs re-inserted items early). An aimed move (``q_off``) is,
    with probability ``q_swap`` once the best count has not grown for ``swap_stall`` of the
    time, a swap: the session out, unplaced ones near its time in (``Annealing.swap``).
    Answers the best state seen.
    """
    items = state.p.items
    rng = random.Random(seed)
    weight = int(wmul * (1 + max((it.dev2(t) for it in items for t, _ in it.cands), default=0)))
    # the least deviation each item can have at all
    floor = [item.dev2(item.cands[0][0]) if item.cands else 0 for item in items]
    live = [item.index for item in items if item.cands]
    aimed = [i for i in live if items[i].target is not None]
    run = Annealing(state, deadline, weight, t_hot, t_cold)
    while live and run.tick():
        i = _pick_item(state, live, rng, q_unplaced)
        if q_off and aimed and rng.random() < q_off:
            i = _off_target(state, aimed, floor, rng, i)
            if (
                q_swap
                and run.frac - run.gained >= swap_stall
                and state.assign[i] is not None
                and rng.random() < q_swap
            ):
                run.swap(i, rng, live)
                continue
        if state.assign[i] is None and rng.random() < q_augment:
            run.chain(i, rng, depth, nodes)
            continue
        target = _pick_target(state, i, rng, floor[i])
        if target is None:
            continue
        if run.force(i, target, rng, live, pack) and run.all_at_target(len(live)):
            break
    return load_assignments(state.p, run.best)


def _pick_item(state: State, live: list[int], rng: random.Random, q_unplaced: float) -> int:
    """A random live item; with probability ``q_unplaced`` an unplaced one if there is."""
    i = live[rng.randrange(len(live))]
    if rng.random() < q_unplaced:
        unplaced = [j for j in live if state.assign[j] is None]
        if unplaced:
            i = unplaced[rng.randrange(len(unplaced))]
    return i


def _off_target(
    state: State, aimed: list[int], floor: list[int], rng: random.Random, otherwise: int
) -> int:
    """A random placed item off its nearest possible start to its target, else ``otherwise``."""
    items = state.p.items
    state.p.work.units += 1 + len(aimed) // 8
    off = [
        j for j in aimed if (a := state.assign[j]) is not None and items[j].dev2(a[0]) > floor[j]
    ]
    return off[rng.randrange(len(off))] if off else otherwise


def _pick_target(state: State, i: int, rng: random.Random, floor: int) -> tuple[int, int] | None:
    """Where to force item ``i``: for an unplaced one the candidate needing the fewest
    ejections among a few; for a placed one off its best (``floor``) mostly a candidate nearer
    its target, else any. None when that is where it is."""
    a = state.assign[i]
    if a is None:
        return _pick_candidate(state, i, rng)
    item = state.p.items[i]
    cur = item.dev2(a[0])
    if cur > floor and rng.random() < 0.7:
        better = [c for c in item.cands[:64] if item.dev2(c[0]) < cur]
        t, k = rng.choice(better) if better else rng.choice(item.cands)
    else:
        t, k = rng.choice(item.cands)
    return None if (t, k) == a[:2] else (t, k)


def _pick_candidate(state: State, i: int, rng: random.Random) -> tuple[int, int]:
    """Among a few random candidates, the one needing the fewest ejections."""
    cands = state.p.items[i].cands
    best: tuple[int, int] | None = None
    best_cost = 1 << 30
    for _ in range(4):
        t, k = (
            cands[rng.randrange(len(cands))]
            if rng.random() < 0.5
            else cands[rng.randrange(min(len(cands), 8))]
        )
        found = state.blockers(i, t, k, rng.randrange(1 << 16))
        if found is None:
            continue
        cost = len(found)
        if cost < best_cost:
            best, best_cost = (t, k), cost
    return best if best is not None else cands[0]


def solve(problem: Problem, deadline: float, *, seed: int = SEED, alone: bool = False) -> State:
    """Construct (the best of many randomized constructions), then anneal until ``deadline``.

    ``alone`` (no CP-SAT after it): the annealing first maximizes the count alone (the
    deviation weighs nothing against the temperature), with ejection chains twice as often
    but each smaller; the last ``_ALONE_POLISH`` of the time lowers the deviation, the count
    kept (slide, then a cold annealing). Measured in-process (1.6 s, 8 seeds): large-3
    168-170 (was 165-168 with the weighted objective throughout), medium-2 65-66 (64-66).
    """
    now = problem.work.now()
    start = construct_many(problem, now + _CONSTRUCT_SHARE * (deadline - now), seed=seed)
    if not alone:  # CP-SAT takes over: it counts first, then lowers the deviation
        return improve(start, deadline, seed=seed, wmul=_COUNT_W)
    left = deadline - problem.work.now()
    state = improve(
        start, deadline - _ALONE_POLISH * left, seed=seed, q_augment=0.2, nodes=10, wmul=_COUNT_W
    )
    return polish(state, deadline, seed=seed)


def polish(state: State, deadline: float, *, seed: int = SEED, swaps: bool = False) -> State:
    """Lower the deviation until ``deadline``, never placing fewer: slide, then a cold
    annealing whose moves are aimed, one in ``1 / Q_OFF``, at a session off its target;
    with ``swaps`` (after CP-SAT's count search), once the count stalls, most of those are
    swaps (``Q_SWAP``). The heuristic alone keeps its measured polish without them."""
    slide(state)
    return improve(
        state,
        deadline,
        seed=seed,
        t_hot=0.01,
        t_cold=0.001,
        q_unplaced=0.2,
        q_off=Q_OFF,
        q_swap=Q_SWAP if swaps else 0.0,
        swap_stall=SWAP_STALL,
    )


def fill(state: State) -> None:
    """Place every unplaced item that still fits somewhere (most constrained first)."""
    items = state.p.items
    for i in sorted(
        (i for i, a in enumerate(state.assign) if a is None and items[i].cands),
        key=lambda i: (len(items[i].cands), i),
    ):
        state.insert_best(i)
    state.forget()


def slide(state: State, among: Iterable[int] | None = None, passes: int = 2) -> None:
    """Move each session (of ``among``, default all) to its best feasible spot when that is
    nearer its target; the count never changes."""
    items = state.p.items
    order = list(range(len(items)) if among is None else among)
    for _ in range(passes):
        moved = False
        for i in order:
            a = state.assign[i]
            if a is None or items[i].dev2(a[0]) == 0:
                continue
            state.remove(i)
            b = state.best_spot(i)
            if b is not None and items[i].dev2(b[0]) < items[i].dev2(a[0]):
                state.place(i, b)
                moved = True
            else:
                state.place(i, a)
        if not moved:
            break
    state.forget()


def balance(state: State, passes: int = 3) -> None:
    """Even the therapists' loads by moving sessions to a less loaded therapist, same start."""
    items = state.p.items
    for _ in range(passes):
        moved = False
        for i, a in enumerate(state.assign):
            if a is None:
                continue
            t, k, _ = a
            for k2, starts in items[i].by_ther:
                if len(state.ther[k2]) + 1 >= len(state.ther[k]) or k2 == k:
                    continue
                j = bisect_left(starts, t)
                if j == len(starts) or starts[j] != t:
                    continue
                state.remove(i)
                room = state.feasible(i, t, k2)
                if room is None:
                    state.place(i, a)
                    continue
                state.place(i, (t, k2, room))
                moved = True
                break
        if not moved:
            break
    state.forget()
