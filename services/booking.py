"""Booking, moving and cancelling sessions, their statuses, and slot search (docs/rules.md).

Every booking is checked by ``Board.check`` (the rules in their order) on a board that
``models.calendar`` reads with the rows involved locked, and inserted in the same
transaction, so two requests for one therapist, patient or room never both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.calendar import span_around
from models.tables import Infusion, TherapySession
from models.uow import UnitOfWork
from planner.board import Board, Placement, SessionKind
from planner.errors import Code, PlannerError
from planner.intervals import Interval
from planner.localtime import Clock, instant_in, planning_now, require_whole_minutes
from planner.roles import Actor
from planner.sessions import (
    ACTIVE,
    SessionStatus,
    check_timing,
    check_transition,
    check_undo,
)
from planner.slots import find_slots
from services.commands import BookSession, ChangeStatus, MoveSession
from services.sessions import session_views, visible_session
from services.views import SessionView, slot_view


def board_at(
    uow: UnitOfWork,
    infusion: Infusion,
    kind: SessionKind,
    start: datetime,
    now: datetime,
    therapist_ids: list[int] | None,
) -> Board:
    """The board one booking at ``start`` needs (its local days, its buffers)."""
    zone = uow.clinic.zone()
    span = span_around(start, start + kind.duration, zone)
    return uow.calendar.board(infusion, span, zone, now, therapist_ids=therapist_ids)


def insert_session(
    uow: UnitOfWork,
    infusion: Infusion,
    session_type: str,
    placement: Placement,
    now: datetime,
    override_reason: str | None = None,
) -> TherapySession:
    return uow.sessions.add(
        TherapySession(
            infusion_id=infusion.id,
            patient_id=infusion.patient_id,
            session_type=session_type,
            therapist_id=placement.therapist_id,
            room_id=placement.room_id,
            start=placement.start,
            end=placement.end,
            status=SessionStatus.booked,
            window=placement.window,
            outside_window=placement.outside_window,
            override_reason=override_reason,
            created_at=now,
            updated_at=now,
        )
    )


def book_in(uow: UnitOfWork, wanted: BookSession, clock: Clock) -> SessionView:
    """Book inside the caller's transaction (not committed; see ``book_session``)."""
    zone = uow.clinic.zone()
    start = require_whole_minutes(instant_in(wanted.start, zone))
    infusion = uow.infusions.reference(wanted.infusion_id)
    kind = uow.session_types.kind(wanted.session_type)
    now = planning_now(clock)
    therapists = None if wanted.therapist_id is None else [wanted.therapist_id]
    near = Interval(start, start + kind.duration)
    board = uow.calendar.board_near(infusion, near, zone, now, therapist_ids=therapists)
    placement = board.check(
        kind,
        start,
        therapist_id=wanted.therapist_id,
        room_id=wanted.room_id,
        override=wanted.override_reason is not None,
    )
    row = insert_session(uow, infusion, kind.key, placement, clock(), wanted.override_reason)
    return session_views(uow, [row], zone)[0]


def book_session(uow: UnitOfWork, wanted: BookSession, clock: Clock) -> SessionView:
    """Book one session; with no therapist named, the best free one is chosen."""
    with uow:
        booked = book_in(uow, wanted, clock)
        uow.commit()
        return booked


@dataclass(frozen=True, slots=True)
class SlotSearch:
    """Slots found, and for which "now" the same search answers the same.

    "Now" only hides starts before it, so while it is at or before the window's opening the
    answer does not depend on it: ``same_until`` is the opening then, with ``same_from``
    None. Once the window is open it holds for that minute only (both are that minute).
    """

    slots: list[Placement]
    same_from: datetime | None
    same_until: datetime | None

    def holds_at(self, now: datetime) -> bool:
        after_start = self.same_from is None or self.same_from <= now
        return after_start and (self.same_until is None or now <= self.same_until)


def slot_search(
    uow: UnitOfWork,
    infusion_id: int,
    session_type: str,
    limit: int,
    therapist_id: int | None,
    clock: Clock,
) -> SlotSearch:
    """Free, bookable slots in the session type's window, best first (clinic's clock)."""
    now = planning_now(clock)
    with uow.reading():
        zone = uow.clinic.zone()
        infusion = uow.infusions.get(infusion_id)
        kind = uow.session_types.kind(session_type)
        window = uow.calendar.facts(infusion).window(kind.window)
        if window is None:
            return SlotSearch([], None, None)
        near = Interval(window.start, window.end)
        board = uow.calendar.board_near(infusion, near, zone, now)
        found = find_slots(board, kind, limit=limit, therapist_id=therapist_id)
        slots = [slot_view(p, zone) for p in found]
        if now <= window.start:
            return SlotSearch(slots, None, window.start)
        return SlotSearch(slots, now, now)


