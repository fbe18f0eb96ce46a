"""Rendering pages: the templates, flash messages, and how times are shown (HH:MM)."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from planner.errors import PlannerError, ValidationFailed
from web import auth

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
FLASH_COOKIE = "planner_flash"

# Every page's Content-Security-Policy. Scripts come only from /static/app.js (the templates
# have no inline script or event-handler attribute); the favicon is a data: image. Inline
# style="" attributes stay allowed (style-src-attr; style-src for browsers without it): the
# board places each session and band with computed top/height pixels, which a class cannot
# carry, and moving them to script would break the pages without JavaScript. Style cannot
# run script, and those values are numbers the server computed. <style> elements and style
# sheets still come only from 'self' (style-src-elem).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "style-src-elem 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

CODE_HINTS = {
    "outside_window": "Pick a time inside the window, or give a reason to book outside it.",
    "therapist_busy": "Choose another time or another therapist.",
    "therapist_unavailable": "The therapist is not working then; check working hours.",
    "no_therapist_free": "Nobody with that discipline is free then; try another time.",
    "room_unavailable": "No room of the needed kind is free then.",
    "patient_busy": "The patient is in another session or infusion then.",
    "in_the_past": "That time has already passed.",
}


def hm(value: str | datetime | None) -> str:
    """A clinic-offset datetime (as the services answer it) shown as HH:MM."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%H:%M")


def day_label(value: str | date | datetime) -> str:
    """``Tue 10 Mar 2026`` for a date or a datetime (ISO text or value)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%a %d %b %Y")


def short_day(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%a %d %b")


def words(key: str | None) -> str:
    return (key or "").replace("_", " ")


templates.env.filters["hm"] = hm
templates.env.filters["day_label"] = day_label
templates.env.filters["short_day"] = short_day
templates.env.filters["words"] = words


def _read_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    return {k: str(v) for k, v in data.items() if k in ("kind", "text", "code", "hint", "extra")}


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    flash = _read_flash(request)
    actor = getattr(request.state, "page_actor", None)
    values = {
        "request": request,
        "actor": actor,
        "csrf": auth.csrf_value(request),
        "csrf_field": auth.CSRF_FIELD,
        "flash": flash,
        "path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status)
    response.headers.update(PAGE_HEADERS)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    auth.remember_login_csrf(request, response)
    return response


def redirect(url: str, kind: str | None = None, text: str = "", **extra: str) -> Response:
    """303 to ``url`` with an optional flash message shown once on the next page."""
    response = RedirectResponse(url, status_code=303)
    if kind is not None:
        payload = {"kind": kind, "text": text[:1500], **{k: v[:1500] for k, v in extra.items()}}
        encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
        response.set_cookie(FLASH_COOKIE, encoded, httponly=True, samesite="lax", path="/")
    return response


def as_refusal(error: PlannerError | ValidationError) -> PlannerError:
    """A request body the form built that pydantic refused, as the API would word it."""
    if isinstance(error, PlannerError):
        return error
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ()))
        parts.append(f"{where.replace('_', ' ')}: {item.get('msg', 'invalid')}")
    return ValidationFailed("; ".join(parts) or "invalid value")


def refused(url: str, failure: PlannerError | ValidationError, what: str = "") -> Response:
    """A refusal from the services, shown readably on the next page (never a traceback)."""
    error = as_refusal(failure)
    text = f"{what}: {error.detail}" if what else error.detail
    hint = CODE_HINTS.get(error.code, "")
    return redirect(url, "error", text, code=error.code, hint=hint)


def here(path: str, **params: str | int | None) -> str:
    query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items() if v not in (None, ""))
    return f"{path}?{query}" if query else path


def error_page(request: Request, title: str, detail: str, status: int) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "detail": detail}, status=status)
