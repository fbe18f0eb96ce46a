"""Infusions: recorded with the protocol version in force, answered with their windows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.ranges import Page
from models.tables import Infusion
from models.uow import UnitOfWork
from planner.chairs import choose_chair
from planner.errors import Code, Conflict, PlannerError
from planner.intervals import Interval
from planner.localtime import Clock, instant_in, require_whole_minutes
from planner.sessions import ACTIVE, InfusionStatus, SessionStatus
from planner.wording import span_on_day
from services.commands import RecordInfusion
from services.sessions import session_views
from services.views import InfusionView, infusion_view


def infusion_views(uow: UnitOfWork, rows: Sequence[Infusion], zone: ZoneInfo) -> list[InfusionView]:
    """Views of ``rows``: one query for all their sessions, one for the patients' names."""
    sessions = uow.sessions.of_infusions(row.id for row in rows)
    flat = [s for row in rows for s in sessions.get(row.id, [])]
    views = {view.id: view for view in session_views(uow, flat, zone)}
    names = uow.patients.names_of(r.patient_id for r in rows)
    chairs = uow.rooms.chairs(for_update=False) if any(r.chair_id for r in rows) else {}
    return [
        infusion_view(
            row,
            uow.clinic.protocol(row.protocol_version),
            tuple(views[s.id] for s in sessions.get(row.id, [])),
            zone,
            names.get(row.patient_id),
            chairs.get(row.chair_id) if row.chair_id is not None else None,
        )
        for row in rows
    ]


def check_care_plan(uow: UnitOfWork, keys: Sequence[str]) -> list[str]:
    """The care plan without repeats; every key must name a session type."""
    care_plan = list(dict.fromkeys(keys))
    if care_plan:
        uow.session_types.kinds(care_plan)
    return care_plan


def refuse_overlapping_infusion(
    uow: UnitOfWork, patient_id: int, start: datetime, end: datetime, *, ignore: int | None = None
) -> None:
    """A patient is never in two infusions at once."""
    other = uow.infusions.first_overlap(patient_id, start, end, ignore)
    if other is not None:
        zone = uow.clinic.zone()
        name = uow.patients.get(patient_id).name
        raise PlannerError(
            Code.patient_busy,
            f"{name} already has an infusion {span_on_day(other.start, other.end, zone)}",
            [
                Conflict(
                    "infusion", other.id, other.start.astimezone(zone), other.end.astimezone(zone)
                )
            ],
        )


def clear_visit(
    uow: UnitOfWork,
    patient_id: int,
    infusion: Interval,
    recovery: timedelta,
    *,
    ignore: int | None = None,
    wanted_chair: int | None = None,
    prefer_chair: int | None = None,
) -> tuple[int | None, datetime | None]:
    """What recording or moving an infusion (``ignore``: the one moving) must find free: the
    patient, in no other infusion and with no session in this one or its recovery, and a
    chair until the recovery ends. The chair and until when it is held (None, None: the
    clinic has no chairs)."""
    refuse_overlapping_infusion(uow, patient_id, infusion.start, infusion.end, ignore=ignore)
    _refuse_sessions_in_visit(uow, patient_id, infusion, recovery, own=ignore)
    until = infusion.end + recovery
    chair = _seat(uow, infusion, until, wanted=wanted_chair, prefer=prefer_chair, ignore=ignore)
    return chair, (until if chair is not None else None)


def _refuse_sessions_in_visit(
    uow: UnitOfWork,
    patient_id: int,
    infusion: Interval,
    recovery: timedelta,
    *,
    own: int | None = None,
) -> None:
    """Recording or moving an infusion may not put the patient's booked sessions (other than
    the infusion's ``own``) inside it (``patient_busy``) or its recovery (``in_recovery``)."""
    visit_end = infusion.end + recovery
    found = uow.sessions.active_of_patient_between(patient_id, infusion.start, visit_end)
    found = [row for row in found if row.infusion_id != own]
    if not found:
        return
    zone = uow.clinic.zone()
    first = found[0]
    during = first.start < infusion.end
    name = uow.patients.get(patient_id).name
    when = span_on_day(first.start, first.end, zone)
    raise PlannerError(
        Code.patient_busy if during else Code.in_recovery,
        f"{name} has a session {when}, "
        + ("during this infusion" if during else "in the recovery after this infusion")
        + f" (under observation until {visit_end.astimezone(zone):%H:%M}); move it first",
        [
            Conflict("session", row.id, row.start.astimezone(zone), row.end.astimezone(zone))
            for row in found
        ],
    )


