"""The infusion's timeline picture: pure geometry for an inline SVG (no database, no HTML).

Hours after the anchor are drawn on a linear scale; windows that last days (the long-term
range) go on a compressed, logarithmic scale to the right of a break, so both the first
12 hours and the following weeks fit one picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WIDTH = 960
LEFT = 200
NEAR_END = 680
FAR_START = 708
RIGHT = 925
TOP = 44
ROW = 46
NEAR_LIMIT = timedelta(hours=14)


@dataclass(frozen=True)
class WindowIn:
    key: str
    label: str
    start: datetime
    end: datetime
    target: datetime | None


@dataclass(frozen=True)
class SessionIn:
    id: int
    label: str
    start: datetime
    end: datetime
    window: str
    css: str
    href: str


@dataclass
class Tick:
    x: float
    label: str
    sub: str = ""
    major: bool = True


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    css: str = ""
    title: str = ""
    href: str = ""
    text: str = ""


@dataclass
class Row:
    y: float
    label: str
    sub: str
    bar: Rect | None
    target_x: float | None = None
    target_label: str = ""
    sessions: list[Rect] = field(default_factory=list)
    recovery: Rect | None = None  # the infusion row: observation after the dose


@dataclass
class Timeline:
    width: int
    height: float
    ticks: list[Tick]
    far_ticks: list[Tick]
    rows: list[Row]
    anchor_x: float
    anchor_label: str
    now_x: float | None
    break_x: float | None
    axis_y: float
    description: str


class _Scale:
    """Linear from ``t0`` to ``t1`` on [LEFT, near_end]; log of hours after it."""

    def __init__(self, anchor: datetime, t0: datetime, t1: datetime, far_end: datetime | None):
        self.anchor, self.t0, self.t1, self.far_end = anchor, t0, t1, far_end
        self.near_end = NEAR_END if far_end else RIGHT

    def x(self, moment: datetime) -> float:
        if moment <= self.t1 or self.far_end is None:
            moment = max(min(moment, self.t1), self.t0)
            share = (moment - self.t0) / (self.t1 - self.t0)
            return round(LEFT + share * (self.near_end - LEFT), 1)
        h0 = (self.t1 - self.anchor).total_seconds() / 3600
        h1 = (self.far_end - self.anchor).total_seconds() / 3600
        h = min((moment - self.anchor).total_seconds() / 3600, h1)
        share = (math.log(h) - math.log(h0)) / (math.log(h1) - math.log(h0))
        return round(FAR_START + share * (RIGHT - FAR_START), 1)


def _hm(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def build_timeline(
    start: datetime,
    end: datetime,
    anchor: datetime,
    windows: list[WindowIn],
    sessions: list[SessionIn],
    zone: ZoneInfo,
    now: datetime | None = None,
    anchor_name: str = "infusion end",
    recovery_end: datetime | None = None,
) -> Timeline:
    near = [w for w in windows if w.end - anchor <= NEAR_LIMIT]
    far = [w for w in windows if w.end - anchor > NEAR_LIMIT]
    t0 = min([start, anchor, *(w.start for w in near)]) - timedelta(minutes=30)
    t0 = t0.replace(minute=0, second=0, microsecond=0)
    last = [end, anchor + timedelta(hours=1), *(w.end for w in near), recovery_end or end]
    t1 = max(last) + timedelta(minutes=30)
    far_end = max((w.end for w in far), default=None)
    scale = _Scale(anchor, t0, t1, far_end)
    draw = _Drawing(scale, zone)
    by_window: dict[str, list[SessionIn]] = {}
    for s in sessions:
        by_window.setdefault(s.window, []).append(s)
    rows = [draw.infusion_row(start, end, recovery_end)]
    for index, w in enumerate(windows, start=1):
        rows.append(draw.window_row(w, index, w in far, by_window.pop(w.key, [])))
    leftovers = [s for group in by_window.values() for s in group]
    if leftovers:
        rows.append(draw.leftover_row(len(rows), leftovers))
    now_x = scale.x(now) if now is not None and t0 <= now <= (far_end or t1) else None
    description = "; ".join(f"{w.label} {r.sub}" for w, r in zip(windows, rows[1:], strict=False))
    return Timeline(
        width=WIDTH,
        height=TOP + len(rows) * ROW + 34,
        ticks=_near_ticks(t0, t1, scale, zone),
        far_ticks=_far_ticks(anchor, t1, far_end, scale, zone) if far_end else [],
        rows=rows,
        anchor_x=scale.x(anchor),
        anchor_label=f"anchor {_hm(anchor, zone)} ({anchor_name})",
        now_x=now_x,
        break_x=(NEAR_END + FAR_START) / 2 if far_end else None,
        axis_y=TOP + len(rows) * ROW,
        description=description,
    )


@dataclass(frozen=True)
class _Drawing:
    """The timeline's rows on one scale."""

    scale: _Scale
    zone: ZoneInfo

    def infusion_row(self, start: datetime, end: datetime, recovery_end: datetime | None) -> Row:
        when = f"{_hm(start, self.zone)}–{_hm(end, self.zone)}"
        x = self.scale.x(start)
        bar = Rect(
            x,
            TOP + 8,
            max(self.scale.x(end) - x, 3),
            ROW - 16,
            css="tl-infusion",
            title=f"Infusion {when}",
        )
        row = Row(y=TOP, label="Infusion", sub=when, bar=bar)
        if recovery_end is not None and recovery_end > end:
            until = _hm(recovery_end, self.zone)
            x_end = self.scale.x(end)
            row.recovery = Rect(
                x_end,
                TOP + 8,
                max(self.scale.x(recovery_end) - x_end, 3),
                ROW - 16,
                css="tl-recovery",
                title=f"Recovery until {until}: nothing is booked for the patient",
            )
            row.sub = f"{when}, recovery to {until}"
        return row

    def window_row(self, w: WindowIn, index: int, is_far: bool, sessions: list[SessionIn]) -> Row:
        y = TOP + index * ROW
        zone = self.zone
        span = (
            f"{w.start.astimezone(zone):%d %b}–{w.end.astimezone(zone):%d %b}"
            if is_far
            else f"{_hm(w.start, zone)}–{_hm(w.end, zone)}"
        )
        x = self.scale.x(w.start)
        bar = Rect(
            x,
            y + 6,
            max(self.scale.x(w.end) - x, 3),
            ROW - 12,
            css=f"tl-window win-{(index - 1) % 5}",
            title=f"{w.label}: {span}",
        )
        row = Row(y=y, label=w.label, sub=span, bar=bar)
        if w.target is not None:
            row.target_x = self.scale.x(w.target)
            row.target_label = f"target {_hm(w.target, zone)}"
        row.sessions = [self.session(s, y, titled=True) for s in sessions]
        return row

    def leftover_row(self, index: int, sessions: list[SessionIn]) -> Row:
        y = TOP + index * ROW
        row = Row(y=y, label="Other sessions", sub="window not in this protocol", bar=None)
        row.sessions = [self.session(s, y, titled=False) for s in sessions]
        return row

    def session(self, s: SessionIn, y: float, *, titled: bool) -> Rect:
        x = self.scale.x(s.start)
        title = f"{s.label} {_hm(s.start, self.zone)}–{_hm(s.end, self.zone)}" if titled else ""
        return Rect(
            x,
            y + 12,
            max(self.scale.x(s.end) - x, 4),
            ROW - 24,
            css=s.css,
            title=title,
            href=s.href,
        )


def _near_ticks(t0: datetime, t1: datetime, scale: _Scale, zone: ZoneInfo) -> list[Tick]:
    hours = (t1 - t0).total_seconds() / 3600
    step = 1 if hours <= 10 else 2
    ticks = []
    moment = t0
    index = 0
    while moment <= t1:
        ticks.append(Tick(scale.x(moment), _hm(moment, zone), major=index % step == 0))
        moment += timedelta(hours=1)
        index += 1
    return ticks


def _far_ticks(
    anchor: datetime, t1: datetime, far_end: datetime, scale: _Scale, zone: ZoneInfo
) -> list[Tick]:
    ticks: list[Tick] = []
    for days in (1, 3, 7, 14, 28, 56, 91):
        moment = anchor + timedelta(days=days)
        if t1 < moment <= far_end and (not ticks or scale.x(moment) - ticks[-1].x >= 44):
            label = f"+{days} d" if days < 7 else f"+{days // 7} wk"
            ticks.append(Tick(scale.x(moment), label, f"{moment.astimezone(zone):%d %b}"))
    return ticks
