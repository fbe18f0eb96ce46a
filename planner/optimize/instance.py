"""The benchmark's JSON day and plan (``../shared/bench/README.md``), read into and written
from the optimizer's typed :class:`~planner.optimize.day.Day` and
:class:`~planner.optimize.plan.DayPlan`.

``read_instance`` checks the JSON's shape (``InstanceError`` says where, as a path such as
``therapists[2].working[0]``), parses instants (RFC 3339; without an offset, the instance
zone's wall time, refused when the clocks skip or repeat it) and ISO 8601 durations
(``planner.durations``), and gives the day's therapists, rooms and infusions integer ids,
keeping their JSON ids so that ``Instance.plan_json`` writes the plan with them. The
:class:`Day` checks its own rules (whole minutes, known windows and session types); its
refusals become ``InstanceError`` too.

Besides the README's format, an instance may carry the live-state extensions (the benchmark
instances have none of them):

- on a therapist: ``"booked": [[start, end], ...]``, existing active sessions (the buffer
  applies between them and new sessions), and ``"sessions_already": int``, counted towards
  ``max_sessions_per_day``;
- on a room: ``"booked": [[start, end], ...]``;
- top level ``"patients": [{"id": "p1", "booked": [[start, end], ...]}]``: times a patient is
  already busy (sessions, other infusions); every infusion of a patient also blocks them;
- top level ``"not_before": "<RFC 3339>"``: no session starts before this instant;
- an infusion's ``duration_minutes`` defaults to 40, a therapist's ``buffer_minutes`` to 0,
  ``max_sessions_per_day`` to no limit, ``grid_minutes`` to 5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.board import SessionKind
from planner.durations import parse_duration
from planner.errors import PlannerError, ValidationFailed
from planner.intervals import Interval
from planner.localtime import parse_instant
from planner.optimize import Solver, optimize
from planner.optimize.day import (
    Day,
    DayError,
    DayInfusion,
    DayPatient,
    DayRoom,
    DayTherapist,
)
from planner.optimize.plan import DayPlan
from planner.protocol import Protocol, WindowSpec

__all__ = ["Instance", "InstanceError", "plan_instance", "read_instance"]


class InstanceError(ValueError):
    """The instance is malformed; the message says where."""


@dataclass(frozen=True)
class Instance:
    """A benchmark day as a :class:`Day`, with the JSON ids behind its integer ids."""

    day: Day
    therapist_ids: tuple[str, ...]  # the JSON id of the Day's therapist n
    room_ids: tuple[str, ...]
    infusion_ids: tuple[str, ...]

    def plan_json(self, plan: DayPlan) -> dict[str, Any]:
        """The bench plan format (README), plus ``solver``, ``seconds`` and ``objective``."""
        return {
            "sessions": [
                {
                    "infusion_id": self.infusion_ids[s.infusion_id],
                    "session_type": s.session_type,
                    "therapist_id": self.therapist_ids[s.therapist_id],
                    "room_id": None if s.room_id is None else self.room_ids[s.room_id],
                    "start": s.start.isoformat(),
                }
                for s in plan.sessions
            ],
            "unplaced": [
                {
                    "infusion_id": self.infusion_ids[u.infusion_id],
                    "session_type": u.session_type,
                    "code": u.code,
                }
                for u in plan.unplaced
            ],
            "solver": plan.solver,
            "seconds": plan.seconds,
            "objective": {
                "placed": plan.objective.placed,
                "requested": plan.objective.requested,
                "deviation_minutes": plan.objective.deviation_minutes,
                "load_stdev": plan.objective.load_stdev,
            },
        }


def plan_instance(
    document: Mapping[str, Any], *, time_limit_s: float = 8.0, solver: Solver = "auto"
) -> dict[str, Any]:
    """Plan the benchmark day ``document``; the plan in the benchmark's format.

    Raises :class:`InstanceError` for a malformed instance (and what ``optimize`` raises).
    """
    instance = read_instance(document)
    plan = optimize(instance.day, time_limit_s=time_limit_s, solver=solver)
    return instance.plan_json(plan)


def read_instance(document: Mapping[str, Any]) -> Instance:
    """Validate the benchmark day ``document`` and read it into a :class:`Day`."""
    document = _object(document, "instance")
    zone = _zone(document)
    reader = _Reader(zone)
    therapists = [
        _object(t, f"therapists[{n}]")
        for n, t in enumerate(_list(_get(document, "therapists", "instance"), "therapists"))
    ]
    rooms = [
        _object(r, f"rooms[{n}]") for n, r in enumerate(_list(document.get("rooms", []), "rooms"))
    ]
    try:
        day = Day(
            date=_date(document),
            zone=zone,
            protocol=_protocol(document),
            session_types=_session_types(document),
            therapists=tuple(reader.therapist(n, t) for n, t in enumerate(therapists)),
            rooms=tuple(reader.room(n, r) for n, r in enumerate(rooms)),
            patients=reader.patients(_list(document.get("patients", []), "patients")),
            infusions=reader.infusions(_list(_get(document, "infusions", "instance"), "infusions")),
            grid_minutes=_int(document.get("grid_minutes", 5), "grid_minutes"),
            not_before=reader.not_before(document.get("not_before")),
        )
    except DayError as exc:
        raise InstanceError(str(exc)) from None
    therapist_ids = tuple(str(_get(t, "id", f"therapists[{n}]")) for n, t in enumerate(therapists))
    room_ids = tuple(str(_get(r, "id", f"rooms[{n}]")) for n, r in enumerate(rooms))
    return Instance(day, therapist_ids, room_ids, tuple(reader.infusion_ids))


# --- JSON shapes ------------------------------------------------------------------------------


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InstanceError(f"{where}: expected an object")
    return value


def _get(fields: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in fields:
        raise InstanceError(f"{where}: missing {key!r}")
    return fields[key]


def _list(value: object, where: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise InstanceError(f"{where}: expected a list")
    return value


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InstanceError(f"{where}: expected an integer, got {value!r}")
    return value


def _minutes(value: object, where: str) -> timedelta:
    return timedelta(minutes=_int(value, where))


def _duration(value: object, where: str) -> timedelta:
    if not isinstance(value, str):
        raise InstanceError(f"{where}: expected an ISO 8601 duration such as PT2H, got {value!r}")
    try:
        return parse_duration(value)
    except ValidationFailed as exc:
        raise InstanceError(f"{where}: {exc.detail}") from None


# --- the day's parts --------------------------------------------------------------------------


def _zone(document: Mapping[str, Any]) -> ZoneInfo:
    name = _get(document, "timezone", "instance")
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InstanceError(f"instance: unknown time zone {name!r}") from None


def _date(document: Mapping[str, Any]) -> date:
    text = _get(document, "date", "instance")
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise InstanceError(f"instance: date {text!r} is not YYYY-MM-DD") from None


def _protocol(document: Mapping[str, Any]) -> Protocol:
    """The benchmark's protocol has no version nor labels: version 0, windows named by key."""
    protocol = _object(_get(document, "protocol", "instance"), "protocol")
    anchor = _get(protocol, "anchor", "protocol")
    if anchor not in ("start", "end"):
        raise InstanceError(f"protocol.anchor: expected 'start' or 'end', got {anchor!r}")
    windows = _list(_get(protocol, "windows", "protocol"), "protocol.windows")
    return Protocol(
        version=0,
        anchor=anchor,
        windows=tuple(_window(w, f"protocol.windows[{n}]") for n, w in enumerate(windows)),
    )


