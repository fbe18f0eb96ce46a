"""The audit trail: changes seen in a unit of work become one entry, in the same transaction.

A ``ChangeRecorder`` listens to the session's flushes and keeps, for every audited row that
was inserted, updated or deleted, its values before and after. At commit the unit of work
writes them as a single ``AuditEntry`` (the first change is the entry's subject, the rest go
under ``related``), so a rolled-back change leaves no entry and a committed one always has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from models.tables import (
    AuditEntry,
    Clinic,
    Course,
    Infusion,
    Patient,
    ProtocolVersion,
    Room,
    SessionType,
    Therapist,
    TherapySession,
    TimeOff,
    User,
)

ENTITIES: dict[type[Any], str] = {
    Clinic: "clinic",
    ProtocolVersion: "protocol",
    User: "user",
    Therapist: "therapist",
    TimeOff: "time_off",
    Room: "room",
    SessionType: "session_type",
    Patient: "patient",
    Course: "course",
    Infusion: "infusion",
    TherapySession: "session",
}
SECRET_COLUMNS = {"password_hash"}


@dataclass(frozen=True)
class AuditContext:
    """Who is acting, and from where (filled from the HTTP request)."""

    at: datetime
    actor_id: int | None
    actor: str | None
    role: str | None
    action: str
    request_id: str | None = None
    client_address: str | None = None


@dataclass
class Change:
    entity: str
    entity_id: int | None
    op: str
    patient_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "entity_id": self.entity_id,
            "op": self.op,
            "before": self.before,
            "after": self.after,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _patient_of(row: Any) -> int | None:
    if isinstance(row, Patient):
        return row.id
    value = getattr(row, "patient_id", None)
    return value if isinstance(value, int) else None


@dataclass
class ChangeRecorder:
    changes: list[Change] = field(default_factory=list)
    outcome: str = "success"
    acting_user: tuple[int, str, str] | None = None  # (id, username, role) when no one is logged in

    def attach(self, session: Session) -> Callable[[], None]:
        event.listen(session, "after_flush", self._after_flush)
        return lambda: event.remove(session, "after_flush", self._after_flush)

    def add(self, change: Change) -> None:
        self.changes.append(change)

    def _after_flush(self, session: Session, _context: Any) -> None:
        for row in session.new:
            self._record(row, "create")
        for row in session.dirty:
            if session.is_modified(row, include_collections=False):
                self._record(row, "update")
        for row in session.deleted:
            self._record(row, "delete")

    def _record(self, row: Any, op: str) -> None:
        entity = ENTITIES.get(type(row))
        if entity is None:
            return
        state = inspect(row)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for attr in state.mapper.column_attrs:
            name = attr.key
            history = state.attrs[name].history
            if name in SECRET_COLUMNS:
                if op == "update" and history.has_changes():  # that it changed, never the value
                    before[name] = after[name] = "[redacted]"
                continue
            if op == "create":
                after[name] = _plain(getattr(row, name))
            elif op == "delete":
                before[name] = _plain(history.unchanged[0] if history.unchanged else None)
            elif history.has_changes():
                before[name] = _plain(history.deleted[0] if history.deleted else None)
                after[name] = _plain(history.added[0] if history.added else None)
        if op == "update" and not after:
            return
        ident = getattr(row, "id", None) or getattr(row, "version", None)
        self.add(Change(entity, ident, op, _patient_of(row), before or None, after or None))

    def entry(self, context: AuditContext) -> AuditEntry | None:
        if not self.changes:
            return None
        acting: tuple[int | None, str | None, str | None] = self.acting_user or (None, None, None)
        subject, *rest = self.changes
        return AuditEntry(
            at=context.at,
            actor_id=context.actor_id if context.actor_id else acting[0],
            actor=context.actor if context.actor_id else acting[1],
            role=context.role if context.actor_id else acting[2],
            action=context.action,
            entity=subject.entity,
            entity_id=subject.entity_id,
            patient_id=subject.patient_id
            or next((c.patient_id for c in rest if c.patient_id), None),
            before=subject.before,
            after=subject.after,
            related=[c.as_json() for c in rest] or None,
            outcome=self.outcome,
            request_id=context.request_id,
            client_address=context.client_address,
        )
