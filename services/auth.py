"""Password login with throttling, logout, token revocation and disabling users (SPEC §5)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select

from api.schemas.people import UserPatch, UserPublic
from models.audit import Change
from models.tables import ApiToken, LoginAttempt, User
from models.uow import UnitOfWork
from planner.errors import PlannerError
from planner.localtime import Clock
from services.common import Page, get_or_404
from services.users import hash_token, issue_token, password_hash

_hasher = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    slowdown_seconds: float = 0.25
    token_ttl: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user_id: int
    role: str


def login(
    uow: UnitOfWork,
    username: str,
    password: str,
    address: str,
    clock: Clock,
    policy: LoginPolicy,
) -> LoginResult:
    """A token for a right password; failures are slowed, then refused with 429."""
    now = clock().astimezone(UTC)
    with uow:
        session = uow.session
        since = now - policy.window
        failures = (
            session.scalar(
                select(func.count(LoginAttempt.id)).where(
                    LoginAttempt.at > since,
                    or_(LoginAttempt.username == username, LoginAttempt.address == address),
                )
            )
            or 0
        )
        if failures >= policy.max_failures:
            raise PlannerError(
                "too_many_requests",
                f"too many failed logins; try again in {int(policy.window.total_seconds() // 60)}"
                " minutes",
            )
        user = session.scalars(select(User).where(User.username == username)).first()
        if not _password_matches(user, password) or user is None or user.disabled:
            session.add(LoginAttempt(username=username, address=address, at=now))
            uow.record(
                Change(
                    "user", user.id if user else None, "login", None, None, {"username": username}
                ),
                outcome="denied",
            )
            uow.commit()
            if failures and policy.slowdown_seconds:
                time.sleep(min(failures, 4) * policy.slowdown_seconds)
            raise PlannerError("unauthorized", "unknown user or wrong password")
        session.execute(
            delete(LoginAttempt).where(LoginAttempt.username == username, LoginAttempt.at <= now)
        )
        stored, token = issue_token(uow, user, now, policy.token_ttl)
        uow.record(
            Change("user", user.id, "login", None, None, {"username": username}),
            acting_user=(user.id, user.username, user.role),
        )
        uow.commit()
        assert stored.expires_at is not None
        return LoginResult(token, stored.expires_at, user.id, user.role)


def _password_matches(user: User | None, password: str) -> bool:
    digest = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        return _hasher.verify(digest, password) and user is not None and bool(user.password_hash)
    except (VerificationError, InvalidHashError):
        return False


def logout(uow: UnitOfWork, token: str, user_id: int) -> None:
    with uow:
        uow.session.execute(delete(ApiToken).where(ApiToken.token_hash == hash_token(token)))
        uow.record(Change("user", user_id, "logout", None, None, None))
        uow.commit()


def revoke_tokens(uow: UnitOfWork, user_id: int) -> int:
    """Every token of the user stops working at once."""
    with uow:
        get_or_404(uow.session, User, user_id, "user")
        result = uow.session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
        revoked = int(getattr(result, "rowcount", 0) or 0)
        uow.record(Change("user", user_id, "revoke_tokens", None, None, {"revoked": revoked}))
        uow.commit()
        return revoked


def _public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        username=user.username,
        role=user.role,
        therapist_id=user.therapist_id,
        disabled=user.disabled,
    )


def list_users(uow: UnitOfWork, page: Page) -> list[UserPublic]:
    with uow:
        rows = uow.session.scalars(
            select(User).order_by(User.id).limit(page.limit + 1).offset(page.offset)
        )
        return [_public(row) for row in rows]


def patch_user(uow: UnitOfWork, user_id: int, body: UserPatch) -> UserPublic:
    with uow:
        user = get_or_404(uow.session, User, user_id, "user")
        if body.disabled is not None:
            user.disabled = body.disabled
            if body.disabled:  # locked out at once, and no old token comes back on re-enabling
                uow.session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
        if body.password is not None:
            user.password_hash = password_hash(body.password)
        uow.commit()
        return _public(user)
