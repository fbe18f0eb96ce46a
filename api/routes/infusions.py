"""Infusions: record, read, list by day, move (re-plan), cancel, plan, follow-ups; the day."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from api.deps import ClockDep, KnownQuery, PageDep, Scheduler, UoW, paginate
from api.openapi import problems
from api.params import LocalDate, PathId
from api.schemas.base import day
from api.schemas.infusions import (
    CancelBody,
    InfusionCreate,
    InfusionPatch,
    InfusionPublic,
    InfusionReplanned,
)
from api.schemas.planning import (
    BookDayPlanRequest,
    DayPlanPublic,
    DayPlanRequest,
    FollowUpRequest,
    FollowUpsPublic,
    PlanPublic,
    PlanRequest,
)
from services import care_plans, day_plan, follow_ups, infusions, plan_preview, replan

router = APIRouter(prefix="/api", tags=["infusions"], dependencies=[KnownQuery])


@router.post("/infusions", status_code=201, responses=problems(409))
def post_infusion(
    body: InfusionCreate, actor: Scheduler, uow: UoW, clock: ClockDep
) -> InfusionPublic:
    """Record an infusion; with ``auto_book`` its care plan is booked in the same transaction."""
    return InfusionPublic.of(care_plans.record_and_plan(uow, body.command(), clock))


@router.get("/infusions")
def list_infusions(
    actor: Scheduler,
    uow: UoW,
    page: PageDep,
    request: Request,
    response: Response,
    date: Annotated[LocalDate | None, Query()] = None,
) -> list[InfusionPublic]:
    on = day(date) if date is not None else None
    found = [InfusionPublic.of(i) for i in infusions.list_infusions(uow, on, page)]
    return paginate(request, response, found, page)


@router.get("/infusions/{infusion_id}")
def get_infusion(infusion_id: PathId, actor: Scheduler, uow: UoW) -> InfusionPublic:
    return InfusionPublic.of(infusions.get_infusion(uow, infusion_id))


@router.post("/infusions/{infusion_id}/cancel", responses=problems(409))
def cancel_infusion(
    infusion_id: PathId,
    actor: Scheduler,
    uow: UoW,
    clock: ClockDep,
    body: Annotated[CancelBody | None, Body()] = None,
) -> InfusionPublic:
    reason = body.reason if body else None
    return InfusionPublic.of(infusions.cancel_infusion(uow, infusion_id, reason, clock))


@router.patch("/infusions/{infusion_id}", response_model_by_alias=True, responses=problems(409))
def patch_infusion(
    infusion_id: PathId, body: InfusionPatch, actor: Scheduler, uow: UoW, clock: ClockDep
) -> InfusionReplanned:
    """Move the infusion (it started late); its sessions are re-planned in one transaction."""
    moved = replan.move_infusion(uow, infusion_id, body.command(), clock)
    return InfusionReplanned.replanned(moved)


@router.post("/infusions/{infusion_id}/plan", responses=problems(409))
def plan_infusion(
    infusion_id: PathId, body: PlanRequest, actor: Scheduler, uow: UoW, clock: ClockDep
) -> PlanPublic:
    """Choose slots for the session types jointly; ``commit`` books them all or none."""
    return PlanPublic.of(care_plans.plan_care_plan(uow, infusion_id, body.command(), clock))


@router.post("/infusions/{infusion_id}/follow-ups", responses=problems(409))
def post_follow_ups(
    infusion_id: PathId, body: FollowUpRequest, actor: Scheduler, uow: UoW, clock: ClockDep
) -> FollowUpsPublic:
    """Book a series from an RRULE in the clinic's wall time; each occurrence is reported."""
    booked = follow_ups.book_follow_ups(uow, infusion_id, body.command(), clock)
    return FollowUpsPublic.of(booked)


@router.post("/plan/day/book", tags=["planning"], responses=problems(409))
def post_book_day_plan(
    body: BookDayPlanRequest, actor: Scheduler, uow: UoW, clock: ClockDep
) -> DayPlanPublic:
    """Book exactly the previewed plan (the sessions ``/plan/day`` proposed): each is checked
    again; if the day changed meanwhile nothing is booked and the answer is 409 ``conflict``
    saying what is in the way."""
    return DayPlanPublic.of(plan_preview.book_previewed_plan(uow, body.command(), clock))


@router.post("/plan/day", tags=["planning"], responses=problems(409))
def post_plan_day(
    body: DayPlanRequest, actor: Scheduler, uow: UoW, clock: ClockDep
) -> DayPlanPublic:
    """Plan every care plan of the day's infusions at once."""
    return DayPlanPublic.of(day_plan.plan_day(uow, body.command(), clock))
