"""The clinic's tables. Every instant is a ``UTCDateTime``; lists are JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from models.types import EnumText, UTCDateTime
from planner.sessions import InfusionStatus, SessionStatus


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Clinic(Base):
    __tablename__ = "clinic"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # the longest a patient may wait between consecutive on-site items of a day, when the
    # planner places a care plan (None: no cap)
    max_wait_minutes: Mapped[int | None] = mapped_column(Integer)
    # bumped by the database itself (triggers, migration 0011) whenever the clinic, its
    # protocol, therapists, their time off, rooms or session types change: reading units of
    # work keep those between transactions while it reads the same (models/reference.py)
    reference_version: Mapped[int] = mapped_column(BigInteger, server_default="0")


class ProtocolVersion(Base):
    __tablename__ = "protocol_versions"
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    anchor: Mapped[str] = mapped_column(String(8))
    windows: Mapped[list[Any]] = mapped_column(JSON)
    recovery: Mapped[str] = mapped_column(String(32), server_default="PT1H")  # ISO 8601
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("therapists.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


class Therapist(Base):
    __tablename__ = "therapists"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    disciplines: Mapped[list[Any]] = mapped_column(JSON)
    working_hours: Mapped[list[Any]] = mapped_column(JSON)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    max_sessions_per_day: Mapped[int | None] = mapped_column(Integer)


class TimeOff(Base):
    __tablename__ = "time_off"
    __table_args__ = (Index("ix_time_off_therapist_start", "therapist_id", "start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapists.id"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")


class Room(Base):
    __tablename__ = "rooms"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64), index=True)


class SessionType(Base):
    __tablename__ = "session_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    discipline: Mapped[str] = mapped_column(String(64))
    window: Mapped[str] = mapped_column(String(40))
    room_kind: Mapped[str | None] = mapped_column(String(64))
    modality: Mapped[str] = mapped_column(String(16), server_default="on_site")


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    mrn: Mapped[str | None] = mapped_column(String(64), unique=True)


class Course(Base):
    """A course of infusions for one patient (``FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6``): each
    occurrence at the first one's wall time, moved within ``tolerance_minutes`` when that
    places more of its care plan."""

    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    rrule: Mapped[str] = mapped_column(String(300))
    first_start: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    tolerance_minutes: Mapped[int] = mapped_column(Integer)
    care_plan: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class Infusion(Base):
    __tablename__ = "infusions"
    __table_args__ = (
        Index("ix_infusions_patient_start", "patient_id", "start"),
        Index("ix_infusions_start", "start"),
        Index("ix_infusions_chair_start", "chair_id", "start"),
        Index("ix_infusions_course", "course_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    protocol_version: Mapped[int] = mapped_column(ForeignKey("protocol_versions.version"))
    status: Mapped[InfusionStatus] = mapped_column(
        EnumText(InfusionStatus), default=InfusionStatus.scheduled
    )
    care_plan: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    # the infusion chair it holds from ``start`` until ``chair_until`` (its recovery's end);
    # None: the clinic has no chairs (on PostgreSQL an exclusion constraint keeps holds apart)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    chair_until: Mapped[datetime | None]
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))


class TherapySession(Base):
    """A booked rehab, training or therapy session (table ``sessions``)."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_therapist_start", "therapist_id", "start"),
        Index("ix_sessions_patient_start", "patient_id", "start"),
        Index("ix_sessions_room_start", "room_id", "start"),
        Index("ix_sessions_infusion", "infusion_id"),
        Index("ix_sessions_start", "start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    infusion_id: Mapped[int] = mapped_column(ForeignKey("infusions.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    session_type: Mapped[str] = mapped_column(ForeignKey("session_types.key"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapists.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    status: Mapped[SessionStatus] = mapped_column(
        EnumText(SessionStatus), default=SessionStatus.booked
    )
    # the status before the last change, and when it changed (a recent change can be undone)
    previous_status: Mapped[SessionStatus | None] = mapped_column(EnumText(SessionStatus))
    status_changed_at: Mapped[datetime | None]
    window: Mapped[str] = mapped_column(String(40))
    outside_window: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # iCalendar's SEQUENCE: grows with every change a calendar app must show (below)
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CalendarFeed(Base):
    """A secret calendar URL of a therapist or a room; its token is kept only as a hash."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        Index(
            "ux_calendar_feeds_live_owner",
            "owner_kind",
            "owner_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(Integer)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None]


class IdempotencyKey(Base):
    """A POST's ``Idempotency-Key``, kept with the caller and the first answer for 24 h."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ux_idempotency_user_key", "user_id", "key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginAttempt(Base):
    """A failed password login, kept to slow and then refuse guessing (by user and address)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class AuditEntry(Base):
    """Who changed what, when: append-only (the database refuses UPDATE and DELETE)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_entity", "entity", "entity_id"),
        Index("ix_audit_actor", "actor_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    related: Mapped[list[Any] | None] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))


CALENDAR_FIELDS = ("start", "end", "therapist_id", "room_id", "status")


@event.listens_for(TherapySession, "before_update")
def _next_sequence(_mapper: Any, _connection: Any, row: TherapySession) -> None:
    """A move, a new therapist or room, or a new status grows the session's ``sequence``:
    calendar apps take an event with a higher SEQUENCE as the newer one (RFC 5545)."""
    state = inspect(row)
    if any(state.attrs[name].history.has_changes() for name in CALENDAR_FIELDS):
        row.sequence = (row.sequence or 0) + 1
