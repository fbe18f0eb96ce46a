"""Integer time spans: busy profiles and the starts they leave free."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

Span = tuple[int, int]
Booking = tuple[int, int, int]  # (start, end, item index)
FAR = 1 << 40


def clear(start: int, end: int, busy: Iterable[tuple[int, int]]) -> bool:
    return all(start >= b or end <= a for a, b in busy)


def full_spans(books: Iterable[Booking], cap: int) -> list[Span]:
    """The spans during which at least ``cap`` of ``books`` run at once."""
    events = sorted([(a, 1) for a, _, _ in books] + [(b, -1) for _, b, _ in books])
    out: list[Span] = []
    count = 0
    since = 0
    for x, d in events:  # ends (-1) sort before starts (+1) at the same instant
        if d > 0:
            count += 1
            if count == cap:
                since = x
        else:
            if count == cap and x > since:
                if out and out[-1][1] == since:
                    out[-1] = (out[-1][0], x)
                else:
                    out.append((since, x))
            count -= 1
    return out


def first_full(books: Sequence[Booking], cap: int, since: int) -> int | None:
    """The earliest instant from ``since`` at which at least ``cap`` of ``books`` run.

    ``books`` are sorted by start and each ends after ``since``; that instant is ``since``
    or one of their starts.
    """
    starts = [a for a, _, _ in books]
    ends = sorted(b for _, b, _ in books)
    for x in [since, *starts[bisect_right(starts, since) :]]:
        if bisect_right(starts, x) - bisect_right(ends, x) >= cap:
            return x
    return None


def allowed(forbidden: list[Span]) -> list[Span]:
    """Closed ranges of starts outside every open interval of ``forbidden``."""
    forbidden.sort()
    out: list[Span] = []
    lo = -FAR
    for x, y in forbidden:
        if x >= lo:
            out.append((lo, x))
            lo = y
        elif y > lo:
            lo = y
    out.append((lo, FAR))
    return out


def best_start(starts: Sequence[int], allowed: list[Span], ideal2: int | None) -> int | None:
    best: int | None = None
    best_d = FAR
    n = len(starts)
    for lo, hi in allowed:
        a = bisect_left(starts, lo)
        if a >= n:
            break
        z = bisect_right(starts, hi) - 1
        if a > z:
            continue
        if ideal2 is None:
            return starts[a]
        j = bisect_left(starts, (ideal2 + 1) // 2, a, z + 1)
        for c in (j - 1, j):
            if a <= c <= z:
                d = abs(2 * starts[c] - ideal2)
                if d < best_d or (d == best_d and best is not None and starts[c] < best):
                    best, best_d = starts[c], d
        if starts[z] * 2 >= ideal2 and best is not None:
            break  # later ranges are farther from the target
    return best


def intersect(a: list[Span], b: list[Span]) -> list[Span]:
    """Intersection of two unions of open intervals."""
    a = sorted(a)
    b = sorted(b)
    out: list[Span] = []
    for x0, y0 in a:
        for x1, y1 in b:
            lo, hi = max(x0, x1), min(y0, y1)
            if lo < hi:
                out.append((lo, hi))
    return out
