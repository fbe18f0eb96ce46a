"""The day in integers: the optimizer's model, with each item's static candidates.

Every instant of the :class:`~planner.optimize.day.Day` becomes a whole number of minutes since
the Unix epoch (elapsed time, so DST never bends arithmetic). Wall-clock questions (the start
grid) are answered with the day's IANA time zone (:class:`~planner.optimize.grid.LocalGrid`).
Everything that does not depend on the other new sessions (window, grid, ``not_before``,
discipline, working time, already-booked therapist and patient time) is settled here, once:
each item gets its list of static candidates ``(start, therapist)``, best first.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from planner.board import SessionKind
from planner.intervals import Interval
from planner.optimize.day import Day, DayInfusion, DayTherapist
from planner.optimize.grid import LocalGrid
from planner.optimize.work import Work
from planner.protocol import Window

Span = tuple[int, int]

__all__ = ["Item", "Problem", "Room", "Span", "Therapist", "build_problem"]

_MINUTE = timedelta(minutes=1)
# the code of an item none of whose starts gets past a rule, by how many rules some passed:
# none (no qualified therapist works then), working time, the therapist's booked sessions
_STAGE_CODES = ("therapist_unavailable", "therapist_busy", "patient_busy")


@dataclass(frozen=True)
class Therapist:
    id: int
    disciplines: frozenset[str]
    working: tuple[Span, ...]
    buffer: int
    cap: int | None  # sessions still allowed today (limit minus sessions already booked)
    booked: tuple[Span, ...]


@dataclass(frozen=True)
class Room:
    id: int
    kind: str
    booked: tuple[Span, ...]


@dataclass
class Item:
    """One requested (infusion, session type) pair."""

    index: int
    infusion_id: int
    session_type: str
    discipline: str
    patient: int
    duration: int
    window: Span
    target: int | None
    room_kind: str | None
    rooms: tuple[int, ...]
    # (start, therapist index), best first: nearest the target, else earliest.
    cands: list[tuple[int, int]] = field(default_factory=list)
    static_code: str | None = None  # why there is no candidate at all
    # the same candidates grouped: (therapist index, its starts ascending)
    by_ther: list[tuple[int, list[int]]] = field(default_factory=list)
    # rooms of the kind are interchangeable (none has bookings): counted, assigned at the end
    pooled: bool = False

    def dev2(self, start: int) -> int:
        """Twice the |midpoint - target| distance in minutes (0 for windows without target)."""
        if self.target is None:
            return 0
        return abs(2 * start + self.duration - 2 * self.target)


@dataclass
class Problem:
    zone: ZoneInfo
    items: list[Item]
    therapists: list[Therapist]
    rooms: list[Room]
    patients: list[int]  # the day's patient ids, by patient index
    # instants a patient is busy regardless of the plan: infusions and booked time
    patient_fixed: list[list[Span]]
    # the optimizer's clock: the steps taken on this problem and CP-SAT's time (work.py)
    work: Work = field(default_factory=Work)


def build_problem(day: Day) -> Problem:
    """The integer model of ``day``, each item with its static candidates."""
    therapists = [_therapist(t) for t in day.therapists]
    rooms = [Room(r.id, r.kind, _spans(r.booked)) for r in day.rooms]
    patients = _Patients()
    for patient in day.patients:
        patients.block(patient.id, _spans(patient.booked))
    items = _items(day, rooms, patients)
    for spans in patients.fixed:
        spans.sort()
    grid = LocalGrid(day.zone, day.date, day.grid_minutes)
    not_before = None if day.not_before is None else _minute(day.not_before)
    for item in items:
        # after every infusion is known: a patient's later infusions block earlier items too
        busy = patients.fixed[item.patient]
        item.static_code = _candidates(item, therapists, busy, grid, not_before)
    busy_kinds = {r.kind for r in rooms if r.booked}
    for item in items:
        item.pooled = item.room_kind is not None and item.room_kind not in busy_kinds
    return Problem(day.zone, items, therapists, rooms, patients.ids, patients.fixed)


def _minute(instant: datetime) -> int:
    return int(instant.timestamp()) // 60


def _spans(intervals: Iterable[Interval]) -> tuple[Span, ...]:
    return tuple(sorted((_minute(i.start), _minute(i.end)) for i in intervals))


def _therapist(therapist: DayTherapist) -> Therapist:
    limit = therapist.daily_limit
    return Therapist(
        id=therapist.id,
        disciplines=therapist.disciplines,
        working=_spans(therapist.working),
        buffer=therapist.buffer // _MINUTE,
        cap=None if limit is None else max(0, limit - therapist.sessions_already),
        booked=_spans(therapist.booked),
    )


class _Patients:
    """Patient indices in order of appearance, with the time each is busy anyway."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.fixed: list[list[Span]] = []
        self._index: dict[int, int] = {}

    def block(self, patient_id: int, spans: Iterable[Span]) -> int:
        """The patient's index; ``spans`` are added to their busy time."""
        index = self._index.get(patient_id)
        if index is None:
            index = self._index[patient_id] = len(self.ids)
            self.ids.append(patient_id)
            self.fixed.append([])
        self.fixed[index].extend(spans)
        return index


