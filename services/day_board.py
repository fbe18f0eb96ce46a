"""The day board: every therapist's day, the day's infusions and what still needs booking.

One read for the staff's main page: each therapist's working, busy and free time (the same
rule as a therapist's day, ``planner.availability``), the infusions that start that day with
their windows and sessions, and the care-plan items that have no session (never booked, or
their session was cancelled or a no-show), so staff see what became unbooked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.calendar import therapist_state
from models.ranges import ALL, MAX_PAGE
from models.uow import UnitOfWork
from planner.availability import free_time, working_on
from planner.intervals import Interval
from planner.localtime import day_bounds
from planner.sessions import HELD, InfusionStatus, SessionStatus
from services.infusions import infusion_views
from services.sessions import session_views
from services.views import (
    ClinicView,
    InfusionView,
    RoomView,
    SessionTypeView,
    TherapistDayView,
    local_interval,
    room_view,
    session_type_view,
    therapist_view,
)


@dataclass(frozen=True)
class CarePlanGap:
    """A care-plan item of the day with no session booked, under way or held."""

    infusion: InfusionView
    session_type: str
    last_status: SessionStatus | None  # cancelled or no_show when it had a session


@dataclass(frozen=True)
class DayBoardView:
    day: date
    clinic: ClinicView
    therapists: tuple[TherapistDayView, ...]
    infusions: tuple[InfusionView, ...]
    session_types: tuple[SessionTypeView, ...]
    rooms: tuple[RoomView, ...]
    gaps: tuple[CarePlanGap, ...]
    truncated: bool


def day_board(uow: UnitOfWork, day: date) -> DayBoardView:
    with uow.reading():
        clinic = uow.clinic.row()
        zone = uow.clinic.zone()
        first, last = day_bounds(day, zone)
        people = uow.therapists.page(ALL)[:MAX_PAGE]
        time_off = uow.therapists.time_off_between(first, last)
        rows = uow.sessions.listed(zone, ALL, day=day)
        sessions = session_views(uow, rows[:MAX_PAGE], zone)
        days = []
        for person in people:
            state = therapist_state(person, time_off.get(person.id, []), day, day, zone)
            working = working_on(state, day, zone)
            mine = [s for s in sessions if s.therapist_id == person.id]
            free = free_time(working, ((Interval(s.start, s.end), s.status) for s in mine))
            days.append(
                TherapistDayView(
                    date=day,
                    timezone=zone.key,
                    therapist=therapist_view(person),
                    working=tuple(local_interval(w, zone) for w in working),
                    sessions=tuple(mine),
                    free=tuple(local_interval(f, zone) for f in free),
                )
            )
        infusions = infusion_views(uow, uow.infusions.on_day(day, zone, ALL)[:MAX_PAGE], zone)
        return DayBoardView(
            day=day,
            clinic=ClinicView(clinic.name, clinic.timezone),
            therapists=tuple(days),
            infusions=tuple(infusions),
            session_types=tuple(session_type_view(t) for t in uow.session_types.page(ALL)),
            rooms=tuple(room_view(r) for r in uow.rooms.page(ALL)),
            gaps=tuple(care_plan_gaps(infusions)),
            truncated=len(rows) > MAX_PAGE,
        )


def care_plan_gaps(infusions: list[InfusionView]) -> list[CarePlanGap]:
    """Care-plan items of scheduled infusions that have no session booked or held."""
    gaps = []
    for infusion in infusions:
        if infusion.status == InfusionStatus.cancelled:
            continue
        for key in infusion.care_plan:
            of_type = [s for s in infusion.sessions if s.session_type == key]
            if any(s.status in HELD for s in of_type):
                continue
            last = of_type[-1].status if of_type else None
            gaps.append(CarePlanGap(infusion, key, last))
    return gaps
