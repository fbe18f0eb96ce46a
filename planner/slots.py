"""Slot search (docs/rules.md#slots): every bookable start on the 5-minute grid, best first.

Candidates come from interval arithmetic (working time minus buffered sessions, the patient's
busy time, free rooms), so a 27-day window costs milliseconds; the best ones are then
confirmed by ``Board.check``, the same function booking uses, so a slot shown is bookable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.board import Board, InfusionFacts, Placement, SessionKind, TherapistState
from planner.errors import Code, PlannerError
from planner.intervals import Interval, merge, subtract
from planner.protocol import Window

GRID = timedelta(minutes=5)


def first_grid_start(instant: datetime, zone: ZoneInfo, step: timedelta = GRID) -> datetime:
    """The first instant at or after ``instant`` whose local wall clock is on the grid.

    The grid is counted from local midnight. DST shifts (60 or 30 minutes) are multiples of
    5 minutes, so stepping by ``step`` in elapsed time stays on the local grid all day.
    """
    local = instant.astimezone(zone).replace(tzinfo=None)  # the wall clock
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    since = local - midnight
    steps = -(-since // step)
    # add the wall-clock shortfall as elapsed time: in the hour the clocks repeat, wall-clock
    # arithmetic would land on the first pass of that hour, an hour before ``instant``
    return instant.astimezone(UTC) + (midnight + steps * step - local)


def grid_starts(
    lo: datetime, hi: datetime, zone: ZoneInfo, step: timedelta = GRID
) -> Iterator[datetime]:
    """Grid instants ``s`` with ``lo <= s <= hi``."""
    start = first_grid_start(lo, zone, step)
    while start <= hi:
        yield start
        start += step


# Closed ranges ``(first, last)`` of start instants, sorted and apart: a session may start at
# any instant of them (the grid then picks its starts).
Starts = list[tuple[datetime, datetime]]


@dataclass(frozen=True)
class _Search:
    """What every candidate start of one slot search is checked against."""

    board: Board
    kind: SessionKind
    window: Window
    allowed: Starts  # the starts "now", the window, the patient and a room allow

    def ranked(self, therapist: TherapistState) -> list[tuple[float, datetime, int, int]]:
        """(score, start, day load, therapist) for every start the therapist can take."""
        gap = therapist.buffer
        busy = [
            Interval(o.start - gap, o.end + gap)
            for o in self.board.sessions_of(therapist.id)
            if o.active
        ]
        duration = self.kind.duration
        free = _fitting(subtract(therapist.working(), busy), duration)
        found = []
        for first, last in _intersection(free, self.allowed):
            for start in grid_starts(first, last, self.board.zone):
                load = self.board.day_load(therapist.id, start)
                if therapist.max_per_day is not None and load >= therapist.max_per_day:
                    continue
                score = self.window.score_minutes(start, start + duration)
                found.append((score, start, load, therapist.id))
        return found


def find_slots(
    board: Board,
    kind: SessionKind,
    *,
    limit: int = 10,
    therapist_id: int | None = None,
    per_start: int | None = None,
    within: Interval | None = None,
) -> list[Placement]:
    """The ``limit`` best bookable slots for ``kind`` in its window, best first; with
    ``per_start``, at most that many (therapists, rooms) at any one time; with ``within``,
    only slots lying wholly inside it."""
    infusion = board.infusion
    if infusion.cancelled:
        raise PlannerError(Code.infusion_cancelled, f"infusion {infusion.id} is cancelled")
    window = infusion.window(kind.window)
    if window is None:
        return []
    closing = window.end if within is None else min(window.end, within.end)
    opening = window.start if within is None else max(window.start, within.start)
    lo, hi = max(opening, board.now), closing - kind.duration
    if hi < lo:
        return []
    patient_busy = merge(o.span for o in board.occupying_patient(infusion.patient_id) if o.active)
    allowed = _avoiding([(lo, hi)], patient_busy, kind.duration)
    room_free = _room_free(board, kind, Interval(lo, closing))
    if room_free is not None:
        in_a_room = _union(r for pieces in room_free for r in _fitting(pieces, kind.duration))
        allowed = _intersection(allowed, in_a_room)
    search = _Search(board, kind, window, allowed)
    ranked = [
        candidate
        for therapist in board.therapists.values()
        if (therapist_id is None or therapist.id == therapist_id)
        and kind.discipline in therapist.disciplines
        for candidate in search.ranked(therapist)
    ]
    return _confirmed(board, kind, sorted(ranked), limit, per_start)


def slot_rank(slot: Placement) -> tuple[float, datetime, int, int]:
    """The slot ranking (docs/rules.md#slots), lower first: nearer the target, then earlier,
    then the therapist with fewer sessions that day, then the lower therapist id."""
    return (slot.score, slot.start, slot.day_load, slot.therapist_id)


def open_window(window_key: str, span: Interval) -> InfusionFacts:
    """No infusion and no patient: one window open over ``span``, without a target, so that
    ``find_slots`` answers a therapist's free slots there in time order (``Slot`` in FHIR)."""
    window = Window(window_key, "requested", "", span.start, span.end, None)
    return InfusionFacts(0, 0, False, span.start, span.start, (window,), "no patient")


def _confirmed(
    board: Board,
    kind: SessionKind,
    ranked: list[tuple[float, datetime, int, int]],
    limit: int,
    per_start: int | None,
) -> list[Placement]:
    """The best candidates, each confirmed by the booking rules themselves."""
    slots: list[Placement] = []
    at: Counter[datetime] = Counter()
    for _score, start, _load, tid in ranked:
        if per_start is not None and at[start] >= per_start:
            continue
        at[start] += 1
        try:
            slots.append(board.check(kind, start, therapist_id=tid))
        except PlannerError:  # pragma: no cover - the generator and the rules disagree
            continue
        if len(slots) >= limit:
            break
    return slots


def _room_free(board: Board, kind: SessionKind, span: Interval) -> list[list[Interval]] | None:
    if kind.room_kind is None:
        return None
    return [
        subtract(
            [span],
            (o.span for o in board.occupying_room(room_id) if o.active),
        )
        for room_id, room_kind in sorted(board.rooms.items())
        if room_kind == kind.room_kind
    ]


def _fitting(pieces: list[Interval], duration: timedelta) -> Starts:
    """The starts of a session of ``duration`` lying inside one of ``pieces`` (sorted, apart)."""
    return [(p.start, p.end - duration) for p in pieces if p.end - p.start >= duration]


def _avoiding(starts: Starts, busy: list[Interval], duration: timedelta) -> Starts:
    """``starts`` without those whose session would overlap ``busy`` (merged): a session
    ``[s, s + duration)`` overlaps ``[b, e)`` exactly when ``b - duration < s < e``."""
    result: Starts = []
    for first, last in starts:
        for span in busy:
            if span.end <= first:
                continue
            if span.start - duration >= last:
                break
            if first <= span.start - duration:
                result.append((first, span.start - duration))
            first = max(first, span.end)
            if first > last:
                break
        if first <= last:
            result.append((first, last))
    return result


def _union(ranges: Iterator[tuple[datetime, datetime]]) -> Starts:
    merged: Starts = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _intersection(a: Starts, b: Starts) -> Starts:
    """The starts in both (each sorted and apart)."""
    result: Starts = []
    i = j = 0
    while i < len(a) and j < len(b):
        first, last = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if first <= last:
            result.append((first, last))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result
