"""The day board's picture: therapists as columns, hours as rows, all in pixels.

Pure functions over the day board the services answered (``services.day_board``; no
database here). Positions are elapsed minutes from the board's first hour, so a day when
the clocks change is drawn truthfully.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from planner.chairs import CHAIR_KIND
from planner.intervals import Interval, subtract
from planner.localtime import day_bounds, wall_to_instant
from planner.sessions import InfusionStatus, SessionStatus
from services.day_board import DayBoardView
from services.plan_views import DayPlanView, PlannedSession
from services.views import InfusionView, SessionTypeView, SessionView, TherapistDayView

PX_PER_MINUTE = 1.2
PALETTE = 8
COMPACT_LANES = 6  # more infusions than this: narrow lanes, so therapists keep their room
SHORT_WINDOW = timedelta(hours=24)  # windows drawn on the day (the long-term range is not)
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
    move_href: str | None = None


@dataclass
class Column:
    title: str
    subtitle: str
    href: str
    shaded: list[Block]
    free: list[Block]
    sessions: list[Block]
    free_minutes: int = 0
    proposed: list[Block] = field(default_factory=list)


@dataclass
class Lane:
    title: str
    subtitle: str
    href: str
    bands: list[Block]
    later: list[str]


@dataclass
class ChairColumn:
    """An infusion chair: each infusion it holds, then the recovery after it."""

    title: str
    blocks: list[Block]


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
    chairs: list[ChairColumn] = field(default_factory=list)
    compact: bool = False
    scroll_to: float = 0.0  # where the board opens: just before the day's first infusion


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


def _moments(view: DayBoardView, proposal: DayPlanView | None) -> list[tuple[datetime, datetime]]:
    """What the board must show: working time, sessions, infusions and their windows."""
    moments = [(w.start, w.end) for t in view.therapists for w in t.working]
    moments += [(s.start, s.end) for t in view.therapists for s in t.sessions]
    for infusion in view.infusions:
        moments.append((infusion.start, infusion.recovery_end))
        moments += [(w.start, w.end) for w in infusion.windows if w.end - w.start < SHORT_WINDOW]
    if proposal is not None:
        moments += [(p.start, p.end) for p in proposal.sessions]
    return moments


def build_board(view: DayBoardView, proposal: DayPlanView | None = None) -> DayBoard:
    """The picture of the day; with ``proposal``, the previewed plan drawn as proposed."""
    day, zone = view.day, view.clinic.zone
    start, end = board_range(day, zone, _moments(view, proposal))
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
        patients={i.id: i.patient_name or f"Patient {i.patient_id}" for i in view.infusions},
    )
    proposed = list(proposal.sessions) if proposal is not None else []
    columns = [_column(t, scale, type_css, names, day, proposed) for t in view.therapists]
    win_css = window_classes(view.infusions)
    lanes = [_lane(i, scale, win_css) for i in view.infusions]
    window_legend = []
    for infusion in view.infusions:
        for w in infusion.windows:
            if w.start < scale.end and (win_css[w.key], w.label) not in window_legend:
                window_legend.append((win_css[w.key], w.label))
    shown = [s for t in view.therapists for s in t.sessions if s.status != SessionStatus.cancelled]
    return DayBoard(
        scroll_to=_opening(view, proposed, scale),
        height=scale.y(end),
        hours=hours,
        columns=columns,
        lanes=lanes,
        legend=[(type_css[t.key], t.name) for t in view.session_types],
        window_legend=window_legend,
        session_count=len(shown),
        chairs=_chairs(view, scale),
        compact=len(lanes) > COMPACT_LANES,
    )


def _chairs(view: DayBoardView, scale: Scale) -> list[ChairColumn]:
    """A column per infusion chair, beside the infusions: who sits there, then recovers."""
    columns = []
    for room in view.rooms:
        if room.kind != CHAIR_KIND:
            continue
        blocks = []
        for infusion in view.infusions:
            if infusion.chair_id != room.id or infusion.status == InfusionStatus.cancelled:
                continue
            patient = infusion.patient_name or f"Patient {infusion.patient_id}"
            href = f"/infusions/{infusion.id}"
            sitting = f"{infusion.start:%H:%M}–{infusion.end:%H:%M}"
            resting = f"{infusion.end:%H:%M}–{infusion.recovery_end:%H:%M}"
            for block in (
                scale.block(
                    infusion.start,
                    infusion.end,
                    title=f"{patient}: infusion {sitting}",
                    lines=[patient],
                    href=href,
                    css="chair-infusion",
                ),
                scale.block(
                    infusion.end,
                    infusion.recovery_end,
                    title=f"{patient}: recovery {resting}",
                    lines=["recovery"],
                    href=href,
                    css="chair-recovery",
                ),
            ):
                if block is not None and block.height > 0:
                    blocks.append(block)
        columns.append(ChairColumn(room.name, blocks))
    return columns


def _opening(view: DayBoardView, proposed: list[PlannedSession], scale: Scale) -> float:
    """Half an hour before the first infusion or session of the day (07:00 on an empty day),
    so a board that starts at midnight does not open on the empty night."""
    starts = [i.start for i in view.infusions if i.start >= scale.start]
    starts += [s.start for t in view.therapists for s in t.sessions]
    starts += [p.start for p in proposed]
    if not starts:
        return scale.y(wall_to_instant(view.day, time(DEFAULT_FIRST_HOUR), view.clinic.zone))
    return max(scale.y(min(starts) - timedelta(minutes=30)), 0.0)


@dataclass(frozen=True)
class Names:
    types: dict[str, str]
    rooms: dict[int, str]
    patients: dict[int, str]  # by infusion


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
        move_href=f"/sessions/{s.id}/move?back={quote(f'/board?date={s.start.date()}')}"
        if s.status == SessionStatus.booked
        else None,
    )


def _proposed_block(
    p: PlannedSession, scale: Scale, type_css: dict[str, str], names: Names
) -> Block | None:
    room = names.rooms.get(p.room_id, "") if p.room_id else "no room"
    kind = names.types.get(p.session_type, p.session_type)
    return scale.block(
        p.start,
        p.end,
        title=names.patients.get(p.infusion_id, f"Patient {p.patient_id}"),
        lines=[f"{p.start:%H:%M}–{p.end:%H:%M} {kind}", f"{room} · proposed"],
        href=f"/infusions/{p.infusion_id}",
        css=f"{type_css.get(p.session_type, 'type-0')} proposed",
    )


def _column(
    therapist: TherapistDayView,
    scale: Scale,
    type_css: dict[str, str],
    names: Names,
    day: date,
    proposed: list[PlannedSession],
) -> Column:
    person = therapist.therapist
    shown = [s for s in therapist.sessions if s.status != SessionStatus.cancelled]
    blocks = [b for s in shown if (b := _session_block(s, scale, type_css, names)) is not None]
    off = subtract([Interval(scale.start, scale.end)], therapist.working)
    free_blocks = [
        b
        for f in therapist.free
        if (
            b := scale.block(
                f.start,
                f.end,
                title="free",
                label=scale.hm(f.start),
                href=f"/board/book?therapist_id={person.id}&start={f.start.isoformat()}",
            )
        )
        is not None
    ]
    shaded = [b for o in off if (b := scale.block(o.start, o.end, title="not working")) is not None]
    shifts = ", ".join(f"{scale.hm(w.start)}–{scale.hm(w.end)}" for w in therapist.working)
    mine = [p for p in proposed if p.therapist_id == person.id]
    free_minutes = int(sum((f.length for f in therapist.free), timedelta()).total_seconds() // 60)
    return Column(
        title=person.name,
        subtitle=shifts or "not working",
        href=f"/therapists/{person.id}/day?date={day.isoformat()}",
        shaded=shaded,
        free=free_blocks,
        sessions=blocks,
        free_minutes=free_minutes,
        proposed=[b for p in mine if (b := _proposed_block(p, scale, type_css, names)) is not None],
    )


def _lane(infusion: InfusionView, scale: Scale, win_css: dict[str, str]) -> Lane:
    patient = infusion.patient_name or f"Patient {infusion.patient_id}"
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
            lines=[f"{w.start:%H:%M}–{w.end:%H:%M}", patient],
            css=win_css[w.key],
            label=f"{scale.y(w.target) - scale.y(w.start):.1f}" if w.target else "",
        )
        if band is not None:
            bands.append(band)
    cancelled = " (cancelled)" if infusion.status == "cancelled" else ""
    return Lane(
        title=f"{infusion.start:%H:%M}{cancelled}",
        subtitle=patient,
        href=f"/infusions/{infusion.id}",
        bands=bands,
        later=later,
    )
