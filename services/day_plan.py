"""Planning the day: every care plan of a day's infusions placed at once (docs/rules.md).

The clinic's live state, as the board loads it, becomes the optimizer's typed day
(``planner.optimize.Day``: the same code ``planner optimize`` runs on the benchmark); each
session it proposes is then confirmed by ``Board.check``, the booking rules themselves, before
it is shown or booked. The optimizer runs in a reading transaction: it may take seconds, and no
booking waits for it. Without ``commit`` the answer is a preview (``services.plan_preview``
books exactly that later); with it, that same booking follows at once, in a short writing
transaction that checks every session again.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from models.calendar import span_around
from models.tables import Infusion
from models.uow import UnitOfWork
from planner.board import Board, Placement, SessionKind
from planner.care_plan import why_unplaced
from planner.errors import Code, PlannerError
from planner.intervals import Interval
from planner.localtime import Clock, day_bounds, planning_now
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
from services.care_plans import planned_session
from services.commands import BookDayPlan, PlanDay, ProposedSession
from services.plan_preview import book_previewed_plan
from services.plan_views import DayPlanView, PlannedSession, UnplacedItem

GRID_MINUTES = 5  # planned sessions start on these marks of the clinic's wall clock
BOOKING_ATTEMPTS = 3  # plans of the day made and booked before a conflict is the answer


@dataclass
class _Outcome:
    """What planning the day's protocol versions added up to."""

    planned: list[PlannedSession] = field(default_factory=list)
    unplaced: list[UnplacedItem] = field(default_factory=list)
    solver: str = "heuristic"
    seconds: float = 0.0
    deviation: float = 0.0


def plan_day(uow: UnitOfWork, wanted: PlanDay, clock: Clock) -> DayPlanView:
    """Place the day's care-plan items not done yet (a preview, or booked with ``commit``).

    Booking checks the plan against the day as it is by then; if someone booked in the
    meantime, the day is planned again, up to ``BOOKING_ATTEMPTS`` times, before the answer
    is 409 ``conflict``."""
    for attempt in range(1, BOOKING_ATTEMPTS + 1):
        preview = _propose(uow, wanted, clock)
        if not wanted.commit:
            return preview
        if not preview.sessions:
            return dataclasses.replace(preview, committed=True)
        proposals = tuple(
            ProposedSession(s.infusion_id, s.session_type, s.therapist_id, s.room_id, s.start)
            for s in preview.sessions
        )
        try:
            booked = book_previewed_plan(uow, BookDayPlan(wanted.day, proposals), clock)
        except PlannerError as refusal:
            if refusal.code != Code.conflict or attempt == BOOKING_ATTEMPTS:
                raise
            continue
        return dataclasses.replace(preview, sessions=booked.sessions, committed=True)
    raise AssertionError("unreachable: the last attempt answers or raises")


def _propose(uow: UnitOfWork, wanted: PlanDay, clock: Clock) -> DayPlanView:
    """The optimizer's plan of the day, each session confirmed by the rules; nothing booked."""
    with uow.reading():
        infusions, wanted_keys = _to_plan(uow, wanted.day)
        if not infusions:
            empty = {"placed": 0, "requested": 0, "deviation_minutes": 0.0}
            return DayPlanView((), (), empty, "none", 0.0, False)
        kinds = uow.session_types.kinds()
        board = _board(uow, infusions, wanted.day, clock)
        outcome = _Outcome()
        by_version: dict[int, list[Infusion]] = defaultdict(list)
        for infusion in infusions:
            by_version[infusion.protocol_version].append(infusion)
        for version, group in sorted(by_version.items()):
            protocol = uow.clinic.protocol(version)
            to_plan = _day(board, group, wanted_keys, kinds, wanted.day, protocol)
            result = optimize(to_plan, time_limit_s=wanted.time_limit_seconds / len(by_version))
            outcome.solver, outcome.seconds = result.solver, outcome.seconds + result.seconds
            _confirm(uow, board, group, kinds, result, outcome)
        unplaced = _described(uow, outcome.unplaced, infusions, kinds)
        return DayPlanView(
            sessions=tuple(sorted(outcome.planned, key=lambda p: (p.start, p.therapist_id))),
            unplaced=tuple(unplaced),
            objective={
                "placed": len(outcome.planned),
                "requested": len(outcome.planned) + len(unplaced),
                "deviation_minutes": outcome.deviation,
            },
            solver=outcome.solver,
            seconds=round(outcome.seconds, 3),
            committed=False,
        )


