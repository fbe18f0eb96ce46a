"""Moving an infusion (PATCH): new windows, and its sessions re-planned in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.tables import Infusion, TherapySession
from models.uow import UnitOfWork
from planner.errors import Code, Conflict, PlannerError
from planner.intervals import Interval
from planner.localtime import Clock, instant_in, require_whole_minutes
from planner.replan import BookedSession, Replanned, replan
from planner.sessions import InfusionStatus, SessionStatus
from planner.wording import listing, span
from services.care_plans import board_for_windows
from services.commands import MoveInfusion
from services.infusions import clear_visit, infusion_views
from services.plan_views import Moved, ReplanView, UnplacedSession
from services.views import local


def move_infusion(
    uow: UnitOfWork, infusion_id: int, wanted: MoveInfusion, clock: Clock
) -> ReplanView:
    """The infusion at its new time; sessions kept, moved or reported (docs/rules.md)."""
    with uow:
        zone = uow.clinic.zone()
        infusion = uow.infusions.get(infusion_id)
        _move(uow, infusion, wanted)
        rows = uow.sessions.of_infusion(infusion.id, [SessionStatus.booked])
        kinds = {row.id: uow.session_types.kind(row.session_type) for row in rows}
        board = board_for_windows(uow, infusion, list(kinds.values()), clock)
        booked = [
            BookedSession(r.id, kinds[r.id], r.start, r.end, r.therapist_id, r.room_id)
            for r in rows
        ]
        outcome = replan(board, booked)
        _refuse_staying_in_recovery(uow, infusion, rows, outcome)
        uow.check_overlaps_at_commit()  # a session may move into another's old time
        moved = _apply(rows, outcome, clock)
        uow.commit()
        return ReplanView(
            infusion=infusion_views(uow, [infusion], zone)[0],
            kept=tuple(outcome.kept),
            moved=tuple(Moved(i, local(a, zone), local(b, zone)) for i, a, b in moved),
            unplaced=tuple(
                UnplacedSession(i, u.code, u.detail) for i, u in sorted(outcome.unplaced.items())
            ),
        )


def _move(uow: UnitOfWork, infusion: Infusion, wanted: MoveInfusion) -> None:
    if infusion.status == InfusionStatus.cancelled:
        raise PlannerError(Code.infusion_cancelled, f"infusion {infusion.id} is cancelled")
    zone = uow.clinic.zone()
    start = (
        require_whole_minutes(instant_in(wanted.start, zone))
        if wanted.start is not None
        else infusion.start
    )
    minutes = wanted.duration_minutes or infusion.duration_minutes
    end = start + timedelta(minutes=minutes)
    recovery = uow.clinic.protocol(infusion.protocol_version).recovery
    infusion.chair_id, infusion.chair_until = clear_visit(
        uow,
        infusion.patient_id,
        Interval(start, end),
        recovery,
        ignore=infusion.id,
        wanted_chair=wanted.chair_id,
        prefer_chair=infusion.chair_id,
    )
    infusion.start, infusion.end, infusion.duration_minutes = start, end, minutes
    uow.flush()


def _refuse_staying_in_recovery(
    uow: UnitOfWork, infusion: Infusion, rows: list[TherapySession], outcome: Replanned
) -> None:
    """A session that could not be placed stays where it was, for staff to decide; never
    inside the moved infusion or its recovery: then the move is refused (nothing changes)."""
    recovery_end = infusion.end + uow.clinic.protocol(infusion.protocol_version).recovery
    zone = uow.clinic.zone()
    stuck = [
        row
        for row in rows
        if row.id in outcome.unplaced and row.start < recovery_end and infusion.start < row.end
    ]
    if stuck:
        raise PlannerError(
            Code.in_recovery,
            f"the infusion's sessions {listing([span(r.start, r.end, zone) for r in stuck])} "
            f"would lie in it or in its recovery (until {local(recovery_end, zone):%H:%M}) "
            "and there is no other free time in their windows; move or cancel them first",
            [Conflict("session", r.id, local(r.start, zone), local(r.end, zone)) for r in stuck],
        )


def _apply(
    rows: list[TherapySession], outcome: Replanned, clock: Clock
) -> list[tuple[int, datetime, datetime]]:
    """Write the outcome to the rows; the moves as (id, from, to), in time order."""
    now = clock()
    moves = []
    for row in rows:
        placement = outcome.moved.get(row.id)
        if placement is not None:
            moves.append((row.id, row.start, placement.start))
            row.start, row.end = placement.start, placement.end
            row.therapist_id, row.room_id = placement.therapist_id, placement.room_id
            row.outside_window = False
            row.updated_at = now
        elif row.id in outcome.unplaced:
            row.outside_window = True
            row.updated_at = now
        elif row.outside_window:  # kept: it fits its window again
            row.outside_window = False
            row.updated_at = now
    return moves
