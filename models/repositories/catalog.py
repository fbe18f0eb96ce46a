"""Rooms, session types and patients: the clinic's catalogue."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ranges import Page
from models.reference import Kept
from models.tables import Patient, Room, SessionType, TherapySession
from planner.board import SessionKind
from planner.chairs import CHAIR_KIND
from planner.errors import NotFound, UnknownReference

PATIENT_CHOICES = 300


def kind_of(row: SessionType) -> SessionKind:
    return SessionKind(
        key=row.key,
        duration=timedelta(minutes=row.duration_minutes),
        discipline=row.discipline,
        window=row.window,
        room_kind=row.room_kind,
        name=row.name,
        modality="telehealth" if row.modality == "telehealth" else "on_site",
    )


class RoomRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, row: Room) -> Room:
        self.db.add(row)
        self.db.flush()
        return row

    def get(self, room_id: int) -> Room:
        row = self.db.get(Room, room_id)
        if row is None:
            raise NotFound("room", room_id)
        return row

    def page(self, page: Page) -> list[Room]:
        query = select(Room).order_by(Room.id).limit(page.limit + 1).offset(page.offset)
        return list(self.db.scalars(query))

    def kinds_and_names(self, *, for_update: bool) -> tuple[dict[int, str], dict[int, str]]:
        """Every room's kind and name, by id; ``for_update``: rows locked in id order on
        PostgreSQL (after the therapists)."""
        query = select(Room.id, Room.kind, Room.name).order_by(Room.id)
        if for_update:
            query = query.with_for_update()
        kinds, names = {}, {}
        for ident, kind, name in self.db.execute(query):
            kinds[ident], names[ident] = kind, name
        return kinds, names

    def chairs(self, *, for_update: bool) -> dict[int, str]:
        """The infusion chairs' names by id; ``for_update``: their rows locked in id order on
        PostgreSQL (after the patient), so two recordings for one chair queue."""
        query = select(Room.id, Room.name).where(Room.kind == CHAIR_KIND).order_by(Room.id)
        if for_update:
            query = query.with_for_update()
        return {ident: name for ident, name in self.db.execute(query)}


class SessionTypeRepository:
    def __init__(self, db: Session, kept: Callable[[], Kept | None] = lambda: None) -> None:
        """``kept``: the reading unit of work's reference data (``models/reference.py``)."""
        self.db = db
        self._kinds: dict[str, SessionKind] | None = None
        self._kept = kept

    def add(self, row: SessionType) -> SessionType:
        self.db.add(row)
        self.db.flush()
        self._kinds = None
        return row

    def exists(self, key: str) -> bool:
        return self.db.scalar(select(SessionType.id).where(SessionType.key == key)) is not None

    def page(self, page: Page) -> list[SessionType]:
        query = select(SessionType).order_by(SessionType.id)
        return list(self.db.scalars(query.limit(page.limit + 1).offset(page.offset)))

    def kind(self, key: str) -> SessionKind:
        """The session type a request names (422 ``unknown_reference`` when there is none)."""
        found = self._every().get(key)
        if found is None:
            raise UnknownReference("session type", key)
        return found

    def kinds(self, keys: Sequence[str] | None = None) -> dict[str, SessionKind]:
        """The named session types (all when ``keys`` is None), by key; unknown keys refused."""
        every = self._every()
        if keys is None:
            return dict(every)
        wanted = set(keys)
        found = {key: kind for key, kind in every.items() if key in wanted}
        missing = [key for key in keys if key not in found]
        if missing:
            raise UnknownReference("session type", ", ".join(missing))
        return found

    def _every(self) -> dict[str, SessionKind]:
        """Every session type, read once per unit of work (a clinic has tens of them, and a
        booking asks for one by key and then for all)."""
        if self._kinds is None:
            kept = self._kept()
            self._kinds = self._read() if kept is None else kept.get(("kinds",), self._read)
        return self._kinds

    def _read(self) -> dict[str, SessionKind]:
        query = select(SessionType).order_by(SessionType.id)
        return {row.key: kind_of(row) for row in self.db.scalars(query)}

    def keys_using_windows_other_than(self, windows: Iterable[str]) -> list[str]:
        query = select(SessionType.key).where(SessionType.window.not_in(list(windows)))
        return sorted(self.db.scalars(query))


class PatientRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, row: Patient) -> Patient:
        self.db.add(row)
        self.db.flush()
        return row

    def get(self, patient_id: int) -> Patient:
        row = self.db.get(Patient, patient_id)
        if row is None:
            raise NotFound("patient", patient_id)
        return row

    def locked_reference(self, patient_id: int) -> Patient:
        """The patient a request names, its row locked (PostgreSQL) before bookings read."""
        row = self.db.get(Patient, patient_id, with_for_update=True)
        if row is None:
            raise UnknownReference("patient", patient_id)
        return row

    def lock(self, ids: Iterable[int]) -> None:
        """Lock the patients' rows in id order (PostgreSQL): the first lock of a booking."""
        wanted = sorted(set(ids))
        query = select(Patient.id).where(Patient.id.in_(wanted)).order_by(Patient.id)
        self.db.execute(query.with_for_update())

    def by_mrn(self, mrn: str) -> Patient | None:
        return self.db.scalars(select(Patient).where(Patient.mrn == mrn)).first()

    def names_of(self, ids: Iterable[int]) -> dict[int, str]:
        """The patients' names by id (two columns read, not whole rows)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        query = select(Patient.id, Patient.name).where(Patient.id.in_(wanted))
        return {ident: name for ident, name in self.db.execute(query)}

    def newest(self, limit: int = PATIENT_CHOICES) -> list[Patient]:
        """The most recently added patients first (the "record an infusion" form's list)."""
        return list(self.db.scalars(select(Patient).order_by(Patient.id.desc()).limit(limit)))

    def has_session_with(self, patient_id: int, therapist_id: int | None) -> bool:
        query = select(TherapySession.id).where(
            TherapySession.patient_id == patient_id, TherapySession.therapist_id == therapist_id
        )
        return self.db.scalar(query.limit(1)) is not None
