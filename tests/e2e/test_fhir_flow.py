"""An EHR books through FHIR, on ``planner serve`` with the real clock, on both databases.

The EHR finds proposed appointments for tomorrow's infusion (``Appointment/$find``), books the
first (``POST /fhir/Appointment``), reads it back and finds it in the day's search; the
therapist's free ``Slot``s no longer cover its time, and the therapist (its own token) sees
it among its own appointments. For an infusion given hours ago, whose window is open now,
nothing is proposed before the current minute, whatever second the test runs at.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx2
import pytest

from tests.e2e.clinic import Clinic, build_clinic, user
from tests.e2e.support import Served, expect, instant, now, rfc3339, tomorrow, wall, whole_minute

FHIR = "application/fhir+json"
REHAB = "physical_rehabilitation"
THERAPY = "cognitive_therapy"  # in the 2-12 h window


@pytest.fixture(scope="module")
def clinic(server: Served) -> Clinic:
    """Therapists who work all day, rooms and the demo's session types (once per server)."""
    return build_clinic(server.admin())


def _entries(client: httpx2.Client, path: str, **params: Any) -> list[Any]:
    answer = client.get(path, params=params)
    body = expect(answer, 200)
    assert answer.headers["content-type"].startswith(FHIR)
    assert body["resourceType"] == "Bundle" and body["type"] == "searchset", body
    return [e["resource"] for e in body.get("entry", [])]


def _find(ehr: httpx2.Client, patient: int, kind: str, start: str, end: str) -> list[Any]:
    params = {"patient": f"Patient/{patient}", "service-type": kind, "start": start, "end": end}
    return _entries(ehr, "/fhir/Appointment/$find", **params, _count=5)


def test_an_ehr_finds_and_books_and_the_therapist_sees_it(server: Served, clinic: Clinic) -> None:
    admin = server.admin()
    patient = clinic.patient(admin, "Iris Vale")
    day = tomorrow()
    infusion = expect(
        admin.post("/api/infusions", json={"patient_id": patient, "start": wall(day, "07:00")}),
        201,
    )
    proposals = _find(admin, patient, REHAB, day.isoformat(), day.isoformat())
    slots = expect(
        admin.get(
            f"/api/infusions/{infusion['id']}/slots", params={"session_type": REHAB, "limit": 5}
        ),
        200,
    )
    assert [instant(p["start"]) for p in proposals] == [instant(s["start"]) for s in slots]
    first = proposals[0]
    answer = admin.post("/fhir/Appointment", json=first, headers={"Content-Type": FHIR})
    booked = expect(answer, 201)
    assert booked["status"] == "booked" and instant(booked["start"]) == instant(first["start"])
    assert answer.headers["location"].endswith(f"/fhir/Appointment/{booked['id']}")
    assert expect(admin.get(f"/fhir/Appointment/{booked['id']}"), 200) == booked
    today_s = _entries(admin, "/fhir/Appointment", date=day.isoformat(), patient=patient)
    assert [a["id"] for a in today_s] == [booked["id"]]

    therapist = int(booked["participant"][1]["actor"]["reference"].split("/")[1])
    start, end = instant(booked["start"]), instant(booked["end"])
    free = _entries(
        admin,
        "/fhir/Slot",
        **{"service-type": REHAB, "schedule": f"Schedule/{therapist}", "_count": 500},
        start=[f"ge{rfc3339(start - timedelta(hours=2))}", f"lt{rfc3339(end)}"],
    )
    assert free, "the therapist works all day: some of these hours are free"
    assert all(instant(s["end"]) <= start for s in free)

    user(admin, "rae", "therapist", "rae-secret-123", therapist_id=therapist)
    rae = server.login("rae", "rae-secret-123")
    assert booked["id"] in {a["id"] for a in _entries(rae, "/fhir/Appointment")}
    refused = rae.post("/fhir/Appointment", json=first, headers={"Content-Type": FHIR})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(FHIR)


def test_an_open_window_proposes_nothing_before_now(server: Served, clinic: Clinic) -> None:
    admin = server.admin()
    patient = clinic.patient(admin, "Otto Lind")
    given = whole_minute(now(), plus_minutes=-4 * 60)
    body = {"patient_id": patient, "start": rfc3339(given)}
    expect(admin.post("/api/infusions", json=body), 201)
    asked = now()
    until = (asked + timedelta(days=1)).astimezone(given.tzinfo)
    proposals = _find(admin, patient, THERAPY, rfc3339(asked - timedelta(hours=6)), rfc3339(until))
    assert proposals, "the 2-12 h window is open for hours yet"
    assert all(instant(p["start"]) >= asked for p in proposals)
