"""Therapists, their working hours (stored as sent) and their time off."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ranges import LONGEST_TIME_OFF, Page, overlapping
from models.tables import Therapist, TimeOff
from planner.errors import NotFound, UnknownReference, ValidationFailed
from planner.localtime import parse_local_date, parse_wall_time
from planner.working_hours import WorkingHours


def working_hours_of(entries: Sequence[Mapping[str, Any]]) -> list[WorkingHours]:
    """The domain's working hours from their stored (as-sent) form; validates every entry."""
    return [_entry(entry, f"working_hours[{index}]") for index, entry in enumerate(entries)]


def _entry(entry: Mapping[str, Any], where: str) -> WorkingHours:
    valid_from, valid_until = entry.get("valid_from"), entry.get("valid_until")
    start = parse_wall_time(entry["start"], field=f"{where}.start")
    end = parse_wall_time(entry["end"], field=f"{where}.end")
    first = parse_local_date(valid_from, field=f"{where}.valid_from") if valid_from else None
    last = parse_local_date(valid_until, field=f"{where}.valid_until") if valid_until else None
    try:
        return WorkingHours(entry["rrule"], start, end, first, last)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{where}: {exc.detail}") from exc


class TherapistRow(NamedTuple):
    """A therapist's columns as plain values: kept between reads (``models/reference.py``),
    where an ORM row, which belongs to one session, cannot be."""

    id: int
    name: str
    disciplines: list[Any]
    working_hours: list[Any]
    buffer_minutes: int
    max_sessions_per_day: int | None


class TherapistRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def rows(self) -> list[TherapistRow]:
        """Every therapist in id order, as plain values (for reading only: no lock)."""
        query = select(
            Therapist.id,
            Therapist.name,
            Therapist.disciplines,
            Therapist.working_hours,
            Therapist.buffer_minutes,
            Therapist.max_sessions_per_day,
        ).order_by(Therapist.id)
        return [TherapistRow._make(row) for row in self.db.execute(query)]

    def add(self, row: Therapist) -> Therapist:
        self.db.add(row)
        self.db.flush()
        return row

    def get(self, therapist_id: int) -> Therapist:
        """The therapist a path names (404 when there is none)."""
        row = self.db.get(Therapist, therapist_id)
        if row is None:
            raise NotFound("therapist", therapist_id)
        return row

    def reference(self, therapist_id: int) -> Therapist:
        """The therapist a request body names (422 ``unknown_reference`` when there is none)."""
        row = self.db.get(Therapist, therapist_id)
        if row is None:
            raise UnknownReference("therapist", therapist_id)
        return row

    def page(self, page: Page) -> list[Therapist]:
        query = select(Therapist).order_by(Therapist.id)
        return list(self.db.scalars(query.limit(page.limit + 1).offset(page.offset)))

    def listed(self, ids: Iterable[int] | None, *, for_update: bool) -> list[Therapist]:
        """The therapists (all, or ``ids``) in id order; ``for_update``: their rows locked
        on PostgreSQL.

        Bookings lock the patient, then the therapists, then the rooms, always by id, so
        two bookings never deadlock (docs/architecture.md, "Exactly one wins").
        """
        query = select(Therapist).order_by(Therapist.id)
        if for_update:
            query = query.with_for_update()
        if ids is not None:
            query = query.where(Therapist.id.in_(list(ids)))
        return list(self.db.scalars(query))

    def add_time_off(self, row: TimeOff) -> TimeOff:
        self.db.add(row)
        self.db.flush()
        return row

    def time_off_between(
        self, lo: datetime, hi: datetime, therapist_ids: Iterable[int] | None = None
    ) -> dict[int, list[TimeOff]]:
        """Time off overlapping ``[lo, hi)``, by therapist (all therapists when not given)."""
        query = (
            select(TimeOff)
            .where(overlapping(TimeOff.start, TimeOff.end, lo, hi, LONGEST_TIME_OFF))
            .order_by(TimeOff.start, TimeOff.id)
        )
        if therapist_ids is not None:
            query = query.where(TimeOff.therapist_id.in_(list(therapist_ids)))
        found: dict[int, list[TimeOff]] = defaultdict(list)
        for row in self.db.scalars(query):
            found[row.therapist_id].append(row)
        return found

    def upcoming_time_off(self, since: datetime, limit: int = 200) -> list[TimeOff]:
        query = select(TimeOff).where(TimeOff.end > since).order_by(TimeOff.start).limit(limit)
        return list(self.db.scalars(query))
