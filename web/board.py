"""The day board's picture: therapists as columns, hours as rows, all in pixels.

Pure functions over what the services answered (no database here). Positions are elapsed
minutes from the board's first hour, so a day when the clocks change is drawn truthfully.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api.schemas.infusions import InfusionPublic, SessionPublic
from api.schemas.people import RoomPublic, SessionTypePublic, TherapistPublic
from planner.intervals import Interval, subtract
from planner.localtime import day_bounds, wall_to_instant
from planner.working_hours import shifts_between
from services.therapists import working_hours_of

PX_PER_MINUTE = 1.2
OCCUPYING = ("booked", "checked_in", "completed")
"""Statuses that take the therapist's time on the pictures (a completed session was held)."""
PALETTE = 8
DEFAULT_FIRST_HOUR = 7
DEFAULT_LAST_HOUR = 19


@dataclass
class Block:
    top: float
    height: float
    title: str
    lines: list[str] = field(default_factory=list)
    href: str | None = None
    css: str = ""
    label: str = ""


@dataclass
class Column:
    title: str
    subtitle: str
    href: str
    shaded: list[Block]
    free: list[Block]
    sessions: list[Block]
    free_minutes: int = 0


@dataclass
class Lane:
    title: str
    subtitle: str
    href: str
    bands: list[Block]
    later: list[str]


@dataclass
class HourRow:
    top: float
    label: str


@dataclass
class DayBoard:
    height: float
    hours: list[HourRow]
    columns: list[Column]
    lanes: list[Lane]
    legend: list[tuple[str, str]]
    window_legend: list[tuple[str, str]]
    session_count: int


def type_classes(types: list[SessionTypePublic]) -> dict[str, str]:
    return {t.key: f"type-{i % PALETTE}" for i, t in enumerate(types)}


