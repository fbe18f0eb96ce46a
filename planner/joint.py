"""Planning one infusion's care plan jointly (SPEC §5 ``/plan``, §6 objective).

A depth-first branch and bound over each session type's candidate slots: it tries the
types with the fewest candidates first and every candidate of each (not first-fit), so if a
joint assignment exists among the candidates it is found; among those it keeps the best by
§6: most sessions placed, then least distance to window targets, then the lightest loads.
Each tentative booking is checked by ``Board.check`` with the ones before it on the board,
so the sessions of one plan never overlap each other (nor share a therapist inside a buffer
or a room).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from planner.board import Board, Placement, SessionKind
from planner.errors import PlannerError
from planner.slots import find_slots, grid_starts


@dataclass(frozen=True)
class Unplaced:
    session_type: str
    code: str
    detail: str


@dataclass(frozen=True)
class JointPlan:
    placements: dict[str, Placement]
    unplaced: tuple[Unplaced, ...]

    @property
    def deviation(self) -> float:
        return sum(p.score for p in self.placements.values())


Score = tuple[int, float, int]
EXPLAIN_SAMPLE = 240


def plan_infusion(
    board: Board,
    kinds: Sequence[SessionKind],
    *,
    candidates_per_kind: int = 120,
    node_budget: int = 40_000,
) -> JointPlan:
    """The best joint placement of ``kinds`` for the board's infusion (nothing is booked)."""
    options = {kind.key: find_slots(board, kind, limit=candidates_per_kind) for kind in kinds}
    order = sorted(kinds, key=lambda k: (len(options[k.key]), k.key))
    best: dict[str, Placement] = {}
    best_score: Score = (0, 0.0, 0)
    nodes = 0

    def score(chosen: dict[str, Placement]) -> Score:
        deviation = sum(p.score for p in chosen.values())
        return (-len(chosen), deviation, sum(p.day_load for p in chosen.values()))

    def search(index: int, chosen: dict[str, Placement]) -> None:
        nonlocal best, best_score, nodes
        nodes += 1
        if index == len(order):
            current = score(chosen)
            if not best or current < best_score:
                best, best_score = dict(chosen), current
            return
        if best and len(chosen) + (len(order) - index) < -best_score[0]:
            return  # cannot place more than the best already found
        kind = order[index]
        for candidate in options[kind.key]:
            if nodes > node_budget:
                break
            try:
                placement = board.check(kind, candidate.start, therapist_id=candidate.therapist_id)
            except PlannerError:
                continue
            if best and len(chosen) + (len(order) - index) == -best_score[0]:
                partial = sum(p.score for p in chosen.values()) + placement.score
                if partial > best_score[1]:
                    continue  # same count at best, already further from the targets
            held = board.tentative(placement, -(index + 1))
            board.add(held)
            chosen[kind.key] = placement
            search(index + 1, chosen)
            del chosen[kind.key]
            board.remove(held)
        search(index + 1, chosen)

    search(0, {})
    placed = {k.key: best[k.key] for k in kinds if k.key in best}
    held = [board.tentative(p, -(i + 1)) for i, p in enumerate(placed.values())]
    for occupation in held:
        board.add(occupation)
    unplaced = tuple(explain(board, kind) for kind in kinds if kind.key not in placed)
    for occupation in held:
        board.remove(occupation)
    return JointPlan(placements=placed, unplaced=unplaced)


def explain(board: Board, kind: SessionKind) -> Unplaced:
    """Why ``kind`` has no slot: the code of the rule that blocked the last candidate."""
    window = board.infusion.window(kind.window)
    if board.infusion.cancelled:
        return Unplaced(kind.key, "infusion_cancelled", "the infusion is cancelled")
    if window is None:
        return Unplaced(kind.key, "outside_window", f"the protocol has no {kind.window} window")
    latest = window.end - kind.duration
    if latest < window.start:
        return Unplaced(kind.key, "no_slot", f"the {kind.window} window is shorter than it")
    starts: list[datetime] = list(grid_starts(window.start, latest, board.zone))
    if not starts:
        return Unplaced(kind.key, "no_slot", f"the {kind.window} window holds no start time")
    if all(start < board.now for start in starts):
        return Unplaced(kind.key, "in_the_past", f"the {kind.window} window has passed")
    qualified = [t.id for t in board.therapists.values() if kind.discipline in t.disciplines]
    if not qualified:
        return Unplaced(
            kind.key, "discipline_mismatch", f"no therapist practises {kind.discipline}"
        )
    future = [s for s in starts if s >= board.now]
    step = max(1, len(future) // EXPLAIN_SAMPLE)  # long windows: a sample, ending at the last
    last = PlannerError("no_slot", "no candidate time")
    for start in future[::-1][::step][::-1]:
        for therapist_id in qualified:
            try:
                board.check(kind, start, therapist_id=therapist_id)
            except PlannerError as refusal:
                last = refusal
    return Unplaced(kind.key, last.code, last.detail)