def _to_plan(uow: UnitOfWork, day: date) -> tuple[list[Infusion], dict[int, list[str]]]:
    """The day's infusions with care-plan items not done yet, and those items."""
    first, last = day_bounds(day, uow.clinic.zone())
    infusions = uow.infusions.scheduled_starting(first, last)
    held = uow.sessions.held_types(i.id for i in infusions)
    wanted = {i.id: [k for k in i.care_plan if k not in held.get(i.id, set())] for i in infusions}
    return [i for i in infusions if wanted[i.id]], wanted


def _board(uow: UnitOfWork, infusions: list[Infusion], day: date, clock: Clock) -> Board:
    """The calendar of the day and of every window its infusions open (rows locked)."""
    zone = uow.clinic.zone()
    first, last = day_bounds(day, zone)
    windows_end = max(w.end for i in infusions for w in uow.calendar.facts(i).windows)
    span = span_around(first, max(last, windows_end), zone)
    return uow.calendar.board(
        infusions[0],
        Interval(span.start, span.end),
        zone,
        planning_now(clock),
        patient_ids=[i.patient_id for i in infusions],
    )


def _busy(board: Board, infusions: list[Infusion]) -> tuple[dict[int, list[Interval]], ...]:
    """Booked time by patient, by therapist and by room (the day's own infusions aside)."""
    busy_patient: dict[int, list[Interval]] = defaultdict(list)
    busy_therapist: dict[int, list[Interval]] = defaultdict(list)
    busy_room: dict[int, list[Interval]] = defaultdict(list)
    planned_ids = {i.id for i in infusions}
    for o in board.occupations:
        if not o.active or (o.kind == "infusion" and o.id in planned_ids):
            continue  # the day's own infusions block their patients already
        if o.patient_id is not None:
            busy_patient[o.patient_id].append(o.span)
        if o.kind == "session" and o.therapist_id is not None:
            busy_therapist[o.therapist_id].append(o.span)
        if o.kind == "session" and o.room_id is not None:
            busy_room[o.room_id].append(o.span)
    return busy_patient, busy_therapist, busy_room


def _day(
    board: Board,
    infusions: list[Infusion],
    wanted: dict[int, list[str]],
    kinds: dict[str, SessionKind],
    day: date,
    protocol: Protocol,
) -> Day:
    """The optimizer's day: ``infusions``' wanted sessions on the board's live state."""
    busy_patient, busy_therapist, busy_room = _busy(board, infusions)
    sessions_today = _sessions_on(board, day)
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
    outcome: _Outcome,
) -> None:
    """Check each proposed session with the booking rules, each seeing those before it."""
    by_id = {i.id: i for i in infusions}
    facts = {i.id: uow.calendar.facts(i) for i in infusions}
    outcome.unplaced += [
        UnplacedItem(infusion_id=u.infusion_id, session_type=u.session_type, code=u.code)
        for u in result.unplaced
    ]
    for proposal in sorted(result.sessions, key=lambda s: s.start):
        infusion = by_id[proposal.infusion_id]
        view = dataclasses.replace(board, infusion=facts[infusion.id])
        kind = kinds[proposal.session_type]
        try:
            placement = _checked(
                view, kind, proposal.start, proposal.therapist_id, proposal.room_id
            )
        except PlannerError as refusal:
            outcome.unplaced.append(
                UnplacedItem(infusion.id, kind.key, refusal.code, refusal.detail)
            )
            continue
        board.add(view.tentative(placement, -len(outcome.planned) - 1, kind))
        window = facts[infusion.id].window(kind.window)
        if window is not None and window.target is not None:
            outcome.deviation += placement.score
        outcome.planned.append(planned_session(infusion, kind.key, placement, board.zone, None))


def _checked(
    board: Board, kind: SessionKind, start: datetime, therapist_id: int, room_id: int | None
) -> Placement:
    """The proposal as the booking rules place it (another free room of the kind when its
    room is taken)."""
    try:
        return board.check(kind, start, therapist_id=therapist_id, room_id=room_id)
    except PlannerError as refusal:
        if refusal.code != Code.room_unavailable:
            raise
    return board.check(kind, start, therapist_id=therapist_id)


def _described(
    uow: UnitOfWork,
    items: list[UnplacedItem],
    infusions: list[Infusion],
    kinds: dict[str, SessionKind],
) -> list[UnplacedItem]:
    """Unplaced items with the reason in words (the optimizer answers codes only)."""
    zone = uow.clinic.zone()
    by_id = {i.id: i for i in infusions}
    names = uow.patients.names_of(i.patient_id for i in infusions)
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