def window_classes(infusions: list[InfusionPublic]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for infusion in infusions:
        for window in infusion.windows:
            keys.setdefault(window.key, f"win-{len(keys) % 5}")
    return keys


def working_time(
    therapist: TherapistPublic, day: date, zone: ZoneInfo, time_off: list[Interval]
) -> list[Interval]:
    """Shifts that day minus time off, clipped to the local day."""
    first, last = day_bounds(day, zone)
    entries = [entry.model_dump(exclude_none=True) for entry in therapist.working_hours]
    shifts = shifts_between(working_hours_of(entries), day, day, zone)
    clipped = [Interval(max(s.start, first), min(s.end, last)) for s in shifts]
    return subtract([c for c in clipped if c.end > c.start], time_off)


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


class Scale:
    def __init__(self, start: datetime, end: datetime, zone: ZoneInfo) -> None:
        self.start, self.end, self.zone = start, end, zone

    def hm(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%H:%M")

    def y(self, moment: datetime) -> float:
        moment = min(max(moment, self.start), self.end)
        return round((moment - self.start).total_seconds() / 60 * PX_PER_MINUTE, 1)

    def block(self, start: datetime, end: datetime, **kw: object) -> Block | None:
        if end <= self.start or start >= self.end:
            return None
        top = self.y(start)
        return Block(top=top, height=max(self.y(end) - top, 2.0), **kw)  # type: ignore[arg-type]


def board_range(
    day: date, zone: ZoneInfo, moments: list[tuple[datetime, datetime]]
) -> tuple[datetime, datetime]:
    """Whole hours from 07:00 to 19:00, widened to what the day holds, within the day."""
    first, last = day_bounds(day, zone)
    lo = wall_to_instant(day, time(DEFAULT_FIRST_HOUR), zone)
    hi = wall_to_instant(day, time(DEFAULT_LAST_HOUR), zone)
    for start, end in moments:
        if end > first and start < last:
            lo, hi = min(lo, max(start, first)), max(hi, min(end, last))
    lo = lo - timedelta(minutes=lo.astimezone(zone).minute)
    extra = hi.astimezone(zone).minute
    if extra:
        hi = hi + timedelta(minutes=60 - extra)
    return max(lo, first), min(hi, last)


def build_board(
    day: date,
    zone: ZoneInfo,
    therapists: list[TherapistPublic],
    sessions: list[SessionPublic],
    infusions: list[InfusionPublic],
    types: list[SessionTypePublic],
    rooms: list[RoomPublic],
    time_off: dict[int, list[Interval]],
) -> DayBoard:
    working = {t.id: working_time(t, day, zone, time_off.get(t.id, [])) for t in therapists}
    shown = [s for s in sessions if s.status != "cancelled"]
    moments = [(w.start, w.end) for spans in working.values() for w in spans]
    moments += [(_t(s.start), _t(s.end)) for s in shown]
    moments += [(_t(i.start), _t(i.end)) for i in infusions]
    start, end = board_range(day, zone, moments)
    scale = Scale(start, end, zone)
    hours = []
    moment = start
    while moment < end:
        hours.append(HourRow(scale.y(moment), moment.astimezone(zone).strftime("%H:%M")))
        moment += timedelta(hours=1)
    type_css = type_classes(types)
    type_name = {t.key: t.name for t in types}
    room_name = {r.id: r.name for r in rooms}
    columns = [
        _column(t, working[t.id], shown, scale, type_css, type_name, room_name, day)
        for t in therapists
    ]
    win_css = window_classes(infusions)
    lanes = [_lane(i, scale, win_css) for i in infusions]
    legend = [(type_css[t.key], t.name) for t in types]
    window_legend = []
    for infusion in infusions:
        for w in infusion.windows:
            drawn = _t(w.start) < scale.end
            if drawn and (win_css[w.key], w.label) not in window_legend:
                window_legend.append((win_css[w.key], w.label))
    return DayBoard(
        height=scale.y(end),
        hours=hours,
        columns=columns,
        lanes=lanes,
        legend=legend,
        window_legend=window_legend,
        session_count=len(shown),
    )


def _column(
    therapist: TherapistPublic,
    working: list[Interval],
    sessions: list[SessionPublic],
    scale: Scale,
    type_css: dict[str, str],
    type_name: dict[str, str],
    room_name: dict[int, str],
    day: date,
) -> Column:
    mine = [s for s in sessions if s.therapist_id == therapist.id]
    off = subtract([Interval(scale.start, scale.end)], working)
    taken = [Interval(_t(s.start), _t(s.end)) for s in mine if s.status in OCCUPYING]
    free = subtract(working, taken)
    blocks = []
    for s in mine:
        room = room_name.get(s.room_id, "") if s.room_id else "no room"
        status = "" if s.status == "booked" else f" · {s.status.replace('_', ' ')}"
        kind = type_name.get(s.session_type, s.session_type)
        block = scale.block(
            _t(s.start),
            _t(s.end),
            title=s.patient_name or f"Patient {s.patient_id}",
            lines=[
                f"{_t(s.start):%H:%M}–{_t(s.end):%H:%M} {kind}",
                f"{room}{status}",
            ],
            href=f"/infusions/{s.infusion_id}#session-{s.id}",
            css=f"{type_css.get(s.session_type, 'type-0')} status-{s.status}"
            + (" outside" if s.outside_window else ""),
        )
        if block is not None:
            blocks.append(block)
    free_blocks = [
        b
        for f in free
        if (b := scale.block(f.start, f.end, title="free", label=scale.hm(f.start))) is not None
    ]
    shaded = [b for o in off if (b := scale.block(o.start, o.end, title="not working")) is not None]
    shifts = ", ".join(f"{scale.hm(w.start)}–{scale.hm(w.end)}" for w in working)
    subtitle = shifts or "not working"
    return Column(
        title=therapist.name,
        subtitle=subtitle,
        href=f"/therapists/{therapist.id}/day?date={day.isoformat()}",
        shaded=shaded,
        free=free_blocks,
        sessions=blocks,
        free_minutes=int(sum((f.length for f in free), timedelta()).total_seconds() // 60),
    )


def _lane(infusion: InfusionPublic, scale: Scale, win_css: dict[str, str]) -> Lane:
    bands: list[Block] = []
    later: list[str] = []
    body = scale.block(
        _t(infusion.start),
        _t(infusion.end),
        title="Infusion",
        lines=[f"{_t(infusion.start):%H:%M}–{_t(infusion.end):%H:%M}"],
        css="infusion-body",
    )
    if body is not None:
        bands.append(body)
    for w in infusion.windows:
        start, end = _t(w.start), _t(w.end)
        if start >= scale.end:
            later.append(f"{w.label}: from {start:%a %d %b}")
            continue
        band = scale.block(
            start,
            end,
            title=w.label,
            lines=[f"{start:%H:%M}–{end:%H:%M}"],
            css=win_css[w.key],
            label=f"{scale.y(_t(w.target)) - scale.y(start):.1f}" if w.target else "",
        )
        if band is not None:
            bands.append(band)
    cancelled = " (cancelled)" if infusion.status == "cancelled" else ""
    return Lane(
        title=f"{_t(infusion.start):%H:%M}{cancelled}",
        subtitle="",
        href=f"/infusions/{infusion.id}",
        bands=bands,
        later=later,
    )