def move_options(
    uow: UnitOfWork, session_id: int, limit: int, clock: Clock
) -> tuple[SessionView, list[Placement]]:
    """A booked session and the best free times it could move to in its window (itself
    taken off the board, so its own time counts as free)."""
    with uow.reading():
        zone = uow.clinic.zone()
        row = uow.sessions.get(session_id)
        if row.status != SessionStatus.booked:
            raise PlannerError(
                Code.invalid_transition, f"a {row.status.label} session cannot be moved"
            )
        infusion = uow.infusions.get(row.infusion_id)
        kind = uow.session_types.kind(row.session_type)
        view = session_views(uow, [row], zone)[0]
        window = uow.calendar.facts(infusion).window(kind.window)
        if window is None:
            return view, []
        span = span_around(window.start, window.end, zone)
        board = uow.calendar.board(infusion, span, zone, planning_now(clock))
        board.forget_sessions({row.id})
        found = find_slots(board, kind, limit=limit)
        return view, [slot_view(p, zone) for p in found]


def move_session(
    uow: UnitOfWork, session_id: int, wanted: MoveSession, clock: Clock
) -> SessionView:
    """Move a booked session to another time or therapist; every booking rule applies."""
    with uow:
        zone = uow.clinic.zone()
        row = uow.sessions.get(session_id)
        if row.status != SessionStatus.booked:
            raise PlannerError(
                Code.invalid_transition, f"a {row.status.label} session cannot be moved"
            )
        start = (
            require_whole_minutes(instant_in(wanted.start, zone))
            if wanted.start is not None
            else row.start
        )
        therapist_id = wanted.therapist_id if wanted.therapist_id is not None else row.therapist_id
        infusion = uow.infusions.get(row.infusion_id)
        kind = uow.session_types.kind(row.session_type)
        board = board_at(uow, infusion, kind, start, planning_now(clock), [therapist_id])
        placement = _moved_placement(board, kind, start, therapist_id, row, wanted)
        row.start, row.end = placement.start, placement.end
        row.therapist_id, row.room_id = placement.therapist_id, placement.room_id
        row.outside_window = placement.outside_window
        row.window = placement.window or row.window
        if wanted.override_reason is not None:
            row.override_reason = wanted.override_reason
        row.updated_at = clock()
        uow.commit()
        return session_views(uow, [row], zone)[0]


def _moved_placement(
    board: Board,
    kind: SessionKind,
    start: datetime,
    therapist_id: int,
    row: TherapySession,
    wanted: MoveSession,
) -> Placement:
    """Where the session goes: in its own room when that is still free, else any free one."""
    override = wanted.override_reason is not None
    try:
        return board.check(
            kind,
            start,
            therapist_id=therapist_id,
            room_id=row.room_id,
            override=override,
            ignore=row.id,
        )
    except PlannerError as refusal:
        if refusal.code != Code.room_unavailable or row.room_id is None:
            raise
    return board.check(kind, start, therapist_id=therapist_id, override=override, ignore=row.id)


def cancel_session(
    uow: UnitOfWork, session_id: int, reason: str | None, clock: Clock
) -> SessionView:
    with uow:
        row = uow.sessions.get(session_id)
        check_transition(row.status, SessionStatus.cancelled)
        row.status = SessionStatus.cancelled
        row.cancel_reason = reason
        row.updated_at = clock()
        uow.commit()
        return session_views(uow, [row], uow.clinic.zone())[0]


def change_status(
    uow: UnitOfWork, session_id: int, wanted: ChangeStatus, actor: Actor, clock: Clock
) -> SessionView:
    """Check in, complete or mark no-show (staff, or the session's own therapist)."""
    with uow:
        row = visible_session(uow, session_id, actor)
        if wanted.status in (SessionStatus.booked, SessionStatus.cancelled):
            hint = " (cancel it with the cancel action)" if wanted.status == "cancelled" else ""
            raise PlannerError(
                Code.invalid_transition,
                f"a session cannot be set to {wanted.status.label} here{hint}",
            )
        check_transition(row.status, wanted.status)
        now = clock()
        check_timing(wanted.status, row.start, now)
        row.previous_status, row.status_changed_at = row.status, now
        row.status = wanted.status
        row.updated_at = now
        uow.commit()
        return session_views(uow, [row], uow.clinic.zone())[0]


def _still_free(uow: UnitOfWork, row: TherapySession, clock: Clock) -> None:
    """Before a session holds its therapist, patient and room again (an undone no-show or
    completion), nothing else may have taken them meanwhile."""
    infusion = uow.infusions.get(row.infusion_id)
    kind = uow.session_types.kind(row.session_type)
    board = board_at(uow, infusion, kind, row.start, planning_now(clock), [row.therapist_id])
    board.check_still_free(kind, row.start, row.therapist_id, row.room_id, row.id)


def undo_status(uow: UnitOfWork, session_id: int, actor: Actor, clock: Clock) -> SessionView:
    """Undo the last status change (a mis-tap), within a few minutes; audited like any change."""
    with uow:
        row = visible_session(uow, session_id, actor)
        now = clock()
        back = check_undo(row.status, row.previous_status, row.status_changed_at, now)
        if back in ACTIVE and row.status not in ACTIVE:
            _still_free(uow, row, clock)
        row.status, row.previous_status, row.status_changed_at = back, None, None
        row.updated_at = now
        uow.commit()
        return session_views(uow, [row], uow.clinic.zone())[0]
