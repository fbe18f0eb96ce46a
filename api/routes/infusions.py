"""Infusions: record, read, list by day, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from api.deps import ClockDep, PageDep, Scheduler, UoW, paginate
from api.schemas.infusions import CancelBody, InfusionCreate, InfusionPublic
from services import infusions

router = APIRouter(prefix="/api", tags=["infusions"])


@router.post("/infusions", status_code=201)
def post_infusion(
    body: InfusionCreate, actor: Scheduler, uow: UoW, clock: ClockDep
) -> InfusionPublic:
    return infusions.create_infusion(uow, body, clock)


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
