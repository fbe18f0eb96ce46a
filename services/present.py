"""Turn domain values into answer bodies, in the clinic's offset (SPEC §3)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from api.schemas.clinic import WindowPublic, WindowsPublic
from api.schemas.people import TherapistPublic, TimeOffPublic, WorkingHoursPublic
from models.tables import Therapist, TimeOff
from planner.localtime import to_clinic
from planner.protocol import Window


def window_public(window: Window, zone: ZoneInfo) -> WindowPublic:
    return WindowPublic(
        key=window.key,
        label=window.label,
        implication=window.implication,
        start=to_clinic(window.start, zone),
        end=to_clinic(window.end, zone),
        target=to_clinic(window.target, zone) if window.target else None,
    )


def windows_public(
    anchor_time: datetime, version: int, windows: tuple[Window, ...], zone: ZoneInfo
) -> WindowsPublic:
    return WindowsPublic(
        anchor_time=to_clinic(anchor_time, zone),
        protocol_version=version,
        windows=[window_public(w, zone) for w in windows],
    )


def therapist_public(row: Therapist) -> TherapistPublic:
    return TherapistPublic(
        id=row.id,
        name=row.name,
        disciplines=list(row.disciplines),
        working_hours=[WorkingHoursPublic(**entry) for entry in row.working_hours],
        buffer_minutes=row.buffer_minutes,
        max_sessions_per_day=row.max_sessions_per_day,
    )


def time_off_public(row: TimeOff, zone: ZoneInfo) -> TimeOffPublic:
    return TimeOffPublic(
        id=row.id,
        therapist_id=row.therapist_id,
        start=to_clinic(row.start, zone),
        end=to_clinic(row.end, zone),
        reason=row.reason,
    )
