"""GET /api/infusions/{id}/slots (docs/rules.md#slots), and bounded queries for slots and days."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from tests import booking_fixtures
from tests.booking_fixtures import Clinic
from tests.booking_helpers import DAY, book, local, new_infusion, problem
from tests.support import Api, FakeClock, counted

clinic = booking_fixtures.clinic


def slots(
    api: Api, infusion_id: int, session_type: str = "physical_rehabilitation", **q: Any
) -> Any:
    response = api.get(f"/api/infusions/{infusion_id}/slots", session_type=session_type, **q)
    assert response.status_code == 200, response.text
    return response.json()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _window(infusion: dict[str, Any], key: str) -> dict[str, Any]:
    return next(w for w in infusion["windows"] if w["key"] == key)


def test_peak_slots_rank_by_target_then_start_then_load_then_id(clinic: Clinic) -> None:
    api, dana = clinic.api, clinic.therapist
    fay = api.therapist("Fay", ("physio",))
    gil = api.therapist("Gil", ("physio",))
    # Dana (the lowest id) already has a session that day, at 13:40
    quinn = new_infusion(api, "Quinn", f"{DAY}T09:00")
    book(api, quinn["id"], f"{DAY}T13:40", therapist_id=dana["id"])
    found = slots(api, clinic.infusion["id"], limit=9)
    assert [(s["start"], s["therapist_id"]) for s in found] == [
        (local("11:10"), fay["id"]),
        (local("11:10"), gil["id"]),
        (local("11:10"), dana["id"]),
        (local("11:05"), fay["id"]),
        (local("11:05"), gil["id"]),
        (local("11:05"), dana["id"]),
        (local("11:15"), fay["id"]),
        (local("11:15"), gil["id"]),
        (local("11:15"), dana["id"]),
    ]
    target = _instant(_window(clinic.infusion, "peak")["target"])
    for slot in found:
        start, end = _instant(slot["start"]), _instant(slot["end"])
        assert end - start == (_instant(local("12:10")) - _instant(local("11:10")))
        midpoint = start + (end - start) / 2
        assert slot["score"] == abs((midpoint - target).total_seconds()) / 60
        assert slot["window"] == "peak" and slot["room_id"] is None
    # sorted by score: the whole list is non-decreasing
    everything = slots(api, clinic.infusion["id"], limit=100)
    assert len(everything) == 39  # 13 starts 10:40, 10:45, …, 11:40 × 3 therapists
    assert [s["score"] for s in everything] == sorted(s["score"] for s in everything)


def test_slots_without_a_target_are_earliest_first(clinic: Clinic) -> None:
    api = clinic.api
    api.session_type("early_rehab", "spinogenesis", "physio", 30)  # 09:40–11:40, no target
    window = _window(clinic.infusion, "spinogenesis")
    assert window["target"] is None
    found = slots(api, clinic.infusion["id"], "early_rehab", limit=4)
    assert [(s["start"], s["score"]) for s in found] == [
        (local("09:40"), 0.0),
        (local("09:45"), 5.0),
        (local("09:50"), 10.0),
        (local("09:55"), 15.0),
    ]


def test_filter_limit_and_errors(clinic: Clinic) -> None:
    api, dana = clinic.api, clinic.therapist
    fay = api.therapist("Fay", ("physio",))
    only_fay = slots(api, clinic.infusion["id"], therapist_id=fay["id"], limit=50)
    assert len(only_fay) == 13 and {s["therapist_id"] for s in only_fay} == {fay["id"]}
    assert slots(api, clinic.infusion["id"], therapist_id=clinic.other["id"]) == []
    assert len(slots(api, clinic.infusion["id"], limit=3)) == 3
    assert len(slots(api, clinic.infusion["id"])) == 10  # the default
    assert {s["therapist_id"] for s in slots(api, clinic.infusion["id"], limit=50)} == {
        dana["id"],
        fay["id"],
    }
    url = f"/api/infusions/{clinic.infusion['id']}/slots"
    problem(api.get(url, session_type="nope"), 422, "unknown_reference")
    problem(api.get(url), 422, "validation_error")
    problem(api.get(url, session_type="physical_rehabilitation", limit=0), 422, "validation_error")
    problem(api.get("/api/infusions/999/slots", session_type="x"), 404, "not_found")
    api.ok("POST", f"/api/infusions/{clinic.infusion['id']}/cancel")
    problem(api.get(url, session_type="physical_rehabilitation"), 409, "infusion_cancelled")


def test_every_slot_is_bookable(clinic: Clinic) -> None:
    api = clinic.api
    api.therapist("Fay", ("physio",), buffer_minutes=10)
    api.room("Pool A", "pool")
    api.room("Pool B", "pool")
    api.session_type("hydro", "peak", "physio", 45, room_kind="pool")
    # something in the way: another patient in Pool A with Dana, 11:00–11:45
    quinn = new_infusion(api, "Quinn")
    book(api, quinn["id"], f"{DAY}T11:00", session_type="hydro")
    found = slots(api, clinic.infusion["id"], "hydro", limit=12)
    assert len(found) == 12
    for slot in found:
        body = {
            "infusion_id": clinic.infusion["id"],
            "session_type": "hydro",
            "start": slot["start"],
            "therapist_id": slot["therapist_id"],
        }
        created = api.ok("POST", "/api/sessions", body, 201)
        assert (created["start"], created["end"]) == (slot["start"], slot["end"])
        assert created["room_id"] == slot["room_id"] is not None
        api.ok("POST", f"/api/sessions/{created['id']}/cancel", {"reason": "trying"})


def test_slots_respect_the_clock_buffers_and_rooms(clinic: Clinic, clock: FakeClock) -> None:
    api, dana = clinic.api, clinic.therapist
    clock.now = datetime(2026, 3, 10, 15, 2, tzinfo=UTC)  # 11:02 EDT
    found = slots(api, clinic.infusion["id"], limit=100)
    assert sorted(s["start"] for s in found) == [local(f"11:{m:02d}") for m in range(5, 41, 5)]
    clock.now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    # Dana with a 20-minute buffer and a session 12:00–12:30 elsewhere: starts up to 10:40 only
    api.ok("PATCH", f"/api/therapists/{dana['id']}", {"buffer_minutes": 20})
    api.session_type("short", "plasticity", "physio", 30)
    quinn = new_infusion(api, "Quinn", f"{DAY}T09:00")
    book(api, quinn["id"], f"{DAY}T12:00", session_type="short")
    assert [s["start"] for s in slots(api, clinic.infusion["id"], limit=100)] == [local("10:40")]
    # a room type whose only room is taken all window long: no slot at all
    pool = api.room("Pool", "pool")
    api.session_type("hydro", "peak", "physio", 60, room_kind="pool")
    fay = api.therapist("Fay", ("physio",))
    rae = new_infusion(api, "Rae", f"{DAY}T06:00")  # peak 09:40–11:40
    book(api, rae["id"], f"{DAY}T09:40", session_type="hydro", therapist_id=fay["id"])
    sam = new_infusion(api, "Sam", f"{DAY}T08:00")  # peak 11:40–13:40
    book(api, sam["id"], f"{DAY}T11:40", session_type="hydro", therapist_id=fay["id"])
    found = slots(api, clinic.infusion["id"], "hydro", limit=100)
    assert [(s["start"], s["therapist_id"], s["room_id"]) for s in found] == [
        (local("10:40"), dana["id"], pool["id"]),
        (local("10:40"), fay["id"], pool["id"]),
    ]


def test_slots_on_the_spring_forward_night(api: Api) -> None:
    """Infusion 2026-03-07 23:50 EST: anchor 00:30 EST, spinogenesis 03:30–05:30 EDT."""
    night = api.therapist("Nia", ("physio",), start="01:00", end="06:00")
    short = api.therapist("Sol", ("physio",), start="03:00", end="04:00")
    api.session_type("early_rehab", "spinogenesis", "physio", 30)
    patient = api.patient("Pat")
    infusion = api.infusion(patient["id"], "2026-03-07T23:50")
    window = _window(infusion, "spinogenesis")
    assert (window["start"], window["end"]) == (
        "2026-03-08T03:30:00-04:00",
        "2026-03-08T05:30:00-04:00",
    )
    found = slots(api, infusion["id"], "early_rehab", limit=100)
    starts = [(s["start"], s["therapist_id"]) for s in found]
    assert starts[:3] == [
        ("2026-03-08T03:30:00-04:00", night["id"]),
        ("2026-03-08T03:30:00-04:00", short["id"]),
        ("2026-03-08T03:35:00-04:00", night["id"]),
    ]
    # Sol works 03:00–04:00 wall time (one elapsed hour from 07:00Z): only 03:30 fits
    assert [s["start"] for s in found if s["therapist_id"] == short["id"]] == [
        "2026-03-08T03:30:00-04:00"
    ]
    # Nia: every 5 minutes from 03:30 to 05:00, all in EDT and on the local grid
    nia = [_instant(s["start"]) for s in found if s["therapist_id"] == night["id"]]
    assert len(nia) == 19
    assert all(s.utcoffset() == _instant(window["start"]).utcoffset() for s in nia)
    assert all(s.minute % 5 == 0 for s in nia)
    assert [s["score"] for s in found if s["therapist_id"] == night["id"]] == [
        5.0 * i for i in range(19)
    ]
    booked = book(api, infusion["id"], found[0]["start"], session_type="early_rehab")
    assert booked["start"] == "2026-03-08T03:30:00-04:00"


# -- bounded queries (docs/rules.md#scale) ---------------------------------------------------


def test_day_view_and_slots_make_a_fixed_number_of_queries(clinic: Clinic, app: FastAPI) -> None:
    api, dana = clinic.api, clinic.therapist
    api.room("Pool", "pool")
    api.session_type("short", "plasticity", "physio", 15)  # 09:40–19:40
    api.ok(
        "POST",
        f"/api/therapists/{dana['id']}/time-off",
        {"start": f"{DAY}T08:00", "end": f"{DAY}T08:30"},
        201,
    )
    day_url = f"/api/therapists/{dana['id']}/day?date={DAY}"
    slots_url = f"/api/infusions/{clinic.infusion['id']}/slots?session_type=short&limit=20"

    def measure() -> tuple[int, int]:
        counts = []
        for url in (day_url, slots_url):
            api.ok("GET", url)  # warm up: connections, caches
            with counted(app) as statements:
                api.ok("GET", url)
            counts.append(len(statements))
        return counts[0], counts[1]

    book(api, new_infusion(api, "P0")["id"], f"{DAY}T09:40", session_type="short")
    one = measure()
    for i in range(1, 20):
        minute = 9 * 60 + 40 + 20 * i  # 10:00, 10:20, … 16:00
        start = f"{DAY}T{minute // 60:02d}:{minute % 60:02d}"
        book(
            api,
            new_infusion(api, f"P{i}")["id"],
            start,
            session_type="short",
            therapist_id=dana["id"],
        )
    assert len(api.ok("GET", day_url)["sessions"]) == 20
    twenty = measure()
    assert twenty == one
    assert max(one) <= 20, one  # a handful, not one per session
