"""Typed dependencies: the unit of work, the clock, the caller and paging."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from models.audit import AuditContext
from models.uow import UnitOfWork
from planner.errors import PlannerError
from planner.localtime import Clock
from planner.roles import Actor, Role
from services.common import DEFAULT_PAGE, MAX_PAGE, Page
from services.users import actor_for_token

T = TypeVar("T")

bearer = HTTPBearer(auto_error=False, description="A token from POST /api/users or /api/login")


def audit_context(request: Request, outcome_action: str | None = None) -> AuditContext:
    """Who is acting in ``request`` (read when the change commits, after authentication)."""
    actor: Actor | None = getattr(request.state, "actor", None)
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return AuditContext(
        at=request.app.state.clock().astimezone(UTC),
        actor_id=actor.user_id if actor else None,
        actor=actor.username if actor else None,
        role=actor.role.name if actor else None,
        action=outcome_action or f"{request.method} {path}",
        request_id=getattr(request.state, "request_id", None),
        client_address=request.client.host if request.client else None,
    )


def get_uow(request: Request) -> UnitOfWork:
    return UnitOfWork(request.app.state.sessions, audit=lambda: audit_context(request))


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


UoW = Annotated[UnitOfWork, Depends(get_uow)]
ClockDep = Annotated[Clock, Depends(get_clock)]


def current_actor(
    request: Request,
    uow: UoW,
    clock: ClockDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise PlannerError("unauthorized", "send Authorization: Bearer <token>")
    actor = actor_for_token(uow, credentials.credentials, clock().astimezone(UTC))
    if actor is None:
        raise PlannerError("unauthorized", "the token is unknown, expired or revoked")
    request.state.actor = actor
    return actor


def require(role: Role) -> Callable[[Actor], Actor]:
    def _check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not actor.at_least(role):
            raise PlannerError("forbidden", f"this needs the {role.name} role")
        return actor

    return _check


AnyUser = Annotated[Actor, Depends(current_actor)]
Scheduler = Annotated[Actor, Depends(require(Role.scheduler))]
Admin = Annotated[Actor, Depends(require(Role.admin))]


def get_page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


PageDep = Annotated[Page, Depends(get_page)]


def paginate(request: Request, response: Response, items: Sequence[T], page: Page) -> list[T]:
    """Trim the one extra row the query fetched and announce the next page with ``Link``."""
    if len(items) > page.limit:
        next_url = request.url.include_query_params(
            limit=page.limit, offset=page.offset + page.limit
        )
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return list(items[: page.limit])
