"""The day as a CP-SAT model (OR-Tools, optional), warm-started from the heuristic's plan.

``solve_part`` re-solves a set of items (the whole day, from ``improve``) with every other
placed item fixed:

- per item a presence literal and a start variable on its grid candidates that fit beside the
  fixed sessions; per qualified therapist a literal (exactly one when present) whose optional
  interval, lengthened by the therapist's buffer, joins that therapist's NoOverlap, and which
  restricts the start to the starts that therapist can take;
- a NoOverlap per patient; a Cumulative per pooled room kind (capacity: its number of rooms,
  fixed sessions of the kind as fixed intervals), or per room a NoOverlap of optional
  (item, room) intervals when rooms of the kind already have bookings;
- the daily limit as a linear bound;
- objective ``W * placed - deviation`` (twice the minutes), ``W`` above any possible
  deviation, so one more placed session always wins, with the count kept at least at the
  current one (a redundant bound that prunes); or, ``count_only``, the number placed alone
  (no deviation variables: smaller, and its search goes straight at the count).

The solver's plan replaces the old one only when it is no worse.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from planner.optimize.state import NO_ROOM, POOL, Assignment, State


def available() -> bool:
    try:
        import ortools.sat.python.cp_model  # noqa: F401
    except ImportError:
        return False
    return True


def solve_part(
    state: State,
    free: list[int],
    limit: float,
    *,
    workers: int = 2,
    seed: int = 0,
    therapists: Collection[int] | None = None,
    count_only: bool = False,
    keep: bool = False,
) -> tuple[bool, bool]:
    """Re-solve the items ``free`` with everything else fixed; change ``state`` if no worse.

    With ``therapists``, an item may only go to one of those or stay with its own therapist.
    With ``count_only`` the objective is the number placed alone (faster to prove), and any
    other plan placing as many is taken (a plateau move; the deviation may grow). With
    ``keep`` every freed item placed now must stay placed (a deviation step).
    Answers (changed, proven optimal).
    """
    from ortools.sat.python import cp_model

    p = state.p
    items = p.items
    old = {i: state.assign[i] for i in free}
    for i in free:
        if state.assign[i] is not None:
            state.remove(i)
    state.forget()
    m = cp_model.CpModel()
    present: dict[int, Any] = {}
    start: dict[int, Any] = {}
    choice: dict[int, dict[int, Any]] = {}
    rooms: dict[int, dict[int, Any]] = {}
    dev: list[Any] = []
    by_ther: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    by_patient: dict[int, list[Any]] = defaultdict(list)
    by_kind: dict[str, list[Any]] = defaultdict(list)
    by_room: dict[int, list[Any]] = defaultdict(list)
    span: dict[str, list[int]] = {}
    weight = 1
    for i in free:
        item = items[i]
        per_k = state.free_starts(i)
        if therapists is not None:
            prev = old[i]
            own = -1 if prev is None else prev[1]
            per_k = [(k, ts) for k, ts in per_k if k in therapists or k == own]
        if not per_k:
            continue
        all_starts = sorted({t for _, ts in per_k for t in ts})
        pres = m.new_bool_var(f"p{i}")
        s = m.new_int_var_from_domain(cp_model.Domain.from_values(all_starts), f"s{i}")
        present[i], start[i], choice[i] = pres, s, {}
        if keep and old[i] is not None:
            m.add(pres == 1)
        for k, ts in per_k:
            x = m.new_bool_var(f"x{i}_{k}")
            if len(ts) < len(all_starts):
                allowed = cp_model.Domain.from_values(ts)
                m.add_linear_expression_in_domain(s, allowed).only_enforce_if(x)
            size = item.duration + p.therapists[k].buffer
            by_ther[k].append((m.new_optional_fixed_size_interval_var(s, size, x, f"t{i}_{k}"), x))
            choice[i][k] = x
        m.add_exactly_one([*choice[i].values(), pres.negated()])
        interval = m.new_optional_fixed_size_interval_var(s, item.duration, pres, f"iv{i}")
        by_patient[item.patient].append(interval)
        if item.room_kind is not None and item.pooled:
            by_kind[item.room_kind].append(interval)
            lo, hi = all_starts[0], all_starts[-1] + item.duration
            old_span = span.get(item.room_kind, [lo, hi])
            span[item.room_kind] = [min(lo, old_span[0]), max(hi, old_span[1])]
        elif item.room_kind is not None:
            rooms[i] = {}
            for r in item.rooms:
                y = m.new_bool_var(f"y{i}_{r}")
                rooms[i][r] = y
                by_room[r].append(
                    m.new_optional_fixed_size_interval_var(s, item.duration, y, f"r{i}_{r}")
                )
            m.add_exactly_one([*rooms[i].values(), pres.negated()])
        if item.target is not None and not count_only:
            worst = max(item.dev2(all_starts[0]), item.dev2(all_starts[-1]))
            d = m.new_int_var(0, worst, f"d{i}")
            expr = 2 * s + item.duration - 2 * item.target
            m.add(d >= expr).only_enforce_if(pres)
            m.add(d >= -expr).only_enforce_if(pres)
            dev.append(d)
            weight += worst
            prev = old[i]
            m.add_hint(d, item.dev2(prev[0]) if prev is not None else 0)

    for k, pairs in by_ther.items():
        if len(pairs) > 1:
            m.add_no_overlap([iv for iv, _ in pairs])
        cap = p.therapists[k].cap
        if cap is not None and len(state.ther[k]) + len(pairs) > cap:
            m.add(sum(x for _, x in pairs) <= cap - len(state.ther[k]))
    for ivs in by_patient.values():
        if len(ivs) > 1:
            m.add_no_overlap(ivs)
    for kind, ivs in by_kind.items():
        lo, hi = span[kind]
        fixed = [
            m.new_fixed_size_interval_var(a, b - a, f"k{kind}{a}_{j}")
            for a, b, j in state.kind[kind]
            if a < hi and lo < b
        ]
        if len(ivs) + len(fixed) > state.kind_cap[kind]:
            m.add_cumulative(ivs + fixed, [1] * (len(ivs) + len(fixed)), state.kind_cap[kind])
    for r, ivs in by_room.items():
        busy = list(p.rooms[r].booked) + [(a, b) for a, b, _ in state.room[r]]
        fixed = [m.new_fixed_size_interval_var(a, b - a, f"rb{r}_{a}") for a, b in busy if b > a]
        m.add_no_overlap(ivs + fixed)
    if count_only:
        m.maximize(sum(present.values()))
    else:
        # never fewer placed than now: prunes the search for a lower deviation
        m.add(sum(present.values()) >= sum(1 for i in present if old[i] is not None))
        m.maximize(weight * sum(present.values()) - sum(dev))

    for i in present:  # warm start: the current plan
        a = old[i]
        m.add_hint(present[i], a is not None)
        if a is not None:
            m.add_hint(start[i], a[0])
        for k, x in choice[i].items():
            m.add_hint(x, a is not None and a[1] == k)
        for r, y in rooms.get(i, {}).items():
            m.add_hint(y, a is not None and a[2] == r)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(m)
    old_value = sum(weight - items[i].dev2(a[0]) for i, a in old.items() if a is not None)
    new: dict[int, Assignment] = {}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for i, pres in present.items():
            if not solver.boolean_value(pres):
                continue
            t = int(solver.value(start[i]))
            k = next(k for k, x in choice[i].items() if solver.boolean_value(x))
            room = NO_ROOM if items[i].room_kind is None else POOL
            if i in rooms:
                room = next(r for r, y in rooms[i].items() if solver.boolean_value(y))
            new[i] = (t, k, room)
    new_value = sum(weight - items[i].dev2(a[0]) for i, a in new.items())
    before = sum(1 for a in old.values() if a is not None)
    changed = (
        bool(new)
        and (len(new) >= before if count_only else new_value >= old_value)
        and new != {i: a for i, a in old.items() if a is not None}
    )
    chosen = new if changed else {i: a for i, a in old.items() if a is not None}
    for i, a in sorted(chosen.items()):
        state.place(i, a)
    state.forget()
    return changed, status == cp_model.OPTIMAL


def improve(
    state: State, deadline: float, *, seed: int = 0, workers: int = 2, count_only: bool = False
) -> State:
    """Solve the whole day with CP-SAT until ``deadline``, from (and no worse than) ``state``."""
    live = [item.index for item in state.p.items if item.cands]
    left = deadline - time.monotonic()
    if live and left > 0.3:
        solve_part(state, live, left, workers=workers, seed=seed, count_only=count_only)
    return state
