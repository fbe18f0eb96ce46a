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
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


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
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)  # the body is never read
            return

        received = 0
        exceeded = False
        answer_started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answer_started
            if exceeded and not answer_started:
                return  # whatever the app answers to the aborted read is replaced by the 413
            if message["type"] == "http.response.start":
                answer_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded or answer_started:
                raise
        if exceeded and not answer_started:
            await self._refuse(scope, receive, send)
