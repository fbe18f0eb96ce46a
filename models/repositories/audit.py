"""Reading the audit log (entries are written by the unit of work at commit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ranges import Page
from models.tables import AuditEntry


class AuditRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def page(
        self,
        page: Page,
        *,
        since: datetime | None = None,
        entity: str | None = None,
        actor: str | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        """Entries oldest first (or newest first); ``actor`` is a username or a user id."""
        order = (
            (AuditEntry.at.desc(), AuditEntry.id.desc())
            if newest_first
            else (AuditEntry.at, AuditEntry.id)
        )
        query = select(AuditEntry).order_by(*order)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if entity is not None:
            query = query.where(AuditEntry.entity == entity)
        if actor is not None:
            query = query.where(
                AuditEntry.actor_id == int(actor) if actor.isdigit() else AuditEntry.actor == actor
            )
        return list(self.db.scalars(query.limit(page.limit + 1).offset(page.offset)))
