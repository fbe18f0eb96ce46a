"""A mutable partial plan with fast feasibility queries and an undo log.

Rooms of a kind none of whose rooms has an existing booking are interchangeable: they are
*pooled* (at most ``number of rooms`` sessions of the kind at any instant) and given concrete
rooms at the end by interval colouring (``assign_rooms``), which always succeeds under that
count. Rooms of other kinds are handled one by one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

from planner.optimize.model import Item, Problem, Span
from planner.optimize.spans import (
    FAR,
    Booking,
    allowed,
    best_start,
    clear,
    first_full,
    full_spans,
    intersect,
)

Assignment = tuple[int, int, int]  # (start minute, therapist index, room index | NO_ROOM | POOL)
NO_ROOM = -1
POOL = -2


class State:
    """Which item sits where, plus per-resource bookings of the new sessions."""

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.assign: list[Assignment | None] = [None] * len(problem.items)
        self.ther: list[list[Booking]] = [[] for _ in problem.therapists]
        self.pat: list[list[Booking]] = [[] for _ in problem.patients]
        self.room: list[list[Booking]] = [[] for _ in problem.rooms]
        # pooled kinds: their sessions sorted by start, and the longest such session
        self.kind: dict[str, list[Booking]] = {}
        self.kind_cap: dict[str, int] = {}
        self.kind_longest: dict[str, int] = {}
        for r in problem.rooms:
            self.kind.setdefault(r.kind, [])
            self.kind_cap[r.kind] = self.kind_cap.get(r.kind, 0) + 1
        for item in problem.items:
            if item.pooled and item.room_kind is not None:
                longest = self.kind_longest.get(item.room_kind, 0)
                self.kind_longest[item.room_kind] = max(longest, item.duration)
        self._full: dict[str, list[Span]] = {}
        self.placed = 0
        self.dev2 = 0
        self.log: list[tuple[int, Assignment | None]] = []
        # insert at the earliest feasible start even where the window has a target (packs
        # sessions tightly; the local search then moves them nearer their targets)
        self.pack_early = False

    def key(self) -> tuple[int, int]:
        """Larger is better: placed first, then less deviation."""
        return (self.placed, -self.dev2)

    # --- changes -----------------------------------------------------------------------
    def place(self, i: int, a: Assignment) -> None:
        self.p.work.units += 1
        item = self.p.items[i]
        t, k, r = a
        b = (t, t + item.duration, i)
        self.ther[k].append(b)
        self.pat[item.patient].append(b)
        if r >= 0:
            self.room[r].append(b)
        elif r == POOL:
            assert item.room_kind is not None
            insort(self.kind[item.room_kind], b)
            self._full.pop(item.room_kind, None)
        self.assign[i] = a
        self.placed += 1
        self.dev2 += item.dev2(t)
        self.log.append((i, None))

    def remove(self, i: int) -> None:
        self.p.work.units += 1
        a = self.assign[i]
        assert a is not None
        item = self.p.items[i]
        t, k, r = a
        b = (t, t + item.duration, i)
        self.ther[k].remove(b)
        self.pat[item.patient].remove(b)
        if r >= 0:
            self.room[r].remove(b)
        elif r == POOL:
            assert item.room_kind is not None
            books = self.kind[item.room_kind]
            del books[bisect_left(books, b)]
            self._full.pop(item.room_kind, None)
        self.assign[i] = None
        self.placed -= 1
        self.dev2 -= item.dev2(t)
        self.log.append((i, a))

    def mark(self) -> int:
        return len(self.log)

    def undo(self, mark: int) -> None:
        """Roll back every change made since ``mark``."""
        while len(self.log) > mark:
            i, before = self.log.pop()
            if before is None:
                self.remove(i)
            else:
                self.place(i, before)
            self.log.pop()

    def forget(self) -> None:
        self.log.clear()

    # --- queries -----------------------------------------------------------------------
    def _kind_full(self, kind: str) -> list[Span]:
        spans = self._full.get(kind)
        if spans is None:
            spans = self._full[kind] = full_spans(self.kind[kind], self.kind_cap[kind])
        return spans

    def room_for(self, item: Item, t: int, end: int) -> int | None:
        if item.room_kind is None:
            return NO_ROOM
        if item.pooled:
            ok = all(t >= b or end <= a for a, b in self._kind_full(item.room_kind))
            return POOL if ok else None
        for r in item.rooms:
            if clear(t, end, self.p.rooms[r].booked) and all(
                t >= b or end <= a for a, b, _ in self.room[r]
            ):
                return r
        return None

    def feasible(self, i: int, t: int, k: int) -> int | None:
        """The room to use (or ``NO_ROOM``/``POOL``) if ``i`` fits at ``t`` with ``k``."""
        self.p.work.units += 1
        item = self.p.items[i]
        th = self.p.therapists[k]
        mine = self.ther[k]
        if th.cap is not None and len(mine) >= th.cap:
            return None
        end = t + item.duration
        buf = th.buffer
        for a, b, _ in mine:
            if t < b + buf and a < end + buf:
                return None
        for a, b, _ in self.pat[item.patient]:
            if t < b and a < end:
                return None
        return self.room_for(item, t, end)

    def best_spot(self, i: int) -> Assignment | None:
        """Item ``i``'s best feasible candidate: nearest the target (else earliest)."""
        item = self.p.items[i]
        self.p.work.units += 1 + len(item.by_ther)
        dur = item.duration
        common = [(a - dur, b) for a, b, _ in self.pat[item.patient]]
        if item.room_kind is not None:
            if item.pooled:
                common += [(a - dur, b) for a, b in self._kind_full(item.room_kind)]
            else:
                common += self._rooms_forbidden(item)
        ideal2 = None if item.target is None or self.pack_early else 2 * item.target - dur
        best: tuple[int, int, int] | None = None
        for k, starts in item.by_ther:
            th = self.p.therapists[k]
            mine = self.ther[k]
            if th.cap is not None and len(mine) >= th.cap:
                continue
            buf = th.buffer
            forbidden = common + [(a - dur - buf, b + buf) for a, b, _ in mine]
            t = best_start(starts, allowed(forbidden), ideal2)
            if t is None:
                continue
            cand = (0 if ideal2 is None else abs(2 * t - ideal2), t, k)
            if best is None or cand < best:
                best = cand
        if best is None:
            return None
        t, k = best[1], best[2]
        room = self.room_for(item, t, t + dur)
        assert room is not None
        return (t, k, room)

    def free_starts(self, i: int) -> list[tuple[int, list[int]]]:
        """Item ``i``'s candidate starts per therapist that fit beside the placed items."""
        item = self.p.items[i]
        self.p.work.units += 1 + len(item.by_ther)
        dur = item.duration
        common = [(a - dur, b) for a, b, j in self.pat[item.patient] if j != i]
        if item.room_kind is not None:
            if item.pooled:
                common += [(a - dur, b) for a, b in self._kind_full(item.room_kind)]
            else:
                common += self._rooms_forbidden(item)
        out: list[tuple[int, list[int]]] = []
        for k, starts in item.by_ther:
            th = self.p.therapists[k]
            mine = [b for b in self.ther[k] if b[2] != i]
            if th.cap is not None and len(mine) >= th.cap:
                continue
            buf = th.buffer
            forbidden = common + [(a - dur - buf, b + buf) for a, b, _ in mine]
            ok: list[int] = []
            for lo, hi in allowed(forbidden):
                ok += starts[bisect_left(starts, lo) : bisect_right(starts, hi)]
            if ok:
                out.append((k, ok))
        return out

    def _rooms_forbidden(self, item: Item) -> list[Span]:
        """Starts at which no room of the item's (unpooled) kind is free, as open spans."""
        dur = item.duration
        per_room = []
        for r in item.rooms:
            busy = list(self.p.rooms[r].booked) + [(a, b) for a, b, _ in self.room[r]]
            per_room.append([(a - dur, b) for a, b in busy])
        if not per_room:
            return [(-FAR, FAR)]
        out = per_room[0]
        for spans in per_room[1:]:
            out = intersect(out, spans)
        return out

    def insert_best(self, i: int) -> bool:
        a = self.best_spot(i)
        if a is None:
            return False
        self.place(i, a)
        return True

    def blockers(self, i: int, t: int, k: int, pick: int) -> set[int] | None:
        """The placed items to eject so ``i`` fits at ``(t, k)``; None if that cannot help.

        ``pick`` chooses among equally good victims (any integer).
        """
        self.p.work.units += 1
        item = self.p.items[i]
        th = self.p.therapists[k]
        end = t + item.duration
        buf = th.buffer
        mine = [b for b in self.ther[k] if b[2] != i]
        out = {j for a, b, j in mine if t < b + buf and a < end + buf}
        out.update(j for a, b, j in self.pat[item.patient] if j != i and t < b and a < end)
        if th.cap is not None and len(mine) - sum(1 for b in mine if b[2] in out) >= th.cap:
            rest = [b[2] for b in mine if b[2] not in out]
            if not rest:
                return None
            out.add(rest[pick % len(rest)])
        if item.room_kind is None:
            return out
        if item.pooled:
            self._add_pool_blockers(item, t, end, out, pick)
            return out
        room = self._room_blockers(item, t, end, out)
        return None if room is None else out | room

    def _add_pool_blockers(self, item: Item, t: int, end: int, out: set[int], pick: int) -> None:
        """Add to ``out`` the sessions of ``item``'s pooled kind to eject so that a room of
        the kind is free over ``[t, end)``: one running at each first full instant."""
        assert item.room_kind is not None
        if all(t >= b or end <= a for a, b in self._kind_full(item.room_kind)):
            return  # the kind is never full then, even with ``item`` where it is
        cap = self.kind_cap[item.room_kind]
        books = self.kind[item.room_kind]
        first = bisect_left(books, (t - self.kind_longest[item.room_kind] + 1,))
        hits = [
            b
            for b in books[first : bisect_left(books, (end,))]
            if b[2] != item.index and b[2] not in out and t < b[1]
        ]
        while len(hits) >= cap:
            x = first_full(hits, cap, t)
            if x is None:
                break
            covering = [b for b in hits if b[0] <= x < b[1]]
            victim = covering[pick % len(covering)]
            hits.remove(victim)
            out.add(victim[2])

    def _room_blockers(self, item: Item, t: int, end: int, out: set[int]) -> set[int] | None:
        """The fewest sessions to eject (besides ``out``) to free one room of ``item``'s
        (unpooled) kind over ``[t, end)``; None when every room is booked then."""
        best: set[int] | None = None
        for r in item.rooms:
            if not clear(t, end, self.p.rooms[r].booked):
                continue
            there = {j for a, b, j in self.room[r] if j != item.index and t < b and a < end}
            extra = there - out
            if best is None or len(extra) < len(best):
                best = extra
        return best


def assign_rooms(problem: Problem, plan: dict[int, Assignment]) -> dict[int, Assignment]:
    """Replace ``POOL`` by concrete rooms (interval colouring in start order)."""
    out = dict(plan)
    ends: dict[int, int] = {}
    for i in sorted(out, key=lambda i: (out[i][0], i)):
        t, k, r = out[i]
        if r != POOL:
            continue
        item = problem.items[i]
        room = next(x for x in item.rooms if ends.get(x, t) <= t)
        ends[room] = t + item.duration
        out[i] = (t, k, room)
    return out
