"""API: health, errors, authentication, users, the clinic, the protocol and the windows preview."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from models.tables import ApiToken, User
from tests.problems import assert_problem
from tests.support import ADMIN, Api, FakeClock

DEFAULT_PROTOCOL = {
    "version": 1,
    "anchor": "end",
    "windows": [
        {
            "key": "spinogenesis",
            "label": "Elevated spinogenesis",
            "implication": "Window for enhanced neural remodeling",
            "start_offset": "PT2H",
            "end_offset": "PT4H",
            "target_offset": None,
        },
        {
            "key": "peak",
            "label": "Peak neuroplasticity",
            "implication": "Cognitive training or rehabilitation fits here",
            "start_offset": "PT3H",
            "end_offset": "PT5H",
            "target_offset": "PT4H",
        },
        {
            "key": "plasticity",
            "label": "Neuroadaptive window",
            "implication": "Time-sensitive intervention opportunity; closes by ~12 h",
            "start_offset": "PT2H",
            "end_offset": "PT12H",
            "target_offset": None,
        },
        {
            "key": "long_term",
            "label": "Long-term synaptic density",
            "implication": "Sustained structural neurological recovery",
            "start_offset": "P1D",
            "end_offset": "P28D",
            "target_offset": None,
        },
    ],
    "recovery": "PT1H",
}


def protocol_body(**changes: Any) -> dict[str, Any]:
    """The default protocol as a PUT body, with ``{key: {field: value}}`` changes."""
    windows = []
    for window in DEFAULT_PROTOCOL["windows"]:
        windows.append({**window, **changes.get(window["key"], {})})
    return {"anchor": "end", "windows": windows}


def test_health_needs_no_token(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


UNKNOWN_PATHS = ["/api/nothing-here", "/nothing", "/api/infusions/1/nothing"]


def test_unknown_paths_are_404_problems(client: TestClient) -> None:
    for path in UNKNOWN_PATHS:
        assert_problem(client.get(path, headers=ADMIN), 404, "not_found", path)


def test_a_wrong_method_is_a_405_problem(client: TestClient) -> None:
    response = client.delete("/api/health")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]
    assert_problem(client.put("/api/rooms", headers=ADMIN, json={}), 405, "method_not_allowed")


def test_a_malformed_json_body_is_a_validation_error(client: TestClient) -> None:
    response = client.post(
        "/api/rooms",
        content=b"{not json",
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert_problem(response, 422, "validation_error")


BAD_CREDENTIALS = [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer"},
]


def test_no_or_unknown_token_is_401(client: TestClient) -> None:
    for headers in BAD_CREDENTIALS:
        body = assert_problem(
            client.get("/api/clinic", headers=headers), 401, "unauthorized", headers
        )
        assert "token" in body["detail"].lower() or "bearer" in body["detail"].lower()


# --- users ----------------------------------------------------------------------------


def test_post_user_shows_a_working_token_once_and_stores_only_its_hash(
    api: Api, client: TestClient
) -> None:
    response = api.post("/api/users", {"username": "sam", "role": "scheduler"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["username"] == "sam" and body["role"] == "scheduler"
    assert isinstance(body["id"], int)
    token = body["token"]
    assert isinstance(token, str) and len(token) >= 32
    # The token works, with the role it was given.
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/clinic", headers=headers).status_code == 200
    assert api.post("/api/rooms", {"name": "Gym", "kind": "gym"}, headers).status_code == 201
    # Stored hashed: no column of api_tokens holds the plain token.
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        rows = session.scalars(select(ApiToken)).all()
        user = session.scalars(select(User).where(User.username == "sam")).one()
    stored = [str(value) for row in rows for value in vars(row).values()]
    assert not any(token in value for value in stored)
    assert hashlib.sha256(token.encode()).hexdigest() in {row.token_hash for row in rows}
    assert user.role == "scheduler"


def test_a_password_is_stored_hashed(api: Api, client: TestClient) -> None:
    body = {"username": "pw", "role": "scheduler", "password": "correct horse"}
    api.ok("POST", "/api/users", body, 201)
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        user = session.scalars(select(User).where(User.username == "pw")).one()
    assert user.password_hash and "correct horse" not in user.password_hash
    assert user.password_hash.startswith("$argon2")


def test_a_token_expires(api: Api, client: TestClient, clock: FakeClock) -> None:
    headers = api.user("scheduler")
    assert client.get("/api/clinic", headers=headers).status_code == 200
    clock.now += timedelta(days=31)
    assert_problem(client.get("/api/clinic", headers=headers), 401, "unauthorized")


def test_a_therapist_user_is_bound_to_a_therapist(api: Api, client: TestClient) -> None:
    therapist = api.therapist()
    body = api.ok(
        "POST",
        "/api/users",
        {"username": "t1", "role": "therapist", "therapist_id": therapist["id"]},
        201,
    )
    assert body["therapist_id"] == therapist["id"]
    missing = api.post("/api/users", {"username": "t2", "role": "therapist"})
    assert_problem(missing, 422, "validation_error")
    unknown = api.post("/api/users", {"username": "t3", "role": "therapist", "therapist_id": 999})
    assert_problem(unknown, 422, "unknown_reference")


BAD_USER_BODIES = [
    {"username": "x", "role": "root"},
    {"username": "has space", "role": "scheduler"},
    {"username": "x"},
    {"username": "x", "role": "scheduler", "password": "short"},
    {"username": "x", "role": "scheduler", "is_admin": True},
]


def test_post_user_refuses_malformed_bodies(api: Api) -> None:
    for body in BAD_USER_BODIES:
        assert_problem(api.post("/api/users", body), 422, "validation_error", body)


def test_usernames_are_unique(api: Api) -> None:
    api.ok("POST", "/api/users", {"username": "dup", "role": "scheduler"}, 201)
    again = api.post("/api/users", {"username": "dup", "role": "admin"})
    assert_problem(again, 409, "already_exists")


def test_only_an_admin_creates_users(api: Api, client: TestClient) -> None:
    body = {"username": "eve", "role": "admin"}
    assert_problem(client.post("/api/users", json=body), 401, "unauthorized")
    scheduler = api.user("scheduler")
    assert_problem(api.post("/api/users", body, scheduler), 403, "forbidden")


# --- clinic ---------------------------------------------------------------------------


def test_get_and_put_the_clinic(api: Api, client: TestClient) -> None:
    therapist = api.user("therapist", api.therapist()["id"])
    assert client.get("/api/clinic", headers=therapist).json() == {
        "name": "Test Clinic",
        "timezone": "America/New_York",
        "max_wait_minutes": None,
    }
    body = {"name": "Berlin Clinic", "timezone": "Europe/Berlin", "max_wait_minutes": 90}
    assert api.ok("PUT", "/api/clinic", body) == body
    assert api.ok("GET", "/api/clinic") == body
    # Answers now carry Berlin's offset.
    windows = api.ok("GET", "/api/windows?start=2026-07-01T09:00")
    assert windows["anchor_time"] == "2026-07-01T09:40:00+02:00"


BAD_CLINIC_BODIES = [
    {"name": "X", "timezone": "Mars/Olympus"},
    {"name": "X", "timezone": ""},
    {"name": "", "timezone": "UTC"},
    {"name": "X"},
    {"name": "X", "timezone": "UTC", "id": 2},
]


def test_put_clinic_refuses_malformed_bodies(api: Api) -> None:
    for body in BAD_CLINIC_BODIES:
        response = api.client.put("/api/clinic", json=body, headers=ADMIN)
        assert_problem(response, 422, "validation_error", body)
        assert api.ok("GET", "/api/clinic")["timezone"] == "America/New_York"


def test_only_an_admin_changes_the_clinic(api: Api, client: TestClient) -> None:
    body = {"name": "X", "timezone": "UTC"}
    assert_problem(client.put("/api/clinic", json=body), 401, "unauthorized")
    response = client.put("/api/clinic", json=body, headers=api.user("scheduler"))
    assert_problem(response, 403, "forbidden")


# --- protocol -------------------------------------------------------------------------


def test_the_default_protocol_is_the_seed_table(api: Api, client: TestClient) -> None:
    assert api.ok("GET", "/api/protocol") == DEFAULT_PROTOCOL
    therapist = api.user("therapist", api.therapist()["id"])
    assert client.get("/api/protocol", headers=therapist).json() == DEFAULT_PROTOCOL


def test_each_put_makes_a_new_version(api: Api) -> None:
    first = api.ok("PUT", "/api/protocol", protocol_body(peak={"target_offset": "PT3H30M"}))
    assert first["version"] == 2
    assert first["windows"][1]["target_offset"] == "PT3H30M"
    second = api.ok("PUT", "/api/protocol", {**protocol_body(), "anchor": "start"})
    assert second["version"] == 3 and second["anchor"] == "start"
    assert api.ok("GET", "/api/protocol") == second
    windows = api.ok("GET", "/api/windows?start=2026-07-01T09:00")
    assert windows["protocol_version"] == 3
    assert windows["anchor_time"] == "2026-07-01T09:00:00-04:00"


def test_durations_are_answered_in_their_shortest_form(api: Api) -> None:
    body = protocol_body(long_term={"start_offset": "PT24H", "end_offset": "P4W"})
    answer = api.ok("PUT", "/api/protocol", body)
    assert answer["windows"][3]["start_offset"] == "P1D"
    assert answer["windows"][3]["end_offset"] == "P28D"


INVALID_WINDOWS = [
    ({"peak": {"start_offset": "PT5H", "end_offset": "PT3H", "target_offset": None}}, "after"),
    ({"peak": {"end_offset": "PT3H", "target_offset": None}}, "after"),
    ({"peak": {"target_offset": "PT6H"}}, "target_offset"),
    ({"peak": {"target_offset": "PT2H"}}, "target_offset"),
    ({"plasticity": {"key": "peak"}}, "twice"),
    ({"peak": {"start_offset": "2 hours"}}, "duration"),
    ({"peak": {"end_offset": "P1M"}}, "duration"),
    ({"peak": {"target_offset": "-PT4H"}}, "duration"),
    ({"long_term": {"end_offset": "P9999999999D"}}, "duration"),
    ({"long_term": {"end_offset": "P999999D"}}, "at most"),
]


def test_put_protocol_refuses_invalid_windows(api: Api) -> None:
    for changes, words in INVALID_WINDOWS:
        response = api.client.put("/api/protocol", json=protocol_body(**changes), headers=ADMIN)
        body = assert_problem(response, 422, "validation_error", (changes, words))
        assert words in body["detail"], (changes, body["detail"])
        assert api.ok("GET", "/api/protocol")["version"] == 1


BAD_PROTOCOL_BODIES = [
    {"anchor": "end", "windows": []},
    {"anchor": "middle", "windows": protocol_body()["windows"]},
    {**protocol_body(), "version": 7},
    {"anchor": "end", "windows": [{**protocol_body()["windows"][0], "colour": "red"}]},
    {"anchor": "end", "windows": [{**protocol_body()["windows"][0], "key": "Bad Key"}]},
]


def test_put_protocol_refuses_malformed_bodies(api: Api) -> None:
    for body in BAD_PROTOCOL_BODIES:
        response = api.client.put("/api/protocol", json=body, headers=ADMIN)
        assert_problem(response, 422, "validation_error", body)


def test_a_window_a_session_type_uses_cannot_be_dropped(api: Api) -> None:
    api.session_type("physical_rehabilitation", window="peak")
    body = protocol_body()
    body["windows"] = [w for w in body["windows"] if w["key"] != "peak"]
    response = api.client.put("/api/protocol", json=body, headers=ADMIN)
    problem = assert_problem(response, 422, "validation_error")
    assert "physical_rehabilitation" in problem["detail"]
    # A window nobody uses may go.
    body["windows"].append(protocol_body()["windows"][1])
    body["windows"] = [w for w in body["windows"] if w["key"] != "long_term"]
    assert api.ok("PUT", "/api/protocol", body)["version"] == 2


def test_an_infusion_keeps_its_protocol_version_and_windows(api: Api) -> None:
    patient = api.patient()
    before = api.infusion(patient["id"], "2026-06-10T09:00")
    assert before["protocol_version"] == 1
    moved = protocol_body(
        peak={"start_offset": "PT6H", "end_offset": "PT8H", "target_offset": "PT7H"}
    )
    api.ok("PUT", "/api/protocol", moved)
    after = api.ok("GET", f"/api/infusions/{before['id']}")
    assert after["protocol_version"] == 1
    assert after["windows"] == before["windows"]
    assert after["windows"][1]["start"] == "2026-06-10T12:40:00-04:00"
    later = api.infusion(patient["id"], "2026-06-11T09:00")
    assert later["protocol_version"] == 2
    assert later["windows"][1]["start"] == "2026-06-11T15:40:00-04:00"


def test_only_an_admin_changes_the_protocol(api: Api, client: TestClient) -> None:
    assert_problem(client.put("/api/protocol", json=protocol_body()), 401, "unauthorized")
    response = client.put("/api/protocol", json=protocol_body(), headers=api.user("scheduler"))
    assert_problem(response, 403, "forbidden")
