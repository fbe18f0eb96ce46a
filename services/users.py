"""Users and their bearer tokens: random, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select

from api.schemas.people import UserCreate, UserPublic
from models.db import hold_startup_lock
from models.tables import ApiToken, Therapist, User
from models.uow import UnitOfWork
from planner.errors import PlannerError
from planner.localtime import Clock
from planner.roles import Actor, Role
from services.common import get_reference

_hasher = PasswordHasher()


def password_hash(password: str) -> str:
    """An argon2id hash (argon2-cffi's defaults)."""
    return _hasher.hash(password)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    uow: UnitOfWork, user: User, now: datetime, ttl: timedelta | None
) -> tuple[ApiToken, str]:
    """A new token for ``user``: the stored row and the plain token, which is shown once."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + ttl if ttl else None,
    )
    uow.session.add(row)
    return row, token


def create_user(uow: UnitOfWork, body: UserCreate, clock: Clock, ttl: timedelta) -> UserPublic:
    with uow:
        session = uow.session
        if body.role == "therapist" and body.therapist_id is None:
            raise PlannerError("validation_error", "a therapist user needs therapist_id")
        if body.therapist_id is not None:
            get_reference(session, Therapist, body.therapist_id, "therapist")
        if session.scalars(select(User).where(User.username == body.username)).first():
            raise PlannerError("already_exists", f"username {body.username!r} is taken")
        now = clock()
        user = User(
            username=body.username,
            role=body.role,
            therapist_id=body.therapist_id,
            password_hash=password_hash(body.password) if body.password else None,
            disabled=False,
            created_at=now,
        )
        session.add(user)
        session.flush()
        stored, token = issue_token(uow, user, now, ttl)
        uow.commit()
        return UserPublic(
            id=user.id,
            username=user.username,
            role=user.role,
            therapist_id=user.therapist_id,
            token=token,
            token_expires_at=stored.expires_at.isoformat() if stored.expires_at else None,
        )


def actor_for_token(uow: UnitOfWork, token: str, now: datetime) -> Actor | None:
    """The user a token belongs to, if it is known, unexpired and the user is enabled."""
    with uow:
        row = uow.session.execute(
            select(User, ApiToken)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == hash_token(token))
        ).first()
        if row is None:
            return None
        user, stored = row
        if user.disabled or (stored.expires_at is not None and stored.expires_at <= now):
            return None
        return Actor(user.id, user.username, Role.named(user.role), user.therapist_id)


def ensure_bootstrap_admin(uow: UnitOfWork, token: str) -> None:
    """Make sure an administrator holding ``token`` exists (SPEC §5: bootstrap token).

    Under the start-up lock: servers started together add the token once.
    """
    with uow:
        session = uow.session
        hold_startup_lock(session.connection())
        digest = hash_token(token)
        if session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first():
            return
        user = session.scalars(select(User).where(User.username == "admin")).first()
        now = datetime.now(UTC)
        if user is None:
            user = User(username="admin", role="admin", disabled=False, created_at=now)
            session.add(user)
            session.flush()
        session.add(ApiToken(user_id=user.id, token_hash=digest, created_at=now, expires_at=None))
        uow.commit()


def ensure_first_admin(uow: UnitOfWork) -> str | None:
    """On a database with no users at all, an ``admin`` with a random password (returned once).

    So a new clinic can log in right after ``planner serve``; the password is printed on
    the console once and stored only as a hash. Under the start-up lock: of several servers
    started together on a new database exactly one creates the admin and prints a password.
    """
    with uow:
        session = uow.session
        hold_startup_lock(session.connection())
        if session.scalars(select(User.id).limit(1)).first() is not None:
            return None
        password = secrets.token_urlsafe(12)
        session.add(
            User(
                username="admin",
                role="admin",
                password_hash=password_hash(password),
                disabled=False,
                created_at=datetime.now(UTC),
            )
        )
        uow.commit()
        return password
