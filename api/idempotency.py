"""``Idempotency-Key`` for POSTs that create: same key and body, same answer, nothing twice.

The key is claimed in its own short transaction (``in_flight``), the work runs in its own,
and the answer is stored with the key. A replay answers the stored answer with
``Idempotent-Replayed: true``; the same key with another body is a 422; a request while the
first is still running is a 409. Keys belong to the caller and expire after 24 hours.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from api.errors import clinic_zone_name, problem_for
from models.tables import IdempotencyKey
from models.uow import UnitOfWork
from planner.errors import PlannerError
from planner.roles import Actor

STALE_IN_FLIGHT = timedelta(minutes=2)


def _fingerprint(request: Request, body: BaseModel) -> str:
    payload = json.dumps(
        [request.method, request.url.path, body.model_dump(mode="json")], sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def idempotent(
    request: Request,
    actor: Actor,
    key: str | None,
    body: BaseModel,
    action: Callable[[], BaseModel],
    *,
    status: int,
) -> JSONResponse:
    if key is None:
        return JSONResponse(jsonable_encoder(action()), status_code=status)
    factory = request.app.state.sessions
    now = request.app.state.clock().astimezone(UTC)
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    fingerprint = _fingerprint(request, body)
    replay = _claim(UnitOfWork(factory), actor.user_id, key, fingerprint, now, ttl)
    if replay is not None:
        return replay
    try:
        answer: Any = jsonable_encoder(action())
        answer_status = status
    except PlannerError as refusal:
        zone = clinic_zone_name(request.app) if refusal.conflicts else None
        response = problem_for(refusal, zone)
        _finish(UnitOfWork(factory), actor.user_id, key, response.status_code, response.body)
        return response
    except Exception:
        _release(UnitOfWork(factory), actor.user_id, key)
        raise
    encoded = json.dumps(answer).encode()
    _finish(UnitOfWork(factory), actor.user_id, key, answer_status, encoded)
    return JSONResponse(answer, status_code=answer_status)


def _claim(
    uow: UnitOfWork, user_id: int, key: str, fingerprint: str, now: datetime, ttl: timedelta
) -> JSONResponse | None:
    """Claim ``key`` for this request, or answer what its first use answered."""
    with uow:
        session = uow.session
        session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.expires_at <= now,
            )
        )
        row = session.scalars(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        ).first()
        if row is None:
            session.add(
                IdempotencyKey(
                    user_id=user_id,
                    key=key,
                    request_hash=fingerprint,
                    state="in_flight",
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
            try:
                uow.commit()
            except IntegrityError as exc:  # a concurrent request claimed it first
                raise PlannerError(
                    "idempotency_in_flight",
                    "a request with this Idempotency-Key is still being processed; retry",
                ) from exc
            return None
        if row.request_hash != fingerprint:
            raise PlannerError(
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request body",
            )
        if row.state == "in_flight":
            if now - row.created_at < STALE_IN_FLIGHT:
                raise PlannerError(
                    "idempotency_in_flight",
                    "a request with this Idempotency-Key is still being processed; retry",
                )
            row.created_at = now  # the first request died; this one takes over
            uow.commit()
            return None
        stored = row.response_body or {}
        media = "application/problem+json" if (row.response_status or 200) >= 400 else None
        return JSONResponse(
            stored.get("body"),
            status_code=row.response_status or 200,
            headers={"Idempotent-Replayed": "true"},
            media_type=media,
        )


def _finish(uow: UnitOfWork, user_id: int, key: str, status: int, body: bytes | memoryview) -> None:
    with uow:
        row = uow.session.scalars(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        ).one()
        row.state = "done"
        row.response_status = status
        row.response_body = {"body": json.loads(bytes(body))}
        uow.commit()


def _release(uow: UnitOfWork, user_id: int, key: str) -> None:
    with uow:
        uow.session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
        uow.commit()
