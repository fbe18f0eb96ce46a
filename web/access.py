"""Who may see a page: a login token in an HttpOnly cookie, and CSRF tokens for every form.

The cookie holds the token ``services.users.login`` issued; each request resolves it with
``services.users.actor_for_token`` (so logging out, expiry, disabling a user and revoking
tokens all take effect at once). A form's CSRF token is an HMAC of that login token: a page
can only show it to someone who holds the cookie, another site can neither read the cookie
nor compute the HMAC, and no server-side state or shared secret is needed across processes.
Before login there is no token yet, so the login form uses a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from models.uow import UnitOfWork
from planner.roles import Actor, Role
from services.users import actor_for_token

SESSION_COOKIE = "planner_session"
LOGIN_CSRF_COOKIE = "planner_login_csrf"
CSRF_FIELD = "csrf_token"


def unit_of_work(request: Request) -> UnitOfWork:
    """A unit of work whose changes are audited as this request's (see ``app.py``)."""
    uow: UnitOfWork = request.app.state.unit_of_work(request)
    return uow


class PageRedirect(Exception):
    """Leave the page for ``url`` (303): not logged in, or the wrong page for the role."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class PageRefused(Exception):
    """A page the caller may not use (403), or a form without a valid CSRF token."""

    def __init__(self, title: str, detail: str, status: int = 403) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail
        self.status = status


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"planner-page-forms", hashlib.sha256).hexdigest()


def secure_cookies(request: Request) -> bool:
    """Secure on https; plain http is only expected on a local address."""
    return request.url.scheme == "https"


def set_session_cookie(
    response: Response, request: Request, token: str, expires_at: datetime
) -> None:
    max_age = max(int((expires_at - datetime.now(UTC)).total_seconds()), 60)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


def session_token(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return token if token and len(token) < 200 else None


def optional_actor(request: Request) -> Actor | None:
    """The logged-in user, or None; sets ``request.state.actor`` for the audit log."""
    if hasattr(request.state, "page_actor"):
        known: Actor | None = request.state.page_actor
        return known
    token = session_token(request)
    actor = None
    if token is not None:
        now = request.app.state.clock().astimezone(UTC)
        actor = actor_for_token(unit_of_work(request), token, now)
    request.state.page_actor = actor
    if actor is not None:
        request.state.actor = actor
    return actor


def page_actor(request: Request) -> Actor:
    actor = optional_actor(request)
    if actor is None:
        raise PageRedirect("/login")
    return actor


async def staff_actor(actor: Annotated[Actor, Depends(page_actor)]) -> Actor:
    """Schedulers and admins; a therapist is sent to its own day."""
    if not actor.at_least(Role.scheduler):
        raise PageRedirect("/my-day")
    return actor


async def admin_actor(actor: Annotated[Actor, Depends(staff_actor)]) -> Actor:
    if not actor.at_least(Role.admin):
        raise PageRefused(
            "Administrators only",
            "Only an administrator may change settings or read the audit log.",
        )
    return actor


def csrf_value(request: Request) -> str:
    """The token every form on this page carries."""
    token = session_token(request)
    if token is not None and optional_actor(request) is not None:
        return csrf_for(token)
    return login_csrf(request)


def login_csrf(request: Request) -> str:
    """The double-submit value for the login form (a new one when the cookie is missing)."""
    value = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not value or len(value) > 100:
        value = getattr(request.state, "new_login_csrf", None) or secrets.token_urlsafe(24)
        request.state.new_login_csrf = value
    return value


def remember_login_csrf(request: Request, response: Response) -> None:
    value = getattr(request.state, "new_login_csrf", None)
    if value:
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            value,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
            path="/",
        )


def _same(sent: object, expected: str | None) -> bool:
    return (
        isinstance(sent, str)
        and expected is not None
        and hmac.compare_digest(sent.encode(), expected.encode())
    )


async def checked_form(request: Request) -> FormData:
    """The posted form of a logged-in user, after its CSRF token is checked (else 403)."""
    form = await request.form()
    token = session_token(request)
    if token is None or not _same(form.get(CSRF_FIELD), csrf_for(token)):
        raise PageRefused(
            "Form expired",
            "This form could not be verified (missing or wrong security token). "
            "Reload the page and try again.",
        )
    return form


async def checked_login_form(request: Request) -> FormData:
    form = await request.form()
    if not _same(form.get(CSRF_FIELD), request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise PageRefused(
            "Form expired",
            "The login form could not be verified. Reload the page and try again "
            "(cookies must be enabled).",
        )
    return form


PageActor = Annotated[Actor, Depends(page_actor)]
StaffActor = Annotated[Actor, Depends(staff_actor)]
AdminActor = Annotated[Actor, Depends(admin_actor)]
Form = Annotated[FormData, Depends(checked_form)]
LoginForm = Annotated[FormData, Depends(checked_login_form)]
