"""The booking board: a snapshot of the calendar a booking looks at, and SPEC §4's rules.

The service layer fills a ``Board`` from the database (a fixed number of range-bounded
queries); everything here is pure. ``Board.check`` answers whether one session can go at
one time, naming the first rule it breaks in the order SPEC §4 gives.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.errors import Conflict, PlannerError
from planner.intervals import Interval, covers, subtract
from planner.localtime import local_date
from planner.protocol import Window


@dataclass(frozen=True)
class SessionKind:
    """A session type: how long, which discipline, which window, which room kind."""

    key: str
    duration: timedelta
    discipline: str
    window: str
    room_kind: str | None = None


@dataclass(frozen=True)
class TherapistState:
    id: int
    disciplines: frozenset[str]
    buffer: timedelta
    max_per_day: int | None
    shifts: tuple[Interval, ...]
    time_off: tuple[tuple[int, Interval], ...] = ()

    def working(self) -> list[Interval]:
        """Shifts minus time off."""
        return subtract(self.shifts, (span for _, span in self.time_off))


@dataclass(frozen=True)
class Occupation:
    """Something that takes time: a non-cancelled session, or one of the patient's infusions."""

    kind: str
    id: int
    start: datetime
    end: datetime
    therapist_id: int | None = None
    patient_id: int | None = None
    room_id: int | None = None
    active: bool = True

    @property
    def span(self) -> Interval:
        return Interval(self.start, self.end)


@dataclass(frozen=True)
class InfusionFacts:
    id: int
    patient_id: int
    cancelled: bool
    start: datetime
    end: datetime
    windows: tuple[Window, ...]

    def window(self, key: str) -> Window | None:
        return next((w for w in self.windows if w.key == key), None)


@dataclass(frozen=True)
class Placement:
    """A bookable place for a session: when, with whom, where, and how good."""

    start: datetime
    end: datetime
    therapist_id: int
    room_id: int | None
    window: str
    outside_window: bool
    score: float
    day_load: int = 0


