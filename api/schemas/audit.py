from __future__ import annotations

from typing import Any

from api.schemas.base import Public


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
