"""Free slots and proposed appointments over a time range (FHIR ``Slot`` and
``Appointment/$find``), from the same slot search and the same rules as booking.

A free slot is a therapist's: working, free (buffers kept), under its daily limit, with a
room of the kind free; it is for no patient in particular. A proposal is for a patient: a
slot of the session type's window after one of the patient's infusions, the patient free,
ranked as ``GET /api/infusions/{id}/slots`` ranks (nearest the window's target first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.uow import UnitOfWork
from planner.board import Placement, SessionKind
from planner.errors import ValidationFailed
from planner.intervals import Interval
from planner.localtime import Clock, planning_now
from planner.slots import find_slots, open_window, slot_rank
from services.booking import book_in
from services.commands import BookSession
from services.views import SessionView, slot_view

# How far one search may reach: a month of slots, a quarter of proposals.
LONGEST_SLOT_RANGE = timedelta(days=31)
LONGEST_FIND_RANGE = timedelta(days=92)
LAST_START = timedelta(microseconds=1)
# The infusions a proposal may follow: the patient's newest before the range ends.
INFUSIONS_LOOKED_AT = 20


@dataclass(frozen=True)
class TimeSearch:
    """Times for one session of ``session_type`` in ``[lo, hi)``, with one therapist or any."""

    session_type: str
    lo: datetime
    hi: datetime
    therapist_id: int | None
    limit: int


@dataclass(frozen=True)
class Proposal:
    """A time booking would accept now: the slot and the infusion it follows."""

    patient_id: int
    infusion_id: int
    session_type: str
    slot: Placement  # on the clinic's clock


def _checked_range(lo: datetime, hi: datetime, longest: timedelta) -> Interval:
    if hi <= lo:
        raise ValidationFailed("the range is empty: its end must come after its start")
    if hi - lo > longest:
        raise ValidationFailed(f"a search covers at most {longest.days} days; narrow the range")
    return Interval(lo, hi)


def free_slots(uow: UnitOfWork, search: TimeSearch, clock: Clock) -> list[Placement]:
    """The first ``search.limit`` free slots starting in ``[search.lo, search.hi)``, in time
    order (therapist by id at one time); none before now."""
    _checked_range(search.lo, search.hi, LONGEST_SLOT_RANGE)
    now = planning_now(clock)
    therapist_id = search.therapist_id
    with uow.reading():
        zone = uow.clinic.zone()
        kind = _kind_and_therapist(uow, search)
        # the window's end lets the last start fall just before ``hi``
        span = Interval(search.lo, search.hi - LAST_START + kind.duration)
        therapists = None if therapist_id is None else [therapist_id]
        board = uow.calendar.open_board(open_window(kind.window, span), zone, now, therapists)
        found = find_slots(board, kind, limit=search.limit, therapist_id=therapist_id)
        return [slot_view(p, zone) for p in found]


def find_proposals(
    uow: UnitOfWork, patient_id: int, search: TimeSearch, clock: Clock
) -> list[Proposal]:
    """The ``search.limit`` best times in ``[search.lo, search.hi)`` at which booking would
    accept the session type for the patient, after whichever of its infusions opens that
    window."""
    span = _checked_range(search.lo, search.hi, LONGEST_FIND_RANGE)
    now = planning_now(clock)
    therapist_id, limit = search.therapist_id, search.limit
    with uow.reading():
        zone = uow.clinic.zone()
        uow.patients.get(patient_id)  # 404 for a patient that does not exist
        kind = _kind_and_therapist(uow, search)
        found: list[Proposal] = []
        infusions = uow.infusions.latest_of_patient(patient_id, span.end, INFUSIONS_LOOKED_AT)
        for infusion in infusions:
            window = uow.calendar.facts(infusion).window(kind.window)
            if window is None or window.end <= span.start or span.end <= window.start:
                continue
            near = Interval(max(window.start, span.start), min(window.end, span.end))
            board = uow.calendar.board_near(infusion, near, zone, now)
            slots = find_slots(board, kind, limit=limit, therapist_id=therapist_id, within=span)
            found += [
                Proposal(patient_id, infusion.id, kind.key, slot_view(p, zone)) for p in slots
            ]
        found.sort(key=lambda p: slot_rank(p.slot))
        return found[:limit]


def _kind_and_therapist(uow: UnitOfWork, search: TimeSearch) -> SessionKind:
    """The session type searched for; a therapist named must exist (else 404)."""
    if search.therapist_id is not None:
        uow.therapists.get(search.therapist_id)
    return uow.session_types.kind(search.session_type)


@dataclass(frozen=True)
class ProposedBooking:
    """An appointment a FHIR client asks to book: the patient, the session type and the
    start; the therapist, the room and the infusion when it names them."""

    patient_id: int
    session_type: str
    start: datetime
    therapist_id: int | None = None
    room_id: int | None = None
    infusion_id: int | None = None
    end: datetime | None = None  # when given, it must be where the session type ends


def book_proposal(uow: UnitOfWork, wanted: ProposedBooking, clock: Clock) -> SessionView:
    """Book ``wanted`` by exactly the booking rules (``booking.book_in``), after the infusion
    it names or, when it names none, the patient's newest infusion begun by its start."""
    with uow:
        infusion_id = wanted.infusion_id
        if infusion_id is None:
            infusion_id = _infusion_followed(uow, wanted.patient_id, wanted.start)
        elif uow.infusions.get(infusion_id).patient_id != wanted.patient_id:
            raise ValidationFailed(
                f"infusion {infusion_id} is not patient {wanted.patient_id}'s infusion"
            )
        command = BookSession(
            infusion_id=infusion_id,
            session_type=wanted.session_type,
            start=wanted.start,
            therapist_id=wanted.therapist_id,
            room_id=wanted.room_id,
        )
        booked = book_in(uow, command, clock)
        if wanted.end is not None and wanted.end != booked.end:
            minutes = int((booked.end - booked.start).total_seconds() // 60)
            raise ValidationFailed(
                f"end: a {wanted.session_type} session lasts {minutes} minutes, so it ends "
                f"at {booked.end.isoformat()}"
            )
        uow.commit()
        return booked


def _infusion_followed(uow: UnitOfWork, patient_id: int, start: datetime) -> int:
    uow.patients.get(patient_id)  # 404 for a patient that does not exist
    latest = uow.infusions.latest_of_patient(patient_id, start, 1)
    if not latest:
        raise ValidationFailed(
            f"patient {patient_id} has no infusion before {start.isoformat()}: record the "
            "infusion first, or name it in the appointment's infusion-window extension"
        )
    return latest[0].id
