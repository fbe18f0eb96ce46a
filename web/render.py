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

from planner.durations import format_duration
from planner.errors import Code, PlannerError
from planner.wording import words
from web import access

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
    Code.outside_window: "Pick a time inside the window, or give a reason to book outside it.",
    Code.therapist_busy: "Choose another time or another therapist.",
    Code.therapist_unavailable: "The therapist is not working then; check working hours.",
    Code.no_therapist_free: "Nobody with that discipline is free then; try another time.",
    Code.room_unavailable: "No room of the needed kind is free then.",
    Code.patient_busy: "The patient is in another session or infusion then.",
    Code.in_the_past: "That time has already passed.",
    Code.too_early: "Wait until the session is due.",
}


def hm(value: datetime | None) -> str:
    """A datetime on the clinic's clock (the read models are) shown as HH:MM."""
    return "" if value is None else value.strftime("%H:%M")


def day_label(value: date | datetime) -> str:
    """``Tue 10 Mar 2026``."""
    return value.strftime("%a %d %b %Y")


def short_day(value: date | datetime) -> str:
    return value.strftime("%a %d %b")


def wall_input(value: datetime | None) -> str:
    """The value of a ``datetime-local`` input (``2026-03-10T09:00``)."""
    return "" if value is None else value.strftime("%Y-%m-%dT%H:%M")


def iso_day(value: date | datetime) -> str:
    return value.strftime("%Y-%m-%d")


templates.env.filters["duration"] = format_duration
templates.env.filters["hm"] = hm
templates.env.filters["day_label"] = day_label
templates.env.filters["short_day"] = short_day
templates.env.filters["words"] = lambda key: words(key or "")
templates.env.filters["wall_input"] = wall_input
templates.env.filters["iso_day"] = iso_day


FLASH_ITEMS = 12  # lines a flash lists (a cookie holds about 4 KB)


def _read_flash(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    shown: dict[str, Any] = {
        k: str(v) for k, v in data.items() if k in ("kind", "text", "code", "hint", "extra")
    }
    lines = data.get("lines")
    if isinstance(lines, list):
        shown["lines"] = [str(line) for line in lines[: FLASH_ITEMS + 1]]
    return shown


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    flash = _read_flash(request)
    actor = getattr(request.state, "page_actor", None)
    values = {
        "request": request,
        "actor": actor,
        "csrf": access.csrf_value(request),
        "csrf_field": access.CSRF_FIELD,
        "flash": flash,
        "path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status)
    response.headers.update(PAGE_HEADERS)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    access.remember_login_csrf(request, response)
    return response


def redirect(
    url: str,
    kind: str | None = None,
    text: str = "",
    items: list[str] | None = None,
    **extra: str,
) -> Response:
    """303 to ``url`` with an optional flash message (and a short list) shown once next."""
    response = RedirectResponse(url, status_code=303)
    if kind is not None:
        payload: dict[str, Any] = {
            "kind": kind,
            "text": text[:1500],
            **{k: v[:1500] for k, v in extra.items()},
        }
        if items:
            listed = [item[:200] for item in items[:FLASH_ITEMS]]
            if len(items) > FLASH_ITEMS:
                listed.append(f"… and {len(items) - FLASH_ITEMS} more")
            payload["lines"] = listed
        encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
        response.set_cookie(FLASH_COOKIE, encoded, httponly=True, samesite="lax", path="/")
    return response


def message(error: PlannerError, what: str = "") -> dict[str, str]:
    """A refusal as the pages show it: what was refused, why, a hint, and the code."""
    text = f"{what}: {error.detail}" if what else error.detail
    return {
        "kind": "error",
        "text": text,
        "code": error.code.value,
        "hint": CODE_HINTS.get(error.code, ""),
    }


def refused(url: str, error: PlannerError, what: str = "") -> Response:
    """A refusal shown readably on the next page (never a traceback)."""
    shown = message(error, what)
    return redirect(url, "error", shown["text"], code=shown["code"], hint=shown["hint"])


def here(path: str, **params: str | int | None) -> str:
    query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items() if v not in (None, ""))
    return f"{path}?{query}" if query else path


def error_page(request: Request, title: str, detail: str, status: int) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "detail": detail}, status=status)
