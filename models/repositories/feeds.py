"""Calendar feeds: at most one live secret URL per therapist or room (its token hashed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.tables import CalendarFeed


class FeedRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def end(self, owner_kind: str, owner_id: int, now: datetime) -> int:
        """End the owner's live feed (its URL answers 404 from now on); how many were live."""
        ended = self.db.execute(
            update(CalendarFeed)
            .where(
                CalendarFeed.owner_kind == owner_kind,
                CalendarFeed.owner_id == owner_id,
                CalendarFeed.ended_at.is_(None),
            )
            .values(ended_at=now)
        )
        return int(getattr(ended, "rowcount", 0) or 0)

    def add(self, row: CalendarFeed) -> CalendarFeed:
        self.db.add(row)
        self.db.flush()
        return row

    def live(self, token_hash: str) -> CalendarFeed | None:
        query = select(CalendarFeed).where(
            CalendarFeed.token_hash == token_hash, CalendarFeed.ended_at.is_(None)
        )
        return self.db.scalars(query).first()
