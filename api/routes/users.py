"""Users, password login and tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from api.deps import (
    Admin,
    AnyUser,
    ClockDep,
    KnownQuery,
    PageDep,
    SettingsDep,
    UoW,
    bearer,
    client_address,
    paginate,
)
from api.openapi import problems
from api.params import PathId
from api.schemas.people import LoginBody, LoginPublic, UserCreate, UserPatch, UserPublic
from services import users

router = APIRouter(prefix="/api", tags=["users"], dependencies=[KnownQuery])


@router.post("/login", responses=problems(401, 429))
def post_login(
    body: LoginBody, uow: UoW, clock: ClockDep, request: Request, settings: SettingsDep
) -> LoginPublic:
    """A bearer token for a username and password; repeated failures are slowed, then 429."""
    result = users.login(
        uow,
        body.username,
        body.password,
        client_address(request),
        clock,
        users.login_policy(settings),
    )
    return LoginPublic.of(result)


@router.post("/logout", status_code=200)
def post_logout(
    actor: AnyUser,
    uow: UoW,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> dict[str, str]:
    """Revoke the token this request carries."""
    if credentials is not None:
        users.logout(uow, credentials.credentials, actor.user_id)
    return {"status": "logged out"}


@router.post("/users", status_code=201, responses=problems(409))
def post_user(
    body: UserCreate, actor: Admin, uow: UoW, clock: ClockDep, settings: SettingsDep
) -> UserPublic:
    """Create a user; the answer shows its token once (it is stored only as a hash)."""
    ttl = timedelta(hours=settings.token_ttl_hours)
    return UserPublic.created(users.create_user(uow, body.command(), clock, ttl))


@router.get("/users")
def list_users(
    actor: Admin, uow: UoW, page: PageDep, request: Request, response: Response
) -> list[UserPublic]:
    found = [UserPublic.of(u) for u in users.list_users(uow, page)]
    return paginate(request, response, found, page)


@router.patch("/users/{user_id}")
def patch_user(user_id: PathId, body: UserPatch, actor: Admin, uow: UoW) -> UserPublic:
    """Disable or enable a user, or set a new password (nobody disables their own login)."""
    return UserPublic.of(users.change_user(uow, user_id, body.command(), actor))


@router.delete("/users/{user_id}/tokens")
def delete_tokens(user_id: PathId, actor: Admin, uow: UoW) -> dict[str, int]:
    """Revoke every token of the user, at once."""
    return {"revoked": users.revoke_tokens(uow, user_id)}
