"""Re-planning an infusion's sessions after the infusion moved (it started late, ran longer).

The board already holds the infusion's new windows. Sessions that have begun stay where they
are. Sessions that still fit and break no rule stay. The others move, each to its best free
slot (its own therapist first). When some session still has no place, the sessions are
planned again jointly (``planner.care_plan``) together with the kept ones that stand in its
window, so that moving one session to make room for another is found; the joint plan is
taken when it places more. What cannot be placed stays booked where it was, for staff to
decide (docs/rules.md, "Re-plan").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from planner.board import Board, Occupation, Placement, SessionKind
from planner.care_plan import JointPlan, Unplaced, explain, plan_jointly
from planner.errors import Code, PlannerError
from planner.slots import find_slots


@dataclass(frozen=True)
class BookedSession:
    """One of the infusion's booked sessions, as it stands."""

    id: int
    kind: SessionKind
    start: datetime
    end: datetime
    therapist_id: int
    room_id: int | None = None


@dataclass
class Replanned:
    kept: list[int] = field(default_factory=list)
    moved: dict[int, Placement] = field(default_factory=dict)
    unplaced: dict[int, Unplaced] = field(default_factory=dict)


def replan(board: Board, sessions: Sequence[BookedSession]) -> Replanned:
    """Keep, move or report each session (the board ends up holding the outcome)."""
    result = Replanned()
    waiting: list[BookedSession] = []
    for session in sessions:
        if session.start < board.now:
            _keep_begun(board, session, result)
        elif _still_fits(board, session):
            result.kept.append(session.id)
        else:
            waiting.append(session)
    board.forget_sessions({s.id for s in waiting})
    for session in waiting:
        _move_alone(board, session, result)
    if any(s.id in result.unplaced for s in waiting):
        _replan_jointly(board, sessions, waiting, result)
    return result


def _keep_begun(board: Board, session: BookedSession, result: Replanned) -> None:
    """A session under way or over cannot move into the past."""
    window = board.infusion.window(session.kind.window)
    if window is not None and window.fits(session.start, session.end):
        result.kept.append(session.id)
    else:
        result.unplaced[session.id] = Unplaced(
            session.kind.key, Code.in_the_past, "it has already begun"
        )


def _still_fits(board: Board, session: BookedSession) -> bool:
    try:
        board.check(
            session.kind, session.start, therapist_id=session.therapist_id, ignore=session.id
        )
    except PlannerError:
        return False
    return True


def _move_alone(board: Board, session: BookedSession, result: Replanned) -> None:
    """The best free slot, the same therapist first; else report it and leave it in place."""
    kind = session.kind
    found = find_slots(board, kind, limit=1, therapist_id=session.therapist_id) or find_slots(
        board, kind, limit=1
    )
    if found:
        result.moved[session.id] = found[0]
        board.add(_held(board, session, found[0]))
    else:
        result.unplaced[session.id] = explain(board, kind)
        board.add(_where_it_was(board, session))


def _replan_jointly(
    board: Board,
    sessions: Sequence[BookedSession],
    waiting: list[BookedSession],
    result: Replanned,
) -> None:
    """Plan the waiting sessions again with the kept ones in their windows; take it if better."""
    windows = [
        w
        for s in waiting
        if s.id in result.unplaced and (w := board.infusion.window(s.kind.window))
    ]
    in_the_way = [
        s
        for s in sessions
        if s.id in result.kept
        and s.start >= board.now
        and any(w.start < s.end and s.start < w.end for w in windows)
    ]
    group = [*waiting, *in_the_way]
    alone_placed = sum(1 for s in waiting if s.id in result.moved) + len(in_the_way)
    board.forget_sessions({s.id for s in group})
    plan = plan_jointly(
        board,
        [s.kind for s in group],
        prefer_therapist={i: s.therapist_id for i, s in enumerate(group)},
    )
    chosen = plan if len(plan.placements) > alone_placed else None
    for index, session in enumerate(group):
        _settle(board, session, index, chosen, result)


def _settle(
    board: Board,
    session: BookedSession,
    index: int,
    plan: JointPlan | None,
    result: Replanned,
) -> None:
    """Put the session back on the board where the outcome leaves it (``plan``: the joint
    plan when it was taken)."""
    if plan is not None:
        result.kept = [k for k in result.kept if k != session.id]
        result.moved.pop(session.id, None)
        result.unplaced.pop(session.id, None)
        placement = plan.placements.get(index)
        if placement is None:
            result.unplaced[session.id] = plan.unplaced[index]
        elif placement.start == session.start and placement.therapist_id == session.therapist_id:
            result.kept.append(session.id)
        else:
            result.moved[session.id] = placement
    if session.id in result.moved:
        board.add(_held(board, session, result.moved[session.id]))
    else:
        board.add(_where_it_was(board, session))


def _held(board: Board, session: BookedSession, placement: Placement) -> Occupation:
    return board.tentative(placement, session.id, session.kind)


def _where_it_was(board: Board, session: BookedSession) -> Occupation:
    return Occupation(
        kind="session",
        id=session.id,
        start=session.start,
        end=session.end,
        therapist_id=session.therapist_id,
        patient_id=board.infusion.patient_id,
        room_id=session.room_id,
        what=session.kind.title,
        infusion_id=board.infusion.id,
        session_type=session.kind.key,
    )
