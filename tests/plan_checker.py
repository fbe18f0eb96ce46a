"""An independent checker of day plans in the benchmark format, for the optimizer tests.

It shares no code with ``planner`` (nor with the benchmark's ``check.py``): it reads the
instance and the plan as plain JSON and applies the booking rules (docs/rules.md) as the
benchmark README lists them, plus the optimizer's live-state extensions (booked time of
therapists, rooms and patients, ``sessions_already``, ``not_before``; see
``planner/optimize/__init__.py``):

- each (infusion, session type) of a care plan placed at most once; nothing else placed;
- the session lies wholly inside its window (offsets from the anchor: the infusion's start
  or end);
- it starts on the ``grid_minutes`` marks of the local wall clock, counted from midnight;
- the therapist has the discipline and works the whole session;
- a therapist's sessions (and booked time) are at least ``buffer_minutes`` apart;
- a patient's sessions never overlap each other, the patient's infusions or booked time;
- a room of the right kind where the type needs one; a room's sessions (and booked time)
  never overlap;
- ``max_sessions_per_day`` respected (``sessions_already`` counted);
- when the plan lists ``unplaced`` items: every requested item is answered exactly once,
  each unplaced one with a known code.

``check`` answers ``{"valid", "violations", "placed", "requested", "deviation_minutes",
"load_stdev"}``, the score as the README defines it.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

CODES = {
    "no_slot",
    "in_the_past",
    "discipline_mismatch",
    "therapist_unavailable",
    "therapist_busy",
    "patient_busy",
    "room_unavailable",
    "daily_limit",
}
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")

Span = tuple[datetime, datetime, str, bool]  # start, end, what, whether a planned session


def duration(text: str) -> timedelta:
    match = _ISO_DURATION.match(text)
    if match is None:
        raise ValueError(f"not a duration this checker reads: {text!r}")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


class _Day:
    """The instance, read once: its zone, types, windows, therapists, rooms, infusions."""

    def __init__(self, instance: dict[str, Any]) -> None:
        self.zone = ZoneInfo(instance["timezone"])
        self.grid = instance.get("grid_minutes", 5)
        self.types = {t["key"]: t for t in instance["session_types"]}
        self.windows = {w["key"]: w for w in instance["protocol"]["windows"]}
        self.anchor_at_start = instance["protocol"]["anchor"] == "start"
        self.therapists = {t["id"]: t for t in instance["therapists"]}
        self.rooms = {r["id"]: r for r in instance.get("rooms", [])}
        self.infusions = {i["id"]: i for i in instance["infusions"]}
        self.patients = instance.get("patients", [])
        not_before = instance.get("not_before")
        self.not_before = None if not_before is None else self.instant(not_before)
        self.requested = {
            (i["id"], key) for i in instance["infusions"] for key in i.get("care_plan", [])
        }

    def instant(self, text: str) -> datetime:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def spans(self, pairs: list[list[str]], what: str) -> list[Span]:
        return [(self.instant(a), self.instant(b), what, False) for a, b in pairs]

    def infusion_span(self, infusion: dict[str, Any]) -> tuple[datetime, datetime]:
        start = self.instant(infusion["start"])
        return start, start + timedelta(minutes=infusion.get("duration_minutes", 40))

    def window(
        self, infusion: dict[str, Any], key: str
    ) -> tuple[datetime, datetime, datetime | None]:
        start, end = self.infusion_span(infusion)
        anchor = start if self.anchor_at_start else end
        w = self.windows[key]
        target = w.get("target_offset")
        return (
            anchor + duration(w["start_offset"]),
            anchor + duration(w["end_offset"]),
            None if target is None else anchor + duration(target),
        )


def check(instance: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    day = _Day(instance)
    violations: list[str] = []
    by_therapist: dict[str, list[Span]] = defaultdict(list)
    by_patient: dict[str, list[Span]] = defaultdict(list)
    by_room: dict[str, list[Span]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    deviation = 0.0
    for session in plan.get("sessions", []):
        key = (session.get("infusion_id"), session.get("session_type"))
        where = f"{key[0]}/{key[1]}"
        if key not in day.requested:
            violations.append(f"{where}: not requested")
            continue
        if key in seen:
            violations.append(f"{where}: placed twice")
            continue
        seen.add(key)
        start = datetime.fromisoformat(session["start"])
        if start.tzinfo is None:
            violations.append(f"{where}: start has no UTC offset")
            continue
        kind = day.types[key[1]]
        end = start + timedelta(minutes=kind["duration_minutes"])
        infusion = day.infusions[key[0]]
        violations += _time_rules(day, infusion, kind, start, end, where)
        deviation += _deviation(day, infusion, kind, start, end)
        violations += _therapist_rules(day, session, kind, start, end, where)
        violations += _room_rule(day, session, kind, where)
        if session.get("therapist_id") in day.therapists:
            by_therapist[session["therapist_id"]].append((start, end, where, True))
        by_patient[infusion["patient_id"]].append((start, end, where, True))
        if session.get("room_id") in day.rooms:
            by_room[session["room_id"]].append((start, end, where, True))
    violations += _overlaps(day, by_therapist, by_patient, by_room)
    violations += _daily_limits(day, by_therapist)
    if "unplaced" in plan:
        violations += _answers(day, plan, seen)
    loads = [len(by_therapist.get(tid, [])) for tid in day.therapists]
    return {
        "valid": not violations,
        "violations": violations,
        "placed": len(seen),
        "requested": len(day.requested),
        "deviation_minutes": round(deviation, 1),
        "load_stdev": round(statistics.pstdev(loads), 3) if loads else 0.0,
    }


def _time_rules(
    day: _Day,
    infusion: dict[str, Any],
    kind: dict[str, Any],
    start: datetime,
    end: datetime,
    where: str,
) -> list[str]:
    out = []
    opens, closes, _ = day.window(infusion, kind["window"])
    if not (opens <= start and end <= closes):
        out.append(f"{where}: outside its window {kind['window']}")
    local = start.astimezone(day.zone)
    if local.second or local.microsecond or (local.hour * 60 + local.minute) % day.grid:
        out.append(f"{where}: {local.time()} is off the {day.grid}-minute local grid")
    if day.not_before is not None and start < day.not_before:
        out.append(f"{where}: starts before not_before")
    return out


def _deviation(
    day: _Day, infusion: dict[str, Any], kind: dict[str, Any], start: datetime, end: datetime
) -> float:
    _, _, target = day.window(infusion, kind["window"])
    if target is None:
        return 0.0
    return abs((start + (end - start) / 2 - target).total_seconds()) / 60


def _therapist_rules(
    day: _Day,
    session: dict[str, Any],
    kind: dict[str, Any],
    start: datetime,
    end: datetime,
    where: str,
) -> list[str]:
    therapist = day.therapists.get(session.get("therapist_id"))
    if therapist is None:
        return [f"{where}: unknown therapist {session.get('therapist_id')!r}"]
    out = []
    if kind["discipline"] not in therapist["disciplines"]:
        out.append(f"{where}: {therapist['id']} lacks {kind['discipline']}")
    working = day.spans(therapist["working"], "working")
    if not any(a <= start and end <= b for a, b, _, _ in working):
        out.append(f"{where}: {therapist['id']} does not work then")
    return out


def _room_rule(day: _Day, session: dict[str, Any], kind: dict[str, Any], where: str) -> list[str]:
    room_id = session.get("room_id")
    if kind.get("room_kind") is None:
        return [] if room_id is None else [f"{where}: a room for a type that needs none"]
    room = day.rooms.get(room_id)
    if room is None or room["kind"] != kind["room_kind"]:
        return [f"{where}: needs a room of kind {kind['room_kind']}, got {room_id!r}"]
    return []


def _overlaps(
    day: _Day,
    by_therapist: dict[str, list[Span]],
    by_patient: dict[str, list[Span]],
    by_room: dict[str, list[Span]],
) -> list[str]:
    out = []
    for tid, sessions in by_therapist.items():
        therapist = day.therapists[tid]
        gap = timedelta(minutes=therapist.get("buffer_minutes") or 0)
        booked = day.spans(therapist.get("booked", []), f"booked time of {tid}")
        out += _clashes(sessions + booked, gap, tid)
    for infusion in day.infusions.values():
        start, end = day.infusion_span(infusion)
        infusion_span = (start, end, f"infusion {infusion['id']}", False)
        by_patient[infusion["patient_id"]].append(infusion_span)
    for patient in day.patients:
        booked = day.spans(patient.get("booked", []), f"booked time of {patient['id']}")
        by_patient[patient["id"]] += booked
    for pid, spans in by_patient.items():
        out += _clashes(spans, timedelta(0), pid)
    for rid, sessions in by_room.items():
        booked = day.spans(day.rooms[rid].get("booked", []), f"booked time of {rid}")
        out += _clashes(sessions + booked, timedelta(0), rid)
    return out


def _clashes(spans: list[Span], gap: timedelta, owner: str) -> list[str]:
    """Pairs of ``spans`` closer than ``gap`` (overlapping when ``gap`` is zero); booked and
    infusion spans are checked against planned sessions, not against each other."""
    out = []
    ordered = sorted(spans)
    for n, (_, a1, what_a, planned_a) in enumerate(ordered):
        for b0, _, what_b, planned_b in ordered[n + 1 :]:
            if b0 >= a1 + gap:
                break
            if planned_a or planned_b:
                out.append(f"{what_a} and {what_b} too close on {owner}")
    return out


def _daily_limits(day: _Day, by_therapist: dict[str, list[Span]]) -> list[str]:
    out = []
    for tid, sessions in by_therapist.items():
        therapist = day.therapists[tid]
        limit = therapist.get("max_sessions_per_day")
        total = len(sessions) + therapist.get("sessions_already", 0)
        if limit is not None and total > limit:
            out.append(f"{tid}: {total} sessions, limit {limit}")
    return out


def _answers(day: _Day, plan: dict[str, Any], placed: set[tuple[str, str]]) -> list[str]:
    out = []
    answered = set(placed)
    for item in plan["unplaced"]:
        key = (item.get("infusion_id"), item.get("session_type"))
        if key not in day.requested or key in answered:
            out.append(f"{key[0]}/{key[1]}: unplaced but not requested, or answered twice")
        if item.get("code") not in CODES:
            out.append(f"{key[0]}/{key[1]}: unknown code {item.get('code')!r}")
        answered.add(key)
    out += [f"{i}/{k}: neither placed nor unplaced" for i, k in sorted(day.requested - answered)]
    return out
