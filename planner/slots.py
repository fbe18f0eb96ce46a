"""Slot search (docs/rules.md#slots): every bookable start on the 5-minute grid, best first.

Candidates come from interval arithmetic (working time minus buffered sessions, the patient's
busy time, free rooms), so a 27-day window costs milliseconds; the best ones are then
confirmed by ``Board.check``, the same function booking uses, so a slot shown is bookable.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.board import Board, Placement, SessionKind
from planner.errors import Code, PlannerError
from planner.intervals import Interval, merge, subtract

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


def find_slots(
    board: Board, kind: SessionKind, *, limit: int = 10, therapist_id: int | None = None
) -> list[Placement]:
    """The ``limit`` best bookable slots for ``kind`` in its window, best first."""
    infusion = board.infusion
    if infusion.cancelled:
        raise PlannerError(Code.infusion_cancelled, f"infusion {infusion.id} is cancelled")
    window = infusion.window(kind.window)
    if window is None:
        return []
    lo = max(window.start, board.now)
    hi = window.end - kind.duration
    if hi < lo:
        return []
    patient_busy = merge(
        o.span for o in board.occupations if o.active and o.patient_id == infusion.patient_id
    )
    room_free = _room_free(board, kind, Interval(lo, window.end))
    ranked: list[tuple[float, datetime, int, int]] = []
    for therapist in board.therapists.values():
        if therapist_id is not None and therapist.id != therapist_id:
            continue
        if kind.discipline not in therapist.disciplines:
            continue
        busy = [
            o.span.widened(therapist.buffer)
            for o in board.occupations
            if o.active and o.kind == "session" and o.therapist_id == therapist.id
        ]
        free = subtract(therapist.working(), busy)
        for piece in free:
            first = max(piece.start, lo)
            last = min(piece.end - kind.duration, hi)
            for start in grid_starts(first, last, board.zone) if first <= last else ():
                end = start + kind.duration
                if _overlaps_any(patient_busy, start, end):
                    continue
                if room_free is not None and not any(
                    _inside_any(pieces, start, end) for pieces in room_free
                ):
                    continue
                load = board.day_load(therapist.id, start)
                if therapist.max_per_day is not None and load >= therapist.max_per_day:
                    continue
                ranked.append((window.score_minutes(start, end), start, load, therapist.id))
    ranked.sort()
    slots: list[Placement] = []
    for _score, start, _load, tid in ranked:
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
            (o.span for o in board.occupations if o.active and o.room_id == room_id),
        )
        for room_id, room_kind in sorted(board.rooms.items())
        if room_kind == kind.room_kind
    ]


def _overlaps_any(spans: list[Interval], start: datetime, end: datetime) -> bool:
    return any(span.start < end and start < span.end for span in spans)


def _inside_any(pieces: list[Interval], start: datetime, end: datetime) -> bool:
    return any(p.start <= start and end <= p.end for p in pieces)
