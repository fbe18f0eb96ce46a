"""The application factory. Importing this module builds nothing; ``create_app`` does.

``create_app`` wires the layers together: the engine and the unit of work (``models``), the
clock, the request context every edge reads (request id, client address, who is acting, for
the audit log), the API (``api``) and the pages (``web``).
"""

from __future__ import annotations

import gc
import inspect
import itertools
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC
from secrets import token_hex
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.answers import Answers
from api.body_limit import BodyLimit
from api.fhir_search import FHIR_JSON
from api.forwarded import Network, client_address
from api.kept_responses import KeptResponses
from api.openapi import add_problem_schema, with_refusals
from api.routes import (
    audit,
    clinic,
    courses,
    feeds,
    fhir,
    fhir_scheduling,
    infusions,
    resources,
    sessions,
    users,
)
from models.audit import AuditContext
from models.db import make_engine, session_factory
from models.stamp import DataStamp
from models.uow import UnitOfWork
from planner.localtime import Clock, system_clock
from planner.roles import Actor
from services.clinic import ensure_clinic
from services.settings import Settings
from services.users import ensure_bootstrap_admin
from web import install as install_pages

DESCRIPTION = """Books rehab, cognitive training and therapy sessions inside the time windows
that follow an IV infusion, with therapists who work then and are free, in free rooms.
The default windows are the clinic's own material and are configurable (PUT /api/protocol).
The software schedules; it makes no medical claim."""


class RequestContext:
    """Pure ASGI middleware: a request id (given or new) and the client's address.

    Both land in the request's state for the audit log; the id is echoed as ``X-Request-ID``.
    The address is the peer's, or behind one of ``trusted_proxies`` the one it forwarded
    (``api/forwarded.py``): login throttling, the pages and the audit log all read this one.
    A new id is this process's random prefix and its count of requests, 32 hex digits: as
    unique as a random one, without a system call per request (that was a tenth of what
    ``/api/health`` cost).
    """

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[Network] = ()) -> None:
        self.app = app
        self.trusted_proxies = tuple(trusted_proxies)
        self._id_prefix = token_hex(8)
        self._count = itertools.count()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = b""  # the last X-Request-ID sent, if any
        forwarded: list[str] = []
        for name, value in scope.get("headers") or ():  # one pass, no dict per request
            if name == b"x-request-id":
                given = value
            elif name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
        request_id = given.decode("latin-1")
        if not (request_id and request_id.isprintable()):
            request_id = f"{self._id_prefix}{next(self._count):016x}"
        request_id = request_id[:64]
        client = scope.get("client")
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_address"] = client_address(
            client[0] if client else None, forwarded, self.trusted_proxies
        )

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


class AnswerUnexpected:
    """Pure ASGI middleware: an unexpected exception is answered by the app's handler for
    ``Exception`` (problem+json ``internal_error`` on /api, an HTML page elsewhere; each logs
    it) and goes no further.

    Starlette's ServerErrorMiddleware, outside every middleware we add, answers the same way
    but then raises the exception again, and uvicorn closes the connection: the client's next
    request on that keep-alive connection was reset. An exception after the answer has
    started cannot be answered any more and goes on to it.
    """

    def __init__(self, app: ASGIApp, handlers: Mapping[Any, Any]) -> None:
        self.app = app
        self.handlers = handlers  # the app's exception handlers, read when one is needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            handler = self.handlers.get(Exception)
            if started or handler is None:
                raise
            answer = handler(Request(scope), exc)
            response: Response = await answer if inspect.isawaitable(answer) else answer
            await response(scope, receive, send)


def audit_context(request: Request) -> AuditContext:
    """Who is acting in ``request`` (read when the change commits, after authentication)."""
    actor: Actor | None = getattr(request.state, "actor", None)
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return AuditContext(
        at=request.app.state.clock().astimezone(UTC),
        actor_id=actor.user_id if actor else None,
        actor=actor.username if actor else None,
        role=actor.role.name if actor else None,
        action=f"{request.method} {path}",
        request_id=getattr(request.state, "request_id", None),
        client_address=getattr(request.state, "client_address", None),
    )


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    answers = Answers(DataStamp(engine))

    def unit_of_work(request: Request) -> UnitOfWork:
        return UnitOfWork(factory, audit=lambda: audit_context(request))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ensure_clinic(UnitOfWork(factory), settings.clinic_name, settings.clinic_timezone)
        if settings.bootstrap_admin_token:
            ensure_bootstrap_admin(UnitOfWork(factory), settings.bootstrap_admin_token)
        # What start-up made (the app, its routes, the ORM's mappers) lives as long as the
        # process: out of the collector's way, a full collection no longer walks it, and a
        # request that happens to trigger one stops taking tens of milliseconds longer.
        gc.freeze()
        yield
        await answers.close()
        engine.dispose()

    app = FastAPI(
        title="Infusion-window planner",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        **_telemetry(settings.opentelemetry),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = factory
    app.state.unit_of_work = unit_of_work
    app.state.clock = clock
    app.state.answers = answers
    errors.install(app)
    # Routes are tried in order, the most asked first. Health's joins the app's own routes:
    # an included router is matched through FastAPI's router layer, twice for the route that
    # matches, which was a seventh of a health answer (bench/RESULTS.md). The routers follow,
    # each walking its routes: sessions first (a therapist's day, slot searches, booking).
    # No path of one router matches another's, so the order changes nothing else.
    # Health is matched even before FastAPI's own /docs, /redoc and /openapi.json routes.
    app.router.routes[0:0] = with_refusals(clinic.liveness).routes
    for module in (sessions, clinic, users, resources, infusions, courses, feeds, audit):
        app.include_router(with_refusals(module.router))
    app.include_router(with_refusals(feeds.public))
    # scheduling first: ``/fhir/Appointment/$find`` before ``/fhir/Appointment/{id}``
    for fhir_module in (fhir_scheduling, fhir):
        app.include_router(with_refusals(fhir_module.router, FHIR_JSON))
    add_problem_schema(app)  # every refusal is documented as problem+json
    install_pages(app)  # the server-rendered pages and /static
    # The last added is the outermost. BodyLimit runs before anything reads a body; the
    # request id (and X-Request-ID) is set before anything answers, a 413 or a 500 too. A
    # caller's kept answer is served innermost, after all of them and before routing.
    app.add_middleware(KeptResponses, answers=answers, clock=clock)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AnswerUnexpected, handlers=app.exception_handlers)
    app.add_middleware(RequestContext, trusted_proxies=settings.trusted_proxies)
    return app


def _telemetry(enabled: bool) -> dict[str, Any]:
    """FastAPI's native telemetry options: its defaults when ``enabled``, else all off (then
    FastAPI no longer asks OpenTelemetry for its three providers on every request). A FastAPI
    older than its native telemetry has nothing to turn off."""
    if enabled or "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def app_from_environment() -> FastAPI:
    """The app built from the environment's settings: what each worker process of
    ``planner serve --workers N`` serves (uvicorn imports it by name)."""
    return create_app(Settings())
