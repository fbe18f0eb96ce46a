"""The booking board: a snapshot of the calendar a booking looks at, and the booking rules.

``models.calendar`` fills a ``Board`` from the database (a fixed number of range-bounded
queries); everything here is pure. ``Board.check`` answers whether one session can go at
one time, naming the first rule it breaks in the order docs/rules.md ("Booking") gives, in
words staff read: people, session types and windows by name, times on the clinic's clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.errors import Code, Conflict, PlannerError
from planner.facts import (
    RECOVERY,
    InfusionFacts,
    Occupation,
    Placement,
    SessionKind,
    TherapistState,
)
from planner.intervals import Interval, covers
from planner.localtime import local_date
from planner.protocol import Window
from planner.refusals import nobody_free, outside, patient_busy, why_not
from planner.wording import minutes, possessive, span, span_on_day, words

__all__ = [
    "Board",
    "InfusionFacts",
    "Occupation",
    "Placement",
    "SessionKind",
    "TherapistState",
]


@dataclass
class Board:
    zone: ZoneInfo
    now: datetime
    infusion: InfusionFacts
    therapists: dict[int, TherapistState]
    rooms: dict[int, str]
    occupations: list[Occupation] = field(default_factory=list)
    room_names: dict[int, str] = field(default_factory=dict)
    # Sessions per (therapist, local day), when counted apart from ``occupations`` (a board
    # that holds only the sessions near a window); None: counted from ``occupations``.
    day_loads: Counter[tuple[int, date]] | None = None
    # The clinic's cap on a patient's longest wait between on-site items of a day, which the
    # care-plan planner keeps (planner/compact.py); None: no cap.
    max_wait: timedelta | None = None

    def __post_init__(self) -> None:
        self._loads: Counter[tuple[int, date]] = Counter(self.day_loads or {})
        self._count_loads = self.day_loads is None
        # the occupations by therapist (sessions), by patient and by room, in board order:
        # a full day is hundreds of occupations and every check asks for one resource's
        self._dates: dict[datetime, date] = {}
        self._of_therapist: defaultdict[int, list[Occupation]] = defaultdict(list)
        self._of_patient: defaultdict[int, list[Occupation]] = defaultdict(list)
        self._in_room: defaultdict[int, list[Occupation]] = defaultdict(list)
        for occupation in self.occupations:
            self._index(occupation, 1, count=self._count_loads)

    def _index(self, o: Occupation, change: int, *, count: bool = True) -> None:
        """Count ``o`` in (``change`` 1) or out of (-1) the indexes (and the loads)."""
        places = []
        if o.patient_id is not None:
            places.append(self._of_patient[o.patient_id])
        if o.room_id is not None:
            places.append(self._in_room[o.room_id])
        if o.kind == "session" and o.therapist_id is not None:
            places.append(self._of_therapist[o.therapist_id])
            if count:
                self._loads[(o.therapist_id, self._local_date(o.start))] += change
        for place in places:
            if change > 0:
                place.append(o)
            else:
                place.remove(o)

    def _local_date(self, instant: datetime) -> date:
        """The clinic's date of ``instant``; a day's sessions share a few dozen starts."""
        found = self._dates.get(instant)
        if found is None:
            found = self._dates[instant] = local_date(instant, self.zone)
        return found

    def sessions_of(self, therapist_id: int) -> Sequence[Occupation]:
        """The therapist's sessions on the board (active or not), in board order."""
        return self._of_therapist.get(therapist_id, ())

    def occupying_patient(self, patient_id: int) -> Sequence[Occupation]:
        """The patient's sessions and infusions on the board, in board order."""
        return self._of_patient.get(patient_id, ())

    def occupying_room(self, room_id: int) -> Sequence[Occupation]:
        """The room's sessions on the board, in board order."""
        return self._in_room.get(room_id, ())

    # -- the rules, in their order (docs/rules.md#the-rules-in-their-order) ------------------
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
        start = start.astimezone(UTC)  # elapsed arithmetic, whatever clock ``start`` shows
        end = start + kind.duration
        window, outside = self._common_rules(kind, start, end, override)
        if therapist_id is not None:
            therapist = self.therapists.get(therapist_id)
            if therapist is None:
                raise PlannerError(
                    Code.unknown_reference, f"therapist {therapist_id} does not exist"
                )
            self._therapist_rules(therapist, kind, start, end, ignore)
            self._patient_rule(start, end, ignore)
            self._recovery_rule(start, end)
            room = self._room_rule(kind, start, end, room_id, ignore)
            self._daily_limit(therapist, start, ignore)
            return self._placement(window, outside, start, end, therapist.id, room)
        self._patient_rule(start, end, ignore)
        self._recovery_rule(start, end)
        room = self._room_rule(kind, start, end, room_id, ignore)
        refusals: list[str] = []
        fits: list[Placement] = []
        for therapist in self.therapists.values():
            try:
                self._therapist_rules(therapist, kind, start, end, ignore)
                self._daily_limit(therapist, start, ignore)
            except PlannerError as refusal:
                if refusal.code != Code.discipline_mismatch:
                    refusals.append(why_not(therapist.title, refusal.code))
                continue
            fits.append(self._placement(window, outside, start, end, therapist.id, room))
        if not fits:
            raise PlannerError(
                Code.no_therapist_free, nobody_free(kind, start, end, refusals, self.zone)
            )
        return min(fits, key=lambda p: (p.day_load, p.therapist_id))

    def _common_rules(
        self, kind: SessionKind, start: datetime, end: datetime, override: bool
    ) -> tuple[Window | None, bool]:
        infusion = self.infusion
        if infusion.cancelled:
            when = span_on_day(infusion.start, infusion.end, self.zone)
            raise PlannerError(
                Code.infusion_cancelled,
                f"{possessive(infusion.patient)} infusion {when} is cancelled",
            )
        if start < self.now:
            raise PlannerError(
                Code.in_the_past,
                f"{span_on_day(start, end, self.zone)} has already begun; pick a later time",
            )
        window = infusion.window(kind.window)
        fits = window is not None and window.fits(start, end)
        if not fits and not override:
            raise PlannerError(Code.outside_window, outside(kind, window, start, end, self.zone))
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
                Code.discipline_mismatch,
                f"{therapist.title} does not practise {words(kind.discipline)}",
            )
        wanted = Interval(start, end)
        if not covers(therapist.working(), wanted):
            blocking = [
                self._conflict("time_off", ident, off.start, off.end)
                for ident, off in therapist.time_off
                if off.overlaps(wanted)
            ]
            raise PlannerError(
                Code.therapist_unavailable,
                f"{therapist.title} does not work {span(start, end, self.zone)}"
                + (" (time off)" if blocking else ""),
                blocking,
            )
        self._therapist_free(therapist, start, end, ignore)

    def _therapist_free(
        self, therapist: TherapistState, start: datetime, end: datetime, ignore: int | None
    ) -> None:
        """No other active session of the therapist within the buffer."""
        padded = Interval(start, end).widened(therapist.buffer)
        busy = [
            o
            for o in self.sessions_of(therapist.id)
            if o.active and o.id != ignore and o.span.overlaps(padded)
        ]
        if busy:
            first = busy[0]
            detail = (
                f"{therapist.title} has {first.what or 'another session'} "
                f"{span(first.start, first.end, self.zone)}"
            )
            if therapist.buffer:
                detail += f", and needs {minutes(therapist.buffer)} between sessions"
            raise PlannerError(
                Code.therapist_busy,
                detail,
                [self._conflict("session", o.id, o.start, o.end) for o in busy],
            )

    def check_still_free(
        self,
        kind: SessionKind,
        start: datetime,
        therapist_id: int,
        room_id: int | None,
        ignore: int,
    ) -> None:
        """A session that becomes active again (an undone no-show) must still have its
        therapist, its patient and its room to itself; the time rules (past, window,
        working hours) held when it was booked and are not asked again."""
        end = start + kind.duration
        therapist = self.therapists.get(therapist_id)
        if therapist is not None:
            self._therapist_free(therapist, start, end, ignore)
        self._patient_rule(start, end, ignore)
        self._recovery_rule(start, end)
        if room_id is not None:
            self._room_rule(kind, start, end, room_id, ignore)

    def _recovery_rule(self, start: datetime, end: datetime) -> None:
        """Nothing is booked for a patient under observation after an infusion, override or
        not (docs/rules.md, rule 8)."""
        wanted = Interval(start, end)
        resting = [
            o
            for o in self.occupying_patient(self.infusion.patient_id)
            if o.kind == RECOVERY and o.span.overlaps(wanted)
        ]
        if resting:
            first = resting[0]
            raise PlannerError(
                Code.in_recovery,
                f"{self.infusion.patient} is under observation after an infusion "
                f"{span(first.start, first.end, self.zone)}; nothing can be booked for them "
                "then",
                [self._conflict(RECOVERY, o.id, o.start, o.end) for o in resting],
            )

    def _patient_rule(self, start: datetime, end: datetime, ignore: int | None) -> None:
        wanted = Interval(start, end)
        patient = self.infusion.patient_id
        busy = [
            o
            for o in self.occupying_patient(patient)
            if o.active
            and o.kind != RECOVERY
            and not (o.kind == "session" and o.id == ignore)
            and o.span.overlaps(wanted)
        ]
        if busy:
            raise PlannerError(
                Code.patient_busy,
                patient_busy(busy[0], self.infusion, self.zone),
                [self._conflict(o.kind, o.id, o.start, o.end) for o in busy],
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
                raise PlannerError(Code.unknown_reference, f"room {room_id} does not exist")
            if kind.room_kind is not None and self.rooms[room_id] != kind.room_kind:
                name = self.room_names.get(room_id, f"room {room_id}")
                raise PlannerError(
                    Code.room_unavailable,
                    f"{name} is not a {words(kind.room_kind)}; {kind.title} needs one",
                )
            candidates = [room_id]
        else:
            candidates = sorted(r for r, k in self.rooms.items() if k == kind.room_kind)
        wanted = Interval(start, end)
        in_the_way: list[Occupation] = []
        for candidate in candidates:
            taken = [
                o
                for o in self.occupying_room(candidate)
                if o.active and o.id != ignore and o.span.overlaps(wanted)
            ]
            if not taken:
                return candidate
            in_the_way.extend(taken)
        needed = words(kind.room_kind) if kind.room_kind else "requested room"
        if room_id is not None:
            needed = self.room_names.get(room_id, f"room {room_id}")
        detail = (
            f"no {needed} is free {span(start, end, self.zone)}"
            if candidates
            else f"the clinic has no {needed}"
        )
        raise PlannerError(
            Code.room_unavailable,
            detail if room_id is None else f"{needed} is taken {span(start, end, self.zone)}",
            [self._conflict("session", o.id, o.start, o.end) for o in in_the_way],
        )

    def _conflict(self, kind: str, ident: int, start: datetime, end: datetime) -> Conflict:
        """What is in the way, on the clinic's clock."""
        return Conflict(kind, ident, start.astimezone(self.zone), end.astimezone(self.zone))

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
            day = start.astimezone(self.zone)
            raise PlannerError(
                Code.daily_limit,
                f"{therapist.title} already has {therapist.max_per_day} sessions on "
                f"{day:%a %d %b} (the daily limit)",
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
        self._index(occupation, 1)

    def remove(self, occupation: Occupation) -> None:
        """Undo ``add`` (planning tries and retracts tentative bookings)."""
        self.occupations.remove(occupation)
        self._index(occupation, -1)

    def tentative(
        self, placement: Placement, ident: int, kind: SessionKind | None = None
    ) -> Occupation:
        """The occupation a placement would create for this board's infusion's patient."""
        return Occupation(
            kind="session",
            id=ident,
            start=placement.start,
            end=placement.end,
            therapist_id=placement.therapist_id,
            patient_id=self.infusion.patient_id,
            room_id=placement.room_id,
            what=f"{possessive(self.infusion.patient)} {kind.title}" if kind else "",
            infusion_id=self.infusion.id,
            session_type=kind.key if kind else None,
            telehealth=kind is not None and kind.modality == "telehealth",
        )

    def forget_sessions(self, ids: set[int]) -> None:
        """Take sessions off the board (they are about to be placed again)."""
        for occupation in [o for o in self.occupations if o.kind == "session" and o.id in ids]:
            self.remove(occupation)
