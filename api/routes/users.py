"""Users, password login and tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from api.deps import Admin, AnyUser, ClockDep, PageDep, UoW, bearer, paginate
from api.schemas.people import LoginBody, LoginPublic, UserCreate, UserPatch, UserPublic
from services import auth
from services.users import create_user

router = APIRouter(prefix="/api", tags=["users"])


def login_policy(request: Request) -> auth.LoginPolicy:
    settings = request.app.state.settings
    return auth.LoginPolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
        slowdown_seconds=settings.login_slowdown_seconds,
        token_ttl=timedelta(hours=settings.login_token_ttl_hours),
    )


@router.post("/login")
def post_login(body: LoginBody, uow: UoW, clock: ClockDep, request: Request) -> LoginPublic:
    """A bearer token for a username and password; repeated failures are slowed, then 429."""
    address = request.client.host if request.client else "unknown"
    result = auth.login(uow, body.username, body.password, address, clock, login_policy(request))
    return LoginPublic(
        token=result.token, expires_at=result.expires_at.isoformat(), role=result.role
    )


@router.post("/logout", status_code=200)
def post_logout(
    actor: AnyUser,
    uow: UoW,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> dict[str, str]:
    """Revoke the token this request carries."""
    if credentials is not None:
        auth.logout(uow, credentials.credentials, actor.user_id)
    return {"status": "logged out"}


@router.post("/users", status_code=201)
def post_user(
    body: UserCreate, actor: Admin, uow: UoW, clock: ClockDep, request: Request
) -> UserPublic:
    """Create a user; the answer shows its token once (it is stored only as a hash)."""
    ttl = timedelta(hours=request.app.state.settings.token_ttl_hours)
    return create_user(uow, body, clock, ttl)


@router.get("/users")
def list_users(
    actor: Admin, uow: UoW, page: PageDep, request: Request, response: Response
) -> list[UserPublic]:
    return paginate(request, response, auth.list_users(uow, page), page)


@router.patch("/users/{user_id}")
def patch_user(user_id: int, body: UserPatch, actor: Admin, uow: UoW) -> UserPublic:
    """Disable or enable a user, or set a new password."""
    return auth.patch_user(uow, user_id, body)


@router.delete("/users/{user_id}/tokens")
def delete_tokens(user_id: int, actor: Admin, uow: UoW) -> dict[str, int]:
    """Revoke every token of the user, at once."""
    return {"revoked": auth.revoke_tokens(uow, user_id)}
