"""A therapist sees only its own (BOLA), bodies cannot set what they must not, and
patients' names stay out of the logs (docs/rules.md#answers)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import access_fixtures
from tests.access_fixtures import (
    DAY,
    NEXT_DAY,
    REHAB,
    Site,
    audit_count,
    book,
)
from tests.problems import assert_problem
from tests.support import ADMIN, Api, FakeClock

site = access_fixtures.site

# --- other therapists' ids are 404, never 403 and never the data ----------------------------


def test_other_therapists_ids_answer_404_like_ids_that_do_not_exist(
    client: TestClient, site: Site
) -> None:
    theirs = [
        ("GET", f"/api/sessions/{site.s2}", None, "/api/sessions/99999"),
        (
            "POST",
            f"/api/sessions/{site.s2}/status",
            {"status": "checked_in"},
            "/api/sessions/99999/status",
        ),
        ("GET", f"/api/therapists/{site.t2}/day?date={DAY}", None, None),
        ("GET", f"/api/patients/{site.p2}", None, "/api/patients/99999"),
    ]
    for method, path, body, missing in theirs:
        response = client.request(method, path, json=body, headers=site.dana)
        problem = assert_problem(response, 404, "not_found", path)
        assert "Quinn" not in response.text
        if missing is not None:
            absent = client.request(method, missing, json=body, headers=site.dana)
            absent_problem = assert_problem(absent, 404, "not_found", missing)
            # The same answer as for an id that names nothing: it leaks no existence.
            ident = path.split("/")[3]
            assert problem["detail"].replace(ident, "N") == absent_problem["detail"].replace(
                "99999", "N"
            )
            assert problem.keys() == absent_problem.keys()
    # The refused status change changed nothing.
    assert site.api.ok("GET", f"/api/sessions/{site.s2}")["status"] == "booked"


def test_own_things_are_readable_by_the_owning_therapist(
    client: TestClient, site: Site, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 3, 10, 15, 5, tzinfo=UTC)  # 11:05 in New York; s1 is at 11:10
    day = client.get(f"/api/therapists/{site.t1}/day", params={"date": DAY}, headers=site.dana)
    assert day.status_code == 200, day.text
    assert [s["id"] for s in day.json()["sessions"]] == [site.s1]
    one = client.get(f"/api/sessions/{site.s1}", headers=site.dana)
    assert one.status_code == 200 and one.json()["patient_id"] == site.p1
    changed = client.post(
        f"/api/sessions/{site.s1}/status", json={"status": "checked_in"}, headers=site.dana
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "checked_in"
    # ... and Eli cannot, even once Dana has touched it.
    theirs = client.post(
        f"/api/sessions/{site.s1}/status", json={"status": "completed"}, headers=site.eli
    )
    assert_problem(theirs, 404, "not_found")
    assert site.api.ok("GET", f"/api/sessions/{site.s1}")["status"] == "checked_in"


def test_a_therapist_lists_only_its_own_sessions(client: TestClient, site: Site) -> None:
    def listed(headers: dict[str, str], **params: Any) -> list[int]:
        response = client.get("/api/sessions", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()]

    assert listed(site.dana) == [site.s1, site.s3]
    assert listed(site.eli) == [site.s2]
    assert listed(site.dana, date=DAY) == [site.s1]
    assert listed(site.dana, therapist_id=site.t1) == [site.s1, site.s3]
    assert listed(site.dana, patient_id=site.p2) == []
    assert listed(site.eli, patient_id=site.p1) == []
    response = client.get("/api/sessions", params={"therapist_id": site.t2}, headers=site.dana)
    assert_problem(response, 404, "not_found")
    assert "Quinn" not in response.text
    assert sorted(listed(site.scheduler)) == [site.s1, site.s2, site.s3]
    assert listed(site.scheduler, therapist_id=site.t2) == [site.s2]


def test_a_therapist_sees_patient_names_only_on_its_own_sessions(
    client: TestClient, site: Site
) -> None:
    own = client.get("/api/sessions", headers=site.dana).json()
    assert {s["patient_name"] for s in own} == {"Pat Onename"}
    day = client.get(f"/api/therapists/{site.t1}/day", params={"date": DAY}, headers=site.dana)
    assert [s["patient_name"] for s in day.json()["sessions"]] == ["Pat Onename"]
    # Everything Dana may read: Quinn (Eli's patient) is named nowhere.
    for path, params in [
        ("/api/sessions", {}),
        ("/api/sessions", {"date": DAY}),
        (f"/api/therapists/{site.t1}/day", {"date": DAY}),
        (f"/api/therapists/{site.t1}/day", {"date": NEXT_DAY}),
        ("/api/therapists", {}),
        (f"/api/therapists/{site.t2}", {}),
        (f"/api/sessions/{site.s1}", {}),
        (f"/api/patients/{site.p1}", {}),
    ]:
        response = client.get(path, params=params, headers=site.dana)
        assert response.status_code == 200, (path, response.text)
        assert "Quinn" not in response.text, path
    # A scheduler sees every name.
    every = client.get("/api/sessions", headers=site.scheduler).json()
    assert {s["patient_name"] for s in every} == {"Pat Onename", "Quinn Othername"}


def test_a_patient_record_only_for_a_therapist_with_a_session(
    client: TestClient, site: Site
) -> None:
    def status(patient_id: int, headers: dict[str, str]) -> int:
        return int(client.get(f"/api/patients/{patient_id}", headers=headers).status_code)

    assert (status(site.p1, site.dana), status(site.p2, site.dana)) == (200, 404)
    assert (status(site.p2, site.eli), status(site.p1, site.eli)) == (200, 404)
    newcomer = site.api.patient("Newcomer")["id"]
    assert [status(newcomer, h) for h in (site.dana, site.eli, site.scheduler)] == [404, 404, 200]
    assert_problem(client.get(f"/api/patients/{newcomer}", headers=site.eli), 404, "not_found")
    infusion = site.api.infusion(newcomer, f"{DAY}T08:00")["id"]
    book(site.api, infusion, f"{DAY}T12:30", site.t2)
    assert [status(newcomer, h) for h in (site.dana, site.eli)] == [404, 200]
    assert client.get(f"/api/patients/{newcomer}", headers=site.eli).json()["name"] == "Newcomer"


# --- mass assignment: bodies cannot set status, ids or audit fields -------------------------


def _state(site: Site) -> dict[str, Any]:
    api = site.api
    infusions = (site.inf1, site.inf2, site.inf3, site.inf4)
    return {
        "sessions": api.ok("GET", "/api/sessions?limit=500"),
        "infusions": [api.ok("GET", f"/api/infusions/{i}") for i in infusions],
        "therapists": api.ok("GET", "/api/therapists"),
        "users": api.ok("GET", "/api/users"),
    }


def test_bodies_cannot_set_what_they_must_not(app: FastAPI, client: TestClient, site: Site) -> None:
    free = {"infusion_id": site.inf1, "session_type": REHAB, "start": f"{DAY}T12:20"}
    new_infusion = {"patient_id": site.p1, "start": "2026-03-20T07:00"}
    cases: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
        ("POST", "/api/sessions", {**free, "status": "completed"}, site.scheduler),
        ("POST", "/api/sessions", {**free, "id": 999}, site.scheduler),
        ("POST", "/api/sessions", {**free, "patient_id": site.p2}, site.scheduler),
        ("POST", "/api/sessions", {**free, "outside_window": True}, site.scheduler),
        ("POST", "/api/sessions", {**free, "created_at": "2020-01-01T00:00Z"}, site.scheduler),
        ("PATCH", f"/api/sessions/{site.s1}", {"status": "completed"}, site.scheduler),
        ("PATCH", f"/api/sessions/{site.s1}", {"patient_id": site.p2}, site.scheduler),
        ("PATCH", f"/api/sessions/{site.s1}", {"outside_window": True}, site.scheduler),
        ("POST", f"/api/sessions/{site.s1}/cancel", {"status": "booked"}, site.scheduler),
        ("POST", f"/api/sessions/{site.s1}/cancel", {"reason": "x", "id": 3}, site.scheduler),
        (
            "POST",
            f"/api/sessions/{site.s1}/status",
            {"status": "checked_in", "therapist_id": site.t2},
            site.dana,
        ),
        ("POST", "/api/infusions", {**new_infusion, "status": "cancelled"}, site.scheduler),
        ("POST", "/api/infusions", {**new_infusion, "id": 77}, site.scheduler),
        ("POST", "/api/infusions", {**new_infusion, "protocol_version": 9}, site.scheduler),
        ("PATCH", f"/api/infusions/{site.inf1}", {"status": "cancelled"}, site.scheduler),
        ("PATCH", f"/api/infusions/{site.inf1}", {"patient_id": site.p2}, site.scheduler),
        ("PATCH", f"/api/therapists/{site.t1}", {"id": 42}, site.scheduler),
        ("PATCH", f"/api/therapists/{site.t1}", {"name": "X", "id": 42}, site.scheduler),
        ("POST", "/api/users", {"username": "u1", "role": "admin", "token": "t"}, ADMIN),
        ("POST", "/api/users", {"username": "u2", "role": "admin", "disabled": True}, ADMIN),
        ("POST", "/api/users", {"username": "u3", "role": "admin", "id": 1}, ADMIN),
        ("PATCH", f"/api/users/{site.users['dana']}", {"role": "admin"}, ADMIN),
        ("PATCH", f"/api/users/{site.users['dana']}", {"therapist_id": site.t2}, ADMIN),
    ]
    before = _state(site)
    entries = audit_count(app)
    for method, path, body, headers in cases:
        response = client.request(method, path, json=body, headers=headers)
        problem = assert_problem(response, 422, "validation_error", (method, path, body))
        assert "unknown field" in problem["detail"], problem
    assert _state(site) == before
    assert audit_count(app) == entries


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.from_regex(r"[a-z_]{1,20}", fullmatch=True).filter(
        lambda n: (
            n not in {"infusion_id", "session_type", "start", "therapist_id", "room_id"}
            and n != "override_reason"
        )
    ),
    value=st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
)
def test_any_unknown_field_in_a_booking_is_refused(
    client: TestClient, site: Site, name: str, value: Any
) -> None:
    body = {"infusion_id": site.inf1, "session_type": REHAB, "start": f"{DAY}T12:20", name: value}
    response = client.post("/api/sessions", json=body, headers=site.scheduler)
    assert_problem(response, 422, "validation_error", body)
    assert len(site.api.ok("GET", f"/api/sessions?date={DAY}")) == 2


# --- minimum necessary: no patient names in the logs ----------------------------------------

SECRET_NAME = "Zelda Secretname"


def test_logs_never_contain_patients_names(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    api = Api(client)
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="planner"):
        therapist = api.therapist("Dana", ("physio",))["id"]
        api.session_type(REHAB, "peak", "physio", 60)
        patient = api.patient(SECRET_NAME)["id"]
        infusion = api.infusion(patient, f"{DAY}T07:00", care_plan=[REHAB])["id"]
        session = book(api, infusion, f"{DAY}T11:10", therapist)
        dana = api.user("therapist", therapist)
        assert client.get(f"/api/patients/{patient}", headers=dana).json()["name"] == SECRET_NAME
        assert client.get("/api/sessions", headers=dana).json()[0]["patient_name"] == SECRET_NAME
        api.ok("GET", f"/api/therapists/{therapist}/day?date={DAY}")
        api.ok("PATCH", f"/api/sessions/{session}", {"start": f"{DAY}T11:20"})
        taken = api.post(f"/api/sessions/{session}/cancel", {"reason": "unwell"})
        assert taken.status_code == 200
        assert api.post("/api/sessions", {"infusion_id": infusion}).status_code == 422
        api.ok("POST", f"/api/infusions/{infusion}/plan", {"commit": True})
        api.ok("GET", "/api/audit")
        assert api.post("/api/patients", {"name": SECRET_NAME, "x": 1}).status_code == 422
    assert caplog.records, "nothing was captured: the check below would prove nothing"
    for record in caplog.records:
        text = f"{record.getMessage()} {record.exc_text or ''}"
        assert "Zelda" not in text and "Secretname" not in text, (record.name, text[:300])


def test_values_the_database_refuses_are_not_a_500_and_not_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    api = Api(client)
    with caplog.at_level(logging.DEBUG):
        # PostgreSQL cannot store a NUL byte; SQLite could: both refuse it before the
        # database sees it (tests/test_nul_characters.py). No 500, no name logged.
        response = api.post("/api/patients", {"name": "Zelda\x00Secretname"})
    assert_problem(response, 422, "validation_error")
    for record in caplog.records:
        text = f"{record.getMessage()} {record.exc_text or ''}"
        assert "Zelda" not in text and "Secretname" not in text, (record.name, text[:300])


def test_a_failing_querys_values_never_reach_the_logs(
    client: TestClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever breaks inside a query, the values it carried (a patient's name) are not
    written to the log with the error."""
    from sqlalchemy import text as sql

    from services import catalog

    def broken(uow: Any, body: Any) -> Any:
        with uow:
            query = sql("SELECT no_such_column FROM patients WHERE name = :name")
            uow.db.execute(query, {"name": body.name})

    monkeypatch.setattr(catalog, "create_patient", broken)
    api = Api(client)
    with caplog.at_level(logging.DEBUG):
        response = api.post("/api/patients", {"name": SECRET_NAME})
    assert response.status_code in (500, 503), response.text
    assert SECRET_NAME not in response.text
    logged = {"planner.api", "planner.db"}
    assert any(r.name in logged for r in caplog.records), "the error was not logged"
    for record in caplog.records:
        text = f"{record.getMessage()} {record.exc_text or ''}"
        assert "Zelda" not in text and "Secretname" not in text, (record.name, text[:500])
