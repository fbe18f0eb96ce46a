"""Therapy sessions (table ``sessions``): by infusion, day, therapist, patient and time."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from models.ranges import (
    LONGEST_SESSION,
    Page,
    asked_range,
    on_local_day,
    overlapping,
    overlapping_asked,
)
from models.tables import Patient, TherapySession
from planner.errors import NotFound
from planner.sessions import ACTIVE, HELD, SessionStatus


class SessionSpan(NamedTuple):
    """What a board reads of a session."""

    id: int
    start: datetime
    end: datetime
    therapist_id: int
    patient_id: int
    room_id: int | None
    status: str
    infusion_id: int
    session_type: str
    patient_name: str


SESSION_SPAN = (
    TherapySession.id,
    TherapySession.start,
    TherapySession.end,
    TherapySession.therapist_id,
    TherapySession.patient_id,
    TherapySession.room_id,
    TherapySession.status,
    TherapySession.infusion_id,
    TherapySession.session_type,
    Patient.name,
)


class SessionRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, row: TherapySession) -> TherapySession:
        self.db.add(row)
        self.db.flush()
        return row

    def get(self, session_id: int) -> TherapySession:
        row = self.db.get(TherapySession, session_id)
        if row is None:
            raise NotFound("session", session_id)
        return row

    def of_infusions(self, infusion_ids: Iterable[int]) -> dict[int, list[TherapySession]]:
        """Every session of the infusions (whatever its status), by infusion, in time order."""
        ids = list(infusion_ids)
        found: dict[int, list[TherapySession]] = defaultdict(list)
        if not ids:
            return found
        query = (
            select(TherapySession)
            .where(TherapySession.infusion_id.in_(ids))
            .order_by(TherapySession.start, TherapySession.id)
        )
        for row in self.db.scalars(query):
            found[row.infusion_id].append(row)
        return found

    def of_infusion(
        self, infusion_id: int, statuses: Iterable[SessionStatus] = ACTIVE
    ) -> list[TherapySession]:
        query = (
            select(TherapySession)
            .where(
                TherapySession.infusion_id == infusion_id,
                TherapySession.status.in_(list(statuses)),
            )
            .order_by(TherapySession.start, TherapySession.id)
        )
        return list(self.db.scalars(query))

    def held_types(self, infusion_ids: Iterable[int]) -> dict[int, set[str]]:
        """The care-plan items done or to come (booked, checked in, completed), by infusion."""
        ids = list(infusion_ids)
        found: dict[int, set[str]] = defaultdict(set)
        if not ids:
            return found
        query = select(TherapySession.infusion_id, TherapySession.session_type).where(
            TherapySession.infusion_id.in_(ids), TherapySession.status.in_(list(HELD))
        )
        for infusion_id, key in self.db.execute(query):
            found[infusion_id].add(key)
        return found

    def listed(
        self,
        zone: ZoneInfo,
        page: Page,
        *,
        day: date | None = None,
        therapist_id: int | None = None,
        patient_id: int | None = None,
        starts: tuple[datetime | None, datetime | None] = (None, None),
        statuses: Sequence[SessionStatus] | None = None,
    ) -> list[TherapySession]:
        """Sessions by local day, start ``[lo, hi)``, therapist, patient and status, in time
        order (one page)."""
        query = select(TherapySession).order_by(TherapySession.start, TherapySession.id)
        if day is not None:
            query = query.where(on_local_day(TherapySession.start, day, zone))
        lo, hi = starts
        if lo is not None:
            query = query.where(TherapySession.start >= lo)
        if hi is not None:
            query = query.where(TherapySession.start < hi)
        if statuses is not None:
            query = query.where(TherapySession.status.in_(list(statuses)))
        if therapist_id is not None:
            query = query.where(TherapySession.therapist_id == therapist_id)
        if patient_id is not None:
            query = query.where(TherapySession.patient_id == patient_id)
        return list(self.db.scalars(query.limit(page.limit + 1).offset(page.offset)))

    def for_calendar(
        self,
        lo: datetime,
        hi: datetime,
        *,
        therapist_id: int | None = None,
        room_id: int | None = None,
        patient_id: int | None = None,
    ) -> list[TherapySession]:
        """Sessions of any status overlapping ``[lo, hi)`` of one therapist, room or patient
        (a calendar feed shows cancelled ones too), in time order."""
        query = (
            select(TherapySession)
            .where(overlapping(TherapySession.start, TherapySession.end, lo, hi, LONGEST_SESSION))
            .order_by(TherapySession.start, TherapySession.id)
        )
        if therapist_id is not None:
            query = query.where(TherapySession.therapist_id == therapist_id)
        if room_id is not None:
            query = query.where(TherapySession.room_id == room_id)
        if patient_id is not None:
            query = query.where(TherapySession.patient_id == patient_id)
        return list(self.db.scalars(query))

    def of_therapist_between(
        self, therapist_id: int, lo: datetime, hi: datetime
    ) -> list[TherapySession]:
        """The therapist's sessions (any status) overlapping ``[lo, hi)``, in time order."""
        query = (
            select(TherapySession)
            .where(
                TherapySession.therapist_id == therapist_id,
                overlapping(TherapySession.start, TherapySession.end, lo, hi, LONGEST_SESSION),
            )
            .order_by(TherapySession.start, TherapySession.id)
        )
        return list(self.db.scalars(query))

    def active_of_patient_between(
        self, patient_id: int, lo: datetime, hi: datetime
    ) -> list[TherapySession]:
        """The patient's active sessions (booked, checked in) overlapping ``[lo, hi)``."""
        query = (
            select(TherapySession)
            .where(
                TherapySession.patient_id == patient_id,
                TherapySession.status.in_(list(ACTIVE)),
                overlapping(TherapySession.start, TherapySession.end, lo, hi, LONGEST_SESSION),
            )
            .order_by(TherapySession.start, TherapySession.id)
        )
        return list(self.db.scalars(query))

    def day_loads(
        self, bounds: list[tuple[datetime, datetime]], days: list[date]
    ) -> Counter[tuple[int, date]]:
        """Sessions that are not cancelled, per (therapist, day), for each local day whose
        ``[first, last)`` instants ``bounds`` gives: the daily limit's count."""
        loads: Counter[tuple[int, date]] = Counter()
        for (first, last), day in zip(bounds, days, strict=True):
            asked = {"first": first, "last": last}
            for therapist_id, count in self.db.connection().execute(_day_loads(), asked):
                loads[(therapist_id, day)] = count
        return loads

    def not_cancelled_between(self, lo: datetime, hi: datetime) -> list[SessionSpan]:
        """Sessions that are not cancelled and overlap ``[lo, hi)``: the columns a board
        needs (a full day of a busy clinic is hundreds of rows; whole ORM objects cost
        several times more to load)."""
        asked = asked_range(lo, hi, LONGEST_SESSION)
        rows = self.db.connection().execute(_not_cancelled_between(), asked)  # plain rows
        return [SessionSpan._make(row) for row in rows]


# The slot search's statements, built once (``models.ranges.overlapping_asked``)


@cache
def _day_loads() -> Select[int, int]:
    return (
        select(TherapySession.therapist_id, func.count())
        .where(
            TherapySession.start >= bindparam("first"),
            TherapySession.start < bindparam("last"),
            TherapySession.status != SessionStatus.cancelled,
        )
        .group_by(TherapySession.therapist_id)
    )


@cache
def _not_cancelled_between() -> Select[*tuple[Any, ...]]:
    return (
        select(*SESSION_SPAN)
        .join(Patient, Patient.id == TherapySession.patient_id)
        .where(
            overlapping_asked(TherapySession.start, TherapySession.end),
            TherapySession.status != SessionStatus.cancelled,
        )
        .order_by(TherapySession.start, TherapySession.id)
    )
