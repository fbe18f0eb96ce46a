"""Query and path parameters say in the OpenAPI document what they accept, and the server
reads what the document allows: a value the document refuses is a 422, one it allows is read
(or refused with a documented 422 a pattern cannot say, such as 30 February)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from planner.errors import ValidationFailed
from planner.localtime import DATE_PATTERN, DATETIME_PATTERN, parse_datetime, parse_local_date
from tests.problems import assert_problem
from tests.support import ADMIN, Api

# (path, parameter, a value the document allows, values it refuses)
TEXT_PARAMETERS = [
    ("/api/sessions", "date", "2026-03-10", ["", "tomorrow", "20260310", "2026-3-10"]),
    ("/api/infusions", "date", "2026-03-10", ["", "10.03.2026", "9999-12-31"]),
    ("/api/therapists/1/day", "date", "2026-03-10", ["", "2026-03-10T09:00", "0001-01-01"]),
    ("/api/windows", "start", "2026-03-10T09:00", ["", "now", "2026-03-10", "2026-03-10T9:00"]),
    ("/api/audit", "since", "2026-03-10T09:00:00Z", ["", "yesterday", "20260310T0900"]),
    ("/api/infusions/1/slots", "session_type", "physical_rehabilitation", ["", "Physio!"]),
]


def parameter_schema(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    template = re.sub(r"/\d+(?=/|$)", "/{id}", path)
    for documented, item in document["paths"].items():
        if re.sub(r"\{[a-z_]+\}", "{id}", documented) == template:
            for parameter in item["get"]["parameters"]:
                if parameter["name"] == name:
                    schema: dict[str, Any] = parameter["schema"]
                    return next((s for s in schema.get("anyOf", []) if "pattern" in s), schema)
    raise AssertionError(f"{path} {name} is not documented")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_what_the_document_refuses_the_server_refuses(api: Api, client: TestClient) -> None:
    api.therapist()
    api.session_type()
    api.infusion(api.patient()["id"], "2026-03-09T08:00")
    document = client.get("/openapi.json").json()
    for path, name, good, bad_values in TEXT_PARAMETERS:
        pattern = parameter_schema(document, path, name)["pattern"]
        assert re.search(pattern, good), (path, name)
        answer = client.get(path, params={name: good}, headers=ADMIN)
        assert answer.status_code == 200, (path, name, answer.text)
        for bad in bad_values:
            assert not re.search(pattern, bad), (path, name, bad)
            body = assert_problem(
                client.get(path, params={name: bad}, headers=ADMIN), 422, "validation_error"
            )
            assert name in body["detail"], body


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ids_are_documented_with_their_range(api: Api, client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                # FHIR's ``_id`` is a token (text), not one of our ids
                if parameter["name"].endswith("_id") and not parameter["name"].startswith("_"):
                    schema = parameter["schema"]
                    schema = next((s for s in schema.get("anyOf", [schema]) if s), schema)
                    assert (schema["minimum"], schema["maximum"]) == (1, 2**31 - 1), parameter
    for path in ("/api/sessions/0", f"/api/sessions/{2**31}", "/api/sessions?patient_id=-1"):
        assert_problem(api.get(path), 422, "validation_error", path)


@given(st.from_regex(DATE_PATTERN, fullmatch=True))
def test_a_date_the_pattern_allows_is_read_or_refused_as_malformed(text: str) -> None:
    try:
        parsed = parse_local_date(text)
    except ValidationFailed:  # 30 February: the pattern cannot say it
        assert text.endswith(("-29", "-30", "-31")), text
    else:
        assert parsed.isoformat() == text


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_every_date_in_the_years_matches_the_pattern(day: date) -> None:
    assert re.fullmatch(DATE_PATTERN, day.isoformat())
    assert parse_local_date(day.isoformat()) == day


@given(st.from_regex(DATETIME_PATTERN, fullmatch=True))
def test_a_datetime_the_pattern_allows_is_read_or_refused_as_malformed(text: str) -> None:
    try:
        parse_datetime(text)
    except ValidationFailed:
        assert re.search(r"-(29|30|31)[Tt ]", text), text


def test_unknown_query_parameters_are_refused(api: Api) -> None:
    """As request bodies refuse unknown fields: ?therapist=3 (for therapist_id) used to answer
    every therapist's sessions."""
    body = assert_problem(api.get("/api/sessions", therapist=3), 422, "validation_error")
    assert body["errors"] == [
        {"field": "query.therapist", "message": "unknown field: it is not part of this request"}
    ]
    assert_problem(api.get("/api/clinic", x="1"), 422, "validation_error")
    assert_problem(api.get("/api/health", verbose="yes"), 422, "validation_error")
    assert api.get("/api/sessions", therapist_id=1, limit=5, offset=0).status_code == 200
