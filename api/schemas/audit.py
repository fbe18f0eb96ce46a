"""Audit entries as the API answers them."""

from __future__ import annotations

from typing import Any

from api.schemas.base import Public, rfc3339
from services.views import AuditView


class AuditPublic(Public):
    id: int
    at: str
    actor_id: int | None
    actor: str | None
    role: str | None
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    related: list[Any] | None
    outcome: str
    request_id: str | None
    client_address: str | None

    @classmethod
    def of(cls, view: AuditView) -> AuditPublic:
        return cls(
            id=view.id,
            at=rfc3339(view.at),
            actor_id=view.actor_id,
            actor=view.actor,
            role=view.role,
            action=view.action,
            entity=view.entity,
            entity_id=view.entity_id,
            patient_id=view.patient_id,
            before=view.before,
            after=view.after,
            related=view.related,
            outcome=view.outcome,
            request_id=view.request_id,
            client_address=view.client_address,
        )
