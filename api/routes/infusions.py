"""Infusions: record, read, list by day, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from api.deps import ClockDep, PageDep, Scheduler, UoW, paginate
from api.schemas.infusions import CancelBody, InfusionCreate, InfusionPublic
from api.schemas.planning import (
    DayPlanPublic,
    DayPlanRequest,
    FollowUpRequest,
    FollowUpsPublic,
    InfusionPatch,
    InfusionReplanned,
    PlanPublic,
    PlanRequest,
)
from services import day_plan, follow_ups, infusions, planning, replan

router = APIRouter(prefix="/api", tags=["infusions"])


@router.post("/infusions", status_code=201)
def post_infusion(
    body: InfusionCreate, actor: Scheduler, uow: UoW, clock: ClockDep
) -> InfusionPublic:
    """Record an infusion; with ``auto_book`` its care plan is booked in the same transaction."""
    return planning.create_infusion_planned(uow, body, clock)


@router.get("/infusions")
def list_infusions(
    actor: Scheduler,
    uow: UoW,
    page: PageDep,
    request: Request,
    response: Response,
    date: Annotated[str | None, Query(description="the clinic's local date, YYYY-MM-DD")] = None,
) -> list[InfusionPublic]:
    return paginate(request, response, infusions.list_infusions(uow, date, page), page)


@router.get("/infusions/{infusion_id}")
def get_infusion(infusion_id: int, actor: Scheduler, uow: UoW) -> InfusionPublic:
    return infusions.get_infusion(uow, infusion_id)


@router.post("/infusions/{infusion_id}/cancel")
def cancel_infusion(
    infusion_id: int,
    actor: Scheduler,
    uow: UoW,
    clock: ClockDep,
    body: Annotated[CancelBody | None, Body()] = None,
) -> InfusionPublic:
    return infusions.cancel_infusion(uow, infusion_id, body, clock)


@router.patch("/infusions/{infusion_id}", response_model_by_alias=True)
def patch_infusion(
    infusion_id: int, body: InfusionPatch, actor: Scheduler, uow: UoW, clock: ClockDep
) -> InfusionReplanned:
    """Move the infusion (it started late); its sessions are re-planned in one transaction."""
    return replan.replan_infusion(uow, infusion_id, body, clock)


@router.post("/infusions/{infusion_id}/plan")
def plan_infusion(
    infusion_id: int, body: PlanRequest, actor: Scheduler, uow: UoW, clock: ClockDep
) -> PlanPublic:
    """Choose slots for the session types jointly; ``commit`` books them all or none."""
    return planning.plan_for_infusion(uow, infusion_id, body, clock)


@router.post("/infusions/{infusion_id}/follow-ups")
def post_follow_ups(
    infusion_id: int, body: FollowUpRequest, actor: Scheduler, uow: UoW, clock: ClockDep
) -> FollowUpsPublic:
    """Book a series from an RRULE in the clinic's wall time; each occurrence is reported."""
    return follow_ups.book_follow_ups(uow, infusion_id, body, clock)


@router.post("/plan/day", tags=["planning"])
def post_plan_day(
    body: DayPlanRequest, actor: Scheduler, uow: UoW, clock: ClockDep
) -> DayPlanPublic:
    """Plan every care plan of the day's infusions at once (SPEC §6)."""
    return day_plan.plan_day(uow, body, clock)
