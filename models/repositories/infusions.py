"""Infusions: by id, by local day, and the overlaps a patient may not have."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from models.ranges import (
    LONGEST_INFUSION,
    Page,
    asked_range,
    on_local_day,
    overlapping,
    overlapping_asked,
)
from models.tables import Infusion, Patient
from planner.chairs import ChairHold
from planner.errors import NotFound, UnknownReference
from planner.sessions import InfusionStatus


class InfusionRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, row: Infusion) -> Infusion:
        self.db.add(row)
        self.db.flush()
        return row

    def get(self, infusion_id: int) -> Infusion:
        row = self.db.get(Infusion, infusion_id)
        if row is None:
            raise NotFound("infusion", infusion_id)
        return row

    def reference(self, infusion_id: int) -> Infusion:
        row = self.db.get(Infusion, infusion_id)
        if row is None:
            raise UnknownReference("infusion", infusion_id)
        return row

    def on_day(self, day: date | None, zone: ZoneInfo, page: Page) -> list[Infusion]:
        """Infusions starting on the clinic's local ``day`` (every day when None), by start."""
        query = select(Infusion).order_by(Infusion.start, Infusion.id)
        if day is not None:
            query = query.where(on_local_day(Infusion.start, day, zone))
        return list(self.db.scalars(query.limit(page.limit + 1).offset(page.offset)))

    def scheduled_starting(self, first: datetime, last: datetime) -> list[Infusion]:
        """Infusions not cancelled that start in ``[first, last)``, by start."""
        query = (
            select(Infusion)
            .where(
                Infusion.start >= first,
                Infusion.start < last,
                Infusion.status != InfusionStatus.cancelled,
            )
            .order_by(Infusion.start, Infusion.id)
        )
        return list(self.db.scalars(query))

    def latest_of_patient(self, patient_id: int, before: datetime, limit: int) -> list[Infusion]:
        """The patient's infusions (not cancelled) starting at or before ``before``, newest
        first: the ones a session then may follow."""
        query = (
            select(Infusion)
            .where(
                Infusion.patient_id == patient_id,
                Infusion.status != InfusionStatus.cancelled,
                Infusion.start <= before,
            )
            .order_by(Infusion.start.desc(), Infusion.id.desc())
            .limit(limit)
        )
        return list(self.db.scalars(query))

    def chair_holds_between(
        self, lo: datetime, hi: datetime, ignore: int | None = None
    ) -> list[ChairHold]:
        """Chairs held (by infusions not cancelled) at some time in ``[lo, hi)``."""
        query = select(Infusion.chair_id, Infusion.id, Infusion.start, Infusion.chair_until).where(
            Infusion.chair_id.is_not(None),
            Infusion.status != InfusionStatus.cancelled,
            Infusion.start < hi,
            Infusion.chair_until > lo,
        )
        if ignore is not None:
            query = query.where(Infusion.id != ignore)
        return [
            ChairHold(chair, ident, start, until)
            for chair, ident, start, until in self.db.execute(query)
            if chair is not None and until is not None
        ]

    def of_patients_between(
        self, patient_ids: Iterable[int], lo: datetime, hi: datetime
    ) -> tuple[dict[int, str], list[Infusion]]:
        """The patients' names, and their infusions (not cancelled) overlapping ``[lo, hi)``:
        one query (a round trip fewer for every slot search on PostgreSQL)."""
        wanted = sorted(set(patient_ids))
        if not wanted:
            return {}, []
        asked = {"ids": wanted, **asked_range(lo, hi, LONGEST_INFUSION)}
        names: dict[int, str] = {}
        infusions = []
        for patient_id, name, infusion in self.db.execute(_patients_with_infusions(), asked):
            names[patient_id] = name
            if infusion is not None:
                infusions.append(infusion)
        return names, infusions

    def first_overlap(
        self, patient_id: int, start: datetime, end: datetime, ignore: int | None = None
    ) -> Infusion | None:
        """Another infusion of the patient at that time, if there is one."""
        query = select(Infusion).where(
            Infusion.patient_id == patient_id,
            Infusion.status != InfusionStatus.cancelled,
            overlapping(Infusion.start, Infusion.end, start, end, LONGEST_INFUSION),
        )
        if ignore is not None:
            query = query.where(Infusion.id != ignore)
        return self.db.scalars(query.order_by(Infusion.start).limit(1)).first()


@cache
def _patients_with_infusions() -> Select[int, str, Infusion]:
    """Built once: the slot search runs it every time (``models.ranges.overlapping_asked``)."""
    near = and_(
        Infusion.patient_id == Patient.id,
        Infusion.status != InfusionStatus.cancelled,
        overlapping_asked(Infusion.start, Infusion.end),
    )
    return (
        select(Patient.id, Patient.name, Infusion)
        .outerjoin(Infusion, near)
        .where(Patient.id.in_(bindparam("ids", expanding=True)))
    )