def _window(value: object, where: str) -> WindowSpec:
    window = _object(value, where)
    key = str(_get(window, "key", where))
    target = window.get("target_offset")
    return WindowSpec(
        key=key,
        label=key,
        implication="",
        start_offset=_duration(_get(window, "start_offset", where), where),
        end_offset=_duration(_get(window, "end_offset", where), where),
        target_offset=None if target is None else _duration(target, where),
    )


def _session_types(document: Mapping[str, Any]) -> tuple[SessionKind, ...]:
    kinds = _list(_get(document, "session_types", "instance"), "session_types")
    return tuple(_session_type(kind, f"session_types[{n}]") for n, kind in enumerate(kinds))


def _session_type(value: object, where: str) -> SessionKind:
    kind = _object(value, where)
    room_kind = kind.get("room_kind")
    return SessionKind(
        key=str(_get(kind, "key", where)),
        duration=_minutes(_get(kind, "duration_minutes", where), f"{where}.duration_minutes"),
        discipline=str(_get(kind, "discipline", where)),
        window=str(_get(kind, "window", where)),
        room_kind=None if room_kind is None else str(room_kind),
    )


class _Reader:
    """The parts of the day with instants (in ``zone`` when without offset) and with ids."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.infusion_ids: list[str] = []  # the JSON id of infusion n
        self._infusions: dict[str, int] = {}
        self._patients: dict[str, int] = {}

    def instant(self, value: object, where: str) -> datetime:
        if not isinstance(value, str):
            raise InstanceError(f"{where}: expected an RFC 3339 datetime, got {value!r}")
        try:
            return parse_instant(value, self.zone, field=where)
        except ValidationFailed as exc:  # its message names ``where`` already
            raise InstanceError(exc.detail) from None
        except PlannerError as exc:  # a wall time the clocks skip or repeat
            raise InstanceError(f"{where}: {exc.detail}") from None

    def intervals(self, value: object, where: str) -> tuple[Interval, ...]:
        out: list[Interval] = []
        for n, pair in enumerate(_list(value, where)):
            at = f"{where}[{n}]"
            if len(_list(pair, at)) != 2:
                raise InstanceError(f"{at}: expected [start, end]")
            start, end = self.instant(pair[0], at), self.instant(pair[1], at)
            if end < start:
                raise InstanceError(f"{at}: ends before it starts")
            out.append(Interval(start, end))
        return tuple(out)

    def not_before(self, value: object) -> datetime | None:
        return None if value is None else self.instant(value, "not_before")

    def therapist(self, n: int, therapist: Mapping[str, Any]) -> DayTherapist:
        where = f"therapists[{n}]"
        disciplines = _list(_get(therapist, "disciplines", where), f"{where}.disciplines")
        limit = therapist.get("max_sessions_per_day")
        buffer = therapist.get("buffer_minutes", 0) or 0
        return DayTherapist(
            id=n,
            disciplines=frozenset(str(d) for d in disciplines),
            working=self.intervals(_get(therapist, "working", where), f"{where}.working"),
            buffer=_minutes(buffer, f"{where}.buffer_minutes"),
            daily_limit=None if limit is None else _int(limit, f"{where}.max_sessions_per_day"),
            booked=self.intervals(therapist.get("booked", []), f"{where}.booked"),
            sessions_already=_int(
                therapist.get("sessions_already", 0), f"{where}.sessions_already"
            ),
        )

    def room(self, n: int, room: Mapping[str, Any]) -> DayRoom:
        where = f"rooms[{n}]"
        booked = self.intervals(room.get("booked", []), f"{where}.booked")
        return DayRoom(id=n, kind=str(_get(room, "kind", where)), booked=booked)

    def patients(self, patients: Sequence[Any]) -> tuple[DayPatient, ...]:
        out: list[DayPatient] = []
        for n, value in enumerate(patients):
            where = f"patients[{n}]"
            patient = _object(value, where)
            ident = self._patient(_get(patient, "id", where))
            booked = self.intervals(patient.get("booked", []), f"{where}.booked")
            out.append(DayPatient(id=ident, booked=booked))
        return tuple(out)

    def infusions(self, infusions: Sequence[Any]) -> tuple[DayInfusion, ...]:
        return tuple(self._infusion(value, f"infusions[{n}]") for n, value in enumerate(infusions))

    def _infusion(self, value: object, where: str) -> DayInfusion:
        infusion = _object(value, where)
        json_id = str(_get(infusion, "id", where))
        if json_id not in self._infusions:
            self._infusions[json_id] = len(self.infusion_ids)
            self.infusion_ids.append(json_id)
        care_plan = _list(infusion.get("care_plan", []), f"{where}.care_plan")
        duration = infusion.get("duration_minutes", 40)
        return DayInfusion(
            id=self._infusions[json_id],
            patient_id=self._patient(_get(infusion, "patient_id", where)),
            start=self.instant(_get(infusion, "start", where), f"{where}.start"),
            duration=_minutes(duration, f"{where}.duration_minutes"),
            care_plan=tuple(str(key) for key in care_plan),
        )

    def _patient(self, json_id: object) -> int:
        return self._patients.setdefault(str(json_id), len(self._patients))
