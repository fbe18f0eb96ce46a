"""The audit log (docs/rules.md): one entry per committed write, denials on patient data, read
only by administrators, append-only down to the database."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests import access_fixtures
from tests.access_fixtures import (
    DAY,
    PASSWORD,
    REHAB,
    WRITE_METHODS,
    Site,
    api_routes,
    audit_after,
    audit_count,
    last_audit_id,
)
from tests.audit_cases import NEW_PASSWORD, WRITE_CASES, ok, prepare
from tests.problems import assert_problem
from tests.support import ADMIN, FakeClock

site = access_fixtures.site
cheap_argon2 = access_fixtures.cheap_argon2

pytestmark = pytest.mark.usefixtures("cheap_argon2")  # fast password hashing


def test_every_write_route_has_an_audit_case(app: FastAPI) -> None:
    writes = {(m, p) for m, p, _ in api_routes(app) if m in WRITE_METHODS}
    assert len(writes) >= 20, "the route table was not read"
    assert sorted(writes - WRITE_CASES.keys()) == [], "write routes without an audit case"
    assert sorted(WRITE_CASES.keys() - writes) == [], "audit cases without a route"


def test_every_write_leaves_exactly_one_entry(
    app: FastAPI, client: TestClient, site: Site, clock: FakeClock
) -> None:
    made = prepare(client, site)
    made["clock"] = clock
    user_ids = {**site.users, "leaver": made["leaver"]}
    roles = {"admin": "admin", "sched": "scheduler", "leaver": "scheduler", "dana": "therapist"}
    for (method, template), call in WRITE_CASES.items():
        where = f"{method} {template}"
        last, rows = last_audit_id(app), audit_count(app)
        expect = call(client, site, made)
        assert audit_count(app) == rows + 1, where
        [entry] = audit_after(site.api, last)
        assert entry["action"] == where
        assert entry["outcome"] == "success", (where, entry)
        assert (entry["entity"], entry["entity_id"]) == (expect.entity, expect.entity_id), (
            where,
            entry,
        )
        if expect.actor is not None:
            actor = (entry["actor"], entry["actor_id"], entry["role"])
            assert actor == (expect.actor, user_ids[expect.actor], roles[expect.actor]), where
        for side, wanted in (("before", expect.before), ("after", expect.after)):
            if wanted is not None:
                got = entry[side] or {}
                assert {k: got.get(k) for k in wanted} == wanted, (where, side, entry)
        if expect.patient_id is not None:
            assert entry["patient_id"] == expect.patient_id, (where, entry)
        assert entry["at"].startswith(expect.at), entry  # the clock, in the clinic's offset
        dumped = json.dumps(entry)
        assert PASSWORD not in dumped and NEW_PASSWORD not in dumped and "$argon2" not in dumped


def test_one_entry_for_a_change_of_many_rows(app: FastAPI, client: TestClient, site: Site) -> None:
    """Cancelling an infusion cancels its sessions: one entry, the infusion its subject and
    each session under ``related``."""
    last, rows = last_audit_id(app), audit_count(app)
    path = f"/api/infusions/{site.inf1}/cancel"
    ok(client.post(path, json={"reason": "unwell"}, headers=site.scheduler))
    assert audit_count(app) == rows + 1
    [entry] = audit_after(site.api, last)
    assert (entry["entity"], entry["entity_id"], entry["patient_id"]) == (
        "infusion",
        site.inf1,
        site.p1,
    )
    assert entry["after"]["status"] == "cancelled"
    [related] = entry["related"]
    assert (related["entity"], related["entity_id"], related["op"]) == (
        "session",
        site.s1,
        "update",
    )
    assert related["before"]["status"] == "booked" and related["after"]["status"] == "cancelled"


def test_passwords_never_reach_the_audit(app: FastAPI, client: TestClient) -> None:
    made = client.post(
        "/api/users",
        json={"username": "pw", "role": "scheduler", "password": PASSWORD},
        headers=ADMIN,
    )
    user_id = ok(made, 201)["id"]
    last = last_audit_id(app)
    ok(client.patch(f"/api/users/{user_id}", json={"password": NEW_PASSWORD}, headers=ADMIN))
    [changed] = [e for e in audit_after_all(client, 0) if e["id"] > last]
    assert changed["action"] == "PATCH /api/users/{user_id}"
    assert (changed["entity"], changed["entity_id"]) == ("user", user_id)
    # That the password changed is audited; neither it nor its hash is.
    assert changed["after"] == {"password_hash": "[redacted]"}
    ok(client.post("/api/login", json={"username": "pw", "password": NEW_PASSWORD}))
    wrong = client.post("/api/login", json={"username": "pw", "password": PASSWORD})
    assert_problem(wrong, 401, "unauthorized")
    with app.state.engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM audit_entries")).all()
    dumped = json.dumps([list(map(str, row)) for row in stored])
    for secret in (PASSWORD, NEW_PASSWORD, "$argon2"):
        assert secret not in dumped, secret


def audit_after_all(client: TestClient, last: int) -> list[dict[str, Any]]:
    entries = ok(client.get("/api/audit", params={"limit": 500}, headers=ADMIN))
    return [e for e in entries if e["id"] > last]


def test_refused_writes_leave_no_success_entry(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    successes = audit_count(app, outcome="success")
    total = audit_count(app)
    book = {"infusion_id": site.inf2, "session_type": REHAB}
    refusals = [
        ({**book, "start": f"{DAY}T11:10", "therapist_id": site.t1}, 409, "therapist_busy"),
        ({**book, "start": f"{DAY}T11:10", "therapist_id": site.t2}, 409, "therapist_busy"),
        ({**book, "start": f"{DAY}T14:00"}, 422, "outside_window"),
        ({**book, "start": f"{DAY}T12:20", "status": "booked"}, 422, "validation_error"),
        ({**book, "start": f"{DAY}T12:20:30"}, 422, "validation_error"),
    ]
    for body, status, code in refusals:
        response = client.post("/api/sessions", json=body, headers=site.scheduler)
        assert_problem(response, status, code, body)
    anonymous = client.post(f"/api/sessions/{site.s1}/status", json={"status": "completed"})
    assert_problem(anonymous, 401, "unauthorized")
    moved = client.patch(
        f"/api/sessions/{site.s1}", json={"start": f"{DAY}T11:10"}, headers=site.dana
    )
    assert_problem(moved, 403, "forbidden")
    invalid = client.post(
        f"/api/sessions/{site.s1}/status", json={"status": "completed"}, headers=site.dana
    )
    assert_problem(invalid, 409, "invalid_transition")
    assert audit_count(app, outcome="success") == successes
    # Refusals on patient data (the 401 and 403 above) are noted as denials, nothing more.
    assert audit_count(app) == total + 2
    assert audit_count(app, outcome="denied") == total + 2 - successes


def test_denied_attempts_on_patient_data_are_audited(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    last = last_audit_id(app)
    assert_problem(client.get(f"/api/sessions/{site.s2}", headers=site.dana), 404, "not_found")
    body = {"patient_id": site.p1, "start": "2026-03-20T07:00"}
    assert_problem(client.post("/api/infusions", json=body, headers=site.dana), 403, "forbidden")
    read = client.get(f"/api/infusions/{site.inf1}", headers=site.eli)
    assert_problem(read, 403, "forbidden")
    day = client.get(f"/api/therapists/{site.t1}/day", params={"date": DAY}, headers=site.eli)
    assert_problem(day, 404, "not_found")
    entries = audit_after(site.api, last)
    seen = [
        (e["outcome"], e["actor"], e["role"], e["entity"], e["entity_id"], e["action"])
        for e in entries
    ]
    assert seen == [
        ("denied", "dana", "therapist", "session", site.s2, "GET /api/sessions/{session_id}"),
        ("denied", "dana", "therapist", "infusion", None, "POST /api/infusions"),
        ("denied", "eli", "therapist", "infusion", site.inf1, "GET /api/infusions/{infusion_id}"),
        (
            "denied",
            "eli",
            "therapist",
            "therapist",
            site.t1,
            "GET /api/therapists/{therapist_id}/day",
        ),
    ]
    dana, eli = site.users["dana"], site.users["eli"]
    assert [e["actor_id"] for e in entries] == [dana, dana, eli, eli]
    assert [(e["after"] or {}).get("code") for e in entries] == [
        "not_found",
        "forbidden",
        "forbidden",
        "not_found",
    ]


def test_audit_filters_and_pages_oldest_first(
    app: FastAPI, client: TestClient, clock: FakeClock, site: Site
) -> None:
    start = clock.now
    for minutes, name in [(10, "Room A"), (20, "Room B"), (30, "Room C")]:
        clock.now = start + timedelta(minutes=minutes)
        ok(client.post("/api/rooms", json={"name": name, "kind": "gym"}, headers=ADMIN), 201)
    clock.now = start + timedelta(minutes=40)
    ok(client.post("/api/patients", json={"name": "Late"}, headers=site.scheduler), 201)

    def get(**params: Any) -> Any:
        response = client.get("/api/audit", params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        return response

    rooms = get(entity="room").json()
    assert [e["after"]["name"] for e in rooms] == ["Room A", "Room B", "Room C"]
    since = get(since="2026-03-01T12:20:00Z").json()
    assert [e["entity"] for e in since] == ["room", "room", "patient"]
    assert get(since="2026-03-01T07:20").json() == since  # clinic wall time, New York
    assert [
        e["after"]["name"] for e in get(since="2026-03-01T12:20:00Z", entity="room").json()
    ] == [
        "Room B",
        "Room C",
    ]
    by_name = get(actor="sched").json()
    assert by_name and {e["actor"] for e in by_name} == {"sched"}
    assert get(actor=str(site.users["sched"])).json() == by_name
    assert by_name[-1]["after"]["name"] == "Late"
    every = get(limit=500).json()
    assert [(e["at"], e["id"]) for e in every] == sorted((e["at"], e["id"]) for e in every)
    pages: list[dict[str, Any]] = []
    response = get(limit=7)
    while True:
        pages.extend(response.json())
        link = response.headers.get("link")
        if link is None:
            break
        assert link.endswith('>; rel="next"'), link
        response = client.get(link[1 : link.index(">")], headers=ADMIN)
        assert response.status_code == 200
    assert len(every) > 7 and pages == every
    assert_problem(
        client.get("/api/audit", params={"since": "yesterday"}, headers=ADMIN),
        422,
        "validation_error",
    )


def test_only_administrators_read_the_audit(client: TestClient, site: Site) -> None:
    for headers in (site.scheduler, site.dana):
        assert_problem(client.get("/api/audit", headers=headers), 403, "forbidden")
    assert_problem(client.get("/api/audit"), 401, "unauthorized")


def test_no_route_changes_or_deletes_an_entry(app: FastAPI, client: TestClient) -> None:
    audit_routes = [(m, p) for m, p, _ in api_routes(app) if p.startswith("/api/audit")]
    assert audit_routes == [("GET", "/api/audit")]
    client.post("/api/rooms", json={"name": "Gym", "kind": "gym"}, headers=ADMIN)
    entries = audit_count(app)
    assert entries >= 1
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/api/audit", "/api/audit/1"):
            response = client.request(method, path, json={"outcome": "x"}, headers=ADMIN)
            assert response.status_code in (404, 405), (method, path, response.text)
    assert audit_count(app) == entries


REWRITES = [
    "UPDATE audit_entries SET outcome = 'rewritten'",
    "UPDATE audit_entries SET actor = NULL WHERE id = 1",
    "DELETE FROM audit_entries",
    "DELETE FROM audit_entries WHERE id = 1",
]


def test_the_database_refuses_to_rewrite_the_audit(app: FastAPI, client: TestClient) -> None:
    client.post("/api/rooms", json={"name": "Gym", "kind": "gym"}, headers=ADMIN)
    before = ok(client.get("/api/audit", headers=ADMIN))
    assert before
    for statement in REWRITES:
        with pytest.raises(DBAPIError, match="append-only"), app.state.engine.begin() as conn:
            conn.execute(text(statement))
    assert ok(client.get("/api/audit", headers=ADMIN)) == before
    # Appending is what the log is for: a plain INSERT still works.
    with app.state.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_entries (at, action, entity, outcome) "
                "VALUES (CURRENT_TIMESTAMP, 'test', 'room', 'success')"
            )
        )
    assert len(ok(client.get("/api/audit", headers=ADMIN))) == len(before) + 1
