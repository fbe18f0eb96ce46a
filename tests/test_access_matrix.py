"""Who may call what (docs/rules.md#answers), checked over the application's own route table.

Every route under ``/api`` must have an entry in ``EXPECTED``, written here from the
role table of docs/rules.md#who-may-do-what, and every entry must name a route: a new route without
a decision
on who may call it fails this test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests import access_fixtures
from tests.access_fixtures import (
    DAY,
    NEXT_DAY,
    PASSWORD,
    REHAB,
    Site,
    api_routes,
    make_user,
)
from tests.problems import assert_problem
from tests.support import EVERY_DAY, FakeClock

site = access_fixtures.site
cheap_argon2 = access_fixtures.cheap_argon2

pytestmark = pytest.mark.usefixtures("cheap_argon2")  # fast password hashing

ANYONE = "anyone"
USER = "any authenticated user"
SCHEDULER = "scheduler"
ADMIN_ONLY = "admin"
OWN = "therapist: own only"
OWN_OR_ADMIN = "therapist: own; administrator: any"

Body = Callable[[Site], Any]


@dataclass(frozen=True)
class Case:
    access: str
    body: Body | None = None
    params: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # path parameter -> Site attribute


def therapist_body(_: Site) -> dict[str, Any]:
    return {
        "name": "Matrix",
        "disciplines": ["physio"],
        "working_hours": [{"rrule": EVERY_DAY, "start": "08:00", "end": "17:00"}],
    }


PROTOCOL_WINDOWS = [
    {"key": "peak", "label": "Peak", "start_offset": "PT3H", "end_offset": "PT5H"},
    {"key": "plasticity", "label": "Plastic", "start_offset": "PT2H", "end_offset": "PT12H"},
]

EXPECTED: dict[tuple[str, str], Case] = {
    ("GET", "/api/health"): Case(ANYONE),
    ("POST", "/api/login"): Case(
        ANYONE, lambda s: {"username": "matrix-login", "password": PASSWORD}
    ),
    ("POST", "/api/logout"): Case(USER),
    ("POST", "/api/users"): Case(ADMIN_ONLY, lambda s: {"username": "new", "role": "scheduler"}),
    ("GET", "/api/users"): Case(ADMIN_ONLY),
    ("PATCH", "/api/users/{user_id}"): Case(
        ADMIN_ONLY, lambda s: {"disabled": False}, ids={"user_id": "victim"}
    ),
    ("DELETE", "/api/users/{user_id}/tokens"): Case(ADMIN_ONLY, ids={"user_id": "victim"}),
    ("GET", "/api/clinic"): Case(USER),
    ("PUT", "/api/clinic"): Case(
        ADMIN_ONLY, lambda s: {"name": "Test Clinic", "timezone": "America/New_York"}
    ),
    ("GET", "/api/protocol"): Case(USER),
    ("PUT", "/api/protocol"): Case(
        ADMIN_ONLY, lambda s: {"anchor": "end", "windows": PROTOCOL_WINDOWS}
    ),
    ("GET", "/api/windows"): Case(USER, params={"start": f"{DAY}T07:00"}),
    ("POST", "/api/therapists"): Case(SCHEDULER, therapist_body),
    ("GET", "/api/therapists"): Case(USER),
    ("GET", "/api/therapists/{therapist_id}"): Case(USER),
    ("PATCH", "/api/therapists/{therapist_id}"): Case(SCHEDULER, lambda s: {"buffer_minutes": 0}),
    ("POST", "/api/therapists/{therapist_id}/time-off"): Case(
        SCHEDULER, lambda s: {"start": "2026-04-01T08:00", "end": "2026-04-01T09:00"}
    ),
    ("GET", "/api/therapists/{therapist_id}/day"): Case(OWN, params={"date": DAY}),
    ("POST", "/api/therapists/{therapist_id}/feed"): Case(OWN_OR_ADMIN),
    ("DELETE", "/api/therapists/{therapist_id}/feed"): Case(OWN_OR_ADMIN),
    ("POST", "/api/rooms/{room_id}/feed"): Case(ADMIN_ONLY, ids={"room_id": "gym"}),
    ("DELETE", "/api/rooms/{room_id}/feed"): Case(ADMIN_ONLY, ids={"room_id": "gym"}),
    ("GET", "/api/patients/{patient_id}/sessions.ics"): Case(SCHEDULER),
    ("POST", "/api/rooms"): Case(SCHEDULER, lambda s: {"name": "Gym", "kind": "gym"}),
    ("GET", "/api/rooms"): Case(USER),
    ("POST", "/api/session-types"): Case(
        SCHEDULER,
        lambda s: {
            "key": "matrix_type",
            "name": "Matrix",
            "duration_minutes": 30,
            "discipline": "physio",
            "window": "peak",
        },
    ),
    ("GET", "/api/session-types"): Case(USER),
    ("POST", "/api/patients"): Case(SCHEDULER, lambda s: {"name": "New Patient"}),
    ("GET", "/api/patients/{patient_id}"): Case(OWN),
    ("POST", "/api/infusions"): Case(
        SCHEDULER, lambda s: {"patient_id": s.p1, "start": "2026-03-20T07:00"}
    ),
    ("GET", "/api/infusions"): Case(SCHEDULER, params={"date": DAY}),
    ("POST", "/api/patients/{patient_id}/courses"): Case(
        SCHEDULER, lambda s: {"rrule": "FREQ=DAILY;COUNT=2", "start": "2026-03-26T07:00"}
    ),
    ("GET", "/api/courses/{course_id}"): Case(SCHEDULER, ids={"course_id": "course"}),
    ("GET", "/api/infusions/{infusion_id}"): Case(SCHEDULER),
    ("PATCH", "/api/infusions/{infusion_id}"): Case(
        SCHEDULER, lambda s: {"duration_minutes": 40}, ids={"infusion_id": "inf3"}
    ),
    ("POST", "/api/infusions/{infusion_id}/cancel"): Case(
        SCHEDULER, lambda s: {"reason": "unwell"}, ids={"infusion_id": "inf4"}
    ),
    ("GET", "/api/infusions/{infusion_id}/slots"): Case(SCHEDULER, params={"session_type": REHAB}),
    ("POST", "/api/infusions/{infusion_id}/plan"): Case(
        SCHEDULER, lambda s: {"session_types": [REHAB], "commit": False}
    ),
    ("POST", "/api/infusions/{infusion_id}/follow-ups"): Case(
        SCHEDULER,
        lambda s: {"session_type": REHAB, "rrule": "FREQ=DAILY;COUNT=1", "start": f"{DAY}T11:40"},
    ),
    ("POST", "/api/plan/day"): Case(SCHEDULER, lambda s: {"date": DAY, "commit": False}),
    ("POST", "/api/plan/day/book"): Case(
        SCHEDULER,
        lambda s: {
            "date": DAY,
            "sessions": [
                {
                    "infusion_id": s.inf2,
                    "session_type": REHAB,
                    "therapist_id": s.t2,
                    "start": f"{DAY}T12:20",
                }
            ],
        },
    ),
    ("POST", "/api/sessions"): Case(
        SCHEDULER,
        lambda s: {"infusion_id": s.inf1, "session_type": REHAB, "start": f"{DAY}T11:40"},
    ),
    ("GET", "/api/sessions"): Case(USER, params={"date": DAY}),
    ("GET", "/api/sessions/{session_id}"): Case(OWN),
    ("PATCH", "/api/sessions/{session_id}"): Case(
        SCHEDULER, lambda s: {"start": f"{NEXT_DAY}T11:10"}, ids={"session_id": "s3"}
    ),
    ("POST", "/api/sessions/{session_id}/cancel"): Case(
        SCHEDULER, lambda s: {"reason": "moved away"}, ids={"session_id": "s3"}
    ),
    ("POST", "/api/sessions/{session_id}/status"): Case(OWN, lambda s: {"status": "checked_in"}),
    ("POST", "/api/sessions/{session_id}/status/undo"): Case(OWN),
    ("GET", "/api/audit"): Case(ADMIN_ONLY),
}

# A path parameter names, by default, the first therapist's things.
DEFAULT_IDS = {
    "therapist_id": "t1",
    "patient_id": "p1",
    "infusion_id": "inf1",
    "session_id": "s1",
}

RANK = {ANYONE: 0, USER: 1, OWN: 1, OWN_OR_ADMIN: 1, SCHEDULER: 2, ADMIN_ONLY: 3}
CALLERS = ["no token", "other therapist", "therapist", "scheduler", "admin"]
CALLER_RANK = {"therapist": 1, "other therapist": 1, "scheduler": 2, "admin": 3}


def test_every_route_has_an_expectation_and_every_expectation_a_route(app: FastAPI) -> None:
    served = {(method, path) for method, path, _ in api_routes(app)}
    assert served, "the route table is empty: the helper no longer reads it"
    assert sorted(served - EXPECTED.keys()) == [], "routes without an access decision"
    assert sorted(EXPECTED.keys() - served) == [], "access decisions without a route"


def _order(key: tuple[str, str]) -> tuple[int, str, str]:
    # Logging out revokes the caller's token: it goes last.
    return (key == ("POST", "/api/logout"), key[1], key[0])


def test_access_matrix(app: FastAPI, client: TestClient, site: Site, clock: FakeClock) -> None:
    # 11:00 in New York on the site's day: s1 (11:10) may be checked in (from 10:40), and its
    # check-in undone (the undo route is called after the status route, see _order)
    clock.now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    api = site.api
    extra: dict[str, Any] = {}
    extra["victim"], _ = make_user(api, "victim", "scheduler")
    extra["gym"] = api.room("Matrix gym")["id"]
    course = {"rrule": "FREQ=DAILY;COUNT=1", "start": "2026-03-25T07:00", "commit": True}
    extra["course"] = api.ok("POST", f"/api/patients/{site.p2}/courses", course)["id"]
    make_user(api, "matrix-login", "scheduler", password=PASSWORD)
    headers: dict[str, dict[str, str]] = {
        "no token": {},
        "other therapist": site.eli,
        "therapist": site.dana,
        "scheduler": site.scheduler,
        "admin": site.admin,
    }
    served = sorted({(m, p) for m, p, _ in api_routes(app)} & EXPECTED.keys(), key=_order)
    failures: list[str] = []
    checked = 0
    for method, template in served:
        case = EXPECTED[(method, template)]
        ids = {**DEFAULT_IDS, **case.ids}
        path = template
        for name, attribute in ids.items():
            value = extra.get(attribute) or getattr(site, attribute, None)
            path = path.replace("{" + name + "}", str(value))
        assert "{" not in path, f"no id for {template}"
        for caller in CALLERS:
            body = case.body(site) if case.body else None
            response = client.request(
                method, path, json=body, params=case.params, headers=headers[caller]
            )
            checked += 1
            where = f"{method} {template} as {caller}: {response.status_code} {response.text}"
            failure = _judge(case.access, caller, response)
            if failure:
                failures.append(f"{where}: {failure}")
    assert checked == len(served) * len(CALLERS)
    assert failures == [], "\n".join(failures)


def _judge(access: str, caller: str, response: Any) -> str | None:
    """Why ``response`` is wrong for ``caller`` on a route of ``access``; None when right."""
    status = response.status_code
    if status >= 500:
        return "a server error"
    if access == ANYONE:
        return "refused to anyone" if status in (401, 403) else None
    if caller == "no token":
        return _problem(response, 401, "unauthorized")
    if access == OWN and caller == "other therapist":
        return _problem(response, 404, "not_found")
    if access == OWN and caller == "therapist":
        return None if status == 200 else "the owning therapist is refused"
    if access == OWN_OR_ADMIN:
        return _own_or_admin(caller, response)
    if CALLER_RANK[caller] < RANK[access]:
        return _problem(response, 403, "forbidden")
    return "an allowed caller is refused" if status in (401, 403) else None


def _own_or_admin(caller: str, response: Any) -> str | None:
    """A therapist's own calendar feed: the therapist or an administrator, not staff."""
    if caller == "other therapist":
        return _problem(response, 404, "not_found")
    if caller == "scheduler":
        return _problem(response, 403, "forbidden")
    return None if 200 <= response.status_code < 300 else "the owner or an administrator is refused"


