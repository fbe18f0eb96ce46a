"""Half-open time intervals ``[start, end)`` and the set arithmetic availability needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"interval ends before it starts: {self.start} .. {self.end}")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    def widened(self, by: timedelta) -> Interval:
        return Interval(self.start - by, self.end + by)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-empty, non-touching intervals covering the same time."""
    merged: list[Interval] = []
    for item in sorted(i for i in intervals if i.end > i.start):
        if merged and item.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, item.end))
        else:
            merged.append(item)
    return merged


def subtract(base: Iterable[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    """The parts of ``base`` covered by none of ``cuts``."""
    result: list[Interval] = []
    cut_list = merge(cuts)
    for piece in merge(base):
        start = piece.start
        for cut in cut_list:
            if cut.end <= start or cut.start >= piece.end:
                continue
            if cut.start > start:
                result.append(Interval(start, cut.start))
            start = max(start, cut.end)
        if start < piece.end:
            result.append(Interval(start, piece.end))
    return result


def clip(intervals: Iterable[Interval], bounds: Interval) -> list[Interval]:
    """The parts of ``intervals`` inside ``bounds``."""
    return [
        Interval(max(i.start, bounds.start), min(i.end, bounds.end))
        for i in merge(intervals)
        if i.overlaps(bounds)
    ]


def covers(intervals: Iterable[Interval], wanted: Interval) -> bool:
    """Whether the union of ``intervals`` covers ``wanted`` entirely."""
    return any(piece.contains(wanted) for piece in merge(intervals))
