"""The application factory. Importing this module builds nothing; ``create_app`` does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

from fastapi import FastAPI, Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from api import errors
from api.body_limit import BodyLimit
from api.routes import audit, clinic, infusions, resources, sessions, users
from api.settings import Settings
from models.db import make_engine, session_factory
from models.uow import UnitOfWork
from planner.localtime import Clock, system_clock
from services.clinic import ensure_clinic
from services.users import ensure_bootstrap_admin
from web import install as install_pages

DESCRIPTION = """Books rehab, cognitive training and therapy sessions inside the time windows
that follow an IV infusion, with therapists who work then and are free, in free rooms.
The default windows are the clinic's own material and are configurable (PUT /api/protocol).
The software schedules; it makes no medical claim."""


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        uow = UnitOfWork(app.state.sessions)
        ensure_clinic(uow, settings.clinic_name, settings.clinic_timezone)
        if settings.bootstrap_admin_token:
            ensure_bootstrap_admin(uow, settings.bootstrap_admin_token)
        yield
        engine.dispose()

    app = FastAPI(
        title="Infusion-window planner",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.clock = clock
    errors.install(app)

    @app.middleware("http")
    async def request_id(request: Request, call_next: RequestResponseEndpoint) -> Response:
        given = request.headers.get("x-request-id", "")
        request.state.request_id = given[:64] if given.isprintable() and given else uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    # Added last, so it is the outermost of ours: nothing reads a body it refuses.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    for module in (clinic, users, resources, infusions, sessions, audit):
        app.include_router(module.router)
    install_pages(app)  # the server-rendered pages and /static
    return app
