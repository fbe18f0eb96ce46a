"""The window protocol: windows of elapsed time after an infusion's anchor (docs/rules.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from planner.errors import ValidationFailed

Anchor = Literal["end", "start"]
DEFAULT_INFUSION_MINUTES = 40
MAX_OFFSET = timedelta(days=366)
# Observation after the dose (the esketamine REMS asks for 2 h; IV clinics keep 20-60 min).
DEFAULT_RECOVERY = timedelta(hours=1)
MAX_RECOVERY = timedelta(hours=24)
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class WindowSpec:
    """One protocol row: offsets are elapsed time after the anchor."""

    key: str
    label: str
    implication: str
    start_offset: timedelta
    end_offset: timedelta
    target_offset: timedelta | None = None


@dataclass(frozen=True)
class Window:
    """A window placed on the time line for one infusion (UTC instants)."""

    key: str
    label: str
    implication: str
    start: datetime
    end: datetime
    target: datetime | None

    @property
    def called(self) -> str:
        """The window in a sentence: "the {called}" reads "the Peak neuroplasticity window",
        and a label that ends in "window" (Neuroadaptive window) is not doubled."""
        return window_called(self.label)

    def fits(self, start: datetime, end: datetime) -> bool:
        """A session fits when it lies wholly inside: ``start <= s.start`` and ``s.end <= end``."""
        return self.start <= start and end <= self.end

    def score_minutes(self, start: datetime, end: datetime) -> float:
        """Lower is better: |midpoint − target|, or minutes after opening without a target."""
        if self.target is not None:
            midpoint = start + (end - start) / 2
            return abs((midpoint - self.target).total_seconds()) / 60
        return (start - self.start).total_seconds() / 60


@dataclass(frozen=True)
class Protocol:
    version: int
    anchor: Anchor
    windows: tuple[WindowSpec, ...]
    # after each infusion's end, the patient is under observation: nothing is booked then
    recovery: timedelta = DEFAULT_RECOVERY

    def window_spec(self, key: str) -> WindowSpec | None:
        return next((w for w in self.windows if w.key == key), None)

    def anchor_time(self, start: datetime, duration: timedelta) -> datetime:
        if start.tzinfo is None:
            raise ValueError("infusion start must be timezone-aware")
        start_utc = start.astimezone(UTC)
        return start_utc + duration if self.anchor == "end" else start_utc

    def windows_for(self, start: datetime, duration: timedelta) -> tuple[Window, ...]:
        """Each window as instants: anchor + offset, in elapsed time (UTC arithmetic)."""
        anchor = self.anchor_time(start, duration)
        return tuple(
            Window(
                key=spec.key,
                label=spec.label,
                implication=spec.implication,
                start=anchor + spec.start_offset,
                end=anchor + spec.end_offset,
                target=None if spec.target_offset is None else anchor + spec.target_offset,
            )
            for spec in self.windows
        )


def window_called(label: str) -> str:
    return label if label.lower().endswith("window") else f"{label} window"


def validate_recovery(recovery: timedelta) -> timedelta:
    """Refuse a recovery that is negative, longer than a day or not whole minutes."""
    if recovery < timedelta(0) or recovery > MAX_RECOVERY:
        raise ValidationFailed("recovery must be between PT0M and PT24H")
    if recovery % timedelta(minutes=1):
        raise ValidationFailed("recovery must be whole minutes")
    return recovery


def validate_windows(windows: Sequence[WindowSpec]) -> tuple[WindowSpec, ...]:
    """Refuse a protocol whose rows are empty, duplicated, unordered or mis-targeted."""
    if not windows:
        raise ValidationFailed("a protocol needs at least one window")
    seen: set[str] = set()
    for spec in windows:
        if not _KEY.match(spec.key):
            raise ValidationFailed(
                f"window key {spec.key!r} must be lower-case letters, digits and _ "
                "(starting with a letter, at most 40 characters)"
            )
        if spec.key in seen:
            raise ValidationFailed(f"window key {spec.key!r} appears twice; keys are unique")
        seen.add(spec.key)
        if not spec.label.strip():
            raise ValidationFailed(f"window {spec.key!r} needs a label")
        if spec.start_offset < timedelta(0):
            raise ValidationFailed(f"window {spec.key!r}: start_offset cannot be negative")
        if spec.end_offset <= spec.start_offset:
            raise ValidationFailed(f"window {spec.key!r}: end_offset must come after start_offset")
        if spec.end_offset > MAX_OFFSET:
            raise ValidationFailed(f"window {spec.key!r}: end_offset must be at most P366D")
        target = spec.target_offset
        if target is not None and not spec.start_offset <= target <= spec.end_offset:
            raise ValidationFailed(
                f"window {spec.key!r}: target_offset must lie inside the window "
                "(start_offset <= target_offset <= end_offset)"
            )
    return tuple(windows)


def _hours(n: int) -> timedelta:
    return timedelta(hours=n)


DEFAULT_WINDOWS: tuple[WindowSpec, ...] = (
    WindowSpec(
        "spinogenesis",
        "Elevated spinogenesis",
        "Window for enhanced neural remodeling",
        _hours(2),
        _hours(4),
    ),
    WindowSpec(
        "peak",
        "Peak neuroplasticity",
        "Cognitive training or rehabilitation fits here",
        _hours(3),
        _hours(5),
        _hours(4),
    ),
    WindowSpec(
        "plasticity",
        "Neuroadaptive window",
        "Time-sensitive intervention opportunity; closes by ~12 h",
        _hours(2),
        _hours(12),
    ),
    WindowSpec(
        "long_term",
        "Long-term synaptic density",
        "Sustained structural neurological recovery",
        timedelta(days=1),
        timedelta(days=28),
    ),
)
"""The clinic's own summary table (docs/rules.md#the-window-protocol): every new database's
protocol, version 1."""

DEFAULT_PROTOCOL = Protocol(version=1, anchor="end", windows=DEFAULT_WINDOWS)
