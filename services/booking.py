"""Booking, moving and cancelling sessions; slot search (SPEC §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.schemas.infusions import SessionPublic
from api.schemas.sessions import SessionCancel, SessionCreate, SessionMove, SlotPublic, StatusChange
from models.tables import Infusion, TherapySession
from models.uow import UnitOfWork
from planner.board import Board, Placement, SessionKind
from planner.errors import PlannerError
from planner.localtime import Clock, parse_instant, planning_now, require_whole_minutes, to_clinic
from planner.roles import Actor
from planner.sessions import check_transition
from planner.slots import find_slots
from services.board_loader import infusion_facts, load_board, session_kind, span_around
from services.common import clinic_zone, get_or_404, get_reference
from services.sessions_view import sessions_public


def board_at(
    session: Session,
    infusion: Infusion,
    kind: SessionKind,
    start: datetime,
    zone: ZoneInfo,
    now: datetime,
    therapist_ids: list[int] | None,
) -> Board:
    """The board one booking at ``start`` needs (its local day, its buffers)."""
    span = span_around(start, start + kind.duration, zone)
    return load_board(session, infusion, span, zone, now, therapist_ids=therapist_ids)


def book_session(uow: UnitOfWork, body: SessionCreate, clock: Clock) -> SessionPublic:
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        start = require_whole_minutes(parse_instant(body.start, zone, field="start"))
        infusion = get_reference(session, Infusion, body.infusion_id, "infusion")
        kind = session_kind(session, body.session_type)
        now = planning_now(clock)
        therapists = None if body.therapist_id is None else [body.therapist_id]
        board = board_at(session, infusion, kind, start, zone, now, therapists)
        placement = board.check(
            kind,
            start,
            therapist_id=body.therapist_id,
            room_id=body.room_id,
            override=body.override_reason is not None,
        )
        row = insert_session(session, infusion, kind.key, placement, now, body.override_reason)
        uow.commit()
        return sessions_public(session, [row], zone)[0]


def insert_session(
    session: Session,
    infusion: Infusion,
    session_type: str,
    placement: Placement,
    now: datetime,
    override_reason: str | None = None,
) -> TherapySession:
    row = TherapySession(
        infusion_id=infusion.id,
        patient_id=infusion.patient_id,
        session_type=session_type,
        therapist_id=placement.therapist_id,
        room_id=placement.room_id,
        start=placement.start,
        end=placement.end,
        status="booked",
        window=placement.window,
        outside_window=placement.outside_window,
        override_reason=override_reason,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def slots_for(
    uow: UnitOfWork,
    infusion_id: int,
    session_type: str,
    limit: int,
    therapist_id: int | None,
    clock: Clock,
) -> list[SlotPublic]:
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        infusion = get_or_404(session, Infusion, infusion_id, "infusion")
        kind = session_kind(session, session_type)
        now = planning_now(clock)
        window = infusion_facts(session, infusion).window(kind.window)
        if window is None:
            return []
        board = load_board(
            session, infusion, span_around(window.start, window.end, zone), zone, now
        )
        return [
            SlotPublic(
                start=to_clinic(p.start, zone),
                end=to_clinic(p.end, zone),
                therapist_id=p.therapist_id,
                room_id=p.room_id,
                window=p.window,
                score=p.score,
            )
            for p in find_slots(board, kind, limit=limit, therapist_id=therapist_id)
        ]


def _own_session(session: Session, session_id: int, actor: Actor) -> TherapySession:
    row = get_or_404(session, TherapySession, session_id, "session")
    if not actor.may_see_therapist(row.therapist_id):
        raise PlannerError("not_found", f"session {session_id} does not exist")
    return row


def move_session(
    uow: UnitOfWork, session_id: int, body: SessionMove, clock: Clock
) -> SessionPublic:
    """Move a booked session to another time or therapist; every booking rule applies."""
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        row = get_or_404(session, TherapySession, session_id, "session")
        if row.status != "booked":
            raise PlannerError("invalid_transition", f"a {row.status} session cannot be moved")
        start = (
            require_whole_minutes(parse_instant(body.start, zone, field="start"))
            if body.start is not None
            else row.start
        )
        therapist_id = body.therapist_id if body.therapist_id is not None else row.therapist_id
        infusion = get_or_404(session, Infusion, row.infusion_id, "infusion")
        kind = session_kind(session, row.session_type)
        now = planning_now(clock)
        board = board_at(session, infusion, kind, start, zone, now, [therapist_id])
        override = body.override_reason is not None
        keep_room = row.room_id  # stay in the same room when it is still free
        try:
            placement = board.check(
                kind,
                start,
                therapist_id=therapist_id,
                room_id=keep_room,
                override=override,
                ignore=row.id,
            )
        except PlannerError as refusal:
            if refusal.code != "room_unavailable" or keep_room is None:
                raise
            placement = board.check(
                kind, start, therapist_id=therapist_id, override=override, ignore=row.id
            )
        row.start, row.end = placement.start, placement.end
        row.therapist_id, row.room_id = placement.therapist_id, placement.room_id
        row.outside_window = placement.outside_window
        row.window = placement.window or row.window
        if override:
            row.override_reason = body.override_reason
        row.updated_at = now
        uow.commit()
        return sessions_public(session, [row], zone)[0]


def cancel_session(
    uow: UnitOfWork, session_id: int, body: SessionCancel | None, clock: Clock
) -> SessionPublic:
    with uow:
        session = uow.session
        row = get_or_404(session, TherapySession, session_id, "session")
        check_transition(row.status, "cancelled")
        row.status = "cancelled"
        row.cancel_reason = body.reason if body else None
        row.updated_at = clock().astimezone(UTC)
        uow.commit()
        return sessions_public(session, [row], clinic_zone(session))[0]


def change_status(
    uow: UnitOfWork, session_id: int, body: StatusChange, actor: Actor, clock: Clock
) -> SessionPublic:
    with uow:
        session = uow.session
        row = _own_session(session, session_id, actor)
        if body.status in ("booked", "cancelled"):
            raise PlannerError(
                "invalid_transition",
                f"a session cannot be set to {body.status} here"
                + (
                    " (cancel it with POST /api/sessions/{id}/cancel)"
                    if body.status == "cancelled"
                    else ""
                ),
            )
        check_transition(row.status, body.status)
        row.status = body.status
        row.updated_at = clock().astimezone(UTC)
        uow.commit()
        return sessions_public(session, [row], clinic_zone(session))[0]
