"""Commands: what a use case is asked to do, in the domain's own types, checked on creation.

A ``datetime`` without an offset is the clinic's wall time (resolved by the use case, which
knows the clinic's zone; a wall time that does not exist or happens twice is refused there);
one with an offset is an instant. Dates are the clinic's local dates. The API and the pages
build these from what they receive; each command checks its own fields against
``services.limits`` so both edges refuse the same values with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from planner.errors import ValidationFailed
from planner.facts import MODALITIES
from planner.protocol import DEFAULT_RECOVERY, Anchor, WindowSpec
from planner.roles import Role
from planner.sessions import SessionStatus
from services import limits


def _set(command: object, name: str, value: object) -> None:
    object.__setattr__(command, name, value)


@dataclass(frozen=True)
class ClinicSettings:
    name: str
    timezone: str
    max_wait_minutes: int | None = None

    def __post_init__(self) -> None:
        if self.max_wait_minutes is not None:
            limits.number(self.max_wait_minutes, "max_wait_minutes", (0, 720))
        _set(self, "name", limits.text(self.name, "name", most=limits.NAME_MAX, least=1))
        limits.text(self.timezone, "timezone", most=limits.TIMEZONE_MAX, least=1)


@dataclass(frozen=True)
class NewProtocol:
    anchor: Anchor
    windows: tuple[WindowSpec, ...]
    recovery: timedelta = DEFAULT_RECOVERY

    def __post_init__(self) -> None:
        if self.anchor not in ("end", "start"):
            raise ValidationFailed("anchor: 'end' (the infusion's end) or 'start'")
        limits.count(self.windows, "windows", limits.WINDOWS_MAX, least=1)


@dataclass(frozen=True)
class NewTherapist:
    name: str
    disciplines: tuple[str, ...]
    working_hours: tuple[dict[str, str], ...] = ()  # as sent: rrule, start, end, valid_*
    buffer_minutes: int = 0
    max_sessions_per_day: int | None = None

    def __post_init__(self) -> None:
        _set(self, "name", limits.text(self.name, "name", most=limits.NAME_MAX, least=1))
        _check_disciplines(self.disciplines)
        limits.count(self.working_hours, "working_hours", limits.WORKING_HOURS_MAX)
        limits.number(self.buffer_minutes, "buffer_minutes", limits.BUFFER_MINUTES)
        if self.max_sessions_per_day is not None:
            limits.number(self.max_sessions_per_day, "max_sessions_per_day", limits.DAILY_LIMIT)


def _check_disciplines(disciplines: tuple[str, ...]) -> None:
    limits.count(disciplines, "disciplines", limits.DISCIPLINES_MAX, least=1)
    for value in disciplines:
        limits.key(value, "disciplines")


@dataclass(frozen=True)
class TherapistChanges:
    """Only the fields given change (``max_sessions_per_day`` may be set back to None)."""

    fields: dict[str, Any]

    def __post_init__(self) -> None:
        given = self.fields
        if given.get("name") is not None:
            given["name"] = limits.text(given["name"], "name", most=limits.NAME_MAX, least=1)
        if given.get("disciplines") is not None:
            _check_disciplines(tuple(given["disciplines"]))
        if given.get("buffer_minutes") is not None:
            limits.number(given["buffer_minutes"], "buffer_minutes", limits.BUFFER_MINUTES)
        if given.get("max_sessions_per_day") is not None:
            limits.number(given["max_sessions_per_day"], "max_sessions_per_day", limits.DAILY_LIMIT)


@dataclass(frozen=True)
class NewTimeOff:
    start: datetime
    end: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        _set(self, "reason", limits.text(self.reason, "reason", most=limits.REASON_MAX))


@dataclass(frozen=True)
class NewRoom:
    name: str
    kind: str

    def __post_init__(self) -> None:
        _set(self, "name", limits.text(self.name, "name", most=limits.NAME_MAX, least=1))
        _set(self, "kind", limits.text(self.kind, "kind", most=limits.LABEL_MAX, least=1))


@dataclass(frozen=True)
class NewSessionType:
    key: str
    name: str
    duration_minutes: int
    discipline: str
    window: str
    room_kind: str | None = None
    modality: str = "on_site"

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValidationFailed("modality: 'on_site' or 'telehealth'")
        limits.key(self.key, "key")
        _set(self, "name", limits.text(self.name, "name", most=limits.NAME_MAX, least=1))
        limits.number(self.duration_minutes, "duration_minutes", limits.SESSION_TYPE_MINUTES)
        limits.key(self.discipline, "discipline")
        limits.key(self.window, "window")
        if self.room_kind is not None:
            kind = limits.text(self.room_kind, "room_kind", most=limits.LABEL_MAX, least=1)
            _set(self, "room_kind", kind)


@dataclass(frozen=True)
class NewPatient:
    name: str
    mrn: str | None = None

    def __post_init__(self) -> None:
        _set(self, "name", limits.text(self.name, "name", most=limits.NAME_MAX, least=1))
        _set(self, "mrn", limits.optional_text(self.mrn, "mrn", most=limits.MRN_MAX))


@dataclass(frozen=True)
class RecordInfusion:
    patient_id: int
    start: datetime
    duration_minutes: int = 40
    care_plan: tuple[str, ...] = ()
    auto_book: bool = False
    chair_id: int | None = None  # None: the first free chair (when the clinic has chairs)

    def __post_init__(self) -> None:
        limits.number(self.duration_minutes, "duration_minutes", limits.INFUSION_MINUTES)
        limits.count(self.care_plan, "care_plan", limits.CARE_PLAN_MAX)
        for key in self.care_plan:
            limits.key(key, "care_plan")


@dataclass(frozen=True)
class PlanCourse:
    """A course of infusions for one patient: ``start`` is the first infusion's wall time
    (naive) or instant; later ones keep its wall time on the RRULE's dates."""

    rrule: str
    start: datetime
    duration_minutes: int = 40
    care_plan: tuple[str, ...] = ()
    tolerance_minutes: int = 0
    commit: bool = False

    def __post_init__(self) -> None:
        limits.text(self.rrule, "rrule", most=300)
        limits.number(self.duration_minutes, "duration_minutes", limits.INFUSION_MINUTES)
        limits.count(self.care_plan, "care_plan", limits.CARE_PLAN_MAX)
        for key in self.care_plan:
            limits.key(key, "care_plan")


