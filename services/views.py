"""Read models: what the use cases answer, typed, in the clinic's local time.

Every datetime here is aware and already on the clinic's clock (``astimezone(zone)``), so the
API only formats it (RFC 3339 with the clinic's offset) and the pages only print it. Statuses
are the domain's enums; durations are ``timedelta``. Nothing here knows HTTP or HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from models.tables import Infusion, Patient, Room, SessionType, Therapist, TherapySession, TimeOff
from planner.board import Placement
from planner.intervals import Interval
from planner.protocol import Anchor, Protocol, Window
from planner.sessions import UNDO_WINDOW, InfusionStatus, SessionStatus


def local(instant: datetime, zone: ZoneInfo) -> datetime:
    """``instant`` on the clinic's clock, with the fixed UTC offset it has there and then.

    A fixed offset, not the zone itself: Python subtracts, adds and orders two datetimes of
    the same zone by their wall clocks, which is an hour off across the night the clocks go
    back. With fixed offsets all arithmetic is elapsed time, and the value still prints as
    the clinic's wall time with its offset (RFC 3339: ``2026-11-01T01:30:00-04:00``).
    """
    on_clock = instant.astimezone(zone)
    offset = on_clock.utcoffset()
    assert offset is not None
    return on_clock.replace(tzinfo=timezone(offset))


def local_window(window: Window, zone: ZoneInfo) -> Window:
    return replace(
        window,
        start=local(window.start, zone),
        end=local(window.end, zone),
        target=local(window.target, zone) if window.target else None,
    )


def local_interval(piece: Interval, zone: ZoneInfo) -> Interval:
    return Interval(local(piece.start, zone), local(piece.end, zone))


@dataclass(frozen=True)
class ClinicView:
    name: str
    timezone: str
    max_wait_minutes: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class WindowsPreview:
    anchor_time: datetime
    protocol_version: int
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class WorkingHoursView:
    """One working-hours entry, as the clinic wrote it (answered as sent)."""

    rrule: str
    start: str
    end: str
    valid_from: str | None = None
    valid_until: str | None = None


@dataclass(frozen=True)
class TherapistView:
    id: int
    name: str
    disciplines: tuple[str, ...]
    working_hours: tuple[WorkingHoursView, ...]
    buffer_minutes: int
    max_sessions_per_day: int | None


def therapist_view(row: Therapist) -> TherapistView:
    return TherapistView(
        id=row.id,
        name=row.name,
        disciplines=tuple(row.disciplines),
        working_hours=tuple(WorkingHoursView(**entry) for entry in row.working_hours),
        buffer_minutes=row.buffer_minutes,
        max_sessions_per_day=row.max_sessions_per_day,
    )


@dataclass(frozen=True)
class TimeOffView:
    id: int
    therapist_id: int
    start: datetime
    end: datetime
    reason: str


def time_off_view(row: TimeOff, zone: ZoneInfo) -> TimeOffView:
    return TimeOffView(
        row.id, row.therapist_id, local(row.start, zone), local(row.end, zone), row.reason
    )


@dataclass(frozen=True)
class RoomView:
    id: int
    name: str
    kind: str


def room_view(row: Room) -> RoomView:
    return RoomView(row.id, row.name, row.kind)


@dataclass(frozen=True)
class SessionTypeView:
    id: int
    key: str
    name: str
    duration_minutes: int
    discipline: str
    window: str
    room_kind: str | None
    modality: str = "on_site"


def session_type_view(row: SessionType) -> SessionTypeView:
    return SessionTypeView(
        row.id,
        row.key,
        row.name,
        row.duration_minutes,
        row.discipline,
        row.window,
        row.room_kind,
        row.modality,
    )


@dataclass(frozen=True)
class PatientView:
    id: int
    name: str
    mrn: str | None

    @property
    def label(self) -> str:
        return f"{self.name} · {self.mrn}" if self.mrn else self.name


def patient_view(row: Patient) -> PatientView:
    return PatientView(row.id, row.name, row.mrn)


@dataclass(frozen=True)
class SessionView:
    id: int
    infusion_id: int
    patient_id: int
    patient_name: str | None
    session_type: str
    therapist_id: int
    room_id: int | None
    start: datetime
    end: datetime
    status: SessionStatus
    window: str
    outside_window: bool
    override_reason: str | None = None
    cancel_reason: str | None = None
    previous_status: SessionStatus | None = None
    status_changed_at: datetime | None = None
    undo_until: datetime | None = None  # until when the last status change may be undone


def session_view(row: TherapySession, zone: ZoneInfo, patient_name: str | None) -> SessionView:
    return SessionView(
        id=row.id,
        infusion_id=row.infusion_id,
        patient_id=row.patient_id,
        patient_name=patient_name,
        session_type=row.session_type,
        therapist_id=row.therapist_id,
        room_id=row.room_id,
        start=local(row.start, zone),
        end=local(row.end, zone),
        status=row.status,
        window=row.window,
        outside_window=row.outside_window,
        override_reason=row.override_reason,
        cancel_reason=row.cancel_reason,
        previous_status=row.previous_status,
        status_changed_at=local(row.status_changed_at, zone) if row.status_changed_at else None,
        undo_until=local(row.status_changed_at + UNDO_WINDOW, zone)
        if row.status_changed_at and row.previous_status
        else None,
    )


@dataclass(frozen=True)
class Unplaced:
    """A session type the planner could not place, with the code of the rule that blocked it."""

    session_type: str
    code: str
    detail: str = ""


@dataclass(frozen=True)
class InfusionView:
    id: int
    patient_id: int
    start: datetime
    end: datetime
    duration_minutes: int
    protocol_version: int
    anchor: Anchor
    status: InfusionStatus
    care_plan: tuple[str, ...]
    cancel_reason: str | None
    windows: tuple[Window, ...]
    sessions: tuple[SessionView, ...]
    recovery_end: datetime  # under observation from ``end`` until then
    unplaced: tuple[Unplaced, ...] | None = None
    patient_name: str | None = None
    chair_id: int | None = None  # the infusion chair held until ``recovery_end``
    chair_name: str | None = None
    course_id: int | None = None  # the course of infusions it belongs to

    def window(self, key: str) -> Window | None:
        return next((w for w in self.windows if w.key == key), None)


def infusion_view(
    row: Infusion,
    protocol: Protocol,
    sessions: tuple[SessionView, ...],
    zone: ZoneInfo,
    patient_name: str | None = None,
    chair_name: str | None = None,
) -> InfusionView:
    windows = protocol.windows_for(row.start, timedelta(minutes=row.duration_minutes))
    return InfusionView(
        id=row.id,
        patient_id=row.patient_id,
        start=local(row.start, zone),
        end=local(row.end, zone),
        duration_minutes=row.duration_minutes,
        protocol_version=row.protocol_version,
        anchor=protocol.anchor,
        status=row.status,
        care_plan=tuple(row.care_plan),
        cancel_reason=row.cancel_reason,
        windows=tuple(local_window(w, zone) for w in windows),
        sessions=sessions,
        recovery_end=local(row.end + protocol.recovery, zone),
        patient_name=patient_name,
        chair_id=row.chair_id,
        chair_name=chair_name,
        course_id=row.course_id,
    )


def slot_view(placement: Placement, zone: ZoneInfo) -> Placement:
    """A bookable slot, on the clinic's clock."""
    return replace(placement, start=local(placement.start, zone), end=local(placement.end, zone))


@dataclass(frozen=True)
class TherapistDayView:
    """A therapist's local day: working time, every session (any status) and free time."""

    date: date
    timezone: str
    therapist: TherapistView
    working: tuple[Interval, ...]
    sessions: tuple[SessionView, ...]
    free: tuple[Interval, ...]


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    role: str
    therapist_id: int | None
    disabled: bool = False


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime | None


@dataclass(frozen=True)
class NewUserView:
    user: UserView
    token: IssuedToken


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor_id: int | None
    actor: str | None
    role: str | None
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    related: list[Any] | None
    outcome: str
    request_id: str | None
    client_address: str | None
    changes: tuple[tuple[str, Any, Any], ...] = field(default=())
