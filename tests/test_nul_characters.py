"""A NUL character (\\x00) in a text is refused the same way on SQLite and PostgreSQL.

PostgreSQL cannot store one and SQLite can: a name with a NUL used to be stored on one and
refused (without naming the field) on the other. Now JSON bodies answer 422
``validation_error`` naming the field, and page forms show that refusal, before anything
reaches the database.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models.tables import Patient, Room, SessionType, Therapist, User
from tests.problems import assert_problem
from tests.support import ADMIN, Api
from tests.web_support import csrf_of, log_in

NAME = "Pat\x00Example"


def _refused_naming(answer: Any, field: str) -> None:
    problem = assert_problem(answer, 422, "validation_error")
    assert {"field": field, "message": "must not contain the NUL character"} in problem["errors"], (
        problem
    )
    assert f"{field}: must not contain the NUL character" in problem["detail"]


def _rows(app: FastAPI, table: type[Any]) -> int:
    with app.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)))


@pytest.mark.parametrize(
    ("path", "body", "field", "table"),
    [
        ("/api/patients", {"name": NAME}, "name", Patient),
        ("/api/patients", {"name": "Pat", "mrn": "MRN\x00-1"}, "mrn", Patient),
        ("/api/rooms", {"name": NAME, "kind": "gym"}, "name", Room),
        (
            "/api/session-types",
            {
                "key": "talk",
                "name": "Talk\x00therapy",
                "duration_minutes": 30,
                "discipline": "physio",
                "window": "peak",
            },
            "name",
            SessionType,
        ),
        (
            "/api/therapists",
            {
                "name": "Dana",
                "disciplines": ["physio"],
                "working_hours": [{"rrule": "FREQ=DAILY\x00", "start": "08:00", "end": "17:00"}],
            },
            "working_hours.0.rrule",
            Therapist,
        ),
        (
            "/api/users",
            {"username": "sam", "role": "scheduler", "password": "pass\x00word"},
            "password",
            User,
        ),
    ],
)
def test_a_json_body_with_a_nul_is_refused_naming_the_field(
    app: FastAPI, api: Api, path: str, body: dict[str, Any], field: str, table: type[Any]
) -> None:
    before = _rows(app, table)
    _refused_naming(api.post(path, body), field)
    assert _rows(app, table) == before  # nothing was stored


def test_a_nul_in_a_change_is_refused_and_the_stored_value_kept(api: Api) -> None:
    answer = api.client.put(
        "/api/clinic", json={"name": NAME, "timezone": "America/New_York"}, headers=ADMIN
    )
    _refused_naming(answer, "name")
    assert api.ok("GET", "/api/clinic")["name"] == "Test Clinic"


def test_logging_in_with_a_nul_is_a_validation_error_not_a_database_error(
    client: TestClient,
) -> None:
    answer = client.post("/api/login", json={"username": "ad\x00min", "password": "whatever1"})
    _refused_naming(answer, "username")


def test_page_forms_refuse_a_nul_with_the_same_code_naming_the_field(
    app: FastAPI, client: TestClient, api: Api
) -> None:
    api.ok(
        "POST", "/api/users", {"username": "ada", "role": "admin", "password": "ada-secret-1"}, 201
    )
    log_in(client, "ada", "ada-secret-1")
    page = client.get("/settings")
    saved = client.post(
        "/settings/rooms",
        data={"name": "Quiet\x002", "kind": "quiet_room", "csrf_token": csrf_of(page.text)},
    )
    # the settings page comes back (422) with the room form as typed and the message beside it
    assert saved.status_code == 422, saved.text
    assert 'id="room-name-error"' in saved.text
    assert "name: must not contain the NUL character" in saved.text
    assert "validation_error</code>" in saved.text
    assert api.ok("GET", "/api/rooms") == []

    infusions = client.get("/infusions")
    recorded = client.post(
        "/infusions",
        data={
            "new_patient_name": NAME,
            "start": "2026-03-02T08:00",
            "csrf_token": csrf_of(infusions.text),
        },
    )
    # the form comes back (422) with the message beside the new patient's name
    assert recorded.status_code == 422, recorded.text
    assert 'id="record-new_patient_name-error"' in recorded.text
    assert "new patient name: must not contain the NUL character" in recorded.text
    assert "validation_error</code>" in recorded.text
    assert _rows(app, Patient) == 0


def test_the_login_page_refuses_a_nul_readably(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": "ad\x00a", "password": "ada-secret-1", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    assert "must not contain the NUL character" in answer.text
    assert answer.headers["content-type"].startswith("text/html")
