"""Planning the day: every care plan of a day's infusions placed at once (docs/rules.md).

The clinic's live state becomes an optimizer instance (``planner.optimize``, the same code
``planner optimize`` runs on the benchmark); each session it proposes is then confirmed by
``Board.check``, the booking rules themselves, before it is shown or booked. With ``commit``
everything confirmed is booked in one transaction.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.calendar import span_around
from models.repositories.clinic import windows_to_json
from models.tables import Infusion
from models.uow import UnitOfWork
from planner.board import Board, SessionKind
from planner.care_plan import why_unplaced
from planner.errors import Code, PlannerError
from planner.intervals import Interval
from planner.localtime import Clock, day_bounds, planning_now
from planner.optimize import DayPlan, optimize
from services.booking import insert_session
from services.care_plans import planned_session
from services.commands import PlanDay
from services.views import DayPlanView, PlannedSession, UnplacedItem


def _iso(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).isoformat()


def _instance(
    board: Board,
    infusions: list[Infusion],
    wanted: dict[int, list[str]],
    kinds: dict[str, SessionKind],
    day: str,
    sessions_today: dict[int, int],
    protocol: dict[str, Any],
) -> dict[str, Any]:
    zone = board.zone
    busy_patient: dict[int, list[list[str]]] = defaultdict(list)
    busy_therapist: dict[int, list[list[str]]] = defaultdict(list)
    busy_room: dict[int, list[list[str]]] = defaultdict(list)
    planned_ids = {i.id for i in infusions}
    for o in board.occupations:
        if not o.active:
            continue
        span = [_iso(o.start, zone), _iso(o.end, zone)]
        if o.kind == "infusion" and o.id in planned_ids:
            continue  # the instance's own infusions block their patients already
        if o.patient_id is not None:
            busy_patient[o.patient_id].append(span)
        if o.kind == "session" and o.therapist_id is not None:
            busy_therapist[o.therapist_id].append(span)
        if o.kind == "session" and o.room_id is not None:
            busy_room[o.room_id].append(span)
    return {
        "name": f"clinic-{day}",
        "date": day,
        "timezone": zone.key,
        "grid_minutes": 5,
        "not_before": board.now.isoformat(),
        "protocol": protocol,
        "session_types": [
            {
                "key": k.key,
                "duration_minutes": int(k.duration.total_seconds() // 60),
                "discipline": k.discipline,
                "window": k.window,
                "room_kind": k.room_kind,
            }
            for k in kinds.values()
        ],
        "therapists": [
            {
                "id": f"t{t.id}",
                "disciplines": sorted(t.disciplines),
                "working": [[_iso(w.start, zone), _iso(w.end, zone)] for w in t.working()],
                "buffer_minutes": int(t.buffer.total_seconds() // 60),
                "max_sessions_per_day": t.max_per_day,
                "booked": busy_therapist[t.id],
                "sessions_already": sessions_today.get(t.id, 0),
            }
            for t in board.therapists.values()
        ],
        "rooms": [
            {"id": f"r{room_id}", "kind": kind, "booked": busy_room[room_id]}
            for room_id, kind in board.rooms.items()
        ],
        "patients": [{"id": f"p{p}", "booked": spans} for p, spans in busy_patient.items()],
        "infusions": [
            {
                "id": f"i{i.id}",
                "patient_id": f"p{i.patient_id}",
                "start": _iso(i.start, zone),
                "duration_minutes": i.duration_minutes,
                "care_plan": wanted[i.id],
            }
            for i in infusions
        ],
    }


def plan_day(uow: UnitOfWork, wanted: PlanDay, clock: Clock) -> DayPlanView:
    day = wanted.day
    with uow:
        zone = uow.clinic.zone()
        first, last = day_bounds(day, zone)
        infusions = uow.infusions.scheduled_starting(first, last)
        held = uow.sessions.held_types(i.id for i in infusions)
        wanted_keys = {
            i.id: [k for k in i.care_plan if k not in held.get(i.id, set())] for i in infusions
        }
        infusions = [i for i in infusions if wanted_keys[i.id]]
        kinds = uow.session_types.kinds()
        if not infusions:
            return DayPlanView(
                (),
                (),
                {"placed": 0, "requested": 0, "deviation_minutes": 0.0},
                "none",
                0.0,
                wanted.commit,
            )
        now = planning_now(clock)
        windows_end = max(w.end for i in infusions for w in uow.calendar.facts(i).windows)
        span = span_around(first, max(last, windows_end), zone)
        board = uow.calendar.board(
            infusions[0],
            Interval(span.start, span.end),
            zone,
            now,
            patient_ids=[i.patient_id for i in infusions],
        )
        sessions_today = _sessions_on(board, day)
        planned: list[PlannedSession] = []
        unplaced: list[UnplacedItem] = []
        solver, seconds, deviation = "heuristic", 0.0, 0.0
        by_version: dict[int, list[Infusion]] = defaultdict(list)
        for infusion in infusions:
            by_version[infusion.protocol_version].append(infusion)
        for version, group in sorted(by_version.items()):
            protocol = uow.clinic.protocol(version)
            instance = _instance(
                board,
                group,
                wanted_keys,
                kinds,
                day.isoformat(),
                sessions_today,
                {"anchor": protocol.anchor, "windows": windows_to_json(protocol.windows)},
            )
            result = optimize(instance, time_limit_s=wanted.time_limit_seconds / len(by_version))
            solver, seconds = result.solver, seconds + result.seconds
            confirmed, refused, off_target = _confirm(
                uow, board, group, kinds, result, wanted.commit, clock
            )
            planned += confirmed
            unplaced += refused
            deviation += off_target
        unplaced = _described(uow, unplaced, infusions, kinds)
        objective = {
            "placed": len(planned),
            "requested": len(planned) + len(unplaced),
            "deviation_minutes": deviation,
        }
        if wanted.commit:
            uow.commit()
        return DayPlanView(
            sessions=tuple(sorted(planned, key=lambda p: (p.start, p.therapist_id))),
            unplaced=tuple(unplaced),
            objective=objective,
            solver=solver,
            seconds=round(seconds, 3),
            committed=wanted.commit,
        )


def _sessions_on(board: Board, day: date) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for o in board.occupations:
        on_day = o.start.astimezone(board.zone).date() == day
        if o.kind == "session" and o.therapist_id is not None and on_day:
            counts[o.therapist_id] += 1
    return counts


def _confirm(
    uow: UnitOfWork,
    board: Board,
    infusions: list[Infusion],
    kinds: dict[str, SessionKind],
    result: DayPlan,
    commit: bool,
    clock: Clock,
) -> tuple[list[PlannedSession], list[UnplacedItem], float]:
    """Check each proposed session with the booking rules; book it when committing."""
    by_id = {f"i{i.id}": i for i in infusions}
    facts = {i.id: uow.calendar.facts(i) for i in infusions}
    zone = board.zone
    confirmed: list[PlannedSession] = []
    refused = [
        UnplacedItem(infusion_id=by_id[u.infusion_id].id, session_type=u.session_type, code=u.code)
        for u in result.unplaced
    ]
    deviation = 0.0
    for proposal in sorted(result.sessions, key=lambda s: s.start):
        infusion = by_id[proposal.infusion_id]
        view = dataclasses.replace(board, infusion=facts[infusion.id])
        kind = kinds[proposal.session_type]
        room = int(proposal.room_id[1:]) if proposal.room_id else None
        try:
            try:
                placement = view.check(
                    kind, proposal.start, therapist_id=int(proposal.therapist_id[1:]), room_id=room
                )
            except PlannerError as refusal:
                if refusal.code != Code.room_unavailable:
                    raise
                placement = view.check(
                    kind, proposal.start, therapist_id=int(proposal.therapist_id[1:])
                )
        except PlannerError as refusal:
            refused.append(
                UnplacedItem(
                    infusion_id=infusion.id,
                    session_type=kind.key,
                    code=refusal.code,
                    detail=refusal.detail,
                )
            )
            continue
        ident = insert_session(uow, infusion, kind.key, placement, clock()).id if commit else None
        board.add(view.tentative(placement, ident or -len(confirmed) - 1, kind))
        window = facts[infusion.id].window(kind.window)
        if window is not None and window.target is not None:
            deviation += placement.score
        confirmed.append(planned_session(infusion, kind.key, placement, zone, ident))
    return confirmed, refused, deviation


def _described(
    uow: UnitOfWork,
    items: list[UnplacedItem],
    infusions: list[Infusion],
    kinds: dict[str, SessionKind],
) -> list[UnplacedItem]:
    """Unplaced items with the reason in words (the optimizer answers codes only)."""
    zone = uow.clinic.zone()
    by_id = {i.id: i for i in infusions}
    names = {pid: p.name for pid, p in uow.patients.by_ids(i.patient_id for i in infusions).items()}
    described = []
    for item in items:
        if item.detail:
            described.append(item)
            continue
        infusion, kind = by_id[item.infusion_id], kinds[item.session_type]
        window = uow.calendar.facts(infusion).window(kind.window)
        patient = names.get(infusion.patient_id, f"patient {infusion.patient_id}")
        detail = why_unplaced(Code[item.code], kind, window, patient, zone)
        described.append(dataclasses.replace(item, detail=detail))
    return described
