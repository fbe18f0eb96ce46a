"""docs/rules.md#booking: every refusal of POST /api/sessions, with its status, code and conflicts.

The clinic fixture: Dana (physio, 08:00–17:00 every day), Eli (cognitive), a 60-minute
``physical_rehabilitation`` in the ``peak`` window; Pat's infusion 2026-03-10 07:00–07:40 EDT,
so the peak window is 10:40–12:40 (target 11:40).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests import booking_fixtures
from tests.booking_fixtures import Clinic
from tests.booking_helpers import DAY, book, local, new_infusion, post_session, problem
from tests.support import FakeClock

clinic = booking_fixtures.clinic


def test_a_valid_booking_answers_the_session(clinic: Clinic) -> None:
    api, inf = clinic.api, clinic.infusion
    created = book(api, inf["id"], f"{DAY}T10:40")
    assert created["start"] == local("10:40") and created["end"] == local("11:40")
    assert created["status"] == "booked" and created["window"] == "peak"
    assert created["outside_window"] is False and created["room_id"] is None
    assert created["patient_id"] == clinic.patient["id"]
    assert created["infusion_id"] == inf["id"]
    assert created["therapist_id"] == clinic.therapist["id"]
    # an explicit offset is taken as is: 15:40Z is 11:40 EDT
    other = new_infusion(api, "Quinn")
    utc = book(api, other["id"], "2026-03-10T15:40:00Z", therapist_id=clinic.therapist["id"])
    assert utc["start"] == local("11:40") and utc["end"] == local("12:40")


def test_cancelled_infusion(clinic: Clinic) -> None:
    clinic.api.ok("POST", f"/api/infusions/{clinic.infusion['id']}/cancel")
    problem(
        post_session(clinic.api, clinic.infusion["id"], f"{DAY}T11:10"), 409, "infusion_cancelled"
    )


def test_in_the_past_follows_the_clock(clinic: Clinic, clock: FakeClock) -> None:
    clock.now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 EDT
    problem(post_session(clinic.api, clinic.infusion["id"], f"{DAY}T10:55"), 422, "in_the_past")
    assert book(clinic.api, clinic.infusion["id"], f"{DAY}T11:00")["start"] == local("11:00")


def test_outside_window_and_its_override(clinic: Clinic) -> None:
    api, inf = clinic.api, clinic.infusion
    for start in ("10:35", "11:45", "16:00"):  # opens too early, ends too late, far off
        body = problem(post_session(api, inf["id"], f"{DAY}T{start}"), 422, "outside_window")
        assert "Peak neuroplasticity window" in body["detail"]
    assert api.ok("GET", "/api/sessions") == []
    created = book(api, inf["id"], f"{DAY}T16:00", override_reason="patient arrives late")
    assert created["outside_window"] is True
    assert created["override_reason"] == "patient arrives late"
    assert created["start"] == local("16:00") and created["window"] == "peak"
    assert api.ok("GET", f"/api/sessions/{created['id']}")["outside_window"] is True


def test_the_window_edges_fit(clinic: Clinic) -> None:
    # 10:40–11:40 and 11:40–12:40 lie wholly inside 10:40–12:40
    api = clinic.api
    first = book(api, clinic.infusion["id"], f"{DAY}T10:40")
    other = new_infusion(api, "Quinn")
    last = book(api, other["id"], f"{DAY}T11:40")
    assert not first["outside_window"] and not last["outside_window"]


def test_discipline_mismatch(clinic: Clinic) -> None:
    response = post_session(
        clinic.api, clinic.infusion["id"], f"{DAY}T11:10", therapist_id=clinic.other["id"]
    )
    problem(response, 422, "discipline_mismatch")


def test_therapist_unavailable_outside_the_shift(clinic: Clinic) -> None:
    late = clinic.api.therapist("Late", ("physio",), start="11:30", end="17:00")
    response = post_session(
        clinic.api, clinic.infusion["id"], f"{DAY}T11:10", therapist_id=late["id"]
    )
    body = problem(response, 409, "therapist_unavailable")
    assert body.get("conflicts", []) == []
    assert book(clinic.api, clinic.infusion["id"], f"{DAY}T11:30", therapist_id=late["id"])


def test_therapist_unavailable_on_time_off_names_it(clinic: Clinic) -> None:
    api, dana = clinic.api, clinic.therapist
    off = api.ok(
        "POST",
        f"/api/therapists/{dana['id']}/time-off",
        {"start": f"{DAY}T10:30", "end": f"{DAY}T11:30", "reason": "dentist"},
        201,
    )
    response = post_session(api, clinic.infusion["id"], f"{DAY}T11:00", therapist_id=dana["id"])
    body = problem(response, 409, "therapist_unavailable")
    assert body["conflicts"] == [
        {"kind": "time_off", "id": off["id"], "start": local("10:30"), "end": local("11:30")}
    ]
    # right after the time off she works again
    assert book(api, clinic.infusion["id"], f"{DAY}T11:30", therapist_id=dana["id"])


def test_therapist_busy_names_the_session(clinic: Clinic) -> None:
    api, dana = clinic.api, clinic.therapist
    first = book(api, clinic.infusion["id"], f"{DAY}T11:10", therapist_id=dana["id"])
    other = new_infusion(api, "Quinn")
    response = post_session(api, other["id"], f"{DAY}T11:30", therapist_id=dana["id"])
    body = problem(response, 409, "therapist_busy")
    assert body["conflicts"] == [
        {"kind": "session", "id": first["id"], "start": local("11:10"), "end": local("12:10")}
    ]


def test_patient_busy_with_another_therapist(clinic: Clinic) -> None:
    api = clinic.api
    fay = api.therapist("Fay", ("physio",))
    first = book(api, clinic.infusion["id"], f"{DAY}T11:10", therapist_id=clinic.therapist["id"])
    response = post_session(api, clinic.infusion["id"], f"{DAY}T11:30", therapist_id=fay["id"])
    body = problem(response, 409, "patient_busy")
    assert [(c["kind"], c["id"]) for c in body["conflicts"]] == [("session", first["id"])]
    # with no therapist named, the patient rule keeps its own code
    problem(post_session(api, clinic.infusion["id"], f"{DAY}T11:30"), 409, "patient_busy")


def test_patient_busy_in_a_second_infusion(clinic: Clinic) -> None:
    api = clinic.api
    second = api.infusion(clinic.patient["id"], f"{DAY}T11:00")  # 11:00–11:40
    response = post_session(api, clinic.infusion["id"], f"{DAY}T11:10")
    body = problem(response, 409, "patient_busy")
    assert body["conflicts"] == [
        {"kind": "infusion", "id": second["id"], "start": local("11:00"), "end": local("11:40")}
    ]
    # after it ends, the patient is under observation for the protocol's recovery (PT1H)
    body = problem(post_session(api, clinic.infusion["id"], f"{DAY}T11:40"), 409, "in_recovery")
    assert body["conflicts"] == [
        {"kind": "recovery", "id": second["id"], "start": local("11:40"), "end": local("12:40")}
    ]
    api.ok("POST", f"/api/infusions/{second['id']}/cancel", {"reason": "moved"})
    assert book(api, clinic.infusion["id"], f"{DAY}T11:40")  # a cancelled one holds nobody


def test_patient_busy_in_its_own_infusion_with_a_start_anchor(clinic: Clinic) -> None:
    api = clinic.api
    window = {"key": "peak", "label": "During", "start_offset": "PT0H", "end_offset": "PT5H"}
    api.ok("PUT", "/api/protocol", {"anchor": "start", "windows": [window]})
    patient = api.patient("Rae")
    infusion = api.infusion(patient["id"], f"{DAY}T09:00")  # 09:00–09:40, window 09:00–14:00
    body = problem(post_session(api, infusion["id"], f"{DAY}T09:20"), 409, "patient_busy")
    assert [(c["kind"], c["id"]) for c in body["conflicts"]] == [("infusion", infusion["id"])]
    problem(post_session(api, infusion["id"], f"{DAY}T09:40"), 409, "in_recovery")
    assert book(api, infusion["id"], f"{DAY}T10:40")["start"] == local("10:40")


def test_room_unavailable_when_the_only_room_is_taken(clinic: Clinic) -> None:
    api = clinic.api
    pool = api.room("Pool", "pool")
    api.session_type("hydro", "peak", "physio", 60, room_kind="pool")
    fay = api.therapist("Fay", ("physio",))
    first = book(api, clinic.infusion["id"], f"{DAY}T11:10", session_type="hydro")
    assert first["room_id"] == pool["id"]
    other = new_infusion(api, "Quinn")
    response = post_session(api, other["id"], f"{DAY}T11:30", "hydro", therapist_id=fay["id"])
    body = problem(response, 409, "room_unavailable")
    assert [(c["kind"], c["id"]) for c in body["conflicts"]] == [("session", first["id"])]
    # asking for that room by id is refused the same way; a gym is not a pool
    gym = api.room("Gym", "gym")
    for room in (pool, gym):
        response = post_session(
            api, other["id"], f"{DAY}T11:30", "hydro", therapist_id=fay["id"], room_id=room["id"]
        )
        problem(response, 409, "room_unavailable")


def test_room_unavailable_when_the_clinic_has_no_such_room(clinic: Clinic) -> None:
    clinic.api.room("Gym", "gym")
    clinic.api.session_type("sauna_rest", "peak", "physio", 60, room_kind="sauna")
    response = post_session(clinic.api, clinic.infusion["id"], f"{DAY}T11:10", "sauna_rest")
    problem(response, 409, "room_unavailable")


def test_daily_limit(clinic: Clinic) -> None:
    api = clinic.api
    one = api.therapist("Once", ("physio",), max_sessions_per_day=1)
    book(api, clinic.infusion["id"], f"{DAY}T10:40", therapist_id=one["id"])
    later = new_infusion(api, "Quinn", f"{DAY}T09:00")  # peak 12:40–14:40
    response = post_session(api, later["id"], f"{DAY}T13:10", therapist_id=one["id"])
    problem(response, 409, "daily_limit")
    # the next day the limit starts again
    tomorrow = new_infusion(api, "Rae", "2026-03-11T07:00")
    assert book(api, tomorrow["id"], "2026-03-11T11:10", therapist_id=one["id"])


def test_no_therapist_free(clinic: Clinic) -> None:
    api, dana = clinic.api, clinic.therapist
    api.ok(
        "POST",
        f"/api/therapists/{dana['id']}/time-off",
        {"start": f"{DAY}T10:00", "end": f"{DAY}T13:00", "reason": "training"},
        201,
    )
    body = problem(
        post_session(api, clinic.infusion["id"], f"{DAY}T11:10"), 409, "no_therapist_free"
    )
    assert body["detail"]


def test_no_therapist_free_when_the_only_one_is_busy(clinic: Clinic) -> None:
    api = clinic.api
    book(api, clinic.infusion["id"], f"{DAY}T11:10")
    other = new_infusion(api, "Quinn")
    problem(post_session(api, other["id"], f"{DAY}T11:30"), 409, "no_therapist_free")


# -- the order of the rules ------------------------------------------------------------------


def test_rule_order(clinic: Clinic, clock: FakeClock) -> None:
    """When several rules are broken, the first in docs/rules.md#booking order is answered."""
    api, dana, eli = clinic.api, clinic.therapist, clinic.other
    inf = clinic.infusion["id"]
    api.room("Pool", "pool")
    api.session_type("hydro", "peak", "physio", 60, room_kind="pool")
    book(api, inf, f"{DAY}T11:10", session_type="hydro", therapist_id=dana["id"])
    # Pat is now busy 11:10–12:10, Dana too, and the only pool is taken.
    quinn = new_infusion(api, "Quinn")["id"]
    fay = api.therapist("Fay", ("physio",), max_sessions_per_day=1)
    late = api.therapist("Late", ("physio",), start="15:00", end="17:00")
    rae = new_infusion(api, "Rae", f"{DAY}T09:00")  # peak 12:40–14:40
    book(api, rae["id"], f"{DAY}T13:40", therapist_id=fay["id"])  # Fay's one session that day

    def code(infusion: int, start: str, **extra: Any) -> str:
        response = post_session(api, infusion, f"{DAY}T{start}", **extra)
        assert response.status_code in (409, 422), response.text
        return str(response.json()["code"])

    # outside the window (16:00) beats the discipline (Eli)
    assert code(inf, "16:00", therapist_id=eli["id"]) == "outside_window"
    # the discipline beats unavailability (Eli does not work at 05:00 either)
    assert code(inf, "05:00", therapist_id=eli["id"], override_reason="x") == "discipline_mismatch"
    # unavailability beats the patient busy (Late starts at 15:00; Pat is busy)
    assert code(inf, "11:30", therapist_id=late["id"]) == "therapist_unavailable"
    # therapist busy beats patient busy
    assert code(inf, "11:30", therapist_id=dana["id"]) == "therapist_busy"
    # patient busy beats the room (hydro's only pool is taken) and the daily limit (Fay: 1 of 1)
    assert code(inf, "11:30", session_type="hydro", therapist_id=fay["id"]) == "patient_busy"
    # the room beats the daily limit
    assert code(quinn, "11:30", session_type="hydro", therapist_id=fay["id"]) == "room_unavailable"
    assert code(quinn, "11:30", therapist_id=fay["id"]) == "daily_limit"
    # the past beats the window; a cancelled infusion beats everything
    clock.now = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 13:00 EDT
    assert code(quinn, "12:00", therapist_id=eli["id"]) == "in_the_past"
    api.ok("POST", f"/api/infusions/{quinn}/cancel")
    assert code(quinn, "12:00", therapist_id=eli["id"]) == "infusion_cancelled"


