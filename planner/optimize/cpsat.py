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

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from planner.optimize.state import NO_ROOM, POOL, Assignment, State
from planner.optimize.work import DTIME_PER_SECOND, SOLVE_UNITS, VARIABLE_UNITS


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
    seed: int = 0,
    therapists: Collection[int] | None = None,
    count_only: bool = False,
) -> tuple[bool, bool]:
    """Re-solve the items ``free`` with everything else fixed; change ``state`` if no worse.

    With ``therapists``, an item may only go to one of those or stay with its own therapist.
    With ``count_only`` the objective is the number placed alone (faster to prove), and any
    other plan placing as many is taken (a plateau move; the deviation may grow).
    Answers (changed, proven optimal).
    """
    from ortools.sat.python import cp_model

    before = {i: state.assign[i] for i in free}
    for i in free:
        if state.assign[i] is not None:
            state.remove(i)
    state.forget()
    part = _PartModel(state, before, count_only=count_only)
    for i in free:
        part.add_item(i, _open_starts(state, i, before[i], therapists))
    part.add_resources()
    part.add_objective()
    part.add_hints()
    solver = cp_model.CpSolver()
    work = state.p.work
    # deterministic: one worker, limited in CP-SAT's own work (work.py); the wall-clock
    # limit is only the guard
    solver.parameters.max_deterministic_time = max(0.05, limit) * DTIME_PER_SECOND
    solver.parameters.max_time_in_seconds = work.wall_left()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    status = solver.solve(part.model)
    work.cp_seconds += solver.deterministic_time / DTIME_PER_SECOND
    work.units += SOLVE_UNITS + VARIABLE_UNITS * len(part.model.proto.variables)
    found = part.solution(solver) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else {}
    placed_before = {i: a for i, a in before.items() if a is not None}
    changed = found != placed_before and part.no_worse(found, placed_before)
    for i, a in sorted((found if changed else placed_before).items()):
        state.place(i, a)
    state.forget()
    return changed, status == cp_model.OPTIMAL


def _open_starts(
    state: State, i: int, before: Assignment | None, therapists: Collection[int] | None
) -> list[tuple[int, list[int]]]:
    """Item ``i``'s starts per therapist beside the fixed sessions; with ``therapists``, only
    theirs and those of the item's own therapist (``before``)."""
    per_therapist = state.free_starts(i)
    if therapists is None:
        return per_therapist
    own = -1 if before is None else before[1]
    return [(k, ts) for k, ts in per_therapist if k in therapists or k == own]


