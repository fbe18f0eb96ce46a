"""Booking the day plan staff previewed: exactly that plan, re-checked, or a clear conflict.

"Plan this day" first shows the optimizer's proposal (``services.day_plan`` with commit
off). Booking it must book what was shown: each proposed session is checked again by the
booking rules, in one transaction, against the day as it is now. If anything changed in
between (someone booked the therapist, the room, the patient, or the same care-plan item),
nothing is booked and the refusal says what is in the way, so staff plan the day again.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from models.calendar import span_around
from models.tables import Infusion
from models.uow import UnitOfWork
from planner.board import Board, Placement, SessionKind
from planner.errors import Code, Conflict, PlannerError
from planner.intervals import Interval
from planner.localtime import Clock, day_bounds, instant_in, planning_now, require_whole_minutes
from planner.wording import in_sentence, listing, possessive
from services.booking import insert_session
from services.care_plans import planned_session
from services.commands import BookDayPlan, ProposedSession
from services.plan_views import DayPlanView, PlannedSession


def book_previewed_plan(uow: UnitOfWork, wanted: BookDayPlan, clock: Clock) -> DayPlanView:
    with uow:
        infusions = {p.infusion_id: uow.infusions.reference(p.infusion_id) for p in wanted.sessions}
        _on_the_day(uow, wanted, infusions)
        kinds = uow.session_types.kinds(sorted({p.session_type for p in wanted.sessions}))
        board = _board(uow, list(infusions.values()), wanted, clock)
        placements, problems = _check(uow, board, wanted.sessions, infusions, kinds)
        if problems:
            raise PlannerError(
                Code.conflict,
                "The day changed since the preview, so nothing was booked: "
                + listing([text for text, _ in problems])
                + ". Plan the day again.",
                [c for _, found in problems for c in found],
            )
        booked = _insert(uow, placements, infusions, clock)
        uow.commit()
        return DayPlanView(
            sessions=tuple(sorted(booked, key=lambda p: (p.start, p.therapist_id))),
            unplaced=(),
            objective={
                "placed": len(booked),
                "requested": len(booked),
                "deviation_minutes": round(sum(p.score for p in booked if p.score), 1),
            },
            solver="preview",
            seconds=0.0,
            committed=True,
        )


def _on_the_day(uow: UnitOfWork, wanted: BookDayPlan, infusions: dict[int, Infusion]) -> None:
    """Every infusion of the plan starts on the plan's day and is not cancelled."""
    first, last = day_bounds(wanted.day, uow.clinic.zone())
    for infusion in infusions.values():
        if not first <= infusion.start < last:
            raise PlannerError(
                Code.validation_error,
                f"sessions: infusion {infusion.id} does not start on {wanted.day.isoformat()}",
            )


def _board(uow: UnitOfWork, infusions: list[Infusion], wanted: BookDayPlan, clock: Clock) -> Board:
    zone = uow.clinic.zone()
    first, last = day_bounds(wanted.day, zone)
    # the day's windows (the long-term range of weeks is not what a day plan books)
    ends = [
        w.end
        for i in infusions
        for w in uow.calendar.facts(i).windows
        if w.end - w.start < timedelta(days=1)
    ]
    span = span_around(first, max([last, *ends]), zone)
    return uow.calendar.board(
        infusions[0],
        Interval(span.start, span.end),
        zone,
        planning_now(clock),
        patient_ids=[i.patient_id for i in infusions],
    )


def _check(
    uow: UnitOfWork,
    board: Board,
    proposals: tuple[ProposedSession, ...],
    infusions: dict[int, Infusion],
    kinds: dict[str, SessionKind],
) -> tuple[list[tuple[ProposedSession, Placement]], list[tuple[str, tuple[Conflict, ...]]]]:
    """Each proposal against the day as it is now (and the proposals before it)."""
    zone = uow.clinic.zone()
    held = uow.sessions.held_types(infusions)
    facts = {i: uow.calendar.facts(row) for i, row in infusions.items()}
    ordered = sorted(proposals, key=lambda p: (instant_in(p.start, zone), p.therapist_id))
    placements: list[tuple[ProposedSession, Placement]] = []
    problems: list[tuple[str, tuple[Conflict, ...]]] = []
    for proposal in ordered:
        kind = kinds[proposal.session_type]
        view = dataclasses.replace(board, infusion=facts[proposal.infusion_id])
        if proposal.session_type in held.get(proposal.infusion_id, set()):
            who = possessive(view.infusion.patient)
            problems.append((f"{who} {in_sentence(kind.title)} has been booked meanwhile", ()))
            continue
        try:
            placement = _recheck(view, kind, proposal)
        except PlannerError as refusal:
            problems.append((refusal.detail, refusal.conflicts))
            continue
        board.add(view.tentative(placement, -len(placements) - 1, kind))
        placements.append((proposal, placement))
    return placements, problems


def _recheck(board: Board, kind: SessionKind, proposal: ProposedSession) -> Placement:
    """The same time and therapist; the same room when it is still free, else one like it."""
    start = require_whole_minutes(instant_in(proposal.start, board.zone))
    try:
        return board.check(
            kind, start, therapist_id=proposal.therapist_id, room_id=proposal.room_id
        )
    except PlannerError as refusal:
        if refusal.code != Code.room_unavailable or proposal.room_id is None:
            raise
    return board.check(kind, start, therapist_id=proposal.therapist_id)


def _insert(
    uow: UnitOfWork,
    placements: list[tuple[ProposedSession, Placement]],
    infusions: dict[int, Infusion],
    clock: Clock,
) -> list[PlannedSession]:
    zone = uow.clinic.zone()
    booked = []
    for proposal, placement in placements:
        infusion = infusions[proposal.infusion_id]
        row = insert_session(uow, infusion, proposal.session_type, placement, clock())
        booked.append(planned_session(infusion, proposal.session_type, placement, zone, row.id))
    return booked
