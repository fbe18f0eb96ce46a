"""The day board's picture: therapists as columns, hours as rows, all in pixels.

Pure functions over the day board the services answered (``services.day_board``; no
database here). Positions are elapsed minutes from the board's first hour, so a day when
the clocks change is drawn truthfully.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.intervals import Interval, subtract
from planner.localtime import day_bounds, wall_to_instant
from planner.sessions import SessionStatus
from services.day_board import DayBoardView
from services.views import InfusionView, SessionTypeView, SessionView, TherapistDayView

PX_PER_MINUTE = 1.2
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


def type_classes(types: tuple[SessionTypeView, ...] | list[SessionTypeView]) -> dict[str, str]:
    return {t.key: f"type-{i % PALETTE}" for i, t in enumerate(types)}


def window_classes(infusions: tuple[InfusionView, ...]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for infusion in infusions:
        for window in infusion.windows:
            keys.setdefault(window.key, f"win-{len(keys) % 5}")
    return keys


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


def build_board(view: DayBoardView) -> DayBoard:
    day, zone = view.day, view.clinic.zone
    shown = [s for t in view.therapists for s in t.sessions if s.status != SessionStatus.cancelled]
    moments = [(w.start, w.end) for t in view.therapists for w in t.working]
    moments += [(s.start, s.end) for s in shown]
    moments += [(i.start, i.end) for i in view.infusions]
    start, end = board_range(day, zone, moments)
    scale = Scale(start, end, zone)
    hours = []
    moment = start
    while moment < end:
        hours.append(HourRow(scale.y(moment), moment.astimezone(zone).strftime("%H:%M")))
        moment += timedelta(hours=1)
    type_css = type_classes(view.session_types)
    names = Names(
        types={t.key: t.name for t in view.session_types},
        rooms={r.id: r.name for r in view.rooms},
    )
    columns = [_column(t, scale, type_css, names, day) for t in view.therapists]
    win_css = window_classes(view.infusions)
    lanes = [_lane(i, scale, win_css) for i in view.infusions]
    window_legend = []
    for infusion in view.infusions:
        for w in infusion.windows:
            if w.start < scale.end and (win_css[w.key], w.label) not in window_legend:
                window_legend.append((win_css[w.key], w.label))
    return DayBoard(
        height=scale.y(end),
        hours=hours,
        columns=columns,
        lanes=lanes,
        legend=[(type_css[t.key], t.name) for t in view.session_types],
        window_legend=window_legend,
        session_count=len(shown),
    )


@dataclass(frozen=True)
class Names:
    types: dict[str, str]
    rooms: dict[int, str]


def _session_block(
    s: SessionView, scale: Scale, type_css: dict[str, str], names: Names
) -> Block | None:
    room = names.rooms.get(s.room_id, "") if s.room_id else "no room"
    status = "" if s.status == SessionStatus.booked else f" · {s.status.label}"
    kind = names.types.get(s.session_type, s.session_type)
    return scale.block(
        s.start,
        s.end,
        title=s.patient_name or f"Patient {s.patient_id}",
        lines=[f"{s.start:%H:%M}–{s.end:%H:%M} {kind}", f"{room}{status}"],
        href=f"/infusions/{s.infusion_id}#session-{s.id}",
        css=f"{type_css.get(s.session_type, 'type-0')} status-{s.status.value}"
        + (" outside" if s.outside_window else ""),
    )


def _column(
    therapist: TherapistDayView,
    scale: Scale,
    type_css: dict[str, str],
    names: Names,
    day: date,
) -> Column:
    shown = [s for s in therapist.sessions if s.status != SessionStatus.cancelled]
    blocks = [b for s in shown if (b := _session_block(s, scale, type_css, names)) is not None]
    off = subtract([Interval(scale.start, scale.end)], therapist.working)
    free_blocks = [
        b
        for f in therapist.free
        if (b := scale.block(f.start, f.end, title="free", label=scale.hm(f.start))) is not None
    ]
    shaded = [b for o in off if (b := scale.block(o.start, o.end, title="not working")) is not None]
    shifts = ", ".join(f"{scale.hm(w.start)}–{scale.hm(w.end)}" for w in therapist.working)
    person = therapist.therapist
    return Column(
        title=person.name,
        subtitle=shifts or "not working",
        href=f"/therapists/{person.id}/day?date={day.isoformat()}",
        shaded=shaded,
        free=free_blocks,
        sessions=blocks,
        free_minutes=int(
            sum((f.length for f in therapist.free), timedelta()).total_seconds() // 60
        ),
    )


def _lane(infusion: InfusionView, scale: Scale, win_css: dict[str, str]) -> Lane:
    bands: list[Block] = []
    later: list[str] = []
    body = scale.block(
        infusion.start,
        infusion.end,
        title="Infusion",
        lines=[f"{infusion.start:%H:%M}–{infusion.end:%H:%M}"],
        css="infusion-body",
    )
    if body is not None:
        bands.append(body)
    for w in infusion.windows:
        if w.start >= scale.end:
            later.append(f"{w.label}: from {w.start:%a %d %b}")
            continue
        band = scale.block(
            w.start,
            w.end,
            title=w.label,
            lines=[f"{w.start:%H:%M}–{w.end:%H:%M}"],
            css=win_css[w.key],
            label=f"{scale.y(w.target) - scale.y(w.start):.1f}" if w.target else "",
        )
        if band is not None:
            bands.append(band)
    cancelled = " (cancelled)" if infusion.status == "cancelled" else ""
    return Lane(
        title=f"{infusion.start:%H:%M}{cancelled}",
        subtitle=infusion.patient_name or f"Patient {infusion.patient_id}",
        href=f"/infusions/{infusion.id}",
        bands=bands,
        later=later,
    )
