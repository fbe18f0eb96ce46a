"""Fill a ``Board`` from the database: a fixed number of queries, each bounded by time.

On PostgreSQL, in a unit of work that writes, the rows of the patients, the therapists and
the rooms involved are locked (``FOR UPDATE``, always in that order and by id, so two
bookings never deadlock) before anything is read, so the checks and the insert that follows
see one consistent calendar. SQLite gets the same from ``BEGIN IMMEDIATE``. Exclusion
constraints stay as the last line. A reading unit of work (a slot search, a page) locks
nothing: what it shows is re-checked by the booking that follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from models.reference import Kept
from models.repositories.catalog import (
    PatientRepository,
    RoomRepository,
    SessionTypeRepository,
)
from models.repositories.clinic import ClinicRepository
from models.repositories.infusions import InfusionRepository
from models.repositories.sessions import SessionRepository, SessionSpan
from models.repositories.therapists import TherapistRepository, TherapistRow, working_hours_of
from models.tables import Infusion, Therapist, TimeOff
from planner.board import Board, InfusionFacts, Occupation, TherapistState
from planner.facts import RECOVERY
from planner.intervals import Interval
from planner.localtime import day_bounds, local_date
from planner.protocol import MAX_RECOVERY
from planner.sessions import ACTIVE, InfusionStatus
from planner.wording import in_sentence, possessive, words
from planner.working_hours import shifts_between

MAX_BUFFER = timedelta(minutes=240)


def span_around(start: datetime, end: datetime, zone: ZoneInfo) -> Interval:
    """What a check at ``[start, end)`` must see: its local days (daily limit) and buffers."""
    first, _ = day_bounds(local_date(start, zone), zone)
    _, last = day_bounds(local_date(end, zone), zone)
    return Interval(min(first, start - MAX_BUFFER), max(last, end + MAX_BUFFER))


def therapist_state(
    row: Therapist | TherapistRow,
    time_off: Sequence[TimeOff],
    first: date,
    last: date,
    zone: ZoneInfo,
) -> TherapistState:
    """The therapist as the rules see it between two local dates (inclusive)."""
    return TherapistState(
        id=row.id,
        disciplines=frozenset(row.disciplines),
        buffer=timedelta(minutes=row.buffer_minutes),
        max_per_day=row.max_sessions_per_day,
        shifts=tuple(shifts_between(working_hours_of(row.working_hours), first, last, zone)),
        time_off=tuple((t.id, Interval(t.start, t.end)) for t in time_off),
        name=row.name,
    )


class Calendar:
    """Reads the calendar around a time span into a ``Board`` (locking what a booking uses)."""

    def __init__(
        self,
        db: Session,
        *,
        for_update: bool = True,
        clinic: ClinicRepository | None = None,
        session_types: SessionTypeRepository | None = None,
    ) -> None:
        """``clinic`` and ``session_types``: the unit of work's, to share what they have
        read already (protocol versions, session types)."""
        self.db = db
        self.for_update = for_update
        self.clinic = clinic or ClinicRepository(db)
        self.patients = PatientRepository(db)
        self.therapists = TherapistRepository(db)
        self.rooms = RoomRepository(db)
        self.infusions = InfusionRepository(db)
        self.sessions = SessionRepository(db)
        self.session_types = session_types or SessionTypeRepository(db)

    def facts(self, infusion: Infusion, patient_name: str = "") -> InfusionFacts:
        """The infusion with its windows, under the protocol version it was recorded with."""
        protocol = self.clinic.protocol(infusion.protocol_version)
        return InfusionFacts(
            id=infusion.id,
            patient_id=infusion.patient_id,
            cancelled=infusion.status == InfusionStatus.cancelled,
            start=infusion.start,
            end=infusion.end,
            windows=protocol.windows_for(
                infusion.start, timedelta(minutes=infusion.duration_minutes)
            ),
            patient_name=patient_name,
        )

    def board(
        self,
        infusion: Infusion,
        span: Interval,
        zone: ZoneInfo,
        now: datetime,
        *,
        therapist_ids: list[int] | None = None,
        patient_ids: list[int] | None = None,
    ) -> Board:
        """The calendar around ``span`` for booking sessions of ``infusion``.

        ``therapist_ids`` limits (and locks) the therapists considered; ``None`` means all.
        ``patient_ids`` (default: the infusion's patient) are locked and their infusions read.
        """
        return self._board(infusion, span, zone, now, therapist_ids, patient_ids, near=False)

    def board_near(
        self,
        infusion: Infusion,
        near: Interval,
        zone: ZoneInfo,
        now: datetime,
        *,
        therapist_ids: list[int] | None = None,
    ) -> Board:
        """The calendar a new session starting and ending within ``near`` needs: the sessions
        within the therapists' largest buffer of it, and each therapist's number of sessions
        on its local days, counted by the database. A slot search over a full day reads a
        few dozen rows instead of every session of the day. (A move, which must find the
        moving session wherever it is, takes ``board``.)"""
        return self._board(infusion, near, zone, now, therapist_ids, None, near=True)

    def open_board(
        self, facts: InfusionFacts, zone: ZoneInfo, now: datetime, therapist_ids: list[int] | None
    ) -> Board:
        """The therapists' and rooms' calendar over ``facts``' one window, for no patient
        (``planner.slots.open_window``): free slots, whoever they are for. Reads only."""
        window = facts.windows[0]
        near = Interval(window.start, window.end)
        return self._board(None, near, zone, now, therapist_ids, None, near=True, facts=facts)

    def _board(
        self,
        infusion: Infusion | None,
        span: Interval,
        zone: ZoneInfo,
        now: datetime,
        therapist_ids: list[int] | None,
        patient_ids: list[int] | None,
        *,
        near: bool,
        facts: InfusionFacts | None = None,
    ) -> Board:
        patients = sorted(set(patient_ids or []) | ({infusion.patient_id} if infusion else set()))
        if self.for_update:
            self.patients.lock(patients)
        kept = self.clinic.kept()  # None in a writing unit of work: it reads (and locks) rows
        therapists: Sequence[Therapist | TherapistRow]
        if kept is None:
            therapists = self.therapists.listed(therapist_ids, for_update=self.for_update)
            rooms, room_names = self.rooms.kinds_and_names(for_update=self.for_update)
        else:
            therapists = kept.get(("therapists",), self.therapists.rows)
            if therapist_ids is not None:
                wanted = set(therapist_ids)
                therapists = [t for t in therapists if t.id in wanted]
            rooms, room_names = kept.get(("rooms",), self._room_kinds_and_names)
        ids = [t.id for t in therapists]
        loads = None
        if near:
            days = _local_days(span, zone)
            loads = self.sessions.day_loads([day_bounds(day, zone) for day in days], days)
            pad = timedelta(minutes=max((t.buffer_minutes for t in therapists), default=0))
            span = Interval(span.start - pad, span.end + pad)
        chosen = None if therapist_ids is None else ids  # all: no list of ids to send
        first, last = local_date(span.start, zone), local_date(span.end, zone)
        states = self._therapist_states(therapists, span, chosen, first, last, zone, kept)
        sessions = self.sessions.not_cancelled_between(span.start, span.end)
        # an infusion that ended before the span may still hold its patient in recovery
        names, infusions = self.infusions.of_patients_between(
            patients, span.start - MAX_RECOVERY, span.end
        )
        every = self.session_types.kinds()
        kinds = {key: in_sentence(kind.title) for key, kind in every.items()}
        remote = {key for key, kind in every.items() if kind.modality == "telehealth"}
        occupations = _session_occupations(sessions, kinds, remote)
        occupations += [_infusion_occupation(i, names) for i in infusions]
        occupations += [self._recovery(i, names) for i in infusions]
        if infusion is not None:
            facts = self.facts(infusion, names.get(infusion.patient_id, ""))
        assert facts is not None, "a board is for an infusion or for open facts"
        return Board(
            zone=zone,
            now=now,
            infusion=facts,
            therapists=states,
            rooms=dict(rooms),
            occupations=occupations,
            room_names=dict(room_names),
            day_loads=loads,
            max_wait=self.clinic.max_wait(),
        )

    def _room_kinds_and_names(self) -> tuple[dict[int, str], dict[int, str]]:
        return self.rooms.kinds_and_names(for_update=False)

    def _therapist_states(
        self,
        therapists: Sequence[Therapist | TherapistRow],
        span: Interval,
        chosen: list[int] | None,
        first: date,
        last: date,
        zone: ZoneInfo,
        kept: Kept | None,
    ) -> dict[int, TherapistState]:
        """The therapists as the rules see them over ``span``: their shifts on its local
        days and their time off in it (kept between reads while none of them changed)."""
        if kept is None:
            time_off = self.therapists.time_off_between(span.start, span.end, chosen)
            return {
                t.id: therapist_state(t, time_off.get(t.id, []), first, last, zone)
                for t in therapists
            }
        roster = kept.get(("therapists",), self.therapists.rows)
        read_states = partial(_states_without_time_off, roster, first, last, zone)
        every = kept.get(("states", first, last, zone.key), read_states)
        away = kept.get(("time off", span.start, span.end), partial(self._time_off, span))
        found = {}
        for t in therapists:
            state = every.get(t.id)  # one added since (PostgreSQL reads newer rows): read it
            if state is None:
                state = therapist_state(t, [], first, last, zone)
            found[t.id] = replace(state, time_off=away[t.id]) if t.id in away else state
        return found

    def _time_off(self, span: Interval) -> dict[int, tuple[tuple[int, Interval], ...]]:
        found = self.therapists.time_off_between(span.start, span.end)
        return {k: tuple((t.id, Interval(t.start, t.end)) for t in v) for k, v in found.items()}

    def _recovery(self, row: Infusion, names: dict[int, str]) -> Occupation:
        """The observation after the infusion, as long as its protocol version says."""
        recovery = self.clinic.protocol(row.protocol_version).recovery
        patient = names.get(row.patient_id, f"patient {row.patient_id}")
        return Occupation(
            RECOVERY,
            row.id,
            row.end,
            row.end + recovery,
            patient_id=row.patient_id,
            what=f"{possessive(patient)} recovery after the infusion",
            infusion_id=row.id,
        )


def _states_without_time_off(
    roster: Sequence[TherapistRow], first: date, last: date, zone: ZoneInfo
) -> dict[int, TherapistState]:
    return {t.id: therapist_state(t, [], first, last, zone) for t in roster}


def _local_days(span: Interval, zone: ZoneInfo) -> list[date]:
    first, last = local_date(span.start, zone), local_date(span.end, zone)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _session_occupations(
    rows: list[SessionSpan], kinds: dict[str, str], remote: set[str]
) -> list[Occupation]:
    """The sessions as the rules see them. A full day is hundreds of rows: the wording of
    each patient and each session type is made once."""
    whose: dict[int, str] = {}
    occupations = []
    for row in rows:
        patient = whose.get(row.patient_id)
        if patient is None:
            patient = whose[row.patient_id] = possessive(row.patient_name)
        title = kinds.get(row.session_type) or in_sentence(words(row.session_type))
        occupations.append(
            Occupation(
                kind="session",
                id=row.id,
                start=row.start,
                end=row.end,
                therapist_id=row.therapist_id,
                patient_id=row.patient_id,
                room_id=row.room_id,
                active=row.status in ACTIVE,
                what=f"{patient} {title}",
                infusion_id=row.infusion_id,
                session_type=row.session_type,
                telehealth=row.session_type in remote,
            )
        )
    return occupations


def _infusion_occupation(row: Infusion, names: dict[int, str]) -> Occupation:
    patient = names.get(row.patient_id, f"patient {row.patient_id}")
    return Occupation(
        "infusion",
        row.id,
        row.start,
        row.end,
        patient_id=row.patient_id,
        what=f"{possessive(patient)} infusion",
        infusion_id=row.id,
    )