def _seat(
    uow: UnitOfWork,
    infusion: Interval,
    until: datetime,
    *,
    wanted: int | None = None,
    prefer: int | None = None,
    ignore: int | None = None,
) -> int | None:
    """The chair an infusion takes from its start ``until`` its recovery ends (chairs locked
    first, so two recordings for one chair queue and the second sees the first's hold)."""
    chairs = uow.rooms.chairs(for_update=True)
    if not chairs and wanted is None:
        return None
    holds = uow.infusions.chair_holds_between(infusion.start, until, ignore)
    zone = uow.clinic.zone()
    return choose_chair(chairs, holds, infusion.start, until, zone, wanted=wanted, prefer=prefer)


def record_infusion(uow: UnitOfWork, new: RecordInfusion, clock: Clock) -> Infusion:
    """Add the infusion to the unit of work (not committed: the caller owns the commit)."""
    zone = uow.clinic.zone()
    start = require_whole_minutes(instant_in(new.start, zone))
    end = start + timedelta(minutes=new.duration_minutes)
    # Lock the patient's row (PostgreSQL) so two overlapping requests cannot both pass the
    # overlap check below; bookings lock the same row (models/calendar.py).
    uow.patients.locked_reference(new.patient_id)
    care_plan = check_care_plan(uow, new.care_plan)
    protocol = uow.clinic.current_protocol()
    chair, chair_until = clear_visit(
        uow, new.patient_id, Interval(start, end), protocol.recovery, wanted_chair=new.chair_id
    )
    return uow.infusions.add(
        Infusion(
            patient_id=new.patient_id,
            start=start,
            end=end,
            duration_minutes=new.duration_minutes,
            protocol_version=protocol.version,
            status=InfusionStatus.scheduled,
            care_plan=care_plan,
            created_at=clock(),
            chair_id=chair,
            chair_until=chair_until,
        )
    )


def create_infusion(uow: UnitOfWork, new: RecordInfusion, clock: Clock) -> InfusionView:
    with uow:
        row = record_infusion(uow, new, clock)
        uow.commit()
        return infusion_views(uow, [row], uow.clinic.zone())[0]


def get_infusion(uow: UnitOfWork, infusion_id: int) -> InfusionView:
    with uow.reading():
        row = uow.infusions.get(infusion_id)
        return infusion_views(uow, [row], uow.clinic.zone())[0]


def list_infusions(uow: UnitOfWork, day: date | None, page: Page) -> list[InfusionView]:
    with uow.reading():
        zone = uow.clinic.zone()
        return infusion_views(uow, uow.infusions.on_day(day, zone, page), zone)


def cancel_infusion(
    uow: UnitOfWork, infusion_id: int, reason: str | None, clock: Clock
) -> InfusionView:
    """Cancel an infusion and every active session booked for it, in one transaction."""
    with uow:
        row = uow.infusions.get(infusion_id)
        if row.status == InfusionStatus.cancelled:
            raise PlannerError(
                Code.invalid_transition, f"infusion {infusion_id} is already cancelled"
            )
        row.status = InfusionStatus.cancelled
        row.cancel_reason = reason
        now = clock()
        for session in uow.sessions.of_infusion(infusion_id, ACTIVE):
            session.status = SessionStatus.cancelled
            session.cancel_reason = reason or "infusion cancelled"
            session.updated_at = now
        uow.commit()
        return infusion_views(uow, [row], uow.clinic.zone())[0]
