"""A clinic day to plan, typed: integer ids, aware datetimes, durations as timedeltas.

This is what :func:`planner.optimize.optimize` takes. The service builds it from the
clinic's board; ``planner.optimize.instance`` reads it from the benchmark's JSON. The
protocol is :class:`planner.protocol.Protocol` and a session type is
:class:`planner.board.SessionKind`: the booking rules place windows and read session types
the same way.

A :class:`Day` checks itself when built (:class:`DayError`, the message says where, as a path
such as ``therapists[2].working[0]``): every instant aware and on a whole minute, durations
whole minutes, counts not negative, each session type's window in the protocol, each care
plan key a session type. Ids are the caller's: the same infusion id twice stands for one
infusion (its items are requested once); patients are matched by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from zoneinfo import ZoneInfo

from planner.board import SessionKind
from planner.intervals import Interval
from planner.protocol import Protocol

__all__ = [
    "Day",
    "DayError",
    "DayInfusion",
    "DayPatient",
    "DayRoom",
    "DayTherapist",
]

MINUTE = timedelta(minutes=1)


class DayError(ValueError):
    """The day breaks one of its own rules; the message says where."""


@dataclass(frozen=True)
class DayTherapist:
    """A therapist as the day to plan sees them."""

    id: int
    disciplines: frozenset[str]
    working: tuple[Interval, ...]  # working time of the day (shifts minus time off)
    buffer: timedelta = timedelta(0)  # between two of their sessions, booked ones included
    daily_limit: int | None = None  # sessions per day, None for no limit
    booked: tuple[Interval, ...] = ()  # their sessions already booked
    sessions_already: int = 0  # booked sessions that day, counted towards ``daily_limit``


@dataclass(frozen=True)
class DayRoom:
    id: int
    kind: str
    booked: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class DayPatient:
    """Time a patient is busy already (sessions, infusions not planned here)."""

    id: int
    booked: tuple[Interval, ...]


@dataclass(frozen=True)
class DayInfusion:
    """An infusion whose care plan items are to be placed; it blocks its patient too."""

    id: int
    patient_id: int
    start: datetime
    duration: timedelta
    care_plan: tuple[str, ...]  # session type keys


@dataclass(frozen=True)
class Day:
    """The day ``date`` in ``zone``: what to place, who and where, and what is booked."""

    date: date
    zone: ZoneInfo
    protocol: Protocol
    session_types: tuple[SessionKind, ...]
    therapists: tuple[DayTherapist, ...]
    rooms: tuple[DayRoom, ...]
    infusions: tuple[DayInfusion, ...]
    patients: tuple[DayPatient, ...] = ()
    grid_minutes: int = 5  # sessions start on these marks of the local wall clock
    not_before: datetime | None = None  # no session starts earlier (now, for a live day)

    def __post_init__(self) -> None:
        windows = {w.key for w in self.protocol.windows}
        problem = next(
            chain(
                _count("grid_minutes", self.grid_minutes, minimum=1),
                _instants("not_before", () if self.not_before is None else (self.not_before,)),
                _protocol(self.protocol),
                _session_types(self.session_types, windows),
                _therapists(self.therapists),
                _booked("rooms", (room.booked for room in self.rooms)),
                _booked("patients", (patient.booked for patient in self.patients)),
                _infusions(self.infusions, {kind.key for kind in self.session_types}),
            ),
            None,
        )
        if problem is not None:
            raise DayError(problem)


def _count(where: str, value: int | None, *, minimum: int = 0) -> Iterator[str]:
    if value is not None and value < minimum:
        yield f"{where}: must be at least {minimum}, got {value}"


def _whole_minutes(where: str, value: timedelta, *, minimum: timedelta | None) -> Iterator[str]:
    if value % MINUTE:
        yield f"{where}: {value} is not a whole number of minutes"
    elif minimum is not None and value < minimum:
        yield f"{where}: must be at least {minimum}, got {value}"


def _instants(where: str, instants: Iterable[datetime]) -> Iterator[str]:
    for instant in instants:
        if instant.tzinfo is None:
            yield f"{where}: {instant.isoformat()} has no time zone"
        elif instant.timestamp() % 60:
            yield f"{where}: {instant.isoformat()} is not a whole minute"


def _intervals(where: str, intervals: tuple[Interval, ...]) -> Iterator[str]:
    for n, span in enumerate(intervals):
        yield from _instants(f"{where}[{n}]", (span.start, span.end))


def _booked(where: str, booked: Iterable[tuple[Interval, ...]]) -> Iterator[str]:
    for n, intervals in enumerate(booked):
        yield from _intervals(f"{where}[{n}].booked", intervals)


def _protocol(protocol: Protocol) -> Iterator[str]:
    for n, window in enumerate(protocol.windows):
        offsets = (window.start_offset, window.end_offset, window.target_offset)
        for offset in (o for o in offsets if o is not None):
            yield from _whole_minutes(f"protocol.windows[{n}]", offset, minimum=None)


def _session_types(kinds: tuple[SessionKind, ...], windows: set[str]) -> Iterator[str]:
    for n, kind in enumerate(kinds):
        yield from _whole_minutes(f"session_types[{n}].duration", kind.duration, minimum=MINUTE)
        if kind.window not in windows:
            yield f"session_types[{n}]: unknown window {kind.window!r}"


def _therapists(therapists: tuple[DayTherapist, ...]) -> Iterator[str]:
    for n, therapist in enumerate(therapists):
        where = f"therapists[{n}]"
        yield from _intervals(f"{where}.working", therapist.working)
        yield from _intervals(f"{where}.booked", therapist.booked)
        yield from _whole_minutes(f"{where}.buffer", therapist.buffer, minimum=timedelta(0))
        yield from _count(f"{where}.daily_limit", therapist.daily_limit)
        yield from _count(f"{where}.sessions_already", therapist.sessions_already)


def _infusions(infusions: tuple[DayInfusion, ...], kinds: set[str]) -> Iterator[str]:
    for n, infusion in enumerate(infusions):
        where = f"infusions[{n}]"
        yield from _instants(f"{where}.start", (infusion.start,))
        yield from _whole_minutes(f"{where}.duration", infusion.duration, minimum=timedelta(0))
        for key in infusion.care_plan:
            if key not in kinds:
                yield f"{where}: unknown session type {key!r} in care_plan"