# -- malformed bodies ------------------------------------------------------------------------


def test_seconds_are_refused(clinic: Clinic) -> None:
    for start in (f"{DAY}T11:10:30", f"{DAY}T11:10:00.5", "2026-03-10T15:10:01Z"):
        problem(post_session(clinic.api, clinic.infusion["id"], start), 422, "validation_error")
    assert clinic.api.ok("GET", "/api/sessions") == []


def test_local_times_that_do_not_name_one_instant(clinic: Clinic) -> None:
    for start, code in (
        ("2026-03-08T02:30", "nonexistent_local_time"),
        ("2026-11-01T01:30", "ambiguous_local_time"),
        ("tomorrow at ten", "validation_error"),
        ("2026-03-10", "validation_error"),
    ):
        problem(post_session(clinic.api, clinic.infusion["id"], start), 422, code)
    # with an offset, a time in the fold names one instant (and is checked like any other)
    response = post_session(clinic.api, clinic.infusion["id"], "2026-11-01T01:30:00-05:00")
    problem(response, 422, "outside_window")


def test_unknown_references(clinic: Clinic) -> None:
    for extra in (
        {"infusion_id": 9999},
        {"session_type": "no_such_type"},
        {"therapist_id": 9999},
        {"room_id": 9999},
    ):
        body = {
            "infusion_id": clinic.infusion["id"],
            "session_type": "physical_rehabilitation",
            "start": f"{DAY}T11:10",
            **extra,
        }
        problem(clinic.api.post("/api/sessions", body), 422, "unknown_reference")
    assert clinic.api.ok("GET", "/api/sessions") == []


