"""Range queries are bounded by the time they look at, and still see long rows that reach in."""

from __future__ import annotations

from tests.support import Api


def test_a_long_time_off_that_began_weeks_earlier_still_counts(api: Api) -> None:
    therapist = api.therapist("Lee", ("physio",), start="08:00", end="17:00")
    api.session_type("rehab", "peak", "physio", 60)
    patient = api.patient("Pat")
    infusion = api.infusion(patient["id"], "2026-03-10T07:00")
    leave = api.ok(
        "POST",
        f"/api/therapists/{therapist['id']}/time-off",
        {"start": "2026-02-20T00:00", "end": "2026-03-12T00:00", "reason": "leave"},
        201,
    )
    day = api.ok("GET", f"/api/therapists/{therapist['id']}/day?date=2026-03-10")
    assert day["working"] == [] and day["free"] == []
    refused = api.post(
        "/api/sessions",
        {
            "infusion_id": infusion["id"],
            "session_type": "rehab",
            "start": "2026-03-10T11:10",
            "therapist_id": therapist["id"],
        },
    )
    assert refused.status_code == 409 and refused.json()["code"] == "therapist_unavailable"
    assert [c["id"] for c in refused.json()["conflicts"]] == [leave["id"]]
    slots = api.ok("GET", f"/api/infusions/{infusion['id']}/slots?session_type=rehab")
    assert slots == []


def test_time_off_longer_than_a_year_is_refused(api: Api) -> None:
    therapist = api.therapist("Long", ("physio",))
    response = api.post(
        f"/api/therapists/{therapist['id']}/time-off",
        {"start": "2026-01-01T00:00", "end": "2027-01-03T00:00", "reason": "sabbatical"},
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