@dataclass
class Board:
    zone: ZoneInfo
    now: datetime
    infusion: InfusionFacts
    therapists: dict[int, TherapistState]
    rooms: dict[int, str]
    occupations: list[Occupation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._loads: Counter[tuple[int, date]] = Counter(
            (o.therapist_id, local_date(o.start, self.zone))
            for o in self.occupations
            if o.kind == "session" and o.therapist_id is not None
        )

    # -- the rules, in SPEC §4's order -------------------------------------------------------
    def check(
        self,
        kind: SessionKind,
        start: datetime,
        *,
        therapist_id: int | None = None,
        room_id: int | None = None,
        override: bool = False,
        ignore: int | None = None,
    ) -> Placement:
        """Where ``kind`` can go at ``start``, or the first broken rule as a PlannerError."""
        end = start + kind.duration
        window, outside = self._common_rules(kind, start, end, override)
        if therapist_id is not None:
            therapist = self.therapists.get(therapist_id)
            if therapist is None:
                raise PlannerError("unknown_reference", f"therapist {therapist_id} does not exist")
            self._therapist_rules(therapist, kind, start, end, ignore)
            self._patient_rule(start, end, ignore)
            room = self._room_rule(kind, start, end, room_id, ignore)
            self._daily_limit(therapist, start, ignore)
            return self._placement(window, outside, start, end, therapist.id, room)
        self._patient_rule(start, end, ignore)
        room = self._room_rule(kind, start, end, room_id, ignore)
        refusals: list[str] = []
        fits: list[Placement] = []
        for therapist in self.therapists.values():
            try:
                self._therapist_rules(therapist, kind, start, end, ignore)
                self._daily_limit(therapist, start, ignore)
            except PlannerError as refusal:
                refusals.append(f"therapist {therapist.id}: {refusal.code}")
                continue
            fits.append(self._placement(window, outside, start, end, therapist.id, room))
        if not fits:
            raise PlannerError(
                "no_therapist_free",
                "no therapist can take this session then"
                + (f" ({'; '.join(refusals)})" if refusals else " (no therapists)"),
            )
        return min(fits, key=lambda p: (p.day_load, p.therapist_id))

    def _common_rules(
        self, kind: SessionKind, start: datetime, end: datetime, override: bool
    ) -> tuple[Window | None, bool]:
        infusion = self.infusion
        if infusion.cancelled:
            raise PlannerError("infusion_cancelled", f"infusion {infusion.id} is cancelled")
        if start < self.now:
            raise PlannerError("in_the_past", "the session would start in the past")
        window = infusion.window(kind.window)
        fits = window is not None and window.fits(start, end)
        if not fits and not override:
            where = (
                f"{window.start.astimezone(self.zone):%Y-%m-%d %H:%M}–"
                f"{window.end.astimezone(self.zone):%Y-%m-%d %H:%M}"
                if window
                else "a window this infusion's protocol does not have"
            )
            raise PlannerError(
                "outside_window",
                f"a {kind.key} session must lie wholly inside the {kind.window} window ({where})",
            )
        return window, not fits

    def _therapist_rules(
        self,
        therapist: TherapistState,
        kind: SessionKind,
        start: datetime,
        end: datetime,
        ignore: int | None,
    ) -> None:
        if kind.discipline not in therapist.disciplines:
            raise PlannerError(
                "discipline_mismatch",
                f"therapist {therapist.id} does not practise {kind.discipline}",
            )
        wanted = Interval(start, end)
        if not covers(therapist.working(), wanted):
            blocking = [
                Conflict("time_off", ident, span.start, span.end)
                for ident, span in therapist.time_off
                if span.overlaps(wanted)
            ]
            raise PlannerError(
                "therapist_unavailable",
                f"therapist {therapist.id} does not work then"
                + (" (time off)" if blocking else ""),
                blocking,
            )
        padded = wanted.widened(therapist.buffer)
        busy = [
            o
            for o in self.occupations
            if o.active
            and o.kind == "session"
            and o.therapist_id == therapist.id
            and o.id != ignore
            and o.span.overlaps(padded)
        ]
        if busy:
            raise PlannerError(
                "therapist_busy",
                f"therapist {therapist.id} has another session then"
                + (f" (buffer {int(therapist.buffer.total_seconds() // 60)} min)"),
                [Conflict("session", o.id, o.start, o.end) for o in busy],
            )

    def _patient_rule(self, start: datetime, end: datetime, ignore: int | None) -> None:
        wanted = Interval(start, end)
        patient = self.infusion.patient_id
        busy = [
            o
            for o in self.occupations
            if o.active
            and o.patient_id == patient
            and not (o.kind == "session" and o.id == ignore)
            and o.span.overlaps(wanted)
        ]
        if busy:
            raise PlannerError(
                "patient_busy",
                f"patient {patient} has another session or an infusion then",
                [Conflict(o.kind, o.id, o.start, o.end) for o in busy],
            )

    def _room_rule(
        self,
        kind: SessionKind,
        start: datetime,
        end: datetime,
        room_id: int | None,
        ignore: int | None,
    ) -> int | None:
        if room_id is None and kind.room_kind is None:
            return None
        if room_id is not None:
            if room_id not in self.rooms:
                raise PlannerError("unknown_reference", f"room {room_id} does not exist")
            if kind.room_kind is not None and self.rooms[room_id] != kind.room_kind:
                raise PlannerError("room_unavailable", f"room {room_id} is not a {kind.room_kind}")
            candidates = [room_id]
        else:
            candidates = sorted(r for r, k in self.rooms.items() if k == kind.room_kind)
        wanted = Interval(start, end)
        in_the_way: list[Occupation] = []
        for candidate in candidates:
            taken = [
                o
                for o in self.occupations
                if o.active
                and o.room_id == candidate
                and o.id != ignore
                and o.span.overlaps(wanted)
            ]
            if not taken:
                return candidate
            in_the_way.extend(taken)
        raise PlannerError(
            "room_unavailable",
            f"no {kind.room_kind or 'requested'} room is free then"
            + ("" if candidates else f" (the clinic has no {kind.room_kind})"),
            [Conflict("session", o.id, o.start, o.end) for o in in_the_way],
        )

    def day_load(self, therapist_id: int, start: datetime, ignore: int | None = None) -> int:
        day = local_date(start, self.zone)
        load = self._loads[(therapist_id, day)]
        if ignore is not None:
            load -= sum(
                1
                for o in self.occupations
                if o.kind == "session"
                and o.id == ignore
                and o.therapist_id == therapist_id
                and local_date(o.start, self.zone) == day
            )
        return load

    def _daily_limit(self, therapist: TherapistState, start: datetime, ignore: int | None) -> None:
        if therapist.max_per_day is None:
            return
        if self.day_load(therapist.id, start, ignore) >= therapist.max_per_day:
            raise PlannerError(
                "daily_limit",
                f"therapist {therapist.id} already has {therapist.max_per_day} sessions that day",
            )

    def _placement(
        self,
        window: Window | None,
        outside: bool,
        start: datetime,
        end: datetime,
        therapist_id: int,
        room_id: int | None,
    ) -> Placement:
        return Placement(
            start=start,
            end=end,
            therapist_id=therapist_id,
            room_id=room_id,
            window=window.key if window else "",
            outside_window=outside,
            score=window.score_minutes(start, end) if window else 0.0,
            day_load=self.day_load(therapist_id, start),
        )

    def add(self, occupation: Occupation) -> None:
        """Record a booking made while planning, so later checks see it."""
        self.occupations.append(occupation)
        if occupation.kind == "session" and occupation.therapist_id is not None:
            self._loads[(occupation.therapist_id, local_date(occupation.start, self.zone))] += 1

    def remove(self, occupation: Occupation) -> None:
        """Undo ``add`` (planning tries and retracts tentative bookings)."""
        self.occupations.remove(occupation)
        if occupation.kind == "session" and occupation.therapist_id is not None:
            self._loads[(occupation.therapist_id, local_date(occupation.start, self.zone))] -= 1

    def tentative(self, placement: Placement, ident: int) -> Occupation:
        """The occupation a placement would create for this board's infusion's patient."""
        return Occupation(
            kind="session",
            id=ident,
            start=placement.start,
            end=placement.end,
            therapist_id=placement.therapist_id,
            patient_id=self.infusion.patient_id,
            room_id=placement.room_id,
        )

    def forget_sessions(self, ids: set[int]) -> None:
        """Take sessions off the board (they are about to be placed again)."""
        for occupation in [o for o in self.occupations if o.kind == "session" and o.id in ids]:
            self.remove(occupation)
