"""GET /api/windows: the windows of an infusion time, nothing stored (docs/rules.md#time)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.problems import assert_problem
from tests.support import Api

# --- windows preview ------------------------------------------------------------------


def test_windows_spec_example(api: Api, client: TestClient) -> None:
    therapist = api.user("therapist", api.therapist()["id"])
    response = client.get(
        "/api/windows",
        params={"start": "2026-03-07T23:50", "duration_minutes": 40},
        headers=therapist,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["anchor_time"] == "2026-03-08T00:30:00-05:00"
    assert body["protocol_version"] == 1
    assert [w["key"] for w in body["windows"]] == [
        "spinogenesis",
        "peak",
        "plasticity",
        "long_term",
    ]
    spinogenesis, peak, plasticity, long_term = body["windows"]
    assert spinogenesis == {
        "key": "spinogenesis",
        "label": "Elevated spinogenesis",
        "implication": "Window for enhanced neural remodeling",
        "start": "2026-03-08T03:30:00-04:00",
        "end": "2026-03-08T05:30:00-04:00",
        "target": None,
    }
    assert (peak["start"], peak["end"], peak["target"]) == (
        "2026-03-08T04:30:00-04:00",
        "2026-03-08T06:30:00-04:00",
        "2026-03-08T05:30:00-04:00",
    )
    assert plasticity["end"] == "2026-03-08T13:30:00-04:00"
    assert long_term["start"] == "2026-03-09T01:30:00-04:00"


def test_windows_default_duration_is_40_minutes(api: Api) -> None:
    body = api.ok("GET", "/api/windows?start=2026-06-10T09:00")
    assert body["anchor_time"] == "2026-06-10T09:40:00-04:00"
    longer = api.ok("GET", "/api/windows?start=2026-06-10T09:00&duration_minutes=90")
    assert longer["anchor_time"] == "2026-06-10T10:30:00-04:00"


UNCLEAR_LOCAL_TIMES = [
    ("2026-03-08T02:30", "nonexistent_local_time"),
    ("2026-11-01T01:30", "ambiguous_local_time"),
]


def test_windows_refuse_local_times_that_dst_makes_unclear(api: Api) -> None:
    for start, code in UNCLEAR_LOCAL_TIMES:
        body = assert_problem(api.get("/api/windows", start=start), 422, code, (start, code))
        assert "offset" in body["detail"]


OFFSET_STARTS = [
    ("2026-03-08T02:30:00-05:00", "2026-03-08T04:10:00-04:00"),
    ("2026-11-01T01:30:00-04:00", "2026-11-01T01:10:00-05:00"),
    ("2026-11-01T01:30:00-05:00", "2026-11-01T02:10:00-05:00"),
    ("2026-06-10T09:00:00Z", "2026-06-10T05:40:00-04:00"),
    ("2026-06-10T09:00:00+09:00", "2026-06-09T20:40:00-04:00"),
]


def test_windows_take_offsets_as_is(api: Api) -> None:
    for start, anchor in OFFSET_STARTS:
        response = api.get("/api/windows", start=start)
        assert response.status_code == 200, (start, response.text)
        assert response.json()["anchor_time"] == anchor, start


BAD_WINDOW_QUERIES = [
    {"start": "tomorrow"},
    {"start": "2026-03-08"},
    {"start": "2026-13-01T10:00"},
    {"start": "2026-06-10T09:00:30"},
    {"start": "2026-06-10T09:00:00.5"},
    {"start": "9999-12-31T23:00"},
    {},
    {"start": "2026-06-10T09:00", "duration_minutes": 0},
    {"start": "2026-06-10T09:00", "duration_minutes": "forty"},
    {"start": "2026-06-10T09:00", "duration_minutes": 24 * 60 + 1},
]


def test_windows_refuse_malformed_queries(api: Api) -> None:
    for params in BAD_WINDOW_QUERIES:
        assert_problem(api.get("/api/windows", **params), 422, "validation_error", params)


def test_windows_need_a_token(client: TestClient) -> None:
    response = client.get("/api/windows", params={"start": "2026-06-10T09:00"})
    assert_problem(response, 401, "unauthorized")
