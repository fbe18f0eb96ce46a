"""Typed dependencies: the unit of work, the clock, the caller, paging and the settings.

They are ``async``: FastAPI runs them on the event loop. A plain ``def`` dependency costs a
hop to the thread pool and back on every request; ``current_actor`` takes that hop only when
it has to read the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.answers import GRANT, answers_of
from models.ranges import DEFAULT_PAGE, MAX_PAGE, Page
from models.uow import UnitOfWork
from planner.errors import Code, PlannerError
from planner.localtime import Clock
from planner.roles import Actor, Role
from services.settings import Settings
from services.users import TokenGrant, token_fingerprint, token_grant

T = TypeVar("T")

bearer = HTTPBearer(auto_error=False, description="A token from POST /api/users or /api/login")


def client_address(request: Request) -> str:
    address: str = getattr(request.state, "client_address", None) or "unknown"
    return address


def uow_for(request: Request) -> UnitOfWork:
    """A unit of work whose changes are audited as this request's (see ``app.py``)."""
    uow: UnitOfWork = request.app.state.unit_of_work(request)
    return uow


async def get_uow(request: Request) -> UnitOfWork:
    return uow_for(request)


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


UoW = Annotated[UnitOfWork, Depends(get_uow)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The caller its bearer token stands for. What a token grants is kept while the data
    stays the same (``api/answers.py``): revoking it, disabling its user or any other commit
    starts afresh, and its expiry is checked against the clock every time."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise PlannerError(Code.unauthorized, "send Authorization: Bearer <token>")
    token = credentials.credentials
    answers = answers_of(request)
    stamp = await answers.stamp_for(request)
    key = ("token", token_fingerprint(token))
    grant: TokenGrant | None = answers.get(stamp, key)
    if grant is None:
        grant = await run_in_threadpool(token_grant, uow_for(request), token)
        answers.put(stamp, key, grant)
    clock: Clock = request.app.state.clock  # not a dependency: each one costs every request
    actor = None if grant is None else grant.actor_at(clock().astimezone(UTC))
    if actor is None:
        raise PlannerError(Code.unauthorized, "the token is unknown, expired or revoked")
    request.state.actor = actor
    setattr(request.state, GRANT, grant)  # a kept response lasts no longer than the token
    return actor


class RoleCheck:
    """A dependency: the caller, if its role is at least ``role`` (else 403 ``forbidden``).

    A class, not a closure, so the OpenAPI document can tell which routes check a role
    (``api.openapi``).
    """

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not actor.at_least(self.role):
            raise PlannerError(Code.forbidden, f"this needs the {self.role.name} role")
        return actor


AnyUser = Annotated[Actor, Depends(current_actor)]
Scheduler = Annotated[Actor, Depends(RoleCheck(Role.scheduler))]
Admin = Annotated[Actor, Depends(RoleCheck(Role.admin))]


def _query_names(route: object) -> frozenset[str]:
    """The query parameters ``route`` reads (its own and its dependencies'), worked out at
    its first request and kept on the route (routes are made once, at start-up)."""
    known: frozenset[str] | None = getattr(route, "_planner_query_names", None)
    if known is None:
        known = _walk_query_names(route)
        setattr(route, "_planner_query_names", known)  # noqa: B010 (an attribute of our own)
    return known


def _walk_query_names(route: object) -> frozenset[str]:
    names: set[str] = set()
    pending: list[Dependant | None] = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is not None:
            names.update(param.alias for param in dependant.query_params)
            pending.extend(dependant.dependencies)
    return frozenset(names)


async def known_query(request: Request) -> None:
    """Refuse query parameters the route does not read, as request bodies refuse unknown
    fields: ``?therapist=3`` for ``?therapist_id=3`` would otherwise answer every session."""
    route = request.scope.get("route")
    if route is None:
        return
    known = _query_names(route)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
    if unknown:
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": "unknown parameter"}
                for name in unknown
            ]
        )


KnownQuery = Depends(known_query)
"""For every API router: ``APIRouter(..., dependencies=[KnownQuery])``."""


async def get_page(
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
