"""Placing one infusion's sessions jointly: the care plan, and its re-plan when it moves.

A depth-first branch and bound over each item's candidate slots: it tries the items with
the fewest candidates first and every candidate of each (not first-fit), so if a joint
assignment exists among the candidates it is found. Among those it keeps the best: most
sessions placed, then least distance to the windows' targets, then fewest sessions away from
their preferred therapist (a re-plan keeps therapists), then the lightest loads. Each
tentative booking is checked by ``Board.check`` with the ones before it on the board, so
the sessions of one plan never overlap each other (nor share a therapist inside a buffer or
a room). Items are indexed: one plan may hold two sessions of the same type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from planner.board import Board, Placement, SessionKind
from planner.compact import keeps_days_compact, wait_on
from planner.errors import Code, PlannerError
from planner.localtime import local_date
from planner.protocol import Window, window_called
from planner.slots import find_slots, grid_starts, slot_rank
from planner.wording import span

EXPLAIN_SAMPLE = 240


@dataclass(frozen=True)
class Unplaced:
    session_type: str
    code: Code
    detail: str


@dataclass(frozen=True)
class JointPlan:
    placements: dict[int, Placement]  # by item index
    unplaced: dict[int, Unplaced] = field(default_factory=dict)

    @property
    def deviation(self) -> float:
        return sum(p.score for p in self.placements.values())


Score = tuple[int, float, int, int]


@dataclass
class _Search:
    board: Board
    kinds: Sequence[SessionKind]
    options: dict[int, list[Placement]]
    order: list[int]
    prefer: Mapping[int, int]
    node_budget: int
    best: dict[int, Placement] = field(default_factory=dict)
    best_score: Score = (0, 0.0, 0, 0)
    nodes: int = 0
    _rest: list[float] | None = None

    def score(self, chosen: dict[int, Placement]) -> Score:
        return (
            -len(chosen),
            sum(p.score for p in chosen.values()),
            sum(
                1
                for i, p in chosen.items()
                if i in self.prefer and self.prefer[i] != p.therapist_id
            ),
            sum(p.day_load for p in chosen.values()),
        )

    def run(self, depth: int, chosen: dict[int, Placement]) -> None:
        self.nodes += 1
        if depth == len(self.order):
            if chosen and not keeps_days_compact(self.board):
                return  # the patient would wait longer than the clinic allows
            current = self.score(chosen)
            if not self.best or current < self.best_score:
                self.best, self.best_score = dict(chosen), current
            return
        if self._cannot_beat(self._bound(chosen, depth)):
            return
        item = self.order[depth]
        for candidate in self.options[item]:
            if self.nodes > self.node_budget:
                break
            bound = self._bound(chosen, depth + 1, (item, candidate))
            if self._cannot_beat(bound):
                if bound[:2] > self.best_score[:2]:
                    break  # the candidates come nearest first: none after this is nearer
                continue
            placement = self._fits(item, candidate)
            if placement is None or self._cannot_beat(
                self._bound(chosen, depth + 1, (item, placement))
            ):
                continue
            held = self.board.tentative(placement, -(item + 1), self.kinds[item])
            self.board.add(held)
            chosen[item] = placement
            self.run(depth + 1, chosen)
            del chosen[item]
            self.board.remove(held)
        self.run(depth + 1, chosen)

    def _fits(self, item: int, candidate: Placement) -> Placement | None:
        try:
            return self.board.check(
                self.kinds[item], candidate.start, therapist_id=candidate.therapist_id
            )
        except PlannerError:
            return None

    def _bound(
        self,
        chosen: dict[int, Placement],
        depth: int,
        adding: tuple[int, Placement] | None = None,
    ) -> Score:
        """The best score any completion of ``chosen`` (plus ``adding``) could reach, the
        items from ``depth`` on each at its nearest candidate: never better than it is."""
        taken = dict(chosen)
        if adding is not None:
            taken[adding[0]] = adding[1]
        count, distance, elsewhere, load = self.score(taken)
        return (count - (len(self.order) - depth), distance + self.rest[depth], elsewhere, load)

    def _cannot_beat(self, bound: Score) -> bool:
        """Whether the best found so far is at least as good as ``bound`` (ties keep the
        first found, so a branch that can only tie is not searched)."""
        return bool(self.best) and self.best_score <= bound

    @property
    def rest(self) -> list[float]:
        """For each depth, the least distance the items from it on could add."""
        if self._rest is None:
            nearest = [min((p.score for p in self.options[i]), default=0.0) for i in self.order]
            self._rest = [sum(nearest[d:]) for d in range(len(nearest) + 1)]
        return self._rest


def plan_jointly(
    board: Board,
    kinds: Sequence[SessionKind],
    *,
    prefer_therapist: Mapping[int, int] | None = None,
    candidates_per_kind: int = 120,
    therapists_per_start: int = 2,
    node_budget: int = 40_000,
) -> JointPlan:
    """The best joint placement of ``kinds`` (item ``i`` is ``kinds[i]``); nothing is booked.

    ``prefer_therapist`` maps an item to the therapist it had (a re-plan keeps therapists
    where it costs nothing else). Each item's candidates are its nearest times with at most
    ``therapists_per_start`` therapists each: on a free day forty therapists at the target
    time would otherwise fill every candidate, and a plan whose items cannot all sit at
    their targets would try forty equal choices at every step.
    """
    prefer = prefer_therapist or {}
    by_key: dict[str, list[Placement]] = {}
    options: dict[int, list[Placement]] = {}
    for index, kind in enumerate(kinds):
        if kind.key not in by_key:
            by_key[kind.key] = find_slots(
                board, kind, limit=candidates_per_kind, per_start=therapists_per_start
            )
        options[index] = by_key[kind.key]
        if index in prefer:  # the therapist it had, at every time, beside the others
            own = find_slots(board, kind, limit=candidates_per_kind, therapist_id=prefer[index])
            options[index] = sorted(
                set(options[index]) | set(own),
                key=slot_rank,
            )
    order = sorted(range(len(kinds)), key=lambda i: (len(options[i]), kinds[i].key, i))
    search = _Search(board, kinds, options, order, prefer, node_budget)
    search.run(0, {})
    placed = dict(sorted(search.best.items()))
    held = [board.tentative(p, -(i + 1), kinds[i]) for i, p in placed.items()]
    for occupation in held:
        board.add(occupation)
    unplaced = {
        i: _too_long_a_wait(board, kind, options[i]) or explain(board, kind)
        for i, kind in enumerate(kinds)
        if i not in placed
    }
    for occupation in held:
        board.remove(occupation)
    return JointPlan(placements=placed, unplaced=unplaced)


def _too_long_a_wait(
    board: Board, kind: SessionKind, candidates: list[Placement]
) -> Unplaced | None:
    """``day_not_compact`` when the rules let ``kind`` in but only where the patient would
    wait longer than the clinic's cap (the plan's other sessions held on the board)."""
    if board.max_wait is None:
        return None
    allowed = None
    for candidate in candidates[:EXPLAIN_SAMPLE]:
        try:
            placement = board.check(kind, candidate.start, therapist_id=candidate.therapist_id)
        except PlannerError:
            continue
        held = board.tentative(placement, -10_000, kind)
        board.add(held)
        compact = keeps_days_compact(board)
        board.remove(held)
        if compact:
            return None
        allowed = placement
    if allowed is None:
        return None
    day = local_date(allowed.start, board.zone)
    return Unplaced(kind.key, Code.day_not_compact, wait_on(board, day))


def explain(board: Board, kind: SessionKind) -> Unplaced:
    """Why ``kind`` has no slot: the code of the rule that blocked the last candidate."""
    window = board.infusion.window(kind.window)
    if board.infusion.cancelled:
        return Unplaced(kind.key, Code.infusion_cancelled, "the infusion is cancelled")
    if window is None:
        return Unplaced(kind.key, Code.outside_window, f"the protocol has no {kind.window} window")
    latest = window.end - kind.duration
    starts: list[datetime] = (
        list(grid_starts(window.start, latest, board.zone)) if latest >= window.start else []
    )
    if not starts:
        return Unplaced(
            kind.key,
            Code.no_slot,
            f"{kind.title} does not fit in the {window.called} "
            f"({span(window.start, window.end, board.zone)})",
        )
    future = [s for s in starts if s >= board.now]
    if not future:
        return Unplaced(kind.key, Code.in_the_past, f"the {window.called} has passed")
    qualified = [t.id for t in board.therapists.values() if kind.discipline in t.disciplines]
    if not qualified:
        return Unplaced(
            kind.key,
            Code.discipline_mismatch,
            f"no therapist practises {kind.discipline.replace('_', ' ')}",
        )
    return _last_refusal(board, kind, future, qualified)


def _last_refusal(
    board: Board, kind: SessionKind, future: list[datetime], qualified: list[int]
) -> Unplaced:
    step = max(1, len(future) // EXPLAIN_SAMPLE)  # long windows: a sample, ending at the last
    last = PlannerError(Code.no_slot, "no candidate time")
    for start in future[::-1][::step][::-1]:
        for therapist_id in qualified:
            try:
                board.check(kind, start, therapist_id=therapist_id)
            except PlannerError as refusal:
                last = refusal
    return Unplaced(kind.key, last.code, last.detail)


def why_unplaced(
    code: Code, kind: SessionKind, window: Window | None, patient: str, zone: ZoneInfo
) -> str:
    """A planner's code for an item it could not place, in words staff read."""
    practice = kind.discipline.replace("_", " ")
    room = (kind.room_kind or "room").replace("_", " ")
    label = window_called(window.label if window else kind.window.replace("_", " "))
    during = (
        f"during the {label} ({span(window.start, window.end, zone)})"
        if window
        else f"in the {label}"
    )
    words = {
        Code.no_slot: f"{kind.title} does not fit in the {label}",
        Code.in_the_past: f"the {label} has passed",
        Code.discipline_mismatch: f"no therapist practises {practice}",
        Code.therapist_unavailable: f"no therapist who practises {practice} works {during}",
        Code.therapist_busy: f"every therapist who practises {practice} is busy {during}",
        Code.patient_busy: f"{patient} is busy {during}",
        Code.room_unavailable: f"no {room} is free {during}",
        Code.daily_limit: f"the therapists who practise {practice} have reached their daily limits",
    }
    return words.get(code, f"{kind.title} could not be placed ({code.value})")
