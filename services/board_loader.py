"""Fill a ``Board`` from the database: a fixed number of queries, each bounded by time.

On PostgreSQL the rows of the patient, the therapists and the rooms involved are locked
(``FOR UPDATE``, always in that order and by id, so two bookings never deadlock) before
anything is read, so checks and the insert that follows see one consistent calendar. SQLite
gets the same from ``BEGIN IMMEDIATE``. Exclusion constraints stay as the last line.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import (
    ACTIVE_STATUSES,
    Infusion,
    Patient,
    Room,
    SessionType,
    Therapist,
    TherapySession,
    TimeOff,
)
from planner.board import Board, InfusionFacts, Occupation, SessionKind, TherapistState
from planner.errors import UnknownReference
from planner.intervals import Interval
from planner.localtime import day_bounds, local_date
from planner.working_hours import shifts_between
from services.common import (
    LONGEST_INFUSION,
    LONGEST_SESSION,
    LONGEST_TIME_OFF,
    overlapping,
    protocol_version,
)
from services.therapists import working_hours_of

MAX_BUFFER = timedelta(minutes=240)


def span_around(start: datetime, end: datetime, zone: ZoneInfo) -> Interval:
    """What a check at ``[start, end)`` must see: its local days (daily limit) and buffers."""
    first, _ = day_bounds(local_date(start, zone), zone)
    _, last = day_bounds(local_date(end, zone), zone)
    return Interval(min(first, start - MAX_BUFFER), max(last, end + MAX_BUFFER))


def session_kind(session: Session, key: str) -> SessionKind:
    row = session.scalars(select(SessionType).where(SessionType.key == key)).first()
    if row is None:
        raise UnknownReference("session type", key)
    return kind_of(row)


def kind_of(row: SessionType) -> SessionKind:
    return SessionKind(
        key=row.key,
        duration=timedelta(minutes=row.duration_minutes),
        discipline=row.discipline,
        window=row.window,
        room_kind=row.room_kind,
    )


def infusion_facts(session: Session, row: Infusion) -> InfusionFacts:
    protocol = protocol_version(session, row.protocol_version)
    return InfusionFacts(
        id=row.id,
        patient_id=row.patient_id,
        cancelled=row.status == "cancelled",
        start=row.start,
        end=row.end,
        windows=protocol.windows_for(row.start, timedelta(minutes=row.duration_minutes)),
    )


def therapist_state(
    row: Therapist, time_off: list[TimeOff], first: date, last: date, zone: ZoneInfo
) -> TherapistState:
    return TherapistState(
        id=row.id,
        disciplines=frozenset(row.disciplines),
        buffer=timedelta(minutes=row.buffer_minutes),
        max_per_day=row.max_sessions_per_day,
        shifts=tuple(shifts_between(working_hours_of(row.working_hours), first, last, zone)),
        time_off=tuple((t.id, Interval(t.start, t.end)) for t in time_off),
    )


def occupation_of(row: TherapySession) -> Occupation:
    return Occupation(
        kind="session",
        id=row.id,
        start=row.start,
        end=row.end,
        therapist_id=row.therapist_id,
        patient_id=row.patient_id,
        room_id=row.room_id,
        active=row.status in ACTIVE_STATUSES,
    )


def load_board(
    session: Session,
    infusion: Infusion,
    span: Interval,
    zone: ZoneInfo,
    now: datetime,
    *,
    therapist_ids: list[int] | None = None,
    patient_ids: list[int] | None = None,
) -> Board:
    """The calendar around ``span`` for booking sessions of ``infusion``.

    ``therapist_ids`` limits (and locks) the therapists considered; ``None`` means all.
    ``patient_ids`` (default: the infusion's patient) are locked and their infusions loaded.
    """
    patients = sorted(set(patient_ids or []) | {infusion.patient_id})
    session.execute(
        select(Patient.id).where(Patient.id.in_(patients)).order_by(Patient.id).with_for_update()
    )
    query = select(Therapist).order_by(Therapist.id).with_for_update()
    if therapist_ids is not None:
        query = query.where(Therapist.id.in_(therapist_ids))
    therapists = session.scalars(query).all()
    rooms = {
        room.id: room.kind
        for room in session.execute(select(Room.id, Room.kind).order_by(Room.id).with_for_update())
    }
    ids = [t.id for t in therapists]
    time_off: dict[int, list[TimeOff]] = {i: [] for i in ids}
    for row in session.scalars(
        select(TimeOff).where(
            TimeOff.therapist_id.in_(ids),
            overlapping(TimeOff.start, TimeOff.end, span.start, span.end, LONGEST_TIME_OFF),
        )
    ):
        time_off[row.therapist_id].append(row)
    first, last = local_date(span.start, zone), local_date(span.end, zone)
    occupations = [
        occupation_of(s)
        for s in session.scalars(
            select(TherapySession).where(
                overlapping(
                    TherapySession.start, TherapySession.end, span.start, span.end, LONGEST_SESSION
                ),
                TherapySession.status != "cancelled",
            )
        )
    ]
    occupations += [
        Occupation("infusion", i.id, i.start, i.end, patient_id=i.patient_id)
        for i in session.scalars(
            select(Infusion).where(
                Infusion.patient_id.in_(patients),
                Infusion.status != "cancelled",
                overlapping(Infusion.start, Infusion.end, span.start, span.end, LONGEST_INFUSION),
            )
        )
    ]
    return Board(
        zone=zone,
        now=now,
        infusion=infusion_facts(session, infusion),
        therapists={
            t.id: therapist_state(t, time_off[t.id], first, last, zone) for t in therapists
        },
        rooms=rooms,
        occupations=occupations,
    )
