"""An infusion's care plan: planned jointly, booked all together or not at all.

``POST /api/infusions/{id}/plan`` and recording an infusion with ``auto_book`` come here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from models.calendar import span_around
from models.tables import Infusion
from models.uow import UnitOfWork
from planner.board import Board, Placement, SessionKind
from planner.care_plan import JointPlan, plan_jointly
from planner.errors import UnknownReference
from planner.intervals import Interval
from planner.localtime import Clock, planning_now
from services.booking import insert_session
from services.commands import PlanCarePlan, RecordInfusion
from services.infusions import check_care_plan, infusion_views, record_infusion
from services.plan_views import PlannedSession, PlanView
from services.views import InfusionView, Unplaced, local


def board_for_windows(
    uow: UnitOfWork, infusion: Infusion, kinds: list[SessionKind], clock: Clock
) -> Board:
    """A board covering every window the kinds use (one set of range-bounded queries)."""
    zone = uow.clinic.zone()
    facts = uow.calendar.facts(infusion)
    windows = [w for k in kinds if (w := facts.window(k.window)) is not None]
    if windows:
        lo, hi = min(w.start for w in windows), max(w.end for w in windows)
    else:
        lo, hi = infusion.start, infusion.end + timedelta(hours=1)
    span = span_around(lo, hi, zone)
    return uow.calendar.board(infusion, Interval(span.start, span.end), zone, planning_now(clock))


def not_yet_booked(uow: UnitOfWork, infusion: Infusion) -> list[str]:
    """Care-plan items with no session booked, under way or held."""
    held = uow.sessions.held_types([infusion.id]).get(infusion.id, set())
    return [key for key in infusion.care_plan if key not in held]


def planned_session(
    infusion: Infusion, key: str, placement: Placement, zone: ZoneInfo, ident: int | None
) -> PlannedSession:
    """A proposed session (``id`` None), or a booked one when it has its id."""
    return PlannedSession(
        id=ident,
        infusion_id=infusion.id,
        patient_id=infusion.patient_id,
        session_type=key,
        therapist_id=placement.therapist_id,
        room_id=placement.room_id,
        start=local(placement.start, zone),
        end=local(placement.end, zone),
        window=placement.window,
        score=placement.score,
    )


def plan_in(
    uow: UnitOfWork, infusion: Infusion, keys: list[str], clock: Clock, commit: bool
) -> PlanView:
    """Plan ``keys`` jointly; with ``commit`` insert every placed session (caller commits)."""
    keys = check_care_plan(uow, keys)
    found = uow.session_types.kinds(keys)
    kinds = [found[key] for key in keys]
    board = board_for_windows(uow, infusion, kinds, clock)
    plan: JointPlan = plan_jointly(board, kinds)
    zone = uow.clinic.zone()
    sessions = []
    for index, placement in sorted(plan.placements.items(), key=lambda item: item[1].start):
        key = kinds[index].key
        ident = insert_session(uow, infusion, key, placement, clock()).id if commit else None
        sessions.append(planned_session(infusion, key, placement, zone, ident))
    unplaced = tuple(
        Unplaced(u.session_type, u.code, u.detail) for _, u in sorted(plan.unplaced.items())
    )
    return PlanView(sessions=tuple(sessions), unplaced=unplaced, committed=commit)


def plan_care_plan(
    uow: UnitOfWork, infusion_id: int, wanted: PlanCarePlan, clock: Clock
) -> PlanView:
    """Choose slots for the session types jointly; with ``commit`` book all in one go."""
    with uow.reading(not wanted.commit):
        infusion = uow.infusions.get(infusion_id)
        keys = (
            list(wanted.session_types)
            if wanted.session_types is not None
            else not_yet_booked(uow, infusion)
        )
        if not keys and wanted.session_types is not None:
            raise UnknownReference("session type", "(none: the care plan is empty)")
        plan = plan_in(uow, infusion, keys, clock, wanted.commit)
        if wanted.commit:
            uow.commit()
        return plan


def record_and_plan(uow: UnitOfWork, new: RecordInfusion, clock: Clock) -> InfusionView:
    """Record an infusion; with ``auto_book`` book its care plan in the same transaction."""
    with uow:
        infusion = record_infusion(uow, new, clock)
        unplaced: tuple[Unplaced, ...] | None = None
        if new.auto_book:
            plan = plan_in(uow, infusion, not_yet_booked(uow, infusion), clock, commit=True)
            unplaced = plan.unplaced
        uow.commit()
        view = infusion_views(uow, [infusion], uow.clinic.zone())[0]
        return view if unplaced is None else replace(view, unplaced=unplaced)
