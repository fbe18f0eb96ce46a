"""``POST /api/plan/day``: every care plan of a day's infusions placed at once (SPEC §6).

The clinic's live state, as the board loads it, becomes the optimizer's typed day
(``planner.optimize.Day``: the same code ``planner optimize`` runs on the benchmark); each
session it proposes is then confirmed by ``Board.check``, the booking rules themselves, before
it is shown or booked. With ``commit`` everything confirmed is booked in one transaction.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas.planning import DayPlanPublic, DayPlanRequest, PlannedSession, UnplacedItem
from models.tables import Infusion, SessionType, TherapySession
from models.uow import UnitOfWork
from planner.board import Board, SessionKind
from planner.errors import PlannerError
from planner.intervals import Interval
from planner.localtime import Clock, day_bounds, parse_local_date, planning_now
from planner.optimize import (
    Day,
    DayInfusion,
    DayPatient,
    DayPlan,
    DayRoom,
    DayTherapist,
    optimize,
)
from planner.protocol import Protocol
from services.board_loader import infusion_facts, kind_of, load_board, span_around
from services.booking import insert_session
from services.common import clinic_zone, protocol_version
from services.planning import planned_session

GRID_MINUTES = 5  # planned sessions start on these marks of the clinic's wall clock


def _day(
    board: Board,
    infusions: list[Infusion],
    wanted: dict[int, list[str]],
    kinds: dict[str, SessionKind],
    day: date,
    sessions_today: dict[int, int],
    protocol: Protocol,
) -> Day:
    """The optimizer's day: ``infusions``' wanted sessions on the board's live state."""
    busy_patient: dict[int, list[Interval]] = defaultdict(list)
    busy_therapist: dict[int, list[Interval]] = defaultdict(list)
    busy_room: dict[int, list[Interval]] = defaultdict(list)
    planned_ids = {i.id for i in infusions}
    for o in board.occupations:
        if not o.active:
            continue
        if o.kind == "infusion" and o.id in planned_ids:
            continue  # the day's own infusions block their patients already
        if o.patient_id is not None:
            busy_patient[o.patient_id].append(o.span)
        if o.kind == "session" and o.therapist_id is not None:
            busy_therapist[o.therapist_id].append(o.span)
        if o.kind == "session" and o.room_id is not None:
            busy_room[o.room_id].append(o.span)
    return Day(
        date=day,
        zone=board.zone,
        grid_minutes=GRID_MINUTES,
        not_before=board.now,
        protocol=protocol,
        session_types=tuple(kinds.values()),
        therapists=tuple(
            DayTherapist(
                id=t.id,
                disciplines=t.disciplines,
                working=tuple(t.working()),
                buffer=t.buffer,
                daily_limit=t.max_per_day,
                booked=tuple(busy_therapist[t.id]),
                sessions_already=sessions_today.get(t.id, 0),
            )
            for t in board.therapists.values()
        ),
        rooms=tuple(
            DayRoom(id=room_id, kind=kind, booked=tuple(busy_room[room_id]))
            for room_id, kind in board.rooms.items()
        ),
        patients=tuple(DayPatient(id=p, booked=tuple(spans)) for p, spans in busy_patient.items()),
        infusions=tuple(
            DayInfusion(
                id=i.id,
                patient_id=i.patient_id,
                start=i.start,
                duration=timedelta(minutes=i.duration_minutes),
                care_plan=tuple(wanted[i.id]),
            )
            for i in infusions
        ),
    )


def plan_day(uow: UnitOfWork, body: DayPlanRequest, clock: Clock) -> DayPlanPublic:
    day = parse_local_date(body.date)
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        first, last = day_bounds(day, zone)
        infusions = list(
            session.scalars(
                select(Infusion)
                .where(
                    Infusion.start >= first, Infusion.start < last, Infusion.status != "cancelled"
                )
                .order_by(Infusion.start, Infusion.id)
            )
        )
        booked = defaultdict(set)
        for infusion_id, key in session.execute(
            select(TherapySession.infusion_id, TherapySession.session_type).where(
                TherapySession.infusion_id.in_([i.id for i in infusions]),
                TherapySession.status.in_(("booked", "checked_in")),
            )
        ):
            booked[infusion_id].add(key)
        wanted = {i.id: [k for k in i.care_plan if k not in booked[i.id]] for i in infusions}
        infusions = [i for i in infusions if wanted[i.id]]
        kinds = {row.key: kind_of(row) for row in session.scalars(select(SessionType))}
        objective: dict[str, Any] = {"placed": 0, "requested": 0, "deviation_minutes": 0.0}
        if not infusions:
            return DayPlanPublic(
                sessions=[],
                unplaced=[],
                objective=objective,
                solver="none",
                seconds=0.0,
                committed=body.commit,
            )
        now = planning_now(clock)
        windows_end = max(w.end for i in infusions for w in infusion_facts(session, i).windows)
        span = span_around(first, max(last, windows_end), zone)
        board = load_board(
            session,
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
            protocol = protocol_version(session, version)
            to_plan = _day(board, group, wanted, kinds, day, sessions_today, protocol)
            result = optimize(to_plan, time_limit_s=body.time_limit_seconds / len(by_version))
            solver, seconds = result.solver, seconds + result.seconds
            confirmed, refused, off_target = _confirm(
                session, board, group, kinds, result, body.commit, now
            )
            planned += confirmed
            unplaced += refused
            deviation += off_target
        objective = {
            "placed": len(planned),
            "requested": len(planned) + len(unplaced),
            "deviation_minutes": deviation,
        }
        if body.commit:
            uow.commit()
        return DayPlanPublic(
            sessions=sorted(planned, key=lambda p: (p.start, p.therapist_id)),
            unplaced=unplaced,
            objective=objective,
            solver=solver,
            seconds=round(seconds, 3),
            committed=body.commit,
        )


def _sessions_on(board: Board, day: date) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for o in board.occupations:
        on_day = o.start.astimezone(board.zone).date() == day
        if o.kind == "session" and o.therapist_id is not None and on_day:
            counts[o.therapist_id] += 1
    return counts


def _confirm(
    session: Session,
    board: Board,
    infusions: list[Infusion],
    kinds: dict[str, SessionKind],
    result: DayPlan,
    commit: bool,
    now: datetime,
) -> tuple[list[PlannedSession], list[UnplacedItem], float]:
    """Check each proposed session with the booking rules; book it when committing."""
    by_id = {i.id: i for i in infusions}
    facts = {i.id: infusion_facts(session, i) for i in infusions}
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
        therapist_id = proposal.therapist_id
        try:
            try:
                placement = view.check(
                    kind, proposal.start, therapist_id=therapist_id, room_id=proposal.room_id
                )
            except PlannerError as refusal:
                if refusal.code != "room_unavailable":
                    raise
                placement = view.check(kind, proposal.start, therapist_id=therapist_id)
        except PlannerError as refusal:
            refused.append(
                UnplacedItem(infusion_id=infusion.id, session_type=kind.key, code=refusal.code)
            )
            continue
        ident = insert_session(session, infusion, kind.key, placement, now).id if commit else None
        board.add(view.tentative(placement, ident or -len(confirmed) - 1))
        window = facts[infusion.id].window(kind.window)
        if window is not None and window.target is not None:
            deviation += placement.score
        confirmed.append(planned_session(infusion, kind.key, placement, zone, ident))
    return confirmed, refused, deviation