def _problem(response: Any, status: int, code: str) -> str | None:
    try:
        assert_problem(response, status, code)
    except AssertionError as error:
        return f"expected {status} {code}: {error}"
    return None


def test_unknown_or_malformed_tokens_are_401(client: TestClient) -> None:
    for value in ["Bearer nope", "Bearer ", "Basic dXNlcjpwYXNz", "test-admin-token", ""]:
        response = client.get("/api/clinic", headers={"Authorization": value})
        assert_problem(response, 401, "unauthorized", value)


def test_roles_nest_staff_read_every_therapists_things(client: TestClient, site: Site) -> None:
    for staff in (site.scheduler, site.admin):
        for therapist, session, patient in [
            (site.t1, site.s1, site.p1),
            (site.t2, site.s2, site.p2),
        ]:
            day = client.get(f"/api/therapists/{therapist}/day?date={DAY}", headers=staff)
            assert day.status_code == 200 and day.json()["therapist_id"] == therapist
            one = client.get(f"/api/sessions/{session}", headers=staff)
            assert one.status_code == 200 and one.json()["therapist_id"] == therapist
            record = client.get(f"/api/patients/{patient}", headers=staff)
            assert record.status_code == 200 and record.json()["id"] == patient
        listed = client.get("/api/sessions", headers=staff).json()
        assert {s["id"] for s in listed} == {site.s1, site.s2, site.s3}


