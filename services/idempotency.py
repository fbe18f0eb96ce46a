"""``Idempotency-Key``: the same key and request answer the same, and nothing is done twice.

The key is claimed, the work done and the answer stored in ONE transaction, so a crash at
any point leaves either nothing (a retry does the work) or the work with its answer (a retry
replays it). A concurrent request with the same key waits for the first (PostgreSQL: the
unique index; SQLite: the write lock) and then replays its answer. A refusal is stored in a
transaction of its own after the work's rolled back: if the process dies in between, the
retry simply asks again. That holds for a refusal the database gives as the work leaves (an
overlap the exclusion constraints caught, a value out of range) as for the rules' own; only
a refusal that itself says "retry" (``database_busy``, ``conflict``) is not kept. Keys
belong to the caller and expire.

``idempotency_in_flight`` is therefore never the answer to a concurrent request with the
same key. It remains for a key whose row is ``in_flight`` in the database, which this code
never commits (the planner before this design claimed keys in a transaction of their own),
and for a key that expired between a concurrent claim and the replay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any, TypeVar

from models.tables import IdempotencyKey
from models.uow import UnitOfWork
from planner.errors import Code, PlannerError
from planner.localtime import Clock

T = TypeVar("T")
IN_FLIGHT = "a request with this Idempotency-Key is still being processed; retry"
# Refusals that ask the client to send the request again are not kept for the key: a busy
# database, or data that changed under the transaction. The retry does the work anew.
ASK_AGAIN = frozenset({Code.database_busy, Code.conflict})


@dataclass(frozen=True)
class Once:
    """What makes a request the same request: who, which key, and the request's fingerprint."""

    user_id: int
    key: str
    fingerprint: str
    ttl: timedelta


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # JSON
    replayed: bool = False


Render = Callable[[T], Answer]
RenderRefusal = Callable[[PlannerError], Answer]


def idempotently(
    uow: UnitOfWork,
    once: Once,
    clock: Clock,
    work: Callable[[UnitOfWork], T],
    render: Render[T],
    render_refusal: RenderRefusal,
) -> Answer:
    """Run ``work`` (inside the open unit of work, not committing) at most once per key."""
    claimed = False
    try:
        with uow:
            row = _claim(uow, once, clock)
            if isinstance(row, Answer):
                return row
            claimed = True
            answer = render(work(uow))
            uow.idempotency.answer(row, answer.status, answer.body)
            uow.commit()
            return answer
    except PlannerError as error:
        if not claimed:
            if error.code != Code.idempotency_in_flight:
                raise  # the key was used with another body, or the database was busy
            return _replay(uow, once, clock)
        if error.code in ASK_AGAIN:
            raise
        # The work's refusal: the rules' own, or one the database found as the transaction
        # was leaving (an overlap its constraints caught, a value it cannot store). Either
        # is the answer to this request, and is kept like any other.
        refused = error
    answer = render_refusal(refused)
    _store_refusal(uow, once, clock, answer)
    return answer


def _claim(uow: UnitOfWork, once: Once, clock: Clock) -> Answer | IdempotencyKey:
    """Claim the key in this transaction, or the answer its first use gave."""
    now = clock().astimezone(UTC)
    row = uow.idempotency.find(once.user_id, once.key, now)
    if row is None:
        return uow.idempotency.claim(once.user_id, once.key, once.fingerprint, now, now + once.ttl)
    return _stored(row, once)


def _stored(row: IdempotencyKey, once: Once) -> Answer:
    if row.request_hash != once.fingerprint:
        raise PlannerError(
            Code.idempotency_key_reused,
            "this Idempotency-Key was used with a different request body",
        )
    if row.state != "done":
        raise PlannerError(Code.idempotency_in_flight, IN_FLIGHT)
    stored = row.response_body or {}
    return Answer(row.response_status or 200, stored.get("body"), replayed=True)


def _replay(uow: UnitOfWork, once: Once, clock: Clock) -> Answer:
    """A concurrent request with the same key claimed it first: answer what it answered."""
    with uow:
        row = uow.idempotency.find(once.user_id, once.key, clock().astimezone(UTC))
        if row is None:
            raise PlannerError(Code.idempotency_in_flight, IN_FLIGHT)
        return _stored(row, once)


def _store_refusal(uow: UnitOfWork, once: Once, clock: Clock, answer: Answer) -> None:
    """Remember a refusal, in a new transaction (the work's was rolled back)."""
    try:
        with uow:
            now = clock().astimezone(UTC)
            row = uow.idempotency.find(once.user_id, once.key, now)
            if row is None:
                row = uow.idempotency.claim(
                    once.user_id, once.key, once.fingerprint, now, now + once.ttl
                )
            if row.request_hash == once.fingerprint and row.state != "done":
                uow.idempotency.answer(row, answer.status, answer.body)
                uow.commit()
    except PlannerError as error:  # a concurrent request stored its answer meanwhile
        if error.code != Code.idempotency_in_flight:
            raise
