"""Sessions: slots, booking (idempotent), moving, cancelling, statuses, a therapist's day."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import AnyUser, ClockDep, PageDep, Scheduler, UoW, paginate
from api.idempotency import idempotent
from api.schemas.infusions import SessionPublic
from api.schemas.sessions import (
    DayPublic,
    SessionCancel,
    SessionCreate,
    SessionMove,
    SlotPublic,
    StatusChange,
)
from services import booking, schedule

router = APIRouter(prefix="/api", tags=["sessions"])


@router.get("/infusions/{infusion_id}/slots", tags=["infusions"])
def get_slots(
    infusion_id: int,
    actor: Scheduler,
    uow: UoW,
    clock: ClockDep,
    session_type: Annotated[str, Query(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    therapist_id: int | None = None,
) -> list[SlotPublic]:
    """Free, bookable slots in the session type's window, best first."""
    return booking.slots_for(uow, infusion_id, session_type, limit, therapist_id, clock)


@router.post("/sessions", status_code=201, response_model=SessionPublic)
def post_session(
    body: SessionCreate,
    actor: Scheduler,
    uow: UoW,
    clock: ClockDep,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Book a session; with no therapist the best free one is chosen."""

    def book() -> SessionPublic:
        return booking.book_session(uow, body, clock)

    return idempotent(request, actor, idempotency_key, body, book, status=201)


@router.get("/sessions")
def list_sessions(
    actor: AnyUser,
    uow: UoW,
    page: PageDep,
    request: Request,
    response: Response,
    date: str | None = None,
    therapist_id: int | None = None,
    patient_id: int | None = None,
) -> list[SessionPublic]:
    found = schedule.list_sessions(
        uow, actor, page, date_text=date, therapist_id=therapist_id, patient_id=patient_id
    )
    return paginate(request, response, found, page)


@router.get("/sessions/{session_id}")
def get_session(session_id: int, actor: AnyUser, uow: UoW) -> SessionPublic:
    return schedule.get_session(uow, session_id, actor)


@router.patch("/sessions/{session_id}")
def patch_session(
    session_id: int, body: SessionMove, actor: Scheduler, uow: UoW, clock: ClockDep
) -> SessionPublic:
    return booking.move_session(uow, session_id, body, clock)


@router.post("/sessions/{session_id}/cancel")
def cancel_session(
    session_id: int,
    actor: Scheduler,
    uow: UoW,
    clock: ClockDep,
    body: Annotated[SessionCancel | None, Body()] = None,
) -> SessionPublic:
    return booking.cancel_session(uow, session_id, body, clock)


@router.post("/sessions/{session_id}/status")
def post_status(
    session_id: int, body: StatusChange, actor: AnyUser, uow: UoW, clock: ClockDep
) -> SessionPublic:
    return booking.change_status(uow, session_id, body, actor, clock)


@router.get("/therapists/{therapist_id}/day", tags=["therapists"])
def get_day(
    therapist_id: int,
    actor: AnyUser,
    uow: UoW,
    date: Annotated[str, Query(description="the clinic's local date, YYYY-MM-DD")],
) -> DayPublic:
    return schedule.therapist_day(uow, therapist_id, date, actor)