def test_list_endpoints_refuse_more_than_500(app: FastAPI, client: TestClient, site: Site) -> None:
    lists = [
        (path, route)
        for method, path, route in api_routes(app)
        if method == "GET"
        and "{" not in path
        and "limit"
        in {param.alias for param in route.dependant.query_params}
        | {p.alias for d in route.dependant.dependencies for p in d.query_params}
    ]
    assert {path for path, _ in lists} >= {
        "/api/sessions",
        "/api/audit",
        "/api/therapists",
        "/api/infusions",
    }
    for path, _ in lists:
        response = client.get(path, params={"limit": 501}, headers=site.admin)
        assert_problem(response, 422, "validation_error", path)
        assert client.get(path, params={"limit": 500}, headers=site.admin).status_code == 200
    slots = f"/api/infusions/{site.inf1}/slots"
    response = client.get(slots, params={"session_type": REHAB, "limit": 501}, headers=site.admin)
    assert_problem(response, 422, "validation_error")


def test_ids_out_of_any_range_are_refused_never_a_500(
    app: FastAPI, client: TestClient, site: Site
) -> None:
    """An id no column can hold names nothing: 404 (or 422 for a value the database
    refuses), on every backend."""
    failures = []
    for method, template, _ in api_routes(app):
        if "{" not in template:
            continue
        case = EXPECTED[(method, template)]
        for huge in (2**31, 2**63, 10**30):
            path = template
            for name in DEFAULT_IDS | {"user_id": ""}:
                path = path.replace("{" + name + "}", str(huge))
            body = case.body(site) if case.body else None
            response = client.request(
                method, path, json=body, params=case.params, headers=site.admin
            )
            if response.status_code not in (404, 422):
                failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    for huge in (2**31, 2**63):
        requests: list[tuple[str, str, Any, dict[str, Any]]] = [
            (
                "POST",
                "/api/sessions",
                {"infusion_id": huge, "session_type": REHAB, "start": f"{DAY}T11:40"},
                {},
            ),
            ("POST", "/api/infusions", {"patient_id": huge, "start": f"{DAY}T07:00"}, {}),
            (
                "POST",
                "/api/users",
                {"username": "x", "role": "therapist", "therapist_id": huge},
                {},
            ),
            ("GET", "/api/sessions", None, {"therapist_id": huge, "patient_id": huge}),
            ("GET", "/api/audit", None, {"actor": str(huge)}),
        ]
        for method, path, body, params in requests:
            response = client.request(method, path, json=body, params=params, headers=site.admin)
            if response.status_code >= 500 or response.status_code in (401, 403):
                failures.append(f"{method} {path} {huge}: {response.status_code} {response.text}")
    assert failures == [], "\n".join(failures)
