"""Sessions: slots, booking (idempotent), moving, cancelling, statuses, a therapist's day."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from api.answers import KeptBody, kept_json
from api.deps import AnyUser, ClockDep, KnownQuery, PageDep, Scheduler, UoW, paginate, uow_for
from api.idempotency import idempotent
from api.openapi import problems
from api.params import LocalDate, PathId, QueryId, SessionTypeKey
from api.schemas.base import day
from api.schemas.sessions import (
    DayPublic,
    SessionCancel,
    SessionCreate,
    SessionMove,
    SessionPublic,
    SlotPublic,
    StatusChange,
)
from models.uow import UnitOfWork
from planner.localtime import planning_now
from services import booking, sessions, therapists
from services.views import SessionView

router = APIRouter(prefix="/api", tags=["sessions"], dependencies=[KnownQuery])
SLOTS = TypeAdapter(list[SlotPublic])


@router.get("/infusions/{infusion_id}/slots", tags=["infusions"], response_model=list[SlotPublic])
async def get_slots(
    infusion_id: PathId,
    actor: Scheduler,
    request: Request,
    clock: ClockDep,
    session_type: SessionTypeKey,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    therapist_id: QueryId = None,
) -> Response:
    """Free, bookable slots in the session type's window, best first."""
    now = planning_now(clock)

    def search() -> KeptBody:
        found = booking.slot_search(
            uow_for(request), infusion_id, session_type, limit, therapist_id, lambda: now
        )
        return KeptBody(SLOTS.dump_json([SlotPublic.of(s) for s in found.slots]), found.holds_at)

    key = ("slots", infusion_id, session_type, limit, therapist_id)
    return await kept_json(request, key, search, now)


@router.get("/therapists/{therapist_id}/day", tags=["therapists"], response_model=DayPublic)
async def get_day(
    therapist_id: PathId,
    actor: AnyUser,
    request: Request,
    date: Annotated[LocalDate, Query()],
) -> Response:
    """The therapist's working time, sessions and free time on a day of the clinic's."""
    therapists.require_may_see(actor, therapist_id)
    wanted = day(date)

    def compute() -> KeptBody:
        view = therapists.therapist_day(uow_for(request), therapist_id, wanted, actor)
        return KeptBody(DayPublic.of(view).model_dump_json().encode())

    return await kept_json(request, ("therapist_day", therapist_id, wanted), compute)


@router.post("/sessions", status_code=201, response_model=SessionPublic, responses=problems(409))
def post_session(
    body: SessionCreate,
    actor: Scheduler,
    uow: UoW,
    clock: ClockDep,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Book a session; with no therapist the best free one is chosen."""
    wanted = body.command()

    def book(inside: UnitOfWork) -> SessionView:
        return booking.book_in(inside, wanted, clock)

    return idempotent(
        request, actor, idempotency_key, body, uow, clock, book, SessionPublic.of, status=201
    )


@router.get("/sessions", responses=problems(404))
def list_sessions(
    actor: AnyUser,
    uow: UoW,
    page: PageDep,
    request: Request,
    response: Response,
    date: Annotated[LocalDate | None, Query()] = None,
    therapist_id: QueryId = None,
    patient_id: QueryId = None,
) -> list[SessionPublic]:
    found = sessions.list_sessions(
        uow,
        actor,
        page,
        day=day(date) if date is not None else None,
        therapist_id=therapist_id,
        patient_id=patient_id,
    )
    return paginate(request, response, [SessionPublic.of(s) for s in found], page)


@router.get("/sessions/{session_id}")
def get_session(session_id: PathId, actor: AnyUser, uow: UoW) -> SessionPublic:
    return SessionPublic.of(sessions.get_session(uow, session_id, actor))


@router.patch("/sessions/{session_id}", responses=problems(409))
def patch_session(
    session_id: PathId, body: SessionMove, actor: Scheduler, uow: UoW, clock: ClockDep
) -> SessionPublic:
    return SessionPublic.of(booking.move_session(uow, session_id, body.command(), clock))


@router.post("/sessions/{session_id}/cancel", responses=problems(409))
def cancel_session(
    session_id: PathId,
    actor: Scheduler,
    uow: UoW,
    clock: ClockDep,
    body: Annotated[SessionCancel | None, Body()] = None,
) -> SessionPublic:
    reason = body.reason if body else None
    return SessionPublic.of(booking.cancel_session(uow, session_id, reason, clock))


@router.post("/sessions/{session_id}/status", responses=problems(409))
def post_status(
    session_id: PathId, body: StatusChange, actor: AnyUser, uow: UoW, clock: ClockDep
) -> SessionPublic:
    """Check in (from 30 minutes before the start), complete or mark no-show (once started)."""
    changed = booking.change_status(uow, session_id, body.command(), actor, clock)
    return SessionPublic.of(changed)


@router.post("/sessions/{session_id}/status/undo", responses=problems(409))
def undo_status(session_id: PathId, actor: AnyUser, uow: UoW, clock: ClockDep) -> SessionPublic:
    """Undo the last status change, within 10 minutes of it (a mis-tap)."""
    return SessionPublic.of(booking.undo_status(uow, session_id, actor, clock))
