"""Every error leaves as RFC 9457 problem+json with a ``code``: the one place codes meet HTTP."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from planner.errors import PlannerError
from planner.localtime import to_clinic

log = logging.getLogger("planner.api")

STATUS_BY_CODE: dict[str, int] = {
    "validation_error": 422,
    "nonexistent_local_time": 422,
    "ambiguous_local_time": 422,
    "in_the_past": 422,
    "outside_window": 422,
    "discipline_mismatch": 422,
    "unknown_reference": 422,
    "idempotency_key_reused": 422,
    "not_found": 404,
    "unauthorized": 401,
    "forbidden": 403,
    "method_not_allowed": 405,
    "too_many_requests": 429,
    "payload_too_large": 413,
    "infusion_cancelled": 409,
    "therapist_unavailable": 409,
    "therapist_busy": 409,
    "patient_busy": 409,
    "room_unavailable": 409,
    "daily_limit": 409,
    "no_therapist_free": 409,
    "invalid_transition": 409,
    "idempotency_in_flight": 409,
    "conflict": 409,
    "already_exists": 409,
}

OVERLAP_CODES = {
    "ex_sessions_therapist": "therapist_busy",
    "ex_sessions_patient": "patient_busy",
    "ex_sessions_room": "room_unavailable",
}

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


def problem(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def problem_for(error: PlannerError, zone_name: str | None = None) -> JSONResponse:
    status = STATUS_BY_CODE.get(error.code, 422)
    extra: dict[str, Any] = {}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if error.conflicts:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(zone_name or "UTC")
        extra["conflicts"] = [
            {
                "kind": c.kind,
                "id": c.id,
                "start": to_clinic(c.start, zone),
                "end": to_clinic(c.end, zone),
            }
            for c in error.conflicts
        ]
    return problem(status, error.code, error.detail, headers, **extra)


DENIALS = {"unauthorized", "forbidden", "not_found"}
PATIENT_DATA = {
    "sessions": "session",
    "infusions": "infusion",
    "patients": "patient",
    "therapists": "therapist",
}


def _record_denial(request: Request, code: str) -> None:
    """Refused attempts on patient data are audited too (SPEC §5, access issue)."""
    parts = request.url.path.strip("/").split("/")
    entity = PATIENT_DATA.get(parts[1]) if len(parts) > 1 and parts[0] == "api" else None
    if entity is None or (entity == "therapist" and "day" not in parts):
        return
    from api.deps import get_uow
    from services.audit import record_denial

    ident = next((int(p) for p in parts[2:] if p.isdigit()), None)
    record_denial(get_uow(request), entity, ident, code)


def clinic_zone_name(app: FastAPI) -> str:
    """The clinic's zone, read fresh (another process may have changed it)."""
    from models.uow import UnitOfWork
    from services.common import clinic

    with UnitOfWork(app.state.sessions) as uow:
        return clinic(uow.session).timezone


MAX_ERRORS = 20  # errors listed in one answer; the rest are counted
MAX_UNKNOWN_NAMED = 3  # unknown fields named in one answer; the rest are counted
MAX_FIELD_CHARS = 100  # a field's name as echoed back (an unknown key may be very long)


def _validation_detail(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]], int]:
    """What was wrong, briefly: at most MAX_ERRORS errors and MAX_UNKNOWN_NAMED unknown fields
    are listed, however many the body had; how many more there were is counted."""
    errors: list[dict[str, Any]] = []
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


def install(app: FastAPI) -> None:
    @app.exception_handler(PlannerError)
    def _planner_error(request: Request, exc: PlannerError) -> JSONResponse:
        zone_name = clinic_zone_name(request.app) if exc.conflicts else None
        if exc.code in DENIALS:
            _record_denial(request, exc.code)
        return problem_for(exc, zone_name)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail, errors, omitted = _validation_detail(exc)
        extra: dict[str, Any] = {"errors": errors}
        if omitted:
            extra["errors_omitted"] = omitted
        return problem(422, "validation_error", detail, None, **extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such resource"
        return problem(exc.status_code, code, detail, dict(exc.headers or {}))

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or ""
        log.info("integrity conflict on %s", constraint or exc.orig.__class__.__name__)
        for fragment, code in OVERLAP_CODES.items():
            if fragment in constraint:
                return problem(409, code, "another booking took this time meanwhile")
        return problem(409, "conflict", "the change collides with data stored meanwhile; retry")

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _data(_: Request, exc: Exception) -> JSONResponse:
        # An id beyond the column's range (PostgreSQL: DataError, SQLite: OverflowError) or
        # a NUL byte; only the class is logged: the values may be patients' data.
        log.info("value refused by the database: %s", getattr(exc, "orig", exc).__class__.__name__)
        return problem(422, "validation_error", "a value is out of range or cannot be stored")

    @app.exception_handler(OperationalError)
    async def _operational(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database busy: %s", exc.orig.__class__.__name__)
        return problem(
            503, "database_busy", "the database is busy; retry shortly", {"Retry-After": "1"}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, StatementError):
            exc.hide_parameters = True  # the SQL's values (patients' names) stay out of logs
        log.exception("unexpected error")
        return problem(500, "internal_error", "an unexpected error occurred; it has been logged")
