"""Therapists, their working hours (RRULEs in wall time), time off, and a therapist's day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from models.calendar import therapist_state
from models.ranges import LONGEST_TIME_OFF, Page
from models.repositories.therapists import working_hours_of
from models.tables import Therapist, TimeOff
from models.uow import UnitOfWork
from planner.availability import free_time, working_on
from planner.errors import NotFound, ValidationFailed
from planner.intervals import Interval
from planner.localtime import Clock, day_bounds, instant_in
from planner.roles import Actor
from services.commands import NewTherapist, NewTimeOff, TherapistChanges
from services.sessions import session_views
from services.views import (
    TherapistDayView,
    TherapistView,
    TimeOffView,
    local_interval,
    therapist_view,
    time_off_view,
)

REQUIRED = ("name", "disciplines", "buffer_minutes")


def _as_sent(entries: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Working hours are stored as sent, once every entry is valid."""
    stored = [{k: v for k, v in entry.items() if v is not None} for entry in entries]
    working_hours_of(stored)
    return stored


def create_therapist(uow: UnitOfWork, new: NewTherapist) -> TherapistView:
    row = Therapist(
        name=new.name,
        disciplines=sorted(set(new.disciplines)),
        working_hours=_as_sent(new.working_hours),
        buffer_minutes=new.buffer_minutes,
        max_sessions_per_day=new.max_sessions_per_day,
    )
    with uow:
        uow.therapists.add(row)
        uow.commit()
        return therapist_view(row)


def list_therapists(uow: UnitOfWork, page: Page) -> list[TherapistView]:
    with uow.reading():
        return [therapist_view(row) for row in uow.therapists.page(page)]


def get_therapist(uow: UnitOfWork, therapist_id: int) -> TherapistView:
    with uow.reading():
        return therapist_view(uow.therapists.get(therapist_id))


def patch_therapist(uow: UnitOfWork, therapist_id: int, changes: TherapistChanges) -> TherapistView:
    fields: dict[str, Any] = dict(changes.fields)
    for required in REQUIRED:
        if required in fields and fields[required] is None:
            raise ValidationFailed(f"{required} cannot be null")
    if "working_hours" in fields:
        fields["working_hours"] = _as_sent(fields["working_hours"] or [])
    if "disciplines" in fields:
        fields["disciplines"] = sorted(set(fields["disciplines"]))
    with uow:
        row = uow.therapists.get(therapist_id)
        for name, value in fields.items():
            setattr(row, name, value)
        uow.commit()
        return therapist_view(row)


def add_time_off(uow: UnitOfWork, therapist_id: int, new: NewTimeOff) -> TimeOffView:
    with uow:
        zone = uow.clinic.zone()
        start, end = instant_in(new.start, zone), instant_in(new.end, zone)
        if end <= start:
            raise ValidationFailed("time off must end after it starts")
        if end - start > LONGEST_TIME_OFF:
            raise ValidationFailed("time off is at most 366 days; record a longer absence in parts")
        uow.therapists.get(therapist_id)
        row = uow.therapists.add_time_off(
            TimeOff(therapist_id=therapist_id, start=start, end=end, reason=new.reason)
        )
        uow.commit()
        return time_off_view(row, zone)


def upcoming_time_off(uow: UnitOfWork, clock: Clock) -> list[TimeOffView]:
    """Time off that has not ended yet (or ended in the last day), soonest first."""
    since = clock() - timedelta(days=1)
    with uow.reading():
        zone = uow.clinic.zone()
        return [time_off_view(row, zone) for row in uow.therapists.upcoming_time_off(since)]


def require_may_see(actor: Actor, therapist_id: int) -> None:
    """A therapist asking for another's day is told it does not exist (as for an unknown id)."""
    if not actor.may_see_therapist(therapist_id):
        raise NotFound("therapist", therapist_id)


def therapist_day(uow: UnitOfWork, therapist_id: int, day: date, actor: Actor) -> TherapistDayView:
    """Working time (shifts minus time off), every session, and the free time left."""
    require_may_see(actor, therapist_id)
    with uow.reading():
        zone = uow.clinic.zone()
        therapist = uow.therapists.get(therapist_id)
        first, last = day_bounds(day, zone)
        time_off = uow.therapists.time_off_between(first, last, [therapist_id])
        rows = uow.sessions.of_therapist_between(therapist_id, first, last)
        state = therapist_state(therapist, time_off.get(therapist_id, []), day, day, zone)
        working = working_on(state, day, zone)
        free = free_time(working, ((Interval(r.start, r.end), r.status) for r in rows))
        return TherapistDayView(
            date=day,
            timezone=zone.key,
            therapist=therapist_view(therapist),
            working=tuple(local_interval(w, zone) for w in working),
            sessions=tuple(session_views(uow, rows, zone)),
            free=tuple(local_interval(f, zone) for f in free),
        )
