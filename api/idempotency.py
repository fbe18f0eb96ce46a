"""``Idempotency-Key`` at the edge: the request's fingerprint and the answer as HTTP.

The work, the claim of the key and the stored answer share one transaction
(``services.idempotency``); this module only says what makes two requests the same and how
a stored answer goes back out (``Idempotent-Replayed: true`` on a replay).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.errors import PROBLEM, problem_for
from models.uow import UnitOfWork
from planner.errors import PlannerError
from planner.localtime import Clock
from planner.roles import Actor
from services.idempotency import Answer, Once, idempotently

T = TypeVar("T")


def _fingerprint(request: Request, body: BaseModel) -> str:
    payload = json.dumps(
        [request.method, request.url.path, body.model_dump(mode="json")], sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _refusal(error: PlannerError) -> Answer:
    response = problem_for(error)
    return Answer(response.status_code, json.loads(bytes(response.body)))


def _response(answer: Answer) -> JSONResponse:
    return JSONResponse(
        answer.body,
        status_code=answer.status,
        headers={"Idempotent-Replayed": "true"} if answer.replayed else None,
        media_type=PROBLEM if answer.status >= 400 else None,
    )


def idempotent(
    request: Request,
    actor: Actor,
    key: str | None,
    body: BaseModel,
    uow: UnitOfWork,
    clock: Clock,
    work: Callable[[UnitOfWork], T],
    public: Callable[[T], BaseModel],
    *,
    status: int,
) -> JSONResponse:
    """Run ``work`` in ``uow`` (committed here), once per ``Idempotency-Key`` when given."""

    def render(result: T) -> Answer:
        return Answer(status, jsonable_encoder(public(result)))

    if key is None:
        with uow:
            answer = render(work(uow))
            uow.commit()
        return _response(answer)
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    once = Once(actor.user_id, key, _fingerprint(request, body), ttl)
    return _response(idempotently(uow, once, clock, work, render, _refusal))
