"""Users, their bearer tokens (stored only as a hash) and failed login attempts."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.db import LOGIN_ADDRESS_LOCK, hold_keyed_lock
from models.ranges import Page
from models.tables import ApiToken, LoginAttempt, User
from planner.errors import NotFound


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenHolder(NamedTuple):
    """A token's user, as authentication reads it."""

    user_id: int
    username: str
    role: str
    therapist_id: int | None
    disabled: bool
    expires_at: datetime | None


class UserRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, row: User) -> User:
        self.db.add(row)
        self.db.flush()
        return row

    def get(self, user_id: int) -> User:
        row = self.db.get(User, user_id)
        if row is None:
            raise NotFound("user", user_id)
        return row

    def named(self, username: str) -> User | None:
        return self.db.scalars(select(User).where(User.username == username)).first()

    def any_exists(self) -> bool:
        return self.db.scalars(select(User.id).limit(1)).first() is not None

    def page(self, page: Page) -> list[User]:
        query = select(User).order_by(User.id).limit(page.limit + 1).offset(page.offset)
        return list(self.db.scalars(query))

    # -- tokens ------------------------------------------------------------------------------
    def add_token(self, row: ApiToken) -> ApiToken:
        self.db.add(row)
        return row

    def holder_of(self, token: str) -> TokenHolder | None:
        """Who holds ``token`` (every request asks: the columns it needs, in one query)."""
        query = (
            select(
                User.id,
                User.username,
                User.role,
                User.therapist_id,
                User.disabled,
                ApiToken.expires_at,
            )
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == hash_token(token))
        )
        row = self.db.execute(query).first()
        return None if row is None else TokenHolder(*row)

    def token_known(self, token: str) -> bool:
        query = select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))
        return self.db.scalar(query) is not None

    def delete_token(self, token: str) -> None:
        self.db.execute(delete(ApiToken).where(ApiToken.token_hash == hash_token(token)))

    def delete_tokens_of(self, user_id: int) -> int:
        result = self.db.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
        return int(getattr(result, "rowcount", 0) or 0)

    # -- failed logins -----------------------------------------------------------------------
    def hold_failures_from(self, address: str) -> None:
        """Until this transaction ends, no other login from ``address`` counts or records
        failures (services/users.py says why one lock, on the address, is enough)."""
        hold_keyed_lock(self.db.connection(), LOGIN_ADDRESS_LOCK, address)

    def failures_since(self, since: datetime, address: str, username: str | None = None) -> int:
        """Failed logins from ``address`` after ``since``: for ``username``, or for anyone."""
        query = select(func.count(LoginAttempt.id)).where(
            LoginAttempt.at > since, LoginAttempt.address == address
        )
        if username is not None:
            query = query.where(LoginAttempt.username == username)
        return int(self.db.scalar(query) or 0)

    def add_failure(self, username: str, address: str, at: datetime) -> None:
        self.db.add(LoginAttempt(username=username, address=address, at=at))

    def forget_failures(self, username: str, address: str, until: datetime) -> None:
        self.db.execute(
            delete(LoginAttempt).where(
                LoginAttempt.username == username,
                LoginAttempt.address == address,
                LoginAttempt.at <= until,
            )
        )
