"""Server-rendered pages for clinic staff and therapists (Jinja2, no front-end build).

``install(app)`` adds the page routes, the /static files and the handlers that turn a
missing login into a redirect and a refused page or form into a readable HTML page.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from web.access import PageRedirect, PageRefused

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("planner.web")
UNEXPECTED = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Something went wrong · Infusion-window planner</title>
<link rel="stylesheet" href="/static/style.css"></head><body><main id="main">
<section class="card narrow"><h1>Something went wrong</h1>
<div class="alert alert-error" role="alert"><p class="alert-text">An unexpected error occurred;
it has been logged. Reload the page to see the current state.</p></div>
<p><a class="btn" href="/">Back to the start page</a></p></section></main></body></html>"""


def install(app: FastAPI) -> None:
    from web.pages import (
        audit,
        board,
        book_here,
        courses,
        day,
        infusion,
        login,
        session,
        settings,
    )
    from web.render import PAGE_HEADERS, error_page

    for module in (login, board, book_here, infusion, courses, session, day, settings, audit):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(PageRedirect)
    async def _redirect(_: Request, exc: PageRedirect) -> Response:
        return RedirectResponse(exc.url, status_code=303)

    @app.exception_handler(PageRefused)
    async def _refused(request: Request, exc: PageRefused) -> Response:
        return error_page(request, exc.title, exc.detail, exc.status)

    api_unexpected = app.exception_handlers.get(Exception)

    async def _unexpected(request: Request, exc: Exception) -> Response:
        """An unexpected failure on a page is an HTML page too (logged; never a traceback)."""
        if request.url.path.startswith("/api") or api_unexpected is None:
            if api_unexpected is None:
                raise exc
            answer = api_unexpected(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        log.exception("unexpected error on a page")
        return HTMLResponse(UNEXPECTED, status_code=500, headers=PAGE_HEADERS)

    app.add_exception_handler(Exception, _unexpected)
