"""The OpenAPI document tells the truth about refusals: every status a route can answer with,
as ``application/problem+json`` with the ``Problem`` schema (``api.schemas.problems``).

Most statuses follow from what a route depends on, so they are read off its dependencies
here rather than written on each route (where a new route could forget them):

- it asks who is calling (``current_actor``): 401, with ``WWW-Authenticate: Bearer``;
- it checks a role (``RoleCheck``): 403;
- it has an id in its path: 404;
- it takes parameters or a body, or refuses unknown query parameters (``known_query``):
  422 (malformed, or refused by a rule on its values);
- it takes a body: 413 (``PLANNER_MAX_BODY_BYTES``, refused before it is read);
- it opens a unit of work (``get_uow``) or checks a token (``current_actor``, which reads the
  database when the token's grant is not kept): 503 ``database_busy``, with ``Retry-After``.

What only the use case knows (409 for a rule of the clinic's state, 404 for an id in the
query, 401 and 429 at login) each route declares with ``responses=problems(...)``.
Declaring 422 also keeps FastAPI from adding its own ``HTTPValidationError`` (which is not
what the API answers); ``add_problem_schema`` puts ``Problem`` among the components.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import RoleCheck, current_actor, get_uow, known_query
from api.errors import PROBLEM
from api.schemas.problems import problem_schemas

REF_PREFIX = "#/components/schemas/"

WHY: dict[int, str] = {
    401: "No valid bearer token (code `unauthorized`).",
    403: "The caller's role may not do this (code `forbidden`).",
    404: "Nothing the caller may see has this id (code `not_found`).",
    409: "The clinic's state refuses it: a booking rule, a status change that is not allowed, "
    "a name or key already taken, or data stored meanwhile (the `code` says which).",
    413: "The request body is larger than the server's limit (code `payload_too_large`).",
    422: "The request is malformed, or a rule on its values refuses it (the `code` says which; "
    "`errors` names the refused parts of a malformed request).",
    429: "Too many failed logins from this address (code `too_many_requests`).",
    503: "The database is busy; retry after the `Retry-After` seconds (code `database_busy`).",
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer`: send `Authorization: Bearer <token>`",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    503: {
        "Retry-After": {
            "description": "seconds to wait before retrying",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status answered as problem+json."""
    return {status: _response(status) for status in statuses}


OUTCOME_SCHEMA = {
    "type": "object",
    "description": "A FHIR OperationOutcome: the issue's details carry the refusal's code.",
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array"}},
    "required": ["resourceType", "issue"],
}


def _response(status: int, media_type: str = PROBLEM) -> dict[str, Any]:
    schema = {"$ref": REF_PREFIX + "Problem"} if media_type == PROBLEM else OUTCOME_SCHEMA
    response: dict[str, Any] = {
        "description": WHY[status],
        "content": {media_type: {"schema": schema}},
    }
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any] | None]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def derived_statuses(route: APIRoute) -> set[int]:
    """The refusals a route can answer with, by what it depends on (see the module's text)."""
    dependant = route.dependant
    calls = list(_calls(dependant))
    statuses: set[int] = set()
    if current_actor in calls:
        statuses.add(401)
    if any(isinstance(call, RoleCheck) for call in calls):
        statuses.add(403)
    if dependant.path_params:
        statuses.add(404)
    if route.body_field is not None:
        statuses |= {413, 422}
    if any(_all_params(dependant)) or known_query in calls:
        statuses.add(422)
    if get_uow in calls or current_actor in calls:  # the token check may read the database
        statuses.add(503)
    return statuses


def _all_params(dependant: Dependant) -> Iterator[object]:
    yield from dependant.path_params
    yield from dependant.query_params
    yield from dependant.header_params
    for sub in dependant.dependencies:
        yield from _all_params(sub)


def with_refusals(router: APIRouter, media_type: str = PROBLEM) -> APIRouter:
    """``router`` with every route's refusals in its ``responses`` (before it is included:
    FastAPI copies the routes' responses when the app first looks at them), answered as
    ``media_type`` (problem+json; FHIR's OperationOutcome under ``/fhir``)."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            declared = {int(status) for status in route.responses}
            wanted = derived_statuses(route) | declared
            route.responses = {
                status: {**_response(status, media_type), **route.responses.get(status, {})}
                for status in sorted(wanted)
            }
    return router


def add_problem_schema(app: FastAPI) -> None:
    """The ``Problem`` schema (and those it refers to) among the document's components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schemas = build().setdefault("components", {}).setdefault("schemas", {})
            for name, schema in problem_schemas(REF_PREFIX).items():
                assert schemas.get(name, schema) == schema, f"two schemas are named {name}"
                schemas[name] = schema
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
