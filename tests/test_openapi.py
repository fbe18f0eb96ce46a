"""The OpenAPI document tells the truth: refusals are documented as the problem+json the API
answers, for every status a route can answer with, and request bodies refuse unknown fields."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from api.schemas.base import NO_NUL_PATTERN
from api.schemas.problems import Problem
from planner.localtime import DATE_PATTERN, DATETIME_PATTERN
from tests.problems import assert_problem
from tests.support import ADMIN, Api

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def statuses(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"]}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_refusal_is_documented_as_problem_json(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}
    assert set(schemas["Problem"]["properties"]) >= {"conflicts", "errors", "errors_omitted"}
    seen = 0
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            seen += 1
            if " /fhir/" in name:  # FHIR's own refusal: an OperationOutcome
                assert list(response["content"]) == ["application/fhir+json"], (name, status)
                continue
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}, (
                name,
                status,
            )
            if status == "401":
                assert response["headers"]["WWW-Authenticate"]["required"] is True, name
    assert seen > 100


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_route_documents_the_statuses_it_can_answer_with(document: dict[str, Any]) -> None:
    ops = dict(operations(document))
    assert statuses(ops["GET /api/health"]) == {200, 422}  # unknown query parameters
    assert statuses(ops["GET /feeds/{token}.ics"]) == {200, 404, 422, 503}
    assert statuses(ops["GET /api/clinic"]) == {200, 401, 422, 503}
    assert statuses(ops["POST /api/login"]) == {200, 401, 413, 422, 429, 503}
    assert statuses(ops["GET /api/sessions"]) == {200, 401, 404, 422, 503}
    assert statuses(ops["POST /api/sessions"]) == {201, 401, 403, 409, 413, 422, 503}
    assert statuses(ops["PATCH /api/users/{user_id}"]) == {200, 401, 403, 404, 413, 422, 503}
    for name, operation in ops.items():
        # no token: health, login, a calendar feed (its secret URL is the key), FHIR metadata
        public = {"GET /api/health", "POST /api/login", "GET /feeds/{token}.ics"}
        if name not in public | {"GET /fhir/metadata"}:
            assert 401 in statuses(operation), name
        if "{" in name:
            assert 404 in statuses(operation), name
        if "requestBody" in operation:
            assert {413, 422} <= statuses(operation), name


def object_schemas(schema: Any, schemas: dict[str, Any], seen: set[str]) -> Iterator[Any]:
    """Every object schema reachable from ``schema`` (following references once)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                yield from object_schemas(schemas[name], schemas, seen)
            return
        if schema.get("type") == "object" or "properties" in schema:
            yield schema
        for value in schema.values():
            yield from object_schemas(value, schemas, seen)
    elif isinstance(schema, list):
        for item in schema:
            yield from object_schemas(item, schemas, seen)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_request_bodies_refuse_unknown_fields(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    bodies = 0
    for name, operation in operations(document):
        body = operation.get("requestBody")
        if body is None:
            continue
        for found in object_schemas(body, schemas, set()):
            bodies += 1
            assert found.get("additionalProperties") is False, (name, found.get("title"))
    assert bodies > 20


def test_refusals_have_the_documented_shape(api: Api, client: TestClient) -> None:
    shape = TypeAdapter(Problem)
    refusals = [
        client.get("/api/clinic"),  # 401
        api.get("/api/sessions/424242"),  # 404
        api.post("/api/rooms", {"name": "Gym", "kind": "gym", "size": 3}),  # 422 with errors
        api.get("/api/windows", start="2026-03-08T02:30"),  # 422, a wall time DST skips
    ]
    for answer in refusals:
        assert answer.headers["content-type"] == "application/problem+json", answer.text
        body = answer.json()
        shape.validate_python(body, strict=False)
        assert set(body) <= set(Problem.__annotations__), body
        assert body["status"] == answer.status_code
    assert refusals[2].json()["errors"][0]["field"] == "size"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_405_allows_the_methods_the_document_gives(
    client: TestClient, document: dict[str, Any]
) -> None:
    """Starlette's Allow named only the first matching route's methods (GET /api/clinic but
    not PUT)."""
    for path, item in document["paths"].items():
        url = re.sub(r"\{[a-z_]+\}", "7", path)
        answer = client.options(url, headers=ADMIN)
        assert answer.status_code == 405, (path, answer.text)
        documented = sorted(method.upper() for method in item if method in METHODS)
        assert sorted(answer.headers["allow"].split(", ")) == documented, path
        body = answer.json()
        code = body["issue"][0]["details"]["coding"][0]["code"] if "issue" in body else body["code"]
        assert code == "method_not_allowed", path


def _pattern(document: dict[str, Any], model: str, field: str) -> str:
    schema = document["components"]["schemas"][model]["properties"][field]
    schema = next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "string")
    pattern: str = schema["pattern"]
    return pattern


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_text_the_document_allows_is_what_the_server_reads(
    api: Api, document: dict[str, Any]
) -> None:
    """Names are stripped and must keep something; no text may hold NUL. The document said
    only "a string of 1 to 200 characters", so "\\x0b" (one character) was refused as
    malformed, and so was "a\\x00b"."""
    name = _pattern(document, "RoomCreate", "name")
    free = _pattern(document, "PatientCreate", "mrn")
    for text in ("\x0b", "\x1c", " \u3000 ", "", "Gym\x00"):
        assert not re.search(name, text), repr(text)
        body = {"name": text, "kind": "gym"}
        assert_problem(api.post("/api/rooms", body), 422, "validation_error", repr(text))
    for text in ("Gym", " Gym 2 ", "\x1cGym"):
        assert re.search(name, text), repr(text)
        assert api.post("/api/rooms", {"name": text, "kind": "gym"}).status_code == 201
    # the length is the text's as sent: 201 characters are too many, even if two are spaces
    too_long = {"name": f" {'x' * 199} ", "kind": "gym"}
    assert_problem(api.post("/api/rooms", too_long), 422, "validation_error")
    assert api.post("/api/rooms", {"name": f" {'x' * 198} ", "kind": "gym"}).status_code == 201
    assert re.search(free, "") and re.search(free, " MRN 1 ") and not re.search(free, "M\x00")
    assert _pattern(document, "LoginBody", "password") == NO_NUL_PATTERN


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_dates_and_datetimes_in_bodies_carry_the_parsers_patterns(
    document: dict[str, Any],
) -> None:
    """They were documented as any string; the parsers (planner.localtime) read only these."""
    for model, field in [
        ("SessionCreate", "start"),
        ("SessionMove", "start"),
        ("InfusionCreate", "start"),
        ("InfusionPatch", "start"),
        ("TimeOffCreate", "start"),
        ("TimeOffCreate", "end"),
        ("FollowUpRequest", "start"),
    ]:
        assert _pattern(document, model, field) == DATETIME_PATTERN, (model, field)
    assert _pattern(document, "DayPlanRequest", "date") == DATE_PATTERN


def test_a_whole_number_written_with_a_fraction_is_read_as_an_integer(api: Api) -> None:
    """JSON Schema's integer includes 60.0; strict validation refused it as malformed."""
    body = {"key": "rehab", "name": "Rehab", "discipline": "physio", "window": "peak"}
    made = api.post("/api/session-types", {**body, "duration_minutes": 60.0})
    assert made.status_code == 201, made.text
    assert made.json()["duration_minutes"] == 60
    for refused in (60.5, "60", True):
        answer = api.post(
            "/api/session-types", {**body, "key": "other", "duration_minutes": refused}
        )
        assert_problem(answer, 422, "validation_error", refused)