def test_unknown_fields_are_refused(clinic: Clinic) -> None:
    for extra in ({"status": "completed"}, {"id": 7}, {"outside_window": True}, {"end": "x"}):
        response = post_session(clinic.api, clinic.infusion["id"], f"{DAY}T11:10", **extra)
        body = problem(response, 422, "validation_error")
        assert next(iter(extra)) in body["detail"]
    assert clinic.api.ok("GET", "/api/sessions") == []


# -- buffers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("buffer", [0, 10])
def test_buffer_edges(clinic: Clinic, buffer: int) -> None:
    """A session ending when the next begins: fine without a buffer, busy with one."""
    api = clinic.api
    api.session_type("massage", "plasticity", "physio", 60)  # window 09:40–19:40
    gil = api.therapist("Gil", ("physio",), buffer_minutes=buffer)
    names = iter(["A", "B", "C", "D", "E"])

    def attempt(start: str) -> Any:
        infusion = new_infusion(api, next(names))
        return post_session(
            api, infusion["id"], f"{DAY}T{start}", "massage", therapist_id=gil["id"]
        )

    first = attempt("12:00")
    assert first.status_code == 201
    touching = [attempt("11:00"), attempt("13:00")]  # ends at 12:00 / starts at 13:00
    if buffer == 0:
        assert [r.status_code for r in touching] == [201, 201]
    else:
        for response in touching:
            body = problem(response, 409, "therapist_busy")
            assert [c["id"] for c in body["conflicts"]] == [first.json()["id"]]
        # exactly the buffer apart, before and after: allowed
        assert attempt("10:50").status_code == 201
        assert attempt("13:10").status_code == 201