@dataclass(frozen=True)
class MoveInfusion:
    start: datetime | None = None
    duration_minutes: int | None = None
    chair_id: int | None = None  # None: its chair if still free, else the first free one

    def __post_init__(self) -> None:
        if self.duration_minutes is not None:
            limits.number(self.duration_minutes, "duration_minutes", limits.INFUSION_MINUTES)


@dataclass(frozen=True)
class BookSession:
    infusion_id: int
    session_type: str
    start: datetime
    therapist_id: int | None = None
    room_id: int | None = None
    override_reason: str | None = None

    def __post_init__(self) -> None:
        limits.key(self.session_type, "session_type")
        reason = limits.optional_text(self.override_reason, "override_reason", most=500)
        if self.override_reason is not None and reason is None:
            raise ValidationFailed("override_reason: say why the session goes outside its window")
        _set(self, "override_reason", reason)


@dataclass(frozen=True)
class MoveSession:
    start: datetime | None = None
    therapist_id: int | None = None
    override_reason: str | None = None

    def __post_init__(self) -> None:
        reason = limits.optional_text(self.override_reason, "override_reason", most=500)
        _set(self, "override_reason", reason)


@dataclass(frozen=True)
class ChangeStatus:
    status: SessionStatus


@dataclass(frozen=True)
class PlanCarePlan:
    session_types: tuple[str, ...] | None = None  # None: the items not booked yet
    commit: bool = False

    def __post_init__(self) -> None:
        if self.session_types is not None:
            limits.count(self.session_types, "session_types", limits.CARE_PLAN_MAX)
            for key in self.session_types:
                limits.key(key, "session_types")


@dataclass(frozen=True)
class BookFollowUps:
    session_type: str
    rrule: str
    start: datetime
    therapist_id: int | None = None
    tolerance_minutes: int = 0

    def __post_init__(self) -> None:
        limits.key(self.session_type, "session_type")
        limits.text(self.rrule, "rrule", most=limits.FOLLOW_UP_RRULE_MAX, least=1)
        limits.number(self.tolerance_minutes, "tolerance_minutes", limits.TOLERANCE_MINUTES)


@dataclass(frozen=True)
class PlanDay:
    day: date
    commit: bool = False
    time_limit_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not 0 < self.time_limit_seconds <= limits.PLAN_SECONDS_MAX:
            raise ValidationFailed(
                f"time_limit_seconds: more than 0 and at most {limits.PLAN_SECONDS_MAX:g}"
            )


@dataclass(frozen=True)
class NewUser:
    username: str
    role: str
    therapist_id: int | None = None
    password: str | None = None

    def __post_init__(self) -> None:
        limits.username(self.username)
        if self.role not in Role.__members__:
            raise ValidationFailed("role: admin, scheduler or therapist")
        if self.password is not None:
            _check_password(self.password)


def _check_password(password: str) -> None:
    if not limits.PASSWORD_MIN <= len(password) <= limits.PASSWORD_MAX:
        raise ValidationFailed(
            f"password: {limits.PASSWORD_MIN} to {limits.PASSWORD_MAX} characters"
        )


@dataclass(frozen=True)
class UserChanges:
    disabled: bool | None = None
    password: str | None = None

    def __post_init__(self) -> None:
        if self.password is not None:
            _check_password(self.password)


@dataclass(frozen=True)
class AuditQuery:
    since: datetime | None = None
    entity: str | None = None
    actor: str | None = None
    newest_first: bool = False


@dataclass(frozen=True)
class ProposedSession:
    """One session of a previewed day plan, as the preview showed it."""

    infusion_id: int
    session_type: str
    therapist_id: int
    room_id: int | None
    start: datetime

    def __post_init__(self) -> None:
        limits.key(self.session_type, "session_type")


@dataclass(frozen=True)
class BookDayPlan:
    """Book exactly the previewed plan of a day, or nothing."""

    day: date
    sessions: tuple[ProposedSession, ...]

    def __post_init__(self) -> None:
        limits.count(self.sessions, "sessions", limits.DAY_PLAN_MAX, least=1)
