"""API: rooms, session types, patients, and paging of lists."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.problems import assert_problem
from tests.support import ADMIN, Api

# --- rooms ----------------------------------------------------------------------------


def test_rooms(api: Api, client: TestClient) -> None:
    gym = api.ok("POST", "/api/rooms", {"name": "Gym", "kind": "gym"}, 201)
    assert gym == {"id": gym["id"], "name": "Gym", "kind": "gym"}
    quiet = api.room("Quiet room", "therapy")
    assert api.ok("GET", "/api/rooms") == [gym, quiet]
    therapist = api.user("therapist", api.therapist()["id"])
    assert client.get("/api/rooms", headers=therapist).json() == [gym, quiet]
    response = client.post("/api/rooms", json={"name": "X", "kind": "gym"}, headers=therapist)
    assert_problem(response, 403, "forbidden")
    assert_problem(client.get("/api/rooms"), 401, "unauthorized")


BAD_ROOMS = [
    {"name": "Gym"},
    {"name": "", "kind": "gym"},
    {"name": "Gym", "kind": "gym", "id": 3},
    {"name": "Gym", "kind": 7},
]


def test_post_room_refuses_malformed_bodies(api: Api) -> None:
    for body in BAD_ROOMS:
        assert_problem(api.post("/api/rooms", body), 422, "validation_error", body)


# --- session types --------------------------------------------------------------------


def test_session_types(api: Api, client: TestClient) -> None:
    body = {
        "key": "cognitive_training",
        "name": "Cognitive training",
        "duration_minutes": 45,
        "discipline": "cognitive",
        "window": "peak",
        "room_kind": "therapy",
    }
    created = api.ok("POST", "/api/session-types", body, 201)
    assert created == {"id": created["id"], **body, "modality": "on_site"}
    no_room = api.session_type("talk", window="plasticity", discipline="psych")
    assert no_room["room_kind"] is None
    video = {**body, "key": "video_talk", "room_kind": None, "modality": "telehealth"}
    assert api.ok("POST", "/api/session-types", video, 201)["modality"] == "telehealth"
    bad = {**body, "key": "by_post", "modality": "by_post"}
    assert_problem(api.post("/api/session-types", bad), 422, "validation_error")
    assert [t["key"] for t in api.ok("GET", "/api/session-types")] == [
        "cognitive_training",
        "talk",
        "video_talk",
    ]
    therapist = api.user("therapist", api.therapist()["id"])
    assert client.get("/api/session-types", headers=therapist).status_code == 200
    response = client.post("/api/session-types", json={**body, "key": "x"}, headers=therapist)
    assert_problem(response, 403, "forbidden")


def test_a_session_type_window_must_be_in_the_protocol(api: Api) -> None:
    body = {
        "key": "rehab",
        "name": "Rehab",
        "duration_minutes": 60,
        "discipline": "physio",
        "window": "afterglow",
    }
    problem = assert_problem(api.post("/api/session-types", body), 422, "validation_error")
    assert "afterglow" in problem["detail"] and "peak" in problem["detail"]


def test_a_session_type_key_is_unique(api: Api) -> None:
    api.session_type("rehab")
    body = {
        "key": "rehab",
        "name": "Other",
        "duration_minutes": 30,
        "discipline": "physio",
        "window": "plasticity",
    }
    assert_problem(api.post("/api/session-types", body), 409, "already_exists")


BAD_SESSION_TYPE_CHANGES = [
    {"key": "Rehab Session"},
    {"duration_minutes": 3},
    {"duration_minutes": "60"},
    {"discipline": ""},
    {"window": None},
    {"status": "active"},
]


def test_post_session_type_refuses_malformed_bodies(api: Api) -> None:
    for changes in BAD_SESSION_TYPE_CHANGES:
        body = {
            "key": "rehab",
            "name": "Rehab",
            "duration_minutes": 60,
            "discipline": "physio",
            "window": "peak",
            **changes,
        }
        assert_problem(api.post("/api/session-types", body), 422, "validation_error", changes)


# --- patients -------------------------------------------------------------------------


def test_patients(api: Api) -> None:
    created = api.ok("POST", "/api/patients", {"name": "Ada Lovelace", "mrn": "MRN-1"}, 201)
    assert created == {"id": created["id"], "name": "Ada Lovelace", "mrn": "MRN-1"}
    assert api.ok("GET", f"/api/patients/{created['id']}") == created
    anonymous = api.ok("POST", "/api/patients", {"name": "No Record"}, 201)
    assert anonymous["mrn"] is None
    assert_problem(api.get("/api/patients/999"), 404, "not_found")


def test_an_mrn_is_unique(api: Api) -> None:
    api.patient("A", mrn="MRN-7")
    response = api.post("/api/patients", {"name": "B", "mrn": "MRN-7"})
    assert_problem(response, 409, "already_exists")


BAD_PATIENTS = [
    {},
    {"name": ""},
    {"name": "A", "mrn": ""},
    {"name": "A", "id": 1},
    {"name": 5},
]


def test_post_patient_refuses_malformed_bodies(api: Api) -> None:
    for body in BAD_PATIENTS:
        assert_problem(api.post("/api/patients", body), 422, "validation_error", body)


def test_patients_are_for_schedulers(api: Api, client: TestClient) -> None:
    patient = api.patient()
    therapist = api.user("therapist", api.therapist()["id"])
    path = f"/api/patients/{patient['id']}"
    assert_problem(client.get(path), 401, "unauthorized")
    # a therapist sees a patient only when it has a session with them; else 404
    assert_problem(client.get(path, headers=therapist), 404, "not_found")
    response = client.post("/api/patients", json={"name": "X"}, headers=therapist)
    assert_problem(response, 403, "forbidden")
    assert client.get(path, headers=api.user("scheduler")).status_code == 200


# --- paging ---------------------------------------------------------------------------


PAGED_LISTS = ["/api/rooms", "/api/therapists", "/api/session-types"]


def test_lists_are_paged_with_a_next_link(api: Api) -> None:
    for path in PAGED_LISTS:
        for n in range(5):
            if path == "/api/rooms":
                api.room(f"Room {n}")
            elif path == "/api/therapists":
                api.therapist(f"T{n}")
            else:
                api.session_type(f"type_{n}")
        everything = api.ok("GET", path)
        assert len(everything) == 5
        first = api.get(path, limit=2)
        assert first.status_code == 200
        assert first.json() == everything[:2]
        link = first.headers["link"]
        assert link.startswith("<") and link.endswith('>; rel="next"')
        next_url = link[1 : link.index(">")]
        assert "limit=2" in next_url and "offset=2" in next_url
        second = api.client.get(next_url, headers=ADMIN)
        assert second.json() == everything[2:4]
        last = api.get(path, limit=2, offset=4)
        assert last.json() == everything[4:]
        assert "link" not in last.headers
        exact = api.get(path, limit=5)
        assert exact.json() == everything and "link" not in exact.headers
        assert api.get(path, limit=2, offset=10).json() == []


BAD_PAGES = [{"limit": 501}, {"limit": 0}, {"offset": -1}, {"limit": "many"}]


def test_paging_bounds(api: Api) -> None:
    for params in BAD_PAGES:
        assert_problem(api.get("/api/rooms", **params), 422, "validation_error", params)


def test_the_largest_page_is_500(api: Api) -> None:
    assert api.get("/api/rooms", limit=500).status_code == 200
