"""The few reads the pages need that no service offers; each is one bounded query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from models.tables import Patient, ProtocolVersion, TimeOff
from models.uow import UnitOfWork
from services.common import LONGEST_TIME_OFF, overlapping

PATIENT_CHOICES = 300


def patient_choices(uow: UnitOfWork) -> list[tuple[int, str]]:
    """Patients for the "record an infusion" form: the most recently added first."""
    with uow:
        rows = uow.session.execute(
            select(Patient.id, Patient.name, Patient.mrn)
            .order_by(Patient.id.desc())
            .limit(PATIENT_CHOICES)
        )
        return [(r.id, f"{r.name} ({r.mrn})" if r.mrn else r.name) for r in rows]


def patient_names(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with uow:
        rows = uow.session.execute(
            select(Patient.id, Patient.name, Patient.mrn).where(Patient.id.in_(wanted))
        )
        return {r.id: f"{r.name} · {r.mrn}" if r.mrn else r.name for r in rows}


def patient_by_mrn(uow: UnitOfWork, mrn: str) -> int | None:
    with uow:
        found: int | None = uow.session.scalar(select(Patient.id).where(Patient.mrn == mrn))
        return found


def time_off_between(
    uow: UnitOfWork, first: datetime, last: datetime
) -> dict[int, list[tuple[datetime, datetime, str]]]:
    """Every therapist's time off overlapping ``[first, last)``, by therapist."""
    found: dict[int, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    with uow:
        for row in uow.session.scalars(
            select(TimeOff)
            .where(overlapping(TimeOff.start, TimeOff.end, first, last, LONGEST_TIME_OFF))
            .order_by(TimeOff.start)
        ):
            found[row.therapist_id].append((row.start, row.end, row.reason))
    return found


def upcoming_time_off(
    uow: UnitOfWork, since: datetime, limit: int = 200
) -> list[tuple[int, datetime, datetime, str]]:
    with uow:
        rows = uow.session.scalars(
            select(TimeOff).where(TimeOff.end > since).order_by(TimeOff.start).limit(limit)
        )
        return [(r.therapist_id, r.start, r.end, r.reason) for r in rows]


def protocol_anchor(uow: UnitOfWork, version: int) -> str:
    with uow:
        anchor: str | None = uow.session.scalar(
            select(ProtocolVersion.anchor).where(ProtocolVersion.version == version)
        )
        return anchor or "end"
