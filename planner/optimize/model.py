"""Read a day instance (bench README format plus the live-state extensions) into integers.

Every instant becomes a whole number of minutes since the Unix epoch (elapsed time, so DST
never bends arithmetic). Wall-clock questions (the start grid) are answered with the
instance's IANA time zone. Everything that does not depend on the other new sessions
(window, grid, ``not_before``, discipline, working time, already-booked therapist and patient
time) is settled here, once: each item gets its list of static candidates ``(start,
therapist)``, best first.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.durations import parse_duration
from planner.errors import ValidationFailed
from planner.optimize.grid import LocalGrid

Span = tuple[int, int]

__all__ = ["InstanceError", "Item", "Problem", "Room", "Therapist", "load"]


class InstanceError(ValueError):
    """The instance is malformed; the message says where."""


@dataclass(frozen=True)
class Therapist:
    id: str
    disciplines: frozenset[str]
    working: tuple[Span, ...]
    buffer: int
    cap: int | None  # sessions still allowed today (limit minus sessions already booked)
    booked: tuple[Span, ...]


@dataclass(frozen=True)
class Room:
    id: str
    kind: str
    booked: tuple[Span, ...]


@dataclass
class Item:
    """One requested (infusion, session type) pair."""

    index: int
    infusion_id: str
    session_type: str
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
    name: str
    tz: ZoneInfo
    grid: int
    items: list[Item]
    therapists: list[Therapist]
    rooms: list[Room]
    patients: list[str]
    # instants a patient is busy regardless of the plan: infusions and booked time
    patient_fixed: list[list[Span]]

    def local_iso(self, minute: int) -> str:
        moment = datetime.fromtimestamp(minute * 60, tz=self.tz)
        return moment.isoformat()


def _get(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(obj, Mapping):
        raise InstanceError(f"{where}: expected an object")
    if key not in obj:
        raise InstanceError(f"{where}: missing {key!r}")
    return obj[key]


def _list(value: object, where: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise InstanceError(f"{where}: expected a list")
    return value


def _int(value: object, where: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InstanceError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return value


def _minutes(text: object, where: str) -> int:
    """Whole minutes of an ISO 8601 duration."""
    if not isinstance(text, str):
        raise InstanceError(f"{where}: expected an ISO 8601 duration such as PT2H, got {text!r}")
    try:
        span = parse_duration(text)
    except ValidationFailed as exc:
        raise InstanceError(f"{where}: {exc.detail}") from None
    if span % timedelta(minutes=1):
        raise InstanceError(f"{where}: {text!r} is not a whole number of minutes")
    return span // timedelta(minutes=1)


def _minute(tz: ZoneInfo, value: object, where: str) -> int:
    """Minutes since the epoch of an RFC 3339 datetime (without offset: wall time in ``tz``)."""
    if not isinstance(value, str):
        raise InstanceError(f"{where}: expected an RFC 3339 datetime, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InstanceError(f"{where}: {value!r} is not an RFC 3339 datetime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    seconds = moment.timestamp()
    if seconds % 60:
        raise InstanceError(f"{where}: {value!r} is not a whole minute")
    return int(seconds) // 60


def _spans(tz: ZoneInfo, value: object, where: str) -> tuple[Span, ...]:
    out: list[Span] = []
    for n, pair in enumerate(_list(value, where)):
        pair = _list(pair, f"{where}[{n}]")
        if len(pair) != 2:
            raise InstanceError(f"{where}[{n}]: expected [start, end]")
        a = _minute(tz, pair[0], f"{where}[{n}]")
        b = _minute(tz, pair[1], f"{where}[{n}]")
        if b < a:
            raise InstanceError(f"{where}[{n}]: ends before it starts")
        out.append((a, b))
    return tuple(sorted(out))


def _free(start: int, end: int, busy: Sequence[Span], gap: int = 0) -> bool:
    return all(start >= b + gap or end + gap <= a for a, b in busy)


def load(instance: Mapping[str, Any]) -> Problem:
    """Validate ``instance`` and build the integer model with static candidates."""
    try:
        tz = ZoneInfo(str(_get(instance, "timezone", "instance")))
    except (ZoneInfoNotFoundError, ValueError):
        raise InstanceError(f"instance: unknown time zone {instance.get('timezone')!r}") from None
    try:
        day = date.fromisoformat(str(_get(instance, "date", "instance")))
    except ValueError:
        raise InstanceError(f"instance: date {instance.get('date')!r} is not YYYY-MM-DD") from None
    grid = _int(instance.get("grid_minutes", 5), "grid_minutes", minimum=1)
    grid_marks = LocalGrid(tz, day, grid)

    protocol = _get(instance, "protocol", "instance")
    anchor_at_start = _get(protocol, "anchor", "protocol") == "start"
    windows: dict[str, tuple[int, int, int | None]] = {}
    for n, w in enumerate(_list(_get(protocol, "windows", "protocol"), "protocol.windows")):
        where = f"protocol.windows[{n}]"
        target = w.get("target_offset") if isinstance(w, Mapping) else None
        windows[str(_get(w, "key", where))] = (
            _minutes(_get(w, "start_offset", where), where),
            _minutes(_get(w, "end_offset", where), where),
            None if target is None else _minutes(target, where),
        )

    types: dict[str, Mapping[str, Any]] = {}
    for n, st in enumerate(_list(_get(instance, "session_types", "instance"), "session_types")):
        where = f"session_types[{n}]"
        key = str(_get(st, "key", where))
        _int(_get(st, "duration_minutes", where), f"{where}.duration_minutes", minimum=1)
        if str(_get(st, "window", where)) not in windows:
            raise InstanceError(f"{where}: unknown window {st['window']!r}")
        types[key] = st

    therapists: list[Therapist] = []
    for n, t in enumerate(_list(_get(instance, "therapists", "instance"), "therapists")):
        where = f"therapists[{n}]"
        limit = t.get("max_sessions_per_day")
        already = _int(t.get("sessions_already", 0), f"{where}.sessions_already")
        cap = (
            None
            if limit is None
            else max(0, _int(limit, f"{where}.max_sessions_per_day") - already)
        )
        therapists.append(
            Therapist(
                id=str(_get(t, "id", where)),
                disciplines=frozenset(str(d) for d in _list(_get(t, "disciplines", where), where)),
                working=_spans(tz, _get(t, "working", where), f"{where}.working"),
                buffer=_int(t.get("buffer_minutes", 0) or 0, f"{where}.buffer_minutes"),
                cap=cap,
                booked=_spans(tz, t.get("booked", []), f"{where}.booked"),
            )
        )

    rooms = [
        Room(
            str(_get(r, "id", f"rooms[{n}]")),
            str(_get(r, "kind", f"rooms[{n}]")),
            _spans(tz, r.get("booked", []), f"rooms[{n}].booked"),
        )
        for n, r in enumerate(_list(instance.get("rooms", []), "rooms"))
    ]

    patients: list[str] = []
    patient_index: dict[str, int] = {}
    patient_fixed: list[list[Span]] = []

    def patient_of(pid: str) -> int:
        if pid not in patient_index:
            patient_index[pid] = len(patients)
            patients.append(pid)
            patient_fixed.append([])
        return patient_index[pid]

    for n, p in enumerate(_list(instance.get("patients", []), "patients")):
        where = f"patients[{n}]"
        patient_fixed[patient_of(str(_get(p, "id", where)))].extend(
            _spans(tz, p.get("booked", []), f"{where}.booked")
        )

    not_before = None
    if instance.get("not_before") is not None:
        not_before = _minute(tz, instance["not_before"], "not_before")

    items: list[Item] = []
    disciplines: list[str] = []
    seen: set[tuple[str, str]] = set()
    for n, inf in enumerate(_list(_get(instance, "infusions", "instance"), "infusions")):
        where = f"infusions[{n}]"
        start = _minute(tz, _get(inf, "start", where), f"{where}.start")
        length = _int(inf.get("duration_minutes", 40), f"{where}.duration_minutes")
        patient = patient_of(str(_get(inf, "patient_id", where)))
        patient_fixed[patient].append((start, start + length))
        anchor = start if anchor_at_start else start + length
        for key in _list(inf.get("care_plan", []), f"{where}.care_plan"):
            if key not in types:
                raise InstanceError(f"{where}: unknown session type {key!r} in care_plan")
            pair = (str(_get(inf, "id", where)), str(key))
            if pair in seen:
                continue
            seen.add(pair)
            st = types[key]
            w0, w1, wt = windows[str(st["window"])]
            kind = st.get("room_kind")
            items.append(
                Item(
                    index=len(items),
                    infusion_id=pair[0],
                    session_type=pair[1],
                    patient=patient,
                    duration=int(st["duration_minutes"]),
                    window=(anchor + w0, anchor + w1),
                    target=None if wt is None else anchor + wt,
                    room_kind=None if kind is None else str(kind),
                    rooms=tuple(
                        i for i, r in enumerate(rooms) if kind is not None and r.kind == kind
                    ),
                )
            )
            disciplines.append(str(st["discipline"]))
    for spans in patient_fixed:
        spans.sort()
    for item, discipline in zip(items, disciplines, strict=True):
        # after every infusion is known: a patient's later infusions block earlier items too
        item.static_code = _candidates(
            item, discipline, therapists, patient_fixed, grid_marks, not_before
        )
    busy_kinds = {r.kind for r in rooms if r.booked}
    for item in items:
        item.pooled = item.room_kind is not None and item.room_kind not in busy_kinds
    return Problem(
        str(instance.get("name", "")), tz, grid, items, therapists, rooms, patients, patient_fixed
    )


def _candidates(
    item: Item,
    discipline: str,
    therapists: Sequence[Therapist],
    patient_fixed: Sequence[Sequence[Span]],
    grid_marks: LocalGrid,
    not_before: int | None,
) -> str | None:
    """Fill ``item.cands``; answer the §4 code when nothing at all can pass the static rules."""
    dur = item.duration
    lo, hi = item.window[0], item.window[1] - dur
    if not grid_marks.starts(lo, min(hi, lo + grid_marks.step)):
        return "no_slot"
    if not_before is not None:
        lo = max(lo, not_before)
        if not grid_marks.starts(lo, min(hi, lo + grid_marks.step)):
            return "in_the_past"
    qualified = [k for k, t in enumerate(therapists) if discipline in t.disciplines]
    if not qualified:
        return "discipline_mismatch"
    stage = 0  # 1 works then, 2 free of booked sessions, 3 patient free
    busy = patient_fixed[item.patient]
    grid = grid_marks.starts(lo, hi)
    ok = {n for n, t in enumerate(grid) if _free(t, t + dur, busy)}
    keyed: list[tuple[int, int, int]] = []
    for k in qualified:
        th = therapists[k]
        for a, b in th.working:
            n0, n1 = bisect_left(grid, a), bisect_right(grid, b - dur)
            if n0 >= n1:
                continue
            stage = max(stage, 1)
            span: Sequence[int] = range(n0, n1)
            if th.booked:
                span = [n for n in span if _free(grid[n], grid[n] + dur, th.booked, th.buffer)]
                if not span:
                    continue
            stage = max(stage, 2)
            free = [n for n in span if n in ok] if len(ok) < len(grid) else list(span)
            if not free:
                continue
            stage = 3
            if th.cap is None or th.cap > 0:
                keyed += [(item.dev2(grid[n]), grid[n], k) for n in free]
    if stage < 3:
        return ("therapist_unavailable", "therapist_busy", "patient_busy")[stage]
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
