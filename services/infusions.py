"""Infusions: recorded with the protocol version in force, answered with their windows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas.infusions import CancelBody, InfusionCreate, InfusionPublic
from models.tables import Infusion, Patient, SessionType
from models.uow import UnitOfWork
from planner.errors import Conflict, PlannerError, UnknownReference
from planner.localtime import (
    Clock,
    parse_instant,
    require_whole_minutes,
    to_clinic,
)
from planner.protocol import Protocol
from services.common import (
    LONGEST_INFUSION,
    Page,
    clinic_zone,
    current_protocol_row,
    get_or_404,
    on_local_day,
    overlapping,
    protocol_version,
)
from services.present import window_public
from services.sessions_view import cancel_active_sessions_of, sessions_of_infusions


def infusions_public(
    session: Session, rows: Sequence[Infusion], zone: ZoneInfo
) -> list[InfusionPublic]:
    """Answers for ``rows``: one query for all their sessions, one per protocol version."""
    protocols: dict[int, Protocol] = {}
    sessions = sessions_of_infusions(session, [row.id for row in rows], zone)
    answers = []
    for row in rows:
        if row.protocol_version not in protocols:
            protocols[row.protocol_version] = protocol_version(session, row.protocol_version)
        windows = protocols[row.protocol_version].windows_for(
            row.start, timedelta(minutes=row.duration_minutes)
        )
        answers.append(
            InfusionPublic(
                id=row.id,
                patient_id=row.patient_id,
                start=to_clinic(row.start, zone),
                end=to_clinic(row.end, zone),
                duration_minutes=row.duration_minutes,
                protocol_version=row.protocol_version,
                status=row.status,
                care_plan=list(row.care_plan),
                cancel_reason=row.cancel_reason,
                windows=[window_public(w, zone) for w in windows],
                sessions=sessions.get(row.id, []),
            )
        )
    return answers


def infusion_public(session: Session, row: Infusion, zone: ZoneInfo) -> InfusionPublic:
    return infusions_public(session, [row], zone)[0]


def check_care_plan(session: Session, keys: Sequence[str]) -> list[str]:
    """The care plan without repeats; every key must name a session type."""
    care_plan = list(dict.fromkeys(keys))
    if care_plan:
        known = set(session.scalars(select(SessionType.key).where(SessionType.key.in_(care_plan))))
        missing = [key for key in care_plan if key not in known]
        if missing:
            raise UnknownReference("session type", ", ".join(missing))
    return care_plan


def refuse_overlapping_infusion(
    session: Session, patient_id: int, start: datetime, end: datetime, *, ignore: int | None = None
) -> None:
    """A patient is never in two infusions at once."""
    query = select(Infusion).where(
        Infusion.patient_id == patient_id,
        Infusion.status != "cancelled",
        overlapping(Infusion.start, Infusion.end, start, end, LONGEST_INFUSION),
    )
    if ignore is not None:
        query = query.where(Infusion.id != ignore)
    other = session.scalars(query.limit(1)).first()
    if other is not None:
        raise PlannerError(
            "patient_busy",
            f"patient {patient_id} already has infusion {other.id} at that time",
            [Conflict("infusion", other.id, other.start, other.end)],
        )


def record_infusion(uow: UnitOfWork, body: InfusionCreate, clock: Clock) -> Infusion:
    """Add the infusion to the unit of work (not committed: the caller owns the commit)."""
    session = uow.session
    zone = clinic_zone(session)
    start = require_whole_minutes(parse_instant(body.start, zone, field="start"))
    end = start + timedelta(minutes=body.duration_minutes)
    # Lock the patient's row (PostgreSQL) so two overlapping requests cannot both pass the
    # overlap check below; bookings lock the same row (services/board_loader.py).
    if session.get(Patient, body.patient_id, with_for_update=True) is None:
        raise UnknownReference("patient", body.patient_id)
    care_plan = check_care_plan(session, body.care_plan)
    refuse_overlapping_infusion(session, body.patient_id, start, end)
    row = Infusion(
        patient_id=body.patient_id,
        start=start,
        end=end,
        duration_minutes=body.duration_minutes,
        protocol_version=current_protocol_row(session).version,
        status="scheduled",
        care_plan=care_plan,
        created_at=clock(),
    )
    session.add(row)
    session.flush()
    return row


def create_infusion(uow: UnitOfWork, body: InfusionCreate, clock: Clock) -> InfusionPublic:
    with uow:
        row = record_infusion(uow, body, clock)
        uow.commit()
        return infusion_public(uow.session, row, clinic_zone(uow.session))


def get_infusion(uow: UnitOfWork, infusion_id: int) -> InfusionPublic:
    with uow:
        session = uow.session
        row = get_or_404(session, Infusion, infusion_id, "infusion")
        return infusion_public(session, row, clinic_zone(session))


def list_infusions(uow: UnitOfWork, date_text: str | None, page: Page) -> list[InfusionPublic]:
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        query = select(Infusion).order_by(Infusion.start, Infusion.id)
        if date_text is not None:
            query = query.where(on_local_day(Infusion.start, date_text, zone))
        rows = session.scalars(query.limit(page.limit + 1).offset(page.offset)).all()
        return infusions_public(session, rows, zone)


def cancel_infusion(
    uow: UnitOfWork, infusion_id: int, body: CancelBody | None, clock: Clock
) -> InfusionPublic:
    """Cancel an infusion and every active session booked for it, in one transaction."""
    with uow:
        session = uow.session
        row = get_or_404(session, Infusion, infusion_id, "infusion")
        if row.status == "cancelled":
            raise PlannerError("invalid_transition", f"infusion {infusion_id} is already cancelled")
        row.status = "cancelled"
        row.cancel_reason = body.reason if body else None
        cancel_active_sessions_of(
            session, infusion_id, row.cancel_reason or "infusion cancelled", clock()
        )
        uow.commit()
        return infusion_public(session, row, clinic_zone(session))
