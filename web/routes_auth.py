"""Log in, log out, and where ``/`` leads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import get_uow
from api.routes.users import login_policy
from planner.errors import PlannerError
from planner.roles import Role
from services import auth as auth_service
from web import auth
from web.render import redirect, render

router = APIRouter(include_in_schema=False)


def home_for(role: Role) -> str:
    return "/board" if role >= Role.scheduler else "/my-day"


@router.get("/")
def home(request: Request) -> Response:
    actor = auth.optional_actor(request)
    return redirect(home_for(actor.role) if actor else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    actor = auth.optional_actor(request)
    if actor is not None:
        return redirect(home_for(actor.role))
    return render(request, "login.html", {"username": ""})


@router.post("/login")
def login(request: Request, form: auth.LoginForm) -> Response:
    username = str(form.get("username", "")).strip()[:100]
    password = str(form.get("password", ""))[:200]
    if not username or not password:
        return render(
            request,
            "login.html",
            {"username": username, "error": "Enter your username and password."},
            status=422,
        )
    if "\x00" in username or "\x00" in password:  # refused as the API refuses it
        return render(
            request,
            "login.html",
            {"username": "", "error": "Username and password must not contain the NUL character."},
            status=422,
        )
    address = request.client.host if request.client else "unknown"
    try:
        result = auth_service.login(
            get_uow(request),
            username,
            password,
            address,
            request.app.state.clock,
            login_policy(request),
        )
    except PlannerError as error:
        message = (
            "Unknown user or wrong password."
            if error.code == "unauthorized"
            else error.detail[0].upper() + error.detail[1:] + "."
        )
        status = 429 if error.code == "too_many_requests" else 401
        return render(
            request, "login.html", {"username": username, "error": message}, status=status
        )
    response = redirect(home_for(Role.named(result.role)))
    auth.set_session_cookie(response, request, result.token, result.expires_at)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, actor: auth.PageActor, form: auth.Form) -> Response:
    token = auth.session_token(request)
    if token is not None:
        auth_service.logout(get_uow(request), token, actor.user_id)
    response = redirect("/login", "info", "You are logged out.")
    auth.clear_session_cookie(response)
    return response
