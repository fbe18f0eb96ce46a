"""Reading the schedule: one session, lists of sessions, a therapist's day."""

from __future__ import annotations

from sqlalchemy import select

from api.schemas.infusions import SessionPublic
from api.schemas.sessions import DayPublic, Span
from models.tables import Therapist, TherapySession, TimeOff
from models.uow import UnitOfWork
from planner.errors import NotFound
from planner.intervals import Interval, clip, subtract
from planner.localtime import day_bounds, parse_local_date, to_clinic
from planner.roles import Actor
from services.board_loader import therapist_state
from services.common import (
    LONGEST_SESSION,
    LONGEST_TIME_OFF,
    Page,
    clinic_zone,
    get_or_404,
    on_local_day,
    overlapping,
)
from services.sessions_view import sessions_public


def get_session(uow: UnitOfWork, session_id: int, actor: Actor) -> SessionPublic:
    with uow:
        session = uow.session
        row = get_or_404(session, TherapySession, session_id, "session")
        if not actor.may_see_therapist(row.therapist_id):
            raise NotFound("session", session_id)
        return sessions_public(session, [row], clinic_zone(session))[0]


def list_sessions(
    uow: UnitOfWork,
    actor: Actor,
    page: Page,
    *,
    date_text: str | None = None,
    therapist_id: int | None = None,
    patient_id: int | None = None,
) -> list[SessionPublic]:
    """Sessions by local day, therapist and patient; a therapist sees only its own."""
    if actor.is_therapist_only:
        if therapist_id is not None and therapist_id != actor.therapist_id:
            raise NotFound("therapist", therapist_id)
        therapist_id = actor.therapist_id if actor.therapist_id is not None else -1
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        query = select(TherapySession).order_by(TherapySession.start, TherapySession.id)
        if date_text is not None:
            query = query.where(on_local_day(TherapySession.start, date_text, zone))
        if therapist_id is not None:
            query = query.where(TherapySession.therapist_id == therapist_id)
        if patient_id is not None:
            query = query.where(TherapySession.patient_id == patient_id)
        rows = session.scalars(query.limit(page.limit + 1).offset(page.offset)).all()
        return sessions_public(session, rows, zone)


def therapist_day(uow: UnitOfWork, therapist_id: int, date_text: str, actor: Actor) -> DayPublic:
    """Working time (shifts minus time off), every session, and the free time left."""
    if not actor.may_see_therapist(therapist_id):
        raise NotFound("therapist", therapist_id)
    day = parse_local_date(date_text)
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        therapist = get_or_404(session, Therapist, therapist_id, "therapist")
        first, last = day_bounds(day, zone)
        time_off = list(
            session.scalars(
                select(TimeOff).where(
                    TimeOff.therapist_id == therapist_id,
                    overlapping(TimeOff.start, TimeOff.end, first, last, LONGEST_TIME_OFF),
                )
            )
        )
        rows = session.scalars(
            select(TherapySession)
            .where(
                TherapySession.therapist_id == therapist_id,
                overlapping(TherapySession.start, TherapySession.end, first, last, LONGEST_SESSION),
            )
            .order_by(TherapySession.start, TherapySession.id)
        ).all()
        state = therapist_state(therapist, time_off, day, day, zone)
        working = clip(state.working(), Interval(first, last))
        taken = [Interval(r.start, r.end) for r in rows if r.status in ("booked", "checked_in")]
        free = subtract(working, taken)
        return DayPublic(
            date=day.isoformat(),
            timezone=zone.key,
            therapist_id=therapist_id,
            working=[
                Span(start=to_clinic(w.start, zone), end=to_clinic(w.end, zone)) for w in working
            ],
            sessions=sessions_public(session, rows, zone),
            free=[Span(start=to_clinic(f.start, zone), end=to_clinic(f.end, zone)) for f in free],
        )
