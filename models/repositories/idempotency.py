"""``Idempotency-Key`` rows: the key, who used it, the request's fingerprint and its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.tables import IdempotencyKey
from planner.errors import Code, PlannerError


class IdempotencyRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def find(self, user_id: int, key: str, now: datetime) -> IdempotencyKey | None:
        """The key's row, after removing it if it has expired."""
        self.db.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.expires_at <= now,
            )
        )
        query = select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
        )
        return self.db.scalars(query).first()

    def claim(
        self, user_id: int, key: str, fingerprint: str, now: datetime, expires_at: datetime
    ) -> IdempotencyKey:
        """Insert the key (flushed at once: a concurrent claim of the same key waits or fails)."""
        row = IdempotencyKey(
            user_id=user_id,
            key=key,
            request_hash=fingerprint,
            state="in_flight",
            created_at=now,
            expires_at=expires_at,
        )
        self.db.add(row)
        try:
            self.db.flush()
        except IntegrityError as exc:  # a concurrent request claimed the key first
            raise PlannerError(Code.idempotency_in_flight, "the key was claimed meanwhile") from exc
        return row

    @staticmethod
    def answer(row: IdempotencyKey, status: int, body: Any) -> None:
        row.state = "done"
        row.response_status = status
        row.response_body = {"body": body}