# -- choosing the therapist and the room -----------------------------------------------------


def test_the_best_free_therapist_is_chosen(clinic: Clinic) -> None:
    api, dana = clinic.api, clinic.therapist
    fay = api.therapist("Fay", ("physio",))
    assert fay["id"] > dana["id"]
    # both have 0 sessions that day: the lower id
    assert book(api, clinic.infusion["id"], f"{DAY}T10:40")["therapist_id"] == dana["id"]
    # Dana has one, Fay none: Fay, even though Dana is free at 11:40
    second = new_infusion(api, "Quinn")
    assert book(api, second["id"], f"{DAY}T11:40")["therapist_id"] == fay["id"]
    # one each, both free at 13:10 (Rae's peak is 12:40–14:40): the lower id again
    third = new_infusion(api, "Rae", f"{DAY}T09:00")
    assert book(api, third["id"], f"{DAY}T13:10")["therapist_id"] == dana["id"]


def test_a_room_is_chosen_only_where_the_type_needs_one(clinic: Clinic) -> None:
    api = clinic.api
    api.room("Pool", "pool")
    gym1, gym2 = api.room("Gym 1", "gym"), api.room("Gym 2", "gym")
    api.session_type("gym_rehab", "peak", "physio", 60, room_kind="gym")
    fay = api.therapist("Fay", ("physio",))
    first = book(api, clinic.infusion["id"], f"{DAY}T11:10", session_type="gym_rehab")
    assert first["room_id"] == gym1["id"]
    other = new_infusion(api, "Quinn")
    second = book(
        api, other["id"], f"{DAY}T11:10", session_type="gym_rehab", therapist_id=fay["id"]
    )
    assert second["room_id"] == gym2["id"]
    plain = new_infusion(api, "Rae", f"{DAY}T09:00")
    assert book(api, plain["id"], f"{DAY}T13:10")["room_id"] is None
