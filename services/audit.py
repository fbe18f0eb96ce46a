"""Reading the audit log, and recording refused attempts on patient data."""

from __future__ import annotations

from sqlalchemy import select

from api.schemas.audit import AuditPublic
from models.audit import Change
from models.tables import AuditEntry
from models.uow import UnitOfWork
from planner.localtime import parse_instant, to_clinic
from services.common import Page, clinic_zone


def list_audit(
    uow: UnitOfWork,
    page: Page,
    *,
    since: str | None = None,
    entity: str | None = None,
    actor: str | None = None,
    newest_first: bool = False,
) -> list[AuditPublic]:
    """Entries oldest first (or newest first); ``actor`` is a username or a user id."""
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        order = (
            (AuditEntry.at.desc(), AuditEntry.id.desc())
            if newest_first
            else (
                AuditEntry.at,
                AuditEntry.id,
            )
        )
        query = select(AuditEntry).order_by(*order)
        if since is not None:
            query = query.where(AuditEntry.at >= parse_instant(since, zone, field="since"))
        if entity is not None:
            query = query.where(AuditEntry.entity == entity)
        if actor is not None:
            query = query.where(
                AuditEntry.actor_id == int(actor) if actor.isdigit() else AuditEntry.actor == actor
            )
        rows = session.scalars(query.limit(page.limit + 1).offset(page.offset)).all()
        return [
            AuditPublic(
                id=row.id,
                at=to_clinic(row.at, zone),
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
            )
            for row in rows
        ]


def record_denial(uow: UnitOfWork, entity: str, entity_id: int | None, code: str) -> None:
    """A refused attempt on patient data, in a transaction of its own."""
    with uow:
        uow.record(Change(entity, entity_id, "denied", None, None, {"code": code}), "denied")
        uow.commit()
