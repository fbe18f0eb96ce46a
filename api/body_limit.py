"""A limit on the size of request bodies, enforced before anything reads or parses them.

Pure ASGI middleware (no BaseHTTPMiddleware): it looks at ``Content-Length`` before the app
runs, and counts the bytes the app receives while a body without one (chunked) streams in.
Either way the answer is 413 problem+json with the code ``payload_too_large``, and the body
is never parsed: a client without a login cannot make the server parse 13 MB of JSON.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from planner.errors import Code


class _BodyTooLarge(Exception):
    """Raised inside the app's ``receive`` once the body has grown past the limit."""


def _declared_length(scope: Scope) -> int | None:
    """The declared ``Content-Length``; -1 for a body without one (chunked); None for a
    request without a body (most GETs: nothing to count)."""
    length: int | None = None
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
        elif name == b"transfer-encoding":
            return -1
    return length


class BodyLimit:
    """Refuse request bodies larger than ``max_bytes`` with 413, before they are parsed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            Code.payload_too_large,
            f"the request body is larger than the limit of {self.max_bytes} bytes",
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is None or 0 <= declared <= self.max_bytes:
            await self.app(scope, receive, send)  # no body, or one whose length is allowed
            return
        if declared > self.max_bytes:
            await self._refuse(scope, receive, send)  # the body is never read
            return
        stream = _CountedBody(self.max_bytes, receive, send)
        try:
            await self.app(scope, stream.receive, stream.send)
        except Exception:
            if not stream.exceeded or stream.answer_started:
                raise
        if stream.exceeded and not stream.answer_started:
            await self._refuse(scope, receive, send)


class _CountedBody:
    """The app's receive and send around a body without a length: bytes counted as they come,
    the read stopped past the limit, and whatever the app answers to that replaced by the 413."""

    def __init__(self, max_bytes: int, receive: Receive, send: Send) -> None:
        self.max_bytes = max_bytes
        self._receive, self._send = receive, send
        self.received = 0
        self.exceeded = False
        self.answer_started = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_bytes:
                self.exceeded = True
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.answer_started:
            return
        if message["type"] == "http.response.start":
            self.answer_started = True
        await self._send(message)
