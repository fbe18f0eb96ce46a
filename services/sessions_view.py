"""Reading sessions into answers, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas.infusions import SessionPublic
from models.tables import ACTIVE_STATUSES, Patient, TherapySession
from planner.localtime import to_clinic


def session_public(
    row: TherapySession, zone: ZoneInfo, patient_name: str | None = None
) -> SessionPublic:
    return SessionPublic(
        id=row.id,
        infusion_id=row.infusion_id,
        patient_id=row.patient_id,
        patient_name=patient_name,
        session_type=row.session_type,
        therapist_id=row.therapist_id,
        room_id=row.room_id,
        start=to_clinic(row.start, zone),
        end=to_clinic(row.end, zone),
        status=row.status,
        window=row.window,
        outside_window=row.outside_window,
        override_reason=row.override_reason,
        cancel_reason=row.cancel_reason,
    )


def sessions_public(
    session: Session, rows: Sequence[TherapySession], zone: ZoneInfo, *, with_names: bool = True
) -> list[SessionPublic]:
    """Answers for ``rows``, with patients' names fetched in one query when wanted."""
    names: dict[int, str] = {}
    if with_names and rows:
        ids = {row.patient_id for row in rows}
        query = select(Patient.id, Patient.name).where(Patient.id.in_(ids))
        names = {patient.id: patient.name for patient in session.execute(query)}
    return [session_public(row, zone, names.get(row.patient_id)) for row in rows]


def sessions_of_infusions(
    session: Session, infusion_ids: Iterable[int], zone: ZoneInfo
) -> dict[int, list[SessionPublic]]:
    ids = list(infusion_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(TherapySession)
        .where(TherapySession.infusion_id.in_(ids))
        .order_by(TherapySession.start, TherapySession.id)
    ).all()
    grouped: dict[int, list[SessionPublic]] = defaultdict(list)
    for public in sessions_public(session, rows, zone):
        grouped[public.infusion_id].append(public)
    return grouped


def cancel_active_sessions_of(
    session: Session, infusion_id: int, reason: str, now: datetime
) -> int:
    """Cancel every active session of an infusion (row by row, so the audit sees each)."""
    rows = session.scalars(
        select(TherapySession).where(
            TherapySession.infusion_id == infusion_id,
            TherapySession.status.in_(ACTIVE_STATUSES),
        )
    ).all()
    for row in rows:
        row.status, row.cancel_reason, row.updated_at = "cancelled", reason, now
    return len(rows)