class _PartModel:
    """The CP-SAT model of the freed items (``before``: where each was), the rest fixed."""

    def __init__(
        self,
        state: State,
        before: dict[int, Assignment | None],
        *,
        count_only: bool,
    ) -> None:
        from ortools.sat.python import cp_model

        self.cp: Any = cp_model
        self.model: Any = cp_model.CpModel()
        self.state = state
        self.before = before
        self.count_only = count_only
        self.present: dict[int, Any] = {}  # item -> its presence literal
        self.start: dict[int, Any] = {}  # item -> its start variable
        self.therapist: dict[int, dict[int, Any]] = {}  # item -> therapist -> literal
        self.room: dict[int, dict[int, Any]] = {}  # item (unpooled kind) -> room -> literal
        self.deviations: list[Any] = []  # twice |midpoint - target| per item with a target
        self.by_therapist: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
        self.by_patient: dict[int, list[Any]] = defaultdict(list)
        self.by_kind: dict[str, list[Any]] = defaultdict(list)
        self.by_room: dict[int, list[Any]] = defaultdict(list)
        self.kind_span: dict[str, tuple[int, int]] = {}  # pooled kind -> the freed items' span
        self.weight = 1  # of one placed session: above any possible total deviation

    # --- items -----------------------------------------------------------------------------
    def add_item(self, i: int, per_therapist: list[tuple[int, list[int]]]) -> None:
        """Item ``i`` with its starts per therapist (none: it stays unplaced)."""
        if not per_therapist:
            return
        item = self.state.p.items[i]
        m = self.model
        starts = sorted({t for _, ts in per_therapist for t in ts})
        present = self.present[i] = m.new_bool_var(f"p{i}")
        start = self.start[i] = m.new_int_var_from_domain(
            self.cp.Domain.from_values(starts), f"s{i}"
        )
        self.therapist[i] = self._therapist_choice(i, per_therapist, len(starts))
        m.add_exactly_one([*self.therapist[i].values(), present.negated()])
        interval = m.new_optional_fixed_size_interval_var(start, item.duration, present, f"iv{i}")
        self.by_patient[item.patient].append(interval)
        if item.room_kind is not None and item.pooled:
            self.by_kind[item.room_kind].append(interval)
            lo, hi = self.kind_span.get(item.room_kind, (starts[0], starts[-1] + item.duration))
            self.kind_span[item.room_kind] = (
                min(lo, starts[0]),
                max(hi, starts[-1] + item.duration),
            )
        elif item.room_kind is not None:
            self._room_choice(i)
        if item.target is not None and not self.count_only:
            self._deviation(i, starts, item.target)

    def _therapist_choice(
        self, i: int, per_therapist: list[tuple[int, list[int]]], n_starts: int
    ) -> dict[int, Any]:
        """A literal per therapist: their interval (lengthened by their buffer) joins their
        NoOverlap, and it restricts the start to the starts they can take."""
        m, start = self.model, self.start[i]
        duration = self.state.p.items[i].duration
        choice: dict[int, Any] = {}
        for k, ts in per_therapist:
            x = m.new_bool_var(f"x{i}_{k}")
            if len(ts) < n_starts:
                allowed = self.cp.Domain.from_values(ts)
                m.add_linear_expression_in_domain(start, allowed).only_enforce_if(x)
            size = duration + self.state.p.therapists[k].buffer
            interval = m.new_optional_fixed_size_interval_var(start, size, x, f"t{i}_{k}")
            self.by_therapist[k].append((interval, x))
            choice[k] = x
        return choice

    def _room_choice(self, i: int) -> None:
        """A literal per room of the kind (its rooms have bookings: each room on its own)."""
        item = self.state.p.items[i]
        m = self.model
        self.room[i] = {}
        for r in item.rooms:
            y = self.room[i][r] = m.new_bool_var(f"y{i}_{r}")
            interval = m.new_optional_fixed_size_interval_var(
                self.start[i], item.duration, y, f"r{i}_{r}"
            )
            self.by_room[r].append(interval)
        m.add_exactly_one([*self.room[i].values(), self.present[i].negated()])

    def _deviation(self, i: int, starts: list[int], target: int) -> None:
        """Twice the distance of the midpoint from ``target`` when present."""
        item = self.state.p.items[i]
        m = self.model
        worst = max(item.dev2(starts[0]), item.dev2(starts[-1]))
        d = m.new_int_var(0, worst, f"d{i}")
        off_target = 2 * self.start[i] + item.duration - 2 * target
        m.add(d >= off_target).only_enforce_if(self.present[i])
        m.add(d >= -off_target).only_enforce_if(self.present[i])
        self.deviations.append(d)
        self.weight += worst
        before = self.before[i]
        m.add_hint(d, item.dev2(before[0]) if before is not None else 0)

    # --- resources, objective, hints --------------------------------------------------------
    def add_resources(self) -> None:
        """Therapists (NoOverlap, daily limit), patients, pooled room kinds, single rooms."""
        m, state = self.model, self.state
        for k, pairs in self.by_therapist.items():
            if len(pairs) > 1:
                m.add_no_overlap([interval for interval, _ in pairs])
            cap = state.p.therapists[k].cap
            if cap is not None and len(state.ther[k]) + len(pairs) > cap:
                m.add(sum(x for _, x in pairs) <= cap - len(state.ther[k]))
        for intervals in self.by_patient.values():
            if len(intervals) > 1:
                m.add_no_overlap(intervals)
        for kind, intervals in self.by_kind.items():
            self._pooled_kind(kind, intervals)
        for r, intervals in self.by_room.items():
            busy = list(state.p.rooms[r].booked) + [(a, b) for a, b, _ in state.room[r]]
            fixed = [
                m.new_fixed_size_interval_var(a, b - a, f"rb{r}_{a}") for a, b in busy if b > a
            ]
            m.add_no_overlap(intervals + fixed)

    def _pooled_kind(self, kind: str, intervals: list[Any]) -> None:
        """At most as many sessions of ``kind`` at once as it has rooms, fixed ones included."""
        m = self.model
        lo, hi = self.kind_span[kind]
        fixed = [
            m.new_fixed_size_interval_var(a, b - a, f"k{kind}{a}_{j}")
            for a, b, j in self.state.kind[kind]
            if a < hi and lo < b
        ]
        cap = self.state.kind_cap[kind]
        if len(intervals) + len(fixed) > cap:
            m.add_cumulative(intervals + fixed, [1] * (len(intervals) + len(fixed)), cap)

    def add_objective(self) -> None:
        m = self.model
        placed = sum(self.present.values())
        if self.count_only:
            m.maximize(placed)
            return
        # never fewer placed than now: prunes the search for a lower deviation
        m.add(placed >= sum(1 for i in self.present if self.before[i] is not None))
        m.maximize(self.weight * placed - sum(self.deviations))

    def add_hints(self) -> None:
        """Warm start: the plan before."""
        m = self.model
        for i in self.present:
            a = self.before[i]
            m.add_hint(self.present[i], a is not None)
            if a is not None:
                m.add_hint(self.start[i], a[0])
            for k, x in self.therapist[i].items():
                m.add_hint(x, a is not None and a[1] == k)
            for r, y in self.room.get(i, {}).items():
                m.add_hint(y, a is not None and a[2] == r)

    # --- the answer --------------------------------------------------------------------------
    def solution(self, solver: Any) -> dict[int, Assignment]:
        items = self.state.p.items
        found: dict[int, Assignment] = {}
        for i, present in self.present.items():
            if not solver.boolean_value(present):
                continue
            t = int(solver.value(self.start[i]))
            k = next(k for k, x in self.therapist[i].items() if solver.boolean_value(x))
            room = NO_ROOM if items[i].room_kind is None else POOL
            if i in self.room:
                room = next(r for r, y in self.room[i].items() if solver.boolean_value(y))
            found[i] = (t, k, room)
        return found

    def no_worse(self, found: dict[int, Assignment], before: dict[int, Assignment]) -> bool:
        """Whether ``found`` (non-empty) places as many (``count_only``) or scores at least
        as well as ``before``."""
        if not found:
            return False
        if self.count_only:
            return len(found) >= len(before)
        return self._value(found) >= self._value(before)

    def _value(self, plan: dict[int, Assignment]) -> int:
        items = self.state.p.items
        return sum(self.weight - items[i].dev2(a[0]) for i, a in plan.items())


def improve(state: State, deadline: float, *, seed: int = 0, count_only: bool = False) -> State:
    """Solve the whole day with CP-SAT until ``deadline``, from (and no worse than) ``state``."""
    live = [item.index for item in state.p.items if item.cands]
    left = deadline - state.p.work.now()
    if live and left > 0.3:
        solve_part(state, live, left, seed=seed, count_only=count_only)
    return state
