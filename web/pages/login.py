"""Log in, log out, and where ``/`` leads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from planner.errors import Code, PlannerError
from planner.roles import Role
from services import users
from web import access
from web.render import redirect, render

router = APIRouter(include_in_schema=False)


def home_for(role: Role) -> str:
    return "/board" if role >= Role.scheduler else "/my-day"


@router.get("/")
def home(request: Request) -> Response:
    actor = access.optional_actor(request)
    return redirect(home_for(actor.role) if actor else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    actor = access.optional_actor(request)
    if actor is not None:
        return redirect(home_for(actor.role))
    return render(request, "login.html", {"username": ""})


@router.post("/login")
def login(request: Request, form: access.LoginForm) -> Response:
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
    try:
        result = users.login(
            access.unit_of_work(request),
            username,
            password,
            getattr(request.state, "client_address", "unknown"),
            request.app.state.clock,
            users.login_policy(request.app.state.settings),
        )
    except PlannerError as error:
        message = (
            "Unknown user or wrong password."
            if error.code == Code.unauthorized
            else error.detail[0].upper() + error.detail[1:] + "."
        )
        return render(
            request,
            "login.html",
            {"username": username, "error": message},
            status=error.code.status,
        )
    response = redirect(home_for(Role.named(result.role)))
    access.set_session_cookie(response, request, result.token, result.expires_at)
    response.delete_cookie(access.LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, actor: access.PageActor, form: access.Form) -> Response:
    token = access.session_token(request)
    if token is not None:
        users.logout(access.unit_of_work(request), token, actor.user_id)
    response = redirect("/login", "info", "You are logged out.")
    access.clear_session_cookie(response)
    return response
