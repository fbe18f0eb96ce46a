"""API: therapists, time off, rooms, session types, patients, and paging."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.problems import assert_problem
from tests.support import ADMIN, WEEKDAYS, Api


def therapist_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Dana",
        "disciplines": ["physio"],
        "working_hours": [{"rrule": WEEKDAYS, "start": "08:00", "end": "17:00"}],
        "buffer_minutes": 10,
        "max_sessions_per_day": 6,
    }
    return {**body, **changes}


def hours(**changes: Any) -> list[dict[str, Any]]:
    return [{"rrule": WEEKDAYS, "start": "08:00", "end": "17:00", **changes}]


def as_sent(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answered working hours without the optional fields answered as null."""
    return [{k: v for k, v in entry.items() if v is not None} for entry in entries]


# --- therapists -----------------------------------------------------------------------


def test_post_get_and_list_therapists(api: Api, client: TestClient) -> None:
    working = [
        {"rrule": "RRULE:freq=weekly;byday=mo,we", "start": "08:00", "end": "12:30"},
        {
            "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
            "start": "13:00",
            "end": "17:00",
            "valid_from": "2026-03-06",
            "valid_until": "2026-06-26",
        },
    ]
    body = therapist_body(disciplines=["physio", "cognitive"], working_hours=working)
    created = api.ok("POST", "/api/therapists", body, 201)
    assert isinstance(created["id"], int)
    # Working hours are answered as they were sent (the rule text untouched).
    assert as_sent(created["working_hours"]) == working
    assert sorted(created["disciplines"]) == ["cognitive", "physio"]
    assert (created["buffer_minutes"], created["max_sessions_per_day"]) == (10, 6)
    assert api.ok("GET", f"/api/therapists/{created['id']}") == created
    other = api.therapist("Lee")
    assert [t["id"] for t in api.ok("GET", "/api/therapists")] == [created["id"], other["id"]]
    # A therapist may read the list.
    therapist = api.user("therapist", created["id"])
    assert client.get("/api/therapists", headers=therapist).status_code == 200


def test_therapist_defaults(api: Api) -> None:
    created = api.ok("POST", "/api/therapists", {"name": "Min", "disciplines": ["physio"]}, 201)
    assert created["working_hours"] == []
    assert created["buffer_minutes"] == 0
    assert created["max_sessions_per_day"] is None


