"""A caller's repeated read answered at the edge, before routing (pure ASGI middleware).

A therapist's phone reloads the same day view, the board the same slot search. The routes
keep their answers (``api/answers.py``), but each request still went through routing and
FastAPI's dependency solving (the token check, the role, the query check, the parameters)
to reach the kept answer: about two thirds of a kept day view's cost (``bench/RESULTS.md``).

So a whole answer is kept as well, for exactly one caller and one URL: the key is the
bearer token's fingerprint, the path and the query string, and it lives in the same
generation as every kept answer (any commit anywhere ends it: a revoked token, a disabled
user, a changed role or therapist all commit). It is served only while it still holds:

- the token has not expired (its expiry is kept with it and read against the clock), and
- for an answer that looks at "now" (a slot search), the minute it is asked at is one the
  answer holds for (``KeptBody.holds_at``).

Only answers a route produced through :func:`api.answers.kept_json`, with status 200 and
a bearer token, are kept; everything else passes through untouched. An answer is kept
under the data stamp its request read first (the token check reads it before anything
else), and a request with something kept under its key reads the stamp here, once, for
the route to reuse (``Answers.stamp_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.answers import GRANT, KEPT_BODY, STAMP, Answers, KeptBody
from planner.localtime import Clock, next_whole_minute
from services.users import TokenGrant, token_fingerprint


@dataclass(frozen=True, slots=True)
class KeptResponse:
    """A whole 200 answer for one caller, and until when its token lets it be served."""

    body: KeptBody
    headers: tuple[tuple[bytes, bytes], ...]
    token_expires_at: datetime | None

    def serves(self, clock: Clock) -> bool:
        if self.token_expires_at is None and self.body.holds_at is None:
            return True
        now = clock()
        if self.token_expires_at is not None and self.token_expires_at <= now.astimezone(UTC):
            return False
        return self.body.holds_at is None or self.body.serves(next_whole_minute(now))

    async def send(self, send: Send) -> None:
        start = {"type": "http.response.start", "status": 200, "headers": list(self.headers)}
        await send(start)
        await send({"type": "http.response.body", "body": self.body.body})


class KeptResponses:
    """Serve a caller's kept answer without routing it; keep the ones routes produce."""

    def __init__(self, app: ASGIApp, answers: Answers, clock: Clock) -> None:
        self.app = app
        self.answers = answers
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _bearer_token(scope) if scope["type"] == "http" else None
        if token is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        key = ("response", token_fingerprint(token), scope["path"], scope["query_string"])
        if self.answers.holds(key):
            kept: KeptResponse | None = self.answers.get(await self.answers.stamp_of(state), key)
            if kept is not None and kept.serves(self.clock):
                await kept.send(send)
                return
        started: Message = {}

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            await send(message)

        await self.app(scope, receive, watched)
        stamp: str | None = state.get(STAMP)  # read before anything was (api/deps.py)
        body: KeptBody | None = state.get(KEPT_BODY)
        grant: TokenGrant | None = state.get(GRANT)
        if body is not None and grant is not None and started.get("status") == 200:
            headers: tuple[tuple[bytes, bytes], ...] = tuple(started.get("headers") or ())
            self.answers.put(stamp, key, KeptResponse(body, headers, grant.expires_at))


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None
