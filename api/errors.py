"""Every error leaves as RFC 9457 problem+json with a ``code``: the one place codes meet HTTP.

A domain refusal (``PlannerError``) carries its ``Code``, and the code its HTTP status, so
there is nothing to look up and nothing to fall back on. Database failures arrive here as
refusals too (the unit of work translates them).
"""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.deps import uow_for
from api.fhir_outcome import operation_outcome, under_fhir
from api.schemas.problems import Problem, ProblemConflict, ProblemFieldError
from planner.errors import Code, PlannerError
from services.audit import record_denial

log = logging.getLogger("planner.api")

TITLES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
PROBLEM = "application/problem+json"


def problem(
    code: Code,
    detail: str,
    headers: dict[str, str] | None = None,
    *,
    conflicts: list[ProblemConflict] | None = None,
    errors: list[ProblemFieldError] | None = None,
    errors_omitted: int = 0,
) -> JSONResponse:
    """The answer to a refusal, in the shape the OpenAPI document gives (``Problem``)."""
    status = code.status
    body: Problem = {
        "type": f"/problems/{code.value}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if conflicts:
        body["conflicts"] = conflicts
    if errors is not None:
        body["errors"] = errors
    if errors_omitted:
        body["errors_omitted"] = errors_omitted
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    if status == 503:
        headers = {**(headers or {}), "Retry-After": "1"}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM)


def problem_for(error: PlannerError) -> JSONResponse:
    conflicts: list[ProblemConflict] = [
        {"kind": c.kind, "id": c.id, "start": c.start.isoformat(), "end": c.end.isoformat()}
        for c in error.conflicts
    ]
    return problem(error.code, error.detail, conflicts=conflicts)


DENIALS = {Code.unauthorized, Code.forbidden, Code.not_found}
PATIENT_DATA = {
    "sessions": "session",
    "infusions": "infusion",
    "patients": "patient",
    "therapists": "therapist",
}


def _record_denial(request: Request, code: Code) -> None:
    """Refused attempts on patient data are audited too."""
    parts = request.url.path.strip("/").split("/")
    entity = PATIENT_DATA.get(parts[1]) if len(parts) > 1 and parts[0] == "api" else None
    if entity is None or (entity == "therapist" and "day" not in parts):
        return
    ident = next((int(p) for p in parts[2:] if p.isdigit() and len(p) < 12), None)
    record_denial(uow_for(request), entity, ident, code.value)


MAX_ERRORS = 20  # errors listed in one answer; the rest are counted
MAX_UNKNOWN_NAMED = 3  # unknown fields named in one answer; the rest are counted
MAX_FIELD_CHARS = 100  # a field's name as echoed back (an unknown key may be very long)


def _validation_detail(exc: RequestValidationError) -> tuple[str, list[ProblemFieldError], int]:
    """What was wrong, briefly: at most MAX_ERRORS errors and MAX_UNKNOWN_NAMED unknown fields
    are listed, however many the body had; how many more there were is counted."""
    errors: list[ProblemFieldError] = []
    unknown = omitted_unknown = omitted_other = 0
    for err in exc.errors():
        is_unknown = err.get("type") == "extra_forbidden"
        unknown += is_unknown
        if (is_unknown and unknown > MAX_UNKNOWN_NAMED) or len(errors) >= MAX_ERRORS:
            if is_unknown:
                omitted_unknown += 1
            else:
                omitted_other += 1
            continue
        location = ".".join(str(part) for part in err.get("loc", ()) if part != "body")
        if len(location) > MAX_FIELD_CHARS:
            location = location[: MAX_FIELD_CHARS - 1] + "…"
        message = err.get("msg", "invalid")
        if is_unknown:
            message = "unknown field: it is not part of this request"
        errors.append({"field": location, "message": message})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    if omitted_unknown:
        detail += f"; and {omitted_unknown} more unknown fields"
    if omitted_other:
        detail += f"; and {omitted_other} more errors"
    return detail, errors, omitted_unknown + omitted_other


HTTP_CODES = {
    401: Code.unauthorized,
    404: Code.not_found,
    405: Code.method_not_allowed,
    413: Code.payload_too_large,
}


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path.

    Starlette's 405 names only the methods of the first route whose path matched (GET for
    /api/clinic, which PUT takes too).
    """
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def _shaped(request: Request, answer: JSONResponse) -> JSONResponse:
    """Under ``/fhir`` a refusal is an OperationOutcome; everywhere else problem+json."""
    return operation_outcome(answer) if under_fhir(request) else answer


def install(app: FastAPI) -> None:
    @app.exception_handler(PlannerError)
    def _planner_error(request: Request, exc: PlannerError) -> JSONResponse:
        if exc.code in DENIALS:
            _record_denial(request, exc.code)
        return _shaped(request, problem_for(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail, errors, omitted = _validation_detail(exc)
        answer = problem(Code.validation_error, detail, errors=errors, errors_omitted=omitted)
        return _shaped(request, answer)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, Code.validation_error)
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such resource"
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return _shaped(request, problem(code, detail, headers))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log_unexpected(request, exc)
        detail = "an unexpected error occurred; it has been logged"
        return _shaped(request, problem(Code.internal_error, detail))


def log_unexpected(request: Request, exc: BaseException) -> None:
    """What failed where, and the stack: the exception's class, the route, the request id.

    Not its message, nor the URL's query: either may quote a patient (a database error
    quotes the statement's values).
    """
    route = request.scope.get("route")
    where = f"{request.method} {getattr(route, 'path', request.url.path)}"
    request_id = getattr(request.state, "request_id", None)
    stack = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "unexpected %s in %s (request %s)\n%s",
        type(exc).__name__,
        where,
        request_id,
        stack.rstrip(),
    )