BAD_WORKING_HOURS = [
    (hours(rrule="NOTARULE"), "RRULE"),
    (hours(rrule="FREQ=WEEKLY;BYDAY=XX"), "RRULE"),
    (hours(rrule="FREQ=HOURLY"), "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
    (hours(rrule="FREQ=DAILY;INTERVAL=0"), "INTERVAL"),
    (hours(rrule="FREQ=DAILY;BYHOUR=9"), "BYHOUR"),
    (hours(start="17:00", end="08:00"), "must be after they start"),
    (hours(start="08:00", end="08:00"), "must be after they start"),
    (hours(start="8am"), "working_hours[0].start"),
    (hours(end="17:00:30"), "working_hours[0].end"),
    (hours(valid_from="2026-02-30"), "valid_from"),
    (hours(valid_from="2026-03-10", valid_until="2026-03-01"), "valid_until"),
]


def test_working_hours_are_validated(api: Api) -> None:
    for working_hours, words in BAD_WORKING_HOURS:
        response = api.post("/api/therapists", therapist_body(working_hours=working_hours))
        body = assert_problem(response, 422, "validation_error", (working_hours, words))
        assert words in body["detail"], (working_hours, body["detail"])
        assert body["detail"].startswith("working_hours")
        assert api.ok("GET", "/api/therapists") == []


BAD_THERAPIST_CHANGES = [
    {"name": ""},
    {"disciplines": []},
    {"disciplines": ["Physio Therapy"]},
    {"buffer_minutes": -5},
    {"buffer_minutes": "10"},
    {"max_sessions_per_day": 0},
    {"id": 5},
    {"working_hours": [{"rrule": WEEKDAYS, "start": "08:00", "end": "17:00", "tz": "UTC"}]},
    {"working_hours": [{"rrule": WEEKDAYS, "start": "08:00"}]},
]


def test_post_therapist_refuses_malformed_bodies(api: Api) -> None:
    for changes in BAD_THERAPIST_CHANGES:
        assert_problem(
            api.post("/api/therapists", therapist_body(**changes)), 422, "validation_error", changes
        )


def test_patch_therapist(api: Api) -> None:
    created = api.ok("POST", "/api/therapists", therapist_body(), 201)
    path = f"/api/therapists/{created['id']}"
    renamed = api.ok("PATCH", path, {"name": "Dana Smith"})
    assert renamed == {**created, "name": "Dana Smith"}
    new_hours = hours(rrule="FREQ=DAILY", start="07:30", end="15:30", valid_from="2026-04-01")
    patched = api.ok("PATCH", path, {"working_hours": new_hours, "max_sessions_per_day": None})
    assert as_sent(patched["working_hours"]) == new_hours
    assert patched["max_sessions_per_day"] is None
    assert patched["buffer_minutes"] == 10
    assert api.ok("GET", path) == patched


BAD_PATCHES = [
    ({"working_hours": hours(rrule="FREQ=HOURLY")}, "FREQ"),
    ({"working_hours": hours(start="18:00")}, "after"),
    ({"name": None}, "name"),
    ({"buffer_minutes": None}, "buffer_minutes"),
    ({"disciplines": None}, "disciplines"),
    ({"status": "away"}, "unknown field"),
]


def test_patch_therapist_refuses(api: Api) -> None:
    for body, words in BAD_PATCHES:
        created = api.ok("POST", "/api/therapists", therapist_body(), 201)
        path = f"/api/therapists/{created['id']}"
        response = api.client.patch(path, json=body, headers=ADMIN)
        problem = assert_problem(response, 422, "validation_error", (body, words))
        assert words in problem["detail"], (body, problem["detail"])
        assert api.ok("GET", path) == created


def test_unknown_therapists_are_404(api: Api) -> None:
    assert_problem(api.get("/api/therapists/999"), 404, "not_found")
    response = api.client.patch("/api/therapists/999", json={"name": "X"}, headers=ADMIN)
    assert_problem(response, 404, "not_found")
    time_off = {"start": "2026-06-10T09:00", "end": "2026-06-10T12:00"}
    assert_problem(api.post("/api/therapists/999/time-off", time_off), 404, "not_found")
    assert_problem(api.get("/api/therapists/abc"), 422, "validation_error")


def test_therapists_are_written_by_schedulers_only(api: Api, client: TestClient) -> None:
    created = api.therapist()
    therapist = api.user("therapist", created["id"])
    scheduler = api.user("scheduler")
    assert_problem(client.post("/api/therapists", json=therapist_body()), 401, "unauthorized")
    response = client.post("/api/therapists", json=therapist_body(), headers=therapist)
    assert_problem(response, 403, "forbidden")
    response = client.patch(
        f"/api/therapists/{created['id']}", json={"name": "X"}, headers=therapist
    )
    assert_problem(response, 403, "forbidden")
    assert (
        client.post("/api/therapists", json=therapist_body(), headers=scheduler).status_code == 201
    )


# --- time off -------------------------------------------------------------------------


def test_post_time_off(api: Api) -> None:
    therapist = api.therapist()
    path = f"/api/therapists/{therapist['id']}/time-off"
    body = {"start": "2026-03-07T22:00", "end": "2026-03-08T10:00", "reason": "conference"}
    created = api.ok("POST", path, body, 201)
    assert created["therapist_id"] == therapist["id"]
    assert created["start"] == "2026-03-07T22:00:00-05:00"
    assert created["end"] == "2026-03-08T10:00:00-04:00"
    assert created["reason"] == "conference"
    with_offset = {"start": "2026-06-10T12:00:00Z", "end": "2026-06-10T14:00:00Z"}
    answer = api.ok("POST", path, with_offset, 201)
    assert (answer["start"], answer["end"], answer["reason"]) == (
        "2026-06-10T08:00:00-04:00",
        "2026-06-10T10:00:00-04:00",
        "",
    )


BAD_TIME_OFF = [
    ({"start": "2026-06-10T12:00", "end": "2026-06-10T12:00"}, "validation_error"),
    ({"start": "2026-06-10T12:00", "end": "2026-06-10T09:00"}, "validation_error"),
    ({"start": "noon", "end": "2026-06-10T13:00"}, "validation_error"),
    ({"start": "2026-06-10T12:00"}, "validation_error"),
    ({"start": "2026-06-10T12:00", "end": "2026-06-10T13:00", "id": 1}, "validation_error"),
    ({"start": "2026-03-08T02:30", "end": "2026-03-08T05:00"}, "nonexistent_local_time"),
    ({"start": "2026-11-01T00:00", "end": "2026-11-01T01:30"}, "ambiguous_local_time"),
]


def test_post_time_off_refuses(api: Api) -> None:
    path = f"/api/therapists/{api.therapist()['id']}/time-off"
    for body, code in BAD_TIME_OFF:
        assert_problem(api.post(path, body), 422, code, (body, code))


def test_time_off_is_for_schedulers(api: Api, client: TestClient) -> None:
    therapist = api.therapist()
    path = f"/api/therapists/{therapist['id']}/time-off"
    body = {"start": "2026-06-10T12:00", "end": "2026-06-10T13:00"}
    own = api.user("therapist", therapist["id"])
    assert_problem(client.post(path, json=body), 401, "unauthorized")
    assert_problem(client.post(path, json=body, headers=own), 403, "forbidden")


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
    assert created == {"id": created["id"], **body}
    no_room = api.session_type("talk", window="plasticity", discipline="psych")
    assert no_room["room_kind"] is None
    assert api.ok("GET", "/api/session-types") == [created, no_room]
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
    # SPEC §5: a therapist sees a patient only when it has a session with them; else 404.
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


def test_working_hours_are_answered_as_sent(api: Api) -> None:
    sent = [
        {"rrule": "FREQ=WEEKLY;BYDAY=MO,WE", "start": "08:00", "end": "12:30"},
        {"rrule": "FREQ=DAILY", "start": "13:00", "end": "17:00", "valid_from": "2026-01-05"},
    ]
    created = api.ok(
        "POST",
        "/api/therapists",
        {"name": "Sam", "disciplines": ["physio"], "working_hours": sent},
        201,
    )
    assert created["working_hours"] == sent
    assert api.ok("GET", f"/api/therapists/{created['id']}")["working_hours"] == sent
