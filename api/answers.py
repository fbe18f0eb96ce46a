"""Read answers kept while the data stays the same, so a repeated read costs no query.

A clinic's screens ask the same things over and over: every therapist's phone reloads its
day, the board and the infusion page search the same slots. Each answer is kept under the
data stamp read *before* it was computed (``models/stamp.py``) and served only to a request
that reads the same stamp: nothing was committed in between, so the answer is what the
database would give again. Any commit anywhere starts a new generation and drops the old one.

What is kept carries no caller: each request still proves who it is and whether it may see
the thing, and the key holds everything else the answer depends on (ids, dates, the minute
of "now" where the answer looks at it). The token check is kept the same way (its expiry is
checked against the clock at every request).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from models.stamp import DataStamp

CAPACITY = 1024
KEPT_BODY = "kept_body"  # request.state: the kept answer a route served (api/kept_responses.py)
GRANT = "token_grant"  # request.state: what the caller's token grants (api/deps.py)
STAMP = "data_stamp"  # request.state: the stamp this request reads everything under


class Answers:
    """The kept answers of the current generation, the least recently used dropped first."""

    def __init__(self, stamp: DataStamp, capacity: int = CAPACITY) -> None:
        self._stamp = stamp
        self._capacity = capacity
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()

    async def stamp_for(self, request: Request) -> str | None:
        """The stamp, read once per request (its token check and its answer share it)."""
        return await self.stamp_of(request.scope.setdefault("state", {}))

    async def stamp_of(self, state: dict[str, Any]) -> str | None:
        """The stamp of the request whose ASGI ``state`` this is, read at its first ask."""
        if STAMP not in state:
            state[STAMP] = await self._stamp.read()
        found: str | None = state[STAMP]
        return found

    def holds(self, key: Hashable) -> bool:
        """Whether anything is kept under ``key``, of this generation or an older one: a
        look that costs no stamp read, for callers that mostly ask what was never kept."""
        return key in self._kept

    def get(self, stamp: str | None, key: Hashable) -> Any:
        if stamp is None:
            return None
        with self._lock:
            self._renew(stamp)
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, stamp: str | None, key: Hashable, value: object) -> None:
        if stamp is None or value is None:
            return
        with self._lock:
            if stamp != self._generation:  # computed from older data, or ahead of the rest
                return
            self._kept[key] = value
            self._kept.move_to_end(key)
            while len(self._kept) > self._capacity:
                self._kept.popitem(last=False)

    async def close(self) -> None:
        await self._stamp.close()

    def _renew(self, stamp: str) -> None:
        if stamp != self._generation:
            self._generation = stamp
            self._kept.clear()


def answers_of(request: Request) -> Answers:
    answers: Answers = request.app.state.answers
    return answers


@dataclass(frozen=True, slots=True)
class KeptBody:
    """A JSON answer, and for which "now" it holds if it looks at "now" (e.g. ``SlotSearch``)."""

    body: bytes
    holds_at: Callable[[datetime], bool] | None = None

    def serves(self, now: datetime | None) -> bool:
        if self.holds_at is None:
            return True
        return now is not None and self.holds_at(now)


async def kept_json(
    request: Request,
    key: Hashable,
    compute: Callable[[], KeptBody],
    now: datetime | None = None,
) -> Response:
    """The JSON answer for ``key`` (at ``now``, if it depends on it): kept, or ``compute``d
    in the thread pool and kept."""
    answers = answers_of(request)
    stamp = await answers.stamp_for(request)
    kept: KeptBody | None = answers.get(stamp, key)
    if kept is None or not kept.serves(now):
        kept = await run_in_threadpool(compute)
        answers.put(stamp, key, kept)
    setattr(request.state, KEPT_BODY, kept)
    return Response(kept.body, media_type="application/json")
