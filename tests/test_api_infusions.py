"""API: infusions (record with windows, read, list by local day, cancel) and round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.protocol import DEFAULT_PROTOCOL
from tests.live_server import all_at_once, created, serve
from tests.live_server import client as live_client
from tests.problems import assert_problem
from tests.support import ADMIN, Api


def test_record_an_infusion_with_its_windows(api: Api) -> None:
    patient = api.patient()
    api.session_type("physical_rehabilitation")
    scheduler = api.user("scheduler")
    body = {
        "patient_id": patient["id"],
        "start": "2026-03-07T23:50",
        "care_plan": ["physical_rehabilitation"],
    }
    response = api.post("/api/infusions", body, scheduler)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["patient_id"] == patient["id"]
    assert created["start"] == "2026-03-07T23:50:00-05:00"
    assert created["end"] == "2026-03-08T00:30:00-05:00"
    assert created["duration_minutes"] == 40
    assert created["protocol_version"] == 1
    assert created["status"] == "scheduled"
    assert created["care_plan"] == ["physical_rehabilitation"]
    assert created["sessions"] == []
    windows = {w["key"]: w for w in created["windows"]}
    assert list(windows) == ["spinogenesis", "peak", "plasticity", "long_term"]
    assert windows["spinogenesis"]["start"] == "2026-03-08T03:30:00-04:00"
    assert windows["peak"]["target"] == "2026-03-08T05:30:00-04:00"
    assert windows["plasticity"]["target"] is None
    assert api.ok("GET", f"/api/infusions/{created['id']}") == created


def test_duration_and_offsets(api: Api) -> None:
    patient = api.patient()
    created = api.infusion(patient["id"], "2026-11-01T01:30:00-05:00", duration_minutes=90)
    assert created["start"] == "2026-11-01T01:30:00-05:00"
    assert created["end"] == "2026-11-01T03:00:00-05:00"
    assert created["windows"][0]["start"] == "2026-11-01T05:00:00-05:00"
    # The first 01:30 of that night is another instant, an hour earlier.
    other = api.infusion(api.patient("B")["id"], "2026-11-01T01:30:00-04:00")
    assert other["start"] == "2026-11-01T01:30:00-04:00"


def test_a_care_plan_drops_repeats(api: Api) -> None:
    api.session_type("rehab")
    created = api.infusion(api.patient()["id"], "2026-06-10T09:00", care_plan=["rehab", "rehab"])
    assert created["care_plan"] == ["rehab"]


BAD_INFUSIONS = [
    ({"start": "2026-03-08T02:30"}, "nonexistent_local_time"),
    ({"start": "2026-11-01T01:30"}, "ambiguous_local_time"),
    ({"start": "2026-06-10T09:00:30"}, "validation_error"),
    ({"start": "2026-06-10T09:00:00.250"}, "validation_error"),
    ({"start": "10 June, 9am"}, "validation_error"),
    ({"start": "2026-06-10"}, "validation_error"),
    ({"start": None}, "validation_error"),
    ({"duration_minutes": 0}, "validation_error"),
    ({"duration_minutes": 24 * 60 + 1}, "validation_error"),
    ({"duration_minutes": "40"}, "validation_error"),
    ({"patient_id": "1"}, "validation_error"),
    ({"care_plan": ["Not A Key"]}, "validation_error"),
    ({"status": "cancelled"}, "validation_error"),
    ({"protocol_version": 2}, "validation_error"),
    ({"id": 3}, "validation_error"),
    ({"patient_id": 999}, "unknown_reference"),
    ({"care_plan": ["physical_rehabilitation", "hydrotherapy"]}, "unknown_reference"),
]


def test_post_infusion_refuses(api: Api) -> None:
    patient = api.patient()
    api.session_type("physical_rehabilitation")
    for changes, code in BAD_INFUSIONS:
        body = {"patient_id": patient["id"], "start": "2026-06-10T09:00", **changes}
        problem = assert_problem(api.post("/api/infusions", body), 422, code, (changes, code))
        if code == "unknown_reference":
            assert ("999" if "patient_id" in changes else "hydrotherapy") in problem["detail"]
        assert api.ok("GET", "/api/infusions") == []


def test_a_patient_is_never_in_two_infusions_at_once(api: Api) -> None:
    patient = api.patient()
    first = api.infusion(patient["id"], "2026-06-10T09:00", duration_minutes=60)
    overlapping = {"patient_id": patient["id"], "start": "2026-06-10T09:59"}
    problem = assert_problem(api.post("/api/infusions", overlapping), 409, "patient_busy")
    assert problem["conflicts"] == [
        {
            "kind": "infusion",
            "id": first["id"],
            "start": "2026-06-10T09:00:00-04:00",
            "end": "2026-06-10T10:00:00-04:00",
        }
    ]
    earlier = {"patient_id": patient["id"], "start": "2026-06-10T08:30"}
    assert_problem(api.post("/api/infusions", earlier), 409, "patient_busy")
    # Back to back is fine, so is another patient at the same time.
    api.infusion(patient["id"], "2026-06-10T10:00")
    api.infusion(patient["id"], "2026-06-10T08:20")
    api.infusion(api.patient("Other")["id"], "2026-06-10T09:00")
    # Once cancelled, the time is free again.
    api.ok("POST", f"/api/infusions/{first['id']}/cancel")
    api.infusion(patient["id"], "2026-06-10T09:00", duration_minutes=60)


def test_get_unknown_infusion(api: Api) -> None:
    assert_problem(api.get("/api/infusions/999"), 404, "not_found")
    assert_problem(api.get("/api/infusions/nine"), 422, "validation_error")


def test_list_by_local_date_on_a_dst_day(api: Api) -> None:
    starts = [
        "2026-03-07T23:30",  # the day before
        "2026-03-08T00:10",  # first minutes of the 23-hour day (05:10 UTC)
        "2026-03-08T03:00",  # just after the gap
        "2026-03-08T23:30",  # last half hour (03:30 UTC on 9 March)
        "2026-03-09T00:00",  # the next day
    ]
    ids = [api.infusion(api.patient(f"P{n}")["id"], start)["id"] for n, start in enumerate(starts)]
    day = api.ok("GET", "/api/infusions?date=2026-03-08")
    assert [i["id"] for i in day] == ids[1:4]
    assert [i["start"] for i in day] == [
        "2026-03-08T00:10:00-05:00",
        "2026-03-08T03:00:00-04:00",
        "2026-03-08T23:30:00-04:00",
    ]
    assert [i["id"] for i in api.ok("GET", "/api/infusions?date=2026-03-07")] == ids[:1]
    assert [i["id"] for i in api.ok("GET", "/api/infusions")] == ids
    assert all(i["windows"] for i in day)


def test_list_on_the_fall_back_day_and_paging_keeps_the_date(api: Api) -> None:
    starts = ["2026-11-01T00:30", "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"]
    starts += ["2026-11-01T23:59", "2026-11-02T00:00"]
    ids = [api.infusion(api.patient(f"P{n}")["id"], start)["id"] for n, start in enumerate(starts)]
    assert [i["id"] for i in api.ok("GET", "/api/infusions?date=2026-11-01")] == ids[:4]
    page = api.get("/api/infusions", date="2026-11-01", limit=3)
    assert [i["id"] for i in page.json()] == ids[:3]
    link = page.headers["link"]
    assert "date=2026-11-01" in link and "offset=3" in link
    rest = api.client.get(link[1 : link.index(">")], headers=ADMIN)
    assert [i["id"] for i in rest.json()] == ids[3:4]
    assert "link" not in rest.headers


BAD_LIST_QUERIES = [
    {"date": "08/03/2026"},
    {"date": "2026-02-30"},
    {"date": ""},
    {"limit": 501},
    {"limit": 0},
]


def test_list_refuses_malformed_queries(api: Api) -> None:
    for params in BAD_LIST_QUERIES:
        assert_problem(api.get("/api/infusions", **params), 422, "validation_error", params)


def test_cancel_an_infusion(api: Api) -> None:
    created = api.infusion(api.patient()["id"], "2026-06-10T09:00")
    path = f"/api/infusions/{created['id']}/cancel"
    cancelled = api.ok("POST", path)
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] is None
    assert cancelled["windows"] == created["windows"]
    assert api.ok("GET", f"/api/infusions/{created['id']}")["status"] == "cancelled"
    again = assert_problem(api.post(path), 409, "invalid_transition")
    assert "already cancelled" in again["detail"]


def test_cancel_with_a_reason(api: Api) -> None:
    created = api.infusion(api.patient()["id"], "2026-06-10T09:00")
    path = f"/api/infusions/{created['id']}/cancel"
    answer = api.ok("POST", path, {"reason": "patient unwell"})
    assert (answer["status"], answer["cancel_reason"]) == ("cancelled", "patient unwell")


def test_cancel_refuses(api: Api) -> None:
    created = api.infusion(api.patient()["id"], "2026-06-10T09:00")
    path = f"/api/infusions/{created['id']}/cancel"
    assert_problem(api.post(path, {"reason": "x", "status": "done"}), 422, "validation_error")
    assert_problem(api.post(path, {"reason": 5}), 422, "validation_error")
    assert_problem(api.post("/api/infusions/999/cancel"), 404, "not_found")
    assert api.ok("GET", f"/api/infusions/{created['id']}")["status"] == "scheduled"


def test_infusions_are_for_schedulers(api: Api, client: TestClient) -> None:
    patient = api.patient()
    created = api.infusion(patient["id"], "2026-06-10T09:00")
    therapist = api.user("therapist", api.therapist()["id"])
    body = {"patient_id": patient["id"], "start": "2026-06-11T09:00"}
    for method, path, payload in [
        ("POST", "/api/infusions", body),
        ("GET", "/api/infusions", None),
        ("GET", f"/api/infusions/{created['id']}", None),
        ("POST", f"/api/infusions/{created['id']}/cancel", None),
    ]:
        assert_problem(client.request(method, path, json=payload), 401, "unauthorized")
        response = client.request(method, path, json=payload, headers=therapist)
        assert_problem(response, 403, "forbidden")
    assert api.ok("GET", f"/api/infusions/{created['id']}")["status"] == "scheduled"


# --- round trip -----------------------------------------------------------------------

ZONES = ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC"]

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))
# Offsets a client may send: whole quarter hours from -12:00 to +14:00.
sent_offsets = st.integers(min_value=-48, max_value=56).map(lambda q: timedelta(minutes=15 * q))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zone_name=st.sampled_from(ZONES),
    instant=instants,
    offset=sent_offsets,
    minutes=st.integers(min_value=1, max_value=600),
)
def test_an_infusion_round_trips_to_the_same_instants(
    api: Api, zone_name: str, instant: datetime, offset: timedelta, minutes: int
) -> None:
    """POST with any offset, GET it back: the same instants, answered in the clinic's offset."""
    api.ok("PUT", "/api/clinic", {"name": "Clinic", "timezone": zone_name})
    zone = ZoneInfo(zone_name)
    sent = instant.astimezone(timezone(offset)).isoformat()
    patient = api.patient()
    created = api.infusion(patient["id"], sent, duration_minutes=minutes)
    answer = api.ok("GET", f"/api/infusions/{created['id']}")
    assert answer == created
    start = datetime.fromisoformat(answer["start"])
    assert start == instant
    assert start.utcoffset() == instant.astimezone(zone).utcoffset()
    assert datetime.fromisoformat(answer["end"]) - start == timedelta(minutes=minutes)
    expected = DEFAULT_PROTOCOL.windows_for(instant, timedelta(minutes=minutes))
    for window, want in zip(answer["windows"], expected, strict=True):
        assert window["key"] == want.key
        assert datetime.fromisoformat(window["start"]) == want.start
        assert datetime.fromisoformat(window["end"]) == want.end
        target = window["target"]
        assert (None if target is None else datetime.fromisoformat(target)) == want.target
        assert (
            datetime.fromisoformat(window["start"]).utcoffset()
            == want.start.astimezone(zone).utcoffset()
        )
    # The preview endpoint agrees with what was stored.
    preview = api.get("/api/windows", start=sent, duration_minutes=minutes).json()
    assert preview["windows"] == answer["windows"]


# --- concurrency ----------------------------------------------------------------------


def test_concurrent_overlapping_infusions_of_one_patient_exactly_one_wins(app: FastAPI) -> None:
    """Of simultaneous overlapping requests for one patient exactly one succeeds."""
    with serve(app) as base_url, live_client(base_url) as http:
        patient = created(http, "/api/patients", {"name": "Racer"})
        bodies = [
            {"patient_id": patient["id"], "start": f"2026-06-10T09:{5 * i:02d}"} for i in range(8)
        ]
        answers = all_at_once([partial(http.post, "/api/infusions", json=b) for b in bodies])
        outcomes = sorted(
            "created" if a.status_code == 201 else f"{a.status_code} {a.json()['code']}"
            for a in answers
        )
        assert outcomes == ["409 patient_busy"] * 7 + ["created"], outcomes
        assert len(http.get("/api/infusions").json()) == 1