def _items(day: Day, rooms: Sequence[Room], patients: _Patients) -> list[Item]:
    """Each (infusion, session type) of the care plans once, in order; infusions block their
    patients."""
    kinds = {kind.key: kind for kind in day.session_types}
    items: list[Item] = []
    seen: set[tuple[int, str]] = set()
    for infusion in day.infusions:
        start = _minute(infusion.start)
        span = (start, start + infusion.duration // _MINUTE)
        patient = patients.block(infusion.patient_id, [span])
        windows = {w.key: w for w in day.protocol.windows_for(infusion.start, infusion.duration)}
        for key in infusion.care_plan:
            if (infusion.id, key) in seen:
                continue
            seen.add((infusion.id, key))
            kind = kinds[key]
            items.append(_item(len(items), infusion, kind, windows[kind.window], patient, rooms))
    return items


def _item(
    index: int,
    infusion: DayInfusion,
    kind: SessionKind,
    window: Window,
    patient: int,
    rooms: Sequence[Room],
) -> Item:
    return Item(
        index=index,
        infusion_id=infusion.id,
        session_type=kind.key,
        discipline=kind.discipline,
        patient=patient,
        duration=kind.duration // _MINUTE,
        window=(_minute(window.start), _minute(window.end)),
        target=None if window.target is None else _minute(window.target),
        room_kind=kind.room_kind,
        rooms=tuple(
            n
            for n, r in enumerate(rooms)
            if kind.room_kind is not None and r.kind == kind.room_kind
        ),
    )


def _free(start: int, end: int, busy: Sequence[Span], gap: int = 0) -> bool:
    return all(start >= b + gap or end + gap <= a for a, b in busy)


def _candidates(
    item: Item,
    therapists: Sequence[Therapist],
    busy: Sequence[Span],
    grid: LocalGrid,
    not_before: int | None,
) -> str | None:
    """Fill ``item.cands``; answer the §4 code when nothing at all can pass the static rules."""
    code, marks = _window_marks(item, grid, not_before)
    if code is not None:
        return code
    qualified = [k for k, t in enumerate(therapists) if item.discipline in t.disciplines]
    if not qualified:
        return "discipline_mismatch"
    patient_free = {n for n, t in enumerate(marks) if _free(t, t + item.duration, busy)}
    stage, keyed = _therapist_candidates(item, therapists, qualified, marks, patient_free)
    if stage < len(_STAGE_CODES):
        return _STAGE_CODES[stage]
    if item.room_kind is not None and not item.rooms:
        return "room_unavailable"
    if not keyed:
        return "daily_limit"
    keyed.sort()
    item.cands = [(t, k) for _, t, k in keyed]
    grouped: dict[int, list[int]] = {}
    for t, k in item.cands:
        grouped.setdefault(k, []).append(t)
    item.by_ther = sorted((k, sorted(ts)) for k, ts in grouped.items())
    return None


def _window_marks(
    item: Item, grid: LocalGrid, not_before: int | None
) -> tuple[str | None, list[int]]:
    """The grid marks at which a session of ``item`` may start (inside its window, not before
    ``not_before``), or the code why there is none."""
    lo, hi = item.window[0], item.window[1] - item.duration
    if not grid.starts(lo, min(hi, lo + grid.step)):
        return "no_slot", []
    if not_before is not None:
        lo = max(lo, not_before)
        if not grid.starts(lo, min(hi, lo + grid.step)):
            return "in_the_past", []
    return None, grid.starts(lo, hi)


def _therapist_candidates(
    item: Item,
    therapists: Sequence[Therapist],
    qualified: list[int],
    marks: list[int],
    patient_free: set[int],
) -> tuple[int, list[tuple[int, int, int]]]:
    """The candidates ``(twice the deviation, start, therapist)`` of ``item`` among the
    ``qualified`` therapists, and how many static rules the best start passed (3: all)."""
    stage = 0
    keyed: list[tuple[int, int, int]] = []
    for k in qualified:
        therapist = therapists[k]
        for a, b in therapist.working:
            passed, free = _free_marks(therapist, (a, b), item.duration, marks, patient_free)
            stage = max(stage, passed)
            if free and (therapist.cap is None or therapist.cap > 0):
                keyed += [(item.dev2(marks[n]), marks[n], k) for n in free]
    return stage, keyed


def _free_marks(
    therapist: Therapist,
    working: Span,
    duration: int,
    marks: list[int],
    patient_free: set[int],
) -> tuple[int, list[int]]:
    """The indices of ``marks`` at which ``therapist`` can start a session of ``duration``
    inside ``working``, free of their booked time and of the patient's, and how many of those
    three rules some mark passed."""
    n0, n1 = bisect_left(marks, working[0]), bisect_right(marks, working[1] - duration)
    if n0 >= n1:
        return 0, []
    span: Sequence[int] = range(n0, n1)
    if therapist.booked:
        booked, buffer = therapist.booked, therapist.buffer
        span = [n for n in span if _free(marks[n], marks[n] + duration, booked, buffer)]
        if not span:
            return 1, []
    patient_always_free = len(patient_free) == len(marks)
    free = list(span) if patient_always_free else [n for n in span if n in patient_free]
    return (3 if free else 2), free
