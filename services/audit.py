"""Reading the audit log, and recording refused attempts on patient data."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from models.audit import ENTITIES, Change
from models.ranges import Page
from models.tables import AuditEntry
from models.uow import UnitOfWork
from planner.localtime import instant_in
from services.commands import AuditQuery
from services.views import AuditView, local

ENTITY_NAMES = tuple(ENTITIES.values())
"""The kinds of thing the audit log records (``entity``)."""


def _changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[tuple[str, Any, Any], ...]:
    """(field, before, after) for each field the entry records, in a stable order."""
    before, after = before or {}, after or {}
    return tuple(
        (name, before.get(name), after.get(name)) for name in sorted(before.keys() | after.keys())
    )


def _view(row: AuditEntry, zone: ZoneInfo) -> AuditView:
    return AuditView(
        id=row.id,
        at=local(row.at, zone),
        actor_id=row.actor_id,
        actor=row.actor,
        role=row.role,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        patient_id=row.patient_id,
        before=row.before,
        after=row.after,
        related=row.related,
        outcome=row.outcome,
        request_id=row.request_id,
        client_address=row.client_address,
        changes=_changes(row.before, row.after),
    )


def list_audit(uow: UnitOfWork, page: Page, query: AuditQuery) -> list[AuditView]:
    """Entries oldest first (or newest first); ``actor`` is a username or a user id."""
    with uow.reading():
        zone = uow.clinic.zone()
        since = instant_in(query.since, zone) if query.since is not None else None
        rows = uow.audit_log.page(
            page,
            since=since,
            entity=query.entity,
            actor=query.actor,
            newest_first=query.newest_first,
        )
        return [_view(row, zone) for row in rows]


def record_denial(uow: UnitOfWork, entity: str, entity_id: int | None, code: str) -> None:
    """A refused attempt on patient data, in a transaction of its own."""
    with uow:
        uow.record(Change(entity, entity_id, "denied", None, None, {"code": code}), "denied")
        uow.commit()
