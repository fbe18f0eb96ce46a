"""Planning one infusion's care plan, and booking it on creation (``auto_book``)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas.infusions import InfusionCreate, InfusionPublic, UnplacedCarePlanItem
from api.schemas.planning import PlannedSession, PlanPublic, PlanRequest, UnplacedType
from models.tables import Infusion, SessionType, TherapySession
from models.uow import UnitOfWork
from planner.board import Board, Placement, SessionKind
from planner.errors import UnknownReference
from planner.intervals import Interval
from planner.joint import JointPlan, plan_infusion
from planner.localtime import Clock, planning_now, to_clinic
from services.board_loader import infusion_facts, kind_of, load_board, span_around
from services.booking import insert_session
from services.common import clinic_zone, get_or_404
from services.infusions import check_care_plan, infusion_public, record_infusion


def kinds_named(session: Session, keys: list[str]) -> list[SessionKind]:
    keys = check_care_plan(session, keys)
    rows = {r.key: r for r in session.scalars(select(SessionType).where(SessionType.key.in_(keys)))}
    return [kind_of(rows[key]) for key in keys]


def board_for_windows(
    session: Session, infusion: Infusion, kinds: list[SessionKind], zone: ZoneInfo, clock: Clock
) -> Board:
    """A board covering every window the kinds use (one set of range-bounded queries)."""
    facts = infusion_facts(session, infusion)
    windows = [w for k in kinds if (w := facts.window(k.window)) is not None]
    if windows:
        lo = min(w.start for w in windows)
        hi = max(w.end for w in windows)
    else:
        lo, hi = infusion.start, infusion.end + timedelta(hours=1)
    span = span_around(lo, hi, zone)
    return load_board(session, infusion, Interval(span.start, span.end), zone, planning_now(clock))


def _not_yet_booked(session: Session, infusion: Infusion, keys: list[str]) -> list[str]:
    active = set(
        session.scalars(
            select(TherapySession.session_type).where(
                TherapySession.infusion_id == infusion.id,
                TherapySession.status.in_(("booked", "checked_in")),
            )
        )
    )
    return [key for key in keys if key not in active]


def plan_and_maybe_book(
    session: Session,
    infusion: Infusion,
    keys: list[str],
    zone: ZoneInfo,
    clock: Clock,
    commit: bool,
) -> tuple[JointPlan, dict[str, int]]:
    """Plan ``keys`` jointly; with ``commit`` insert every placed session (caller commits)."""
    kinds = kinds_named(session, keys)
    board = board_for_windows(session, infusion, kinds, zone, clock)
    plan = plan_infusion(board, kinds)
    ids: dict[str, int] = {}
    if commit:
        now = planning_now(clock)
        for key, placement in plan.placements.items():
            ids[key] = insert_session(session, infusion, key, placement, now).id
    return plan, ids


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
        start=to_clinic(placement.start, zone),
        end=to_clinic(placement.end, zone),
        window=placement.window,
        score=placement.score,
        status="proposed" if ident is None else "booked",
    )


def plan_public(
    infusion: Infusion, plan: JointPlan, ids: dict[str, int], zone: ZoneInfo, committed: bool
) -> PlanPublic:
    return PlanPublic(
        sessions=[
            planned_session(infusion, key, p, zone, ids.get(key))
            for key, p in sorted(plan.placements.items(), key=lambda item: item[1].start)
        ],
        unplaced=[
            UnplacedType(session_type=u.session_type, code=u.code, detail=u.detail)
            for u in plan.unplaced
        ],
        committed=committed,
    )


def plan_for_infusion(
    uow: UnitOfWork, infusion_id: int, body: PlanRequest, clock: Clock
) -> PlanPublic:
    """Choose slots for the session types jointly; with ``commit`` book all in one go."""
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        infusion = get_or_404(session, Infusion, infusion_id, "infusion")
        keys = (
            body.session_types
            if body.session_types is not None
            else _not_yet_booked(session, infusion, list(infusion.care_plan))
        )
        if not keys and body.session_types is not None:
            raise UnknownReference("session type", "(none: the care plan is empty)")
        plan, ids = plan_and_maybe_book(session, infusion, keys, zone, clock, body.commit)
        if body.commit:
            uow.commit()
        return plan_public(infusion, plan, ids, zone, body.commit)


def create_infusion_planned(uow: UnitOfWork, body: InfusionCreate, clock: Clock) -> InfusionPublic:
    """Record an infusion; with ``auto_book`` book its care plan in the same transaction."""
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        infusion = record_infusion(uow, body, clock)
        unplaced: list[UnplacedCarePlanItem] | None = None
        if body.auto_book:
            keys = _not_yet_booked(session, infusion, list(infusion.care_plan))
            plan, _ = plan_and_maybe_book(session, infusion, keys, zone, clock, commit=True)
            unplaced = [
                UnplacedCarePlanItem(session_type=u.session_type, code=u.code, detail=u.detail)
                for u in plan.unplaced
            ]
        uow.commit()
        answer = infusion_public(session, infusion, zone)
        answer.unplaced = unplaced
        return answer
